// Package slash turns the text of a `/nudge` slash command into a Command
// the bot can act on, and words the usage and the errors users see.
//
// Parse is pure and deterministic. It never fails on text it cannot read:
// it returns a *UsageError whose Message is safe to show to the user who
// typed the command.
//
// Decisions worth knowing:
//   - A threshold is a fraction in (0, 1] ("0.7", ".7", "1") or a
//     percentage ("70%", "70 %"). A bare number above 1 ("70", "7") is an
//     error rather than a guess at a percentage: "threshold 7" could mean
//     0.7 or 7%, and a wrong guess silently changes who gets nudged.
//   - Durations take Go syntax first ("10m", "1h30m", "0") and then human
//     forms ("2 hours", "90 min", "1 hour 30 minutes", "1h 30m", "2 days",
//     "1d", "1 week", "half an hour", "an hour and a half"). A number with
//     no unit is an error, except a cooldown of "0".
//   - A snooze lasts at most MaxSnooze; a cooldown at most MaxCooldown.
//   - An experiment withholds 1% to MaxExperiment (90%) of would-be
//     nudges: withholding more leaves too few sent nudges for the stats to
//     compare against.
//   - A cap is 1 to MaxCap nudges per agent per day.
//   - Subcommands and keywords are case-insensitive. Non-breaking and other
//     Unicode spaces separate words; zero-width characters are ignored;
//     quotes (ASCII or smart) around arguments are dropped. The text of
//     `/nudge test TEXT` is kept exactly as typed, apart from the spaces
//     around it (and invalid UTF-8, which Slack never sends, becomes U+FFFD).
package slash

import (
	"fmt"
	"time"
)

// Limits on what a manager or agent may set.
const (
	MaxSnooze     = 30 * 24 * time.Hour
	MaxCooldown   = 24 * time.Hour
	MaxCap        = 1000 // nudges per agent per day
	MaxExperiment = 90   // percent withheld
	MaxStatsDays  = 365
	DefaultDays   = 7 // `/nudge stats` with no DAYS
)

// Kind is what a command asks for. The zero Kind is no command at all;
// Parse never returns it.
type Kind int

// The kinds of command, one per subcommand (and "snooze off").
const (
	KindHelp       Kind = iota + 1 // usage; also the empty command
	KindStatus                     // this channel's effective settings
	KindTest                       // score Command.Text
	KindSnooze                     // no nudges to the caller for Command.Duration
	KindUnsnooze                   // "snooze off": end the caller's snooze
	KindThreshold                  // set Command.Threshold (Workspace: the default)
	KindCooldown                   // set Command.Duration (Workspace: the default)
	KindEnable                     // "on": watch this channel
	KindDisable                    // "off": ignore this channel
	KindRule                       // switch Command.Family on or off (Command.On)
	KindStats                      // stats over the last Command.N days
	KindShadow                     // shadow mode on or off (Command.On)
	KindCap                        // at most Command.N nudges per agent per day, or Command.Off
	KindExperiment                 // withhold Command.N percent, or Command.Off
)

var kindNames = map[Kind]string{
	KindHelp:       "help",
	KindStatus:     "status",
	KindTest:       "test",
	KindSnooze:     "snooze",
	KindUnsnooze:   "unsnooze",
	KindThreshold:  "threshold",
	KindCooldown:   "cooldown",
	KindEnable:     "on",
	KindDisable:    "off",
	KindRule:       "rule",
	KindStats:      "stats",
	KindShadow:     "shadow",
	KindCap:        "cap",
	KindExperiment: "experiment",
}

// String returns the subcommand's name ("threshold", "on", "unsnooze"),
// suitable for logs and metric labels.
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Command is one parsed `/nudge` command. Only the fields its Kind names
// are set; the rest are zero.
type Command struct {
	Kind Kind
	// Workspace is set by "threshold default X" and "cooldown default D":
	// the change is to the workspace default rather than this channel.
	Workspace bool
	// Threshold is in (0, 1] (KindThreshold).
	Threshold float64
	// Duration is the snooze length (KindSnooze, > 0) or the cooldown
	// (KindCooldown, >= 0).
	Duration time.Duration
	// Family is one of Families(), canonical ("push_to_z") (KindRule).
	Family string
	// On is the switch for KindRule and KindShadow.
	On bool
	// Off is set by "cap off" and "experiment off"; N is then 0.
	Off bool
	// N is the cap (KindCap, 1..MaxCap), the days (KindStats,
	// 1..MaxStatsDays) or the percentage withheld (KindExperiment,
	// 1..MaxExperiment).
	N int
	// Text is the message to score (KindTest), exactly as typed: original
	// case, mrkdwn and Slack's escaping (&amp; &lt; &gt;) untouched.
	Text string
}

// ManagerOnly reports whether only a manager may run the command. help,
// status, test and the caller's own snooze are for everyone.
func (c Command) ManagerOnly() bool {
	switch c.Kind {
	case KindHelp, KindStatus, KindTest, KindSnooze, KindUnsnooze:
		return false
	}
	return true
}

// families are the rule families of DESIGN.md. internal/score has the same
// list; slash keeps its own so that it imports nothing of ours, and the
// bot's tests check the two agree.
var families = []string{"contradict", "repeat", "blame", "defend", "condescend", "stonewall", "push_to_z", "spar"}

// Families returns the family names `/nudge rule` accepts, in DESIGN.md's
// order.
func Families() []string {
	return append([]string(nil), families...)
}
