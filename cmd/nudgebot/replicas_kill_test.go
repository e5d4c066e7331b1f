package main

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/nudgebot/nudgebot/internal/slacksim"
	"github.com/nudgebot/nudgebot/internal/store/postgres/pgtest"
)

// stream is a run of argumentative messages, one per agent, spread over
// a few channels so that both replicas' workers take part.
type stream struct {
	channels []string
	agents   []string
}

func newStream(sim *slacksim.Sim, channels, perChannel int) stream {
	var s stream
	for c := range channels {
		s.channels = append(s.channels, fmt.Sprintf("CSTREAM%d", c))
	}
	for i := range channels * perChannel {
		s.agents = append(s.agents, fmt.Sprintf("USTREAM%03d", i))
	}
	world(sim, s.channels, s.agents)
	return s
}

// msg is the stream's i-th message: agent i in channel i mod channels.
func (s stream) msg(i int, to slacksim.Target) slacksim.Msg {
	return slacksim.Msg{Channel: s.channels[i%len(s.channels)], User: s.agents[i], Text: argue,
		EventOpts: slacksim.EventOpts{To: to}}
}

// checkOnce fails t unless every agent of the stream got exactly one
// nudge, in its own channel, and nobody else got any.
func (s stream) checkOnce(t *testing.T, sim *slacksim.Sim) {
	t.Helper()
	got := nudgesTo(sim)
	lost := 0
	for i, a := range s.agents {
		k := s.channels[i%len(s.channels)] + "/" + a
		switch n := got[k]; n {
		case 0:
			lost++
			t.Errorf("message %d (%s): not nudged", i, k)
		case 1:
		default:
			t.Errorf("message %d (%s): nudged %d times", i, k, n)
		}
		delete(got, k)
	}
	for k, n := range got {
		t.Errorf("%d unexpected nudges to %s", n, k)
	}
	if lost > 0 {
		t.Logf("%d of %d messages lost", lost, len(s.agents))
	}
}

// play posts n messages of s, one every gap, and calls mid (in its own
// goroutine) after half of them.
func (s stream) play(n int, gap time.Duration, to func(i int) slacksim.Target, sim *slacksim.Sim, mid func()) {
	tick := time.NewTicker(gap)
	defer tick.Stop()
	for i := range n {
		if i == n/2 {
			go mid()
		}
		sim.Post(s.msg(i, to(i)))
		<-tick.C
	}
}

// TestReplicaSIGTERM stops one of two replicas mid-stream with SIGTERM,
// and right then sends it a burst of its own. It drains the events it
// acked; Slack (the sim) redelivers the ones it did not ack to the other
// replica; so every message is nudged exactly once.
func TestReplicaSIGTERM(t *testing.T) {
	dsn := pgtest.Schema(t, "replicas")
	sim := slacksim.Start(t, slacksim.Options{Redeliver: true, AckTimeout: time.Second})
	const steady, burst = 60, 30
	s := newStream(sim, 6, (steady+burst)/6)
	env := replicaEnv(sim, dsn)
	a := startReplica(t, sim, "a", env)
	b := startReplica(t, sim, "b", env)

	s.play(steady, 20*time.Millisecond, func(int) slacksim.Target { return slacksim.ToAny }, sim, func() {
		// A third of the burst is in a's hands when the signal lands.
		for i := steady; i < steady+burst; i++ {
			if i == steady+burst/3 {
				a.cmd.Process.Signal(syscall.SIGTERM)
			}
			// Once a's socket is closed, Slack sends to the other.
			if d := sim.Post(s.msg(i, slacksim.ToConn(a.conn))); len(d.EnvelopeIDs) == 0 {
				sim.Post(s.msg(i, slacksim.ToAny))
			}
		}
	})
	if code := a.wait(t); code != 0 {
		t.Errorf("replica a exit code %d after SIGTERM, want 0", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), replicaWait)
	defer cancel()
	if _, err := sim.WaitEphemerals(ctx, len(s.agents)); err != nil {
		t.Errorf("nudges: %v", err)
	}
	if code := b.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("replica b exit code %d after SIGTERM, want 0", code)
	}
	s.checkOnce(t, sim)

	toA, retried := 0, 0
	for _, e := range sim.Delivered() {
		if e.ConnID == a.conn {
			toA++
		}
		if e.RetryAttempt > 0 {
			retried++
		}
	}
	t.Logf("%d envelopes went to a, %d acked by it, %d nudged by it; %d redelivered",
		toA, ackedOn(sim, a.conn), len(a.logs.lines("nudge")), retried)
	if a.logs.lines("drain timed out; abandoning the rest") != nil {
		t.Error("replica a abandoned acked events at shutdown")
	}
}

// ackedOn counts the acks read on one connection.
func ackedOn(sim *slacksim.Sim, conn int) int {
	n := 0
	for _, a := range sim.Acks() {
		if a.ConnID == conn {
			n++
		}
	}
	return n
}

// TestReplicaSIGKILL kills one of two replicas mid-stream with SIGKILL,
// every event delivered to both. The other replica nudges every message:
// those sent after the kill at once, those the killed one had claimed once
// its lease runs out.
//
// A message is nudged twice only in the one window at-least-once delivery
// leaves: the killed replica's post reached Slack, and it died before
// marking the event done, so the survivor, finding the claim expired,
// posts again. Nothing can close that window (a post and a database write
// are not one transaction, and Slack has no idempotency key for
// chat.postEphemeral), so the test checks that every duplicate is exactly
// that: a first post before the kill, a second a lease later.
func TestReplicaSIGKILL(t *testing.T) {
	dsn := pgtest.Schema(t, "replicas")
	sim := slacksim.Start(t, slacksim.Options{Redeliver: true, AckTimeout: time.Second})
	s := newStream(sim, 4, 25)
	env := replicaEnv(sim, dsn)
	a := startReplica(t, sim, "a", env)
	b := startReplica(t, sim, "b", env)

	after := -1 // the first message posted once a was dead
	s.play(len(s.agents), 5*time.Millisecond, func(i int) slacksim.Target {
		if after < 0 && !a.running() {
			after = i
		}
		return slacksim.ToAll
	}, sim, func() { a.cmd.Process.Signal(syscall.SIGKILL) })
	a.wait(t)
	died := time.Now() // a is gone: no post of its can reach the sim after this
	if after < 0 {
		t.Fatal("replica a outlived the stream")
	}
	ctx, cancel := context.WithTimeout(context.Background(), replicaWait)
	defer cancel()
	err := sim.WaitFor(ctx, func() bool { return s.allNudged(sim, after) })
	if err != nil {
		t.Errorf("waiting for b to nudge the messages sent after the kill: %v", err)
	}
	t.Run("every message, at most once but for the window", func(t *testing.T) {
		// b takes over what a died holding once a's lease runs out.
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		if err := sim.WaitFor(ctx, func() bool { return s.allNudged(sim, 0) }); err != nil {
			t.Errorf("waiting for every message to be nudged: %v", err)
		}
		s.checkOnceBut(t, sim, died)
	})
	if code := b.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("replica b exit code %d after SIGTERM, want 0", code)
	}
	t.Logf("a killed before message %d of %d", after, len(s.agents))
}

// allNudged reports whether every message of s from the from-th on has
// been nudged.
func (s stream) allNudged(sim *slacksim.Sim, from int) bool {
	got := nudgesTo(sim)
	for i := from; i < len(s.agents); i++ {
		if got[s.channels[i%len(s.channels)]+"/"+s.agents[i]] == 0 {
			return false
		}
	}
	return true
}

// checkOnceBut is checkOnce, except that a message may be nudged twice
// when the first post reached the sim before died (the killed replica's)
// and the second came at least a lease later (the survivor's takeover).
func (s stream) checkOnceBut(t *testing.T, sim *slacksim.Sim, died time.Time) {
	t.Helper()
	posts := map[string][]time.Time{}
	for _, e := range sim.Ephemerals() {
		k := e.Channel + "/" + e.User
		posts[k] = append(posts[k], e.At)
	}
	window := 0
	for i, a := range s.agents {
		k := s.channels[i%len(s.channels)] + "/" + a
		switch at := posts[k]; {
		case len(at) == 0:
			t.Errorf("message %d (%s): not nudged", i, k)
		case len(at) == 2 && at[0].Before(died) && at[1].Sub(at[0]) >= defaultLease-time.Second:
			window++ // posted by a, which died before marking it done
		case len(at) > 1:
			t.Errorf("message %d (%s): nudged %d times, at %v", i, k, len(at), at)
		}
		delete(posts, k)
	}
	for k, at := range posts {
		t.Errorf("%d unexpected nudges to %s", len(at), k)
	}
	t.Logf("%d messages nudged twice: posted by the killed replica just before it died, and again by the survivor a lease later", window)
}

// defaultLease is the bot's event lease (slackbot.Options.EventLease's
// default), which the replicas run with.
const defaultLease = 30 * time.Second

// TestReplicaSIGKILLClaimant is the loss TestReplicaSIGKILL can only
// catch by chance, made certain: replica a takes an event and dies before
// its nudge is posted (held by a 429); the same event then reaches b, as
// Slack's copy to a second connection would. b must nudge it.
func TestReplicaSIGKILLClaimant(t *testing.T) {
	dsn := pgtest.Schema(t, "replicas")
	sim := slacksim.Start(t, slacksim.Options{})
	world(sim, []string{"CKILL"}, []string{"UKILL"})
	env := replicaEnv(sim, dsn)
	a := startReplica(t, sim, "a", env)
	b := startReplica(t, sim, "b", env)
	// Long enough for a's lease on the event to run out.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	sim.RateLimit("chat.postEphemeral", 1, 30*time.Second)
	m := slacksim.Msg{Channel: "CKILL", User: "UKILL", Text: argue, EventOpts: slacksim.EventOpts{To: slacksim.ToConn(a.conn)}}
	d := sim.Post(m)
	if err := sim.WaitFor(ctx, func() bool { return len(sim.Calls("chat.postEphemeral")) == 1 }); err != nil {
		t.Fatalf("a's post: %v", err)
	}
	a.stop(t, syscall.SIGKILL)
	m.TS, m.EventID, m.To = d.TS, d.EventID, slacksim.ToConn(b.conn)
	sim.Post(m)
	if _, err := sim.WaitEphemerals(ctx, 1); err != nil {
		t.Errorf("the event a died holding was never nudged: %v (b skipped %v as duplicates)",
			err, b.metric(t, `nudgebot_messages_skipped_total{reason="duplicate"}`))
	}
}
