package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/nudgebot/nudgebot/internal/store"
	"github.com/nudgebot/nudgebot/internal/store/sqlite"
	"github.com/nudgebot/nudgebot/internal/store/storetest"
)

func open(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "nudgebot.db"))
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

func BenchmarkMessage(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store { return open(b) })
}

func TestReopenKeepsData(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "nudgebot.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	if _, err := s.MarkEvent(ctx, "Ev1", now, now.Add(time.Hour)); err != nil {
		t.Fatalf("MarkEvent() = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	// A second Open runs the migrations again: they must be a no-op.
	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("second Open() = %v", err)
	}
	defer s.Close()
	first, err := s.MarkEvent(ctx, "Ev1", now.Add(time.Minute), now.Add(time.Hour))
	if err != nil {
		t.Fatalf("MarkEvent() after reopening = %v", err)
	}
	if first {
		t.Error("MarkEvent() after reopening = true, want false: the event was forgotten")
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
	}{
		{"empty", ""},
		{"query", filepath.Join(t.TempDir(), "x.db") + "?mode=ro"},
		{"missing directory", filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := sqlite.Open(t.Context(), tt.give)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) = nil error, want one", tt.give)
			}
		})
	}
}

func TestClosedIsUnavailable(t *testing.T) {
	s := open(t)
	s.Close()
	if err := s.Ping(t.Context()); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Ping() after Close = %v, want ErrUnavailable", err)
	}
}

func TestSchemaHasNoText(t *testing.T) {
	s := open(t)
	rows, err := s.DB().QueryContext(t.Context(),
		`SELECT m.name, p.name FROM sqlite_schema m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'goose_db_version'`)
	if err != nil {
		t.Fatalf("listing columns: %v", err)
	}
	defer rows.Close()
	cols := map[string][]string{}
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			t.Fatalf("listing columns: %v", err)
		}
		cols[table] = append(cols[table], col)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("listing columns: %v", err)
	}
	storetest.CheckNoText(t, cols)
}
