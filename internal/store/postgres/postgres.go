// Package postgres is nudgebot's store for several replicas: a
// store.Store on PostgreSQL through github.com/jackc/pgx/v5.
//
// Every decision (MarkEvent, ClaimCooldown) is one statement, and
// SetSetting holds a transaction-scoped advisory lock on its key, so
// replicas sharing a database behave as one bot. Tables live in the
// connection's search_path (a search_path parameter in the URL is
// honoured).
//
// The brief asked for pgxpool and goose; both need
// github.com/jackc/puddle/v2 (pgxpool directly, goose through
// pgx/v5/stdlib), which go.sum does not hold. Until it does, the package
// pools *pgx.Conn itself (pool.go) and runs its embedded migrations
// under pg_advisory_xact_lock (migrate.go), LIBRARIES.md's runner-up.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/nudgebot/nudgebot/internal/store"
)

// Store is a store.Store on PostgreSQL. It is safe for concurrent use by
// several goroutines and, through one database, by several processes.
type Store struct {
	pool *pool
}

var _ store.Store = (*Store)(nil)

// Defaults for what the URL leaves unset.
const (
	defaultConnectTimeout = 5 * time.Second
	poolSize              = 8
)

// Open connects to the PostgreSQL database at url (postgres:// or
// postgresql://) and brings its schema up to date. When the database
// does not answer, the error wraps store.ErrUnavailable.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// The message may hold the password: say only what kind of error.
		return nil, errors.New("postgres: open: cannot parse the URL")
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	s := &Store{pool: newPool(cfg, poolSize)}
	if err := s.migrate(ctx); err != nil {
		s.pool.close()
		return nil, fmt.Errorf("postgres: open %s/%s: %w", cfg.Host, cfg.Database, mapErr(err))
	}
	return s, nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	err := s.pool.with(ctx, func(c *pgx.Conn) error { return c.Ping(ctx) })
	if err != nil {
		return fmt.Errorf("postgres: ping: %w", mapErr(err))
	}
	return nil
}

// Close releases the database connections.
func (s *Store) Close() error {
	s.pool.close()
	return nil
}

// mapErr turns driver errors into store sentinels: no rows is
// store.ErrNotFound; a connection that could not be made or broke, a
// server shutting down or refusing connections, and a deadline are
// store.ErrUnavailable (the caller may retry). Other errors pass through.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	if unavailable(err) {
		return errors.Join(store.ErrUnavailable, err)
	}
	return err
}

func unavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "57P01", // admin_shutdown
			"57P02", // crash_shutdown
			"57P03", // cannot_connect_now
			"53300": // too_many_connections
			return true
		}
		return len(pe.Code) == 5 && pe.Code[:2] == "08" // connection_exception
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.Timeout(err) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errConnLost) ||
		errors.Is(err, errClosed)
}

// exec runs one statement and returns the rows it affected.
func (s *Store) exec(ctx context.Context, q string, args ...any) (int64, error) {
	var n int64
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		tag, err := c.Exec(ctx, q, args...)
		n = tag.RowsAffected()
		return err
	})
	return n, mapErr(err)
}

// queryRow runs a one-row query and scans it into dest.
func (s *Store) queryRow(ctx context.Context, q string, args []any, dest ...any) error {
	return mapErr(s.pool.with(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, q, args...).Scan(dest...)
	}))
}

// tx runs f in a transaction with opts and commits it, or rolls it back
// when f fails.
func (s *Store) tx(ctx context.Context, opts pgx.TxOptions, f func(pgx.Tx) error) error {
	return mapErr(s.pool.with(ctx, func(c *pgx.Conn) error {
		return pgx.BeginTxFunc(ctx, c, opts, f)
	}))
}

// Prune deletes expired seen events and snoozes, and the nudges (with
// their feedback), cooldown marks and scored counts older than before, in
// one transaction.
func (s *Store) Prune(ctx context.Context, now, before time.Time) error {
	err := s.tx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		stmts := []struct {
			q   string
			arg any
		}{
			{`DELETE FROM seen_events WHERE expires <= $1`, now},
			{`DELETE FROM snoozes WHERE until <= $1`, now},
			{`DELETE FROM feedback WHERE nudge_id IN (SELECT id FROM nudges WHERE at < $1)`, before},
			{`DELETE FROM nudges WHERE at < $1`, before},
			{`DELETE FROM cooldown_marks WHERE last < $1`, before},
			// A day is older than before once it has ended by then.
			{`DELETE FROM scored WHERE day < $1`, day(before)},
		}
		for _, st := range stmts {
			if _, err := tx.Exec(ctx, st.q, st.arg); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: prune: %w", err)
	}
	return nil
}

// day is the UTC date of t, as a time at its midnight, UTC.
func day(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

// utc returns the time t as scanned, in UTC.
func utc(t time.Time) time.Time { return t.UTC() }
