package sqlite

import "database/sql"

// DB returns the underlying database, for tests that inspect the schema.
func (s *Store) DB() *sql.DB { return s.db }
