package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nudgebot/nudgebot/internal/store"
)

// MarkEvent claims eventID until expires and reports whether it is new.
// One statement decides: of racing callers, across processes too, the
// insert (or the replacement of an expired row) changes a row for
// exactly one; the others wait on its row lock and then see it live, and
// read its expiry.
func (s *Store) MarkEvent(ctx context.Context, eventID string, now, expires time.Time) (bool, time.Time, error) {
	n, err := s.exec(ctx,
		`INSERT INTO seen_events (event_id, expires) VALUES ($1, $2)
		ON CONFLICT (event_id) DO UPDATE SET expires = excluded.expires
		WHERE seen_events.expires <= $3`,
		eventID, expires, now)
	if err != nil {
		return false, time.Time{}, fmt.Errorf("postgres: mark event: %w", err)
	}
	if n == 1 {
		return true, time.Time{}, nil
	}
	var held time.Time
	err = s.queryRow(ctx, `SELECT expires FROM seen_events WHERE event_id = $1`, []any{eventID}, &held)
	if errors.Is(err, store.ErrNotFound) {
		return false, time.Time{}, nil // pruned in between
	} else if err != nil {
		return false, time.Time{}, fmt.Errorf("postgres: mark event: %w", err)
	}
	return false, utc(held), nil
}

// FinishEvent sets eventID's mark to expire at expires.
func (s *Store) FinishEvent(ctx context.Context, eventID string, expires time.Time) error {
	_, err := s.exec(ctx,
		`INSERT INTO seen_events (event_id, expires) VALUES ($1, $2)
		ON CONFLICT (event_id) DO UPDATE SET expires = excluded.expires`,
		eventID, expires)
	if err != nil {
		return fmt.Errorf("postgres: finish event: %w", err)
	}
	return nil
}

// RenewEvent moves eventID's mark from held to expires if it is still
// held, in one statement.
func (s *Store) RenewEvent(ctx context.Context, eventID string, held, expires time.Time) (bool, error) {
	n, err := s.exec(ctx,
		`UPDATE seen_events SET expires = $1 WHERE event_id = $2 AND expires = $3`,
		expires, eventID, held)
	if err != nil {
		return false, fmt.Errorf("postgres: renew event: %w", err)
	}
	return n == 1, nil
}

// ClaimCooldown takes the agent's cooldown in one statement: the insert,
// or the update of a mark at least cooldown old (or taken by the same
// event), changes a row for exactly one of several racing callers.
func (s *Store) ClaimCooldown(ctx context.Context, team, channel, user, eventID string, now time.Time, cooldown time.Duration) (bool, error) {
	if cooldown <= 0 {
		// Always granted; never move the mark backwards.
		_, err := s.exec(ctx,
			`INSERT INTO cooldown_marks (team, channel, user_id, last, event_id) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (team, channel, user_id) DO UPDATE
			SET last = greatest(cooldown_marks.last, excluded.last), event_id = excluded.event_id`,
			team, channel, user, now, eventID)
		if err != nil {
			return false, fmt.Errorf("postgres: claim cooldown: %w", err)
		}
		return true, nil
	}
	n, err := s.exec(ctx,
		`INSERT INTO cooldown_marks (team, channel, user_id, last, event_id) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (team, channel, user_id) DO UPDATE SET last = excluded.last, event_id = excluded.event_id
		WHERE cooldown_marks.last <= $6 OR (excluded.event_id <> '' AND cooldown_marks.event_id = excluded.event_id)`,
		team, channel, user, now, eventID, now.Add(-cooldown))
	if err != nil {
		return false, fmt.Errorf("postgres: claim cooldown: %w", err)
	}
	return n == 1, nil
}
