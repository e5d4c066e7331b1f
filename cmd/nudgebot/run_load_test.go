package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/nudgebot/nudgebot/internal/slacksim"
)

// TestLoad runs `nudgebot run` as its own process against the simulator
// and sends it NUDGE_LOAD_N agent messages (default 10,000; every fourth
// argumentative) through one Socket Mode connection, paced at
// NUDGE_LOAD_RATE a second (default 1,000). It checks that every envelope
// is acked and every argumentative message nudged exactly once, and
// prints the ack latency, message-to-nudge latency, throughput and the bot
// process's peak RSS. Opt in with NUDGE_LOAD=1:
//
//	NUDGE_LOAD=1 go test -run TestLoad -v ./cmd/nudgebot
func TestLoad(t *testing.T) {
	if os.Getenv("NUDGE_LOAD") != "1" {
		t.Skip("NUDGE_LOAD=1 not set")
	}
	n, rate := envInt(t, "NUDGE_LOAD_N", 10_000), envInt(t, "NUDGE_LOAD_RATE", 1000)
	const agents, channels = 50, 10
	sim := slacksim.Start(t, slacksim.Options{})
	var members []string
	for i := range agents {
		id := fmt.Sprintf("U0AGENT%03d", i)
		sim.AddUser(slacksim.User{ID: id})
		members = append(members, id)
	}
	for c := range channels {
		sim.AddChannel(slacksim.Channel{ID: fmt.Sprintf("C0LOAD%02d", c), Members: append(members, sim.BotUserID)})
	}
	env := replicaEnv(sim, filepath.Join(t.TempDir(), "load.db"))
	r := startReplica(t, sim, "load", env)

	type pair struct{ channel, user string }
	var eventIDs []string
	arguing := map[pair][]string{} // event IDs of argumentative messages, in order
	total := 0
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	start := time.Now()
	for i := range n {
		<-tick.C
		p := pair{fmt.Sprintf("C0LOAD%02d", i%channels), fmt.Sprintf("U0AGENT%03d", (i/channels)%agents)}
		text := polite
		if i%4 == 0 {
			text = argue
		}
		d := sim.Post(slacksim.Msg{Channel: p.channel, User: p.user, Text: text})
		eventIDs = append(eventIDs, d.EventID)
		if i%4 == 0 {
			arguing[p] = append(arguing[p], d.EventID)
			total++
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := sim.WaitAcks(ctx, n); err != nil {
		t.Fatalf("acks: %v (got %d of %d)", err, sim.AckCount(), n)
	}
	if _, err := sim.WaitEphemerals(ctx, total); err != nil {
		t.Fatalf("nudges: %v", err)
	}
	elapsed := time.Since(start)
	if code := r.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	rss := r.cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024

	// Each pair's nudges arrive in the order of its messages (one channel
	// is one worker, and a pair's messages are far apart), so the k-th
	// nudge to a pair answers its k-th argumentative message.
	sentAt := map[string]time.Time{}
	for _, e := range sim.Delivered() {
		sentAt[e.EventID] = e.At
	}
	got := map[pair][]time.Time{}
	for _, e := range sim.Ephemerals() {
		p := pair{e.Channel, e.User}
		got[p] = append(got[p], e.At)
	}
	var e2e []time.Duration
	for p, ids := range arguing {
		if len(got[p]) != len(ids) {
			t.Errorf("%v: %d nudges for %d argumentative messages", p, len(got[p]), len(ids))
			continue
		}
		for k, id := range ids {
			e2e = append(e2e, got[p][k].Sub(sentAt[id]))
		}
	}
	if len(sim.Ephemerals()) != total {
		t.Errorf("%d nudges for %d argumentative messages", len(sim.Ephemerals()), total)
	}
	acks := sim.AckLatencies()
	if len(acks) != n || len(sim.Unacked()) != 0 {
		t.Errorf("%d acks, %d unacked, for %d messages", len(acks), len(sim.Unacked()), n)
	}
	report := []string{
		fmt.Sprintf("load: %d agent messages, one Socket Mode connection, paced at %d/s; bot in its own process", n, rate),
		fmt.Sprintf("acked %d of %d; argumentative %d, nudged %d", len(acks), n, total, len(e2e)),
		fmt.Sprintf("ack latency: p50 %v p99 %v max %v", pct(acks, 50), pct(acks, 99), pct(acks, 100)),
		fmt.Sprintf("message to nudge: p50 %v p99 %v max %v", pct(e2e, 50), pct(e2e, 99), pct(e2e, 100)),
		fmt.Sprintf("sustained: %.0f messages/s over %v", float64(n)/elapsed.Seconds(), elapsed.Round(time.Millisecond)),
		fmt.Sprintf("bot peak RSS: %.1f MB", float64(rss)/(1<<20)),
	}
	for _, l := range report {
		t.Log(l)
	}
}

func envInt(t *testing.T, k string, def int) int {
	t.Helper()
	v := os.Getenv(k)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive number", k, v)
	}
	return n
}
