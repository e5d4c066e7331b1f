package slackbot

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nudgebot/nudgebot/internal/score"
	"github.com/nudgebot/nudgebot/internal/store"
	"github.com/slack-go/slack"
	"go.uber.org/zap"
)

// statusChanges is how many recent settings changes `status` lists.
const statusChanges = 5

// maxTestHits bounds the hits `test` lists, so a long text stays one reply.
const maxTestHits = 10

// status answers `/nudge status`: the effective settings of channel (the
// workspace's when channel is ""), where each comes from, the caller's
// snooze and the last few changes.
func (b *Bot) status(ctx context.Context, team, channel, user string) (reply, error) {
	set, err := b.Settings(ctx, team, channel)
	if err != nil {
		return reply{}, err
	}
	until, err := b.store.SnoozedUntil(ctx, team, user, b.now())
	if err != nil {
		return reply{}, fmt.Errorf("snooze: %w", err)
	}
	changes, err := b.recentChanges(ctx, team, channel, statusChanges)
	if err != nil {
		return reply{}, err
	}

	title := "nudgebot in <#" + channel + ">"
	if channel == "" {
		title = "nudgebot's workspace defaults"
	}
	state := "watching"
	switch {
	case !set.Enabled:
		state = "*off*: this channel is ignored"
	case set.Shadow:
		state = "*shadow mode*: messages are scored and would-be nudges recorded, none is sent"
	}
	head := "*" + title + "*: " + state

	fields := settingFields(set, channel == "")
	fields = append(fields, "*Your snooze*\n"+snoozeState(until, b.now()))

	var hist strings.Builder
	hist.WriteString("*Recent changes*")
	if len(changes) == 0 {
		hist.WriteString("\nNone yet: everything is at its default.")
	}
	for _, c := range changes {
		hist.WriteString("\n• " + changeLine(c))
	}

	blocks := []slack.Block{section(head), fieldsSection(fields), section(hist.String())}
	plain := make([]string, len(fields))
	for i, f := range fields {
		plain[i] = "• " + strings.Replace(f, "\n", ": ", 1)
	}
	text := head + "\n" + strings.Join(plain, "\n") + "\n" + hist.String()
	return reply{Text: text, Blocks: blocks}, nil
}

// settingFields are the settings as "*Name*\nvalue · level" fields. For the
// workspace, the per-channel switches (watching, shadow) are left out.
func settingFields(s Settings, workspace bool) []string {
	field := func(name, value string, l Level) string {
		return "*" + name + "*\n" + value + " · " + levelShort(l)
	}
	out := []string{
		field("Threshold", strconv.FormatFloat(s.Threshold, 'f', -1, 64), s.From[store.KeyThreshold]),
		field("Cooldown", formatDuration(s.Cooldown), s.From[store.KeyCooldown]),
	}
	if !workspace {
		out = append(out,
			field("Watching", onOff(s.Enabled), s.From[store.KeyEnabled]),
			field("Shadow mode", onOff(s.Shadow), s.From[store.KeyShadow]))
	}
	out = append(out,
		field("Daily cap per agent", settingValue(store.KeyCap, s), s.From[store.KeyCap]),
		field("Experiment", settingValue(store.KeyExperiment, s), s.From[store.KeyExperiment]),
		"*Rule families*\n"+familiesState(s))
	return out
}

// familiesState lists the families switched off, with where each is off.
func familiesState(s Settings) string {
	var off []string
	for _, f := range score.Families() {
		if s.Off.Has(f) {
			off = append(off, string(f)+" ("+levelShort(s.From[store.KeyRulePrefix+string(f)])+")")
		}
	}
	if len(off) == 0 {
		return "all on"
	}
	return "off: " + strings.Join(off, ", ")
}

// levelShort names a level in a status field.
func levelShort(l Level) string {
	switch l {
	case LevelChannel:
		return "this channel"
	case LevelWorkspace:
		return "workspace default"
	}
	return "built-in default"
}

// snoozeState says whether a user is snoozed, and until when.
func snoozeState(until, now time.Time) string {
	if until.IsZero() {
		return "not snoozed · `/nudge snooze 2h` pauses your nudges"
	}
	return "snoozed until " + slackDate(until) + " (" + formatDuration(until.Sub(now).Round(time.Minute)) + " left)"
}

// recentChanges merges the latest changes of channel and of the
// workspace default, newest first, at most n.
func (b *Bot) recentChanges(ctx context.Context, team, channel string, n int) ([]store.Change, error) {
	out, err := b.store.Audit(ctx, team, "", n)
	if err != nil {
		return nil, fmt.Errorf("workspace audit: %w", err)
	}
	if channel != "" {
		ch, err := b.store.Audit(ctx, team, channel, n)
		if err != nil {
			return nil, fmt.Errorf("channel audit: %w", err)
		}
		out = append(ch, out...)
	}
	// Stable: of equal times, the channel's own (listed first) stay first.
	slices.SortStableFunc(out, func(a, b store.Change) int { return cmp.Compare(b.At.UnixNano(), a.At.UnixNano()) })
	return out[:min(n, len(out))], nil
}

// changeLine is one audit record as it reads: when, who, what, old → new.
func changeLine(c store.Change) string {
	where := "here"
	if c.Channel == "" {
		where = "workspace default"
	}
	old, nw := c.Old, c.New
	if old == "" {
		old = "unset"
	}
	if nw == "" {
		nw = "unset"
	}
	return fmt.Sprintf("%s <@%s> %s (%s): %s → %s", slackDate(c.At), c.By, settingName(c.Key), where,
		shownValue(c.Key, old), shownValue(c.Key, nw))
}

// shownValue makes a stored value read like the rest of the replies.
func shownValue(key, v string) string {
	if key == store.KeyCooldown {
		if d, err := time.ParseDuration(v); err == nil {
			return formatDuration(d)
		}
	}
	return v
}

// slackDate is t in the reader's own time zone, with UTC as the fallback.
func slackDate(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("Jan 2 15:04 UTC"))
}

// test answers `/nudge test TEXT`: the score, the verdict at the
// channel's threshold, each hit and the reminder. The text is scored like
// an agent's message in that channel (its families switched off stay off).
func (b *Bot) test(ctx context.Context, team, channel, text string) (reply, error) {
	set, err := b.Settings(ctx, team, channel)
	if err != nil {
		return reply{}, err
	}
	res := score.Evaluate(score.Message{Text: text, At: b.now(), Off: set.Off}, b.rules)
	b.log.Debug("slash test scored", zap.Float64("score", res.Score), zap.String("family", string(res.Family)),
		zap.String("text", text))

	where := "this channel's"
	if channel == "" {
		where = "the workspace's"
	}
	verdict := "would *not* be nudged"
	if res.Nudge(set.Threshold) {
		verdict = ":bulb: *would be nudged*"
	}
	head := fmt.Sprintf("*Score %.2f*: %s at %s threshold %s (%s).", res.Score, verdict, where,
		strconv.FormatFloat(set.Threshold, 'f', -1, 64), levelShort(set.From[store.KeyThreshold]))
	if !set.Enabled {
		head += " (I'm off in this channel, so nothing would be sent.)"
	} else if set.Shadow {
		head += " (Shadow mode: a nudge would be recorded, not sent.)"
	}

	var hits strings.Builder
	if len(res.Hits) == 0 {
		hits.WriteString("No rule matched.")
	} else {
		hits.WriteString("*What matched*")
	}
	for i, h := range res.Hits {
		if i == maxTestHits {
			fmt.Fprintf(&hits, "\n…and %d more", len(res.Hits)-maxTestHits)
			break
		}
		q := quote(text, h)
		if q == "" {
			q = "(no span)"
		} else {
			q = "“" + q + "”"
		}
		fmt.Fprintf(&hits, "\n• %s: `%s` (%s)", q, h.RuleID, familyLabel(h.Family))
	}
	if set.Off != 0 {
		hits.WriteString("\n_Switched off here: " + strings.TrimPrefix(familiesState(set), "off: ") + "._")
	}

	parts := []string{head, hits.String()}
	if res.Reminder != "" {
		r := "*Reminder* (" + familyLabel(res.Family) + "): " + escape(res.Reminder)
		if res.Suggestion != "" {
			r += "\n*Try:* " + escape(res.Suggestion)
		}
		parts = append(parts, r)
	}
	blocks := make([]slack.Block, 0, len(parts))
	for _, p := range parts {
		blocks = append(blocks, section(p))
	}
	return reply{Text: strings.Join(parts, "\n"), Blocks: blocks}, nil
}

// snooze answers `/nudge snooze D`: no nudges to the caller, anywhere in
// the workspace, for d.
func (b *Bot) snooze(ctx context.Context, team, user string, d time.Duration) (reply, error) {
	now := b.now()
	until := now.Add(d)
	if err := b.store.Snooze(ctx, team, user, until); err != nil {
		return reply{}, fmt.Errorf("snooze: %w", err)
	}
	b.log.Info("snoozed", zap.String("user_id", user), zap.Duration("for", d))
	return reply{Text: fmt.Sprintf(":zzz: Snoozed: no nudges for you in any channel until %s (%s). `/nudge snooze off` ends it early.",
		slackDate(until), formatDuration(d))}, nil
}

// unsnooze answers `/nudge snooze off`.
func (b *Bot) unsnooze(ctx context.Context, team, user string) (reply, error) {
	until, err := b.store.SnoozedUntil(ctx, team, user, b.now())
	if err != nil {
		return reply{}, fmt.Errorf("snooze: %w", err)
	}
	if until.IsZero() {
		return reply{Text: "You weren't snoozed: your nudges are on."}, nil
	}
	if err := b.store.Snooze(ctx, team, user, time.Time{}); err != nil {
		return reply{}, fmt.Errorf("unsnooze: %w", err)
	}
	b.log.Info("snooze ended", zap.String("user_id", user))
	return reply{Text: "Snooze ended: your nudges are back on."}, nil
}

// section is a mrkdwn section block.
func section(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, clip(text, 3000), false, false), nil, nil)
}

// fieldsSection lays out up to ten mrkdwn fields in two columns.
func fieldsSection(fields []string) *slack.SectionBlock {
	objs := make([]*slack.TextBlockObject, 0, min(len(fields), 10))
	for _, f := range fields[:min(len(fields), 10)] {
		objs = append(objs, slack.NewTextBlockObject(slack.MarkdownType, clip(f, 2000), false, false))
	}
	return slack.NewSectionBlock(nil, objs, nil)
}

// clip cuts s to Block Kit's limit of n characters.
func clip(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
