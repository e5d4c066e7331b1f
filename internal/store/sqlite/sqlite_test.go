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
	if _, _, err := s.MarkEvent(ctx, "Ev1", now, now.Add(time.Hour)); err != nil {
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
	first, _, err := s.MarkEvent(ctx, "Ev1", now.Add(time.Minute), now.Add(time.Hour))
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

// TestMigrateClaims runs migration 2 (nudges rebuilt with the failed
// outcome and one row per message) on data written by version 1: feedback
// survives, a message recorded twice keeps its first record, and new IDs
// follow the old ones.
func TestMigrateClaims(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nudgebot.db")
	old, err := sqlite.OpenAtVersion(ctx, path, 1)
	if err != nil {
		t.Fatalf("OpenAtVersion(1) = %v", err)
	}
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	var ids []int64
	for _, ts := range []string{"1700000000.000100", "1700000000.000100", ""} {
		var id int64
		err := old.DB().QueryRowContext(ctx,
			`INSERT INTO nudges (team, channel, user_id, message_ts, thread_ts, rule_id, family, score, outcome, at)
			VALUES ('T1', 'C1', 'U1', ?, '', 'r', 'f', 0.8, 'sent', ?) RETURNING id`, ts, at.UnixMicro()).Scan(&id)
		if err != nil {
			t.Fatalf("version 1 insert = %v", err)
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		if err := old.RecordFeedback(ctx, store.Feedback{NudgeID: id, User: "U1", Helpful: true, At: at}); err != nil {
			t.Fatalf("version 1 RecordFeedback(%d) = %v", id, err)
		}
	}
	old.Close()

	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open() after version 1 = %v", err)
	}
	defer s.Close()
	if _, err := s.Nudge(ctx, ids[1]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Nudge(%d), the second record of a message = %v, want ErrNotFound", ids[1], err)
	}
	st, err := s.Stats(ctx, store.Since{Team: "T1", From: at, To: at.Add(time.Hour)})
	if err != nil {
		t.Fatalf("Stats() = %v", err)
	}
	if st.Sent != 2 || st.Helpful != 2 {
		t.Errorf("Stats() after the migration: sent %d, helpful %d, want 2, 2", st.Sent, st.Helpful)
	}
	id, err := s.RecordNudge(ctx, store.Nudge{Team: "T1", Channel: "C1", User: "U1", MessageTS: "1700000000.000300", Outcome: store.Sent, At: at})
	if err != nil || id <= ids[2] {
		t.Errorf("RecordNudge() after the migration = %d, %v, want an ID after %d", id, err, ids[2])
	}
	if err := s.SetOutcome(ctx, id, store.Failed); err != nil {
		t.Errorf("SetOutcome(failed) after the migration = %v", err)
	}
	if err := s.RecordFeedback(ctx, store.Feedback{NudgeID: ids[0], User: "U2", At: at}); err != nil {
		t.Errorf("RecordFeedback() on a kept nudge = %v", err)
	}
}
