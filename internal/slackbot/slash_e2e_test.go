package slackbot_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nudgebot/nudgebot/internal/score"
	"github.com/nudgebot/nudgebot/internal/slackbot"
	"github.com/nudgebot/nudgebot/internal/slacksim"
	"github.com/nudgebot/nudgebot/internal/store"
	"github.com/nudgebot/nudgebot/internal/store/sqlite"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	zapobs "go.uber.org/zap/zaptest/observer"
)

// More of the cast: who may change settings.
const (
	manager = "UMANAGER" // in NUDGE_MANAGERS
	admin   = "UADMIN"   // a workspace admin
	owner   = "UOWNER"   // a workspace owner
	refusal = "only managers can"
)

// startSlash starts a bot whose NUDGE_MANAGERS is manager, with an admin
// and an owner in the workspace besides.
func startSlash(t *testing.T, edit ...func(*slackbot.Options)) *harness {
	t.Helper()
	edits := append([]func(*slackbot.Options){func(o *slackbot.Options) { o.Managers = []string{manager} }}, edit...)
	h := start(t, edits...)
	h.sim.AddUser(slacksim.User{ID: manager, Name: "morgan"})
	h.sim.AddUser(slacksim.User{ID: admin, Name: "ada", IsAdmin: true})
	h.sim.AddUser(slacksim.User{ID: owner, Name: "otto", IsOwner: true})
	return h
}

// withLogs tees the bot's log into an observer the test can read.
func withLogs(logs **zapobs.ObservedLogs) func(*slackbot.Options) {
	return func(o *slackbot.Options) {
		core, obs := zapobs.New(zapcore.DebugLevel)
		*logs = obs
		o.Log = zap.New(zapcore.NewTee(o.Log.Core(), core))
	}
}

// slash runs a /nudge command as user in channel and returns the reply the
// bot posted to the command's response_url. The sim has checked the
// reply's blocks as Slack would.
func (h *harness) slash(user, channel, text string) slacksim.ResponseURLPost {
	h.t.Helper()
	d := h.sim.Slash(user, channel, text)
	var got slacksim.ResponseURLPost
	err := h.sim.WaitFor(h.ctx(), func() bool {
		for _, p := range h.sim.ResponseURLPosts() {
			if p.URL == d.ResponseURL {
				got = p
				return true
			}
		}
		return false
	})
	if err != nil {
		h.t.Fatalf("/nudge %s: no reply: %v", text, err)
	}
	if got.Error != "" {
		h.t.Fatalf("/nudge %s: the sim rejected the reply: %s (%+v)", text, got.Error, got)
	}
	if got.ResponseType != "ephemeral" {
		h.t.Errorf("/nudge %s: response_type %q, want ephemeral", text, got.ResponseType)
	}
	return got
}

// says fails the test unless the reply's text holds every want.
func says(t *testing.T, p slacksim.ResponseURLPost, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(p.Text, w) {
			t.Errorf("reply lacks %q:\n%s", w, p.Text)
		}
	}
}

// settings returns the settings stored at one level.
func (h *harness) settings(channel string) map[string]string {
	h.t.Helper()
	m, err := h.store.Settings(context.Background(), h.sim.TeamID, channel)
	if err != nil {
		h.t.Fatal(err)
	}
	return m
}

func TestSlashChangeTakesEffectOnNextMessage(t *testing.T) {
	h := startSlash(t, func(o *slackbot.Options) { o.Defaults.Cooldown = 0 })
	msg := slacksim.Msg{Channel: support, User: agent, Text: argue}

	says(t, h.slash(manager, support, "threshold 1"), "Threshold is now *1* in <#"+support+">", "was 0.6, the built-in default")
	if _, hd := h.post(msg); hd.Outcome != "scored" {
		t.Errorf("after threshold 1: %q, want scored (under the threshold)", hd.Outcome)
	}
	says(t, h.slash(admin, support, "threshold 0.5"), "Threshold is now *0.5*", "was 1, set for this channel")
	if _, hd := h.post(msg); hd.Outcome != "sent" {
		t.Errorf("after threshold 0.5: %q, want sent", hd.Outcome)
	}
	says(t, h.slash(owner, support, "rule repeat off"), "Rule family repeat is now *off*")
	if _, hd := h.post(msg); hd.Outcome != "scored" {
		t.Errorf("after rule repeat off: %q, want scored", hd.Outcome)
	}
	h.slash(manager, support, "rule repeat on")
	says(t, h.slash(manager, support, "off"), "Watching is now *off*", "ignore this channel")
	if _, hd := h.post(msg); hd.Outcome != "skipped:channel_off" {
		t.Errorf("after off: %q, want skipped:channel_off", hd.Outcome)
	}
	// The other channel is untouched.
	if _, hd := h.post(slacksim.Msg{Channel: support2, User: agent, Text: argue}); hd.Outcome != "sent" {
		t.Errorf("other channel: %q, want sent", hd.Outcome)
	}
	h.slash(manager, support, "on")
	if _, hd := h.post(msg); hd.Outcome != "sent" {
		t.Errorf("after on: %q, want sent", hd.Outcome)
	}
	// Saying it twice changes nothing and writes nothing.
	says(t, h.slash(manager, support, "on"), "already on", "nothing changed")

	// Every change is in the audit log: who, when, where, old, new.
	audit, err := h.store.Audit(context.Background(), h.sim.TeamID, support, 100)
	if err != nil {
		t.Fatal(err)
	}
	type rec struct{ by, key, old, new string }
	var got []rec
	for i := len(audit) - 1; i >= 0; i-- {
		c := audit[i]
		got = append(got, rec{c.By, c.Key, c.Old, c.New})
		if c.Channel != support || !c.At.Equal(h.clock.Now()) {
			t.Errorf("audit %+v: want channel %s at %v", c, support, h.clock.Now())
		}
	}
	want := []rec{
		{manager, store.KeyThreshold, "", "1"},
		{admin, store.KeyThreshold, "1", "0.5"},
		{owner, "rule.repeat", "", "off"},
		{manager, "rule.repeat", "off", "on"},
		{manager, store.KeyEnabled, "", "off"},
		{manager, store.KeyEnabled, "off", "on"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("audit log (oldest first) =\n%v\nwant\n%v", got, want)
	}
}

func TestSlashWorkspaceLevel(t *testing.T) {
	h := startSlash(t)
	says(t, h.slash(manager, support, "threshold default 0.9"), "Threshold is now *0.9* as the workspace default")
	says(t, h.slash(manager, support, "cooldown default 30m"), "Cooldown is now *30m* as the workspace default", "was 10m, the built-in default")
	says(t, h.slash(manager, support, "cap 3"), "Daily cap is now *3 a day* as the workspace default")
	if got := h.settings(""); got[store.KeyThreshold] != "0.9" || got[store.KeyCooldown] != "30m0s" || got[store.KeyCap] != "3" {
		t.Errorf("workspace settings = %v", got)
	}
	if got := h.settings(support); len(got) != 0 {
		t.Errorf("channel settings = %v, want none", got)
	}
	// A channel's own value still wins, and the reply says so.
	h.slash(manager, support, "threshold 0.7")
	says(t, h.slash(manager, support, "threshold default 0.8"),
		"Threshold is now *0.8* as the workspace default (it was 0.9, the workspace default)",
		"<#"+support+"> keeps its own threshold, 0.7; `/nudge threshold` there changes it.")
	says(t, h.slash(manager, support2, "status"), "0.8 · workspace default", "30m · workspace default", "3 a day · workspace default")
	says(t, h.slash(manager, support, "status"), "0.7 · this channel")
	// Channel-level commands in a DM would change nothing: they are refused.
	for _, cmd := range []string{"threshold 0.7", "shadow on", "rule spar off", "off", "experiment 10"} {
		says(t, h.slash(manager, "DAGENT", cmd), "run it in that channel")
	}
	// The workspace forms work there, and status there is the workspace's.
	says(t, h.slash(manager, "DAGENT", "cap off"), "Daily cap is now *off*")
	p := h.slash(agent, "DAGENT", "status")
	says(t, p, "nudgebot's workspace defaults", "*Threshold*: 0.8 · workspace default", "*Daily cap per agent*: off · workspace default")
	if strings.Contains(p.Text, "Watching") {
		t.Errorf("workspace status shows a channel switch:\n%s", p.Text)
	}
}

func TestSlashNonManagerChangesNothing(t *testing.T) {
	var logs *zapobs.ObservedLogs
	h := startSlash(t, withLogs(&logs))
	commands := []string{"threshold 0.9", "threshold default 0.9", "cooldown 0", "off", "on", "rule spar off",
		"stats", "stats 30", "shadow on", "cap 2", "cap off", "experiment 50", "experiment off"}
	for _, who := range []string{agent, guest, customer} {
		for _, cmd := range commands {
			p := h.slash(who, support, cmd)
			says(t, p, "Sorry, "+refusal)
		}
	}
	if got := h.settings(support); len(got) != 0 {
		t.Errorf("channel settings = %v, want none", got)
	}
	if got := h.settings(""); len(got) != 0 {
		t.Errorf("workspace settings = %v, want none", got)
	}
	for _, ch := range []string{support, ""} {
		if a, err := h.store.Audit(context.Background(), h.sim.TeamID, ch, 10); err != nil || len(a) != 0 {
			t.Errorf("audit %q = %v, %v; want none", ch, a, err)
		}
	}
	refused := logs.FilterMessage("slash refused: not a manager").FilterField(zap.String("user_id", agent))
	if n := refused.Len(); n != len(commands) {
		t.Errorf("%d refusals of %s logged, want %d", n, agent, len(commands))
	}
	// The refusals are counted too: three people, each command once.
	if got := h.metric("nudgebot_slash_commands_total", map[string]string{"command": "threshold", "outcome": "refused"}); got != 6 {
		t.Errorf("refused threshold commands counted = %v, want 6 (threshold and threshold default, by 3 people)", got)
	}
	h.slash(agent, support, "frobnicate")
	if got := h.metric("nudgebot_slash_commands_total", map[string]string{"command": "unknown", "outcome": "usage"}); got != 1 {
		t.Errorf("unknown subcommands counted = %v, want 1", got)
	}
	// Everyone may still use the commands that are for everyone.
	says(t, h.slash(agent, support, "status"), "Threshold*: 0.6")
	says(t, h.slash(agent, support, "help"), "For managers")
	// A manager by admin right is found through users.info, once per TTL.
	h.slash(admin, support, "cap 2")
	h.slash(admin, support, "cap 3")
	n := 0
	for _, c := range h.sim.Calls("users.info") {
		if c.Params.Get("user") == admin {
			n++
		}
	}
	if n != 1 {
		t.Errorf("users.info called %d times for %s, want 1 (cached)", n, admin)
	}
}

func TestSlashUsageErrorsChangeNothing(t *testing.T) {
	h := startSlash(t)
	tests := []struct {
		give string
		want string
	}{
		{"threshold 7", "threshold must be between 0 and 1"},
		{"cooldown soon", "cooldown needs a duration"},
		{"frobnicate", "unknown command"},
		{"treshold 0.7", "did you mean `threshold`"},
		{"rule nonsense off", "unknown family"},
		{"snooze forever", "at most 30 days"},
		{"cap -1", "cap must be a whole number"},
		{"experiment 95", "experiment must be a whole percentage"},
		{"stats lots", "stats takes a number of days"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			p := h.slash(manager, support, tt.give)
			says(t, p, tt.want, "\nUsage: ")
			if strings.Count(p.Text, "\n") != 1 {
				t.Errorf("reply is not one line plus the usage:\n%s", p.Text)
			}
		})
	}
	if got := h.settings(support); len(got) != 0 {
		t.Errorf("channel settings = %v, want none", got)
	}
	if got := h.settings(""); len(got) != 0 {
		t.Errorf("workspace settings = %v, want none", got)
	}
}

func TestSlashStoreErrorIsGeneric(t *testing.T) {
	var logs *zapobs.ObservedLogs
	h := startSlash(t, withLogs(&logs))
	h.store.Close() // every store call fails from here on
	for _, cmd := range []string{"status", "threshold 0.7", "snooze 1h", "stats", "test as I already said"} {
		p := h.slash(manager, support, cmd)
		if p.Text != "Something went wrong, try again in a moment." {
			t.Errorf("/nudge %s with the store down: %q, want the generic reply", cmd, p.Text)
		}
	}
	if n := logs.FilterMessage("slash command failed").Len(); n != 5 {
		t.Errorf("%d failures logged, want 5", n)
	}
}

func TestSlashStatus(t *testing.T) {
	h := startSlash(t)
	p := h.slash(agent, support, "status")
	says(t, p, "nudgebot in <#"+support+">*: watching",
		"*Threshold*: 0.6 · built-in default", "*Cooldown*: 10m · built-in default",
		"*Watching*: on · built-in default", "*Shadow mode*: off · built-in default",
		"*Daily cap per agent*: off", "*Experiment*: off", "*Rule families*: all on",
		"*Your snooze*: not snoozed", "None yet")

	h.slash(manager, support, "threshold default 0.8")
	h.clock.Add(time.Minute)
	h.slash(manager, support, "cooldown 5m")
	h.clock.Add(time.Minute)
	h.slash(admin, support, "rule spar off")
	h.clock.Add(time.Minute)
	h.slash(admin, support, "shadow on")
	h.slash(manager, support2, "threshold 0.4") // another channel's change is not shown
	p = h.slash(agent, support, "status")
	says(t, p, "*shadow mode*: messages are scored",
		"*Threshold*: 0.8 · workspace default", "*Cooldown*: 5m · this channel",
		"*Shadow mode*: on · this channel", "off: spar (this channel)")
	// The last changes, newest first, with who made them.
	hist := p.Text[strings.Index(p.Text, "*Recent changes*"):]
	lines := strings.Split(hist, "\n")[1:]
	wantLines := []string{
		"<@" + admin + "> shadow mode (here): unset → on",
		"<@" + admin + "> rule family spar (here): unset → off",
		"<@" + manager + "> cooldown (here): unset → 5m",
		"<@" + manager + "> threshold (workspace default): unset → 0.8",
	}
	if len(lines) != len(wantLines) {
		t.Fatalf("recent changes = %q, want %d lines", lines, len(wantLines))
	}
	for i, w := range wantLines {
		if !strings.HasSuffix(lines[i], w) || !strings.Contains(lines[i], "<!date^") {
			t.Errorf("change %d = %q, want a date and %q", i, lines[i], w)
		}
	}
	// The blocks hold the same, as a two-column section.
	if !strings.Contains(string(p.Blocks), `"fields"`) {
		t.Errorf("status blocks have no fields: %s", p.Blocks)
	}
}

func TestSlashTest(t *testing.T) {
	h := startSlash(t)
	p := h.slash(agent, support, "test As I already explained three times, you need to restart it.")
	says(t, p, "would be nudged", "this channel's threshold 0.6", "(repeat)", "“As I already explained", "*Reminder* (repeat)")
	res := score.Evaluate(score.Message{Text: "As I already explained three times, you need to restart it."}, score.DefaultRules())
	for _, hit := range res.Hits {
		says(t, p, "`"+hit.RuleID+"`")
	}
	says(t, h.slash(agent, support, "test "+polite), "would *not* be nudged", "No rule matched")

	h.slash(manager, support, "threshold 1")
	says(t, h.slash(agent, support, "test As I already said, read the docs."), "would *not* be nudged", "threshold 1 (this channel)")
	h.slash(manager, support, "rule repeat off")
	says(t, h.slash(agent, support, "test As I already said, read the docs."), "Switched off here: repeat")
	// test changes nothing and sends nothing.
	if n := len(h.sim.Calls("chat.postEphemeral")); n != 0 {
		t.Errorf("%d ephemerals, want none", n)
	}
}

func TestSlashSnoozeExpires(t *testing.T) {
	h := startSlash(t, func(o *slackbot.Options) { o.Defaults.Cooldown = 0 })
	msg := slacksim.Msg{Channel: support, User: agent, Text: argue}

	says(t, h.slash(agent, support, "snooze 2h"), "Snoozed", "until <!date^", "(2h)")
	says(t, h.slash(agent, support, "status"), "*Your snooze*: snoozed until", "(2h left)")
	says(t, h.slash(agent2, support, "status"), "*Your snooze*: not snoozed")
	if _, hd := h.post(msg); hd.Outcome != "snoozed" {
		t.Errorf("snoozed agent: %q, want snoozed", hd.Outcome)
	}
	if _, hd := h.post(slacksim.Msg{Channel: support2, User: agent, Text: argue}); hd.Outcome != "snoozed" {
		t.Errorf("snoozed agent, other channel: %q, want snoozed", hd.Outcome)
	}
	if _, hd := h.post(slacksim.Msg{Channel: support, User: agent2, Text: argue}); hd.Outcome != "sent" {
		t.Errorf("the other agent: %q, want sent", hd.Outcome)
	}
	h.clock.Add(2*time.Hour - time.Minute)
	if _, hd := h.post(msg); hd.Outcome != "snoozed" {
		t.Errorf("a minute before the end: %q, want snoozed", hd.Outcome)
	}
	h.clock.Add(time.Minute)
	if _, hd := h.post(msg); hd.Outcome != "sent" {
		t.Errorf("when the snooze ends: %q, want sent", hd.Outcome)
	}
	says(t, h.slash(agent, support, "status"), "*Your snooze*: not snoozed")

	h.slash(agent, support, "snooze 90 min")
	says(t, h.slash(agent, support, "snooze off"), "Snooze ended")
	if _, hd := h.post(msg); hd.Outcome != "sent" {
		t.Errorf("after snooze off: %q, want sent", hd.Outcome)
	}
	says(t, h.slash(agent, support, "snooze off"), "weren't snoozed")
}

func TestSlashSettingsSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nudgebot.db")
	open := func() store.Store {
		st, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	first := open()
	h := startSlash(t, func(o *slackbot.Options) { o.Store = first })
	h.store = first
	h.slash(manager, support, "threshold 0.75")
	h.slash(manager, support, "cooldown default 20m")
	h.slash(agent, support, "snooze 3h")

	h.stop()
	select {
	case err := <-h.done:
		if err != nil {
			t.Fatalf("first bot: %v", err)
		}
		h.done <- err // for the harness's cleanup
	case <-time.After(wait):
		t.Fatal("first bot did not stop")
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second := open()
	t.Cleanup(func() { second.Close() })
	h2 := startSlash(t, func(o *slackbot.Options) { o.Store = second })
	h2.store = second
	p := h2.slash(agent, support, "status")
	says(t, p, "*Threshold*: 0.75 · this channel", "*Cooldown*: 20m · workspace default", "snoozed until",
		"<@"+manager+"> threshold (here): unset → 0.75")
	if _, hd := h2.post(slacksim.Msg{Channel: support, User: agent2, Text: argue}); hd.Outcome != "sent" {
		t.Errorf("after the restart: %q, want sent (0.8 passes 0.75)", hd.Outcome)
	}
	if _, hd := h2.post(slacksim.Msg{Channel: support, User: agent, Text: argue}); hd.Outcome != "snoozed" {
		t.Errorf("snoozed agent after the restart: %q, want snoozed", hd.Outcome)
	}
}

func TestSlashShadowCapExperiment(t *testing.T) {
	var draws atomic.Int64
	h := startSlash(t, func(o *slackbot.Options) {
		o.Defaults.Cooldown = 0
		// Every other draw is under any experiment's share: withheld.
		o.Rand = func() float64 {
			if draws.Add(1)%2 == 1 {
				return 0
			}
			return 0.999
		}
	})
	msg := slacksim.Msg{Channel: support, User: agent, Text: argue}

	says(t, h.slash(manager, support, "shadow on"), "Shadow mode is now *on*", "no agent sees one")
	for range 3 {
		if _, hd := h.post(msg); hd.Outcome != string(store.Shadowed) || hd.NudgeID == 0 {
			t.Errorf("shadow: %+v, want shadowed with a record", hd)
		}
	}
	if n := len(h.sim.Calls("chat.postEphemeral")); n != 0 {
		t.Errorf("shadow mode sent %d ephemerals, want none", n)
	}
	says(t, h.slash(manager, support, "stats"), "*Shadowed (recorded, not sent)*: 3", "*Nudges sent*: 0",
		"3 would-be nudges recorded and *not sent*", "Shadow mode is still on")
	h.slash(manager, support, "shadow off")

	says(t, h.slash(manager, support, "cap 2"), "Daily cap is now *2 a day*")
	outcomes := []string{}
	for range 3 {
		_, hd := h.post(msg)
		outcomes = append(outcomes, hd.Outcome)
	}
	if _, hd := h.post(slacksim.Msg{Channel: support2, User: agent, Text: argue}); hd.Outcome != string(store.Capped) {
		t.Errorf("cap holds across channels: %q, want capped", hd.Outcome)
	}
	if fmt.Sprint(outcomes) != "[sent sent capped]" {
		t.Errorf("under cap 2: %v, want [sent sent capped]", outcomes)
	}
	if _, hd := h.post(slacksim.Msg{Channel: support, User: agent2, Text: argue}); hd.Outcome != "sent" {
		t.Errorf("cap is per agent: %q, want sent", hd.Outcome)
	}
	h.clock.Add(25 * time.Hour) // a new UTC day, and the shadowed ones out of `stats 1`
	if _, hd := h.post(msg); hd.Outcome != "sent" {
		t.Errorf("next day: %q, want sent", hd.Outcome)
	}
	h.slash(manager, support, "cap off")

	says(t, h.slash(manager, support, "experiment 50"), "Experiment is now *50% withheld*", "control group")
	outcomes = outcomes[:0]
	for range 4 {
		_, hd := h.post(msg)
		outcomes = append(outcomes, hd.Outcome)
	}
	if fmt.Sprint(outcomes) != "[withheld sent withheld sent]" {
		t.Errorf("experiment 50%% with alternating draws: %v", outcomes)
	}
	p := h.slash(manager, support, "stats 1")
	says(t, p, "*Withheld as control*: 2", "*Nudges sent*: 3, to 1 agent", "after withheld (control) messages: 0 of 2 (0%)")
	if n := len(h.ephemeralsTo(agent)); n != 3+2 {
		t.Errorf("agent got %d ephemerals, want 5 (sent only)", n)
	}
}

func TestSlashStatsFigures(t *testing.T) {
	// 24 nudged and 20 withheld messages, each in its own thread; the
	// customer answers in the thread, escalating after 3 of the nudged
	// and 9 of the withheld, and not at all after 4 nudged ones.
	const nudged, control = 24, 20
	var draw atomic.Int64
	withhold := make(map[int64]bool) // by draw number: the last 20 draws
	for i := nudged; i < nudged+control; i++ {
		withhold[int64(i+1)] = true
	}
	h := startSlash(t, func(o *slackbot.Options) {
		o.Defaults.Cooldown = 0
		o.Rand = func() float64 {
			if withhold[draw.Add(1)] {
				return 0
			}
			return 0.999
		}
	})
	h.slash(manager, support, "experiment 50")

	escalate := []string{"I want to talk to your MANAGER!!!", "This is unacceptable, I want to speak to a manager now!!!",
		"I am going to cancel my subscription. THIS IS RIDICULOUS!!!"}
	calm := []string{"Thanks, that worked.", "ok, trying that now"}
	for _, s := range escalate {
		if !score.Escalated(s, score.DefaultRules()) {
			t.Fatalf("score.Escalated(%q) = false: this test needs an unmistakable escalation", s)
		}
	}
	for _, s := range calm {
		if score.Escalated(s, score.DefaultRules()) {
			t.Fatalf("score.Escalated(%q) = true: this test needs a calm reply", s)
		}
	}
	var sentEsc, controlEsc, sentReplied, controlReplied int
	var sentIDs []int64
	for i := range nudged + control {
		root, _ := h.post(slacksim.Msg{Channel: support, User: customer, Text: "Export fails with error 42."})
		who := agent
		if i%3 == 0 {
			who = agent2
		}
		_, hd := h.post(slacksim.Msg{Channel: support, User: who, ThreadTS: root.TS, Text: argue})
		isControl := i >= nudged
		want := "sent"
		if isControl {
			want = "withheld"
		}
		if hd.Outcome != want {
			t.Fatalf("message %d: %q, want %s", i, hd.Outcome, want)
		}
		if !isControl {
			sentIDs = append(sentIDs, hd.NudgeID)
		}
		var reply string
		switch {
		case !isControl && i < 3:
			reply, sentEsc = escalate[i%3], sentEsc+1
		case isControl && i-nudged < 9:
			reply, controlEsc = escalate[i%3], controlEsc+1
		case !isControl && i >= nudged-4:
			// no reply
		default:
			reply = calm[i%2]
		}
		if reply != "" {
			if isControl {
				controlReplied++
			} else {
				sentReplied++
			}
			h.post(slacksim.Msg{Channel: support, User: customer, ThreadTS: root.TS, Text: reply})
		}
	}

	// Clicks: 1 helpful and 5 not helpful on the repeat nudges.
	eph := h.ephemeralsTo(agent)
	if len(eph) < 6 {
		t.Fatalf("agent got %d ephemerals, want at least 6", len(eph))
	}
	for i, e := range eph[:6] {
		action := slackbot.ActionNotHelpful
		if i == 0 {
			action = slackbot.ActionHelpful
		}
		d, ok := h.sim.ClickEphemeral(e, action)
		if !ok {
			t.Fatalf("no %s button in %s", action, e.Blocks)
		}
		if hd := h.obs.one(t, d.EnvelopeID()); hd.Outcome != "recorded" {
			t.Fatalf("click: %+v", hd)
		}
	}
	// Nudges after the range do not count: one ten days on, then stats
	// at eight days on, when the range is the first batch's day to now.
	h.clock.Add(10 * 24 * time.Hour)
	h.post(slacksim.Msg{Channel: support, User: agent, Text: argue})
	h.clock.Add(-2 * 24 * time.Hour)
	p := h.slash(manager, support, "stats 8")
	family := string(score.Evaluate(score.Message{Text: argue}, score.DefaultRules()).Family)
	if family == "" {
		t.Fatal("argue matches no family")
	}
	says(t, p,
		"<#"+support+">, the last 8 days",
		fmt.Sprintf("*Messages scored*: %d", nudged+control),
		fmt.Sprintf("*Nudges sent*: %d, to 2 agents", nudged),
		fmt.Sprintf("*Withheld as control*: %d", control),
		"*Shadowed (recorded, not sent)*: 0",
		"*Marked helpful*: 1 of 6 (17%)",
		fmt.Sprintf("%-11s %5d %8d %8d  1 of 6 (17%%)", family, nudged, 0, control),
		fmt.Sprintf("%s: 5 of 6 marked not helpful. Consider `/nudge rule %s off`", family, family),
		"5 of 6 marked not helpful",
		fmt.Sprintf("after nudged messages: %d of %d (%d%%); %d had a customer reply", sentEsc, nudged, (sentEsc*100+nudged/2)/nudged, sentReplied),
		fmt.Sprintf("after withheld (control) messages: %d of %d (%d%%); %d had a customer reply", controlEsc, control, (controlEsc*100+control/2)/control, controlReplied),
		"points lower after nudges",
	)
	if strings.Contains(p.Text, "Too few") {
		t.Errorf("stats says too few with %d and %d messages:\n%s", nudged, control, p.Text)
	}
	// The store agrees with the flags the reply counted.
	n, err := h.store.Nudge(context.Background(), sentIDs[0])
	if err != nil || n.Escalated == nil || !*n.Escalated {
		t.Errorf("first nudge's escalation flag = %v, %v; want true", n.Escalated, err)
	}

	// Another channel's stats are its own; the whole workspace's include both.
	says(t, h.slash(manager, support2, "stats 8"), "*Nudges sent*: 0", "*Messages scored*: 0")
	says(t, h.slash(manager, "DAGENT", "stats 8"), "the whole workspace", fmt.Sprintf("*Nudges sent*: %d", nudged))
	// With a smaller sample the rates are shown but not compared.
	says(t, h.slash(manager, support, "stats 1"), "Too few to compare")
}

func TestSlashHelp(t *testing.T) {
	h := startSlash(t)
	for _, text := range []string{"help", "", "  "} {
		p := h.slash(guest, support, text)
		for _, cmd := range []string{"status", "test", "snooze", "threshold", "cooldown", "rule", "stats", "shadow", "cap", "experiment"} {
			if !strings.Contains(p.Text, "/nudge "+cmd) {
				t.Errorf("help (%q) lacks /nudge %s", text, cmd)
			}
		}
	}
}

// TestSlashForeignResponseURL: a slash command whose response_url points
// at neither Slack nor the API's origin gets no reply there.
func TestSlashForeignResponseURL(t *testing.T) {
	var hits atomic.Int32
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer foreign.Close()
	h := start(t)
	d := h.sim.SlashCommand(slacksim.Slash{User: manager, Channel: support, Text: "help", ResponseURL: foreign.URL + "/commands/x"})
	hd := h.obs.one(t, d.EnvelopeIDs[0])
	if hd.Err == nil || !strings.Contains(hd.Err.Error(), "not a Slack origin") {
		t.Errorf("reply to a foreign response_url: %+v, want an error saying it is not Slack's", hd)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the foreign server got %d requests, want 0", n)
	}
	// The sim's own response_url, on the API's origin, still works.
	says(t, h.slash(manager, support, "help"), "/nudge")
}

// TestSlackConnectHostedByCustomer: in a shared channel the customer's
// workspace created, Slack puts that workspace in the envelope's team_id;
// the bot still keeps settings, snoozes and records under its own, so
// /nudge off there holds and stats count the channel's nudges.
func TestSlackConnectHostedByCustomer(t *testing.T) {
	h := startSlash(t, func(o *slackbot.Options) { o.Defaults.Cooldown = 0 })
	const hosted = "CHOSTED"
	h.sim.AddChannel(slacksim.Channel{ID: hosted, Name: "acme-shared", IsExtShared: true, HostTeamID: otherTeam,
		Members: []string{h.sim.BotUserID, agent, manager, customer}})
	says(t, h.slash(manager, hosted, "off"), "Watching is now *off*")
	if _, hd := h.post(slacksim.Msg{Channel: hosted, User: agent, Text: argue}); hd.Outcome != "skipped:channel_off" {
		t.Fatalf("after /nudge off in a customer-hosted channel: %+v, want skipped:channel_off", hd)
	}
	says(t, h.slash(manager, hosted, "on"), "Watching is now *on*")
	if _, hd := h.post(slacksim.Msg{Channel: hosted, User: agent, Text: argue}); hd.Outcome != string(store.Sent) {
		t.Fatalf("after /nudge on: %+v, want sent", hd)
	}
	st, err := h.store.Stats(h.ctx(), store.Since{Team: h.sim.TeamID, From: h.clock.Now().Add(-time.Hour), To: h.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if st.Sent != 1 {
		t.Errorf("Stats(our team).Sent = %d, want 1: the nudge was recorded under another workspace", st.Sent)
	}
}

// TestSlashManagerCheckRateLimited: when users.info is rate limited the
// manager check is not waited out on the worker: the reply says to try
// again, and the next try works.
func TestSlashManagerCheckRateLimited(t *testing.T) {
	h := startSlash(t)
	h.sim.RateLimit("users.info", 1, 5*time.Second)
	begin := time.Now()
	says(t, h.slash(admin, support, "threshold 0.7"), "slow down", "Try again in 5s")
	if took := time.Since(begin); took > 2*time.Second {
		t.Errorf("the reply took %v: the rate limit was waited out", took)
	}
	says(t, h.slash(admin, support, "threshold 0.7"), "Threshold is now *0.7*")
}

// TestSlashSnoozeAgentsOnly: snooze is an agent's, for self; a customer
// or a guest has no nudges to snooze and is told so, with nothing stored.
func TestSlashSnoozeAgentsOnly(t *testing.T) {
	h := startSlash(t)
	for _, who := range []string{customer, guest} {
		says(t, h.slash(who, support, "snooze 2h"), "nothing to snooze")
		until, err := h.store.SnoozedUntil(h.ctx(), h.sim.TeamID, who, h.clock.Now())
		if err != nil || !until.IsZero() {
			t.Errorf("%s's snooze = %v, %v; want none stored", who, until, err)
		}
	}
	says(t, h.slash(agent, support, "snooze 2h"), "Snoozed")
}
