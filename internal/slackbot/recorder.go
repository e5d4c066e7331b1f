package slackbot

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Recorder keeps what a bot reports through Options.Observe, so the demo
// and the end-to-end tests can wait for an event to be dealt with instead
// of sleeping. It is safe for concurrent use.
type Recorder struct {
	mu      sync.Mutex
	byKey   map[string][]Report
	count   int
	changed chan struct{} // closed and replaced on every report
}

// Report is one Handled, with when it was reported.
type Report struct {
	Handled
	At time.Time
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder {
	return &Recorder{byKey: map[string][]Report{}, changed: make(chan struct{})}
}

// Observe records h under its event ID and its envelope ID. Pass it as
// Options.Observe.
func (r *Recorder) Observe(h Handled) {
	rep := Report{Handled: h, At: time.Now()}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.count++
	for _, k := range []string{h.EventID, h.EnvelopeID} {
		if k != "" {
			r.byKey[k] = append(r.byKey[k], rep)
		}
	}
	close(r.changed)
	r.changed = make(chan struct{})
}

// Wait returns the first n reports for key (an event or envelope ID), once
// there are n, or the context's error.
func (r *Recorder) Wait(ctx context.Context, key string, n int) ([]Report, error) {
	for {
		r.mu.Lock()
		got, ch := r.byKey[key], r.changed
		r.mu.Unlock()
		if len(got) >= n {
			return got[:n], nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return got, fmt.Errorf("waiting for %d report(s) of %s, got %d: %w", n, key, len(got), ctx.Err())
		}
	}
}

// WaitCount waits until at least n events were reported in all.
func (r *Recorder) WaitCount(ctx context.Context, n int) error {
	for {
		r.mu.Lock()
		c, ch := r.count, r.changed
		r.mu.Unlock()
		if c >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d reports, got %d: %w", n, c, ctx.Err())
		}
	}
}

// Count returns how many events were reported.
func (r *Recorder) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count
}

// Events returns the last report of every event, by event ID.
func (r *Recorder) Events() map[string]Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]Report, len(r.byKey))
	for k, reps := range r.byKey {
		if last := reps[len(reps)-1]; last.EventID == k {
			out[k] = last
		}
	}
	return out
}
