package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/nudgebot/nudgebot/internal/store"
)

// Settings returns the settings set at exactly this level.
func (s *Store) Settings(ctx context.Context, team, channel string) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT key, value FROM settings WHERE team = ? AND channel = ?`, team, channel)
	if err != nil {
		return nil, fmt.Errorf("sqlite: settings: %w", mapErr(err))
	}
	defer rows.Close()
	m := make(map[string]string)
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("sqlite: settings: %w", mapErr(err))
		}
		m[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: settings: %w", mapErr(err))
	}
	return m, nil
}

// SetSetting applies c and audits it in one immediate transaction, so the
// Old it reads is the value it replaces.
func (s *Store) SetSetting(ctx context.Context, c store.Change) (store.Change, error) {
	if c.Team == "" || c.Key == "" {
		return store.Change{}, errors.New("sqlite: set setting: team and key are required")
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx,
			`SELECT value FROM settings WHERE team = ? AND channel = ? AND key = ?`,
			c.Team, c.Channel, c.Key).Scan(&c.Old)
		if errors.Is(err, sql.ErrNoRows) {
			c.Old = ""
		} else if err != nil {
			return err
		}
		if c.New == "" {
			_, err = tx.ExecContext(ctx,
				`DELETE FROM settings WHERE team = ? AND channel = ? AND key = ?`,
				c.Team, c.Channel, c.Key)
		} else {
			_, err = tx.ExecContext(ctx,
				`INSERT INTO settings (team, channel, key, value) VALUES (?, ?, ?, ?)
				ON CONFLICT (team, channel, key) DO UPDATE SET value = excluded.value`,
				c.Team, c.Channel, c.Key, c.New)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO audit (team, channel, key, old, new, by_user, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			c.Team, c.Channel, c.Key, c.Old, c.New, c.By, micros(c.At))
		return err
	})
	if err != nil {
		return store.Change{}, fmt.Errorf("sqlite: set setting %q: %w", c.Key, err)
	}
	c.At = fromMicros(micros(c.At))
	return c, nil
}

// Audit returns the latest changes at one level, newest first.
func (s *Store) Audit(ctx context.Context, team, channel string, limit int) ([]store.Change, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx,
		`SELECT key, old, new, by_user, at FROM audit
		WHERE team = ? AND channel = ? ORDER BY at DESC, id DESC LIMIT ?`,
		team, channel, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: audit: %w", mapErr(err))
	}
	defer rows.Close()
	var cs []store.Change
	for rows.Next() {
		c := store.Change{Team: team, Channel: channel}
		var at int64
		if err := rows.Scan(&c.Key, &c.Old, &c.New, &c.By, &at); err != nil {
			return nil, fmt.Errorf("sqlite: audit: %w", mapErr(err))
		}
		c.At = fromMicros(at)
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: audit: %w", mapErr(err))
	}
	return cs, nil
}

// Channels returns the channels of team with a setting of their own.
func (s *Store) Channels(ctx context.Context, team string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT DISTINCT channel FROM settings WHERE team = ? AND channel <> '' ORDER BY channel`, team)
	if err != nil {
		return nil, fmt.Errorf("sqlite: channels: %w", mapErr(err))
	}
	defer rows.Close()
	var chs []string
	for rows.Next() {
		var ch string
		if err := rows.Scan(&ch); err != nil {
			return nil, fmt.Errorf("sqlite: channels: %w", mapErr(err))
		}
		chs = append(chs, ch)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: channels: %w", mapErr(err))
	}
	return chs, nil
}

// Snooze silences user until the given time; a zero until lifts it.
func (s *Store) Snooze(ctx context.Context, team, user string, until time.Time) error {
	var err error
	if until.IsZero() {
		_, err = s.db.ExecContext(ctx, `DELETE FROM snoozes WHERE team = ? AND user_id = ?`, team, user)
	} else {
		_, err = s.db.ExecContext(ctx,
			`INSERT INTO snoozes (team, user_id, until) VALUES (?, ?, ?)
			ON CONFLICT (team, user_id) DO UPDATE SET until = excluded.until`,
			team, user, micros(until))
	}
	if err != nil {
		return fmt.Errorf("sqlite: snooze: %w", mapErr(err))
	}
	return nil
}

// SnoozedUntil returns when user's snooze ends, or the zero time.
func (s *Store) SnoozedUntil(ctx context.Context, team, user string, now time.Time) (time.Time, error) {
	var until int64
	err := s.db.QueryRowContext(ctx,
		`SELECT until FROM snoozes WHERE team = ? AND user_id = ? AND until > ?`,
		team, user, micros(now)).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	} else if err != nil {
		return time.Time{}, fmt.Errorf("sqlite: snoozed until: %w", mapErr(err))
	}
	return fromMicros(until), nil
}
