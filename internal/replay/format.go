package replay

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/nudgebot/nudgebot/internal/score"
)

// Formats are the report formats Write knows.
func Formats() []string { return []string{"text", "json", "csv", "html"} }

// Write writes rep to w in format: "text", "json", "csv" (one row per
// channel and agent) or "html" (one self-contained page).
func Write(w io.Writer, rep *Report, format string) error {
	switch format {
	case "text", "":
		return writeText(w, rep)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "csv":
		return writeCSV(w, rep)
	case "html":
		return writeHTML(w, rep)
	}
	return fmt.Errorf("format %q: want one of %s", format, strings.Join(Formats(), ", "))
}

func pct(n, d int) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(d))
}

func f2(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
func f3(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

// Summary is the report's headline in one sentence.
func (rep *Report) Summary() string {
	span := "no scored messages"
	if rep.First != "" {
		span = fmt.Sprintf("%s to %s (%d days)", rep.First, rep.Last, rep.SpanDays)
	}
	return fmt.Sprintf("%d would-be nudges at threshold %s on %d agent messages (%s), %s.",
		rep.Nudges, f2(rep.Threshold), rep.Messages.Scored, pct(rep.Nudges, rep.Messages.Scored), span)
}

// Privacy says what the report shows of message text.
func (rep *Report) Privacy() string {
	if rep.ShowText {
		return "Message text is shown (--show-text): the quoted spans are agents' words."
	}
	return "No message text is shown: examples give the rule, family and span length (use --show-text to quote them)."
}

// SpanText is an example's quoted span, or its rule and length when the
// report holds no text.
func (e Example) SpanText() string {
	if e.Span != "" {
		return strconv.Quote(e.Span)
	}
	return fmt.Sprintf("[%s, %d bytes]", orDash(e.RuleID, string(e.Family)), e.SpanLen)
}

// orDash returns a, or b when a is empty.
func orDash(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func writeText(w io.Writer, rep *Report) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	tw := func(f func(t *tabwriter.Writer)) {
		t := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		f(t)
		t.Flush()
	}

	p("nudgebot replay of %s\n", rep.Export)
	p("%s\n", rep.Summary())
	p("Agents: %d from %s (home team %s); everyone else is a customer, whose previous message is the context.\n", rep.AgentsKnown, rep.AgentsFrom, orDash(rep.HomeTeam, "-"))
	if rep.Since != "" || rep.Until != "" {
		p("Dates: %s to %s (UTC days).\n", orDash(rep.Since, "start"), orDash(rep.Until, "end"))
	}
	p("%s\n", rep.Privacy())

	p("\nChannels\n")
	tw(func(t *tabwriter.Writer) {
		fmt.Fprintln(t, "channel\tid\tscored\tnudges\trate\t")
		for _, c := range rep.Channels {
			fmt.Fprintf(t, "#%s\t%s\t%d\t%d\t%s\t\n", c.Name, c.ID, c.Scored, c.Nudges, pct(c.Nudges, c.Scored))
		}
	})

	p("\nAgents\n")
	tw(func(t *tabwriter.Writer) {
		fmt.Fprintln(t, "agent\tscored\tnudges\tactive days\tnudges/active day\t")
		for _, a := range rep.Agents {
			fmt.Fprintf(t, "%s\t%d\t%d\t%d\t%s\t\n", a.ID, a.Scored, a.Nudges, a.ActiveDays, f2(a.PerActiveDay))
		}
	})

	p("\nFamilies (nudges: the family that led a would-be nudge; messages: scored messages with any hit of it)\n")
	tw(func(t *tabwriter.Writer) {
		fmt.Fprintln(t, "family\tnudges\tmessages\t")
		for _, f := range rep.Families {
			fmt.Fprintf(t, "%s\t%d\t%d\t\n", f.Family, f.Nudges, f.Messages)
		}
	})

	p("\nThreshold sweep (nudges per agent per day: \"active\" divides by the days each agent posted, \"span\" by the %d-day span of the export for every agent)\n", rep.SpanDays)
	tw(func(t *tabwriter.Writer) {
		fmt.Fprintln(t, "threshold\tnudges\tper agent per active day\tper agent per span day\tbusiest agent per active day\t")
		for _, s := range rep.Sweep {
			mark := ""
			if s.Chosen {
				mark = "  <- chosen"
			}
			fmt.Fprintf(t, "%s\t%d\t%s\t%s\t%s\t%s\n", f2(s.Threshold), s.Nudges, f3(s.PerAgentActiveDay), f3(s.PerAgentSpanDay), f3(s.MaxAgentActiveDay), mark)
		}
	})

	p("\nScore distribution of the %d messages that matched a rule (%d matched none)\n", rep.Messages.Scored-rep.Unmatched, rep.Unmatched)
	for _, h := range rep.Histogram {
		if h.Count > 0 {
			p("  %s-%s  %d\n", f2(h.Lo), f2(h.Hi), h.Count)
		}
	}

	p("\nTop examples at threshold %s\n", f2(rep.Threshold))
	if len(rep.Examples) == 0 {
		p("  none\n")
	}
	for i, e := range rep.Examples {
		p("%3d. %s  %-10s #%s  %s  %s (ts %s)\n", i+1, f2(e.Score), e.Family, e.Channel, e.Agent, e.Day, e.TS)
		p("     span: %s\n", e.SpanText())
		p("     reminder: %s\n", e.Reminder)
	}

	p("\nRead: %d day files, %d messages (%d scored, %d from customers as context, %d skipped)\n",
		rep.Files.Read, rep.Messages.Read, rep.Messages.Scored, rep.Messages.Customer, skippedTotal(rep))
	if len(rep.Messages.Skipped) > 0 {
		p("Skipped messages:\n")
		for _, k := range sortedKeys(rep.Messages.Skipped) {
			p("  %7d  %s\n", rep.Messages.Skipped[k], k)
		}
	}
	p("Skipped files: %d\n", len(rep.Files.Skipped))
	for _, reason := range fileReasons(rep) {
		p("  %7d  %s\n", reason.N, reason.Reason)
	}
	if len(rep.Warnings) > 0 {
		p("Warnings:\n")
		for _, w := range rep.Warnings {
			p("  %s\n", w)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func skippedTotal(rep *Report) int {
	n := 0
	for _, v := range rep.Messages.Skipped {
		n += v
	}
	return n
}

type reasonCount struct {
	Reason string
	N      int
}

// fileReasons groups skipped files by reason; a malformed file's reason
// names the file, so it stays on a line of its own.
func fileReasons(rep *Report) []reasonCount {
	counts := map[string]int{}
	for _, s := range rep.Files.Skipped {
		r := s.Reason
		if strings.Contains(r, ":") {
			r = s.File + ": " + r
		}
		counts[r]++
	}
	out := make([]reasonCount, 0, len(counts))
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		out = append(out, reasonCount{k, counts[k]})
	}
	return out
}

func writeCSV(w io.Writer, rep *Report) error {
	cw := csv.NewWriter(w)
	head := []string{"channel", "channel_id", "agent", "scored", "nudges", "active_days", "nudges_per_active_day"}
	for _, f := range score.Families() {
		head = append(head, "nudges_"+string(f))
	}
	for _, th := range Thresholds() {
		head = append(head, "nudges_at_"+f2(th))
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, c := range rep.Cells {
		row := []string{c.Channel, c.ChannelID, c.Agent, strconv.Itoa(c.Scored), strconv.Itoa(c.Nudges),
			strconv.Itoa(c.ActiveDays), f3(ratio(c.Nudges, c.ActiveDays))}
		for _, n := range c.ByFamily {
			row = append(row, strconv.Itoa(n))
		}
		for _, n := range c.Sweep {
			row = append(row, strconv.Itoa(n))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func sortedKeys(m map[string]int) []string { return slices.Sorted(maps.Keys(m)) }
