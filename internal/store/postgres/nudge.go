package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/nudgebot/nudgebot/internal/store"
)

// recordNudge is the statement of RecordNudge and RecordCapped: $12 > 0
// records capped instead of n's outcome when the agent has $12 sent
// nudges at or after $13, other than this message's own record.
const recordNudge = `INSERT INTO nudges (team, channel, user_id, message_ts, thread_ts, rule_id, family, score, outcome, at, escalated)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8,
		CASE WHEN $12::int > 0 AND (SELECT count(*) FROM nudges
			WHERE team = $1 AND user_id = $3 AND outcome = 'sent' AND at >= $13
			AND NOT (channel = $2 AND message_ts = $4 AND message_ts <> '')) >= $12::int
		THEN 'capped' ELSE $9 END,
		$10, $11)
	ON CONFLICT (team, channel, message_ts) WHERE message_ts <> '' DO UPDATE SET
		user_id = excluded.user_id, thread_ts = excluded.thread_ts, rule_id = excluded.rule_id,
		family = excluded.family, score = excluded.score, outcome = excluded.outcome, at = excluded.at
	RETURNING id, outcome`

func recordArgs(n store.Nudge, from time.Time, limit int) []any {
	return []any{n.Team, n.Channel, n.User, n.MessageTS, n.ThreadTS, n.RuleID, n.Family, n.Score,
		string(n.Outcome), n.At, n.Escalated, limit, from}
}

// RecordNudge stores n and returns its ID; a second record of the same
// message updates the first.
func (s *Store) RecordNudge(ctx context.Context, n store.Nudge) (int64, error) {
	id, _, err := s.RecordCapped(ctx, n, time.Time{}, 0)
	return id, err
}

// RecordCapped is RecordNudge with the daily cap: in one transaction
// that holds a lock on the agent (an advisory lock, so replicas taking
// the agent's last slot at once queue for it), it counts the agent's
// sent nudges and records the outcome the count allows.
func (s *Store) RecordCapped(ctx context.Context, n store.Nudge, from time.Time, limit int) (int64, store.Outcome, error) {
	var id int64
	var outcome string
	if limit <= 0 { // nothing to count: one statement
		if err := s.queryRow(ctx, recordNudge, recordArgs(n, from, 0), &id, &outcome); err != nil {
			return 0, "", fmt.Errorf("postgres: record nudge: %w", err)
		}
		return id, store.Outcome(outcome), nil
	}
	err := s.tx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0))`,
			n.Team, n.User); err != nil {
			return err
		}
		return tx.QueryRow(ctx, recordNudge, recordArgs(n, from, limit)...).Scan(&id, &outcome)
	})
	if err != nil {
		return 0, "", fmt.Errorf("postgres: record nudge: %w", err)
	}
	return id, store.Outcome(outcome), nil
}

// SetOutcome changes one record's outcome, or returns store.ErrNotFound.
func (s *Store) SetOutcome(ctx context.Context, id int64, outcome store.Outcome) error {
	n, err := s.exec(ctx, `UPDATE nudges SET outcome = $1 WHERE id = $2`, string(outcome), id)
	if err != nil {
		return fmt.Errorf("postgres: set outcome of %d: %w", id, err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// Nudge returns one record, or store.ErrNotFound.
func (s *Store) Nudge(ctx context.Context, id int64) (store.Nudge, error) {
	n := store.Nudge{ID: id}
	var outcome string
	err := s.queryRow(ctx,
		`SELECT team, channel, user_id, message_ts, thread_ts, rule_id, family, score, outcome, at, escalated
		FROM nudges WHERE id = $1`, []any{id},
		&n.Team, &n.Channel, &n.User, &n.MessageTS, &n.ThreadTS, &n.RuleID, &n.Family, &n.Score,
		&outcome, &n.At, &n.Escalated)
	if errors.Is(err, store.ErrNotFound) {
		return store.Nudge{}, store.ErrNotFound
	} else if err != nil {
		return store.Nudge{}, fmt.Errorf("postgres: nudge %d: %w", id, err)
	}
	n.Outcome = store.Outcome(outcome)
	n.At = utc(n.At)
	return n, nil
}

// ResolveEscalation sets escalated on the unresolved sent or withheld
// records of one channel and thread at or after since, the thread's
// parent message among them.
func (s *Store) ResolveEscalation(ctx context.Context, team, channel, threadTS string, since time.Time, escalated bool) (int, error) {
	n, err := s.exec(ctx,
		`UPDATE nudges SET escalated = $1
		WHERE team = $2 AND channel = $3 AND escalated IS NULL AND at >= $5 AND outcome IN ('sent', 'withheld')
		AND (thread_ts = $4 OR ($4 <> '' AND thread_ts = '' AND message_ts = $4))`,
		escalated, team, channel, threadTS, since)
	if err != nil {
		return 0, fmt.Errorf("postgres: resolve escalation: %w", err)
	}
	return int(n), nil
}

// AddScored adds n to a channel's count of scored messages on at's UTC day.
func (s *Store) AddScored(ctx context.Context, team, channel string, at time.Time, n int) error {
	_, err := s.exec(ctx,
		`INSERT INTO scored (team, channel, day, n) VALUES ($1, $2, $3, $4)
		ON CONFLICT (team, channel, day) DO UPDATE SET n = scored.n + excluded.n`,
		team, channel, day(at), n)
	if err != nil {
		return fmt.Errorf("postgres: add scored: %w", err)
	}
	return nil
}

// RecordFeedback stores a click, replacing the same user's earlier click
// on that nudge. The existence check and the write are one statement.
func (s *Store) RecordFeedback(ctx context.Context, f store.Feedback) error {
	n, err := s.exec(ctx,
		`INSERT INTO feedback (nudge_id, user_id, helpful, at)
		SELECT $1::bigint, $2::text, $3::boolean, $4::timestamptz WHERE EXISTS (SELECT 1 FROM nudges WHERE id = $1)
		ON CONFLICT (nudge_id, user_id) DO UPDATE SET helpful = excluded.helpful, at = excluded.at`,
		f.NudgeID, f.User, f.Helpful, f.At)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23503" { // foreign_key_violation
		return store.ErrNotFound // pruned between the check and the write
	} else if err != nil {
		return fmt.Errorf("postgres: record feedback: %w", err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}
