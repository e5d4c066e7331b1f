package slash

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Parse reads the text Slack sends after `/nudge` ("threshold 0.7").
// Empty text is KindHelp. Any error is a *UsageError.
func Parse(text string) (Command, error) {
	text = strings.ToValidUTF8(text, "\uFFFD")
	text = strings.TrimFunc(text, isBlank)
	if text == "" {
		return Command{Kind: KindHelp}, nil
	}
	// The subcommand is the first word that is more than quotes.
	var name, rest string
	for name == "" && text != "" {
		word := text
		if i := strings.IndexFunc(text, unicode.IsSpace); i >= 0 {
			word = text[:i]
		}
		rest = strings.TrimFunc(text[len(word):], isBlank)
		name = strings.TrimSpace(strings.ToLower(strings.Map(keyword, word)))
		text = rest
	}
	if name == "" {
		return Command{Kind: KindHelp}, nil
	}

	if name == "test" {
		if rest == "" {
			return Command{}, usageErr(KindTest, "test needs the text to score, like `/nudge test as I already said, restart it`")
		}
		return Command{Kind: KindTest, Text: rest}, nil
	}
	args := strings.Fields(strings.ToLower(strings.Map(keyword, rest)))

	switch name {
	case "help", "?":
		return Command{Kind: KindHelp}, nil
	case "status":
		return noArgs(KindStatus, args)
	case "on", "enable":
		return noArgs(KindEnable, args)
	case "off", "disable":
		return noArgs(KindDisable, args)
	case "unsnooze":
		return noArgs(KindUnsnooze, args)
	case "snooze":
		return parseSnooze(args)
	case "threshold":
		return parseThreshold(args)
	case "cooldown":
		return parseCooldown(args)
	case "rule":
		return parseRule(args)
	case "stats":
		return parseStats(args)
	case "shadow":
		return parseShadow(args)
	case "cap":
		return parseCap(args)
	case "experiment":
		return parseExperiment(args)
	}
	problem := "unknown command"
	if q := quote(name); q != "" {
		problem += " " + q
	}
	if s := suggest(name); s != "" {
		problem += "; did you mean `" + s + "`?"
	}
	return Command{}, usageErr(0, problem)
}

func usageErr(k Kind, problem string) *UsageError {
	return &UsageError{Kind: k, Problem: problem, Usage: k.Usage()}
}

func noArgs(k Kind, args []string) (Command, error) {
	if len(args) > 0 {
		return Command{}, usageErr(k, fmt.Sprintf("`/nudge %s` takes nothing after it", k))
	}
	return Command{Kind: k}, nil
}

func parseSnooze(args []string) (Command, error) {
	if len(args) == 1 && args[0] == "off" {
		return Command{Kind: KindUnsnooze}, nil
	}
	s := strings.Join(args, " ")
	d, err := parseDuration(s)
	switch {
	case errors.Is(err, errNoDuration):
		return Command{}, usageErr(KindSnooze, "snooze needs a duration, like `2h` or `90 min`, or `off`")
	case errors.Is(err, errTooLong) || s == "forever" || s == "indefinitely":
		return Command{}, usageErr(KindSnooze, "a snooze lasts at most 30 days")
	case err != nil:
		return Command{}, usageErr(KindSnooze, durationProblem("snooze", s, err))
	case d == 0:
		return Command{}, usageErr(KindSnooze, "a snooze must be longer than 0; `/nudge snooze off` ends one")
	case d > MaxSnooze:
		return Command{}, usageErr(KindSnooze, "a snooze lasts at most 30 days")
	}
	return Command{Kind: KindSnooze, Duration: d}, nil
}

func parseCooldown(args []string) (Command, error) {
	c := Command{Kind: KindCooldown}
	if len(args) > 0 && args[0] == "default" {
		c.Workspace = true
		args = args[1:]
	}
	s := strings.Join(args, " ")
	d, err := parseDuration(s)
	switch {
	case errors.Is(err, errNoDuration):
		return Command{}, usageErr(KindCooldown, "cooldown needs a duration, like `10m`, `1h` or `0`")
	case errors.Is(err, errTooLong):
		return Command{}, usageErr(KindCooldown, "a cooldown is at most 24h")
	case err != nil:
		return Command{}, usageErr(KindCooldown, durationProblem("cooldown", s, err))
	case d > MaxCooldown:
		return Command{}, usageErr(KindCooldown, "a cooldown is at most 24h")
	}
	c.Duration = d
	return c, nil
}

// durationProblem words a parseDuration error for the subcommand named.
func durationProblem(name, s string, err error) string {
	switch {
	case errors.Is(err, errNegative):
		return name + " can't be negative"
	case errors.Is(err, errNoUnit):
		return name + " needs a unit, like `10m`, `2 hours` or `1d`"
	}
	p := name + " needs a duration, like `10m`, `2 hours` or `1d`"
	if q := quote(s); q != "" {
		p += "; " + q + " isn't one"
	}
	return p
}

func parseThreshold(args []string) (Command, error) {
	c := Command{Kind: KindThreshold}
	if len(args) > 0 && args[0] == "default" {
		c.Workspace = true
		args = args[1:]
	}
	const want = "threshold must be between 0 and 1, like `0.7` or `70%`"
	switch {
	case len(args) == 0:
		return Command{}, usageErr(KindThreshold, "threshold needs a value, like `0.7` or `70%`")
	case len(args) == 2 && args[1] == "%":
		args = []string{args[0] + "%"}
	case len(args) > 1:
		return Command{}, usageErr(KindThreshold, "threshold takes one value, like `0.7` or `70%`")
	}
	num, pct := strings.CutSuffix(args[0], "%")
	if !strings.Contains(num, ".") && strings.Count(num, ",") == 1 {
		num = strings.Replace(num, ",", ".", 1) // "0,7"
	}
	if !isNumber(num) {
		return Command{}, usageErr(KindThreshold, want)
	}
	if pct {
		num = percentToFraction(num)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f <= 0 || f > 1 {
		p := want
		switch {
		case pct || !(f > 1 && f <= 100):
		case len(num) == 1: // "7": 0.7 or 7%, both plausible
			p += "; did you mean `0." + num + "` or `" + num + "%`?"
		default:
			p += "; did you mean `" + num + "%`?"
		}
		return Command{}, usageErr(KindThreshold, p)
	}
	c.Threshold = f
	return c, nil
}

// percentToFraction moves the point of a plain decimal two places left, in
// the string, so "70" becomes exactly what "0.70" parses to.
func percentToFraction(num string) string {
	whole, frac, _ := strings.Cut(num, ".")
	digits := whole + frac
	point := len(whole) - 2
	if point <= 0 {
		return "0." + strings.Repeat("0", -point) + digits
	}
	return digits[:point] + "." + digits[point:]
}

func parseRule(args []string) (Command, error) {
	const need = "rule needs a family and `on` or `off`, like `/nudge rule spar off`"
	if len(args) < 2 {
		return Command{}, usageErr(KindRule, need)
	}
	// "rule spar off", or "rule off spar"; "push to z" may come as words.
	name, word := args[:len(args)-1], args[len(args)-1]
	on, ok := onOff(word)
	if !ok {
		word, name = args[0], args[1:]
		if on, ok = onOff(word); !ok {
			return Command{}, usageErr(KindRule, need)
		}
	}
	family := strings.ReplaceAll(strings.Join(name, "_"), "-", "_")
	for _, f := range families {
		if f == family {
			return Command{Kind: KindRule, Family: f, On: on}, nil
		}
	}
	p := "unknown family"
	if q := quote(strings.Join(name, " ")); q != "" {
		p += " " + q
	}
	return Command{}, usageErr(KindRule, p+"; families: "+strings.Join(families, ", "))
}

func parseStats(args []string) (Command, error) {
	if len(args) == 0 {
		return Command{Kind: KindStats, N: DefaultDays}, nil
	}
	s := strings.Join(args, "")
	for _, suffix := range []string{"days", "day", "d"} {
		if t, ok := strings.CutSuffix(s, suffix); ok {
			s = t
			break
		}
	}
	n, ok := wholeNumber(s)
	if !ok || n < 1 || n > MaxStatsDays {
		return Command{}, usageErr(KindStats, fmt.Sprintf("stats takes a number of days from 1 to %d, like `/nudge stats 30`", MaxStatsDays))
	}
	return Command{Kind: KindStats, N: n}, nil
}

func parseShadow(args []string) (Command, error) {
	if len(args) == 1 {
		if on, ok := onOff(args[0]); ok {
			return Command{Kind: KindShadow, On: on}, nil
		}
	}
	return Command{}, usageErr(KindShadow, "shadow needs `on` or `off`")
}

func parseCap(args []string) (Command, error) {
	if len(args) == 1 && args[0] == "off" {
		return Command{Kind: KindCap, Off: true}, nil
	}
	n, ok := wholeNumber(strings.Join(args, ""))
	if len(args) != 1 || !ok || n < 1 || n > MaxCap {
		return Command{}, usageErr(KindCap, fmt.Sprintf("cap must be a whole number of nudges from 1 to %d, or `off`", MaxCap))
	}
	return Command{Kind: KindCap, N: n}, nil
}

func parseExperiment(args []string) (Command, error) {
	if len(args) == 1 && args[0] == "off" {
		return Command{Kind: KindExperiment, Off: true}, nil
	}
	if len(args) == 2 && args[1] == "%" {
		args = []string{args[0] + "%"}
	}
	var n int
	ok := len(args) == 1
	if ok {
		s, _ := strings.CutSuffix(args[0], "%")
		n, ok = wholeNumber(s)
	}
	if !ok || n < 1 || n > MaxExperiment {
		return Command{}, usageErr(KindExperiment, fmt.Sprintf("experiment must be a whole percentage from 1 to %d, or `off`", MaxExperiment))
	}
	return Command{Kind: KindExperiment, N: n}, nil
}

// wholeNumber reads s as ASCII digits only (no sign), up to a sane length.
func wholeNumber(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func onOff(s string) (on, ok bool) {
	switch s {
	case "on", "enable", "enabled":
		return true, true
	case "off", "disable", "disabled":
		return false, true
	}
	return false, false
}

// isBlank is a space, including Slack's non-breaking ones, or an invisible
// character.
func isBlank(r rune) bool { return unicode.IsSpace(r) || isInvisible(r) }

// isInvisible reports zero-width characters that editors and Slack clients
// slip into text.
func isInvisible(r rune) bool {
	switch r {
	case '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD':
		return true
	}
	return false
}

// keyword maps a rune of a subcommand or its arguments: invisible
// characters go, quotes of any kind become spaces, and every Unicode space
// becomes a plain one.
func keyword(r rune) rune {
	switch {
	case isInvisible(r):
		return -1
	case unicode.IsSpace(r):
		return ' '
	}
	switch r {
	case '"', '\'', '`', '“', '”', '„', '‟', '‘', '’', '‚', '‛', '«', '»', '‹', '›', '″', '′':
		return ' '
	}
	return r
}

// quote returns a short, harmless echo of what the user typed, for a
// Problem: at most 24 runes, no control characters or backticks, Slack's
// &, < and > escaped, in a code span. It returns "" when nothing is left.
func quote(s string) string {
	const max = 24
	var b strings.Builder
	n := 0
	for _, r := range s {
		if unicode.IsControl(r) || r == '`' || r == utf8.RuneError || isInvisible(r) ||
			(unicode.IsSpace(r) && r != ' ') {
			continue
		}
		if n == max {
			b.WriteString("…")
			break
		}
		n++
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteRune(r)
		}
	}
	t := strings.TrimSpace(b.String())
	if t == "" || t == "…" {
		return ""
	}
	return "`" + t + "`"
}

// subcommands are the names suggest picks from.
var subcommands = []string{"help", "status", "test", "snooze", "threshold", "cooldown", "on", "off", "rule", "stats", "shadow", "cap", "experiment"}

// suggest returns the subcommand within two edits of name, for typos like
// "treshold"; "" when none is close or name is too short to guess at.
func suggest(name string) string {
	n := utf8.RuneCountInString(name)
	if n < 3 || n > 16 {
		return ""
	}
	best, bestD := "", 3
	for _, s := range subcommands {
		if d := editDistance(name, s); d < bestD && d < n/2+1 {
			best, bestD = s, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
