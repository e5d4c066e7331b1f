package slackbot_test

import (
	"context"
	"testing"
	"time"

	"github.com/nudgebot/nudgebot/internal/slackbot"
	"github.com/nudgebot/nudgebot/internal/slacksim"
	"github.com/nudgebot/nudgebot/internal/store"
	"github.com/nudgebot/nudgebot/internal/store/postgres"
	"github.com/nudgebot/nudgebot/internal/store/postgres/pgtest"
	"github.com/nudgebot/nudgebot/internal/store/storetest"
)

// TestDeadClaimantTakenOver plays a replica that claimed an event, took
// the agent's cooldown and recorded the nudge, then died before posting:
// the copy that reaches this bot waits out the lease, takes the event
// over and nudges once, and stats count the message once.
func TestDeadClaimantTakenOver(t *testing.T) {
	const lease = 30 * time.Second
	h := start(t, func(o *slackbot.Options) { o.EventLease = lease })
	ctx := h.ctx()
	now := h.clock.Now()
	const ts, ev = "1700000000.000100", "EvDEAD"
	if first, _, err := h.store.MarkEvent(ctx, ev, now, now.Add(lease)); err != nil || !first {
		t.Fatalf("dead claimant's MarkEvent = %v, %v", first, err)
	}
	if ok, err := h.store.ClaimCooldown(ctx, h.sim.TeamID, support, agent, ev, now, 10*time.Minute); err != nil || !ok {
		t.Fatalf("dead claimant's ClaimCooldown = %v, %v", ok, err)
	}
	if _, err := h.store.RecordNudge(ctx, store.Nudge{Team: h.sim.TeamID, Channel: support, User: agent,
		MessageTS: ts, Family: "repeat", Outcome: store.Sent, At: now}); err != nil {
		t.Fatal(err)
	}

	d := h.sim.Post(slacksim.Msg{Channel: support, User: agent, Text: argue, TS: ts, EventOpts: slacksim.EventOpts{EventID: ev}})
	// The copy found the lease and was put aside: let the lease end.
	h.waitMetric("nudgebot_event_rechecks_total", nil, 1, "the copy was never put aside to look again")
	if n := len(h.ephemeralsTo(agent)); n != 0 {
		t.Fatalf("%d ephemerals while the claimant's lease runs, want 0", n)
	}
	h.clock.Add(lease)
	hd := h.obs.one(t, d.EventID)
	if hd.Outcome != string(store.Sent) || hd.Err != nil {
		t.Fatalf("copy after the dead claimant's lease: %+v, want sent", hd)
	}
	if n := len(h.ephemeralsTo(agent)); n != 1 {
		t.Errorf("%d ephemerals, want 1", n)
	}
	st, err := h.store.Stats(ctx, store.Since{Team: h.sim.TeamID, From: now.Add(-time.Hour), To: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if st.Sent != 1 {
		t.Errorf("Stats().Sent = %d, want 1: the message was recorded twice", st.Sent)
	}
	// The taker finished the event: a later copy is a duplicate at once.
	h.sim.Post(slacksim.Msg{Channel: support, User: agent, Text: argue, TS: ts,
		EventOpts: slacksim.EventOpts{EventID: ev, RetryAttempt: 1, RetryReason: "timeout"}})
	if got := h.obs.wait(t, ev, 2)[1]; got.Outcome != "skipped:duplicate" {
		t.Errorf("copy after the take-over: %+v, want skipped:duplicate", got)
	}
}

// TestLiveClaimantCopyIsDuplicate: a copy that finds the event under a
// live claimant's lease waits, and once the claimant finishes it is a
// duplicate, not nudged.
func TestLiveClaimantCopyIsDuplicate(t *testing.T) {
	h := start(t)
	ctx := h.ctx()
	now := h.clock.Now()
	const ev = "EvLIVE"
	if first, _, err := h.store.MarkEvent(ctx, ev, now, now.Add(30*time.Second)); err != nil || !first {
		t.Fatalf("claimant's MarkEvent = %v, %v", first, err)
	}
	d := h.sim.Post(slacksim.Msg{Channel: support, User: agent, Text: argue, EventOpts: slacksim.EventOpts{EventID: ev}})
	h.waitMetric("nudgebot_event_rechecks_total", nil, 1, "the copy was never put aside to look again")
	if err := h.store.FinishEvent(ctx, ev, now.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if hd := h.obs.one(t, d.EventID); hd.Outcome != "skipped:duplicate" {
		t.Errorf("copy of a finished event: %+v, want skipped:duplicate", hd)
	}
	if n := len(h.ephemeralsTo(agent)); n != 0 {
		t.Errorf("%d ephemerals, want 0", n)
	}
}

// TestPostFailedIsRecorded: a nudge recorded as sent before its post is
// marked failed when the post fails for good, and stats do not count it.
func TestPostFailedIsRecorded(t *testing.T) {
	h := start(t, func(o *slackbot.Options) { o.Retries = 1 })
	h.sim.RateLimit("chat.postEphemeral", 5, 0)
	_, hd := h.post(slacksim.Msg{Channel: support, User: agent, Text: argue})
	if hd.Outcome != string(store.Failed) || hd.Err == nil || hd.NudgeID == 0 {
		t.Fatalf("%+v, want failed with an error", hd)
	}
	n, err := h.store.Nudge(h.ctx(), hd.NudgeID)
	if err != nil || n.Outcome != store.Failed {
		t.Errorf("Nudge(%d) = %+v, %v, want outcome failed", hd.NudgeID, n, err)
	}
	if got := h.metric("nudgebot_nudges_total", map[string]string{"outcome": "failed"}); got != 1 {
		t.Errorf("nudgebot_nudges_total{outcome=failed} = %v, want 1", got)
	}
	if got := h.metric("nudgebot_nudges_total", map[string]string{"outcome": "sent"}); got != 0 {
		t.Errorf("nudgebot_nudges_total{outcome=sent} = %v, want 0: the post failed", got)
	}
}

// pgBehindProxy opens a PostgreSQL store in a fresh schema, through a
// storetest.Proxy that can cut it off; it skips t without
// NUDGE_TEST_POSTGRES_URL.
func pgBehindProxy(t *testing.T) (store.Store, *storetest.Proxy) {
	t.Helper()
	dsn, p := pgtest.ViaProxy(t, pgtest.Schema(t, "slackbot"))
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, p
}

func TestStoreOutageRetried(t *testing.T) {
	pg, proxy := pgBehindProxy(t)
	h := start(t, func(o *slackbot.Options) {
		o.Store = pg
		o.StoreRetry = 20 * time.Millisecond
	})
	proxy.Cut()
	d := h.sim.Post(slacksim.Msg{Channel: support, User: agent, Text: argue})
	if hd := h.obs.one(t, d.EventID); hd.Outcome != "retrying" || hd.Err == nil {
		t.Fatalf("during the outage: %+v, want retrying with an error", hd)
	}
	proxy.Restore()
	if hd := h.obs.wait(t, d.EventID, 2)[1]; hd.Outcome != string(store.Sent) || hd.Err != nil {
		t.Fatalf("after the restore: %+v, want sent", hd)
	}
	if n := len(h.ephemeralsTo(agent)); n != 1 {
		t.Errorf("%d ephemerals, want 1", n)
	}
	if got := h.metric("nudgebot_store_retries_total", nil); got < 1 {
		t.Errorf("nudgebot_store_retries_total = %v, want at least 1", got)
	}
	st, err := pg.Stats(h.ctx(), store.Since{Team: h.sim.TeamID, From: h.clock.Now().Add(-time.Hour), To: h.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if st.Scored != 1 || st.Sent != 1 {
		t.Errorf("Stats() = scored %d, sent %d, want 1, 1", st.Scored, st.Sent)
	}
}

func TestStoreOutageRetryBudget(t *testing.T) {
	pg, proxy := pgBehindProxy(t)
	h := start(t, func(o *slackbot.Options) {
		o.Store = pg
		o.StoreRetry = 10 * time.Millisecond
		o.StoreRetryFor = 200 * time.Millisecond
	})
	proxy.Cut()
	d := h.sim.Post(slacksim.Msg{Channel: support, User: agent, Text: argue})
	got := h.obs.wait(t, d.EventID, 2)
	if got[0].Outcome != "retrying" || got[1].Outcome != "dropped:store_unavailable" {
		t.Fatalf("outcomes %q, %q, want retrying, dropped:store_unavailable", got[0].Outcome, got[1].Outcome)
	}
	if n := h.metric("nudgebot_messages_dropped_total", map[string]string{"reason": "store_unavailable"}); n != 1 {
		t.Errorf("nudgebot_messages_dropped_total{store_unavailable} = %v, want 1", n)
	}
	if n := h.metric("nudgebot_store_retries_total", nil); n < 2 {
		t.Errorf("nudgebot_store_retries_total = %v, want several tries within the budget", n)
	}
	proxy.Restore()
	// Dropped for good: a later message goes through, the dropped one
	// never does.
	if _, hd := h.post(slacksim.Msg{Channel: support2, User: agent, Text: argue}); hd.Outcome != string(store.Sent) {
		t.Fatalf("after the restore: %+v", hd)
	}
	for _, e := range h.ephemeralsTo(agent) {
		if e.Channel == support {
			t.Errorf("the dropped message was nudged: %+v", e)
		}
	}
}

func TestShutdownStopsRetryTimers(t *testing.T) {
	pg, proxy := pgBehindProxy(t)
	h := start(t, func(o *slackbot.Options) {
		o.Store = pg
		o.StoreRetry = time.Hour
		o.StoreRetryFor = 10 * time.Hour
	})
	proxy.Cut()
	d := h.sim.Post(slacksim.Msg{Channel: support, User: agent, Text: argue})
	if hd := h.obs.one(t, d.EventID); hd.Outcome != "retrying" {
		t.Fatalf("during the outage: %+v", hd)
	}
	if got := h.metric("nudgebot_messages_held", nil); got != 1 {
		t.Errorf("nudgebot_messages_held = %v, want 1", got)
	}
	start := time.Now()
	h.stop()
	select {
	case err := <-h.done:
		h.done <- err // for the harness's cleanup
		if err != nil {
			t.Errorf("Run() = %v", err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return with a retry pending")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Run took %v to return, want it not to wait for the pending retry", took)
	}
	if hd := h.obs.wait(t, d.EventID, 2)[1]; hd.Outcome != "dropped:shutdown" {
		t.Errorf("at shutdown: %+v, want dropped:shutdown", hd)
	}
	if got := h.metric("nudgebot_messages_held", nil); got != 0 {
		t.Errorf("nudgebot_messages_held after Run = %v, want 0", got)
	}
}

// TestLeaseRenewedOverRateLimit: a claimant whose post waits out a 429
// renews its lease first, so a second replica that looks after the
// first lease would have ended still finds the event held and does not
// post the nudge too.
func TestLeaseRenewedOverRateLimit(t *testing.T) {
	const lease = 30 * time.Second
	h := start(t, func(o *slackbot.Options) { o.EventLease = lease })
	h.sim.RateLimit("chat.postEphemeral", 1, time.Second)
	d := h.sim.Post(slacksim.Msg{Channel: support, User: agent, Text: argue})
	h.waitMetric("nudgebot_slack_api_retries_total", map[string]string{"method": "chat.postEphemeral"}, 1,
		"the post never waited out its 429")
	// Waiting: the lease taken when the message arrived has ended.
	h.clock.Add(lease)
	now := h.clock.Now()
	first, held, err := h.store.MarkEvent(h.ctx(), d.EventID, now, now.Add(lease))
	if err != nil || first {
		t.Fatalf("second replica's MarkEvent after the first lease = %v, %v: the claim lapsed while the post waited", first, err)
	}
	if !held.After(now) {
		t.Errorf("held until %v, want after %v", held, now)
	}
	if hd := h.obs.one(t, d.EventID); hd.Outcome != string(store.Sent) || hd.Err != nil {
		t.Fatalf("%+v, want sent after the 429", hd)
	}
	if n := len(h.ephemeralsTo(agent)); n != 1 {
		t.Errorf("%d ephemerals, want 1", n)
	}
}

// TestLeaseTakenOverNotPosted: a claimant that finds, before waiting
// out a second 429, that another replica took its event over (its
// renewed lease ran out during the first wait) leaves the post to that
// replica: no nudge from it, and the record is not marked failed.
func TestLeaseTakenOverNotPosted(t *testing.T) {
	const lease = 30 * time.Second
	h := start(t, func(o *slackbot.Options) { o.EventLease = lease })
	h.sim.RateLimit("chat.postEphemeral", 2, time.Second)
	d := h.sim.Post(slacksim.Msg{Channel: support, User: agent, Text: argue})
	h.waitMetric("nudgebot_slack_api_retries_total", map[string]string{"method": "chat.postEphemeral"}, 1,
		"the post never waited out its 429")
	// During the first wait, the renewed lease ends and another replica
	// takes the event over.
	h.clock.Add(lease + 2*time.Second)
	now := h.clock.Now()
	if first, _, err := h.store.MarkEvent(h.ctx(), d.EventID, now, now.Add(lease)); err != nil || !first {
		t.Fatalf("the other replica's MarkEvent = %v, %v, want true", first, err)
	}
	hd := h.obs.one(t, d.EventID)
	if hd.Outcome != "skipped:taken_over" || hd.Err != nil {
		t.Fatalf("%+v, want skipped:taken_over", hd)
	}
	if n := len(h.ephemeralsTo(agent)); n != 0 {
		t.Errorf("%d ephemerals, want 0", n)
	}
	if n, err := h.store.Nudge(h.ctx(), hd.NudgeID); err != nil || n.Outcome != store.Sent {
		t.Errorf("Nudge(%d) = %+v, %v, want it left sent for the replica that took over", hd.NudgeID, n, err)
	}
	h.sim.RateLimit("chat.postEphemeral", 0, 0)
}
