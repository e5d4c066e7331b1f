package app_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/nudgebot/nudgebot/internal/app"
	"github.com/nudgebot/nudgebot/internal/slacksim"
	"github.com/nudgebot/nudgebot/internal/store/postgres/pgtest"
)

// status GETs url and returns its status code.
func status(t testing.TB, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// until polls cond every 20 ms for up to d: for what the sim cannot wake
// a test on, such as /readyz.
func until(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", d, what)
		}
		<-tick.C
	}
}

// TestStoreOutage cuts the bot off from PostgreSQL and lets it back: the
// bot keeps running, /readyz goes 503 and then 200 again by itself, and
// messages after the restore are nudged once. Messages that arrive during
// the outage are dropped today (the bot acks first and does not retry a
// store.ErrUnavailable); the "sent during the outage" subtest asks for
// them to be nudged once after the restore.
func TestStoreOutage(t *testing.T) {
	dsn, proxy := pgtest.ViaProxy(t, pgtest.Schema(t, "app"))
	sim := newSim(t)
	cfg := simConfig(t, sim)
	cfg.Store = dsn
	cfg.Cooldown = 0
	r := run(t, sim, cfg, app.Options{})
	r.connected(t)
	ready := "http://" + r.app.HealthAddr() + "/readyz"

	// Each message is in its own thread, so its nudge says which it was.
	thread := func(i int) string { return fmt.Sprintf("1700000000.%06d", i) }
	post := func(i int) string {
		return sim.Post(slacksim.Msg{Channel: support, User: agent, ThreadTS: thread(i),
			Text: "As I already said, read the docs."}).EventID
	}
	nudged := func(i int) int {
		n := 0
		for _, e := range sim.Ephemerals() {
			if e.ThreadTS == thread(i) {
				n++
			}
		}
		return n
	}

	if h := r.obs.wait(t, post(1)); h.Outcome != "sent" {
		t.Fatalf("before the outage: %+v", h)
	}
	until(t, wait, "/readyz 200", func() bool { return status(t, ready) == http.StatusOK })

	proxy.Cut()
	until(t, wait, "/readyz 503 with the store cut off", func() bool { return status(t, ready) == http.StatusServiceUnavailable })
	during := []string{post(2), post(3)}
	for i, id := range during {
		h := r.obs.wait(t, id)
		t.Logf("message %d, during the outage: outcome %q, err %v", i+2, h.Outcome, h.Err)
	}

	proxy.Restore()
	until(t, wait, "/readyz 200 after the restore", func() bool { return status(t, ready) == http.StatusOK })
	if h := r.obs.wait(t, post(4)); h.Outcome != "sent" {
		t.Errorf("after the restore: %+v", h)
	}
	select {
	case err := <-r.done:
		r.done <- err
		t.Fatalf("Run returned %v during the outage", err)
	default:
	}
	if code := status(t, "http://"+r.app.HealthAddr()+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d, want 200", code)
	}
	for _, i := range []int{1, 4} {
		if n := nudged(i); n != 1 {
			t.Errorf("message %d: %d nudges, want 1", i, n)
		}
	}

	t.Run("sent during the outage", func(t *testing.T) {
		// Long enough for a retry's backoff to reach the restored store.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := sim.WaitFor(ctx, func() bool { return nudged(2) >= 1 && nudged(3) >= 1 })
		for _, i := range []int{2, 3} {
			if n := nudged(i); n != 1 {
				t.Errorf("message %d, sent during the outage: %d nudges after the restore, want 1 (%v)", i, n, err)
			}
		}
	})
}

// pendingFix skips t unless NUDGE_TEST_PENDING_FIXES=1: t asserts what
// DESIGN asks and the bot does not do yet; the request for the fix is in
// /work/briefs/requests-slackbot.md. Drop the call once the fix lands.
func pendingFix(t *testing.T, request string) {
	t.Helper()
	if os.Getenv("NUDGE_TEST_PENDING_FIXES") != "1" {
		t.Skipf("pending a fix in internal/slackbot (%s); NUDGE_TEST_PENDING_FIXES=1 runs it", request)
	}
}
