package slackbot_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nudgebot/nudgebot/internal/slackbot"
	"github.com/nudgebot/nudgebot/internal/slacksim"
	"github.com/nudgebot/nudgebot/internal/slash"
	"github.com/nudgebot/nudgebot/internal/store"
	"github.com/slack-go/slack"
)

func TestNudgeAgent(t *testing.T) {
	h := start(t)
	_, hd := h.post(slacksim.Msg{Channel: support, User: customer, Text: "Your export is broken again."})
	if hd.Outcome != "customer" {
		t.Errorf("customer message: outcome %q, want customer", hd.Outcome)
	}
	d, hd := h.post(slacksim.Msg{Channel: support, User: agent, Text: argue})
	if hd.Outcome != string(store.Sent) || hd.Err != nil || hd.NudgeID == 0 {
		t.Fatalf("argumentative agent message: %+v, want sent with a nudge ID", hd)
	}
	got := h.ephemeralsTo(agent)
	if len(got) != 1 {
		t.Fatalf("agent got %d ephemerals, want 1", len(got))
	}
	e := got[0]
	if e.Channel != support || e.ThreadTS != "" || e.Text == "" {
		t.Errorf("ephemeral = %+v, want in %s, no thread, a fallback text", e, support)
	}
	blocks := string(e.Blocks)
	for _, want := range []string{slackbot.ActionHelpful, slackbot.ActionNotHelpful, `"value":"` + strconv.FormatInt(hd.NudgeID, 10) + `"`, "repeat", e.Text} {
		if !strings.Contains(blocks, want) {
			t.Errorf("ephemeral blocks lack %q: %s", want, blocks)
		}
	}
	n, err := h.store.Nudge(context.Background(), hd.NudgeID)
	if err != nil {
		t.Fatal(err)
	}
	if n.Outcome != store.Sent || n.User != agent || n.Channel != support || n.MessageTS != d.TS || n.Family == "" || n.RuleID == "" {
		t.Errorf("nudge record = %+v", n)
	}
	// users.info once per person, then the cache.
	h.post(slacksim.Msg{Channel: support, User: agent, Text: polite})
	h.post(slacksim.Msg{Channel: support, User: customer, Text: "Still broken."})
	if n := len(h.sim.Calls("users.info")); n != 2 {
		t.Errorf("%d users.info calls for two people, want 2", n)
	}
	// Only the agent is nudged: nothing in public, nothing to anyone else.
	if calls := h.sim.Calls("chat.postMessage"); len(calls) != 0 {
		t.Errorf("bot posted publicly: %+v", calls)
	}
}

func TestNotNudged(t *testing.T) {
	h := start(t)
	tests := []struct {
		name string
		give slacksim.Msg
		want string
	}{
		{"polite agent", slacksim.Msg{Channel: support, User: agent, Text: polite}, "scored"},
		{"slack connect customer", slacksim.Msg{Channel: support, User: customer, Text: argue}, "customer"},
		{"external user", slacksim.Msg{Channel: support, User: stranger, Text: argue}, "customer"},
		{"guest", slacksim.Msg{Channel: support, User: guest, Text: argue}, "customer"},
		{"bot message", slacksim.Msg{Channel: support, User: agent, BotID: "B123", Subtype: "bot_message", Text: argue}, "skipped:bot"},
		{"bot user without bot_id", slacksim.Msg{Channel: support, User: otherBot, Text: argue}, "skipped:ignored_user"},
		{"the bot itself", slacksim.Msg{Channel: support, User: h.sim.BotUserID, Text: argue}, "skipped:bot"},
		{"edit", slacksim.Msg{Channel: support, User: agent, Subtype: "message_changed", Text: argue}, "skipped:subtype"},
		{"deletion", slacksim.Msg{Channel: support, User: agent, Subtype: "message_deleted", Text: argue}, "skipped:subtype"},
		{"channel join", slacksim.Msg{Channel: support, User: agent, Subtype: "channel_join", Text: "joined"}, "skipped:subtype"},
		{"direct message", slacksim.Msg{Channel: "DAGENT", User: agent, Text: argue}, "skipped:direct_message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, hd := h.post(tt.give)
			if hd.Outcome != tt.want || hd.Err != nil {
				t.Errorf("outcome = %q (err %v), want %q", hd.Outcome, hd.Err, tt.want)
			}
		})
	}
	if got := h.sim.Calls("chat.postEphemeral"); len(got) != 0 {
		t.Errorf("got %d ephemerals, want none: %+v", len(got), got)
	}
	if got := h.metric("nudgebot_messages_scored_total", nil); got != 1 {
		t.Errorf("messages scored = %v, want 1 (the polite agent's)", got)
	}
}

func TestThreadBroadcastAndThreads(t *testing.T) {
	h := start(t, func(o *slackbot.Options) { o.Defaults.Cooldown = 0 })
	root, _ := h.post(slacksim.Msg{Channel: support, User: customer, Text: "It fails on export."})
	_, hd := h.post(slacksim.Msg{Channel: support, User: agent, ThreadTS: root.TS, Text: argue})
	if hd.Outcome != string(store.Sent) {
		t.Fatalf("thread reply: %+v", hd)
	}
	_, hd = h.post(slacksim.Msg{Channel: support, User: agent, ThreadTS: root.TS, Subtype: "thread_broadcast", Text: argue})
	if hd.Outcome != string(store.Sent) {
		t.Fatalf("thread broadcast: %+v", hd)
	}
	for i, e := range h.ephemeralsTo(agent) {
		if e.ThreadTS != root.TS {
			t.Errorf("ephemeral %d thread_ts = %q, want %q", i, e.ThreadTS, root.TS)
		}
	}
}

func TestRetriesDeduplicated(t *testing.T) {
	h := start(t)
	first := h.sim.Post(slacksim.Msg{Channel: support, User: agent, Text: argue, EventOpts: slacksim.EventOpts{EventID: "Ev0DUP"}})
	h.sim.Post(slacksim.Msg{Channel: support, User: agent, Text: argue, TS: first.TS,
		EventOpts: slacksim.EventOpts{EventID: "Ev0DUP", RetryAttempt: 1, RetryReason: "http_timeout"}})
	got := h.obs.wait(t, "Ev0DUP", 2)
	// The duplicate is reported first: the sent one waits for its post.
	outcomes := map[string]int{got[0].Outcome: 1}
	outcomes[got[1].Outcome]++
	if outcomes["sent"] != 1 || outcomes["skipped:duplicate"] != 1 {
		t.Errorf("outcomes = %v, want one sent, one skipped:duplicate", outcomes)
	}
	if n := len(h.ephemeralsTo(agent)); n != 1 {
		t.Errorf("got %d ephemerals, want 1", n)
	}
	if _, err := h.sim.WaitAcks(h.ctx(), 2); err != nil {
		t.Errorf("both deliveries acked: %v", err)
	}
}

func TestCooldownSnoozeAndSettings(t *testing.T) {
	h := start(t)
	msg := slacksim.Msg{Channel: support, User: agent, Text: argue}
	if _, hd := h.post(msg); hd.Outcome != "sent" {
		t.Fatalf("first: %+v", hd)
	}
	if _, hd := h.post(msg); hd.Outcome != "cooldown" {
		t.Errorf("second within the cooldown: %q, want cooldown", hd.Outcome)
	}
	if _, hd := h.post(slacksim.Msg{Channel: support2, User: agent, Text: argue}); hd.Outcome != "sent" {
		t.Errorf("same agent, other channel: %q, want sent", hd.Outcome)
	}
	if _, hd := h.post(slacksim.Msg{Channel: support, User: agent2, Text: argue}); hd.Outcome != "sent" {
		t.Errorf("other agent, same channel: %q, want sent", hd.Outcome)
	}
	h.clock.Add(11 * time.Minute)
	if _, hd := h.post(msg); hd.Outcome != "sent" {
		t.Errorf("after the cooldown: %q, want sent", hd.Outcome)
	}

	h.clock.Add(11 * time.Minute)
	if err := h.store.Snooze(context.Background(), h.sim.TeamID, agent, h.clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, hd := h.post(msg); hd.Outcome != "snoozed" {
		t.Errorf("snoozed agent: %q, want snoozed", hd.Outcome)
	}
	h.clock.Add(2 * time.Hour)
	if _, hd := h.post(msg); hd.Outcome != "sent" {
		t.Errorf("after the snooze: %q, want sent", hd.Outcome)
	}

	h.set(support, store.KeyEnabled, "off")
	if _, hd := h.post(msg); hd.Outcome != "skipped:channel_off" {
		t.Errorf("channel off: %q", hd.Outcome)
	}
	h.set(support, store.KeyEnabled, "on")
	h.set(support, store.KeyThreshold, "1")
	h.clock.Add(time.Hour)
	if _, hd := h.post(msg); hd.Outcome != "scored" {
		t.Errorf("threshold 1: %q, want scored (under the threshold)", hd.Outcome)
	}
	h.set(support, store.KeyThreshold, "")
	h.set(support, store.KeyRulePrefix+"repeat", "off")
	if _, hd := h.post(msg); hd.Outcome != "scored" {
		t.Errorf("repeat family off: %q, want scored", hd.Outcome)
	}
	if n := len(h.ephemeralsTo(agent)); n != 4 {
		t.Errorf("agent got %d ephemerals, want 4", n)
	}
}

func TestShadowCapExperiment(t *testing.T) {
	h := start(t, func(o *slackbot.Options) {
		o.Defaults.Cooldown = 0
		o.Rand = func() float64 { return 0.25 }
	})
	msg := slacksim.Msg{Channel: support, User: agent, Text: argue}

	h.set(support, store.KeyShadow, "on")
	_, hd := h.post(msg)
	if hd.Outcome != string(store.Shadowed) || hd.NudgeID == 0 {
		t.Errorf("shadow: %+v, want shadowed and recorded", hd)
	}
	if n, err := h.store.Nudge(context.Background(), hd.NudgeID); err != nil || n.Outcome != store.Shadowed {
		t.Errorf("shadow record = %+v, %v", n, err)
	}
	h.set(support, store.KeyShadow, "off")

	h.set("", store.KeyCap, "1")
	if _, hd := h.post(msg); hd.Outcome != "sent" {
		t.Errorf("first under the cap: %q", hd.Outcome)
	}
	if _, hd := h.post(msg); hd.Outcome != string(store.Capped) {
		t.Errorf("over the cap: %q, want capped", hd.Outcome)
	}
	h.set("", store.KeyCap, "off")

	h.set(support, store.KeyExperiment, "30") // Rand 0.25 < 30%: withheld
	if _, hd := h.post(msg); hd.Outcome != string(store.Withheld) {
		t.Errorf("experiment 30%% with rand 0.25: %q, want withheld", hd.Outcome)
	}
	h.set(support, store.KeyExperiment, "20") // 0.25 ≥ 20%: sent
	if _, hd := h.post(msg); hd.Outcome != "sent" {
		t.Errorf("experiment 20%% with rand 0.25: %q, want sent", hd.Outcome)
	}
	if n := len(h.ephemeralsTo(agent)); n != 2 {
		t.Errorf("agent got %d ephemerals, want 2 (shadowed, capped, withheld send none)", n)
	}
	for _, o := range []string{"shadowed", "capped", "withheld", "sent"} {
		if got := h.metric("nudgebot_nudges_total", map[string]string{"outcome": o}); got < 1 {
			t.Errorf("nudges_total{outcome=%s} = %v", o, got)
		}
	}
}

func TestEscalationResolved(t *testing.T) {
	h := start(t)
	_, hd := h.post(slacksim.Msg{Channel: support, User: agent, Text: argue})
	if hd.Outcome != "sent" {
		t.Fatal(hd)
	}
	h.post(slacksim.Msg{Channel: support, User: customer, Text: "I want to talk to your MANAGER!!!"})
	n, err := h.store.Nudge(context.Background(), hd.NudgeID)
	if err != nil {
		t.Fatal(err)
	}
	if n.Escalated == nil || !*n.Escalated {
		t.Errorf("escalated = %v, want true", n.Escalated)
	}
}

func TestRateLimitRetried(t *testing.T) {
	h := start(t)
	h.sim.RateLimit("chat.postEphemeral", 2, 0)
	_, hd := h.post(slacksim.Msg{Channel: support, User: agent, Text: argue})
	if hd.Outcome != "sent" || hd.Err != nil {
		t.Fatalf("%+v, want sent after the retries", hd)
	}
	if n := len(h.ephemeralsTo(agent)); n != 1 {
		t.Errorf("ephemerals = %d, want 1", n)
	}
	if got := h.metric("nudgebot_slack_api_retries_total", map[string]string{"method": "chat.postEphemeral"}); got != 2 {
		t.Errorf("retries = %v, want 2", got)
	}

	// Past the bounded retries, the nudge is given up and counted.
	h.sim.RateLimit("chat.postEphemeral", 10, 0)
	_, hd = h.post(slacksim.Msg{Channel: support2, User: agent, Text: argue})
	var rl *slack.RateLimitedError
	if !errors.As(hd.Err, &rl) {
		t.Errorf("after 3 retries: err %v, want a RateLimitedError", hd.Err)
	}
	if got := h.metric("nudgebot_slack_api_errors_total", map[string]string{"method": "chat.postEphemeral"}); got != 1 {
		t.Errorf("api errors = %v, want 1", got)
	}
	h.sim.RateLimit("chat.postEphemeral", 0, 0)
}

// A post waiting out a Retry-After holds up no other event.
func TestRateLimitHoldsUpNothing(t *testing.T) {
	h := start(t)
	h.sim.RateLimit("chat.postEphemeral", 1, time.Second)
	slow := h.sim.Post(slacksim.Msg{Channel: support, User: agent, Text: argue})
	ctx := h.ctx()
	if err := h.sim.WaitFor(ctx, func() bool { return len(h.sim.Calls("chat.postEphemeral")) >= 1 }); err != nil {
		t.Fatal(err)
	}
	// Same channel, so the same worker: only the post itself may wait.
	_, hd := h.post(slacksim.Msg{Channel: support, User: agent2, Text: argue})
	if hd.Outcome != "sent" {
		t.Fatalf("second message: %+v", hd)
	}
	got := h.ephemeralsTo(agent)
	if len(got) != 0 {
		t.Errorf("the rate-limited nudge arrived before the other one: %+v", got)
	}
	if hd := h.obs.one(t, slow.EventID); hd.Outcome != "sent" || hd.Err != nil {
		t.Errorf("rate-limited nudge: %+v", hd)
	}
	if n := len(h.ephemeralsTo(agent)); n != 1 {
		t.Errorf("rate-limited agent got %d ephemerals, want 1", n)
	}
}

func TestReconnect(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(*slacksim.Sim)
	}{
		{"disconnect message", func(s *slacksim.Sim) { s.Disconnect("refresh_requested") }},
		{"dropped socket", func(s *slacksim.Sim) { s.DropConnections() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t)
			tt.break_(h.sim)
			if err := h.sim.WaitConnections(h.ctx(), 2); err != nil {
				t.Fatalf("no reconnect: %v", err)
			}
			if err := h.sim.WaitConnected(h.ctx(), 1); err != nil {
				t.Fatal(err)
			}
			_, hd := h.post(slacksim.Msg{Channel: support, User: agent, Text: argue})
			if hd.Outcome != "sent" {
				t.Errorf("after reconnecting: %+v", hd)
			}
			if got := h.metric("nudgebot_socket_reconnects_total", nil); got < 1 {
				t.Errorf("reconnects = %v, want ≥ 1", got)
			}
			if !h.bot.Connected() {
				t.Error("Connected() = false after the reconnect")
			}
		})
	}
}

func TestFeedback(t *testing.T) {
	h := start(t)
	_, hd := h.post(slacksim.Msg{Channel: support, User: agent, Text: argue})
	if hd.Outcome != "sent" {
		t.Fatal(hd)
	}
	e := h.ephemeralsTo(agent)[0]
	d := click(t, h.sim, e, slackbot.ActionNotHelpful)
	fb := h.obs.one(t, d.EnvelopeID())
	if fb.Outcome != "recorded" || fb.NudgeID != hd.NudgeID || fb.Err != nil {
		t.Errorf("click: %+v, want recorded for nudge %d", fb, hd.NudgeID)
	}
	posts, err := h.sim.WaitResponseURLPosts(h.ctx(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if p := posts[0]; !p.ReplaceOriginal || !strings.Contains(p.Text, "Thanks") || p.URL != d.ResponseURL || p.Error != "" {
		t.Errorf("response_url post = %+v, want a thank-you replacing the nudge", p)
	}
	st, err := h.store.Stats(context.Background(), store.Since{Team: h.sim.TeamID,
		From: h.clock.Now().Add(-time.Hour), To: h.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if st.NotHelpful != 1 || st.Helpful != 0 {
		t.Errorf("stats helpful/not = %d/%d, want 0/1", st.Helpful, st.NotHelpful)
	}
	if got := h.metric("nudgebot_feedback_total", map[string]string{"answer": "not_helpful"}); got != 1 {
		t.Errorf("feedback metric = %v", got)
	}
}

func TestInvite(t *testing.T) {
	h := start(t)
	h.sim.AddChannel(slacksim.Channel{ID: "CNEW", Name: "new-support", Members: []string{agent}})
	d := h.sim.MemberJoined("CNEW", h.sim.BotUserID, agent, slacksim.EventOpts{})
	if hd := h.obs.one(t, d.EventID); hd.Outcome != "posted" || hd.Err != nil {
		t.Fatalf("invite: %+v", hd)
	}
	got := h.ephemeralsTo(agent)
	if len(got) != 1 || got[0].Channel != "CNEW" {
		t.Fatalf("ephemerals to the inviter = %+v, want one in CNEW", got)
	}
	for _, want := range []string{"/nudge", "Only the agent", "/nudge off"} {
		if !strings.Contains(got[0].Text, want) {
			t.Errorf("invite text lacks %q: %s", want, got[0].Text)
		}
	}
	// Someone else joining, or the bot joining with no inviter, says nothing.
	d = h.sim.MemberJoined("CNEW", agent2, agent, slacksim.EventOpts{})
	if hd := h.obs.one(t, d.EventID); hd.Outcome != "skipped:not_the_bot" {
		t.Errorf("another user joined: %+v", hd)
	}
	h.sim.AddChannel(slacksim.Channel{ID: "CNEW2", Name: "x", Members: []string{agent}})
	d = h.sim.MemberJoined("CNEW2", h.sim.BotUserID, "", slacksim.EventOpts{})
	if hd := h.obs.one(t, d.EventID); hd.Outcome != "skipped:no_inviter" {
		t.Errorf("no inviter: %+v", hd)
	}
	if n := len(h.sim.Calls("chat.postEphemeral")); n != 1 {
		t.Errorf("%d ephemerals, want 1", n)
	}
	if n := len(h.sim.Calls("chat.postMessage")); n != 0 {
		t.Errorf("%d public posts, want none", n)
	}
}

func TestSlashAndHomeSeams(t *testing.T) {
	h := start(t)
	d := h.sim.Slash(agent, support, "help")
	if hd := h.obs.one(t, d.EnvelopeID()); hd.Kind != "slash_command" || hd.Outcome != "replied" || hd.Err != nil {
		t.Errorf("slash: %+v, want replied", hd)
	}
	// Reported once the reply is posted, not before.
	if n := len(h.sim.ResponseURLPosts()); n != 1 {
		t.Errorf("%d response_url posts when the slash command was reported, want 1", n)
	}
	posts, err := h.sim.WaitResponseURLPosts(h.ctx(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if p := posts[0]; p.ResponseType != "ephemeral" || p.Text != slash.Help() {
		t.Errorf("help reply = %+v, want slash.Help()", p)
	}
	h.sim.Slash(agent, support, "threshold 7")
	posts, err = h.sim.WaitResponseURLPosts(h.ctx(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, perr := slash.Parse("threshold 7"); posts[1].Text != perr.(*slash.UsageError).Message() {
		t.Errorf("usage error reply = %q, want the UsageError's message", posts[1].Text)
	}
	d = h.sim.AppHomeOpened(agent, slacksim.EventOpts{})
	if hd := h.obs.one(t, d.EventID); hd.Kind != "app_home_opened" || hd.Outcome != "posted" || hd.Err != nil {
		t.Errorf("app home: %+v, want posted", hd)
	}
	if n := len(h.sim.Calls("views.publish")); n != 1 {
		t.Errorf("%d views.publish calls when the App Home was reported, want 1", n)
	}
}

func TestShutdownFinishesInFlightPost(t *testing.T) {
	h := start(t)
	h.sim.RateLimit("chat.postEphemeral", 1, time.Second)
	h.sim.Post(slacksim.Msg{Channel: support, User: agent, Text: argue})
	if err := h.sim.WaitFor(h.ctx(), func() bool { return len(h.sim.Calls("chat.postEphemeral")) >= 1 }); err != nil {
		t.Fatal(err)
	}
	h.stop() // the post is now waiting out its Retry-After
	select {
	case err := <-h.done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return")
	}
	h.done <- nil // for the cleanup
	if n := len(h.ephemeralsTo(agent)); n != 1 {
		t.Errorf("in-flight nudge: %d ephemerals when Run returned, want 1", n)
	}
	if h.bot.Connected() {
		t.Error("Connected() after Run returned")
	}
}

func TestMetricsMove(t *testing.T) {
	h := start(t)
	h.post(slacksim.Msg{Channel: support, User: customer, Text: "hello"})
	h.post(slacksim.Msg{Channel: support, User: agent, Text: argue})
	for _, c := range []struct {
		name   string
		labels map[string]string
	}{
		{"nudgebot_events_received_total", map[string]string{"type": "message"}},
		{"nudgebot_messages_scored_total", nil},
		{"nudgebot_nudges_total", map[string]string{"outcome": "sent"}},
		{"nudgebot_ack_latency_seconds", nil},
		{"nudgebot_message_score", nil},
		{"nudgebot_nudge_latency_seconds", nil},
		{"nudgebot_socket_connected", nil},
	} {
		if got := h.metric(c.name, c.labels); got < 1 {
			t.Errorf("%s%v = %v, want ≥ 1", c.name, c.labels, got)
		}
	}
	if err := h.bot.Ready(context.Background()); err != nil {
		t.Errorf("Ready() = %v while connected", err)
	}
	js, _ := json.Marshal(h.bot.Self())
	if !strings.Contains(string(js), h.sim.BotUserID) {
		t.Errorf("Self() = %s", js)
	}
}

// click presses the button with actionID in e. (slacksim.ClickEphemeral
// cannot read a message holding a context block yet: see
// /work/briefs/requests-slacksim.md.)
func click(t *testing.T, sim *slacksim.Sim, e slacksim.Ephemeral, actionID string) slacksim.Delivery {
	t.Helper()
	if d, ok := sim.ClickEphemeral(e, actionID); ok {
		return d
	}
	var blocks slack.Blocks
	if err := json.Unmarshal(e.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks.BlockSet {
		ab, ok := b.(*slack.ActionBlock)
		if !ok {
			continue
		}
		for _, el := range ab.Elements.ElementSet {
			if btn, ok := el.(*slack.ButtonBlockElement); ok && btn.ActionID == actionID {
				return sim.Click(slacksim.Click{User: e.User, Channel: e.Channel, MessageTS: e.MessageTS,
					ThreadTS: e.ThreadTS, Ephemeral: true, ActionID: actionID, BlockID: ab.BlockID,
					Value: btn.Value, Text: btn.Text.Text})
			}
		}
	}
	t.Fatalf("no %s button in %s", actionID, e.Blocks)
	return slacksim.Delivery{}
}

// Frames slack-go cannot read are logged and survived: the connection
// stays up, envelopes with an ID are still acked, and the next message is
// nudged as usual.
func TestMalformedFramesSurvived(t *testing.T) {
	h := start(t)
	frames := []string{
		`{"type":`, // cut short
		`not json`, // not JSON at all
		`[1,2,3]`,  // JSON, not an envelope
		`{"envelope_id":"Env0BAD1","type":"nonsense","payload":{}}`,
		`{"envelope_id":"Env0BAD2","type":"events_api","payload":{"type":"event_callback","team_id":"T0SIM","event_id":"Ev0BAD2","event":{"type":"no_such_event"}}}`,
		`{"envelope_id":"Env0BAD3","type":"events_api","payload":{"type":"event_callback","event":null}}`,
		`{"envelope_id":"Env0BAD4","type":"interactive","payload":"not an object"}`,
	}
	for _, f := range frames {
		if n := h.sim.SendRaw([]byte(f), slacksim.ToAny); n != 1 {
			t.Fatalf("SendRaw(%s) wrote to %d connections", f, n)
		}
	}
	for _, id := range []string{"Env0BAD1", "Env0BAD2", "Env0BAD3", "Env0BAD4"} {
		if _, err := h.sim.WaitAcked(h.ctx(), id); err != nil {
			t.Errorf("%s not acked: %v", id, err)
		}
	}
	if _, hd := h.post(slacksim.Msg{Channel: support, User: agent, Text: argue}); hd.Outcome != "sent" {
		t.Errorf("message after the bad frames: %+v", hd)
	}
	if n := h.sim.ConnectionCount(); n != 1 {
		t.Errorf("%d connections opened, want 1: the bad frames dropped the socket", n)
	}
	if got := h.metric("nudgebot_events_received_total", map[string]string{"type": "malformed"}); got < 4 {
		t.Errorf("malformed envelopes counted: %v, want ≥ 4", got)
	}
}

// A post that outlives the drain timeout is cancelled, and Run still
// returns promptly.
func TestShutdownDrainTimeout(t *testing.T) {
	h := start(t, func(o *slackbot.Options) { o.DrainTimeout = 50 * time.Millisecond })
	h.sim.RateLimit("chat.postEphemeral", 1, 5*time.Second)
	d := h.sim.Post(slacksim.Msg{Channel: support, User: agent, Text: argue})
	if err := h.sim.WaitFor(h.ctx(), func() bool { return len(h.sim.Calls("chat.postEphemeral")) >= 1 }); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	h.stop()
	select {
	case err := <-h.done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return")
	}
	h.done <- nil
	if took := time.Since(began); took > 3*time.Second {
		t.Errorf("Run took %v to return with a 50ms drain timeout", took)
	}
	if hd := h.obs.one(t, d.EventID); !errors.Is(hd.Err, context.Canceled) {
		t.Errorf("abandoned nudge: err %v, want context.Canceled", hd.Err)
	}
	if n := len(h.ephemeralsTo(agent)); n != 0 {
		t.Errorf("%d ephemerals, want 0: the post was abandoned", n)
	}
}

// The customer's last message in the conversation is the scorer's
// context: a flat denial of what the customer just said reads as
// contradicting only after they said it, and only in that conversation.
//
// The rules alone score here: the context rule's weight is what the 0.4
// threshold is set against, and the model does not read the context.
func TestCustomerContext(t *testing.T) {
	h := start(t, func(o *slackbot.Options) {
		o.Defaults.Cooldown = 0
		o.Rules = o.Rules.WithModel(nil)
	})
	h.set("", store.KeyThreshold, "0.4")
	const denial = "The export never crashed."
	if _, hd := h.post(slacksim.Msg{Channel: support, User: agent, Text: denial}); hd.Outcome != "scored" {
		t.Fatalf("denial with no customer message before it: %q, want scored (no nudge)", hd.Outcome)
	}
	root, _ := h.post(slacksim.Msg{Channel: support, User: customer, Text: "The export crashed last night."})
	if _, hd := h.post(slacksim.Msg{Channel: support, User: agent, Text: denial}); hd.Outcome != "sent" {
		t.Errorf("denial after the customer's message: %q, want sent", hd.Outcome)
	}
	if _, hd := h.post(slacksim.Msg{Channel: support, User: agent, ThreadTS: root.TS, Text: denial}); hd.Outcome != "sent" {
		t.Errorf("denial in the customer's message's thread: %q, want sent", hd.Outcome)
	}
	if _, hd := h.post(slacksim.Msg{Channel: support2, User: agent, Text: denial}); hd.Outcome != "scored" {
		t.Errorf("denial in another channel: %q, want scored", hd.Outcome)
	}
}

// TestMetricsPresentAtStart: the series an alert reads exist, at 0,
// before anything has counted.
func TestMetricsPresentAtStart(t *testing.T) {
	h := start(t)
	mfs, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				have[mf.GetName()+"{"+l.GetValue()+"}"] = true
			}
		}
	}
	for _, want := range []string{
		"nudgebot_feedback_total{helpful}", "nudgebot_feedback_total{not_helpful}",
		"nudgebot_slack_api_errors_total{chat.postEphemeral}", "nudgebot_slack_api_retries_total{chat.postEphemeral}",
		"nudgebot_slack_api_errors_total{users.info}", "nudgebot_slack_api_errors_total{response_url}",
	} {
		if !have[want] {
			t.Errorf("no series %s at start", want)
		}
	}
}

// TestRateLimitTooLong: a 429 asking for longer than the bot waits is
// final at once; the bot does not retry before Slack's Retry-After.
func TestRateLimitTooLong(t *testing.T) {
	h := start(t)
	h.sim.RateLimit("chat.postEphemeral", 1, time.Minute)
	begin := time.Now()
	_, hd := h.post(slacksim.Msg{Channel: support, User: agent, Text: argue})
	var rl *slack.RateLimitedError
	if hd.Outcome != string(store.Failed) || !errors.As(hd.Err, &rl) || rl.RetryAfter != time.Minute {
		t.Fatalf("%+v, want failed with the minute-long RateLimitedError", hd)
	}
	if took := time.Since(begin); took > 10*time.Second {
		t.Errorf("gave up after %v, want at once", took)
	}
	if n := len(h.sim.Calls("chat.postEphemeral")); n != 1 {
		t.Errorf("%d chat.postEphemeral calls, want 1 (no retry before Retry-After)", n)
	}
	if got := h.metric("nudgebot_slack_api_retries_total", map[string]string{"method": "chat.postEphemeral"}); got != 0 {
		t.Errorf("retries = %v, want 0", got)
	}
}

// TestUserLookupRateLimitHoldsUpNothing: a users.info 429 puts the
// message aside until its Retry-After, off the worker: the next message
// in the same channel is nudged meanwhile, and the first one after.
func TestUserLookupRateLimitHoldsUpNothing(t *testing.T) {
	h := start(t)
	h.sim.RateLimit("users.info", 1, time.Second)
	slow := h.sim.Post(slacksim.Msg{Channel: support, User: agent, Text: argue})
	if err := h.sim.WaitFor(h.ctx(), func() bool { return len(h.sim.Calls("users.info")) >= 1 }); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	_, hd := h.post(slacksim.Msg{Channel: support, User: agent2, Text: argue})
	if hd.Outcome != string(store.Sent) {
		t.Fatalf("second message: %+v, want sent", hd)
	}
	if took := time.Since(begin); took > 500*time.Millisecond {
		t.Errorf("the second message waited %v behind the first's rate limit", took)
	}
	if n := len(h.ephemeralsTo(agent)); n != 0 {
		t.Errorf("the rate-limited agent got %d ephemerals before Retry-After, want 0", n)
	}
	if hd := h.obs.one(t, slow.EventID); hd.Outcome != string(store.Sent) || hd.Err != nil {
		t.Errorf("rate-limited message after Retry-After: %+v, want sent", hd)
	}
	if got := h.metric("nudgebot_slack_api_retries_total", map[string]string{"method": "users.info"}); got != 1 {
		t.Errorf("users.info retries = %v, want 1", got)
	}
}

// TestEscalationInParentsThread: a customer answering a nudged top-level
// message in its thread resolves that nudge.
func TestEscalationInParentsThread(t *testing.T) {
	h := start(t)
	d, hd := h.post(slacksim.Msg{Channel: support, User: agent, Text: argue})
	if hd.Outcome != "sent" {
		t.Fatal(hd)
	}
	h.post(slacksim.Msg{Channel: support, User: customer, ThreadTS: d.TS, Text: "THIS IS UNACCEPTABLE!!! Get me your manager."})
	n, err := h.store.Nudge(context.Background(), hd.NudgeID)
	if err != nil {
		t.Fatal(err)
	}
	if n.Escalated == nil || !*n.Escalated {
		t.Errorf("escalated = %v, want true: the customer answered in the nudged message's thread", n.Escalated)
	}
}
