package slackbot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nudgebot/nudgebot/internal/score"
	"github.com/nudgebot/nudgebot/internal/store"
)

// Level says where an effective setting's value came from.
type Level int

// Levels, from the most general to the most specific. A channel's own
// setting beats the workspace default, which beats the environment.
const (
	// LevelDefault is the environment (NUDGE_THRESHOLD, NUDGE_COOLDOWN) or
	// the built-in default.
	LevelDefault Level = iota
	// LevelWorkspace is the workspace default a manager set.
	LevelWorkspace
	// LevelChannel is the channel's own setting.
	LevelChannel
)

func (l Level) String() string {
	switch l {
	case LevelWorkspace:
		return "workspace"
	case LevelChannel:
		return "channel"
	default:
		return "default"
	}
}

// Defaults are the settings in force where no manager set any.
type Defaults struct {
	Threshold float64       // NUDGE_THRESHOLD
	Cooldown  time.Duration // NUDGE_COOLDOWN
}

// Settings are one channel's effective settings.
type Settings struct {
	Threshold float64
	Cooldown  time.Duration
	Enabled   bool
	Shadow    bool
	// Off holds the families switched off.
	Off score.FamilySet
	// Cap is the most nudges per agent per UTC day; 0 means no cap.
	Cap int
	// Experiment is the percentage of would-be nudges withheld at random
	// as a control group; 0 means none.
	Experiment int
	// From says which level each key's value came from, by store key
	// (store.KeyThreshold, ..., store.KeyRulePrefix+"spar").
	From map[string]Level
}

// Settings returns the effective settings of channel in team: the
// channel's own, then the workspace default's, then the environment's.
func (b *Bot) Settings(ctx context.Context, team, channel string) (Settings, error) {
	ws, err := b.store.Settings(ctx, team, "")
	if err != nil {
		return Settings{}, fmt.Errorf("workspace settings: %w", err)
	}
	var ch map[string]string
	if channel != "" {
		if ch, err = b.store.Settings(ctx, team, channel); err != nil {
			return Settings{}, fmt.Errorf("channel settings: %w", err)
		}
	}
	return ResolveSettings(ch, ws, b.defaults), nil
}

// ResolveSettings merges the settings stored for a channel and for its
// workspace over d. A stored value that does not parse is passed over, as
// if it were not set, so one bad row never silences the bot.
func ResolveSettings(channel, workspace map[string]string, d Defaults) Settings {
	s := Settings{
		Threshold: d.Threshold,
		Cooldown:  d.Cooldown,
		Enabled:   true,
		From:      make(map[string]Level, 7+len(score.Families())),
	}
	levels := []struct {
		kv    map[string]string
		level Level
	}{{channel, LevelChannel}, {workspace, LevelWorkspace}}

	// pick finds the most specific value of key that parse accepts.
	pick := func(key string, parse func(string) bool) {
		for _, l := range levels {
			if v, ok := l.kv[key]; ok && v != "" && parse(v) {
				s.From[key] = l.level
				return
			}
		}
		s.From[key] = LevelDefault
	}
	pick(store.KeyThreshold, func(v string) bool {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f > 0 && f <= 1) {
			return false
		}
		s.Threshold = f
		return true
	})
	pick(store.KeyCooldown, func(v string) bool {
		dur, err := time.ParseDuration(v)
		if err != nil || dur < 0 {
			return false
		}
		s.Cooldown = dur
		return true
	})
	pick(store.KeyEnabled, func(v string) bool { return parseOnOff(v, &s.Enabled) })
	pick(store.KeyShadow, func(v string) bool { return parseOnOff(v, &s.Shadow) })
	pick(store.KeyCap, func(v string) bool { return parseCount(v, 0, 1<<20, &s.Cap) })
	pick(store.KeyExperiment, func(v string) bool { return parseCount(v, 0, 100, &s.Experiment) })
	for _, f := range score.Families() {
		pick(store.KeyRulePrefix+string(f), func(v string) bool {
			var on bool
			if !parseOnOff(v, &on) {
				return false
			}
			if !on {
				s.Off = s.Off.With(f)
			}
			return true
		})
	}
	return s
}

func parseOnOff(v string, dst *bool) bool {
	switch strings.ToLower(v) {
	case "on", "true":
		*dst = true
	case "off", "false":
		*dst = false
	default:
		return false
	}
	return true
}

// parseCount reads a whole number in [lo, hi]; "off" is 0.
func parseCount(v string, lo, hi int, dst *int) bool {
	if strings.EqualFold(v, "off") {
		*dst = 0
		return true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return false
	}
	*dst = n
	return true
}
