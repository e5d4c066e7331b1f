package sqlite

import (
	"context"
	"fmt"
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
	where, args := nudgeFilter("n.", q)
	t := store.NewTally()

	rows, err := s.db.QueryContext(ctx,
		`SELECT n.family, n.rule_id, n.outcome, count(*), count(n.escalated), coalesce(sum(n.escalated), 0)
		FROM nudges n WHERE `+where+` GROUP BY n.family, n.rule_id, n.outcome`, args...)
	if err != nil {
		return store.Stats{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			fam, rid, outcome           string
			count, replied, escalations int
		)
		if err := rows.Scan(&fam, &rid, &outcome, &count, &replied, &escalations); err != nil {
			return store.Stats{}, err
		}
		t.AddNudges(fam, rid, store.Outcome(outcome), count, replied, escalations)
	}
	if err := rows.Err(); err != nil {
		return store.Stats{}, err
	}
	rows.Close()

	rows, err = s.db.QueryContext(ctx,
		`SELECT n.family, n.rule_id, f.helpful, count(*)
		FROM feedback f JOIN nudges n ON n.id = f.nudge_id
		WHERE `+where+` GROUP BY n.family, n.rule_id, f.helpful`, args...)
	if err != nil {
		return store.Stats{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			fam, rid string
			helpful  bool
			count    int
		)
		if err := rows.Scan(&fam, &rid, &helpful, &count); err != nil {
			return store.Stats{}, err
		}
		t.AddFeedback(fam, rid, helpful, count)
	}
	if err := rows.Err(); err != nil {
		return store.Stats{}, err
	}

	var agents, scored int
	err = s.db.QueryRowContext(ctx,
		`SELECT count(DISTINCT n.user_id) FROM nudges n WHERE `+where+` AND n.outcome = 'sent'`,
		args...).Scan(&agents)
	if err != nil {
		return store.Stats{}, err
	}

	from, to := dayRange(q.From, q.To)
	sq := `SELECT coalesce(sum(n), 0) FROM scored WHERE team = ? AND day >= ? AND day < ?`
	sargs := []any{q.Team, from, to}
	if q.Channel != "" {
		sq += ` AND channel = ?`
		sargs = append(sargs, q.Channel)
	}
	if err := s.db.QueryRowContext(ctx, sq, sargs...).Scan(&scored); err != nil {
		return store.Stats{}, err
	}
	return t.Stats(scored, agents), nil
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
