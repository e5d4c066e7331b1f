package store

import (
	"cmp"
	"slices"
)

// Tally adds up the grouped rows a driver reads for Stats, so that both
// drivers count, group and sort them the same way.
type Tally struct {
	st    Stats
	fams  map[string]*FamilyStats
	rules map[ruleKey]*RuleStats
}

type ruleKey struct{ rule, family string }

// NewTally returns an empty Tally.
func NewTally() *Tally {
	return &Tally{fams: map[string]*FamilyStats{}, rules: map[ruleKey]*RuleStats{}}
}

func (t *Tally) family(f string) *FamilyStats {
	if t.fams[f] == nil {
		t.fams[f] = &FamilyStats{Family: f}
	}
	return t.fams[f]
}

func (t *Tally) rule(r, f string) *RuleStats {
	k := ruleKey{r, f}
	if t.rules[k] == nil {
		t.rules[k] = &RuleStats{RuleID: r, Family: f}
	}
	return t.rules[k]
}

// AddNudges counts n records of one family, rule and outcome, of which
// replied had the customer's reply resolved and escalated escalated.
func (t *Tally) AddNudges(family, rule string, outcome Outcome, n, replied, escalated int) {
	f, r := t.family(family), t.rule(rule, family)
	switch outcome {
	case Sent:
		t.st.Sent += n
		f.Sent += n
		r.Sent += n
		t.st.Nudged.Messages += n
		t.st.Nudged.Replied += replied
		t.st.Nudged.Escalated += escalated
	case Shadowed:
		t.st.Shadowed += n
		f.Shadowed += n
	case Withheld:
		t.st.Withheld += n
		f.Withheld += n
		t.st.Control.Messages += n
		t.st.Control.Replied += replied
		t.st.Control.Escalated += escalated
	case Capped:
		t.st.Capped += n
	case Failed:
		t.st.Failed += n
	}
}

// AddFeedback counts n clicks on the nudges of one family and rule.
func (t *Tally) AddFeedback(family, rule string, helpful bool, n int) {
	f, r := t.family(family), t.rule(rule, family)
	if helpful {
		t.st.Helpful += n
		f.Helpful += n
		r.Helpful += n
	} else {
		t.st.NotHelpful += n
		f.NotHelpful += n
		r.NotHelpful += n
	}
}

// Stats returns the sums with scored and agents set, Families sorted by
// family and Rules most NotHelpful first, as Store.Stats promises.
func (t *Tally) Stats(scored, agents int) Stats {
	st := t.st
	st.Scored, st.Agents = scored, agents
	st.Families, st.Rules = nil, nil
	for _, f := range t.fams {
		st.Families = append(st.Families, *f)
	}
	slices.SortFunc(st.Families, func(a, b FamilyStats) int { return cmp.Compare(a.Family, b.Family) })
	for _, r := range t.rules {
		st.Rules = append(st.Rules, *r)
	}
	slices.SortFunc(st.Rules, func(a, b RuleStats) int {
		return cmp.Or(
			cmp.Compare(b.NotHelpful, a.NotHelpful),
			cmp.Compare(a.RuleID, b.RuleID),
			cmp.Compare(a.Family, b.Family))
	})
	return st
}
