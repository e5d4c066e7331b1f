package slackbot

import (
	"sync"
	"time"

	"go.uber.org/zap"
)

// later holds jobs set aside to run again after a delay: a message whose
// store call found the database unavailable, or a copy of an event that
// another claimant holds under a lease. Run owns it: it stops the timers
// and waits for those firing before it closes the queues, so a timer
// never sends on a closed queue and no timer outlives Run.
type later struct {
	b      *Bot
	queues []chan job
	max    int

	mu     sync.Mutex
	timers map[*time.Timer]job
	closed bool
	stop   chan struct{} // closed by close, unblocks a full queue
	wg     sync.WaitGroup
}

func newLater(b *Bot, queues []chan job, max int) *later {
	return &later{b: b, queues: queues, max: max, timers: map[*time.Timer]job{}, stop: make(chan struct{})}
}

// after re-queues j to its shard once d has passed. When it cannot hold
// j it says why, as the reason to drop j with: "shutdown" when the bot is
// stopping, "held_full" when it already holds max jobs; else "". held,
// if not nil, runs once j is held and before its timer can re-queue it.
func (l *later) after(j job, d time.Duration, held func()) (refused string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return "shutdown"
	}
	if len(l.timers) >= l.max {
		return "held_full"
	}
	l.wg.Add(1)
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		defer l.wg.Done()
		l.mu.Lock()
		_, held := l.timers[t]
		delete(l.timers, t)
		l.b.m.held.Set(float64(len(l.timers)))
		l.mu.Unlock()
		if !held {
			return // close took it
		}
		select {
		case l.queues[shard(j.key, len(l.queues))] <- j:
		case <-l.stop:
			l.b.dropped(j, "shutdown")
		}
	})
	l.timers[t] = j
	l.b.m.held.Set(float64(len(l.timers)))
	if held != nil {
		held() // under l.mu: the timer's func waits for it
	}
	return ""
}

// held is how many jobs wait.
func (l *later) held() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.timers)
}

// close stops every timer (their jobs are dropped and counted), refuses
// new ones, and waits for the timers already firing.
func (l *later) close() {
	l.mu.Lock()
	l.closed = true
	close(l.stop)
	n := 0
	for t, j := range l.timers {
		if t.Stop() {
			l.wg.Done() // its func will never run
		}
		delete(l.timers, t)
		l.b.dropped(j, "shutdown")
		n++
	}
	l.b.m.held.Set(0)
	l.mu.Unlock()
	l.wg.Wait()
	if n > 0 {
		l.b.log.Warn("stopped with messages waiting to be retried", zap.Int("dropped", n))
	}
}
