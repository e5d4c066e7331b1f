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

// fixture is a sim with an agent, a customer, a guest and a support channel.
func fixture(t *testing.T, opts slacksim.Options) (*slacksim.Sim, *slack.Client) {
	t.Helper()
	sim := slacksim.Start(t, opts)
	sim.AddUser(slacksim.User{ID: "UAGENT", Name: "alice", RealName: "Alice Agent"})
	sim.AddUser(slacksim.User{ID: "UCUST", Name: "bob", TeamID: "TOTHER", IsStranger: true})
	sim.AddUser(slacksim.User{ID: "UGUEST", Name: "gus", IsRestricted: true})
	sim.AddUser(slacksim.User{ID: "UADMIN", Name: "ada", IsAdmin: true, IsOwner: true})
	sim.AddChannel(slacksim.Channel{ID: "CSUP", Name: "support", Members: []string{sim.BotUserID, "UAGENT", "UCUST", "UADMIN"}})
	sim.AddChannel(slacksim.Channel{ID: "GPRIV", Name: "private", IsPrivate: true, Members: []string{"UAGENT"}})
	api := slack.New(sim.BotToken, slack.OptionAppLevelToken(sim.AppToken), slack.OptionAPIURL(sim.APIURL()))
	return sim, api
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestAuthTest(t *testing.T) {
	sim, api := fixture(t, slacksim.Options{})
	got, err := api.AuthTest()
	if err != nil {
		t.Fatalf("AuthTest() error = %v", err)
	}
	if got.UserID != sim.BotUserID || got.TeamID != sim.TeamID || got.BotID != sim.BotID {
		t.Errorf("AuthTest() = user %q team %q bot %q, want %q %q %q",
			got.UserID, got.TeamID, got.BotID, sim.BotUserID, sim.TeamID, sim.BotID)
	}
	if got.URL != "https://simworkspace.slack.com/" || got.Team != "Sim Workspace" || got.User != "nudgebot" {
		t.Errorf("AuthTest() = url %q team %q user %q", got.URL, got.Team, got.User)
	}
	calls := sim.Calls("auth.test")
	if len(calls) != 1 || !calls[0].OK() || calls[0].TokenKind != "bot" {
		t.Errorf("Calls(auth.test) = %+v, want one ok bot call", calls)
	}
	if calls[0].Params.Has("token") {
		t.Errorf("recorded params hold the token")
	}
}

func TestTokenErrors(t *testing.T) {
	sim, _ := fixture(t, slacksim.Options{})
	tests := []struct {
		name string
		give func() error
		want string
	}{
		{"missing token", func() error {
			_, err := slack.New("", slack.OptionAPIURL(sim.APIURL())).AuthTest()
			return err
		}, "not_authed"},
		{"wrong token", func() error {
			_, err := slack.New("xoxb-nope", slack.OptionAPIURL(sim.APIURL())).AuthTest()
			return err
		}, "invalid_auth"},
		{"bot token on apps.connections.open", func() error {
			_, _, err := slack.New(sim.BotToken, slack.OptionAppLevelToken(sim.BotToken),
				slack.OptionAPIURL(sim.APIURL())).StartSocketModeContext(context.Background())
			return err
		}, "not_allowed_token_type"},
		{"wrong app token", func() error {
			_, _, err := slack.New(sim.BotToken, slack.OptionAppLevelToken("xapp-1-nope"),
				slack.OptionAPIURL(sim.APIURL())).StartSocketModeContext(context.Background())
			return err
		}, "invalid_auth"},
		{"app token on chat.postEphemeral", func() error {
			_, err := slack.New(sim.AppToken, slack.OptionAPIURL(sim.APIURL())).
				PostEphemeral("CSUP", "UAGENT", slack.MsgOptionText("hi", false))
			return err
		}, "not_allowed_token_type"},
		{"wrong token on users.info", func() error {
			_, err := slack.New("xoxb-nope", slack.OptionAPIURL(sim.APIURL())).GetUserInfo("UAGENT")
			return err
		}, "invalid_auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.give()
			var serr slack.SlackErrorResponse
			if !errors.As(err, &serr) || serr.Err != tt.want {
				t.Errorf("error = %v, want %s", err, tt.want)
			}
		})
	}
}

func TestGetUserInfo(t *testing.T) {
	_, api := fixture(t, slacksim.Options{})
	u, err := api.GetUserInfo("UCUST")
	if err != nil {
		t.Fatalf("GetUserInfo(UCUST) error = %v", err)
	}
	if u.ID != "UCUST" || u.TeamID != "TOTHER" || !u.IsStranger || u.IsBot || u.Name != "bob" {
		t.Errorf("GetUserInfo(UCUST) = %+v", u)
	}
	g, err := api.GetUserInfo("UGUEST")
	if err != nil || !g.IsRestricted || g.IsUltraRestricted || g.TeamID != "T0SIM" {
		t.Errorf("GetUserInfo(UGUEST) = %+v, %v; want a restricted member of T0SIM", g, err)
	}
	a, err := api.GetUserInfo("UADMIN")
	if err != nil || !a.IsAdmin || !a.IsOwner || a.Profile.RealName != "ada" {
		t.Errorf("GetUserInfo(UADMIN) = %+v, %v", a, err)
	}
	b, err := api.GetUserInfo("U0BOT")
	if err != nil || !b.IsBot || b.Profile.BotID != "B0BOT" {
		t.Errorf("GetUserInfo(U0BOT) = %+v, %v; want the bot", b, err)
	}
	_, err = api.GetUserInfo("UNOBODY")
	if err == nil || err.Error() != "user_not_found" {
		t.Errorf("GetUserInfo(UNOBODY) error = %v, want user_not_found", err)
	}
}

func TestGetConversationInfo(t *testing.T) {
	_, api := fixture(t, slacksim.Options{})
	ch, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: "CSUP", IncludeNumMembers: true})
	if err != nil {
		t.Fatalf("GetConversationInfo(CSUP) error = %v", err)
	}
	if ch.ID != "CSUP" || ch.Name != "support" || !ch.IsChannel || !ch.IsMember || ch.IsPrivate || ch.NumMembers != 4 {
		t.Errorf("GetConversationInfo(CSUP) = %+v", ch)
	}
	for _, id := range []string{"CNONE", "GPRIV"} {
		_, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: id})
		if err == nil || err.Error() != "channel_not_found" {
			t.Errorf("GetConversationInfo(%s) error = %v, want channel_not_found", id, err)
		}
	}
}

func nudgeBlocks() []slack.Block {
	return []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Get them to B, not Z.*", false, false), nil, nil),
		slack.NewContextBlock("ctx", slack.NewTextBlockObject(slack.MarkdownType, "> what you really need", false, false)),
		slack.NewActionBlock("fb",
			slack.NewButtonBlockElement("nudge_helpful", "1", slack.NewTextBlockObject(slack.PlainTextType, "Helpful", false, false)),
			slack.NewButtonBlockElement("nudge_not_helpful", "1", slack.NewTextBlockObject(slack.PlainTextType, "Not helpful", false, false)),
		),
	}
}

func TestPostEphemeral(t *testing.T) {
	sim, api := fixture(t, slacksim.Options{})
	ts, err := api.PostEphemeral("CSUP", "UAGENT",
		slack.MsgOptionText("Get them to B, not Z", false),
		slack.MsgOptionBlocks(nudgeBlocks()...),
		slack.MsgOptionTS("1700000000.000100"))
	if err != nil {
		t.Fatalf("PostEphemeral() error = %v", err)
	}
	eph := sim.Ephemerals()
	if len(eph) != 1 {
		t.Fatalf("Ephemerals() = %d, want 1", len(eph))
	}
	e := eph[0]
	if e.Channel != "CSUP" || e.User != "UAGENT" || e.Text != "Get them to B, not Z" || e.ThreadTS != "1700000000.000100" || e.MessageTS != ts {
		t.Errorf("Ephemerals()[0] = %+v, want CSUP/UAGENT in thread, ts %q", e, ts)
	}
	blocks, err := sim.Calls("chat.postEphemeral")[0].DecodedBlocks()
	if err != nil || len(blocks.BlockSet) != 3 {
		t.Fatalf("DecodedBlocks() = %v, %v; want 3 blocks", blocks, err)
	}
	if a, ok := blocks.BlockSet[2].(*slack.ActionBlock); !ok || a.Elements.ElementSet[0].(*slack.ButtonBlockElement).ActionID != "nudge_helpful" {
		t.Errorf("block 2 = %#v, want the actions block", blocks.BlockSet[2])
	}

	ts2, err := api.PostEphemeral("CSUP", "UAGENT", slack.MsgOptionText("again", false))
	if err != nil || ts2 <= ts {
		t.Errorf("second PostEphemeral() = %q, %v; want a later ts than %q", ts2, err, ts)
	}
}

func TestPostEphemeralRejects(t *testing.T) {
	sim, api := fixture(t, slacksim.Options{})
	sim.AddChannel(slacksim.Channel{ID: "CNOBOT", Members: []string{"UAGENT"}})
	tests := []struct {
		name          string
		channel, user string
		want          string
	}{
		{"unknown channel", "CNONE", "UAGENT", "channel_not_found"},
		{"unknown user", "CSUP", "UNOBODY", "user_not_found"},
		{"user not in channel", "CSUP", "UGUEST", "user_not_in_channel"},
		{"bot not in channel", "CNOBOT", "UAGENT", "not_in_channel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := api.PostEphemeral(tt.channel, tt.user, slack.MsgOptionText("hi", false))
			if err == nil || err.Error() != tt.want {
				t.Errorf("PostEphemeral(%s, %s) error = %v, want %s", tt.channel, tt.user, err, tt.want)
			}
		})
	}
	if n := len(sim.Ephemerals()); n != 0 {
		t.Errorf("Ephemerals() = %d after rejections, want 0", n)
	}
	if n := len(sim.Calls("chat.postEphemeral")); n != len(tests) {
		t.Errorf("Calls(chat.postEphemeral) = %d, want %d rejected calls recorded", n, len(tests))
	}
}

// runSocket runs a socketmode client against sim until the test ends and
// returns it; the test reads client.Events.
func runSocket(t *testing.T, api *slack.Client) *socketmode.Client {
	t.Helper()
	client := socketmode.New(api)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = client.RunContext(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		// Drain so RunContext's sends never block its shutdown.
		for {
			select {
			case <-done:
				return
			case <-client.Events:
			}
		}
	})
	return client
}

// nextEvent returns the next socketmode event of one of the given types,
// skipping the others (connecting, connected, hello...).
func nextEvent(t *testing.T, ctx context.Context, c *socketmode.Client, types ...socketmode.EventType) socketmode.Event {
	t.Helper()
	for {
		select {
		case ev := <-c.Events:
			for _, typ := range types {
				if ev.Type == typ {
					return ev
				}
			}
		case <-ctx.Done():
			t.Fatalf("waiting for %v: %v", types, ctx.Err())
		}
	}
}

func TestSocketModeMessage(t *testing.T) {
	sim, api := fixture(t, slacksim.Options{})
	ctx := testContext(t)
	client := runSocket(t, api)

	hello := nextEvent(t, ctx, client, socketmode.EventTypeHello)
	if hello.Request.NumConnections != 1 || hello.Request.ConnectionInfo.AppID != sim.AppID || hello.Request.DebugInfo.Host == "" {
		t.Errorf("hello = %+v", hello.Request)
	}
	if err := sim.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}

	d := sim.Post(slacksim.Msg{Channel: "CSUP", User: "UAGENT", Text: "as I already said", ThreadTS: "1700000000.000001"})
	ev := nextEvent(t, ctx, client, socketmode.EventTypeEventsAPI)
	if ev.Request.EnvelopeID != d.EnvelopeID() || ev.Request.RetryAttempt != 0 {
		t.Errorf("envelope = %+v, want id %q", ev.Request, d.EnvelopeID())
	}
	outer := ev.Data.(slackevents.EventsAPIEvent)
	cb := outer.Data.(*slackevents.EventsAPICallbackEvent)
	if outer.Type != slackevents.CallbackEvent || outer.TeamID != sim.TeamID || cb.EventID != d.EventID || cb.APIAppID != sim.AppID ||
		len(cb.Authorizations) != 1 || cb.Authorizations[0].UserID != sim.BotUserID || cb.EventTime == 0 {
		t.Errorf("outer event = %+v / %+v", outer, cb)
	}
	msg, ok := outer.InnerEvent.Data.(*slackevents.MessageEvent)
	if !ok {
		t.Fatalf("inner event = %T, want *slackevents.MessageEvent", outer.InnerEvent.Data)
	}
	if msg.Channel != "CSUP" || msg.User != "UAGENT" || msg.Text != "as I already said" || msg.TimeStamp != d.TS ||
		msg.ThreadTimeStamp != "1700000000.000001" || msg.ChannelType != "channel" || msg.SubType != "" || msg.BotID != "" {
		t.Errorf("message = %+v", msg)
	}

	client.Ack(*ev.Request)
	ack, err := sim.WaitAcked(ctx, d.EnvelopeID())
	if err != nil {
		t.Fatal(err)
	}
	if ack.Type != "events_api" || ack.ConnID != 1 || ack.Latency <= 0 {
		t.Errorf("ack = %+v", ack)
	}
	if l := sim.AckLatencies(); len(l) != 1 {
		t.Errorf("AckLatencies() = %v, want 1", l)
	}
	if u := sim.Unacked(); len(u) != 0 {
		t.Errorf("Unacked() = %v, want none", u)
	}
}
