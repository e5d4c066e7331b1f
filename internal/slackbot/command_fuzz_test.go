package slackbot

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/nudgebot/nudgebot/internal/score"
	"github.com/nudgebot/nudgebot/internal/slacksim"
	"github.com/nudgebot/nudgebot/internal/store/sqlite"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"
	"go.uber.org/zap"
)

// FuzzRunCommand types anything after /nudge, as a manager, against a real
// SQLite store: the bot never panics, always answers, and the answer is a
// message Slack would accept (text length and Block Kit limits), never
// carrying an error's text.
func FuzzRunCommand(f *testing.F) {
	for _, s := range []string{
		"", "help", "status", "stats", "stats 30", "stats 0", "snooze 2h", "snooze off", "snooze forever",
		"threshold 0.7", "threshold default 70%", "threshold 7", "cooldown 0", "cooldown default 1h 30m",
		"on", "off", "rule spar off", "rule push to z on", "shadow on", "cap 3", "cap off",
		"experiment 20", "experiment off", "frobnicate", "test As I already said, read the docs.",
		"test " + strings.Repeat("actually you are wrong <@U1> & ", 300), "\u200bstatus\u00a0", "test `*_~>&<",
	} {
		f.Add(s)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(f.TempDir(), "nudgebot.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		f.Fatal(err)
	}
	// users.info (snooze checks the caller is an agent) answers from a sim.
	sim := slacksim.Start(f, slacksim.Options{})
	sim.AddUser(slacksim.User{ID: "UMANAGER", Name: "morgan"})
	b := &Bot{
		m:        m,
		api:      slack.New(sim.BotToken, slack.OptionAPIURL(sim.APIURL())),
		store:    st,
		rules:    score.DefaultRules(),
		log:      zap.NewNop(),
		defaults: Defaults{Threshold: 0.6, Cooldown: 10 * time.Minute},
		managers: map[string]bool{"UMANAGER": true},
		now:      func() time.Time { return now },
		self:     Identity{UserID: sim.BotUserID, TeamID: sim.TeamID},
	}
	b.users = newUserCache(16, time.Hour, b.now, b.lookupUser)
	f.Fuzz(func(t *testing.T, text string) {
		for _, channel := range []string{"C1", "D1"} {
			r := b.runCommand(context.Background(), "T1", channel, "UMANAGER", text)
			if r.Text == "" {
				t.Fatalf("runCommand(%q) in %s: empty reply", text, channel)
			}
			if n := utf8.RuneCountInString(clip(r.Text, maxReplyText)); n > maxReplyText {
				t.Fatalf("runCommand(%q): %d characters", text, n)
			}
			if strings.Contains(r.Text, "sqlite") || strings.Contains(r.Text, "slash:") {
				t.Fatalf("runCommand(%q) leaks an error: %q", text, r.Text)
			}
			if len(r.Blocks) == 0 {
				continue
			}
			raw, err := json.Marshal(r.Blocks)
			if err != nil {
				t.Fatalf("runCommand(%q): blocks: %v", text, err)
			}
			if e := slacksim.ValidateBlocks(raw, slacksim.SurfaceMessage); e != nil {
				t.Fatalf("runCommand(%q): Slack would reject the blocks: %v", text, e)
			}
		}
	})
}
