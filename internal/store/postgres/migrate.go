package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock keys the advisory lock the migrations run under; it is
// combined with the schema so separate schemas migrate independently.
const migrationLock = "nudgebot migrations "

type migration struct {
	version int64
	name    string
	up      string
}

// loadMigrations reads the embedded files NNNNN_name.sql, in version
// order, keeping the part between "-- +goose Up" and "-- +goose Down".
func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, name := range names {
		base := path.Base(name)
		v, err := strconv.ParseInt(strings.SplitN(base, "_", 2)[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("migration %s: no version: %w", base, err)
		}
		b, err := migrations.ReadFile(name)
		if err != nil {
			return nil, err
		}
		_, up, ok := strings.Cut(string(b), "-- +goose Up")
		if !ok {
			return nil, fmt.Errorf("migration %s: no -- +goose Up", base)
		}
		up, _, _ = strings.Cut(up, "-- +goose Down")
		ms = append(ms, migration{version: v, name: base, up: up})
	}
	slices.SortFunc(ms, func(a, b migration) int { return int(a.version - b.version) })
	return ms, nil
}

// migrate applies the pending migrations in one transaction under an
// advisory lock, so replicas starting at once take turns: the first
// applies them, the others wait, then find nothing to do.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	return s.tx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx,
			`SELECT pg_advisory_xact_lock(hashtextextended($1 || coalesce(current_schema(), ''), 0))`,
			migrationLock); err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    bigint PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("migrations table: %w", err)
		}
		var current int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return fmt.Errorf("migration version: %w", err)
		}
		for _, m := range ms {
			if m.version <= current {
				continue
			}
			// No arguments: pgx sends the file as one simple-protocol
			// query, several statements allowed.
			if _, err := tx.Exec(ctx, m.up); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`,
				m.version, m.name); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
		}
		return nil
	})
}
