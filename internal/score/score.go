// Package score decides how strongly an agent's message reads as
// "winning the argument" with a customer, explains why, and picks the
// reminder that fits.
//
// The package is pure: no I/O, no clock, no logger. Everything it needs
// arrives in a Message and a Rules value, so the same input always yields
// the same Result.
//
// The rules are data: rules.txt, embedded in the binary, is a
// line-oriented rulebook of word classes ("@you = you, your, ...") and
// token patterns with optional slots, alternatives and bounded gaps,
// documented at the top of that file. LoadRules applies a file in the same
// format (the app reads NUDGE_RULES_FILE) on top of it: it adds rules and
// switches built-in ones off by id.
//
// The rules are blended with a learned model (model.go): a logistic
// regression over the message's words and word pairs, trained on labeled
// corpora by Train and embedded as model.txt. It catches intent no rule
// was written for and quiets stock phrases used helpfully; Rules.WithModel
// swaps it (nil: the rules alone).
package score

import "time"

// Family is one way an agent argues instead of helping. Every rule belongs
// to exactly one family.
type Family string

// The families, as used in the corpus and the rulebook.
const (
	Contradict Family = "contradict"
	Repeat     Family = "repeat"
	Blame      Family = "blame"
	Defend     Family = "defend"
	Condescend Family = "condescend"
	Stonewall  Family = "stonewall"
	PushToZ    Family = "push_to_z"
	Spar       Family = "spar"
)

// Families lists every family in a stable order.
func Families() []Family {
	return []Family{Contradict, Repeat, Blame, Defend, Condescend, Stonewall, PushToZ, Spar}
}

// ParseFamily returns the family named s, and false when s names none.
func ParseFamily(s string) (Family, bool) {
	for _, f := range Families() {
		if string(f) == s {
			return f, true
		}
	}
	return "", false
}

// Message is one agent message to score.
type Message struct {
	// Text is the message as Slack sent it (mrkdwn).
	Text string
	// Context is the customer's previous message in the thread or channel;
	// it may be empty.
	Context string
	// At is when the message was sent. It picks which reminder of a family
	// is shown, so agents do not see the same line every time.
	At time.Time
	// Off holds the families switched off where the message was sent; their
	// rules neither match nor count.
	Off FamilySet
}

// FamilySet is a set of families.
type FamilySet uint16

// Has reports whether f is in the set.
func (s FamilySet) Has(f Family) bool { return s&familyBit(f) != 0 }

// With returns the set with f added.
func (s FamilySet) With(f Family) FamilySet { return s | familyBit(f) }

func familyBit(f Family) FamilySet {
	for i, g := range Families() {
		if g == f {
			return 1 << i
		}
	}
	return 0
}

// Hit is one rule matching one span of a message.
type Hit struct {
	RuleID string
	Family Family
	Weight float64
	// Start and End are byte offsets into the original Message.Text, so the
	// span can be quoted back to the agent: Text[Start:End].
	Start, End int
}

// Result is what Evaluate says about a message.
type Result struct {
	// Score is in [0, 1]; higher reads more like arguing.
	Score float64
	// Hits are the rules that matched, in order of their spans.
	Hits []Hit
	// Family is the dominant family, or "" when nothing matched.
	Family Family
	// Reminder is one of the dominant family's reminders, chosen by
	// Message.At; Suggestion is a short rephrasing the agent could use.
	// Both are empty when nothing matched.
	Reminder   string
	Suggestion string
}

// Nudge reports whether the result passes threshold.
func (r Result) Nudge(threshold float64) bool {
	return r.Family != "" && r.Score >= threshold
}
