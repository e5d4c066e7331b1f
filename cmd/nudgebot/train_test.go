package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/nudgebot/nudgebot/internal/score"
)

// toyCorpus writes a corpus of made-up words no rule knows: "zorp" lines
// are spar nudges, the rest ordinary.
func toyCorpus(t *testing.T, name string, n int) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `{"id":"%s-%d","text":"Zorp blick frumious %d.","label":"nudge","family":"spar","context":""}`+"\n", name, i, i)
		fmt.Fprintf(&b, `{"id":"%s-%d","text":"Thanks, the parcel left the depot today.","label":"ok","family":"none","context":""}`+"\n", name, i)
	}
	return writeFile(t, name+".jsonl", b.String())
}

func TestTrainWritesAModelScoreUses(t *testing.T) {
	a, b := toyCorpus(t, "a", 10), toyCorpus(t, "b", 10)
	out := filepath.Join(t.TempDir(), "m.txt")
	code, stdout, errs := runScoring(t, "", "train", "--out", out, a, b)
	if code != exitOK || !strings.Contains(stdout, "wrote "+out) || !strings.Contains(stdout, "from 40 examples") {
		t.Fatalf("train: exit %d out %q err %q", code, stdout, errs)
	}
	code, stdout, errs = runScoring(t, "", "score", "--model", out, "Zorp blick frumious!")
	if code != exitOK || !strings.Contains(stdout, "NUDGE") || !strings.Contains(stdout, "model.spar") {
		t.Errorf("score --model: exit %d out %q err %q, want a model.spar nudge", code, stdout, errs)
	}
	t.Setenv("NUDGE_MODEL_FILE", out)
	if _, stdout, _ := runScoring(t, "", "score", "Zorp blick frumious!"); !strings.Contains(stdout, "model.spar") {
		t.Errorf("NUDGE_MODEL_FILE not used: %q", stdout)
	}
	if _, stdout, _ := runScoring(t, "", "score", "--model", "off", "Zorp blick frumious!"); !strings.HasPrefix(stdout, "score=0.000 ok") {
		t.Errorf("--model off: %q, want the rules alone (nothing)", stdout)
	}
}

func TestTrainCrossValidates(t *testing.T) {
	a, b := toyCorpus(t, "a", 10), toyCorpus(t, "b", 10)
	list := writeFile(t, "list.txt", "# two corpora\n"+filepath.Base(a)+"\n")
	// The list's paths are relative to the list; b is given directly.
	os.Rename(a, filepath.Join(filepath.Dir(list), filepath.Base(a)))
	code, stdout, errs := runScoring(t, "", "train", "--cv", "--list", list, "--validate", b, b)
	if code != exitOK {
		t.Fatalf("train --cv: exit %d err %q", code, errs)
	}
	for _, want := range []string{"a.jsonl ", "b.jsonl ", "left out in turn, pooled", "P 1.000 R 1.000 F1 1.000 FPR 0.000 n=40 family 1.00 TP 20 FP 0", "rules alone"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("train --cv output lacks %q:\n%s", want, stdout)
		}
	}
}

// TestTrainCrossValidatesInParallel: the folds trained side by side give
// what they give one at a time, in the same order.
func TestTrainCrossValidatesInParallel(t *testing.T) {
	var corpora []string
	for _, f := range []string{"probe.jsonl", "probe2.jsonl", "probe3.jsonl", "probe4.jsonl", "probe5.jsonl", "probe6.jsonl"} {
		corpora = append(corpora, filepath.Join("..", "..", "internal", "score", "testdata", f))
	}
	args := append([]string{"train", "--cv", "--epochs", "5"}, corpora...)
	cv := func(procs int) string {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		code, stdout, errs := runScoring(t, "", args...)
		if code != exitOK {
			t.Fatalf("train --cv with GOMAXPROCS %d: exit %d err %q", procs, code, errs)
		}
		return stdout
	}
	one, four := cv(1), cv(4)
	if one != four {
		t.Errorf("one fold at a time:\n%s\nfour at a time:\n%s", one, four)
	}
	if n := strings.Count(one, "\n"); n != len(corpora)+1 {
		t.Errorf("%d lines, want one a corpus and the pooled one:\n%s", n, one)
	}
}

func TestTrainErrors(t *testing.T) {
	bad := writeFile(t, "bad.jsonl", `{"text":"hi","label":"ok"}`+"\nnot json\n")
	nofam := writeFile(t, "nofam.jsonl", `{"text":"hi","label":"nudge","family":"rude"}`+"\n")
	badModel := writeFile(t, "bad-model.txt", "bias 1 2 3\n")
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"train"}, exitUsage, "usage: nudgebot train"},
		{[]string{"train", bad}, exitUsage, "usage: nudgebot train"}, // nothing to do
		{[]string{"train", "--cv", bad}, exitError, "bad.jsonl:2: not a JSON object"},
		{[]string{"train", "--cv", nofam}, exitError, `nofam.jsonl:1: family "rude"`},
		{[]string{"train", "--cv", "--list", "/nonexistent/list.txt"}, exitUsage, "list.txt"},
		{[]string{"train", "--cv", "--threshold", "2", bad}, exitUsage, "--threshold 2"},
		{[]string{"train", "--cv", "--epochs", "-1", bad}, exitUsage, "can't be negative"},
		{[]string{"train", "--cv", "--l2", "-0.1", bad}, exitUsage, "can't be negative"},
		{[]string{"score", "--model", badModel, "hi"}, exitUsage, "bad-model.txt:1: bias: want 0 symbols and 9 weights"},
		{[]string{"score", "--model", "/nonexistent/m.txt", "hi"}, exitUsage, "model:"},
	}
	for _, tt := range tests {
		code, _, errs := runScoring(t, "", tt.args...)
		if code != tt.code || !strings.Contains(errs, tt.want) {
			t.Errorf("%v: exit %d stderr %q, want exit %d and %q", tt.args, code, errs, tt.code, tt.want)
		}
	}
}

// TestTrainBlendFlags: a blend flag given alone keeps the others' defaults.
func TestTrainBlendFlags(t *testing.T) {
	a := toyCorpus(t, "a", 10)
	out := filepath.Join(t.TempDir(), "m.txt")
	if code, _, errs := runScoring(t, "", "train", "--shift", "-1.5", "--out", out, a); code != exitOK {
		t.Fatalf("train --shift: exit %d err %q", code, errs)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := score.LoadModel(f, out)
	if err != nil {
		t.Fatal(err)
	}
	if gain, center, shift := m.Blend(); gain != score.DefaultGain || center != score.DefaultCenter || shift != -1.5 {
		t.Errorf("Blend() = %v, %v, %v, want %v, %v, -1.5", gain, center, shift, score.DefaultGain, score.DefaultCenter)
	}
}
