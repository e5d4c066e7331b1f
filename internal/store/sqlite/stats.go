package sqlite

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/nudgebot/nudgebot/internal/store"
)

// Stats sums the records of q's range. Nudges and their feedback count by
// the nudge's time; scored counts by every UTC day that overlaps
// [From, To), ignoring q.User (they are kept per channel).
func (s *Store) Stats(ctx context.Context, q store.Since) (store.Stats, error) {
	st, err := s.stats(ctx, q)
	if err != nil {
		return store.Stats{}, fmt.Errorf("sqlite: stats: %w", mapErr(err))
	}
	return st, nil
}

func (s *Store) stats(ctx context.Context, q store.Since) (store.Stats, error) {
	var st store.Stats
	where, args := nudgeFilter("n.", q)

	fams := map[string]*store.FamilyStats{}
	type ruleKey struct{ rule, family string }
	rules := map[ruleKey]*store.RuleStats{}
	family := func(f string) *store.FamilyStats {
		if fams[f] == nil {
			fams[f] = &store.FamilyStats{Family: f}
		}
		return fams[f]
	}
	rule := func(r, f string) *store.RuleStats {
		k := ruleKey{r, f}
		if rules[k] == nil {
			rules[k] = &store.RuleStats{RuleID: r, Family: f}
		}
		return rules[k]
	}

	rows, err := s.db.QueryContext(ctx,
		`SELECT n.family, n.rule_id, n.outcome, count(*), count(n.escalated), coalesce(sum(n.escalated), 0)
		FROM nudges n WHERE `+where+` GROUP BY n.family, n.rule_id, n.outcome`, args...)
	if err != nil {
		return st, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			fam, rid, outcome           string
			count, replied, escalations int
		)
		if err := rows.Scan(&fam, &rid, &outcome, &count, &replied, &escalations); err != nil {
			return st, err
		}
		f, r := family(fam), rule(rid, fam)
		switch store.Outcome(outcome) {
		case store.Sent:
			st.Sent += count
			f.Sent += count
			r.Sent += count
			st.Nudged.Messages += count
			st.Nudged.Replied += replied
			st.Nudged.Escalated += escalations
		case store.Shadowed:
			st.Shadowed += count
			f.Shadowed += count
		case store.Withheld:
			st.Withheld += count
			f.Withheld += count
			st.Control.Messages += count
			st.Control.Replied += replied
			st.Control.Escalated += escalations
		case store.Capped:
			st.Capped += count
		case store.Failed:
			st.Failed += count
		}
	}
	if err := rows.Err(); err != nil {
		return st, err
	}
	rows.Close()

	rows, err = s.db.QueryContext(ctx,
		`SELECT n.family, n.rule_id, f.helpful, count(*)
		FROM feedback f JOIN nudges n ON n.id = f.nudge_id
		WHERE `+where+` GROUP BY n.family, n.rule_id, f.helpful`, args...)
	if err != nil {
		return st, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			fam, rid string
			helpful  bool
			count    int
		)
		if err := rows.Scan(&fam, &rid, &helpful, &count); err != nil {
			return st, err
		}
		f, r := family(fam), rule(rid, fam)
		if helpful {
			st.Helpful += count
			f.Helpful += count
			r.Helpful += count
		} else {
			st.NotHelpful += count
			f.NotHelpful += count
			r.NotHelpful += count
		}
	}
	if err := rows.Err(); err != nil {
		return st, err
	}

	err = s.db.QueryRowContext(ctx,
		`SELECT count(DISTINCT n.user_id) FROM nudges n WHERE `+where+` AND n.outcome = 'sent'`,
		args...).Scan(&st.Agents)
	if err != nil {
		return st, err
	}

	from, to := dayRange(q.From, q.To)
	sq := `SELECT coalesce(sum(n), 0) FROM scored WHERE team = ? AND day >= ? AND day < ?`
	sargs := []any{q.Team, from, to}
	if q.Channel != "" {
		sq += ` AND channel = ?`
		sargs = append(sargs, q.Channel)
	}
	if err := s.db.QueryRowContext(ctx, sq, sargs...).Scan(&st.Scored); err != nil {
		return st, err
	}

	for _, f := range fams {
		st.Families = append(st.Families, *f)
	}
	slices.SortFunc(st.Families, func(a, b store.FamilyStats) int { return cmp.Compare(a.Family, b.Family) })
	for _, r := range rules {
		st.Rules = append(st.Rules, *r)
	}
	slices.SortFunc(st.Rules, func(a, b store.RuleStats) int {
		return cmp.Or(
			cmp.Compare(b.NotHelpful, a.NotHelpful),
			cmp.Compare(a.RuleID, b.RuleID),
			cmp.Compare(a.Family, b.Family))
	})
	return st, nil
}

// nudgeFilter is the WHERE clause selecting q's nudges, columns prefixed
// with p.
func nudgeFilter(p string, q store.Since) (string, []any) {
	where := p + "team = ? AND " + p + "at >= ? AND " + p + "at < ?"
	args := []any{q.Team, micros(q.From), micros(q.To)}
	if q.Channel != "" {
		where += " AND " + p + "channel = ?"
		args = append(args, q.Channel)
	}
	if q.User != "" {
		where += " AND " + p + "user_id = ?"
		args = append(args, q.User)
	}
	return where, args
}

// dayRange returns the day numbers [from, to) of the days that overlap
// [From, To).
func dayRange(from, to time.Time) (int64, int64) {
	if !to.After(from) {
		return 0, 0
	}
	return day(from), day(to.Add(-time.Nanosecond)) + 1
}
