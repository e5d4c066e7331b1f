package slacksim_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/nudgebot/nudgebot/internal/slacksim"
)

func TestSlashCommand(t *testing.T) {
	sim, api := fixture(t, slacksim.Options{})
	ctx := testContext(t)
	client := runSocket(t, api)

	d := sim.Slash("UADMIN", "CSUP", "threshold 0.7")
	ev := nextEvent(t, ctx, client, socketmode.EventTypeSlashCommand)
	cmd, ok := ev.Data.(slack.SlashCommand)
	if !ok {
		t.Fatalf("slash event data = %T, want slack.SlashCommand", ev.Data)
	}
	want := slack.SlashCommand{
		Token: "slacksim-verification-token", TeamID: sim.TeamID, TeamDomain: "simworkspace",
		ChannelID: "CSUP", ChannelName: "support", UserID: "UADMIN", UserName: "ada",
		Command: "/nudge", Text: "threshold 0.7", ResponseURL: d.ResponseURL, TriggerID: d.TriggerID, APIAppID: sim.AppID,
	}
	if cmd != want {
		t.Errorf("SlashCommand =\n%+v, want\n%+v", cmd, want)
	}
	if !ev.Request.AcceptsResponsePayload || ev.Request.EnvelopeID != d.EnvelopeID() {
		t.Errorf("envelope = %+v, want accepts_response_payload", ev.Request)
	}

	// An ack with a payload: the reply Slack shows the user.
	client.Ack(*ev.Request, map[string]any{"response_type": "ephemeral", "text": "Threshold set to 0.7"})
	ack, err := sim.WaitAcked(ctx, d.EnvelopeID())
	if err != nil {
		t.Fatal(err)
	}
	var reply struct {
		Text string `json:"text"`
	}
	if ack.Type != "slash_commands" || json.Unmarshal(ack.Payload, &reply) != nil || reply.Text != "Threshold set to 0.7" {
		t.Errorf("ack = %+v, want its payload recorded", ack)
	}

	// A later reply through the response_url.
	_, _, err = api.PostMessage("CSUP", slack.MsgOptionResponseURL(d.ResponseURL, slack.ResponseTypeEphemeral),
		slack.MsgOptionText("Done.", false))
	if err != nil {
		t.Fatalf("response_url post error = %v", err)
	}
	posts, err := sim.WaitResponseURLPosts(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	p := posts[0]
	if p.URL != d.ResponseURL || p.Source != "slash_commands" || p.Channel != "CSUP" || p.User != "UADMIN" ||
		p.Text != "Done." || p.ResponseType != "ephemeral" || p.Error != "" {
		t.Errorf("ResponseURLPosts()[0] = %+v", p)
	}
}

func TestClick(t *testing.T) {
	sim, api := fixture(t, slacksim.Options{})
	ctx := testContext(t)
	client := runSocket(t, api)

	if _, err := api.PostEphemeral("CSUP", "UAGENT", slack.MsgOptionText("nudge", false),
		slack.MsgOptionBlocks(nudgeBlocks()...), slack.MsgOptionTS("1700000000.000042")); err != nil {
		t.Fatal(err)
	}
	e := sim.Ephemerals()[0]
	if _, ok := sim.ClickEphemeral(e, "no_such_button"); ok {
		t.Errorf("ClickEphemeral(no_such_button) ok, want false")
	}
	d, ok := sim.ClickEphemeral(e, "nudge_not_helpful")
	if !ok {
		t.Fatal("ClickEphemeral(nudge_not_helpful) found no button")
	}
	ev := nextEvent(t, ctx, client, socketmode.EventTypeInteractive)
	cb, ok := ev.Data.(slack.InteractionCallback)
	if !ok {
		t.Fatalf("interactive data = %T, want slack.InteractionCallback", ev.Data)
	}
	if cb.Type != slack.InteractionTypeBlockActions || cb.User.ID != "UAGENT" || cb.User.TeamID != sim.TeamID ||
		cb.Channel.ID != "CSUP" || cb.ResponseURL != d.ResponseURL || cb.TriggerID != d.TriggerID || cb.Team.ID != sim.TeamID {
		t.Errorf("callback = type %q user %+v channel %q response_url %q", cb.Type, cb.User.ID, cb.Channel.ID, cb.ResponseURL)
	}
	if cb.Container.Type != "message" || !cb.Container.IsEphemeral || cb.Container.MessageTs != e.MessageTS ||
		cb.Container.ThreadTs != "1700000000.000042" || cb.Container.ChannelID != "CSUP" {
		t.Errorf("container = %+v", cb.Container)
	}
	acts := cb.ActionCallback.BlockActions
	if len(acts) != 1 || acts[0].ActionID != "nudge_not_helpful" || acts[0].BlockID != "fb" || acts[0].Value != "1" ||
		acts[0].Type != "button" || acts[0].Text.Text != "Not helpful" {
		t.Errorf("actions = %+v", acts)
	}
	client.Ack(*ev.Request)

	// Replace the ephemeral with a thank-you, as the bot does.
	_, _, err := api.PostMessage("", slack.MsgOptionReplaceOriginal(cb.ResponseURL), slack.MsgOptionText("Thanks!", false))
	if err != nil {
		t.Fatalf("replace_original error = %v", err)
	}
	posts, err := sim.WaitResponseURLPosts(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if p := posts[0]; !p.ReplaceOriginal || p.Text != "Thanks!" || p.Source != "interactive" || p.User != "UAGENT" {
		t.Errorf("ResponseURLPosts()[0] = %+v", p)
	}

	// Slack checks response_url blocks as it checks chat.* blocks.
	_, _, err = api.PostMessage("", slack.MsgOptionReplaceOriginal(cb.ResponseURL), slack.MsgOptionText("x", false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(nil, nil, nil)))
	if err == nil || err.Error() != "invalid_blocks" {
		t.Errorf("response_url with a bad section: error = %v, want invalid_blocks", err)
	}
	if _, _, err := api.PostMessage("", slack.MsgOptionDeleteOriginal(cb.ResponseURL)); err != nil {
		t.Errorf("delete_original error = %v", err)
	}
	posts = sim.ResponseURLPosts()
	if len(posts) != 3 || posts[1].Error != "invalid_blocks" || !posts[2].DeleteOriginal {
		t.Errorf("ResponseURLPosts() = %+v", posts)
	}
}

func TestResponseURLUnknown(t *testing.T) {
	sim, _ := fixture(t, slacksim.Options{})
	resp, err := http.Post(sim.URL()+"/actions/nope", "application/json", strings.NewReader(`{"text":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST unknown response_url = %d, want 404", resp.StatusCode)
	}
}
