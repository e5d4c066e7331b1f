package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nudgebot/nudgebot/internal/replay/gen"
	"github.com/nudgebot/nudgebot/internal/score"
)

// recorder wraps score.Evaluate to see what replay scored, with which
// context.
type recorder struct {
	mu    sync.Mutex
	calls map[int64]score.Message // by At in microseconds
}

func (r *recorder) evaluate(m score.Message, rules *score.Rules) score.Result {
	r.mu.Lock()
	if r.calls == nil {
		r.calls = map[int64]score.Message{}
	}
	r.calls[m.At.UnixMicro()] = m
	r.mu.Unlock()
	return score.Evaluate(m, rules)
}

func runFixture(t *testing.T, path string, opts Options) (*Report, *recorder) {
	t.Helper()
	rec := &recorder{}
	opts.evaluate = rec.evaluate
	rep, err := Run(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("Run(%s) error: %v", path, err)
	}
	return rep, rec
}

func TestRunScoresAgentsWithContext(t *testing.T) {
	for _, kind := range []string{"folder", "zip", "zip-in-folder"} {
		t.Run(kind, func(t *testing.T) {
			rep, rec := runFixture(t, writeFixture(t, kind, fixtureFiles()), Options{})

			wantScored := map[int64]fxMsg{}
			wantSkips := map[string]int{}
			customers := 0
			for _, f := range fixtureMessages() {
				switch {
				case f.want == "score":
					wantScored[mustTS(f.m["ts"].(string))] = f
				case f.want == "customer":
					customers++
				default:
					wantSkips[strings.TrimPrefix(f.want, "skip: ")]++
				}
			}
			for at, f := range wantScored {
				got, ok := rec.calls[at]
				if !ok {
					t.Errorf("message %s by %s (%q) not scored", f.m["ts"], f.m["user"], f.m["text"])
					continue
				}
				if got.Text != f.m["text"] || got.Context != f.context {
					t.Errorf("message %s scored as (text %q, context %q), want (%q, %q)", f.m["ts"], got.Text, got.Context, f.m["text"], f.context)
				}
			}
			for at, got := range rec.calls {
				if _, ok := wantScored[at]; !ok {
					t.Errorf("scored %q at %d, which must not be scored", got.Text, at)
				}
			}
			if rep.Messages.Scored != len(wantScored) || rep.Messages.Customer != customers {
				t.Errorf("scored %d, customers %d; want %d, %d", rep.Messages.Scored, rep.Messages.Customer, len(wantScored), customers)
			}
			if diff := cmp.Diff(wantSkips, rep.Messages.Skipped); diff != "" {
				t.Errorf("skipped messages (-want +got):\n%s", diff)
			}

			// Files: the cut-short day file, the DM, the group DM, the
			// unlisted folder and the canvas are skipped, each named.
			prefix := ""
			if kind == "zip-in-folder" {
				prefix = "Acme Slack export Mar 10 2025/"
			}
			wantFiles := map[string]string{
				"billing/2025-03-10.json":           "invalid JSON",
				"D1/2025-03-10.json":                "direct message",
				"mpdm-u1--u2--g1-1/2025-03-10.json": "direct message",
				"old-unlisted/2025-03-10.json":      "not listed",
				"support/canvas_F0CANVAS.json":      "not a day file",
			}
			if len(rep.Files.Skipped) != len(wantFiles) {
				t.Errorf("skipped files = %+v, want %d", rep.Files.Skipped, len(wantFiles))
			}
			for _, s := range rep.Files.Skipped {
				want, ok := wantFiles[strings.TrimPrefix(s.File, prefix)]
				if !ok || !strings.Contains(s.Reason, want) {
					t.Errorf("skipped file %s (%s), want one of %v", s.File, s.Reason, wantFiles)
				}
			}
			if !slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.Contains(w, "billing/2025-03-10.json") }) {
				t.Errorf("warnings %q do not name the malformed day file", rep.Warnings)
			}
			if rep.Files.Read != 5 { // support ×2, billing ×2 (one bad), vip-support
				t.Errorf("day files read = %d, want 5", rep.Files.Read)
			}
			if rep.HomeTeam != "T1" || rep.AgentsKnown != 3 {
				t.Errorf("home team %q with %d agents, want T1 with 3", rep.HomeTeam, rep.AgentsKnown)
			}
		})
	}
}

// TestRunCounts checks the report's figures against score.Evaluate run by
// the test itself on the fixture's agent messages, so it holds whatever the
// engine's numbers are.
func TestRunCounts(t *testing.T) {
	path := writeFixture(t, "zip", fixtureFiles())
	rules := score.DefaultRules()
	for _, th := range []float64{0.3, 0.6, 0.9} {
		rep, _ := runFixture(t, path, Options{Threshold: th})
		type key struct{ channel, agent string }
		wantCells := map[key][2]int{} // scored, nudges
		wantFam := map[score.Family]int{}
		wantSweep := make([]int, len(Thresholds()))
		wantNudges := 0
		for _, f := range fixtureMessages() {
			if f.want != "score" {
				continue
			}
			res := score.Evaluate(score.Message{Text: f.m["text"].(string), Context: f.context, At: timeOf(f.m["ts"].(string))}, rules)
			k := key{f.folder, f.m["user"].(string)}
			c := wantCells[k]
			c[0]++
			if res.Nudge(th) {
				c[1]++
				wantNudges++
				wantFam[res.Family]++
			}
			wantCells[k] = c
			for i, st := range Thresholds() {
				if res.Nudge(st) {
					wantSweep[i]++
				}
			}
		}
		if rep.Nudges != wantNudges {
			t.Errorf("threshold %v: nudges = %d, want %d", th, rep.Nudges, wantNudges)
		}
		gotCells := map[key][2]int{}
		for _, c := range rep.Cells {
			gotCells[key{c.Channel, c.Agent}] = [2]int{c.Scored, c.Nudges}
		}
		if diff := cmp.Diff(wantCells, gotCells); diff != "" {
			t.Errorf("threshold %v: cells (-want +got):\n%s", th, diff)
		}
		for _, f := range rep.Families {
			if f.Nudges != wantFam[f.Family] {
				t.Errorf("threshold %v: family %s nudges = %d, want %d", th, f.Family, f.Nudges, wantFam[f.Family])
			}
		}
		for i, s := range rep.Sweep {
			if s.Nudges != wantSweep[i] {
				t.Errorf("sweep at %v: %d nudges, want %d", s.Threshold, s.Nudges, wantSweep[i])
			}
			if s.Chosen != (s.Threshold == th) {
				t.Errorf("sweep at %v: chosen = %v with threshold %v", s.Threshold, s.Chosen, th)
			}
		}
		if wantNudges == 0 && th <= 0.6 {
			t.Errorf("threshold %v: the fixture's \"As I already ...\" messages should nudge", th)
		}
	}
}

func TestRunAgentDays(t *testing.T) {
	rep, _ := runFixture(t, writeFixture(t, "folder", fixtureFiles()), Options{})
	// U1 posted on 2025-03-10 and 2025-03-11; U2 and U3 on 03-10 and 03-12.
	want := map[string]int{"U1": 2, "U2": 2, "U3": 2}
	for _, a := range rep.Agents {
		if a.ActiveDays != want[a.ID] {
			t.Errorf("agent %s: active days = %d, want %d", a.ID, a.ActiveDays, want[a.ID])
		}
	}
	if rep.First != "2025-03-10" || rep.Last != "2025-03-12" || rep.SpanDays != 3 {
		t.Errorf("span = %s..%s (%d days), want 2025-03-10..2025-03-12 (3)", rep.First, rep.Last, rep.SpanDays)
	}
	for _, s := range rep.Sweep {
		if want := float64(s.Nudges) / 6; s.PerAgentActiveDay != want {
			t.Errorf("sweep at %v: per agent active day = %v, want %v", s.Threshold, s.PerAgentActiveDay, want)
		}
		if want := float64(s.Nudges) / 9; s.PerAgentSpanDay != want {
			t.Errorf("sweep at %v: per agent span day = %v, want %v", s.Threshold, s.PerAgentSpanDay, want)
		}
	}
}

func TestRunFilters(t *testing.T) {
	path := writeFixture(t, "folder", fixtureFiles())
	day := func(ts string) string { return dayOf(mustTS(ts)) }
	tests := []struct {
		name string
		give Options
		want func(f fxMsg) bool
	}{
		{"channels by name and id", Options{Channels: []string{"#billing", "G100"}}, func(f fxMsg) bool { return f.folder != "support" }},
		{"since", Options{Since: "2025-03-11"}, func(f fxMsg) bool { return day(f.m["ts"].(string)) >= "2025-03-11" }},
		{"since and until", Options{Since: "2025-03-11", Until: "2025-03-11"}, func(f fxMsg) bool { return day(f.m["ts"].(string)) == "2025-03-11" }},
		{"agents override", Options{Agents: []string{"U1", "G1"}}, func(f fxMsg) bool { return f.m["user"] == "U1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rec := runFixture(t, path, tt.give)
			for _, f := range fixtureMessages() {
				if strings.HasPrefix(f.want, "skip: duplicate") {
					continue // its ts is the original's
				}
				at := mustTS(f.m["ts"].(string))
				_, scored := rec.calls[at]
				want := f.want == "score" && tt.want(f)
				if tt.name == "agents override" {
					// G1 is an agent now: their message is scored, and no
					// longer U1's context.
					want = (f.want == "score" || f.want == "customer") && (f.m["user"] == "U1" || f.m["user"] == "G1")
				}
				if scored != want {
					t.Errorf("message %s by %s scored = %v, want %v", f.m["ts"], f.m["user"], scored, want)
				}
			}
			if tt.name == "since" {
				// The thread reply on 03-11 still gets its context from 03-10.
				for _, f := range fixtureMessages() {
					if got, ok := rec.calls[mustTS(f.m["ts"].(string))]; ok && f.want == "score" && got.Context != f.context {
						t.Errorf("since: %s context %q, want %q", f.m["ts"], got.Context, f.context)
					}
				}
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	without := func(name string) []gen.File {
		var out []gen.File
		for _, f := range fixtureFiles() {
			if f.Name != name {
				out = append(out, f)
			}
		}
		return out
	}
	replace := func(name, data string) []gen.File {
		out := without(name)
		return append(out, gen.File{Name: name, Data: []byte(data)})
	}
	tests := []struct {
		name string
		give []gen.File
		opts Options
		want string
	}{
		{"missing users.json", without("users.json"), Options{}, "users.json is missing"},
		{"bad users.json", replace("users.json", `[{"id":"U1",`), Options{}, "users.json"},
		{"missing channels.json", without("channels.json"), Options{}, "channels.json is missing"},
		{"bad channels.json", replace("channels.json", `{"id":1}`), Options{}, "channels.json"},
		{"unknown layout", []gen.File{{Name: "notes/readme.txt", Data: []byte("hello")}}, Options{}, "not a Slack export"},
		{"unknown channel", fixtureFiles(), Options{Channels: []string{"nope"}}, "no channel folder named nope"},
		{"bad date", fixtureFiles(), Options{Since: "March"}, `date "March"`},
		{"bad threshold", fixtureFiles(), Options{Threshold: 7}, "threshold 7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFixture(t, "zip", tt.give)
			_, err := Run(context.Background(), path, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run() error = %v, want one containing %q", err, tt.want)
			}
		})
	}
	t.Run("not an export", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "x.zip")
		os.WriteFile(p, []byte("not a zip"), 0o644)
		if _, err := Run(context.Background(), p, Options{}); err == nil || !strings.Contains(err.Error(), "not a ZIP file or a folder") {
			t.Errorf("Run(not a zip) error = %v", err)
		}
	})
	t.Run("users.json missing but agents named", func(t *testing.T) {
		rep, _ := runFixture(t, writeFixture(t, "folder", without("users.json")), Options{Agents: []string{"U1"}})
		if rep.Messages.Scored == 0 || len(rep.Warnings) == 0 {
			t.Errorf("scored %d with warnings %q; want U1's messages and a warning", rep.Messages.Scored, rep.Warnings)
		}
	})
}

// TestRunDeterministic checks the report does not depend on how many
// workers ran or in which order they finished.
func TestRunDeterministic(t *testing.T) {
	path := writeFixture(t, "zip", fixtureFiles())
	var want []byte
	for _, w := range []int{1, 2, 7} {
		for range 3 {
			rep, _ := runFixture(t, path, Options{Workers: w, Examples: 3})
			got, _ := json.Marshal(rep)
			if want == nil {
				want = got
			} else if !bytes.Equal(got, want) {
				t.Fatalf("workers=%d: report differs:\n%s\nwant\n%s", w, got, want)
			}
		}
	}
}

// TestPrivacy checks no message text reaches a report without ShowText,
// in any format, and that spans are quoted with it.
func TestPrivacy(t *testing.T) {
	path := writeFixture(t, "zip", fixtureFiles())
	var texts []string
	for _, f := range fixtureMessages() {
		texts = append(texts, f.m["text"].(string))
	}
	for _, show := range []bool{false, true} {
		rep, _ := runFixture(t, path, Options{ShowText: show, Threshold: 0.3})
		for _, format := range Formats() {
			var b bytes.Buffer
			if err := Write(&b, rep, format); err != nil {
				t.Fatalf("Write(%s): %v", format, err)
			}
			out := b.String()
			for _, txt := range texts {
				if strings.Contains(out, txt) {
					t.Errorf("show-text=%v %s output holds message text %q", show, format, txt)
				}
			}
			if !show && strings.Contains(out, "As I already") {
				t.Errorf("%s output without --show-text quotes a span (\"As I already\")", format)
			}
		}
		if len(rep.Examples) == 0 {
			t.Fatal("no examples at threshold 0.3")
		}
		for _, e := range rep.Examples {
			if show && (e.Span == "" || e.SpanLen != len(e.Span)) {
				t.Errorf("show-text example %+v has no span", e)
			}
			if !show && (e.Span != "" || e.SpanLen == 0 || e.RuleID == "") {
				t.Errorf("example %+v: want no span text but its rule and length", e)
			}
		}
	}
}

func TestExamplesOrder(t *testing.T) {
	rep, _ := runFixture(t, writeFixture(t, "folder", fixtureFiles()), Options{Threshold: 0.3, Examples: 4})
	if len(rep.Examples) > 4 {
		t.Fatalf("%d examples, want at most 4", len(rep.Examples))
	}
	for i := 1; i < len(rep.Examples); i++ {
		a, b := rep.Examples[i-1], rep.Examples[i]
		if !exampleLess(a.Score, a.Channel, a.TS, b) {
			t.Errorf("examples %d and %d out of order: %+v, %+v", i-1, i, a, b)
		}
	}
}

// TestThreadContextExpires checks a thread's customer context is dropped
// threadTTL after its last customer message, so a channel's years of
// threads do not pile up in memory, and is kept before that.
func TestThreadContextExpires(t *testing.T) {
	day := int64(24 * 3600 * 1_000_000)
	tests := []struct {
		name  string
		after int64 // µs from the customer's message to the agent's reply
		want  string
	}{
		{"a day later", day, "help?"},
		{"29 days later", 29 * day, "help?"},
		{"31 days later", 31 * day, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &run{rep: &Report{Messages: MessageCounts{Skipped: map[string]int{}}}}
			var cc contextState
			t0 := mustTS("1741564800.000100")
			r.order(&cc, decoded{job: job{seq: 0}, msgs: []message{
				{micros: t0, ts: "1741564800.000100", user: "X9", text: "help?", threadTS: "1741564800.000100", role: customer},
			}})
			at := t0 + tt.after
			got := r.order(&cc, decoded{job: job{seq: 1}, msgs: []message{
				{micros: at, ts: "later", user: "U1", text: "ok", threadTS: "1741564800.000100", role: agent},
			}})
			if len(got) != 1 || got[0].context != tt.want {
				t.Errorf("reply %s: scored %+v, want context %q", tt.name, got, tt.want)
			}
		})
	}
}
