package slackbot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nudgebot/nudgebot/internal/slackbot"
	"github.com/nudgebot/nudgebot/internal/slacksim"
	"github.com/nudgebot/nudgebot/internal/store"
)

// home opens user's App Home and returns the view the bot published: its
// blocks' texts, one string per block, and the number of blocks. The sim
// has validated the view as Slack would (home surface, 100 blocks).
func (h *harness) home(user string) (texts []string, blocks int) {
	h.t.Helper()
	before := len(h.sim.Calls("views.publish"))
	h.sim.AppHomeOpened(user, slacksim.EventOpts{})
	var call slacksim.Call
	err := h.sim.WaitFor(h.ctx(), func() bool {
		calls := h.sim.Calls("views.publish")
		if len(calls) > before {
			call = calls[before]
			return true
		}
		return false
	})
	if err != nil {
		h.t.Fatalf("no views.publish for %s: %v", user, err)
	}
	if !call.OK() {
		h.t.Fatalf("views.publish for %s rejected: %s %v", user, call.Error, call.Details)
	}
	if got := call.Params.Get("user_id"); got != user {
		h.t.Errorf("views.publish user_id = %q, want %q", got, user)
	}
	var raw []struct {
		Type     string                  `json:"type"`
		Text     *struct{ Text string }  `json:"text"`
		Fields   []struct{ Text string } `json:"fields"`
		Elements []struct {
			Text string `json:"text"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(call.Blocks, &raw); err != nil {
		h.t.Fatalf("view blocks: %v", err)
	}
	if _, err := call.DecodedBlocks(); err != nil {
		h.t.Errorf("slack-go cannot decode the view's blocks: %v", err)
	}
	for _, b := range raw {
		var parts []string
		if b.Text != nil {
			parts = append(parts, b.Text.Text)
		}
		for _, f := range b.Fields {
			parts = append(parts, f.Text)
		}
		for _, e := range b.Elements {
			parts = append(parts, e.Text)
		}
		texts = append(texts, b.Type+": "+strings.Join(parts, " | "))
	}
	return texts, len(raw)
}

// shows fails the test unless some block holds each want.
func shows(t *testing.T, texts []string, want ...string) {
	t.Helper()
	all := strings.Join(texts, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("home view lacks %q:\n%s", w, all)
		}
	}
}

func TestAppHomeAgent(t *testing.T) {
	h := startSlash(t, func(o *slackbot.Options) { o.Defaults.Cooldown = 0 })
	texts, _ := h.home(agent)
	shows(t, texts, "header: nudgebot", "*Your nudges this week*\nNone.", "not snoozed")

	for range 3 {
		h.post(slacksim.Msg{Channel: support, User: agent, Text: argue})
	}
	h.post(slacksim.Msg{Channel: support, User: agent2, Text: argue}) // not agent's
	e := h.ephemeralsTo(agent)[0]
	d, _ := h.sim.ClickEphemeral(e, slackbot.ActionHelpful)
	h.obs.one(t, d.EnvelopeID())
	h.slash(manager, support2, "shadow on")
	h.post(slacksim.Msg{Channel: support2, User: agent, Text: argue}) // shadowed: the agent never saw it
	h.slash(agent, support, "snooze 1h")

	texts, _ = h.home(agent)
	shows(t, texts, "*Your nudges this week*: 3", "repeat: 3 (1 marked helpful)", "*Snooze*: snoozed until", "(1h left)")
	for _, tx := range texts {
		if strings.Contains(tx, "Workspace defaults") || strings.Contains(tx, "<#") {
			t.Errorf("agent's home shows manager content: %q", tx)
		}
	}

	// Nudges older than a week drop out.
	h.clock.Add(8 * 24 * time.Hour)
	texts, _ = h.home(agent)
	shows(t, texts, "*Your nudges this week*\nNone.", "not snoozed")
}

func TestAppHomeManager(t *testing.T) {
	h := startSlash(t)
	texts, _ := h.home(manager)
	shows(t, texts, "header: Workspace defaults", "*Threshold*\n0.6 · built-in default",
		"header: Channels with their own settings", "None: every channel")

	h.slash(manager, support, "threshold default 0.8")
	h.slash(manager, support, "threshold 0.7")
	h.slash(manager, support, "rule spar off")
	h.slash(manager, support2, "shadow on")
	h.slash(manager, support2, "experiment 20")
	for _, who := range []string{manager, admin, owner} {
		texts, _ = h.home(who)
		shows(t, texts, "*Threshold*\n0.8 · workspace default",
			"<#"+support+">: watching · threshold *0.7* · cooldown 10m · off: *spar*",
			"<#"+support2+">: watching · threshold 0.8 · cooldown 10m · *shadow mode* · *experiment 20%*")
	}
	// An agent sees none of it.
	texts, _ = h.home(agent)
	for _, tx := range texts {
		if strings.Contains(tx, "Workspace defaults") || strings.Contains(tx, "<#") {
			t.Errorf("agent's home shows manager content: %q", tx)
		}
	}
}

func TestAppHomeManyChannels(t *testing.T) {
	h := startSlash(t)
	const n = 150
	for i := range n {
		_, err := h.store.SetSetting(context.Background(), store.Change{Team: h.sim.TeamID,
			Channel: fmt.Sprintf("C%04d", i), Key: store.KeyThreshold, New: "0.7", By: manager, At: h.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
	}
	texts, blocks := h.home(manager)
	if blocks > 100 {
		t.Errorf("%d blocks, want at most 100", blocks)
	}
	shown := 0
	for _, tx := range texts {
		if strings.HasPrefix(tx, "section: <#C0") {
			shown++
		}
	}
	shows(t, texts, "<#C0000>", fmt.Sprintf("…and %d more channels", n-shown))
	if shown < 50 {
		t.Errorf("only %d channels shown", shown)
	}
}

func TestAppHomeMessagesTabIgnored(t *testing.T) {
	h := startSlash(t)
	d := h.sim.SendEvent(map[string]any{"type": "app_home_opened", "user": agent, "channel": "DAGENT", "tab": "messages"}, slacksim.EventOpts{})
	h.obs.one(t, d.EventID)
	h.home(agent) // a home tab after it is published, and is the first publish
	if n := len(h.sim.Calls("views.publish")); n != 1 {
		t.Errorf("%d views.publish calls, want 1 (the messages tab publishes nothing)", n)
	}
}
