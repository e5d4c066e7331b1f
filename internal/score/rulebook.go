package score

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// This file reads the rulebook format documented at the top of rules.txt.

// escalation is the pseudo-family of the rules Escalated runs on customer
// messages. It is not a Family: Evaluate never uses those rules.
const escalation = "escalation"

// ruleSpec is one rule as written in a rulebook file.
type ruleSpec struct {
	id      string
	family  string // a Family, or escalation
	weight  float64
	match   []patSpec
	unless  []patSpec
	context []patSpec
	signal  string
	src     srcPos
}

// patSpec is one pattern line.
type patSpec struct {
	text string
	src  srcPos
}

// srcPos says where something was written, for error messages.
type srcPos struct {
	file string
	line int
}

func (p srcPos) String() string { return fmt.Sprintf("%s:%d", p.file, p.line) }

// classSpec is one word class definition ("@you = you, your").
type classSpec struct {
	name    string
	members []string
	src     srcPos
}

// book is a parsed, not yet compiled, rulebook: the built-in one with any
// user files applied in order.
type book struct {
	classes    []classSpec
	classIdx   map[string]int
	rules      []*ruleSpec
	ruleIdx    map[string]int
	famUnless  map[string][]patSpec
	reminders  map[Family][]string
	suggestion map[Family]string
}

func newBook() *book {
	return &book{
		classIdx:   map[string]int{},
		ruleIdx:    map[string]int{},
		famUnless:  map[string][]patSpec{},
		reminders:  map[Family][]string{},
		suggestion: map[Family]string{},
	}
}

// builtinClasses are the classes the tokenizer fills in, not the rulebook.
var builtinClasses = []string{"@CAPS", "@NUM", "@Q", "@QQ", "@BANG", "@BANGS", "@EMOJI", "@ANY", "@END"}

const (
	clsCaps = iota
	clsNum
	clsQ
	clsQQ
	clsBang
	clsBangs
	clsEmoji
	clsAny
	clsEnd // a sentence's end: '.', '?', '!', ';' or the end of the line
	clsFirstUser
)

// parseError is a rulebook error: the file, the line, the rule (when there
// is one) and the problem.
type parseError struct {
	pos  srcPos
	rule string
	msg  string
}

func (e *parseError) Error() string {
	if e.rule != "" {
		return fmt.Sprintf("%s: rule %s: %s", e.pos, e.rule, e.msg)
	}
	return fmt.Sprintf("%s: %s", e.pos, e.msg)
}

// parse reads one rulebook file into b. user is true for a user's rules
// file, which may switch built-in rules off.
func (b *book) parse(r io.Reader, name string, user bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	var cur *ruleSpec
	ln := 0
	for sc.Scan() {
		ln++
		pos := srcPos{name, ln}
		line := sc.Text()
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		word, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		ruleName := ""
		if cur != nil {
			ruleName = cur.id
		}
		fail := func(rule, format string, args ...any) error {
			return &parseError{pos: pos, rule: rule, msg: fmt.Sprintf(format, args...)}
		}
		switch {
		case strings.HasPrefix(word, "@"):
			cur = nil
			if err := b.parseClass(line, pos); err != nil {
				return err
			}
		case word == "rule":
			f := strings.Fields(rest)
			if len(f) != 3 {
				return fail("", "want \"rule ID FAMILY WEIGHT\", got %q", line)
			}
			id, fam, ws := f[0], f[1], f[2]
			if !validID(id) {
				return fail(id, "bad rule id (use letters, digits, '.', '-', '_')")
			}
			if _, ok := b.ruleIdx[id]; ok {
				return fail(id, "duplicate rule id (first defined at %s)", b.rules[b.ruleIdx[id]].src)
			}
			if _, ok := ParseFamily(fam); !ok && fam != escalation {
				return fail(id, "unknown family %q (want one of %s, or %s)", fam, familyList(), escalation)
			}
			w, err := strconv.ParseFloat(ws, 64)
			if err != nil || !(w > 0 && w <= 1) {
				return fail(id, "bad weight %q: want a number in (0,1]", ws)
			}
			cur = &ruleSpec{id: id, family: fam, weight: w, src: pos}
			b.ruleIdx[id] = len(b.rules)
			b.rules = append(b.rules, cur)
		case word == "match" || word == "unless" || word == "context" || word == "signal":
			if cur == nil {
				return fail("", "%q outside a rule", word)
			}
			if rest == "" {
				return fail(cur.id, "empty %s", word)
			}
			p := patSpec{text: rest, src: pos}
			switch word {
			case "match":
				cur.match = append(cur.match, p)
			case "unless":
				cur.unless = append(cur.unless, p)
			case "context":
				cur.context = append(cur.context, p)
			case "signal":
				if !validSignal(rest) {
					return fail(cur.id, "unknown signal %q (want one of %s)", rest, strings.Join(signalNames, ", "))
				}
				cur.signal = rest
			}
		case word == "unless-family":
			cur = nil
			fam, pat, _ := strings.Cut(rest, " ")
			if _, ok := ParseFamily(fam); !ok {
				return fail("", "unknown family %q", fam)
			}
			pat = strings.TrimSpace(pat)
			if pat == "" {
				return fail("", "unless-family %s: missing pattern", fam)
			}
			b.famUnless[fam] = append(b.famUnless[fam], patSpec{text: pat, src: pos})
		case word == "off":
			cur = nil
			if !user {
				return fail("", "\"off\" belongs in a user's rules file")
			}
			i, ok := b.ruleIdx[rest]
			if !ok {
				return fail(rest, "cannot switch off an unknown rule")
			}
			b.rules[i] = nil
			delete(b.ruleIdx, rest)
		case word == "remind" || word == "suggest":
			cur = nil
			fam, text, _ := strings.Cut(rest, " ")
			f, ok := ParseFamily(fam)
			if !ok {
				return fail("", "unknown family %q", fam)
			}
			text = strings.TrimSpace(text)
			if text == "" {
				return fail("", "%s %s: missing text", word, fam)
			}
			if word == "remind" {
				b.reminders[f] = append(b.reminders[f], text)
			} else {
				b.suggestion[f] = text
			}
		default:
			return fail(ruleName, "unknown directive %q", word)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func (b *book) parseClass(line string, pos srcPos) error {
	name, members, ok := strings.Cut(line, "=")
	if !ok {
		return &parseError{pos: pos, msg: fmt.Sprintf("class line wants \"@name = word, word\", got %q", line)}
	}
	name = strings.TrimSpace(name)
	extend := strings.HasSuffix(name, "+")
	name = strings.TrimSpace(strings.TrimSuffix(name, "+"))
	if !validClassName(name) {
		return &parseError{pos: pos, msg: fmt.Sprintf("bad class name %q (want @ and lowercase letters, digits, '_' or '-')", name)}
	}
	var ms []string
	for _, f := range strings.FieldsFunc(members, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if !strings.HasPrefix(f, "@") {
			f = strings.ToLower(f)
		}
		ms = append(ms, f)
	}
	if len(ms) == 0 {
		return &parseError{pos: pos, msg: fmt.Sprintf("class %s has no words", name)}
	}
	i, exists := b.classIdx[name]
	switch {
	case extend && !exists:
		return &parseError{pos: pos, msg: fmt.Sprintf("class %s: += on an unknown class", name)}
	case extend:
		b.classes[i].members = append(b.classes[i].members, ms...)
	case exists:
		return &parseError{pos: pos, msg: fmt.Sprintf("class %s is already defined at %s (use += to add words)", name, b.classes[i].src)}
	default:
		b.classIdx[name] = len(b.classes)
		b.classes = append(b.classes, classSpec{name: name, members: ms, src: pos})
	}
	return nil
}

func validID(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func validClassName(s string) bool {
	if len(s) < 2 || s[0] != '@' {
		return false
	}
	for _, r := range s[1:] {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func familyList() string {
	var s []string
	for _, f := range Families() {
		s = append(s, string(f))
	}
	return strings.Join(s, ", ")
}

// signalNames are the computed signals a rule can use instead of patterns.
var signalNames = []string{"echo", "echo-near"}

func validSignal(s string) bool {
	for _, n := range signalNames {
		if n == s {
			return true
		}
	}
	return false
}
