package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nudgebot/nudgebot/internal/store"
)

// Settings returns the settings set at exactly this level.
func (s *Store) Settings(ctx context.Context, team, channel string) (map[string]string, error) {
	m := make(map[string]string)
	err := s.with(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, `SELECT key, value FROM settings WHERE team = $1 AND channel = $2`, team, channel)
		if err != nil {
			return err
		}
		var k, v string
		_, err = pgx.ForEachRow(rows, []any{&k, &v}, func() error {
			m[k] = v
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: settings: %w", mapErr(err))
	}
	return m, nil
}

// settingLock is the advisory lock key of one setting: SELECT ... FOR
// UPDATE locks nothing when the row does not exist yet, so two first
// writers would both read "" as Old.
func settingLock(team, channel, key string) int64 {
	h := fnv.New64a()
	for _, s := range []string{"nudgebot setting", team, channel, key} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return int64(h.Sum64())
}

// SetSetting applies c and audits it in one transaction, holding the
// setting's advisory lock so the Old it reads is the value it replaces.
func (s *Store) SetSetting(ctx context.Context, c store.Change) (store.Change, error) {
	if c.Team == "" || c.Key == "" {
		return store.Change{}, errors.New("postgres: set setting: team and key are required")
	}
	err := s.tx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, settingLock(c.Team, c.Channel, c.Key)); err != nil {
			return err
		}
		err := tx.QueryRow(ctx,
			`SELECT value FROM settings WHERE team = $1 AND channel = $2 AND key = $3 FOR UPDATE`,
			c.Team, c.Channel, c.Key).Scan(&c.Old)
		if errors.Is(err, pgx.ErrNoRows) {
			c.Old = ""
		} else if err != nil {
			return err
		}
		if c.New == "" {
			_, err = tx.Exec(ctx, `DELETE FROM settings WHERE team = $1 AND channel = $2 AND key = $3`,
				c.Team, c.Channel, c.Key)
		} else {
			_, err = tx.Exec(ctx,
				`INSERT INTO settings (team, channel, key, value) VALUES ($1, $2, $3, $4)
				ON CONFLICT (team, channel, key) DO UPDATE SET value = excluded.value`,
				c.Team, c.Channel, c.Key, c.New)
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx,
			`INSERT INTO audit (team, channel, key, old, new, by_user, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			c.Team, c.Channel, c.Key, c.Old, c.New, c.By, c.At)
		return err
	})
	if err != nil {
		return store.Change{}, fmt.Errorf("postgres: set setting %q: %w", c.Key, err)
	}
	c.At = time.UnixMicro(c.At.UnixMicro()).UTC()
	return c, nil
}

// Audit returns the latest changes at one level, newest first.
func (s *Store) Audit(ctx context.Context, team, channel string, limit int) ([]store.Change, error) {
	if limit <= 0 {
		return nil, nil
	}
	var cs []store.Change
	err := s.with(ctx, func(conn *pgx.Conn) error {
		rows, err := conn.Query(ctx,
			`SELECT key, old, new, by_user, at FROM audit
			WHERE team = $1 AND channel = $2 ORDER BY at DESC, id DESC LIMIT $3`,
			team, channel, limit)
		if err != nil {
			return err
		}
		c := store.Change{Team: team, Channel: channel}
		_, err = pgx.ForEachRow(rows, []any{&c.Key, &c.Old, &c.New, &c.By, &c.At}, func() error {
			c.At = utc(c.At)
			cs = append(cs, c)
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: audit: %w", mapErr(err))
	}
	return cs, nil
}

// Channels returns the channels of team with a setting of their own,
// sorted bytewise whatever the database's collation.
func (s *Store) Channels(ctx context.Context, team string) ([]string, error) {
	var chs []string
	err := s.with(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx,
			`SELECT DISTINCT channel COLLATE "C" FROM settings WHERE team = $1 AND channel <> '' ORDER BY 1`, team)
		if err != nil {
			return err
		}
		chs, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: channels: %w", mapErr(err))
	}
	return chs, nil
}

// Snooze silences user until the given time; a zero until lifts it.
func (s *Store) Snooze(ctx context.Context, team, user string, until time.Time) error {
	var err error
	if until.IsZero() {
		_, err = s.exec(ctx, `DELETE FROM snoozes WHERE team = $1 AND user_id = $2`, team, user)
	} else {
		_, err = s.exec(ctx,
			`INSERT INTO snoozes (team, user_id, until) VALUES ($1, $2, $3)
			ON CONFLICT (team, user_id) DO UPDATE SET until = excluded.until`,
			team, user, until)
	}
	if err != nil {
		return fmt.Errorf("postgres: snooze: %w", err)
	}
	return nil
}

// SnoozedUntil returns when user's snooze ends, or the zero time.
func (s *Store) SnoozedUntil(ctx context.Context, team, user string, now time.Time) (time.Time, error) {
	var until time.Time
	err := s.queryRow(ctx,
		`SELECT until FROM snoozes WHERE team = $1 AND user_id = $2 AND until > $3`,
		[]any{team, user, now}, &until)
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, nil
	} else if err != nil {
		return time.Time{}, fmt.Errorf("postgres: snoozed until: %w", err)
	}
	return utc(until), nil
}
