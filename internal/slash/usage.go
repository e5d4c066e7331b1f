package slash

import (
	"fmt"
	"strings"
)

// UsageError is what Parse returns for text it cannot read. Message is
// written for the user who typed the command; Error is for logs.
type UsageError struct {
	// Kind is the subcommand the text named, or 0 when it named none.
	Kind Kind
	// Problem is one line saying what was wrong. It quotes at most a short,
	// escaped piece of what the user typed, never the text of `test`.
	Problem string
	// Usage is one line: how to write that subcommand, or where to find the
	// list of subcommands.
	Usage string
}

// Message is the reply to show the user (Slack mrkdwn, two lines): the
// problem, then the usage.
func (e *UsageError) Message() string {
	return e.Problem + "\nUsage: " + e.Usage
}

func (e *UsageError) Error() string {
	return "slash: " + e.Problem
}

// usage is one line per subcommand. KindSnooze and KindUnsnooze share one,
// as do KindEnable and KindDisable.
var usage = map[Kind]string{
	KindHelp:   "`/nudge help`: this list",
	KindStatus: "`/nudge status`: this channel's settings and where each comes from",
	KindTest:   "`/nudge test TEXT`: score TEXT and show what would trigger a nudge",
	KindSnooze: "`/nudge snooze DURATION` (like `2h` or `90 min`, up to 30 days) or `/nudge snooze off`: no nudges for you until then",
	KindThreshold: "`/nudge threshold X` for this channel or `/nudge threshold default X` for the workspace, " +
		"X between 0 and 1 like `0.7` or `70%`: higher means fewer nudges",
	KindCooldown: "`/nudge cooldown DURATION` for this channel or `/nudge cooldown default DURATION` for the workspace, " +
		"like `10m` or `0`, up to 24h: the least time between two nudges to one agent",
	KindEnable:     "`/nudge on` or `/nudge off`: watch or ignore this channel",
	KindRule:       "`/nudge rule FAMILY on|off`: switch one family in this channel; families: " + strings.Join(families, ", "),
	KindStats:      fmt.Sprintf("`/nudge stats [DAYS]` (1 to %d, default %d): messages scored, nudges sent and whether they helped", MaxStatsDays, DefaultDays),
	KindShadow:     "`/nudge shadow on|off`: trial mode for this channel: score and record would-be nudges, send none",
	KindCap:        fmt.Sprintf("`/nudge cap N|off`: at most N nudges (1 to %d) per agent per day in this workspace", MaxCap),
	KindExperiment: fmt.Sprintf("`/nudge experiment PCT|off`: withhold PCT%% (1 to %d) of would-be nudges at random, as a control group for `stats`", MaxExperiment),
}

// listUsage is the usage of an unknown or missing subcommand.
const listUsage = "`/nudge help` lists the commands: " +
	"help, status, test, snooze, threshold, cooldown, on, off, rule, stats, shadow, cap, experiment"

// Usage returns the one-line usage of the kind's subcommand (mrkdwn).
func (k Kind) Usage() string {
	switch k {
	case KindUnsnooze:
		k = KindSnooze
	case KindDisable:
		k = KindEnable
	}
	if u, ok := usage[k]; ok {
		return u
	}
	return listUsage
}

// helpGroups orders Help: who may run what.
var helpGroups = []struct {
	title string
	kinds []Kind
}{
	{"For everyone", []Kind{KindHelp, KindStatus, KindTest}},
	{"For agents", []Kind{KindSnooze}},
	{"For managers", []Kind{KindThreshold, KindCooldown, KindEnable, KindRule, KindStats, KindShadow, KindCap, KindExperiment}},
}

// Help returns the full usage for `/nudge help` (Slack mrkdwn), grouped by
// who may run each command.
func Help() string {
	var b strings.Builder
	b.WriteString("*nudgebot* privately reminds support agents when a reply starts to argue with the customer. Only the agent sees a nudge.\n")
	for _, g := range helpGroups {
		fmt.Fprintf(&b, "\n*%s*\n", g.title)
		for _, k := range g.kinds {
			fmt.Fprintf(&b, "• %s\n", k.Usage())
		}
	}
	b.WriteString("\nManagers are the users in NUDGE_MANAGERS and the workspace's admins and owners.")
	return b.String()
}
