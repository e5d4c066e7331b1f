package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/nudgebot/nudgebot/internal/slacksim"
	"github.com/nudgebot/nudgebot/internal/store/postgres/pgtest"
	"github.com/nudgebot/nudgebot/internal/store/storetest"
)

// TestReplicaStoreOutage puts a proxy between two replicas and
// PostgreSQL and cuts it, as a database restart or a network fault
// would: both processes keep running, /readyz goes 503 on both and back
// to 200 by itself after the restore, and messages after it, delivered to
// both, are nudged once each. Messages sent during the cut are dropped
// today; that check waits for the bot to retry them.
func TestReplicaStoreOutage(t *testing.T) {
	dsn := pgtest.Schema(t, "replicas")
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := storetest.NewProxy(t, u.Host)
	u.Host = proxy.Addr()
	sim := slacksim.Start(t, slacksim.Options{})
	const channel = "COUTAGE"
	agents := []string{"UOUT1", "UOUT2", "UOUT3", "UOUT4"}
	world(sim, []string{channel}, agents)
	env := replicaEnv(sim, u.String())
	rs := []*replica{startReplica(t, sim, "a", env), startReplica(t, sim, "b", env)}
	ctx, cancel := context.WithTimeout(context.Background(), replicaWait)
	defer cancel()

	post := func(i int) {
		sim.Post(slacksim.Msg{Channel: channel, User: agents[i], Text: argue, EventOpts: slacksim.EventOpts{To: slacksim.ToAll}})
	}
	allReady := func(want int) func() bool {
		return func() bool {
			for _, r := range rs {
				if r.readyz(t) != want {
					return false
				}
			}
			return true
		}
	}
	eventually(t, replicaWait, "both /readyz 200", allReady(http.StatusOK))
	post(0)
	if err := sim.WaitFor(ctx, func() bool { return nudgesTo(sim)[channel+"/"+agents[0]] == 1 }); err != nil {
		t.Fatalf("before the outage: %v", err)
	}
	const dup = `nudgebot_messages_skipped_total{reason="duplicate"}`
	eventually(t, replicaWait, "the other copy of the first message to be skipped", func() bool {
		return rs[0].metric(t, dup)+rs[1].metric(t, dup) == 1
	})

	proxy.Cut()
	eventually(t, replicaWait, "both /readyz 503 with the store cut off", allReady(http.StatusServiceUnavailable))
	post(1)
	post(2)
	eventually(t, replicaWait, "the replicas to put both messages aside until the store is back", func() bool {
		aside := map[any]bool{}
		for _, r := range rs {
			for _, l := range r.logs.lines("message put aside: the store is unavailable") {
				aside[l["user_id"]] = true
			}
		}
		return aside[agents[1]] && aside[agents[2]]
	})

	proxy.Restore()
	eventually(t, replicaWait, "both /readyz 200 after the restore", allReady(http.StatusOK))
	post(3)
	if err := sim.WaitFor(ctx, func() bool { return nudgesTo(sim)[channel+"/"+agents[3]] == 1 }); err != nil {
		t.Errorf("after the restore: %v", err)
	}
	for _, r := range rs {
		if !r.running() {
			t.Fatalf("replica %s exited during the outage: %v", r.name, r.err)
		}
	}

	t.Run("sent during the outage", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := sim.WaitFor(ctx, func() bool {
			got := nudgesTo(sim)
			return got[channel+"/"+agents[1]] > 0 && got[channel+"/"+agents[2]] > 0
		})
		if err != nil {
			t.Errorf("messages sent during the outage: %v", err)
		}
	})

	for _, r := range rs {
		if code := r.stop(t, syscall.SIGTERM); code != 0 {
			t.Errorf("replica %s exit code %d after SIGTERM, want 0", r.name, code)
		}
	}
	got := nudgesTo(sim)
	for i, a := range agents {
		if n := got[channel+"/"+a]; n > 1 {
			t.Errorf("message %d: nudged %d times", i, n)
		}
	}
	t.Logf("nudges per agent: %v", fmt.Sprint(got))
}
