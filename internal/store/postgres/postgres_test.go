package postgres_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nudgebot/nudgebot/internal/store"
	"github.com/nudgebot/nudgebot/internal/store/postgres"
	"github.com/nudgebot/nudgebot/internal/store/postgres/pgtest"
	"github.com/nudgebot/nudgebot/internal/store/storetest"
)

func withHost(t testing.TB, dsn, hostport string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parsing %s: %v", dsn, err)
	}
	u.Host = hostport
	return u.String()
}

func mustOpen(t testing.TB, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustOpenFreshSchema(t testing.TB, dsn string) *postgres.Store {
	t.Helper()
	return mustOpen(t, pgtest.SchemaIn(t, dsn, "t"))
}

func TestStore(t *testing.T) {
	dsn := pgtest.URL(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return mustOpenFreshSchema(t, dsn)
	})
}

func BenchmarkMessage(b *testing.B) {
	dsn := pgtest.URL(b)
	storetest.Bench(b, func(b *testing.B) store.Store { return mustOpenFreshSchema(b, dsn) })
}

func TestPostgresqlScheme(t *testing.T) {
	dsn := pgtest.SchemaIn(t, pgtest.URL(t), "t")
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Scheme = "postgresql"
	s := mustOpen(t, u.String())
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping() = %v", err)
	}
}

// TestSearchPath checks that the tables go to the URL's schema and
// nowhere else.
func TestSearchPath(t *testing.T) {
	base := pgtest.URL(t)
	dsn := pgtest.SchemaIn(t, base, "t")
	mustOpen(t, dsn)
	schema, _ := url.Parse(dsn)
	c, err := pgx.Connect(t.Context(), base)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var n int
	err = c.QueryRow(t.Context(),
		`SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = 'nudges'`,
		schema.Query().Get("search_path")).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("nudges tables in the URL's schema = %d, want 1", n)
	}
}

// TestConcurrentOpen starts replicas at once on a fresh schema: the
// migration lock lets one migrate while the others wait.
func TestConcurrentOpen(t *testing.T) {
	dsn := pgtest.SchemaIn(t, pgtest.URL(t), "t")
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	stores := make([]*postgres.Store, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = postgres.Open(context.Background(), dsn)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open() #%d = %v", i, err)
			continue
		}
		defer stores[i].Close()
		if err := stores[i].Ping(t.Context()); err != nil {
			t.Errorf("Ping() #%d = %v", i, err)
		}
	}
}

// TestReplicasRace races two Store values, like two replicas, on one
// schema: each decision has exactly one winner.
func TestReplicasRace(t *testing.T) {
	dsn := pgtest.SchemaIn(t, pgtest.URL(t), "t")
	a, b := mustOpen(t, dsn), mustOpen(t, dsn)
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	race := func(name string, f func(s store.Store) (bool, error)) {
		t.Helper()
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			wins  int
			start = make(chan struct{})
		)
		for i := range 40 {
			s := store.Store(a)
			if i%2 == 1 {
				s = b
			}
			wg.Go(func() {
				<-start
				ok, err := f(s)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Errorf("%s: %v", name, err)
				} else if ok {
					wins++
				}
			})
		}
		close(start)
		wg.Wait()
		if wins != 1 {
			t.Errorf("40 %s calls across two stores: %d won, want 1", name, wins)
		}
	}
	for i := range 3 {
		id := "EvReplica" + string(rune('A'+i))
		race("MarkEvent", func(s store.Store) (bool, error) {
			first, _, err := s.MarkEvent(context.Background(), id, now, now.Add(time.Hour))
			return first, err
		})
		at := now.Add(time.Duration(i) * time.Hour)
		race("ClaimCooldown", func(s store.Store) (bool, error) {
			return s.ClaimCooldown(context.Background(), "T1", "C1", "U1", "", at, 10*time.Minute)
		})
	}
	// A setting changed through one is in force on the other.
	if _, err := a.SetSetting(t.Context(), store.Change{Team: "T1", Channel: "C1", Key: store.KeyEnabled, New: "off", By: "U1", At: now}); err != nil {
		t.Fatalf("SetSetting() = %v", err)
	}
	got, err := b.Settings(t.Context(), "T1", "C1")
	if err != nil {
		t.Fatalf("Settings() = %v", err)
	}
	if got[store.KeyEnabled] != "off" {
		t.Errorf("the other replica's Settings() = %v, want enabled=off", got)
	}
}

// freePort returns a 127.0.0.1 address where nothing listens.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestOpenUnavailable(t *testing.T) {
	dsn := pgtest.WithParam(t, withHost(t, pgtest.URL(t), freePort(t)), "connect_timeout", "2")
	start := time.Now()
	s, err := postgres.Open(t.Context(), dsn)
	if err == nil {
		s.Close()
		t.Fatal("Open() with nothing listening = nil error")
	}
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open() with nothing listening = %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Open() took %v to fail, want under 3s", d)
	}
}

func TestOpenDeadlineUnavailable(t *testing.T) {
	// A server that accepts and never answers: only the deadline ends it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns []net.Conn
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	})
	defer func() {
		ln.Close()
		wg.Wait()
		for _, c := range conns {
			c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	s, err := postgres.Open(ctx, withHost(t, pgtest.URL(t), ln.Addr().String()))
	if err == nil {
		s.Close()
		t.Fatal("Open() against a silent server = nil error")
	}
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open() against a silent server = %v, want ErrUnavailable", err)
	}
}

func TestOpenBadURL(t *testing.T) {
	_, err := postgres.Open(t.Context(), "postgres://user:secret@127.0.0.1:notaport/db")
	if err == nil {
		t.Fatal("Open(bad URL) = nil error")
	}
	if errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open(bad URL) = %v, want a plain error, not ErrUnavailable", err)
	}
	if s := err.Error(); strings.Contains(s, "secret") {
		t.Errorf("Open(bad URL) error %q shows the password", s)
	}
}

// TestOutage cuts the database away from an open Store and brings it
// back: calls fail with ErrUnavailable meanwhile, and the same Store
// recovers without reopening.
func TestOutage(t *testing.T) {
	dsn := pgtest.SchemaIn(t, pgtest.URL(t), "t")
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := storetest.NewProxy(t, u.Host)
	s := mustOpen(t, pgtest.WithParam(t, withHost(t, dsn, proxy.Addr()), "connect_timeout", "2"))
	ctx := t.Context()
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping() before the outage = %v", err)
	}

	proxy.Cut()
	if err := s.Ping(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Ping() during the outage = %v, want ErrUnavailable", err)
	}
	if _, _, err := s.MarkEvent(ctx, "Ev1", now, now.Add(time.Hour)); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("MarkEvent() during the outage = %v, want ErrUnavailable", err)
	}
	if _, err := s.Nudge(ctx, 1); !errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrNotFound) {
		t.Errorf("Nudge() during the outage = %v, want ErrUnavailable and not ErrNotFound", err)
	}

	proxy.Restore()
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping() after the outage = %v, want nil", err)
	}
	first, _, err := s.MarkEvent(ctx, "Ev1", now, now.Add(time.Hour))
	if err != nil || !first {
		t.Errorf("MarkEvent() after the outage = %v, %v; want true, nil", first, err)
	}
}

// TestOutageIdle is TestOutage with the Store idle across the outage, the
// common case: its pooled connections died while nobody used them.
func TestOutageIdle(t *testing.T) {
	dsn := pgtest.SchemaIn(t, pgtest.URL(t), "t")
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := storetest.NewProxy(t, u.Host)
	s := mustOpen(t, withHost(t, dsn, proxy.Addr()))
	proxy.Cut()
	proxy.Restore()
	// The first call after the outage gets a dead pooled connection; it
	// must not be the caller's problem once the server is back.
	if err := s.Ping(t.Context()); err != nil && !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Ping() right after the outage = %v, want nil or ErrUnavailable", err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("second Ping() after the outage = %v, want nil", err)
	}
}

func TestSchemaHasNoText(t *testing.T) {
	base := pgtest.URL(t)
	dsn := pgtest.SchemaIn(t, base, "t")
	mustOpen(t, dsn)
	u, _ := url.Parse(dsn)
	c, err := pgx.Connect(t.Context(), base)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	rows, err := c.Query(t.Context(),
		`SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = $1 AND table_name <> 'goose_db_version'`, u.Query().Get("search_path"))
	if err != nil {
		t.Fatalf("listing columns: %v", err)
	}
	cols := map[string][]string{}
	var table, col string
	if _, err := pgx.ForEachRow(rows, []any{&table, &col}, func() error {
		cols[table] = append(cols[table], col)
		return nil
	}); err != nil {
		t.Fatalf("listing columns: %v", err)
	}
	storetest.CheckNoText(t, cols)
}

// TestMigrationLockPerSchema holds the migration lock of one schema: Open
// on another schema does not wait for it, Open on the locked one does.
func TestMigrationLockPerSchema(t *testing.T) {
	base := pgtest.URL(t)
	locked, free := pgtest.SchemaIn(t, base, "t"), pgtest.SchemaIn(t, base, "t")
	u, err := url.Parse(locked)
	if err != nil {
		t.Fatal(err)
	}
	c, err := pgx.Connect(t.Context(), base)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(t.Context(), `SELECT pg_advisory_lock(hashtextextended('nudgebot migrations ' || $1, 0))`,
		u.Query().Get("search_path")); err != nil {
		t.Fatalf("taking the lock: %v", err)
	}

	start := time.Now()
	mustOpen(t, free)
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Errorf("Open() of another schema took %v, want no wait for the held lock", d)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
	defer cancel()
	s, err := postgres.Open(ctx, locked)
	if err == nil {
		s.Close()
		t.Fatal("Open() of the locked schema = nil error, want it to wait past the deadline")
	}
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open() of the locked schema = %v, want ErrUnavailable", err)
	}
}

func TestClosed(t *testing.T) {
	s, err := postgres.Open(t.Context(), pgtest.SchemaIn(t, pgtest.URL(t), "t"))
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	s.Close()
	if err := s.Ping(t.Context()); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Ping() after Close() = %v, want ErrUnavailable", err)
	}
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	if _, _, err := s.MarkEvent(t.Context(), "Ev1", now, now.Add(time.Hour)); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("MarkEvent() after Close() = %v, want ErrUnavailable", err)
	}
}
