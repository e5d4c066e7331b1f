package slacksim_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/nudgebot/nudgebot/internal/slacksim"
)

func TestRateLimit(t *testing.T) {
	sim, api := fixture(t, slacksim.Options{})
	tests := []struct {
		give time.Duration
		want time.Duration // what slack-go reports
	}{
		{0, 0},
		{time.Second, time.Second},
		{1500 * time.Millisecond, 2 * time.Second}, // rounded up: slack-go parses whole seconds only
	}
	for _, tt := range tests {
		sim.RateLimit("chat.postEphemeral", 2, tt.give)
		for i := range 2 {
			_, err := api.PostEphemeral("CSUP", "UAGENT", slack.MsgOptionText("hi", false))
			var rl *slack.RateLimitedError
			if !errors.As(err, &rl) || rl.RetryAfter != tt.want {
				t.Errorf("RateLimit(%v) call %d: error = %v, want RateLimitedError{%v}", tt.give, i, err, tt.want)
			}
		}
		if _, err := api.PostEphemeral("CSUP", "UAGENT", slack.MsgOptionText("hi", false)); err != nil {
			t.Errorf("RateLimit(%v): third call error = %v, want success", tt.give, err)
		}
	}
	// Other methods are not limited.
	sim.RateLimit("chat.postEphemeral", 1, 0)
	if _, err := api.AuthTest(); err != nil {
		t.Errorf("AuthTest() under a postEphemeral limit: %v", err)
	}
	var limited int
	for _, c := range sim.Calls("chat.postEphemeral") {
		if c.Status == 429 && c.Error == "ratelimited" {
			limited++
		}
	}
	if limited != 6 || sim.OKCount("chat.postEphemeral") != 3 {
		t.Errorf("recorded %d limited and %d ok calls, want 6 and 3", limited, sim.OKCount("chat.postEphemeral"))
	}
}

func TestSocketModeDisconnect(t *testing.T) {
	tests := []struct {
		name string
		give func(*slacksim.Sim)
	}{
		{"refresh_requested", func(s *slacksim.Sim) { s.Disconnect("refresh_requested") }},
		{"warning", func(s *slacksim.Sim) { s.Disconnect("warning") }},
		{"dropped", func(s *slacksim.Sim) { s.DropConnections() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, api := fixture(t, slacksim.Options{})
			ctx := testContext(t)
			client := runSocket(t, api)
			nextEvent(t, ctx, client, socketmode.EventTypeHello)

			start := time.Now()
			tt.give(sim)
			nextEvent(t, ctx, client, socketmode.EventTypeHello) // the reconnect's hello
			if err := sim.WaitConnected(ctx, 1); err != nil {
				t.Fatal(err)
			}
			t.Logf("reconnected in %v", time.Since(start))
			if n := sim.ConnectionCount(); n != 2 {
				t.Errorf("ConnectionCount() = %d, want 2", n)
			}
			if conns := sim.Connections(); len(conns) != 1 || conns[0].ID != 2 {
				t.Errorf("Connections() = %+v, want only connection 2", conns)
			}

			// The new connection works.
			d := sim.Post(slacksim.Msg{Channel: "CSUP", User: "UAGENT", Text: "after"})
			ev := nextEvent(t, ctx, client, socketmode.EventTypeEventsAPI)
			client.Ack(*ev.Request)
			if a, err := sim.WaitAcked(ctx, d.EnvelopeID()); err != nil || a.ConnID != 2 {
				t.Errorf("ack after reconnect = %+v, %v; want on connection 2", a, err)
			}
		})
	}
}

func TestSocketModeManyConnections(t *testing.T) {
	sim, api := fixture(t, slacksim.Options{})
	ctx := testContext(t)
	a := runSocket(t, api)
	nextEvent(t, ctx, a, socketmode.EventTypeHello)
	b := runSocket(t, api)
	hello := nextEvent(t, ctx, b, socketmode.EventTypeHello)
	if hello.Request.NumConnections != 2 {
		t.Errorf("second hello num_connections = %d, want 2", hello.Request.NumConnections)
	}

	// ToAll: both replicas see the same event, in different envelopes.
	d := sim.Post(slacksim.Msg{Channel: "CSUP", User: "UAGENT", Text: "twice", EventOpts: slacksim.EventOpts{To: slacksim.ToAll}})
	if len(d.EnvelopeIDs) != 2 {
		t.Fatalf("ToAll delivered %d envelopes, want 2", len(d.EnvelopeIDs))
	}
	for _, c := range []*socketmode.Client{a, b} {
		ev := nextEvent(t, ctx, c, socketmode.EventTypeEventsAPI)
		cb := ev.Data.(slackevents.EventsAPIEvent).Data.(*slackevents.EventsAPICallbackEvent)
		if cb.EventID != d.EventID {
			t.Errorf("event_id = %q, want %q", cb.EventID, d.EventID)
		}
		c.Ack(*ev.Request)
	}
	if _, err := sim.WaitAcks(ctx, 2); err != nil {
		t.Fatal(err)
	}

	// ToAny: one envelope each, round-robin.
	sim.Post(slacksim.Msg{Channel: "CSUP", User: "UAGENT", Text: "one"})
	sim.Post(slacksim.Msg{Channel: "CSUP", User: "UAGENT", Text: "two"})
	for _, c := range []*socketmode.Client{a, b} {
		ev := nextEvent(t, ctx, c, socketmode.EventTypeEventsAPI)
		c.Ack(*ev.Request)
	}
	acks, err := sim.WaitAcks(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	if acks[2].ConnID == acks[3].ConnID {
		t.Errorf("ToAny acks came on connections %d and %d, want both", acks[2].ConnID, acks[3].ConnID)
	}

	// ToConn: only that connection.
	d = sim.Post(slacksim.Msg{Channel: "CSUP", User: "UAGENT", Text: "b only", EventOpts: slacksim.EventOpts{To: slacksim.ToConn(2)}})
	ev := nextEvent(t, ctx, b, socketmode.EventTypeEventsAPI)
	if ev.Request.EnvelopeID != d.EnvelopeID() {
		t.Errorf("ToConn(2) envelope = %q, want %q", ev.Request.EnvelopeID, d.EnvelopeID())
	}
	if d := sim.Post(slacksim.Msg{Channel: "CSUP", User: "UAGENT", EventOpts: slacksim.EventOpts{To: slacksim.ToConn(9)}}); len(d.EnvelopeIDs) != 0 {
		t.Errorf("ToConn(9) delivered %v, want nothing", d.EnvelopeIDs)
	}
}

func TestSocketModeBacklog(t *testing.T) {
	sim, api := fixture(t, slacksim.Options{})
	ctx := testContext(t)
	d := sim.Post(slacksim.Msg{Channel: "CSUP", User: "UAGENT", Text: "early"})
	client := runSocket(t, api)
	ev := nextEvent(t, ctx, client, socketmode.EventTypeEventsAPI)
	if ev.Request.EnvelopeID != d.EnvelopeID() {
		t.Errorf("envelope = %q, want the queued %q", ev.Request.EnvelopeID, d.EnvelopeID())
	}
}

func TestSocketModeRedelivery(t *testing.T) {
	sim, api := fixture(t, slacksim.Options{Redeliver: true, AckTimeout: 20 * time.Millisecond})
	ctx := testContext(t)
	client := runSocket(t, api)
	d := sim.Post(slacksim.Msg{Channel: "CSUP", User: "UAGENT", Text: "slow"})
	first := nextEvent(t, ctx, client, socketmode.EventTypeEventsAPI) // not acked
	retry := nextEvent(t, ctx, client, socketmode.EventTypeEventsAPI)
	if retry.Request.RetryAttempt != 1 || retry.Request.RetryReason != "timeout" || retry.Request.EnvelopeID == first.Request.EnvelopeID {
		t.Errorf("retry envelope = %+v, want attempt 1, reason timeout, a new envelope ID", retry.Request)
	}
	cb := retry.Data.(slackevents.EventsAPIEvent).Data.(*slackevents.EventsAPICallbackEvent)
	if cb.EventID != d.EventID {
		t.Errorf("retry event_id = %q, want %q", cb.EventID, d.EventID)
	}
	client.Ack(*retry.Request)
	if _, err := sim.WaitAcked(ctx, retry.Request.EnvelopeID); err != nil {
		t.Fatal(err)
	}
	// Retries stop at MaxRetries (3) for the unacked chain: the acked
	// envelope is never sent again, so at most 4 envelopes exist in all.
	if err := sim.WaitFor(ctx, func() bool { return len(sim.Delivered()) >= 2 }); err != nil {
		t.Fatal(err)
	}
	for _, e := range sim.Delivered() {
		if e.RetryAttempt > 3 {
			t.Errorf("delivered %+v, beyond 3 retries", e)
		}
	}
}

func TestSocketModeRetryFields(t *testing.T) {
	sim, api := fixture(t, slacksim.Options{})
	ctx := testContext(t)
	client := runSocket(t, api)
	d := sim.Post(slacksim.Msg{Channel: "CSUP", User: "UAGENT", Text: "again",
		EventOpts: slacksim.EventOpts{EventID: "Ev0DUP", RetryAttempt: 2, RetryReason: "http_timeout"}})
	ev := nextEvent(t, ctx, client, socketmode.EventTypeEventsAPI)
	cb := ev.Data.(slackevents.EventsAPIEvent).Data.(*slackevents.EventsAPICallbackEvent)
	if d.EventID != "Ev0DUP" || cb.EventID != "Ev0DUP" || ev.Request.RetryAttempt != 2 || ev.Request.RetryReason != "http_timeout" {
		t.Errorf("envelope = %+v, event_id %q", ev.Request, cb.EventID)
	}
}

func TestEvents(t *testing.T) {
	sim, api := fixture(t, slacksim.Options{})
	ctx := testContext(t)
	client := runSocket(t, api)
	inner := func() any {
		ev := nextEvent(t, ctx, client, socketmode.EventTypeEventsAPI)
		client.Ack(*ev.Request)
		return ev.Data.(slackevents.EventsAPIEvent).InnerEvent.Data
	}

	sim.AddChannel(slacksim.Channel{ID: "CNEW", Name: "new", Members: []string{"UADMIN"}})
	sim.MemberJoined("CNEW", sim.BotUserID, "UADMIN", slacksim.EventOpts{})
	j, ok := inner().(*slackevents.MemberJoinedChannelEvent)
	if !ok || j.User != sim.BotUserID || j.Channel != "CNEW" || j.Inviter != "UADMIN" || j.ChannelType != "C" {
		t.Errorf("member_joined_channel = %+v", j)
	}
	if _, err := api.PostEphemeral("CNEW", "UADMIN", slack.MsgOptionText("hello", false)); err != nil {
		t.Errorf("PostEphemeral after the bot joined: %v", err)
	}

	sim.AppHomeOpened("UAGENT", slacksim.EventOpts{})
	h, ok := inner().(*slackevents.AppHomeOpenedEvent)
	if !ok || h.User != "UAGENT" || h.Tab != "home" {
		t.Errorf("app_home_opened = %+v", h)
	}

	tests := []struct {
		give        slacksim.Msg
		wantSubtype string
		wantType    string
	}{
		{slacksim.Msg{Channel: "GPRIV", User: "UAGENT", Text: "private"}, "", "group"},
		{slacksim.Msg{Channel: "CSUP", User: "UAGENT", Text: "broadcast", ThreadTS: "1.2", Subtype: "thread_broadcast"}, "thread_broadcast", "channel"},
		{slacksim.Msg{Channel: "CSUP", Text: "beep", Subtype: "bot_message", BotID: "BOTHER"}, "bot_message", "channel"},
		{slacksim.Msg{Channel: "CSUP", User: "UAGENT", Text: "edited text", Subtype: "message_changed"}, "message_changed", "channel"},
	}
	for _, tt := range tests {
		d := sim.Post(tt.give)
		m, ok := inner().(*slackevents.MessageEvent)
		if !ok {
			t.Fatalf("Post(%+v): inner event is not a MessageEvent", tt.give)
		}
		if m.SubType != tt.wantSubtype || m.ChannelType != tt.wantType || m.Channel != tt.give.Channel || m.BotID != tt.give.BotID {
			t.Errorf("Post(%+v) = subtype %q type %q channel %q bot %q", tt.give, m.SubType, m.ChannelType, m.Channel, m.BotID)
		}
		text, ts := m.Text, m.TimeStamp
		if tt.wantSubtype == "message_changed" {
			if m.Message == nil || m.Message.Edited == nil {
				t.Fatalf("message_changed without an edited message: %+v", m)
			}
			text, ts = m.Message.Text, m.Message.Timestamp
		}
		if text != tt.give.Text || ts != d.TS {
			t.Errorf("Post(%+v) = text %q ts %q, want ts %q", tt.give, text, ts, d.TS)
		}
	}
}

// TestSocketModePings keeps a client whose ping deadline is 100 ms connected
// for 300 ms: without the sim's pings, slack-go would reconnect.
func TestSocketModePings(t *testing.T) {
	sim, api := fixture(t, slacksim.Options{PingInterval: 10 * time.Millisecond})
	ctx := testContext(t)
	client := socketmode.New(api, socketmode.OptionPingInterval(100*time.Millisecond))
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- client.RunContext(runCtx) }()
	t.Cleanup(func() {
		cancel()
		for {
			select {
			case <-done:
				return
			case <-client.Events:
			}
		}
	})
	nextEvent(t, ctx, client, socketmode.EventTypeHello)
	timer := time.NewTimer(300 * time.Millisecond) // three of slack-go's ping deadlines
	defer timer.Stop()
	for {
		select {
		case ev := <-client.Events:
			if ev.Type == socketmode.EventTypeConnecting || ev.Type == socketmode.EventTypeHello {
				t.Fatalf("client reconnected (%s) although the sim pings every 10 ms", ev.Type)
			}
		case <-timer.C:
			if n := sim.ConnectionCount(); n != 1 {
				t.Errorf("ConnectionCount() = %d, want 1", n)
			}
			return
		}
	}
}

// TestSocketModeInvalidAppToken checks socketmode gives up, as it does
// against Slack, when apps.connections.open says invalid_auth.
func TestSocketModeInvalidAppToken(t *testing.T) {
	sim, _ := fixture(t, slacksim.Options{})
	ctx := testContext(t)
	api := slack.New(sim.BotToken, slack.OptionAppLevelToken("xapp-1-wrong"), slack.OptionAPIURL(sim.APIURL()))
	client := socketmode.New(api)
	done := make(chan error, 1)
	go func() { done <- client.RunContext(ctx) }()
	for {
		select {
		case err := <-done:
			if err == nil || err.Error() != "invalid_auth" {
				t.Errorf("RunContext() = %v, want invalid_auth", err)
			}
			return
		case <-client.Events:
		case <-ctx.Done():
			t.Fatal("RunContext did not give up on invalid_auth")
		}
	}
}

func TestSendRaw(t *testing.T) {
	sim, api := fixture(t, slacksim.Options{})
	ctx := testContext(t)
	client := runSocket(t, api)
	nextEvent(t, ctx, client, socketmode.EventTypeHello)
	if n := sim.SendRaw([]byte(`{"type":`), slacksim.ToAny); n != 1 {
		t.Fatalf("SendRaw() wrote to %d connections, want 1", n)
	}
	sim.SendRaw([]byte(`{"envelope_id":"e-bad","type":"nonsense"}`), slacksim.ToAny)
	bad := nextEvent(t, ctx, client, socketmode.EventTypeErrorBadMessage)
	if bad.Data.(*socketmode.ErrorBadMessage).Cause == nil {
		t.Errorf("bad message event = %+v", bad)
	}

	// A hand-made envelope is tracked: its ack shows in Acks.
	sim.SendRaw([]byte(`{"envelope_id":"e-raw","type":"events_api","payload":{"type":"event_callback","event_id":"EvRAW",`+
		`"event":{"type":"message","channel":"CSUP","user":"UAGENT","text":"raw","ts":"1.000001"}}}`), slacksim.ToAny)
	ev := nextEvent(t, ctx, client, socketmode.EventTypeEventsAPI)
	client.Ack(*ev.Request)
	a, err := sim.WaitAcked(ctx, "e-raw")
	if err != nil {
		t.Fatal(err)
	}
	if a.Type != "events_api" || a.ConnID != 1 {
		t.Errorf("ack = %+v", a)
	}
	// The connection survived all of it.
	if n := sim.ConnectionCount(); n != 1 {
		t.Errorf("ConnectionCount() = %d, want 1", n)
	}
}
