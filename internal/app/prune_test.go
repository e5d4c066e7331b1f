package app_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nudgebot/nudgebot/internal/app"
	"github.com/nudgebot/nudgebot/internal/slacksim"
	"github.com/nudgebot/nudgebot/internal/store/postgres/pgtest"
)

// counter counts a table's rows in the store a test runs on.
type counter func(t *testing.T, table string) int

func sqliteCounter(path string) counter {
	return func(t *testing.T, table string) int {
		t.Helper()
		db, err := sql.Open("sqlite", path) // modernc's driver, linked in by the app
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
			t.Fatalf("counting %s: %v", table, err)
		}
		return n
	}
}

func pgCounter(dsn string) counter {
	return func(t *testing.T, table string) int {
		t.Helper()
		ctx := context.Background()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		var n int
		if err := c.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatalf("counting %s: %v", table, err)
		}
		return n
	}
}

// TestPruneAtStart shows the tables do not grow forever: the app prunes
// when it starts (and hourly after), so a restart a day later finds the
// seen event IDs gone and the nudge records kept, and one 91 days later
// finds the records gone too.
func TestPruneAtStart(t *testing.T) {
	tests := []struct {
		name string
		give func(t *testing.T) (dsn string, count counter)
	}{
		{"sqlite", func(t *testing.T) (string, counter) {
			p := filepath.Join(t.TempDir(), "prune.db")
			return p, sqliteCounter(p)
		}},
		{"postgres", func(t *testing.T) (string, counter) {
			dsn := pgtest.Schema(t, "app")
			return dsn, pgCounter(dsn)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn, count := tt.give(t)
			sim := newSim(t)
			cfg := simConfig(t, sim)
			cfg.Store = dsn
			start := time.Now()
			// runAt runs the app with its clock offset by d, and returns
			// a func that stops it.
			runAt := func(d time.Duration) (*running, func()) {
				r := run(t, sim, cfg, app.Options{Now: func() time.Time { return time.Now().Add(d) }})
				r.connected(t)
				return r, func() {
					r.stop()
					if err := <-r.done; err != nil {
						t.Errorf("Run = %v", err)
					}
					r.done <- nil
					r.app.Close()
				}
			}

			r, stop := runAt(0)
			for _, text := range []string{"As I already said, read the docs.", "Thanks, checking now."} {
				if h := r.obs.wait(t, sim.Post(slacksim.Msg{Channel: support, User: agent, Text: text}).EventID); h.Err != nil {
					t.Fatalf("message: %+v", h)
				}
			}
			stop()
			if got := [2]int{count(t, "seen_events"), count(t, "nudges")}; got != [2]int{2, 1} {
				t.Fatalf("after two messages: %d seen events and %d nudges, want 2 and 1", got[0], got[1])
			}
			if n := count(t, "scored"); n == 0 {
				t.Fatal("after two messages: no scored counts")
			}

			_, stop = runAt(25 * time.Hour)
			until(t, wait, "the day-old event IDs to be pruned", func() bool { return count(t, "seen_events") == 0 })
			stop()
			if n := count(t, "nudges"); n != 1 {
				t.Errorf("a day later: %d nudges, want 1 (kept 90 days)", n)
			}

			_, stop = runAt(91 * 24 * time.Hour)
			until(t, wait, "the 91-day-old nudge to be pruned", func() bool { return count(t, "nudges") == 0 })
			stop()
			if n := count(t, "scored"); n != 0 {
				t.Errorf("91 days later: %d scored counts, want 0", n)
			}
			t.Logf("pruned in %v", time.Since(start).Round(time.Millisecond))
		})
	}
}
