package slackbot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nudgebot/nudgebot/internal/score"
	"github.com/nudgebot/nudgebot/internal/slash"
	"github.com/nudgebot/nudgebot/internal/store"
	"github.com/slack-go/slack"
	"go.uber.org/zap"
)

// reply is the answer to one /nudge command. Text is the whole answer in
// mrkdwn, and the notification fallback when Blocks lay it out.
type reply struct {
	Text   string
	Blocks []slack.Block
}

// Fixed replies. None of them ever carries an error's text.
const (
	somethingWrong = "Something went wrong, try again in a moment."
	slackBusy      = "Slack asked me to slow down, so I could not check who you are. Try again in %s."
	notManager     = "Sorry, only managers can %s. Managers are the workspace's admins and owners " +
		"and the people listed in NUDGE_MANAGERS. Anyone can use `/nudge status` and `/nudge test`, and agents `/nudge snooze`."
	notAgent = "Only the support team's own members get reminders, so there is nothing to snooze for you."
	notHere  = "`/nudge %s` changes one channel's settings: run it in that channel. " +
		"(Here, `/nudge threshold default X` and `/nudge cooldown default D` change the workspace default.)"
)

// runCommand answers the /nudge text that user typed in channel of team.
// It logs what it did (IDs, the subcommand, never the text of `test`) and
// what went wrong; the reply never holds an error's text.
func (b *Bot) runCommand(ctx context.Context, team, channel, user, text string) reply {
	log := b.log.With(zap.String("channel_id", channel), zap.String("user_id", user))
	cmd, err := slash.Parse(text)
	if err != nil {
		var ue *slash.UsageError
		if errors.As(err, &ue) {
			log.Info("slash usage error", zap.String("command", ue.Kind.String()), zap.Error(err))
			b.m.slash.WithLabelValues(kindLabel(ue.Kind), "usage").Inc()
			return reply{Text: ue.Message()}
		}
		log.Error("slash parse", zap.Error(err))
		b.m.slash.WithLabelValues("unknown", "error").Inc()
		return reply{Text: somethingWrong}
	}
	log = log.With(zap.String("command", cmd.Kind.String()))

	if cmd.ManagerOnly() {
		ok, err := b.isManager(ctx, user)
		if err != nil {
			return b.lookupFailed(cmd.Kind, err, log.With(zap.String("check", "manager")))
		}
		if !ok {
			log.Info("slash refused: not a manager")
			b.m.slash.WithLabelValues(cmd.Kind.String(), "refused").Inc()
			return reply{Text: fmt.Sprintf(notManager, refusedWhat(cmd))}
		}
	}
	if channelLevel(cmd) && isDM(channel) {
		b.m.slash.WithLabelValues(cmd.Kind.String(), "usage").Inc()
		return reply{Text: fmt.Sprintf(notHere, cmd.Kind)}
	}
	if cmd.Kind == slash.KindSnooze || cmd.Kind == slash.KindUnsnooze {
		// An agent snoozes their own nudges; anyone else has none.
		u, err := b.users.get(ctx, user)
		switch {
		case err != nil:
			return b.lookupFailed(cmd.Kind, err, log.With(zap.String("check", "agent")))
		case u.Role != Agent:
			b.m.slash.WithLabelValues(cmd.Kind.String(), "refused").Inc()
			return reply{Text: notAgent}
		}
	}

	r, err := b.execute(ctx, team, channel, user, cmd)
	if err != nil {
		log.Error("slash command failed", zap.Error(err))
		b.m.slash.WithLabelValues(cmd.Kind.String(), "error").Inc()
		return reply{Text: somethingWrong}
	}
	b.m.slash.WithLabelValues(cmd.Kind.String(), "ok").Inc()
	log.Debug("slash command answered")
	return r
}

// lookupFailed answers a command whose users.info lookup (the caller's
// role) failed. A rate limit is not waited out here, on a worker: the
// reply asks to try again once it has passed.
func (b *Bot) lookupFailed(kind slash.Kind, err error, log *zap.Logger) reply {
	b.m.slash.WithLabelValues(kind.String(), "error").Inc()
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		b.m.apiErrors.WithLabelValues("users.info").Inc()
		return reply{Text: fmt.Sprintf(slackBusy, max(rl.RetryAfter.Round(time.Second), time.Second))}
	}
	log.Warn("slash: user lookup failed", zap.Error(err))
	return reply{Text: somethingWrong}
}

// kindLabel is a command's metric label: unknown subcommands share one.
func kindLabel(k slash.Kind) string {
	if k == 0 {
		return "unknown"
	}
	return k.String()
}

// execute carries out a parsed, permitted command.
func (b *Bot) execute(ctx context.Context, team, channel, user string, cmd slash.Command) (reply, error) {
	scope := channel
	if isDM(channel) {
		scope = "" // status, test and stats in a DM are about the workspace
	}
	switch cmd.Kind {
	case slash.KindHelp:
		return reply{Text: slash.Help()}, nil
	case slash.KindStatus:
		return b.status(ctx, team, scope, user)
	case slash.KindTest:
		return b.test(ctx, team, scope, cmd.Text)
	case slash.KindSnooze:
		return b.snooze(ctx, team, user, cmd.Duration)
	case slash.KindUnsnooze:
		return b.unsnooze(ctx, team, user)
	case slash.KindStats:
		return b.stats(ctx, team, scope, cmd.N)
	}
	ch, ok := changeOf(cmd, channel)
	if !ok {
		return reply{}, fmt.Errorf("no handler for %s", cmd.Kind)
	}
	return b.change(ctx, team, channel, user, ch)
}

// refusedWhat says, in a refusal, what the caller is not allowed to do.
func refusedWhat(cmd slash.Command) string {
	if cmd.Kind == slash.KindStats {
		return "see `/nudge stats`"
	}
	return "change nudgebot's settings (`/nudge " + cmd.Kind.String() + "`)"
}

// channelLevel reports whether cmd changes one channel's own settings.
func channelLevel(cmd slash.Command) bool {
	switch cmd.Kind {
	case slash.KindThreshold, slash.KindCooldown:
		return !cmd.Workspace
	case slash.KindEnable, slash.KindDisable, slash.KindRule, slash.KindShadow, slash.KindExperiment:
		return true
	}
	return false
}

// isDM reports whether a channel ID is a direct message (the App's
// Messages tab), where channel settings mean nothing.
func isDM(channel string) bool { return strings.HasPrefix(channel, "D") }

// settingChange is one setting a command changes.
type settingChange struct {
	channel string // "" for the workspace default
	key     string
	value   string // as stored
}

// changeOf maps a manager's command to the setting it changes.
func changeOf(cmd slash.Command, channel string) (settingChange, bool) {
	c := settingChange{channel: channel}
	if cmd.Workspace {
		c.channel = ""
	}
	switch cmd.Kind {
	case slash.KindThreshold:
		c.key, c.value = store.KeyThreshold, strconv.FormatFloat(cmd.Threshold, 'f', -1, 64)
	case slash.KindCooldown:
		c.key, c.value = store.KeyCooldown, cmd.Duration.String()
	case slash.KindEnable:
		c.key, c.value = store.KeyEnabled, "on"
	case slash.KindDisable:
		c.key, c.value = store.KeyEnabled, "off"
	case slash.KindRule:
		c.key, c.value = store.KeyRulePrefix+cmd.Family, onOff(cmd.On)
	case slash.KindShadow:
		c.key, c.value = store.KeyShadow, onOff(cmd.On)
	case slash.KindCap:
		// The cap is per agent per day across the workspace.
		c.channel, c.key, c.value = "", store.KeyCap, count(cmd.N, cmd.Off)
	case slash.KindExperiment:
		c.key, c.value = store.KeyExperiment, count(cmd.N, cmd.Off)
	default:
		return settingChange{}, false
	}
	return c, true
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

func count(n int, off bool) string {
	if off {
		return "off"
	}
	return strconv.Itoa(n)
}

// change applies c for user, with its audit record, and says what is now
// in force in channel and where it comes from.
func (b *Bot) change(ctx context.Context, team, channel, user string, c settingChange) (reply, error) {
	ws, err := b.store.Settings(ctx, team, "")
	if err != nil {
		return reply{}, fmt.Errorf("workspace settings: %w", err)
	}
	var ch map[string]string
	if channel != "" && !isDM(channel) {
		if ch, err = b.store.Settings(ctx, team, channel); err != nil {
			return reply{}, fmt.Errorf("channel settings: %w", err)
		}
	}
	level := ch
	if c.channel == "" {
		level = ws
	}
	// A workspace change reads as the workspace default's value; a
	// channel change as what is in force in the channel.
	view := func(ch, ws map[string]string) Settings {
		if c.channel == "" {
			return ResolveSettings(nil, ws, b.defaults)
		}
		return ResolveSettings(ch, ws, b.defaults)
	}
	before := view(ch, ws)
	where := "in <#" + channel + ">"
	if c.channel == "" {
		where = "as the workspace default"
	}
	if level[c.key] == c.value {
		return reply{Text: fmt.Sprintf("%s is already %s %s: nothing changed.",
			capitalize(settingName(c.key)), settingValue(c.key, before), where)}, nil
	}

	done, err := b.store.SetSetting(ctx, store.Change{
		Team: team, Channel: c.channel, Key: c.key, New: c.value, By: user, At: b.now(),
	})
	if err != nil {
		return reply{}, fmt.Errorf("set %s: %w", c.key, err)
	}
	b.log.Info("setting changed", zap.String("team_id", team), zap.String("channel_id", c.channel),
		zap.String("key", c.key), zap.String("old", done.Old), zap.String("new", done.New), zap.String("user_id", user))

	next := make(map[string]string, len(level)+1)
	for k, v := range level {
		next[k] = v
	}
	next[c.key] = c.value
	if c.channel == "" {
		ws = next
	} else {
		ch = next
	}
	after := view(ch, ws)

	var sb strings.Builder
	fmt.Fprintf(&sb, ":white_check_mark: %s is now *%s* %s (it was %s, %s).",
		capitalize(settingName(c.key)), settingValue(c.key, after), where,
		settingValue(c.key, before), levelName(before.From[c.key]))
	if here := ResolveSettings(ch, ws, b.defaults); c.channel == "" && ch != nil && here.From[c.key] == LevelChannel {
		fmt.Fprintf(&sb, "\n<#%s> keeps its own %s, %s", channel, settingName(c.key), settingValue(c.key, here))
		if c.key == store.KeyThreshold || c.key == store.KeyCooldown {
			fmt.Fprintf(&sb, "; `/nudge %s` there changes it.", c.key)
		} else {
			sb.WriteString(".")
		}
	} else {
		sb.WriteString(" It applies from the next message.")
	}
	if note := changeNote(c, after); note != "" {
		sb.WriteString("\n" + note)
	}
	return reply{Text: sb.String()}, nil
}

// changeNote adds what a manager should know after a change.
func changeNote(c settingChange, s Settings) string {
	switch {
	case c.key == store.KeyShadow && s.Shadow:
		return "Trial mode: messages here are scored and would-be nudges recorded, but no agent sees one. Watch `/nudge stats`, then `/nudge shadow off`."
	case c.key == store.KeyExperiment && s.Experiment > 0:
		return fmt.Sprintf("About %d%% of would-be nudges here are now held back as a control group; `/nudge stats` compares what customers did after each.", s.Experiment)
	case c.key == store.KeyEnabled && !s.Enabled:
		return "I'll ignore this channel until `/nudge on`."
	}
	return ""
}

// settingName is how a setting key reads in a reply.
func settingName(key string) string {
	switch key {
	case store.KeyThreshold:
		return "threshold"
	case store.KeyCooldown:
		return "cooldown"
	case store.KeyEnabled:
		return "watching"
	case store.KeyShadow:
		return "shadow mode"
	case store.KeyCap:
		return "daily cap"
	case store.KeyExperiment:
		return "experiment"
	}
	if f, ok := strings.CutPrefix(key, store.KeyRulePrefix); ok {
		return "rule family " + f
	}
	return key
}

// settingValue is the effective value of key in s, as it reads.
func settingValue(key string, s Settings) string {
	switch key {
	case store.KeyThreshold:
		return strconv.FormatFloat(s.Threshold, 'f', -1, 64)
	case store.KeyCooldown:
		return formatDuration(s.Cooldown)
	case store.KeyEnabled:
		return onOff(s.Enabled)
	case store.KeyShadow:
		return onOff(s.Shadow)
	case store.KeyCap:
		if s.Cap == 0 {
			return "off"
		}
		return fmt.Sprintf("%d a day", s.Cap)
	case store.KeyExperiment:
		if s.Experiment == 0 {
			return "off"
		}
		return fmt.Sprintf("%d%% withheld", s.Experiment)
	}
	if f, ok := strings.CutPrefix(key, store.KeyRulePrefix); ok {
		if fam, ok := score.ParseFamily(f); ok {
			return onOff(!s.Off.Has(fam))
		}
	}
	return "?"
}

// levelName says where a value comes from.
func levelName(l Level) string {
	switch l {
	case LevelChannel:
		return "set for this channel"
	case LevelWorkspace:
		return "the workspace default"
	}
	return "the built-in default"
}

// formatDuration writes d the short way: "10m", "1h30m", "2h", "45s", "0".
func formatDuration(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
