package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock keys the advisory lock the migrations run under; it is
// combined with the schema so separate schemas migrate independently.
const migrationLock = "nudgebot migrations "

// Lock polling: goose's session locker tries pg_try_advisory_lock every
// lockPeriod seconds, lockTries times (5 minutes in all, as goose's
// default, but a waiting replica starts within a second of the first
// one finishing instead of within 5).
const (
	lockPeriod = 1
	lockTries  = 300
)

// migrate brings the schema up to date with goose, under goose's
// session advisory lock, so replicas starting at once take turns: the
// first applies the migrations, the others wait, then find nothing to
// do. goose keeps its version table (goose_db_version) in the
// search_path's schema, next to the store's tables. Errors come back
// unmapped.
func (s *Store) migrate(ctx context.Context) error {
	// The lock ID is per schema: goose's default is one ID for the whole
	// server, which would serialize unrelated schemas.
	var lockID int64
	err := s.with(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, `SELECT hashtextextended($1 || coalesce(current_schema(), ''), 0)`,
			migrationLock).Scan(&lockID)
	})
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID), lock.WithLockTimeout(lockPeriod, lockTries))
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	// The *sql.DB borrows the pool's connections, so it runs with the
	// same config (search_path included); closing it leaves the pool open.
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}
