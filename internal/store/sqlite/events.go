package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// MarkEvent claims eventID until expires and reports whether it is new.
// One statement decides: the insert, or the replacement of an expired
// row, changes a row for exactly one of several racing callers. A loser
// then reads the live mark's expiry.
func (s *Store) MarkEvent(ctx context.Context, eventID string, now, expires time.Time) (bool, time.Time, error) {
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO seen_events (event_id, expires) VALUES (?, ?)
		ON CONFLICT (event_id) DO UPDATE SET expires = excluded.expires
		WHERE seen_events.expires <= ?`,
		eventID, micros(expires), micros(now))
	if err != nil {
		return false, time.Time{}, fmt.Errorf("sqlite: mark event: %w", mapErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, time.Time{}, fmt.Errorf("sqlite: mark event: %w", mapErr(err))
	}
	if n == 1 {
		return true, time.Time{}, nil
	}
	var held int64
	err = s.db.QueryRowContext(ctx, `SELECT expires FROM seen_events WHERE event_id = ?`, eventID).Scan(&held)
	if errors.Is(err, sql.ErrNoRows) {
		return false, time.Time{}, nil // pruned in between
	} else if err != nil {
		return false, time.Time{}, fmt.Errorf("sqlite: mark event: %w", mapErr(err))
	}
	return false, fromMicros(held), nil
}

// FinishEvent sets eventID's mark to expire at expires.
func (s *Store) FinishEvent(ctx context.Context, eventID string, expires time.Time) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO seen_events (event_id, expires) VALUES (?, ?)
		ON CONFLICT (event_id) DO UPDATE SET expires = excluded.expires`,
		eventID, micros(expires))
	if err != nil {
		return fmt.Errorf("sqlite: finish event: %w", mapErr(err))
	}
	return nil
}

// RenewEvent moves eventID's mark from held to expires if it is still
// held, in one statement.
func (s *Store) RenewEvent(ctx context.Context, eventID string, held, expires time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx,
		`UPDATE seen_events SET expires = ? WHERE event_id = ? AND expires = ?`,
		micros(expires), eventID, micros(held))
	if err != nil {
		return false, fmt.Errorf("sqlite: renew event: %w", mapErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlite: renew event: %w", mapErr(err))
	}
	return n == 1, nil
}

// ClaimCooldown takes the agent's cooldown in one statement: the insert,
// or the update of a mark at least cooldown old (or taken by the same
// event), changes a row for exactly one of several racing callers.
func (s *Store) ClaimCooldown(ctx context.Context, team, channel, user, eventID string, now time.Time, cooldown time.Duration) (bool, error) {
	q := `INSERT INTO cooldown_marks (team, channel, user_id, last, event_id) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (team, channel, user_id) DO UPDATE SET last = excluded.last, event_id = excluded.event_id
		WHERE cooldown_marks.last <= ? OR (excluded.event_id <> '' AND cooldown_marks.event_id = excluded.event_id)`
	args := []any{team, channel, user, micros(now), eventID, micros(now.Add(-cooldown))}
	if cooldown <= 0 {
		// Always granted; never move the mark backwards.
		q = `INSERT INTO cooldown_marks (team, channel, user_id, last, event_id) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (team, channel, user_id) DO UPDATE SET last = max(last, excluded.last), event_id = excluded.event_id`
		args = args[:5]
	}
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("sqlite: claim cooldown: %w", mapErr(err))
	}
	if cooldown <= 0 {
		return true, nil
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlite: claim cooldown: %w", mapErr(err))
	}
	return n == 1, nil
}
