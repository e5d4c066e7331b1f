// Package storetest is the one behaviour suite every store.Store driver
// runs, plus helpers the drivers' and the bot's tests share: a TCP proxy
// that simulates database outages, a schema privacy check and a benchmark.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/nudgebot/nudgebot/internal/store"
)

// base is the suite's "now". Its nanoseconds check that drivers keep
// microseconds and drop the rest consistently.
var base = time.Date(2026, 3, 2, 10, 30, 0, 123456789, time.UTC)

// us is t as a driver stores it.
func us(t time.Time) time.Time { return t.Truncate(time.Microsecond) }

// Run runs the suite against the stores open returns. Each call to open
// must return a fresh, empty store and arrange for it to be closed (and
// its data dropped) with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		test func(t *testing.T, s store.Store)
	}{
		{"Ping", testPing},
		{"SettingsLevels", testSettingsLevels},
		{"SettingsRemove", testSettingsRemove},
		{"SettingsInvalid", testSettingsInvalid},
		{"SettingsRace", testSettingsRace},
		{"Audit", testAudit},
		{"Channels", testChannels},
		{"Snooze", testSnooze},
		{"MarkEvent", testMarkEvent},
		{"MarkEventRace", testMarkEventRace},
		{"MarkEventHeld", testMarkEventHeld},
		{"FinishEvent", testFinishEvent},
		{"RenewEvent", testRenewEvent},
		{"ClaimCooldown", testClaimCooldown},
		{"ClaimCooldownRace", testClaimCooldownRace},
		{"ClaimCooldownSameEvent", testClaimCooldownSameEvent},
		{"NudgeRoundTrip", testNudgeRoundTrip},
		{"RecordNudgeOncePerMessage", testRecordNudgeOncePerMessage},
		{"RecordNudgeRace", testRecordNudgeRace},
		{"RecordCapped", testRecordCapped},
		{"RecordCappedRace", testRecordCappedRace},
		{"SetOutcome", testSetOutcome},
		{"NudgeNotFound", testNudgeNotFound},
		{"ResolveEscalation", testResolveEscalation},
		{"Feedback", testFeedback},
		{"Stats", testStats},
		{"StatsScoredDays", testStatsScoredDays},
		{"StatsEmpty", testStatsEmpty},
		{"Prune", testPrune},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.test(t, open(t))
		})
	}
}

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping() = %v, want nil", err)
	}
}

func mustSet(t *testing.T, s store.Store, c store.Change) store.Change {
	t.Helper()
	got, err := s.SetSetting(t.Context(), c)
	if err != nil {
		t.Fatalf("SetSetting(%+v) = %v", c, err)
	}
	return got
}

func wantSettings(t *testing.T, s store.Store, team, channel string, want map[string]string) {
	t.Helper()
	got, err := s.Settings(t.Context(), team, channel)
	if err != nil {
		t.Fatalf("Settings(%q, %q) = %v", team, channel, err)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Settings(%q, %q) mismatch (-want +got):\n%s", team, channel, diff)
	}
}

func testSettingsLevels(t *testing.T, s store.Store) {
	mustSet(t, s, store.Change{Team: "T1", Key: store.KeyThreshold, New: "0.6", By: "U1", At: base})
	mustSet(t, s, store.Change{Team: "T1", Channel: "C1", Key: store.KeyThreshold, New: "0.8", By: "U1", At: base})
	mustSet(t, s, store.Change{Team: "T1", Channel: "C1", Key: store.KeyRulePrefix + "blame", New: "off", By: "U1", At: base})
	mustSet(t, s, store.Change{Team: "T1", Channel: "C2", Key: store.KeyEnabled, New: "off", By: "U2", At: base})
	mustSet(t, s, store.Change{Team: "T2", Key: store.KeyCap, New: "5", By: "U9", At: base})

	wantSettings(t, s, "T1", "", map[string]string{store.KeyThreshold: "0.6"})
	wantSettings(t, s, "T1", "C1", map[string]string{store.KeyThreshold: "0.8", "rule.blame": "off"})
	wantSettings(t, s, "T1", "C2", map[string]string{store.KeyEnabled: "off"})
	wantSettings(t, s, "T1", "C3", nil)
	wantSettings(t, s, "T2", "", map[string]string{store.KeyCap: "5"})
	wantSettings(t, s, "T2", "C1", nil)

	got := mustSet(t, s, store.Change{Team: "T1", Channel: "C1", Key: store.KeyThreshold, New: "0.9", By: "U3", At: base.Add(time.Minute)})
	want := store.Change{Team: "T1", Channel: "C1", Key: store.KeyThreshold, Old: "0.8", New: "0.9", By: "U3", At: us(base.Add(time.Minute))}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SetSetting() mismatch (-want +got):\n%s", diff)
	}
	wantSettings(t, s, "T1", "C1", map[string]string{store.KeyThreshold: "0.9", "rule.blame": "off"})
	// The workspace default is untouched by a channel's change.
	wantSettings(t, s, "T1", "", map[string]string{store.KeyThreshold: "0.6"})
}

func testSettingsRemove(t *testing.T, s store.Store) {
	first := mustSet(t, s, store.Change{Team: "T1", Channel: "C1", Key: store.KeyCooldown, New: "5m", By: "U1", At: base})
	if first.Old != "" {
		t.Errorf("first SetSetting().Old = %q, want empty", first.Old)
	}
	got := mustSet(t, s, store.Change{Team: "T1", Channel: "C1", Key: store.KeyCooldown, New: "", By: "U1", At: base.Add(time.Second)})
	if got.Old != "5m" || got.New != "" {
		t.Errorf("removing SetSetting() = Old %q New %q, want Old %q New %q", got.Old, got.New, "5m", "")
	}
	wantSettings(t, s, "T1", "C1", nil)
	// Removing what is not set is harmless and still audited.
	got = mustSet(t, s, store.Change{Team: "T1", Channel: "C1", Key: store.KeyCooldown, New: "", By: "U1", At: base.Add(2 * time.Second)})
	if got.Old != "" {
		t.Errorf("removing unset SetSetting().Old = %q, want empty", got.Old)
	}
	audit, err := s.Audit(t.Context(), "T1", "C1", 10)
	if err != nil {
		t.Fatalf("Audit() = %v", err)
	}
	if len(audit) != 3 {
		t.Errorf("Audit() has %d changes, want 3", len(audit))
	}
}

func testSettingsInvalid(t *testing.T, s store.Store) {
	tests := []struct {
		name string
		give store.Change
	}{
		{"no key", store.Change{Team: "T1", Channel: "C1", New: "x"}},
		{"no team", store.Change{Channel: "C1", Key: store.KeyShadow, New: "on"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.SetSetting(t.Context(), tt.give); err == nil {
				t.Errorf("SetSetting(%+v) = nil error, want one", tt.give)
			}
		})
	}
}

// testSettingsRace checks that concurrent changes of one key each read the
// value they replace: the Olds form one chain from "" to the final value.
func testSettingsRace(t *testing.T, s store.Store) {
	const n = 20
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		changes []store.Change
		errs    []error
	)
	for i := range n {
		wg.Go(func() {
			c, err := s.SetSetting(context.Background(), store.Change{
				Team: "T1", Channel: "C1", Key: store.KeyThreshold,
				New: fmt.Sprintf("0.%02d", i+1), By: "U1", At: base,
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			changes = append(changes, c)
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d SetSetting calls failed, first: %v", len(errs), n, errs[0])
	}
	next := map[string]string{} // old -> new
	for _, c := range changes {
		if prev, dup := next[c.Old]; dup {
			t.Fatalf("two changes replaced %q (to %q and %q): a lost update", c.Old, prev, c.New)
		}
		next[c.Old] = c.New
	}
	v, steps := "", 0
	for ; steps < n; steps++ {
		nv, ok := next[v]
		if !ok {
			break
		}
		v = nv
	}
	if steps != n {
		t.Fatalf("the chain of Old values from \"\" has %d steps, want %d", steps, n)
	}
	wantSettings(t, s, "T1", "C1", map[string]string{store.KeyThreshold: v})
}

func testAudit(t *testing.T, s store.Store) {
	loc := time.FixedZone("UTC+2", 2*60*60)
	changes := []store.Change{
		{Team: "T1", Channel: "C1", Key: store.KeyThreshold, New: "0.7", By: "U1", At: base},
		{Team: "T1", Channel: "C1", Key: store.KeyThreshold, New: "0.8", By: "U2", At: base.Add(time.Minute).In(loc)},
		{Team: "T1", Channel: "C1", Key: store.KeyShadow, New: "on", By: "U1", At: base.Add(2 * time.Minute)},
		// The same time as the previous change: the later write is newer.
		{Team: "T1", Channel: "C1", Key: store.KeyShadow, New: "off", By: "U3", At: base.Add(2 * time.Minute)},
		{Team: "T1", Key: store.KeyThreshold, New: "0.5", By: "U1", At: base.Add(3 * time.Minute)},
		{Team: "T1", Channel: "C2", Key: store.KeyEnabled, New: "off", By: "U1", At: base.Add(4 * time.Minute)},
		{Team: "T2", Channel: "C1", Key: store.KeyEnabled, New: "off", By: "U1", At: base.Add(5 * time.Minute)},
	}
	for _, c := range changes {
		mustSet(t, s, c)
	}
	at := func(d time.Duration) time.Time { return us(base.Add(d)) }
	tests := []struct {
		name          string
		team, channel string
		limit         int
		want          []store.Change
	}{
		{"channel newest first", "T1", "C1", 10, []store.Change{
			{Team: "T1", Channel: "C1", Key: store.KeyShadow, Old: "on", New: "off", By: "U3", At: at(2 * time.Minute)},
			{Team: "T1", Channel: "C1", Key: store.KeyShadow, Old: "", New: "on", By: "U1", At: at(2 * time.Minute)},
			{Team: "T1", Channel: "C1", Key: store.KeyThreshold, Old: "0.7", New: "0.8", By: "U2", At: at(time.Minute)},
			{Team: "T1", Channel: "C1", Key: store.KeyThreshold, Old: "", New: "0.7", By: "U1", At: at(0)},
		}},
		{"limit", "T1", "C1", 2, []store.Change{
			{Team: "T1", Channel: "C1", Key: store.KeyShadow, Old: "on", New: "off", By: "U3", At: at(2 * time.Minute)},
			{Team: "T1", Channel: "C1", Key: store.KeyShadow, Old: "", New: "on", By: "U1", At: at(2 * time.Minute)},
		}},
		{"workspace level", "T1", "", 10, []store.Change{
			{Team: "T1", Key: store.KeyThreshold, New: "0.5", By: "U1", At: at(3 * time.Minute)},
		}},
		{"other team", "T2", "C1", 10, []store.Change{
			{Team: "T2", Channel: "C1", Key: store.KeyEnabled, New: "off", By: "U1", At: at(5 * time.Minute)},
		}},
		{"none", "T1", "C9", 10, nil},
		{"zero limit", "T1", "C1", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Audit(t.Context(), tt.team, tt.channel, tt.limit)
			if err != nil {
				t.Fatalf("Audit(%q, %q, %d) = %v", tt.team, tt.channel, tt.limit, err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Audit(%q, %q, %d) mismatch (-want +got):\n%s", tt.team, tt.channel, tt.limit, diff)
			}
			for _, c := range got {
				if c.At.Location() != time.UTC {
					t.Errorf("Audit() At %v is in %v, want UTC", c.At, c.At.Location())
				}
			}
		})
	}
}

func testChannels(t *testing.T, s store.Store) {
	got, err := s.Channels(t.Context(), "T1")
	if err != nil {
		t.Fatalf("Channels() = %v", err)
	}
	if len(got) != 0 {
		t.Errorf("Channels() on an empty store = %q, want none", got)
	}
	for _, ch := range []string{"C9", "C10", "C2", "", "C2"} {
		mustSet(t, s, store.Change{Team: "T1", Channel: ch, Key: store.KeyShadow, New: "on", By: "U1", At: base})
	}
	mustSet(t, s, store.Change{Team: "T1", Channel: "C2", Key: store.KeyEnabled, New: "off", By: "U1", At: base})
	mustSet(t, s, store.Change{Team: "T2", Channel: "C5", Key: store.KeyShadow, New: "on", By: "U1", At: base})
	// A channel whose last setting was removed has none of its own.
	mustSet(t, s, store.Change{Team: "T1", Channel: "C7", Key: store.KeyShadow, New: "on", By: "U1", At: base})
	mustSet(t, s, store.Change{Team: "T1", Channel: "C7", Key: store.KeyShadow, New: "", By: "U1", At: base})

	got, err = s.Channels(t.Context(), "T1")
	if err != nil {
		t.Fatalf("Channels() = %v", err)
	}
	if want := []string{"C10", "C2", "C9"}; !cmp.Equal(want, got) {
		t.Errorf("Channels(T1) = %q, want %q", got, want)
	}
}

func testSnooze(t *testing.T, s store.Store) {
	ctx := t.Context()
	until := base.Add(time.Hour)
	check := func(team, user string, now, want time.Time) {
		t.Helper()
		got, err := s.SnoozedUntil(ctx, team, user, now)
		if err != nil {
			t.Fatalf("SnoozedUntil(%q, %q, %v) = %v", team, user, now, err)
		}
		if !got.Equal(want) {
			t.Errorf("SnoozedUntil(%q, %q, %v) = %v, want %v", team, user, now, got, want)
		}
	}
	check("T1", "U1", base, time.Time{})
	if err := s.Snooze(ctx, "T1", "U1", until); err != nil {
		t.Fatalf("Snooze() = %v", err)
	}
	check("T1", "U1", base, us(until))
	check("T1", "U1", until.Add(-time.Millisecond), us(until))
	check("T1", "U1", until, time.Time{})
	check("T1", "U1", until.Add(time.Hour), time.Time{})
	check("T1", "U2", base, time.Time{})
	check("T2", "U1", base, time.Time{})

	// A new snooze replaces the old one, shorter or longer.
	if err := s.Snooze(ctx, "T1", "U1", base.Add(10*time.Minute)); err != nil {
		t.Fatalf("Snooze() = %v", err)
	}
	check("T1", "U1", base, us(base.Add(10*time.Minute)))
	check("T1", "U1", base.Add(30*time.Minute), time.Time{})

	if err := s.Snooze(ctx, "T1", "U2", until); err != nil {
		t.Fatalf("Snooze() = %v", err)
	}
	if err := s.Snooze(ctx, "T1", "U2", time.Time{}); err != nil {
		t.Fatalf("Snooze(zero) = %v", err)
	}
	check("T1", "U2", base, time.Time{})
	// Lifting a snooze there is none of is fine.
	if err := s.Snooze(ctx, "T1", "U3", time.Time{}); err != nil {
		t.Fatalf("Snooze(zero) without a snooze = %v", err)
	}
}

func mark(t *testing.T, s store.Store, id string, now, expires time.Time) bool {
	t.Helper()
	first, _, err := s.MarkEvent(t.Context(), id, now, expires)
	if err != nil {
		t.Fatalf("MarkEvent(%q) = %v", id, err)
	}
	return first
}

func testMarkEvent(t *testing.T, s store.Store) {
	exp := base.Add(time.Hour)
	tests := []struct {
		name     string
		id       string
		now, exp time.Time
		want     bool
	}{
		{"first", "Ev1", base, exp, true},
		{"second", "Ev1", base.Add(time.Minute), exp, false},
		{"other id", "Ev2", base, exp, true},
		{"just before expiry", "Ev1", exp.Add(-time.Microsecond), exp.Add(time.Hour), false},
		{"at expiry", "Ev1", exp, exp.Add(time.Hour), true},
		{"after re-marking", "Ev1", exp.Add(time.Minute), exp.Add(2 * time.Hour), false},
		{"long after expiry", "Ev2", base.Add(48 * time.Hour), base.Add(49 * time.Hour), true},
	}
	for _, tt := range tests {
		if got := mark(t, s, tt.id, tt.now, tt.exp); got != tt.want {
			t.Errorf("%s: MarkEvent(%q, %v) = %v, want %v", tt.name, tt.id, tt.now, got, tt.want)
		}
	}
}

// race runs f in n goroutines at once and returns how many returned true.
func race(t *testing.T, n int, f func() (bool, error)) int {
	t.Helper()
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		mu    sync.Mutex
		wins  int
		errs  []error
	)
	for range n {
		wg.Go(func() {
			<-start
			ok, err := f()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else if ok {
				wins++
			}
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d racing calls failed, first: %v", len(errs), n, errs[0])
	}
	return wins
}

func testMarkEventRace(t *testing.T, s store.Store) {
	for round := range 3 {
		id := fmt.Sprintf("EvRace%d", round)
		wins := race(t, 50, func() (bool, error) {
			first, _, err := s.MarkEvent(context.Background(), id, base, base.Add(time.Hour))
			return first, err
		})
		if wins != 1 {
			t.Errorf("50 racing MarkEvent(%q): %d got first, want 1", id, wins)
		}
	}
	// Racing to replace an expired mark: still exactly one.
	wins := race(t, 50, func() (bool, error) {
		first, _, err := s.MarkEvent(context.Background(), "EvRace0", base.Add(2*time.Hour), base.Add(3*time.Hour))
		return first, err
	})
	if wins != 1 {
		t.Errorf("50 racing MarkEvent on an expired ID: %d got first, want 1", wins)
	}
}

func claim(t *testing.T, s store.Store, team, channel, user string, now time.Time, cooldown time.Duration) bool {
	t.Helper()
	return claimFor(t, s, team, channel, user, "", now, cooldown)
}

func claimFor(t *testing.T, s store.Store, team, channel, user, eventID string, now time.Time, cooldown time.Duration) bool {
	t.Helper()
	ok, err := s.ClaimCooldown(t.Context(), team, channel, user, eventID, now, cooldown)
	if err != nil {
		t.Fatalf("ClaimCooldown(%q, %q, %q, %q, %v, %v) = %v", team, channel, user, eventID, now, cooldown, err)
	}
	return ok
}

func testClaimCooldown(t *testing.T, s store.Store) {
	const cd = 10 * time.Minute
	tests := []struct {
		name                string
		team, channel, user string
		at                  time.Duration // after base
		cooldown            time.Duration
		want                bool
	}{
		{"first claim", "T1", "C1", "U1", 0, cd, true},
		{"within", "T1", "C1", "U1", 5 * time.Minute, cd, false},
		{"just within", "T1", "C1", "U1", cd - time.Microsecond, cd, false},
		{"exactly cooldown later", "T1", "C1", "U1", cd, cd, true},
		{"a failed claim kept the mark", "T1", "C1", "U1", cd + 9*time.Minute, cd, false},
		{"after", "T1", "C1", "U1", 2*cd + time.Second, cd, true},
		{"other channel", "T1", "C2", "U1", 2*cd + time.Second, cd, true},
		{"other user", "T1", "C1", "U2", 2*cd + time.Second, cd, true},
		{"other team", "T2", "C1", "U1", 2*cd + time.Second, cd, true},
		{"shorter cooldown", "T1", "C1", "U1", 2*cd + 2*time.Minute, time.Minute, true},
		{"zero cooldown", "T1", "C1", "U1", 2*cd + 2*time.Minute, 0, true},
		{"zero cooldown again", "T1", "C1", "U1", 2*cd + 2*time.Minute, 0, true},
		{"zero cooldown records the claim", "T1", "C1", "U1", 2*cd + 3*time.Minute, cd, false},
		{"zero cooldown, no mark", "T1", "C3", "U3", 0, 0, true},
		{"after a zero cooldown claim", "T1", "C3", "U3", time.Minute, cd, false},
		{"an earlier clock loses", "T1", "C9", "U9", time.Hour, cd, true},
		{"earlier clock", "T1", "C9", "U9", 0, cd, false},
	}
	for _, tt := range tests {
		if got := claim(t, s, tt.team, tt.channel, tt.user, base.Add(tt.at), tt.cooldown); got != tt.want {
			t.Errorf("%s: ClaimCooldown(%q, %q, %q, base+%v, %v) = %v, want %v",
				tt.name, tt.team, tt.channel, tt.user, tt.at, tt.cooldown, got, tt.want)
		}
	}
}

func testClaimCooldownRace(t *testing.T, s store.Store) {
	for round := range 3 {
		now := base.Add(time.Duration(round) * time.Hour)
		wins := race(t, 50, func() (bool, error) {
			return s.ClaimCooldown(context.Background(), "T1", "C1", "U1", "", now, 10*time.Minute)
		})
		if wins != 1 {
			t.Errorf("round %d: 50 racing ClaimCooldown: %d won, want 1", round, wins)
		}
	}
	// With no cooldown every claim succeeds.
	wins := race(t, 20, func() (bool, error) {
		return s.ClaimCooldown(context.Background(), "T1", "C1", "U1", "", base.Add(5*time.Hour), 0)
	})
	if wins != 20 {
		t.Errorf("20 racing ClaimCooldown with cooldown 0: %d won, want 20", wins)
	}
}

// testMarkEventHeld checks that a caller who lost the claim learns when
// the live mark expires, so it can tell a lease from a finished event.
func testMarkEventHeld(t *testing.T, s store.Store) {
	lease := base.Add(30 * time.Second)
	if !mark(t, s, "EvHeld", base, lease) {
		t.Fatal("MarkEvent(EvHeld) = false on an empty store")
	}
	first, held, err := s.MarkEvent(t.Context(), "EvHeld", base.Add(time.Second), base.Add(time.Minute))
	if err != nil || first || !held.Equal(us(lease)) {
		t.Errorf("MarkEvent(held EvHeld) = %v, %v, %v, want false, %v, nil", first, held, err, us(lease))
	}
	// The loser changed nothing: the mark still ends with the lease.
	if !mark(t, s, "EvHeld", lease, lease.Add(time.Minute)) {
		t.Error("MarkEvent(EvHeld) at the lease's end = false, want true")
	}
}

// testFinishEvent checks that FinishEvent extends a lease, so a second
// claimant sees the event as taken after the lease, and that it creates
// a mark that is gone.
func testFinishEvent(t *testing.T, s store.Store) {
	ctx := t.Context()
	lease, day := base.Add(30*time.Second), base.Add(24*time.Hour)
	if !mark(t, s, "EvFin", base, lease) {
		t.Fatal("MarkEvent(EvFin) = false on an empty store")
	}
	if err := s.FinishEvent(ctx, "EvFin", day); err != nil {
		t.Fatalf("FinishEvent(EvFin) = %v", err)
	}
	first, held, err := s.MarkEvent(ctx, "EvFin", lease.Add(time.Second), lease.Add(time.Minute))
	if err != nil || first || !held.Equal(us(day)) {
		t.Errorf("MarkEvent(finished EvFin) after the lease = %v, %v, %v, want false, %v, nil", first, held, err, us(day))
	}
	// Never claimed (or pruned): FinishEvent marks it.
	if err := s.FinishEvent(ctx, "EvFinNew", day); err != nil {
		t.Fatalf("FinishEvent(EvFinNew) = %v", err)
	}
	if mark(t, s, "EvFinNew", base, lease) {
		t.Error("MarkEvent(EvFinNew) after FinishEvent = true, want false")
	}
	// An unfinished lease expires and the event can be taken again.
	if !mark(t, s, "EvLease", base, lease) || !mark(t, s, "EvLease", lease, lease.Add(30*time.Second)) {
		t.Error("MarkEvent(EvLease) after its lease expired = false, want true")
	}
}

// testRenewEvent checks that a claimant can extend its own lease, so a
// second claimant after the old lease's end still finds the event held,
// and that a lease another claimant took over (or a mark that is gone)
// is not renewed.
func testRenewEvent(t *testing.T, s store.Store) {
	ctx := t.Context()
	lease := us(base.Add(30 * time.Second))
	if !mark(t, s, "EvRenew", base, lease) {
		t.Fatal("MarkEvent(EvRenew) = false on an empty store")
	}
	longer := us(lease.Add(time.Minute))
	if ok, err := s.RenewEvent(ctx, "EvRenew", lease, longer); err != nil || !ok {
		t.Fatalf("RenewEvent(own lease) = %v, %v, want true, nil", ok, err)
	}
	first, held, err := s.MarkEvent(ctx, "EvRenew", lease.Add(time.Second), lease.Add(time.Hour))
	if err != nil || first || !held.Equal(longer) {
		t.Errorf("MarkEvent after the old lease = %v, %v, %v, want false, %v, nil", first, held, err, longer)
	}
	// The old lease is no longer what holds it: renewing from it fails.
	if ok, err := s.RenewEvent(ctx, "EvRenew", lease, longer.Add(time.Minute)); err != nil || ok {
		t.Errorf("RenewEvent(stale lease) = %v, %v, want false, nil", ok, err)
	}
	// Taken over by another claimant once the renewed lease ran out.
	taken := us(longer.Add(time.Minute))
	if !mark(t, s, "EvRenew", longer, taken) {
		t.Fatal("MarkEvent at the renewed lease's end = false, want true")
	}
	if ok, err := s.RenewEvent(ctx, "EvRenew", longer, taken.Add(time.Minute)); err != nil || ok {
		t.Errorf("RenewEvent(lease taken over) = %v, %v, want false, nil", ok, err)
	}
	if ok, err := s.RenewEvent(ctx, "EvNever", lease, longer); err != nil || ok {
		t.Errorf("RenewEvent(no mark) = %v, %v, want false, nil", ok, err)
	}
}

func testClaimCooldownSameEvent(t *testing.T, s store.Store) {
	const cd = 10 * time.Minute
	tests := []struct {
		name, event string
		at          time.Duration // after base
		want        bool
	}{
		{"first claim", "Ev1", 0, true},
		{"same event again", "Ev1", time.Minute, true},
		{"another event within", "Ev2", 2 * time.Minute, false},
		{"no event within", "", 2 * time.Minute, false},
		{"same event after another's failed claim", "Ev1", 3 * time.Minute, true},
		{"another event after the cooldown", "Ev2", 3*time.Minute + cd, true},
		{"the first event, now taken over", "Ev1", 4*time.Minute + cd, false},
		{"no event never matches no event", "", 5 * cd, true},
		{"no event, again within", "", 5*cd + time.Minute, false},
	}
	for _, tt := range tests {
		if got := claimFor(t, s, "T1", "C1", "U1", tt.event, base.Add(tt.at), cd); got != tt.want {
			t.Errorf("%s: ClaimCooldown(event %q, base+%v) = %v, want %v", tt.name, tt.event, tt.at, got, tt.want)
		}
	}
}

// testRecordNudgeOncePerMessage checks that a message recorded twice (a
// retry, or a replica taking over a dead one's event) is one record,
// updated by the second, and counted once.
func testRecordNudgeOncePerMessage(t *testing.T, s store.Store) {
	first := store.Nudge{Team: "T1", Channel: "C1", User: "U1", MessageTS: "1700000000.000100",
		RuleID: "contradict.actually", Family: "contradict", Score: 0.8, Outcome: store.Sent, At: base}
	id := mustRecord(t, s, first)
	again := first
	again.RuleID, again.Family, again.Score, again.Outcome, again.At = "blame.you_did", "blame", 0.7, store.Withheld, base.Add(time.Minute)
	if id2 := mustRecord(t, s, again); id2 != id {
		t.Fatalf("RecordNudge(same message) = %d, want the first record's %d", id2, id)
	}
	want := again
	want.ID, want.At = id, us(again.At)
	if diff := cmp.Diff(want, mustNudge(t, s, id)); diff != "" {
		t.Errorf("Nudge(%d) after the second record mismatch (-want +got):\n%s", id, diff)
	}
	// Other channels, other messages and records without a ts are their own.
	others := []store.Nudge{
		{Team: "T1", Channel: "C2", User: "U1", MessageTS: first.MessageTS, Outcome: store.Sent, At: base},
		{Team: "T2", Channel: "C1", User: "U1", MessageTS: first.MessageTS, Outcome: store.Sent, At: base},
		{Team: "T1", Channel: "C1", User: "U1", MessageTS: "1700000000.000200", Outcome: store.Sent, At: base},
		{Team: "T1", Channel: "C1", User: "U1", Outcome: store.Sent, At: base},
		{Team: "T1", Channel: "C1", User: "U1", Outcome: store.Sent, At: base},
	}
	ids := map[int64]bool{id: true}
	for _, n := range others {
		got := mustRecord(t, s, n)
		if ids[got] {
			t.Errorf("RecordNudge(%+v) = %d, an ID it returned before", n, got)
		}
		ids[got] = true
	}
	st, err := s.Stats(t.Context(), store.Since{Team: "T1", Channel: "C1", From: base.Add(-time.Hour), To: base.Add(time.Hour)})
	if err != nil {
		t.Fatalf("Stats() = %v", err)
	}
	if st.Sent != 3 || st.Withheld != 1 {
		t.Errorf("Stats(T1, C1): sent %d, withheld %d, want 3, 1", st.Sent, st.Withheld)
	}
}

func testRecordNudgeRace(t *testing.T, s store.Store) {
	n := store.Nudge{Team: "T1", Channel: "C1", User: "U1", MessageTS: "1700000000.000900", Outcome: store.Sent, At: base}
	var (
		mu  sync.Mutex
		ids = map[int64]int{}
	)
	race(t, 20, func() (bool, error) {
		id, err := s.RecordNudge(context.Background(), n)
		mu.Lock()
		ids[id]++
		mu.Unlock()
		return true, err
	})
	if len(ids) != 1 {
		t.Errorf("20 racing RecordNudge of one message returned IDs %v, want one ID", ids)
	}
}

// testRecordCapped checks the daily cap's count: sent records of the
// agent since from count, other outcomes, other agents, earlier records
// and the message's own record do not.
func testRecordCapped(t *testing.T, s store.Store) {
	ctx := t.Context()
	day := base.Add(-time.Hour)
	rec := func(ts, channel, user string, want store.Outcome, limit int) store.Outcome {
		t.Helper()
		n := store.Nudge{Team: "T1", Channel: channel, User: user, MessageTS: ts, Family: "repeat", Outcome: want, At: base}
		id, got, err := s.RecordCapped(ctx, n, day, limit)
		if err != nil {
			t.Fatalf("RecordCapped(%s) = %v", ts, err)
		}
		if stored := mustNudge(t, s, id).Outcome; stored != got {
			t.Fatalf("RecordCapped(%s) returned %q, stored %q", ts, got, stored)
		}
		return got
	}
	// Not counted: yesterday's, another agent's, a shadowed one, a failed one.
	mustRecord(t, s, store.Nudge{Team: "T1", Channel: "C1", User: "U1", MessageTS: "1.1", Outcome: store.Sent, At: day.Add(-time.Second)})
	mustRecord(t, s, store.Nudge{Team: "T1", Channel: "C1", User: "U2", MessageTS: "1.2", Outcome: store.Sent, At: base})
	mustRecord(t, s, store.Nudge{Team: "T1", Channel: "C1", User: "U1", MessageTS: "1.3", Outcome: store.Shadowed, At: base})
	mustRecord(t, s, store.Nudge{Team: "T1", Channel: "C1", User: "U1", MessageTS: "1.4", Outcome: store.Failed, At: base})
	mustRecord(t, s, store.Nudge{Team: "T2", Channel: "C1", User: "U1", MessageTS: "1.5", Outcome: store.Sent, At: base})
	if got := rec("2.1", "C1", "U1", store.Sent, 2); got != store.Sent {
		t.Errorf("first of a cap of 2 = %q, want sent", got)
	}
	if got := rec("2.2", "C2", "U1", store.Withheld, 2); got != store.Withheld {
		t.Errorf("withheld under the cap = %q, want withheld (it is not sent, so it does not count)", got)
	}
	if got := rec("2.3", "C2", "U1", store.Sent, 2); got != store.Sent {
		t.Errorf("second of a cap of 2 = %q, want sent", got)
	}
	if got := rec("2.4", "C1", "U1", store.Sent, 2); got != store.Capped {
		t.Errorf("third of a cap of 2 = %q, want capped", got)
	}
	if got := rec("2.5", "C1", "U1", store.Withheld, 2); got != store.Capped {
		t.Errorf("withheld past the cap = %q, want capped", got)
	}
	// A retry of a message already recorded as sent is not capped by itself.
	if got := rec("2.3", "C2", "U1", store.Sent, 2); got != store.Sent {
		t.Errorf("the same message again = %q, want sent", got)
	}
	if got := rec("2.6", "C1", "U1", store.Sent, 0); got != store.Sent {
		t.Errorf("limit 0 = %q, want sent (no cap)", got)
	}
	// The day starts at from: a record at from counts, one just before
	// does not.
	mustRecord(t, s, store.Nudge{Team: "T1", Channel: "C1", User: "U3", MessageTS: "3.1", Outcome: store.Sent, At: day})
	mustRecord(t, s, store.Nudge{Team: "T1", Channel: "C1", User: "U4", MessageTS: "3.2", Outcome: store.Sent,
		At: day.Add(-time.Microsecond)})
	if got := rec("3.3", "C1", "U3", store.Sent, 1); got != store.Capped {
		t.Errorf("after a sent nudge at from, cap 1 = %q, want capped", got)
	}
	if got := rec("3.4", "C1", "U4", store.Sent, 1); got != store.Sent {
		t.Errorf("after a sent nudge just before from, cap 1 = %q, want sent", got)
	}
}

// testRecordCappedRace races agents' messages in different channels for
// the last slots of a cap: exactly the cap's worth are sent.
func testRecordCappedRace(t *testing.T, s store.Store) {
	const limit, n = 3, 12
	var (
		mu sync.Mutex
		k  int
	)
	sent := race(t, n, func() (bool, error) {
		mu.Lock()
		k++
		ts := fmt.Sprintf("1700000000.%06d", k)
		mu.Unlock()
		nd := store.Nudge{Team: "T1", Channel: "C" + ts[len(ts)-2:], User: "U1", MessageTS: ts, Outcome: store.Sent, At: base}
		_, got, err := s.RecordCapped(context.Background(), nd, base.Add(-time.Hour), limit)
		return got == store.Sent, err
	})
	if sent != limit {
		t.Errorf("%d racing RecordCapped with a cap of %d sent %d", n, limit, sent)
	}
}

func testSetOutcome(t *testing.T, s store.Store) {
	ctx := t.Context()
	n := store.Nudge{Team: "T1", Channel: "C1", User: "U1", MessageTS: "1700000000.000100",
		RuleID: "contradict.actually", Family: "contradict", Score: 0.8, Outcome: store.Sent, At: base}
	id := mustRecord(t, s, n)
	mustRecord(t, s, store.Nudge{Team: "T1", Channel: "C1", User: "U1", MessageTS: "1700000000.000200",
		Family: "contradict", Outcome: store.Sent, At: base})
	if err := s.SetOutcome(ctx, id, store.Failed); err != nil {
		t.Fatalf("SetOutcome(%d, failed) = %v", id, err)
	}
	if got := mustNudge(t, s, id).Outcome; got != store.Failed {
		t.Errorf("Nudge(%d).Outcome = %q, want failed", id, got)
	}
	if err := s.SetOutcome(ctx, id+1000, store.Failed); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetOutcome(%d) = %v, want ErrNotFound", id+1000, err)
	}
	st, err := s.Stats(ctx, store.Since{Team: "T1", From: base.Add(-time.Hour), To: base.Add(time.Hour)})
	if err != nil {
		t.Fatalf("Stats() = %v", err)
	}
	if st.Sent != 1 || st.Failed != 1 || st.Agents != 1 || st.Nudged.Messages != 1 {
		t.Errorf("Stats() = sent %d, failed %d, agents %d, nudged %d; want 1, 1, 1, 1",
			st.Sent, st.Failed, st.Agents, st.Nudged.Messages)
	}
}

func ptr[T any](v T) *T { return &v }

func mustRecord(t *testing.T, s store.Store, n store.Nudge) int64 {
	t.Helper()
	id, err := s.RecordNudge(t.Context(), n)
	if err != nil {
		t.Fatalf("RecordNudge(%+v) = %v", n, err)
	}
	return id
}

func mustNudge(t *testing.T, s store.Store, id int64) store.Nudge {
	t.Helper()
	n, err := s.Nudge(t.Context(), id)
	if err != nil {
		t.Fatalf("Nudge(%d) = %v", id, err)
	}
	return n
}

func testNudgeRoundTrip(t *testing.T, s store.Store) {
	loc := time.FixedZone("UTC-5", -5*60*60)
	tests := []struct {
		name string
		give store.Nudge
	}{
		{"sent, unresolved", store.Nudge{Team: "T1", Channel: "C1", User: "U1", MessageTS: "1700000000.000100",
			ThreadTS: "1700000000.000001", RuleID: "contradict.actually", Family: "contradict", Score: 0.8125,
			Outcome: store.Sent, At: base}},
		{"withheld, escalated", store.Nudge{Team: "T1", Channel: "C1", User: "U2", MessageTS: "1700000001.000200",
			RuleID: "blame.you_did", Family: "blame", Score: 0.61, Outcome: store.Withheld,
			At: base.Add(time.Second).In(loc), Escalated: ptr(true)}},
		{"shadowed, not escalated", store.Nudge{Team: "T2", Channel: "C9", User: "U3", MessageTS: "1700000002.000300",
			ThreadTS: "1700000002.000001", RuleID: "spar.lol", Family: "spar", Score: 1, Outcome: store.Shadowed,
			At: base.Add(-48 * time.Hour), Escalated: ptr(false)}},
		{"capped", store.Nudge{Team: "T1", Channel: "C1", User: "U1", MessageTS: "1700000003.000400",
			RuleID: "repeat.as_i_said", Family: "repeat", Score: 0.6000001, Outcome: store.Capped, At: base}},
	}
	ids := map[int64]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := mustRecord(t, s, tt.give)
			if ids[id] {
				t.Fatalf("RecordNudge() = %d, an ID it returned before", id)
			}
			ids[id] = true
			got := mustNudge(t, s, id)
			want := tt.give
			want.ID = id
			want.At = us(want.At).UTC()
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Nudge(%d) mismatch (-want +got):\n%s", id, diff)
			}
			if got.At.Location() != time.UTC {
				t.Errorf("Nudge(%d).At in %v, want UTC", id, got.At.Location())
			}
		})
	}
}

func testNudgeNotFound(t *testing.T, s store.Store) {
	if _, err := s.Nudge(t.Context(), 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Nudge(1) on an empty store = %v, want ErrNotFound", err)
	}
	id := mustRecord(t, s, store.Nudge{Team: "T1", Channel: "C1", User: "U1", Outcome: store.Sent, At: base})
	if _, err := s.Nudge(t.Context(), id+1000); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Nudge(%d) = %v, want ErrNotFound", id+1000, err)
	}
}

func testResolveEscalation(t *testing.T, s store.Store) {
	const th = "1700000000.000001"
	type rec struct {
		name string
		n    store.Nudge
		want *bool // Escalated after resolving the thread th in C1 since base
	}
	recs := []rec{
		{"sent in thread", store.Nudge{Channel: "C1", ThreadTS: th, Outcome: store.Sent, At: base}, ptr(true)},
		{"withheld in thread", store.Nudge{Channel: "C1", ThreadTS: th, Outcome: store.Withheld, At: base.Add(time.Minute)}, ptr(true)},
		{"shadowed", store.Nudge{Channel: "C1", ThreadTS: th, Outcome: store.Shadowed, At: base}, nil},
		{"capped", store.Nudge{Channel: "C1", ThreadTS: th, Outcome: store.Capped, At: base}, nil},
		{"before since", store.Nudge{Channel: "C1", ThreadTS: th, Outcome: store.Sent, At: base.Add(-time.Microsecond)}, nil},
		{"other thread", store.Nudge{Channel: "C1", ThreadTS: "1700000000.000002", Outcome: store.Sent, At: base}, nil},
		{"channel level", store.Nudge{Channel: "C1", Outcome: store.Sent, At: base}, nil},
		{"other channel", store.Nudge{Channel: "C2", ThreadTS: th, Outcome: store.Sent, At: base}, nil},
		{"other team", store.Nudge{Team: "T2", Channel: "C1", ThreadTS: th, Outcome: store.Sent, At: base}, nil},
		{"already resolved", store.Nudge{Channel: "C1", ThreadTS: th, Outcome: store.Sent, At: base, Escalated: ptr(false)}, ptr(false)},
		// The message that started the thread: the customer answered in
		// its thread.
		{"thread's parent", store.Nudge{Channel: "C1", MessageTS: th, Outcome: store.Sent, At: base}, ptr(true)},
	}
	ids := make([]int64, len(recs))
	for i, r := range recs {
		if r.n.Team == "" {
			r.n.Team = "T1"
		}
		r.n.User = "U1"
		ids[i] = mustRecord(t, s, r.n)
	}
	resolve := func(channel, thread string, since time.Time, esc bool, want int) {
		t.Helper()
		got, err := s.ResolveEscalation(t.Context(), "T1", channel, thread, since, esc)
		if err != nil {
			t.Fatalf("ResolveEscalation(%q, %q) = %v", channel, thread, err)
		}
		if got != want {
			t.Errorf("ResolveEscalation(%q, %q, %v, %v) = %d, want %d", channel, thread, since, esc, got, want)
		}
	}
	resolve("C1", th, base, true, 3)
	for i, r := range recs {
		got := mustNudge(t, s, ids[i]).Escalated
		if !cmp.Equal(r.want, got) {
			t.Errorf("%s: Escalated = %v, want %v", r.name, fmtBool(got), fmtBool(r.want))
		}
	}
	// Only unresolved records are set: a second resolution changes nothing.
	resolve("C1", th, base, false, 0)
	if got := mustNudge(t, s, ids[0]).Escalated; got == nil || !*got {
		t.Errorf("a second ResolveEscalation overwrote Escalated: %v, want true", fmtBool(got))
	}
	resolve("C1", "", base, false, 1)
	if got := mustNudge(t, s, ids[6]).Escalated; got == nil || *got {
		t.Errorf("channel-level Escalated = %v, want false", fmtBool(got))
	}
	resolve("C1", th, base.Add(-time.Hour), false, 1) // the one before since
	resolve("C9", th, base, true, 0)
}

func fmtBool(b *bool) string {
	if b == nil {
		return "nil"
	}
	return fmt.Sprint(*b)
}

func testFeedback(t *testing.T, s store.Store) {
	ctx := t.Context()
	id := mustRecord(t, s, store.Nudge{Team: "T1", Channel: "C1", User: "U1", RuleID: "r1", Family: "spar", Outcome: store.Sent, At: base})
	q := store.Since{Team: "T1", From: base.Add(-time.Hour), To: base.Add(time.Hour)}
	clicks := func(wantHelpful, wantNot int) {
		t.Helper()
		st, err := s.Stats(ctx, q)
		if err != nil {
			t.Fatalf("Stats() = %v", err)
		}
		if st.Helpful != wantHelpful || st.NotHelpful != wantNot {
			t.Errorf("Stats() Helpful, NotHelpful = %d, %d, want %d, %d", st.Helpful, st.NotHelpful, wantHelpful, wantNot)
		}
	}
	if err := s.RecordFeedback(ctx, store.Feedback{NudgeID: id, User: "U1", Helpful: true, At: base}); err != nil {
		t.Fatalf("RecordFeedback() = %v", err)
	}
	clicks(1, 0)
	// A second click by the same user replaces the first.
	if err := s.RecordFeedback(ctx, store.Feedback{NudgeID: id, User: "U1", Helpful: false, At: base.Add(time.Second)}); err != nil {
		t.Fatalf("RecordFeedback() again = %v", err)
	}
	clicks(0, 1)
	if err := s.RecordFeedback(ctx, store.Feedback{NudgeID: id, User: "U1", Helpful: false, At: base.Add(2 * time.Second)}); err != nil {
		t.Fatalf("RecordFeedback() a third time = %v", err)
	}
	clicks(0, 1)
	// Another user's click is its own.
	if err := s.RecordFeedback(ctx, store.Feedback{NudgeID: id, User: "U2", Helpful: true, At: base}); err != nil {
		t.Fatalf("RecordFeedback() by U2 = %v", err)
	}
	clicks(1, 1)
	err := s.RecordFeedback(ctx, store.Feedback{NudgeID: id + 1000, User: "U1", Helpful: true, At: base})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RecordFeedback(unknown nudge) = %v, want ErrNotFound", err)
	}
	clicks(1, 1)
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
