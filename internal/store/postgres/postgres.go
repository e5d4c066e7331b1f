// Package postgres is nudgebot's store for several replicas: a
// store.Store on PostgreSQL through github.com/jackc/pgx/v5.
//
// Every decision (MarkEvent, ClaimCooldown) is one statement, and
// SetSetting holds a transaction-scoped advisory lock on its key, so
// replicas sharing a database behave as one bot. Tables live in the
// connection's search_path (a search_path parameter in the URL is
// honoured).
//
// Connections come from a pgxpool.Pool, which dials on demand, pings a
// connection that sat idle before handing it out, drops connections that
// broke, and so recovers by itself once the server is back. Open brings
// the schema up to date with goose's Provider over the same pool
// (through pgx/v5/stdlib), under goose's PostgreSQL session locker with
// a lock ID per schema, so replicas starting at once take turns.
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
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/puddle/v2"

	"github.com/nudgebot/nudgebot/internal/store"
)

// Store is a store.Store on PostgreSQL. It is safe for concurrent use by
// several goroutines and, through one database, by several processes.
type Store struct {
	pool *pgxpool.Pool
}

var _ store.Store = (*Store)(nil)

// Defaults for what the URL leaves unset.
const (
	defaultConnectTimeout = 5 * time.Second
	poolSize              = 8
	// healthCheckPeriod is how often the pool drops idle connections
	// past their idle or life time and tops itself up; a connection that
	// broke is dropped on release, or by the ping it gets on acquire
	// after a second idle.
	healthCheckPeriod = 5 * time.Second
)

// ValidURL reports whether url is a connection URL Open can parse. It
// says no more, as the parser's errors may quote a password.
func ValidURL(url string) bool {
	_, err := pgxpool.ParseConfig(url)
	return err == nil
}

// Open connects to the PostgreSQL database at url (postgres:// or
// postgresql://) and brings its schema up to date. When the database
// does not answer, the error wraps store.ErrUnavailable.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The message may hold the password: say only what kind of error.
		return nil, errors.New("postgres: open: cannot parse the URL")
	}
	cc := cfg.ConnConfig
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = defaultConnectTimeout
	}
	cfg.MaxConns = poolSize
	cfg.HealthCheckPeriod = healthCheckPeriod
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open %s/%s: %w", cc.Host, cc.Database, mapErr(err))
	}
	s := &Store{pool: pool}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open %s/%s: %w", cc.Host, cc.Database, mapErr(err))
	}
	return s, nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	err := s.with(ctx, func(c *pgx.Conn) error { return c.Ping(ctx) })
	if err != nil {
		return fmt.Errorf("postgres: ping: %w", mapErr(err))
	}
	return nil
}

// Close releases the database connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// with runs f on a pooled connection.
func (s *Store) with(ctx context.Context, f func(*pgx.Conn) error) error {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release() // the pool drops it if it broke or is mid-query
	err = f(c.Conn())
	if err != nil && c.Conn().IsClosed() {
		// The connection died under f: whatever f says, the database
		// did not answer.
		return errors.Join(errConnLost, err)
	}
	return err
}

var errConnLost = errors.New("connection lost")

// mapErr turns driver errors into store sentinels: no rows is
// store.ErrNotFound; a connection that could not be made or broke, a
// server shutting down or refusing connections, a deadline and a closed
// Store are store.ErrUnavailable (the caller may retry). Other errors
// pass through.
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
		errors.Is(err, puddle.ErrClosedPool)
}

// exec runs one statement and returns the rows it affected.
func (s *Store) exec(ctx context.Context, q string, args ...any) (int64, error) {
	var n int64
	err := s.with(ctx, func(c *pgx.Conn) error {
		tag, err := c.Exec(ctx, q, args...)
		n = tag.RowsAffected()
		return err
	})
	return n, mapErr(err)
}

// queryRow runs a one-row query and scans it into dest.
func (s *Store) queryRow(ctx context.Context, q string, args []any, dest ...any) error {
	return mapErr(s.with(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, q, args...).Scan(dest...)
	}))
}

// tx runs f in a transaction with opts and commits it, or rolls it back
// when f fails.
func (s *Store) tx(ctx context.Context, opts pgx.TxOptions, f func(pgx.Tx) error) error {
	return mapErr(s.with(ctx, func(c *pgx.Conn) error {
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
