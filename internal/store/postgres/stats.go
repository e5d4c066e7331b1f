package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nudgebot/nudgebot/internal/store"
)

// Stats sums the records of q's range from one snapshot. Nudges and
// their feedback count by the nudge's time; scored counts by every UTC
// day that overlaps [From, To), ignoring q.User (they are kept per
// channel).
func (s *Store) Stats(ctx context.Context, q store.Since) (store.Stats, error) {
	var st store.Stats
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	err := s.tx(ctx, opts, func(tx pgx.Tx) error {
		var err error
		st, err = stats(ctx, tx, q)
		return err
	})
	if err != nil {
		return store.Stats{}, fmt.Errorf("postgres: stats: %w", err)
	}
	return st, nil
}

func stats(ctx context.Context, tx pgx.Tx, q store.Since) (store.Stats, error) {
	where, args := nudgeFilter("n.", q)
	t := store.NewTally()

	rows, err := tx.Query(ctx,
		`SELECT n.family, n.rule_id, n.outcome, count(*), count(n.escalated), count(*) FILTER (WHERE n.escalated)
		FROM nudges n WHERE `+where+` GROUP BY n.family, n.rule_id, n.outcome`, args...)
	if err != nil {
		return store.Stats{}, err
	}
	var (
		fam, rid, outcome           string
		count, replied, escalations int
	)
	_, err = pgx.ForEachRow(rows, []any{&fam, &rid, &outcome, &count, &replied, &escalations}, func() error {
		t.AddNudges(fam, rid, store.Outcome(outcome), count, replied, escalations)
		return nil
	})
	if err != nil {
		return store.Stats{}, err
	}

	rows, err = tx.Query(ctx,
		`SELECT n.family, n.rule_id, f.helpful, count(*)
		FROM feedback f JOIN nudges n ON n.id = f.nudge_id
		WHERE `+where+` GROUP BY n.family, n.rule_id, f.helpful`, args...)
	if err != nil {
		return store.Stats{}, err
	}
	var helpful bool
	_, err = pgx.ForEachRow(rows, []any{&fam, &rid, &helpful, &count}, func() error {
		t.AddFeedback(fam, rid, helpful, count)
		return nil
	})
	if err != nil {
		return store.Stats{}, err
	}

	var agents, scored int
	err = tx.QueryRow(ctx,
		`SELECT count(DISTINCT n.user_id) FROM nudges n WHERE `+where+` AND n.outcome = 'sent'`,
		args...).Scan(&agents)
	if err != nil {
		return store.Stats{}, err
	}

	from, to := dayRange(q.From, q.To)
	sq := `SELECT coalesce(sum(n), 0) FROM scored WHERE team = $1 AND day >= $2 AND day < $3`
	sargs := []any{q.Team, from, to}
	if q.Channel != "" {
		sq += ` AND channel = $4`
		sargs = append(sargs, q.Channel)
	}
	if err := tx.QueryRow(ctx, sq, sargs...).Scan(&scored); err != nil {
		return store.Stats{}, err
	}
	return t.Stats(scored, agents), nil
}

// nudgeFilter is the WHERE clause selecting q's nudges, columns prefixed
// with p.
func nudgeFilter(p string, q store.Since) (string, []any) {
	where := p + "team = $1 AND " + p + "at >= $2 AND " + p + "at < $3"
	args := []any{q.Team, q.From, q.To}
	if q.Channel != "" {
		args = append(args, q.Channel)
		where += " AND " + p + "channel = $" + strconv.Itoa(len(args))
	}
	if q.User != "" {
		args = append(args, q.User)
		where += " AND " + p + "user_id = $" + strconv.Itoa(len(args))
	}
	return where, args
}

// dayRange returns the dates [from, to) of the days that overlap
// [From, To), as midnights UTC.
func dayRange(from, to time.Time) (time.Time, time.Time) {
	if !to.After(from) {
		return day(from), day(from)
	}
	return day(from), day(to.Add(-time.Nanosecond)).Add(24 * time.Hour)
}
