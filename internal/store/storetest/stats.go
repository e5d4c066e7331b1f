package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/nudgebot/nudgebot/internal/store"
)

func mustFeedback(t *testing.T, s store.Store, id int64, user string, helpful bool) {
	t.Helper()
	if err := s.RecordFeedback(t.Context(), store.Feedback{NudgeID: id, User: user, Helpful: helpful, At: base}); err != nil {
		t.Fatalf("RecordFeedback(%d, %q) = %v", id, user, err)
	}
}

func mustAddScored(t *testing.T, s store.Store, team, channel string, at time.Time, n int) {
	t.Helper()
	if err := s.AddScored(t.Context(), team, channel, at, n); err != nil {
		t.Fatalf("AddScored(%q, %q, %v, %d) = %v", team, channel, at, n, err)
	}
}

func testStats(t *testing.T, s store.Store) {
	from, to := base.Add(-24*time.Hour), base.Add(time.Hour)
	type click struct {
		user    string
		helpful bool
	}
	recs := []struct {
		n      store.Nudge
		clicks []click
	}{
		{store.Nudge{Channel: "C1", User: "U1", RuleID: "contradict.a", Family: "contradict", Outcome: store.Sent, At: base, Escalated: ptr(true)},
			[]click{{"U1", false}}},
		{store.Nudge{Channel: "C1", User: "U1", RuleID: "contradict.a", Family: "contradict", Outcome: store.Sent, At: base.Add(-time.Hour), Escalated: ptr(false)},
			[]click{{"U1", true}}},
		{store.Nudge{Channel: "C1", User: "U2", RuleID: "contradict.b", Family: "contradict", Outcome: store.Sent, At: base},
			[]click{{"U2", false}, {"U9", false}}},
		{store.Nudge{Channel: "C2", User: "U1", RuleID: "blame.x", Family: "blame", Outcome: store.Withheld, At: base, Escalated: ptr(true)}, nil},
		{store.Nudge{Channel: "C2", User: "U3", RuleID: "blame.x", Family: "blame", Outcome: store.Withheld, At: base}, nil},
		{store.Nudge{Channel: "C1", User: "U2", RuleID: "spar.y", Family: "spar", Outcome: store.Shadowed, At: base}, nil},
		{store.Nudge{Channel: "C1", User: "U1", RuleID: "repeat.z", Family: "repeat", Outcome: store.Capped, At: base}, nil},
		{store.Nudge{Channel: "C2", User: "U3", RuleID: "blame.x", Family: "blame", Outcome: store.Sent, At: base, Escalated: ptr(false)},
			[]click{{"U3", false}}},
		// At From exactly: in range.
		{store.Nudge{Channel: "C1", User: "U4", RuleID: "push_to_z.w", Family: "push_to_z", Outcome: store.Sent, At: from},
			[]click{{"U4", true}}},
		// Out of range: at To, just before From, another team.
		{store.Nudge{Channel: "C1", User: "U1", RuleID: "contradict.a", Family: "contradict", Outcome: store.Sent, At: to, Escalated: ptr(true)},
			[]click{{"U1", true}}},
		{store.Nudge{Channel: "C1", User: "U5", RuleID: "defend.q", Family: "defend", Outcome: store.Sent, At: from.Add(-time.Microsecond)},
			[]click{{"U5", false}}},
		{store.Nudge{Team: "T2", Channel: "C1", User: "U1", RuleID: "contradict.a", Family: "contradict", Outcome: store.Withheld, At: base, Escalated: ptr(true)},
			[]click{{"U1", false}}},
	}
	for _, r := range recs {
		if r.n.Team == "" {
			r.n.Team = "T1"
		}
		r.n.Score = 0.7
		id := mustRecord(t, s, r.n)
		for _, c := range r.clicks {
			mustFeedback(t, s, id, c.user, c.helpful)
		}
	}
	mustAddScored(t, s, "T1", "C1", base, 10)
	mustAddScored(t, s, "T1", "C1", base.Add(-time.Minute), 5)
	mustAddScored(t, s, "T1", "C2", base, 7)
	mustAddScored(t, s, "T1", "C1", from, 3)                      // the first day overlaps the range
	mustAddScored(t, s, "T1", "C1", base.Add(-48*time.Hour), 100) // ended before From
	mustAddScored(t, s, "T1", "C1", base.Add(24*time.Hour), 100)  // starts after To
	mustAddScored(t, s, "T2", "C1", base, 1000)

	tests := []struct {
		name string
		give store.Since
		want store.Stats
	}{
		{"workspace", store.Since{Team: "T1", From: from, To: to}, store.Stats{
			Scored: 25, Sent: 5, Shadowed: 1, Withheld: 2, Capped: 1, Agents: 4, Helpful: 2, NotHelpful: 4,
			Families: []store.FamilyStats{
				{Family: "blame", Sent: 1, Withheld: 2, NotHelpful: 1},
				{Family: "contradict", Sent: 3, Helpful: 1, NotHelpful: 3},
				{Family: "push_to_z", Sent: 1, Helpful: 1},
				{Family: "repeat"},
				{Family: "spar", Shadowed: 1},
			},
			Rules: []store.RuleStats{
				{RuleID: "contradict.b", Family: "contradict", Sent: 1, NotHelpful: 2},
				{RuleID: "blame.x", Family: "blame", Sent: 1, NotHelpful: 1},
				{RuleID: "contradict.a", Family: "contradict", Sent: 2, Helpful: 1, NotHelpful: 1},
				{RuleID: "push_to_z.w", Family: "push_to_z", Sent: 1, Helpful: 1},
				{RuleID: "repeat.z", Family: "repeat"},
				{RuleID: "spar.y", Family: "spar"},
			},
			Nudged:  store.EscalationStats{Messages: 5, Replied: 3, Escalated: 1},
			Control: store.EscalationStats{Messages: 2, Replied: 1, Escalated: 1},
		}},
		{"channel", store.Since{Team: "T1", Channel: "C2", From: from, To: to}, store.Stats{
			Scored: 7, Sent: 1, Withheld: 2, Agents: 1, NotHelpful: 1,
			Families: []store.FamilyStats{{Family: "blame", Sent: 1, Withheld: 2, NotHelpful: 1}},
			Rules:    []store.RuleStats{{RuleID: "blame.x", Family: "blame", Sent: 1, NotHelpful: 1}},
			Nudged:   store.EscalationStats{Messages: 1, Replied: 1},
			Control:  store.EscalationStats{Messages: 2, Replied: 1, Escalated: 1},
		}},
		{"user", store.Since{Team: "T1", User: "U1", From: from, To: to}, store.Stats{
			Scored: 25, Sent: 2, Withheld: 1, Capped: 1, Agents: 1, Helpful: 1, NotHelpful: 1,
			Families: []store.FamilyStats{
				{Family: "blame", Withheld: 1},
				{Family: "contradict", Sent: 2, Helpful: 1, NotHelpful: 1},
				{Family: "repeat"},
			},
			Rules: []store.RuleStats{
				{RuleID: "contradict.a", Family: "contradict", Sent: 2, Helpful: 1, NotHelpful: 1},
				{RuleID: "blame.x", Family: "blame"},
				{RuleID: "repeat.z", Family: "repeat"},
			},
			Nudged:  store.EscalationStats{Messages: 2, Replied: 2, Escalated: 1},
			Control: store.EscalationStats{Messages: 1, Replied: 1, Escalated: 1},
		}},
		{"channel and user", store.Since{Team: "T1", Channel: "C1", User: "U2", From: from, To: to}, store.Stats{
			Scored: 18, Sent: 1, Shadowed: 1, Agents: 1, NotHelpful: 2,
			Families: []store.FamilyStats{
				{Family: "contradict", Sent: 1, NotHelpful: 2},
				{Family: "spar", Shadowed: 1},
			},
			Rules: []store.RuleStats{
				{RuleID: "contradict.b", Family: "contradict", Sent: 1, NotHelpful: 2},
				{RuleID: "spar.y", Family: "spar"},
			},
			Nudged: store.EscalationStats{Messages: 1},
		}},
		{"other team", store.Since{Team: "T2", From: from, To: to}, store.Stats{
			Scored: 1000, Withheld: 1, NotHelpful: 1,
			Families: []store.FamilyStats{{Family: "contradict", Withheld: 1, NotHelpful: 1}},
			Rules:    []store.RuleStats{{RuleID: "contradict.a", Family: "contradict", NotHelpful: 1}},
			Control:  store.EscalationStats{Messages: 1, Replied: 1, Escalated: 1},
		}},
		{"empty range", store.Since{Team: "T1", From: base, To: base}, store.Stats{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Stats(t.Context(), tt.give)
			if err != nil {
				t.Fatalf("Stats(%+v) = %v", tt.give, err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Stats(%+v) mismatch (-want +got):\n%s", tt.give, diff)
			}
		})
	}
}

// testStatsScoredDays pins which UTC days a range counts: every day that
// overlaps [From, To).
func testStatsScoredDays(t *testing.T, s store.Store) {
	d := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	plus2 := time.FixedZone("UTC+2", 2*60*60)
	mustAddScored(t, s, "T1", "C1", d.Add(-time.Nanosecond), 1)                    // Mar 1
	mustAddScored(t, s, "T1", "C1", d, 10)                                         // Mar 2
	mustAddScored(t, s, "T1", "C1", time.Date(2026, 3, 3, 1, 0, 0, 0, plus2), 100) // Mar 2, 23:00 UTC
	mustAddScored(t, s, "T1", "C1", d.Add(24*time.Hour), 1000)                     // Mar 3
	tests := []struct {
		name     string
		from, to time.Time
		want     int
	}{
		{"one day", d, d.Add(24 * time.Hour), 110},
		{"part of one day", d.Add(time.Hour), d.Add(2 * time.Hour), 110},
		{"to at midnight excludes that day", d.Add(-time.Hour), d, 1},
		{"to just after midnight includes it", d.Add(-time.Hour), d.Add(time.Microsecond), 111},
		{"three days", d.Add(-time.Hour), d.Add(25 * time.Hour), 1111},
		{"from in a later day", d.Add(24 * time.Hour), d.Add(48 * time.Hour), 1000},
		{"empty", d, d, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Stats(t.Context(), store.Since{Team: "T1", From: tt.from, To: tt.to})
			if err != nil {
				t.Fatalf("Stats() = %v", err)
			}
			if got.Scored != tt.want {
				t.Errorf("Stats(%v, %v).Scored = %d, want %d", tt.from, tt.to, got.Scored, tt.want)
			}
		})
	}
}

func testStatsEmpty(t *testing.T, s store.Store) {
	got, err := s.Stats(t.Context(), store.Since{Team: "T1", From: base.Add(-time.Hour), To: base})
	if err != nil {
		t.Fatalf("Stats() = %v", err)
	}
	if diff := cmp.Diff(store.Stats{}, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Stats() on an empty store mismatch (-want +got):\n%s", diff)
	}
}

func testPrune(t *testing.T, s store.Store) {
	ctx := t.Context()
	now := base
	before := base.Add(-24 * time.Hour)

	// Seen events: one expired by now, one not.
	mark(t, s, "EvOld", base.Add(-2*time.Hour), base.Add(-time.Hour))
	mark(t, s, "EvLive", base.Add(-time.Minute), base.Add(time.Hour))

	oldID := mustRecord(t, s, store.Nudge{Team: "T1", Channel: "C1", User: "U1", RuleID: "r", Family: "spar", Outcome: store.Sent, At: before.Add(-time.Microsecond)})
	keptID := mustRecord(t, s, store.Nudge{Team: "T1", Channel: "C1", User: "U1", RuleID: "r", Family: "spar", Outcome: store.Sent, At: before})
	mustFeedback(t, s, oldID, "U1", false)
	mustFeedback(t, s, keptID, "U1", true)

	claim(t, s, "T1", "C1", "U1", before.Add(-time.Hour), time.Minute) // old mark
	claim(t, s, "T1", "C1", "U2", before.Add(time.Hour), time.Minute)  // kept mark

	mustAddScored(t, s, "T1", "C1", before.Add(-24*time.Hour), 1) // the day before before's: pruned
	mustAddScored(t, s, "T1", "C1", before, 10)                   // before's own day: kept
	mustAddScored(t, s, "T1", "C1", base, 100)

	mustSet(t, s, store.Change{Team: "T1", Channel: "C1", Key: store.KeyShadow, New: "on", By: "U1", At: before.Add(-100 * time.Hour)})
	if err := s.Snooze(ctx, "T1", "U1", base.Add(time.Hour)); err != nil {
		t.Fatalf("Snooze() = %v", err)
	}

	if err := s.Prune(ctx, now, before); err != nil {
		t.Fatalf("Prune() = %v", err)
	}

	if _, err := s.Nudge(ctx, oldID); !isNotFound(err) {
		t.Errorf("Nudge(pruned) = %v, want ErrNotFound", err)
	}
	mustNudge(t, s, keptID)
	all := store.Since{Team: "T1", From: before.Add(-1000 * time.Hour), To: base.Add(time.Hour)}
	st, err := s.Stats(ctx, all)
	if err != nil {
		t.Fatalf("Stats() = %v", err)
	}
	if st.Sent != 1 || st.Helpful != 1 || st.NotHelpful != 0 {
		t.Errorf("after Prune, Stats() Sent, Helpful, NotHelpful = %d, %d, %d, want 1, 1, 0", st.Sent, st.Helpful, st.NotHelpful)
	}
	if st.Scored != 110 {
		t.Errorf("after Prune, Stats().Scored = %d, want 110", st.Scored)
	}
	// A pruned cooldown mark no longer blocks even a very long cooldown;
	// a kept one does.
	if !claim(t, s, "T1", "C1", "U1", base, 1000*time.Hour) {
		t.Error("ClaimCooldown() after its mark was pruned = false, want true")
	}
	if claim(t, s, "T1", "C1", "U2", base, 1000*time.Hour) {
		t.Error("ClaimCooldown() with a kept mark = true, want false")
	}
	// A pruned event is absent even to a caller whose clock is behind; a
	// live one is still seen.
	if !mark(t, s, "EvOld", base.Add(-90*time.Minute), base.Add(time.Hour)) {
		t.Error("MarkEvent(pruned event, earlier clock) = false, want true")
	}
	if mark(t, s, "EvLive", now, base.Add(2*time.Hour)) {
		t.Error("MarkEvent(live event) after Prune = true, want false")
	}
	// Settings, the audit log and live snoozes stay.
	wantSettings(t, s, "T1", "C1", map[string]string{store.KeyShadow: "on"})
	if a, err := s.Audit(ctx, "T1", "C1", 10); err != nil || len(a) != 1 {
		t.Errorf("Audit() after Prune = %d changes, %v; want 1, nil", len(a), err)
	}
	if until, err := s.SnoozedUntil(ctx, "T1", "U1", now); err != nil || !until.Equal(us(base.Add(time.Hour))) {
		t.Errorf("SnoozedUntil() after Prune = %v, %v; want %v", until, err, us(base.Add(time.Hour)))
	}
}
