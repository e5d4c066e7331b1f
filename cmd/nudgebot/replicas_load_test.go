package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nudgebot/nudgebot/internal/slacksim"
	"github.com/nudgebot/nudgebot/internal/store/postgres/pgtest"
)

// TestLoadReplicas measures two `nudgebot run` processes sharing one
// PostgreSQL schema, every message delivered to both, next to one process
// on SQLite with every message delivered once, in the same run and with
// the same traffic: NUDGE_LOAD_N agent messages (default 10,000; every
// fourth argumentative), paced at NUDGE_LOAD_RATE a second (default
// 1,000). It checks that every envelope is acked and every argumentative
// message nudged exactly once (none of the others), and prints
// messages/s and the message-to-nudge latency of each. Opt in with
// NUDGE_LOAD=1 (PostgreSQL also needs NUDGE_TEST_POSTGRES_URL):
//
//	NUDGE_LOAD=1 go test -run TestLoadReplicas -v ./cmd/nudgebot
func TestLoadReplicas(t *testing.T) {
	if os.Getenv("NUDGE_LOAD") != "1" {
		t.Skip("NUDGE_LOAD=1 not set")
	}
	n, rate := envInt(t, "NUDGE_LOAD_N", 10_000), envInt(t, "NUDGE_LOAD_RATE", 1000)
	var lines []string
	t.Run("sqlite, one replica", func(t *testing.T) {
		lines = append(lines, loadReplicas(t, "sqlite x1", 1, filepath.Join(t.TempDir(), "load.db"), n, rate))
	})
	t.Run("postgres, two replicas, every event to both", func(t *testing.T) {
		lines = append(lines, loadReplicas(t, "postgres x2", 2, pgtest.Schema(t, "replicas"), n, rate))
	})
	t.Logf("%d agent messages paced at %d/s, every fourth argumentative:", n, rate)
	for _, l := range lines {
		t.Log(l)
	}
}

// scoredSum adds up the store's scored counts, on PostgreSQL or SQLite.
func scoredSum(t *testing.T, dsn string) int {
	t.Helper()
	const q = `SELECT coalesce(sum(n), 0) FROM scored`
	if strings.HasPrefix(dsn, "postgres://") {
		return pgCount(t, dsn, q)
	}
	db, err := sql.Open("sqlite", dsn) // modernc's driver, linked in through the app
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// loadReplicas runs the traffic against that many replicas on dsn and
// returns its one-line figures.
func loadReplicas(t *testing.T, name string, replicas int, dsn string, n, rate int) string {
	const agents, channels = 50, 10
	sim := slacksim.Start(t, slacksim.Options{})
	var chans, users []string
	for c := range channels {
		chans = append(chans, fmt.Sprintf("C0LOAD%02d", c))
	}
	for a := range agents {
		users = append(users, fmt.Sprintf("U0AGENT%03d", a))
	}
	world(sim, chans, users)
	env := replicaEnv(sim, dsn)
	var rs []*replica
	for i := range replicas {
		rs = append(rs, startReplica(t, sim, fmt.Sprintf("%s-%d", name, i), env))
	}
	to := slacksim.ToAny
	if replicas > 1 {
		to = slacksim.ToAll
	}

	// Every message has a thread of its own, so its nudge names it.
	thread := func(i int) string { return fmt.Sprintf("1700000000.%06d", i) }
	eventOf := make([]string, n)
	arguing := 0
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	start := time.Now()
	for i := range n {
		<-tick.C
		text := polite
		if i%4 == 0 {
			text, arguing = argue, arguing+1
		}
		d := sim.Post(slacksim.Msg{Channel: chans[i%channels], User: users[(i/channels)%agents], Text: text,
			ThreadTS: thread(i), EventOpts: slacksim.EventOpts{To: to}})
		eventOf[i] = d.EventID
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := sim.WaitAcks(ctx, n*replicas); err != nil {
		t.Fatalf("acks: %v (got %d of %d)", err, sim.AckCount(), n*replicas)
	}
	if _, err := sim.WaitEphemerals(ctx, arguing); err != nil {
		t.Fatalf("nudges: %v", err)
	}
	elapsed := time.Since(start)
	split := ""
	for _, r := range rs {
		split += fmt.Sprintf(" %s:%v", r.name, r.metric(t, "nudgebot_messages_scored_total"))
	}
	for _, r := range rs {
		if code := r.stop(t, syscall.SIGTERM); code != 0 {
			t.Errorf("replica %s exit code %d after SIGTERM, want 0", r.name, code)
		}
	}

	sentAt := map[string]time.Time{}
	for _, e := range sim.Delivered() {
		if at, ok := sentAt[e.EventID]; !ok || e.At.Before(at) {
			sentAt[e.EventID] = e.At
		}
	}
	nudges := map[string][]time.Time{}
	for _, e := range sim.Ephemerals() {
		nudges[e.ThreadTS] = append(nudges[e.ThreadTS], e.At)
	}
	var e2e []time.Duration
	for i := range n {
		got := nudges[thread(i)]
		switch want := i%4 == 0; {
		case want && len(got) == 1:
			e2e = append(e2e, got[0].Sub(sentAt[eventOf[i]]))
		case want:
			t.Errorf("argumentative message %d: %d nudges, want 1", i, len(got))
		case len(got) > 0:
			t.Errorf("polite message %d: %d nudges, want 0", i, len(got))
		}
	}
	if got := scoredSum(t, dsn); got != n {
		t.Errorf("the store counts %d messages scored, want %d: each once, by one replica", got, n)
	}
	if len(sim.Unacked()) != 0 {
		t.Errorf("%d envelopes never acked", len(sim.Unacked()))
	}
	return fmt.Sprintf("%-12s %d envelopes acked, %d argumentative, %d nudged once; %.0f messages/s over %v; "+
		"message to nudge p50 %v p99 %v max %v; messages scored by replica:%s",
		name, n*replicas, arguing, len(e2e), float64(n)/elapsed.Seconds(), elapsed.Round(time.Millisecond),
		pct(e2e, 50), pct(e2e, 99), pct(e2e, 100), split)
}
