package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/nudgebot/nudgebot/internal/store"
)

// recordNudge is the statement of RecordNudge and RecordCapped: a limit
// (?12) above 0 records capped instead of n's outcome when the agent has
// that many sent nudges at or after ?13, other than this message's own
// record.
const recordNudge = `INSERT INTO nudges (team, channel, user_id, message_ts, thread_ts, rule_id, family, score, outcome, at, escalated)
	VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,
		CASE WHEN ?12 > 0 AND (SELECT count(*) FROM nudges
			WHERE team = ?1 AND user_id = ?3 AND outcome = 'sent' AND at >= ?13
			AND NOT (channel = ?2 AND message_ts = ?4 AND message_ts <> '')) >= ?12
		THEN 'capped' ELSE ?9 END,
		?10, ?11)
	ON CONFLICT (team, channel, message_ts) WHERE message_ts <> '' DO UPDATE SET
		user_id = excluded.user_id, thread_ts = excluded.thread_ts, rule_id = excluded.rule_id,
		family = excluded.family, score = excluded.score, outcome = excluded.outcome, at = excluded.at
	RETURNING id, outcome`

func recordArgs(n store.Nudge, from time.Time, limit int) []any {
	return []any{n.Team, n.Channel, n.User, n.MessageTS, n.ThreadTS, n.RuleID, n.Family, n.Score,
		string(n.Outcome), micros(n.At), nullBool(n.Escalated), limit, micros(from)}
}

// RecordNudge stores n and returns its ID; a second record of the same
// message updates the first.
func (s *Store) RecordNudge(ctx context.Context, n store.Nudge) (int64, error) {
	id, _, err := s.RecordCapped(ctx, n, time.Time{}, 0)
	return id, err
}

// RecordCapped is RecordNudge with the daily cap, counted and recorded
// in one transaction that takes the write lock at its start
// (_txlock=immediate), so of callers taking the agent's last slot at
// once, one gets it.
func (s *Store) RecordCapped(ctx context.Context, n store.Nudge, from time.Time, limit int) (int64, store.Outcome, error) {
	var id int64
	var outcome string
	var err error
	if limit <= 0 { // nothing to count: one statement
		err = mapErr(s.db.QueryRowContext(ctx, recordNudge, recordArgs(n, from, 0)...).Scan(&id, &outcome))
	} else {
		err = s.tx(ctx, func(tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, recordNudge, recordArgs(n, from, limit)...).Scan(&id, &outcome)
		})
	}
	if err != nil {
		return 0, "", fmt.Errorf("sqlite: record nudge: %w", err)
	}
	return id, store.Outcome(outcome), nil
}

// SetOutcome changes one record's outcome, or returns store.ErrNotFound.
func (s *Store) SetOutcome(ctx context.Context, id int64, outcome store.Outcome) error {
	res, err := s.db.ExecContext(ctx, `UPDATE nudges SET outcome = ? WHERE id = ?`, string(outcome), id)
	if err != nil {
		return fmt.Errorf("sqlite: set outcome of %d: %w", id, mapErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: set outcome of %d: %w", id, mapErr(err))
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// Nudge returns one record, or store.ErrNotFound.
func (s *Store) Nudge(ctx context.Context, id int64) (store.Nudge, error) {
	n := store.Nudge{ID: id}
	var (
		outcome string
		at      int64
		esc     sql.NullBool
	)
	err := s.db.QueryRowContext(ctx,
		`SELECT team, channel, user_id, message_ts, thread_ts, rule_id, family, score, outcome, at, escalated
		FROM nudges WHERE id = ?`, id).Scan(
		&n.Team, &n.Channel, &n.User, &n.MessageTS, &n.ThreadTS, &n.RuleID, &n.Family, &n.Score,
		&outcome, &at, &esc)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Nudge{}, store.ErrNotFound
	} else if err != nil {
		return store.Nudge{}, fmt.Errorf("sqlite: nudge %d: %w", id, mapErr(err))
	}
	n.Outcome = store.Outcome(outcome)
	n.At = fromMicros(at)
	if esc.Valid {
		n.Escalated = &esc.Bool
	}
	return n, nil
}

// ResolveEscalation sets escalated on the unresolved sent or withheld
// records of one channel and thread at or after since, the thread's
// parent message among them.
func (s *Store) ResolveEscalation(ctx context.Context, team, channel, threadTS string, since time.Time, escalated bool) (int, error) {
	res, err := s.db.ExecContext(ctx,
		`UPDATE nudges SET escalated = ?1
		WHERE team = ?2 AND channel = ?3 AND escalated IS NULL AND at >= ?5 AND outcome IN ('sent', 'withheld')
		AND (thread_ts = ?4 OR (?4 <> '' AND thread_ts = '' AND message_ts = ?4))`,
		escalated, team, channel, threadTS, micros(since))
	if err != nil {
		return 0, fmt.Errorf("sqlite: resolve escalation: %w", mapErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite: resolve escalation: %w", mapErr(err))
	}
	return int(n), nil
}

// AddScored adds n to a channel's count of scored messages on at's UTC day.
func (s *Store) AddScored(ctx context.Context, team, channel string, at time.Time, n int) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO scored (team, channel, day, n) VALUES (?, ?, ?, ?)
		ON CONFLICT (team, channel, day) DO UPDATE SET n = n + excluded.n`,
		team, channel, day(at), n)
	if err != nil {
		return fmt.Errorf("sqlite: add scored: %w", mapErr(err))
	}
	return nil
}

// RecordFeedback stores a click, replacing the same user's earlier click
// on that nudge. The existence check and the write are one statement.
func (s *Store) RecordFeedback(ctx context.Context, f store.Feedback) error {
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO feedback (nudge_id, user_id, helpful, at)
		SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM nudges WHERE id = ?)
		ON CONFLICT (nudge_id, user_id) DO UPDATE SET helpful = excluded.helpful, at = excluded.at`,
		f.NudgeID, f.User, f.Helpful, micros(f.At), f.NudgeID)
	if err != nil {
		var se interface{ Code() int }
		if errors.As(err, &se) && se.Code() == sqliteConstraintForeignKey {
			return store.ErrNotFound // pruned between the check and the write
		}
		return fmt.Errorf("sqlite: record feedback: %w", mapErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: record feedback: %w", mapErr(err))
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// sqliteConstraintForeignKey is SQLITE_CONSTRAINT_FOREIGNKEY.
const sqliteConstraintForeignKey = 787

func nullBool(b *bool) sql.NullBool {
	if b == nil {
		return sql.NullBool{}
	}
	return sql.NullBool{Bool: *b, Valid: true}
}
