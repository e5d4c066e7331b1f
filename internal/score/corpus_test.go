package score

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corpusRow is one labeled corpus line.
type corpusRow struct {
	ID      string `json:"id"`
	Text    string `json:"text"`
	Label   string `json:"label"`
	Family  string `json:"family"`
	Context string `json:"context"`
}

func readCorpus(t testing.TB, path string) []corpusRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []corpusRow
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for ln := 1; sc.Scan(); ln++ {
		var r corpusRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s:%d: %v", path, ln, err)
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// devCorpus finds shared/corpus/dev.jsonl by walking up from the package
// directory to the directory that holds "shared" (devCorpusPath), and
// skips the test when there is none.
func devCorpus(t testing.TB) string {
	t.Helper()
	p := devCorpusPath()
	if p == "" {
		t.Skip("shared/corpus/dev.jsonl not found above the package directory; skipping the corpus test")
	}
	return p
}

type metrics struct {
	tp, fp, fn, tn int
}

func (m metrics) precision() float64 { return ratio(m.tp, m.tp+m.fp) }
func (m metrics) recall() float64    { return ratio(m.tp, m.tp+m.fn) }
func (m metrics) fpr() float64       { return ratio(m.fp, m.fp+m.tn) }
func (m metrics) f1() float64 {
	p, r := m.precision(), m.recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// measure scores rows and logs the misses and false alarms.
func measure(t *testing.T, rows []corpusRow, threshold float64) metrics {
	t.Helper()
	rules := DefaultRules()
	var m metrics
	var bad []string
	for _, r := range rows {
		res := Evaluate(Message{Text: r.Text, Context: r.Context}, rules)
		got := res.Nudge(threshold)
		var ids []string
		for _, h := range res.Hits {
			ids = append(ids, h.RuleID)
		}
		switch {
		case r.Label == "nudge" && got:
			m.tp++
		case r.Label == "nudge":
			m.fn++
			bad = append(bad, "MISS "+r.Family+" "+ftoa(res.Score)+" "+strings.Join(ids, ",")+" | "+r.Text)
		case got:
			m.fp++
			bad = append(bad, "FA   "+ftoa(res.Score)+" "+strings.Join(ids, ",")+" | "+r.Text)
		default:
			m.tn++
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Log(b)
	}
	t.Logf("precision=%.3f recall=%.3f f1=%.3f fpr=%.3f n=%d", m.precision(), m.recall(), m.f1(), m.fpr(), len(rows))
	return m
}

func ftoa(f float64) string {
	b, _ := json.Marshal(float64(int(f*1000)) / 1000)
	return string(b)
}

// TestDevCorpus is the floor the project holds the scorer to: on the dev
// corpus at the default threshold, precision >= 0.95 and recall >= 0.90.
func TestDevCorpus(t *testing.T) {
	rows := readCorpus(t, devCorpus(t))
	m := measure(t, rows, 0.6)
	if m.precision() < 0.95 {
		t.Errorf("precision %.3f < 0.95", m.precision())
	}
	if m.recall() < 0.90 {
		t.Errorf("recall %.3f < 0.90", m.recall())
	}
}

// The probe files are invented messages from other support domains
// (banking, travel, healthcare, dev tools, games, insurance...). Each was
// written before the tuning round that followed it and first measured
// untuned; later rounds widened rules from their categories of misses, so
// only each file's first figure is a held-out measure:
//
//	probe.jsonl  (105) untuned P=0.980 R=0.943 F1=0.962 FPR=0.019 (rules written with it in view)
//	probe2.jsonl  (60) untuned P=1.000 R=0.433 F1=0.605 FPR=0.000
//	probe3.jsonl  (80) untuned P=1.000 R=0.425 F1=0.596 FPR=0.000
//	probe4.jsonl (100) untuned P=1.000 R=0.325 F1=0.491 FPR=0.000
//	probe5.jsonl  (80) untuned P=1.000 R=0.143 F1=0.250 FPR=0.000
//
// TestTuningCorpusFloors holds them, with the tuning sets, to a floor.

// summarise scores rows at threshold without logging them.
func summarise(rows []corpusRow, rules *Rules, threshold float64) metrics {
	var m metrics
	for _, r := range rows {
		got := Evaluate(Message{Text: r.Text, Context: r.Context}, rules).Nudge(threshold)
		switch {
		case r.Label == "nudge" && got:
			m.tp++
		case r.Label == "nudge":
			m.fn++
		case got:
			m.fp++
		default:
			m.tn++
		}
	}
	return m
}

// TestTuningCorpusFloors holds every tuned-on corpus a few points below what the
// accuracy round of issue #3 reached, so a rule change that costs recall or
// adds false alarms fails here. Reached (nudgebot eval FILE, last line):
//
//	dev.jsonl      P=1.000 R=1.000 F1=1.000 FPR=0.000
//	tune1.jsonl    P=0.993 R=0.950 F1=0.971 FPR=0.006
//	tune2.jsonl    P=1.000 R=0.899 F1=0.947 FPR=0.000
//	tune3.jsonl    P=1.000 R=0.962 F1=0.980 FPR=0.000 (first, unread: P=0.903 R=0.431 F1=0.583 FPR=0.040)
//	tune4.jsonl    P=1.000 R=0.984 F1=0.992 FPR=0.000 (first, unread: P=0.961 R=0.380 F1=0.544 FPR=0.013)
//	heldout.jsonl  P=1.000 R=0.971 F1=0.986 FPR=0.000 (first: P=0.831 R=0.386 F1=0.527 FPR=0.061)
//	probe6.jsonl   P=1.000 R=1.000 F1=1.000 FPR=0.000 (written while tuning, to check new rules on other domains)
//	tune5.jsonl    P=1.000 R=0.932 F1=0.965 FPR=0.000 (first, unread: P=0.909 R=0.568 F1=0.699 FPR=0.031)
//	tune6.jsonl    P=1.000 R=0.909 F1=0.952 FPR=0.000 (first, unread: P=0.885 R=0.418 F1=0.568 FPR=0.046)
//
// These are the rules alone (the model is trained on these sets). The
// blind sets, heldout3 and on, are deliberately absent: they are
// measured, not held to a floor.
func TestTuningCorpusFloors(t *testing.T) {
	tests := []struct {
		give    string
		wantF1  float64
		wantP   float64
		wantFPR float64
	}{
		{give: "dev", wantF1: 0.97, wantP: 0.97, wantFPR: 0.02},
		{give: filepath.Join("testdata", "tune1.jsonl"), wantF1: 0.94, wantP: 0.95, wantFPR: 0.02},
		{give: filepath.Join("testdata", "tune2.jsonl"), wantF1: 0.92, wantP: 0.95, wantFPR: 0.02},
		{give: filepath.Join("testdata", "tune3.jsonl"), wantF1: 0.95, wantP: 0.95, wantFPR: 0.02},
		{give: filepath.Join("testdata", "tune4.jsonl"), wantF1: 0.96, wantP: 0.95, wantFPR: 0.02},
		{give: filepath.Join("testdata", "heldout.jsonl"), wantF1: 0.95, wantP: 0.95, wantFPR: 0.02},
		{give: filepath.Join("testdata", "probe6.jsonl"), wantF1: 0.95, wantP: 0.95, wantFPR: 0.02},
		{give: filepath.Join("testdata", "tune5.jsonl"), wantF1: 0.94, wantP: 0.95, wantFPR: 0.02},
		{give: filepath.Join("testdata", "tune6.jsonl"), wantF1: 0.93, wantP: 0.95, wantFPR: 0.02},
		{give: filepath.Join("testdata", "probe.jsonl"), wantF1: 0.94, wantP: 0.95, wantFPR: 0.02},
		{give: filepath.Join("testdata", "probe2.jsonl"), wantF1: 0.95, wantP: 0.95, wantFPR: 0.02},
		{give: filepath.Join("testdata", "probe3.jsonl"), wantF1: 0.95, wantP: 0.95, wantFPR: 0.02},
		{give: filepath.Join("testdata", "probe4.jsonl"), wantF1: 0.95, wantP: 0.95, wantFPR: 0.02},
		{give: filepath.Join("testdata", "probe5.jsonl"), wantF1: 0.95, wantP: 0.95, wantFPR: 0.02},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.give), func(t *testing.T) {
			path := tt.give
			if path == "dev" {
				path = devCorpus(t)
			}
			// The rules alone: the model is trained on these sets, so
			// blended they say nothing; this keeps the rulebook honest.
			m := summarise(readCorpus(t, path), DefaultRules().WithModel(nil), 0.6)
			t.Logf("precision=%.3f recall=%.3f f1=%.3f fpr=%.3f", m.precision(), m.recall(), m.f1(), m.fpr())
			if m.f1() < tt.wantF1 {
				t.Errorf("f1 %.3f, want >= %.2f", m.f1(), tt.wantF1)
			}
			if m.precision() < tt.wantP {
				t.Errorf("precision %.3f, want >= %.2f", m.precision(), tt.wantP)
			}
			if m.fpr() > tt.wantFPR {
				t.Errorf("fpr %.3f, want <= %.2f", m.fpr(), tt.wantFPR)
			}
		})
	}
}
