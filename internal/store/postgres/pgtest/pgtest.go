// Package pgtest gives tests a PostgreSQL database of their own: a fresh
// schema in the database NUDGE_TEST_POSTGRES_URL names, dropped when the
// test ends, and a way to put a cuttable proxy in front of it.
//
// Tests that need PostgreSQL skip only when NUDGE_TEST_POSTGRES_URL is
// unset; CI sets it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/nudgebot/nudgebot/internal/store/storetest"
)

// EnvURL is the variable that names the test database.
const EnvURL = "NUDGE_TEST_POSTGRES_URL"

// URL returns NUDGE_TEST_POSTGRES_URL, or skips t when it is unset.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		t.Skip(EnvURL + " not set")
	}
	return u
}

// Schema creates an empty schema named prefix_<random> in the test
// database, drops it (and all in it) when t ends, and returns the
// database's URL with its search_path set to that schema. It skips t when
// NUDGE_TEST_POSTGRES_URL is unset.
func Schema(t testing.TB, prefix string) string {
	t.Helper()
	return SchemaIn(t, URL(t), prefix)
}

// SchemaIn is Schema in the database dsn names.
func SchemaIn(t testing.TB, dsn, prefix string) string {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 6)
	rand.Read(b)
	schema := prefix + "_" + hex.EncodeToString(b)
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("pgtest: connecting to PostgreSQL: %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("pgtest: creating schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("pgtest: dropping schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("pgtest: dropping schema %s: %v", schema, err)
		}
	})
	return WithParam(t, dsn, "search_path", schema)
}

// WithParam returns dsn with the query parameter key set to value.
func WithParam(t testing.TB, dsn, key, value string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("pgtest: parsing the URL: %v", err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// ViaProxy returns dsn with its host:port replaced by a storetest.Proxy in
// front of it, so a test can cut the database off and restore it.
func ViaProxy(t testing.TB, dsn string) (string, *storetest.Proxy) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("pgtest: parsing the URL: %v", err)
	}
	p := storetest.NewProxy(t, u.Host)
	u.Host = p.Addr()
	return u.String(), p
}
