package slackbot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nudgebot/nudgebot/internal/store"
	"github.com/slack-go/slack"
)

const (
	// minClicks is how many clicks a family needs before `stats` calls its
	// helpful rate poor: fewer mean nothing.
	minClicks = 5
	// minCompare is how many messages each group (nudged, withheld) needs
	// before `stats` sets their escalation rates side by side.
	minCompare = 20
	// topRules is how many of the rules most often marked not helpful
	// `stats` lists.
	topRules = 3
	// justPast ends a stats range just after now, so that what was
	// recorded this very instant counts.
	justPast = time.Second
)

// stats answers `/nudge stats DAYS` for channel (the workspace when "").
func (b *Bot) stats(ctx context.Context, team, channel string, days int) (reply, error) {
	now := b.now()
	st, err := b.store.Stats(ctx, store.Since{Team: team, Channel: channel,
		From: now.Add(-time.Duration(days) * 24 * time.Hour), To: now.Add(justPast)})
	if err != nil {
		return reply{}, fmt.Errorf("stats: %w", err)
	}
	set, err := b.Settings(ctx, team, channel)
	if err != nil {
		return reply{}, err
	}
	return statsReply(channel, days, st, set), nil
}

// statsReply lays out the figures of st, for channel ("" for the
// workspace) over the last days, given the settings now in force there.
func statsReply(channel string, days int, st store.Stats, set Settings) reply {
	scope := "<#" + channel + ">"
	if channel == "" {
		scope = "the whole workspace"
	}
	period := "the last day"
	if days != 1 {
		period = fmt.Sprintf("the last %d days", days)
	}
	head := fmt.Sprintf("*nudgebot stats for %s, %s*", scope, period)

	clicks := st.Helpful + st.NotHelpful
	fields := []string{
		fmt.Sprintf("*Messages scored*\n%d", st.Scored),
		fmt.Sprintf("*Nudges sent*\n%d, to %s", st.Sent, plural(st.Agents, "agent")),
		fmt.Sprintf("*Shadowed (recorded, not sent)*\n%d", st.Shadowed),
		fmt.Sprintf("*Withheld as control*\n%d", st.Withheld),
		fmt.Sprintf("*Over the daily cap*\n%d", st.Capped),
		fmt.Sprintf("*Marked helpful*\n%s", ofRate(st.Helpful, clicks, "click")),
	}

	var notes []string
	if st.Shadowed > 0 {
		n := fmt.Sprintf(":ghost: *Shadow mode*: %s recorded and *not sent*; agents saw none of them.",
			plural(st.Shadowed, "would-be nudge"))
		if set.Shadow {
			n += " Shadow mode is still on; `/nudge shadow off` starts sending."
		}
		notes = append(notes, n)
	}

	blocks := []slack.Block{section(head), fieldsSection(fields)}
	parts := []string{head}
	for _, f := range fields {
		parts = append(parts, "• "+strings.Replace(f, "\n", ": ", 1))
	}
	for _, n := range notes {
		blocks = append(blocks, section(n))
		parts = append(parts, n)
	}
	if len(st.Families) > 0 {
		t := "*By family*\n```" + familyTable(st.Families) + "```"
		blocks = append(blocks, section(t))
		parts = append(parts, t)
	}
	if r := worstRules(st.Rules); r != "" {
		blocks = append(blocks, section(r))
		parts = append(parts, r)
	}
	if s := suggestions(st.Families); s != "" {
		blocks = append(blocks, section(s))
		parts = append(parts, s)
	}
	e := escalationText(st.Nudged, st.Control, set.Experiment)
	blocks = append(blocks, section(e))
	parts = append(parts, e)
	return reply{Text: strings.Join(parts, "\n"), Blocks: blocks}
}

// familyTable is a fixed-width table of the families' figures.
func familyTable(fams []store.FamilyStats) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-11s %5s %8s %8s  %s\n", "family", "sent", "shadowed", "withheld", "helpful")
	for _, f := range fams {
		fmt.Fprintf(&b, "%-11s %5d %8d %8d  %s\n", clip(f.Family, 11), f.Sent, f.Shadowed, f.Withheld,
			ofRate(f.Helpful, f.Helpful+f.NotHelpful, "click"))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// worstRules lists the rules most often marked not helpful.
func worstRules(rules []store.RuleStats) string {
	var lines []string
	for _, r := range rules { // the store sorts them, most NotHelpful first
		if r.NotHelpful == 0 || len(lines) == topRules {
			break
		}
		lines = append(lines, fmt.Sprintf("• `%s` (%s): %d of %d marked not helpful",
			r.RuleID, familyLabelString(r.Family), r.NotHelpful, r.Helpful+r.NotHelpful))
	}
	if len(lines) == 0 {
		return ""
	}
	return "*Rules most often marked not helpful*\n" + strings.Join(lines, "\n")
}

// suggestions name the families whose nudges agents mostly found not
// helpful, once there are enough clicks to mean something.
func suggestions(fams []store.FamilyStats) string {
	var lines []string
	for _, f := range fams {
		clicks := f.Helpful + f.NotHelpful
		if clicks < minClicks || f.NotHelpful*2 <= clicks {
			continue
		}
		lines = append(lines, fmt.Sprintf("• %s: %d of %d marked not helpful. Consider `/nudge rule %s off` or a higher threshold.",
			f.Family, f.NotHelpful, clicks, f.Family))
	}
	if len(lines) == 0 {
		return ""
	}
	return ":warning: *Worth a look*\n" + strings.Join(lines, "\n")
}

// escalationText sets the customers' escalation after nudged messages
// beside that after withheld ones, with the counts behind each rate.
func escalationText(nudged, control store.EscalationStats, experiment int) string {
	var b strings.Builder
	b.WriteString("*Did it help?* Customer escalation within 30 minutes of the agent's message:\n")
	fmt.Fprintf(&b, "• after nudged messages: %s\n", escalationRate(nudged))
	fmt.Fprintf(&b, "• after withheld (control) messages: %s", escalationRate(control))
	switch {
	case control.Messages == 0 && experiment == 0:
		b.WriteString("\nNo control group: `/nudge experiment 20` withholds 20% of would-be nudges at random, so there is something to compare with.")
	case nudged.Messages < minCompare || control.Messages < minCompare:
		fmt.Fprintf(&b, "\n_Too few to compare yet: each group needs at least %d messages._", minCompare)
	default:
		pn := float64(nudged.Escalated) / float64(nudged.Messages)
		pc := float64(control.Escalated) / float64(control.Messages)
		switch {
		case pn < pc:
			fmt.Fprintf(&b, "\nEscalation was %d points lower after nudges.", percent(pc-pn))
		case pn > pc:
			fmt.Fprintf(&b, "\nEscalation was %d points *higher* after nudges.", percent(pn-pc))
		default:
			b.WriteString("\nNo difference between the groups.")
		}
	}
	return b.String()
}

// escalationRate is "12 of 80 (15%)", and how many of them got a reply.
func escalationRate(e store.EscalationStats) string {
	if e.Messages == 0 {
		return "no messages"
	}
	return fmt.Sprintf("%d of %d (%d%%); %d had a customer reply", e.Escalated, e.Messages,
		percent(float64(e.Escalated)/float64(e.Messages)), e.Replied)
}

// ofRate is "3 of 4 (75%)" or "no clicks".
func ofRate(n, of int, unit string) string {
	if of == 0 {
		return "no " + unit + "s"
	}
	return fmt.Sprintf("%d of %d (%d%%)", n, of, percent(float64(n)/float64(of)))
}

// percent rounds a fraction to a whole percentage.
func percent(f float64) int { return int(f*100 + 0.5) }

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func familyLabelString(f string) string { return strings.ReplaceAll(f, "_", " ") }
