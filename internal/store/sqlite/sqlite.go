// Package sqlite is nudgebot's embedded store: a store.Store on one SQLite
// file through modernc.org/sqlite (pure Go, no cgo).
//
// Every connection runs with a busy timeout, WAL, synchronous=NORMAL,
// foreign keys on and BEGIN IMMEDIATE transactions: several connections
// doing read-then-write in deferred transactions fail with SQLITE_BUSY
// (see LIBRARIES.md), and immediate transactions take the write lock up
// front so SetSetting's read and write cannot interleave with another
// writer's.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/nudgebot/nudgebot/internal/store"
	"github.com/pressly/goose/v3"
	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// pragmas is the query every connection is opened with.
const pragmas = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)" +
	"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"

// Store is a store.Store on an SQLite file. It is safe for concurrent use.
type Store struct {
	db *sql.DB
}

var _ store.Store = (*Store)(nil)

// Open opens (creating it if needed) the SQLite database at path and
// brings its schema up to date. path is a file name, or a "file:" URI
// without a query.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: open: empty path")
	}
	if strings.Contains(path, "?") {
		return nil, fmt.Errorf("sqlite: open %q: the path must not hold a query", path)
	}
	db, err := sql.Open("sqlite", path+"?"+pragmas)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	s := &Store{db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return mapErr(err)
	}
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, s.db, fsys)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", mapErr(err))
	}
	return nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", mapErr(err))
	}
	// PingContext alone does not touch the file; a query does.
	var one int
	if err := s.db.QueryRowContext(ctx, `SELECT 1 FROM sqlite_schema LIMIT 1`).Scan(&one); err != nil {
		return fmt.Errorf("sqlite: ping: %w", mapErr(err))
	}
	return nil
}

// Close releases the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// mapErr turns driver errors into store sentinels: no rows is
// store.ErrNotFound; a database that stays locked past the busy timeout,
// cannot be opened or was closed is store.ErrUnavailable (the caller may
// retry). Other errors pass through unchanged.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	if errors.Is(err, sql.ErrConnDone) || errors.Is(err, context.DeadlineExceeded) ||
		strings.Contains(err.Error(), "sql: database is closed") {
		return errors.Join(store.ErrUnavailable, err)
	}
	var se *sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3lib.SQLITE_BUSY, sqlite3lib.SQLITE_LOCKED, sqlite3lib.SQLITE_CANTOPEN,
			sqlite3lib.SQLITE_IOERR, sqlite3lib.SQLITE_FULL:
			return errors.Join(store.ErrUnavailable, err)
		}
	}
	return err
}

// micros is how times are stored: microseconds since the epoch, UTC.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros is the inverse of micros.
func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// day is the UTC day number of t.
func day(t time.Time) int64 {
	return t.UTC().Truncate(24*time.Hour).Unix() / 86400
}

// Prune deletes expired seen events and snoozes, and the nudges (with
// their feedback), cooldown marks and scored counts older than before, in
// one transaction.
func (s *Store) Prune(ctx context.Context, now, before time.Time) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		b := micros(before)
		stmts := []struct {
			q    string
			args []any
		}{
			{`DELETE FROM seen_events WHERE expires <= ?`, []any{micros(now)}},
			{`DELETE FROM snoozes WHERE until <= ?`, []any{micros(now)}},
			{`DELETE FROM feedback WHERE nudge_id IN (SELECT id FROM nudges WHERE at < ?)`, []any{b}},
			{`DELETE FROM nudges WHERE at < ?`, []any{b}},
			{`DELETE FROM cooldown_marks WHERE last < ?`, []any{b}},
			// A day is older than before once it has ended by then.
			{`DELETE FROM scored WHERE day < ?`, []any{day(before)}},
		}
		for _, st := range stmts {
			if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: prune: %w", err)
	}
	return nil
}

// tx runs f in an (immediate) transaction and commits it, or rolls it back
// when f fails. Errors come back mapped.
func (s *Store) tx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return mapErr(err)
	}
	return mapErr(tx.Commit())
}
