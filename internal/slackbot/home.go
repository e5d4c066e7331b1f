package slackbot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nudgebot/nudgebot/internal/score"
	"github.com/nudgebot/nudgebot/internal/store"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"go.uber.org/zap"
)

const (
	// homeWeek is the period of the App Home's figures.
	homeWeek = 7 * 24 * time.Hour
	// maxHomeBlocks is Slack's limit on a Home tab's blocks.
	maxHomeBlocks = 100
)

// handleAppHome publishes the App Home tab of the user who opened it: their
// own nudges this week by family and their snooze state; for a manager,
// also the workspace defaults and each channel's own settings. The view is
// built on the worker and published off it; h is reported once it is
// ("posted", with Err if views.publish failed).
func (b *Bot) handleAppHome(ctx context.Context, team string, h Handled, ev *slackevents.AppHomeOpenedEvent) {
	if ev.Tab != "" && ev.Tab != "home" {
		h.Outcome = "skipped:messages_tab"
		b.done(h)
		return
	}
	blocks, err := b.homeView(ctx, team, ev.User)
	if err != nil {
		b.log.Warn("app home not built", zap.String("user_id", ev.User), zap.Error(err))
		blocks = []slack.Block{section("*nudgebot*\n" + somethingWrong)}
	}
	user := ev.User
	b.goPost(ctx, func(ctx context.Context) {
		err := b.call(ctx, "views.publish", func(ctx context.Context) error {
			_, err := b.api.PublishViewContext(ctx, slack.PublishViewContextRequest{
				UserID: user,
				View:   slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}},
			})
			return err
		})
		h.Outcome, h.Err = "posted", err
		if err != nil {
			b.log.Warn("app home not published", zap.String("user_id", user), zap.Error(err))
		}
		b.done(h)
	})
}

// homeView is the Home tab's blocks for user.
func (b *Bot) homeView(ctx context.Context, team, user string) ([]slack.Block, error) {
	now := b.now()
	mine, err := b.store.Stats(ctx, store.Since{Team: team, User: user, From: now.Add(-homeWeek), To: now.Add(justPast)})
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	until, err := b.store.SnoozedUntil(ctx, team, user, now)
	if err != nil {
		return nil, fmt.Errorf("snooze: %w", err)
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "nudgebot", false, false)),
		section("I send you a private reminder when a reply starts to argue with a customer instead of helping. " +
			"Only you ever see your nudges; the buttons on each tell me whether it helped."),
		section(myNudges(mine)),
		section("*Snooze*: " + snoozeState(until, now) + ". `/nudge snooze off` ends a snooze."),
	}

	manager, err := b.isManager(ctx, user)
	if err != nil {
		// Show the agent's part rather than nothing.
		b.log.Warn("app home: manager check failed", zap.String("user_id", user), zap.Error(err))
	}
	if !manager {
		return append(blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType,
			"`/nudge help` lists the commands; `/nudge test TEXT` shows how a reply would score.", false, false))), nil
	}

	ws, err := b.store.Settings(ctx, team, "")
	if err != nil {
		return nil, fmt.Errorf("workspace settings: %w", err)
	}
	channels, err := b.store.Channels(ctx, team)
	if err != nil {
		return nil, fmt.Errorf("channels: %w", err)
	}
	def := ResolveSettings(nil, ws, b.defaults)
	blocks = append(blocks,
		slack.NewDividerBlock(),
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "Workspace defaults", false, false)),
		fieldsSection(settingFields(def, true)),
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "Channels with their own settings", false, false)),
	)
	if len(channels) == 0 {
		blocks = append(blocks, section("None: every channel I'm in uses the workspace defaults."))
	}
	// Keep room for the closing context block.
	room := maxHomeBlocks - len(blocks) - 1
	shown := 0
	for _, ch := range channels {
		if shown == room {
			break
		}
		own, err := b.store.Settings(ctx, team, ch)
		if err != nil {
			return nil, fmt.Errorf("channel %s settings: %w", ch, err)
		}
		blocks = append(blocks, section(channelLine(ch, ResolveSettings(own, ws, b.defaults))))
		shown++
	}
	tail := "Change a channel's settings with `/nudge` in it; `/nudge stats` there shows whether nudges help."
	if left := len(channels) - shown; left > 0 {
		tail = fmt.Sprintf("…and %d more channels. ", left) + tail
	}
	blocks = append(blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, tail, false, false)))
	return blocks, nil
}

// myNudges is an agent's week of nudges, by family.
func myNudges(st store.Stats) string {
	if st.Sent == 0 {
		return "*Your nudges this week*\nNone. :tada:"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*Your nudges this week*: %d", st.Sent)
	for _, f := range st.Families {
		if f.Sent == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n• %s: %d", familyLabelString(f.Family), f.Sent)
		if f.Helpful > 0 {
			fmt.Fprintf(&b, " (%d marked helpful)", f.Helpful)
		}
	}
	return b.String()
}

// channelLine sums up one channel's effective settings; values the
// channel set itself are in bold.
func channelLine(ch string, s Settings) string {
	v := func(key, text string) string {
		if s.From[key] == LevelChannel {
			return "*" + text + "*"
		}
		return text
	}
	parts := []string{
		v(store.KeyEnabled, map[bool]string{true: "watching", false: "off"}[s.Enabled]),
		"threshold " + v(store.KeyThreshold, strconv.FormatFloat(s.Threshold, 'f', -1, 64)),
		"cooldown " + v(store.KeyCooldown, formatDuration(s.Cooldown)),
	}
	if s.Shadow {
		parts = append(parts, v(store.KeyShadow, "shadow mode"))
	}
	if s.Experiment > 0 {
		parts = append(parts, v(store.KeyExperiment, fmt.Sprintf("experiment %d%%", s.Experiment)))
	}
	var off []string
	for _, f := range score.Families() {
		if s.Off.Has(f) {
			off = append(off, v(store.KeyRulePrefix+string(f), string(f)))
		}
	}
	if len(off) > 0 {
		parts = append(parts, "off: "+strings.Join(off, ", "))
	}
	return "<#" + ch + ">: " + strings.Join(parts, " · ")
}
