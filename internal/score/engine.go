package score

// TEMPORARY STUB: replaced by the real engine (issue #3). The exported API
// below is the contract other packages build against.

import (
	"io"
	"strings"
)

// Rules is a compiled rulebook. It is safe for concurrent use.
type Rules struct{}

// DefaultRules returns the built-in, embedded rulebook.
func DefaultRules() *Rules { return &Rules{} }

// LoadRules returns the built-in rulebook with the rules file read from r
// applied on top (name is used in error messages).
func LoadRules(r io.Reader, name string) (*Rules, error) { return &Rules{}, nil }

// Evaluate scores msg against rules.
func Evaluate(msg Message, rules *Rules) Result {
	if i := strings.Index(strings.ToLower(msg.Text), "as i already"); i >= 0 && !msg.Off.Has(Repeat) {
		return Result{Score: 0.8, Family: Repeat, Hits: []Hit{{RuleID: "repeat.already", Family: Repeat, Weight: 0.8, Start: i, End: i + 12}},
			Reminder: "If they didn't get it, explain it another way, patiently.", Suggestion: "Let me put that another way."}
	}
	return Result{}
}

// Escalated reports whether a customer's message shows escalation:
// shouting, "!!!"/"???", asking for a manager, threatening to cancel.
func Escalated(text string, rules *Rules) bool {
	return strings.Contains(text, "!!!") || strings.Contains(strings.ToLower(text), "manager")
}
