package slackbot

import (
	"context"
	"errors"
	"testing"
)

func TestRecorder(t *testing.T) {
	r := NewRecorder()
	r.Observe(Handled{EventID: "Ev1", EnvelopeID: "env1", Outcome: "skipped:duplicate"})
	r.Observe(Handled{EventID: "Ev1", EnvelopeID: "env2", Outcome: "sent"})
	r.Observe(Handled{EnvelopeID: "env3", Kind: "block_actions"})
	ctx := context.Background()
	reps, err := r.Wait(ctx, "Ev1", 2)
	if err != nil || len(reps) != 2 || reps[1].Outcome != "sent" || reps[0].At.IsZero() {
		t.Errorf("Wait(Ev1, 2) = %+v, %v", reps, err)
	}
	if reps, err := r.Wait(ctx, "env3", 1); err != nil || reps[0].Kind != "block_actions" {
		t.Errorf("Wait(env3) = %+v, %v", reps, err)
	}
	if err := r.WaitCount(ctx, 3); err != nil || r.Count() != 3 {
		t.Errorf("WaitCount(3) = %v, Count() = %d", err, r.Count())
	}
	ev := r.Events()
	if len(ev) != 1 || ev["Ev1"].Outcome != "sent" {
		t.Errorf("Events() = %+v, want Ev1's last report only", ev)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := r.Wait(done, "Ev9", 1); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait(unknown, cancelled) = %v", err)
	}
	if err := r.WaitCount(done, 4); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitCount(4, cancelled) = %v", err)
	}
}
