package sqlite

import (
	"context"
	"fmt"
	"time"
)

// MarkEvent records eventID until expires and reports whether it is new.
// One statement decides: the insert, or the replacement of an expired
// row, changes a row for exactly one of several racing callers.
func (s *Store) MarkEvent(ctx context.Context, eventID string, now, expires time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO seen_events (event_id, expires) VALUES (?, ?)
		ON CONFLICT (event_id) DO UPDATE SET expires = excluded.expires
		WHERE seen_events.expires <= ?`,
		eventID, micros(expires), micros(now))
	if err != nil {
		return false, fmt.Errorf("sqlite: mark event: %w", mapErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlite: mark event: %w", mapErr(err))
	}
	return n == 1, nil
}

// ClaimCooldown takes the agent's cooldown in one statement: the insert,
// or the update of a mark at least cooldown old, changes a row for
// exactly one of several racing callers.
func (s *Store) ClaimCooldown(ctx context.Context, team, channel, user string, now time.Time, cooldown time.Duration) (bool, error) {
	q := `INSERT INTO cooldown_marks (team, channel, user_id, last) VALUES (?, ?, ?, ?)
		ON CONFLICT (team, channel, user_id) DO UPDATE SET last = excluded.last
		WHERE cooldown_marks.last <= ?`
	args := []any{team, channel, user, micros(now), micros(now.Add(-cooldown))}
	if cooldown <= 0 {
		// Always granted; never move the mark backwards.
		q = `INSERT INTO cooldown_marks (team, channel, user_id, last) VALUES (?, ?, ?, ?)
		ON CONFLICT (team, channel, user_id) DO UPDATE SET last = max(last, excluded.last)`
		args = args[:4]
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
