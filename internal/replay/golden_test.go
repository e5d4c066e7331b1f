package replay

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nudgebot/nudgebot/internal/score"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// goldenEvaluate is a fixed stand-in for the engine, so the goldens pin
// down replay's own output (its counts, layout and privacy) and do not
// change whenever the rulebook does. TestRunCounts checks the figures
// against the real engine.
func goldenEvaluate(m score.Message, _ *score.Rules) score.Result {
	phrases := []struct {
		phrase string
		family score.Family
		weight float64
	}{
		{"as i already", score.Repeat, 0.85},
		{"before asking", score.Condescend, 0.5},
		{"invoice is correct", score.Defend, 0.6},
		{"three times", score.Repeat, 0.3},
	}
	var res score.Result
	lower := strings.ToLower(m.Text)
	for _, p := range phrases {
		i := strings.Index(lower, p.phrase)
		if i < 0 {
			continue
		}
		res.Hits = append(res.Hits, score.Hit{RuleID: string(p.family) + "." + strings.ReplaceAll(p.phrase, " ", "-"), Family: p.family, Weight: p.weight, Start: i, End: i + len(p.phrase)})
		if p.weight > res.Score {
			res.Score, res.Family = p.weight, p.family
		}
	}
	if res.Family != "" {
		if m.Context != "" {
			res.Score += 0.1
		}
		res.Reminder = "Reminder for " + string(res.Family) + "."
		res.Suggestion = "Try another way."
	}
	return res
}

func TestGolden(t *testing.T) {
	path := writeFixture(t, "zip", fixtureFiles())
	tests := []struct {
		name string
		opts Options
		give string // format
	}{
		{"replay.txt", Options{}, "text"},
		{"replay.json", Options{}, "json"},
		{"replay.csv", Options{}, "csv"},
		{"replay-show-text.txt", Options{ShowText: true, Threshold: 0.5}, "text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.evaluate = goldenEvaluate
			rep, err := Run(context.Background(), path, opts)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := Write(&b, rep, tt.give); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if got := b.String(); got != string(want) {
				t.Errorf("Write(%s) differs from %s (go test -update rewrites it):\n%s", tt.give, golden, lineDiff(string(want), got))
			}
		})
	}
}

// lineDiff shows the first lines that differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var out []string
	for i := 0; i < max(len(w), len(g)) && len(out) < 10; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			out = append(out, "line "+itoa(i+1)+":\n  want "+wl+"\n  got  "+gl)
		}
	}
	return strings.Join(out, "\n")
}

func itoa(n int) string { return strconv.Itoa(n) }
