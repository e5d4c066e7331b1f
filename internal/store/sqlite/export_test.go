package sqlite

import (
	"context"
	"database/sql"
	"io/fs"

	"github.com/pressly/goose/v3"
)

// DB returns the underlying database, for tests that inspect the schema.
func (s *Store) DB() *sql.DB { return s.db }

// OpenAtVersion opens path with its schema brought up to version only,
// for tests of a later migration on existing data.
func OpenAtVersion(ctx context.Context, path string, version int64) (*Store, error) {
	db, err := sql.Open("sqlite", path+"?"+pragmas)
	if err != nil {
		return nil, err
	}
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys)
	if err != nil {
		return nil, err
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db}, nil
}
