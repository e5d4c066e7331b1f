package slackbot_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/nudgebot/nudgebot/internal/score"
	"github.com/nudgebot/nudgebot/internal/slackbot"
	"github.com/nudgebot/nudgebot/internal/slacksim"
	"github.com/nudgebot/nudgebot/internal/store"
	"github.com/nudgebot/nudgebot/internal/store/sqlite"
	"github.com/slack-go/slack"
	"go.uber.org/zap"
)

// BenchmarkSlashReply measures, through the simulator and the real
// slack-go client, the time from Slack sending a /nudge command to the
// reply reaching its response_url, and reports its p50 and p99. The store
// is SQLite on disk, holding a week of 2,000 nudge records with clicks,
// so `stats` sums real rows.
//
//	go test ./internal/slackbot -run '^$' -bench SlashReply -benchtime 400x
func BenchmarkSlashReply(b *testing.B) {
	sim := slacksim.Start(b, slacksim.Options{})
	sim.AddUser(slacksim.User{ID: agent, Name: "alex"})
	sim.AddUser(slacksim.User{ID: manager, Name: "morgan"})
	sim.AddChannel(slacksim.Channel{ID: support, Name: "support", Members: []string{sim.BotUserID, agent, manager}})
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "nudgebot.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	now := time.Now()
	seed(b, st, sim.TeamID, now)

	bot, err := slackbot.New(ctx, slackbot.Options{
		API:      slack.New(sim.BotToken, slack.OptionAppLevelToken(sim.AppToken), slack.OptionAPIURL(sim.APIURL())),
		Store:    st,
		Rules:    score.DefaultRules(),
		Log:      zap.NewNop(),
		Defaults: slackbot.Defaults{Threshold: 0.6, Cooldown: 10 * time.Minute},
		Managers: []string{manager},
		// The sim's response_urls are on its own origin.
		ResponseOrigins: []string{sim.URL()},
	})
	if err != nil {
		b.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- bot.Run(runCtx) }()
	b.Cleanup(func() { stop(); <-done })
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := sim.WaitConnected(wctx, 1); err != nil {
		b.Fatal(err)
	}

	tests := []struct {
		name string
		give func(i int) string
	}{
		{"help", func(int) string { return "help" }},
		{"status", func(int) string { return "status" }},
		{"test", func(int) string { return "test As I already explained three times, you need to restart it." }},
		{"threshold", func(i int) string { return fmt.Sprintf("threshold 0.%d", 5+i%4) }},
		{"stats", func(int) string { return "stats 7" }},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			var lat []time.Duration
			i := 0
			for b.Loop() {
				n := len(sim.ResponseURLPosts())
				start := time.Now()
				d := sim.Slash(manager, support, tt.give(i))
				posts, err := sim.WaitResponseURLPosts(wctx, n+1)
				lat = append(lat, time.Since(start))
				if err != nil || posts[n].URL != d.ResponseURL || posts[n].Error != "" {
					b.Fatalf("/nudge %s: reply %+v, %v", tt.give(i), posts[n:], err)
				}
				i++
			}
			slices.Sort(lat)
			b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
			b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
			b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// seed records a week of nudges in support, with a click on every other.
func seed(b *testing.B, st store.Store, team string, now time.Time) {
	b.Helper()
	ctx := context.Background()
	fams := score.Families()
	for i := range 2000 {
		at := now.Add(-time.Duration(i) * 5 * time.Minute)
		outcome := store.Sent
		if i%5 == 0 {
			outcome = store.Withheld
		}
		f := fams[i%len(fams)]
		id, err := st.RecordNudge(ctx, store.Nudge{Team: team, Channel: support, User: fmt.Sprintf("U%03d", i%40),
			MessageTS: fmt.Sprintf("%d.%06d", at.Unix(), i), RuleID: string(f) + ".r" + fmt.Sprint(i%3),
			Family: string(f), Score: 0.8, Outcome: outcome, At: at})
		if err != nil {
			b.Fatal(err)
		}
		if i%2 == 0 && outcome == store.Sent {
			if err := st.RecordFeedback(ctx, store.Feedback{NudgeID: id, User: "U1", Helpful: i%3 == 0, At: at}); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := st.AddScored(ctx, team, support, now, 5000); err != nil {
		b.Fatal(err)
	}
}
