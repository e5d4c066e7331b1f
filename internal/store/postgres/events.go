package postgres

import (
	"context"
	"fmt"
	"time"
)

// MarkEvent records eventID until expires and reports whether it is new.
// One statement decides: of racing callers, across processes too, the
// insert (or the replacement of an expired row) changes a row for
// exactly one; the others wait on its row lock and then see it live.
func (s *Store) MarkEvent(ctx context.Context, eventID string, now, expires time.Time) (bool, error) {
	n, err := s.exec(ctx,
		`INSERT INTO seen_events (event_id, expires) VALUES ($1, $2)
		ON CONFLICT (event_id) DO UPDATE SET expires = excluded.expires
		WHERE seen_events.expires <= $3`,
		eventID, expires, now)
	if err != nil {
		return false, fmt.Errorf("postgres: mark event: %w", err)
	}
	return n == 1, nil
}

// ClaimCooldown takes the agent's cooldown in one statement: the insert,
// or the update of a mark at least cooldown old, changes a row for
// exactly one of several racing callers.
func (s *Store) ClaimCooldown(ctx context.Context, team, channel, user string, now time.Time, cooldown time.Duration) (bool, error) {
	if cooldown <= 0 {
		// Always granted; never move the mark backwards.
		_, err := s.exec(ctx,
			`INSERT INTO cooldown_marks (team, channel, user_id, last) VALUES ($1, $2, $3, $4)
			ON CONFLICT (team, channel, user_id) DO UPDATE SET last = greatest(cooldown_marks.last, excluded.last)`,
			team, channel, user, now)
		if err != nil {
			return false, fmt.Errorf("postgres: claim cooldown: %w", err)
		}
		return true, nil
	}
	n, err := s.exec(ctx,
		`INSERT INTO cooldown_marks (team, channel, user_id, last) VALUES ($1, $2, $3, $4)
		ON CONFLICT (team, channel, user_id) DO UPDATE SET last = excluded.last
		WHERE cooldown_marks.last <= $5`,
		team, channel, user, now, now.Add(-cooldown))
	if err != nil {
		return false, fmt.Errorf("postgres: claim cooldown: %w", err)
	}
	return n == 1, nil
}
