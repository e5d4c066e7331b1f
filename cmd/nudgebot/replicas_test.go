package main

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/nudgebot/nudgebot/internal/slacksim"
	"github.com/nudgebot/nudgebot/internal/store"
	"github.com/nudgebot/nudgebot/internal/store/postgres"
	"github.com/nudgebot/nudgebot/internal/store/postgres/pgtest"
)

// These tests start real `nudgebot run` processes, each with its own
// Socket Mode connection to one simulator, sharing one PostgreSQL schema.

// world adds the users and channels a test talks in: every channel holds
// the bot and every agent.
func world(sim *slacksim.Sim, channels []string, agents []string) {
	for _, a := range agents {
		sim.AddUser(slacksim.User{ID: a})
	}
	members := append([]string{sim.BotUserID}, agents...)
	for _, c := range channels {
		sim.AddChannel(slacksim.Channel{ID: c, Members: members})
	}
}

func openStore(t *testing.T, dsn string) store.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestReplicasActAsOne runs two replicas and shows they behave as one
// bot: an event delivered to both, or retried onto the other connection,
// is nudged once; a cooldown and a snooze hold across them; a setting
// written by one is in force on the other for the next message; and the
// pruning at start removes expired event IDs and old records.
func TestReplicasActAsOne(t *testing.T) {
	dsn := pgtest.Schema(t, "replicas")
	ctx := context.Background()
	st := openStore(t, dsn)
	now := time.Now()

	// Old rows for the replicas' pruning to remove, and fresh ones for it
	// to keep.
	if _, _, err := st.MarkEvent(ctx, "EvEXPIRED", now.Add(-48*time.Hour), now.Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.MarkEvent(ctx, "EvLIVE", now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	oldID, err := st.RecordNudge(ctx, store.Nudge{Team: "T0SIM", Channel: "COLD", User: "UOLD", MessageTS: "1.000001",
		Family: "repeat", Score: 0.9, Outcome: store.Sent, At: now.Add(-100 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	keptID, err := st.RecordNudge(ctx, store.Nudge{Team: "T0SIM", Channel: "COLD", User: "UOLD", MessageTS: "1.000002",
		Family: "repeat", Score: 0.9, Outcome: store.Sent, At: now.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}

	sim := slacksim.Start(t, slacksim.Options{})
	const (
		cDup, cRetry, cCool, cSnooze, cSet = "CDUP", "CRETRY", "CCOOL", "CSNOOZE", "CSET"
		uDup, uRetry, uCool, uSnooze       = "UDUP", "URETRY", "UCOOL", "USNOOZE"
		uSet1, uSet2, uSet3                = "USET1", "USET2", "USET3"
		uManager                           = "UMANAGER"
	)
	world(sim, []string{cDup, cRetry, cCool, cSnooze, cSet},
		[]string{uDup, uRetry, uCool, uSnooze, uSet1, uSet2, uSet3, uManager})
	env := replicaEnv(sim, dsn)
	env["NUDGE_MANAGERS"] = uManager
	a := startReplica(t, sim, "a", env)
	b := startReplica(t, sim, "b", env)
	wctx, cancel := context.WithTimeout(ctx, replicaWait)
	defer cancel()

	t.Run("prune at start", func(t *testing.T) {
		eventually(t, 10*time.Second, "the 100-day-old nudge to be pruned", func() bool {
			_, err := st.Nudge(ctx, oldID)
			return errors.Is(err, store.ErrNotFound)
		})
		if _, err := st.Nudge(ctx, keptID); err != nil {
			t.Errorf("Nudge(an hour old) = %v, want it kept", err)
		}
		if n := pgCount(t, dsn, `SELECT count(*) FROM seen_events WHERE event_id = 'EvEXPIRED'`); n != 0 {
			t.Errorf("expired event ID: %d rows, want pruned", n)
		}
		if n := pgCount(t, dsn, `SELECT count(*) FROM seen_events WHERE event_id = 'EvLIVE'`); n != 1 {
			t.Errorf("live event ID: %d rows, want kept", n)
		}
	})

	sent := 0 // message envelopes delivered
	replies := 0
	// slash runs a /nudge command through one replica and waits for its
	// reply, which the bot posts once the change is stored.
	slash := func(user, channel, text string, via *replica) {
		t.Helper()
		sim.SlashCommand(slacksim.Slash{User: user, Channel: channel, Text: text, To: slacksim.ToConn(via.conn)})
		replies++
		posts, err := sim.WaitResponseURLPosts(wctx, replies)
		if err != nil {
			t.Fatalf("/nudge %s through %s: %v", text, via.name, err)
		}
		t.Logf("/nudge %s through %s: %q", text, via.name, posts[replies-1].Text)
	}
	post := func(m slacksim.Msg) slacksim.Delivery {
		d := sim.Post(m)
		sent += len(d.EnvelopeIDs)
		return d
	}

	// The same event to both connections at once.
	if d := post(slacksim.Msg{Channel: cDup, User: uDup, Text: argue, EventOpts: slacksim.EventOpts{To: slacksim.ToAll}}); len(d.EnvelopeIDs) != 2 {
		t.Fatalf("ToAll wrote %d envelopes, want 2", len(d.EnvelopeIDs))
	}
	// An event to a, and Slack's retry of it onto b.
	d := post(slacksim.Msg{Channel: cRetry, User: uRetry, Text: argue, EventOpts: slacksim.EventOpts{To: slacksim.ToConn(a.conn)}})
	post(slacksim.Msg{Channel: cRetry, User: uRetry, Text: argue, TS: d.TS, EventOpts: slacksim.EventOpts{
		EventID: d.EventID, RetryAttempt: 1, RetryReason: "timeout", To: slacksim.ToConn(b.conn)}})

	// A channel cooldown set through b, and two messages of one agent,
	// one to each.
	slash(uManager, cCool, "cooldown 1h", b)
	if set, err := st.Settings(ctx, sim.TeamID, cCool); err != nil || set[store.KeyCooldown] == "" {
		t.Fatalf("%s settings after /nudge cooldown = %v, %v", cCool, set, err)
	}
	post(slacksim.Msg{Channel: cCool, User: uCool, Text: argue, EventOpts: slacksim.EventOpts{To: slacksim.ToConn(a.conn)}})
	post(slacksim.Msg{Channel: cCool, User: uCool, Text: argue, EventOpts: slacksim.EventOpts{To: slacksim.ToConn(b.conn)}})

	// An agent who snoozed through a, one message to each.
	slash(uSnooze, cSnooze, "snooze 1h", a)
	if until, err := st.SnoozedUntil(ctx, sim.TeamID, uSnooze, time.Now()); err != nil || until.IsZero() {
		t.Fatalf("SnoozedUntil after /nudge snooze = %v, %v", until, err)
	}
	post(slacksim.Msg{Channel: cSnooze, User: uSnooze, Text: argue, EventOpts: slacksim.EventOpts{To: slacksim.ToConn(a.conn)}})
	post(slacksim.Msg{Channel: cSnooze, User: uSnooze, Text: argue, EventOpts: slacksim.EventOpts{To: slacksim.ToConn(b.conn)}})

	// A channel b nudges in; switched off through a, b's next message
	// there is not nudged; switched on again through b, a's next one is.
	post(slacksim.Msg{Channel: cSet, User: uSet1, Text: argue, EventOpts: slacksim.EventOpts{To: slacksim.ToConn(b.conn)}})
	if err := sim.WaitFor(wctx, func() bool { return nudgesTo(sim)[cSet+"/"+uSet1] == 1 }); err != nil {
		t.Fatalf("first message in %s: %v", cSet, err)
	}
	slash(uManager, cSet, "off", a)
	if set, err := st.Settings(ctx, sim.TeamID, cSet); err != nil || set[store.KeyEnabled] != "off" {
		t.Fatalf("%s settings after /nudge off = %v, %v", cSet, set, err)
	}
	post(slacksim.Msg{Channel: cSet, User: uSet2, Text: argue, EventOpts: slacksim.EventOpts{To: slacksim.ToConn(b.conn)}})
	eventually(t, replicaWait, "b to skip the message in the switched-off channel", func() bool {
		return b.metric(t, `nudgebot_messages_skipped_total{reason="channel_off"}`) == 1
	})
	slash(uManager, cSet, "on", b)
	post(slacksim.Msg{Channel: cSet, User: uSet3, Text: argue, EventOpts: slacksim.EventOpts{To: slacksim.ToConn(a.conn)}})

	// Every envelope reached a bot and was acked, so a clean stop handles
	// it to the end (DESIGN's shutdown drains acked events).
	if _, err := sim.WaitAcks(wctx, sent); err != nil {
		t.Fatalf("acks: %v", err)
	}
	eventually(t, replicaWait, "every message event to be counted", func() bool {
		return a.metric(t, `nudgebot_events_received_total{type="message"}`)+
			b.metric(t, `nudgebot_events_received_total{type="message"}`) == float64(sent)
	})
	// The copy delivered to both and the retry: each dropped by one
	// replica as a duplicate.
	const dup = `nudgebot_messages_skipped_total{reason="duplicate"}`
	eventually(t, replicaWait, "the two duplicates to be skipped", func() bool {
		return a.metric(t, dup)+b.metric(t, dup) == 2
	})
	for _, r := range []*replica{a, b} {
		if code := r.stop(t, syscall.SIGTERM); code != 0 {
			t.Errorf("replica %s exit code %d after SIGTERM, want 0", r.name, code)
		}
	}

	got := nudgesTo(sim)
	want := map[string]int{
		cDup + "/" + uDup:     1,
		cRetry + "/" + uRetry: 1,
		cCool + "/" + uCool:   1,
		cSet + "/" + uSet1:    1,
		cSet + "/" + uSet3:    1,
	}
	for k, n := range got {
		if want[k] != n {
			t.Errorf("nudges to %s: %d, want %d", k, n, want[k])
		}
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("nudges to %s: %d, want %d", k, got[k], n)
		}
	}
	if n := pgCount(t, dsn, `SELECT count(*) FROM nudges WHERE channel <> 'COLD'`); n != len(want) {
		t.Errorf("%d nudge records, want %d", n, len(want))
	}
}
