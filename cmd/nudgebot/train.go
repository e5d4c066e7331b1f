package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/nudgebot/nudgebot/internal/score"
)

// cmdTrain learns a model from labeled corpora (the format eval reads):
// it writes the model file, measures the model by leaving each corpus out
// in turn (--cv), or on corpora it was not trained on (--validate).
func cmdTrain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "write the model to `FILE`")
	list := fs.String("list", "", "read corpus paths from `FILE` too (one per line, relative to FILE's folder; # comments)")
	cv := fs.Bool("cv", false, "leave each corpus out in turn: train on the others, measure on it")
	var validate multiFlag
	fs.Var(&validate, "validate", "measure on `FILE.jsonl` (not trained on); may repeat")
	threshold := fs.Float64("threshold", defaultThreshold, "measure at threshold `X`")
	var cfg score.TrainConfig
	fs.IntVar(&cfg.Epochs, "epochs", 0, "passes over the examples (default 30)")
	fs.Float64Var(&cfg.L2, "l2", 0, "L2 regularisation (default 1e-3)")
	fs.IntVar(&cfg.MinCount, "min-count", score.DefaultMinCount, "drop features seen in fewer than `N` examples (1: keep all)")
	fs.Float64Var(&cfg.Gain, "gain", score.DefaultGain, "blend: weight of the rules' score")
	fs.Float64Var(&cfg.Center, "center", score.DefaultCenter, "blend: rules' score that neither lifts nor lowers")
	fs.Float64Var(&cfg.Shift, "shift", score.DefaultShift, "blend: added to the blended logit")
	fs.BoolVar(&cfg.NoWindows, "no-windows", false, "no sentence head: read every message as a whole only")
	fs.IntVar(&cfg.WindowWords, "window-words", score.DefaultWindowWords, "sentence head: also read messages of at least `N` words sentence by sentence")
	fs.Float64Var(&cfg.WindowMargin, "window-margin", score.DefaultWindowMargin, "sentence head: taken off its logit before it may lift a message's")
	fs.BoolVar(&cfg.NoDamp, "no-damp", false, "no damping: a long message's weights count in full")
	fs.IntVar(&cfg.DampFeatures, "damp-features", score.DefaultDampFeatures, "damping: a message of more than `N` features has its weights' sum scaled by sqrt(N/features)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: nudgebot train [--out FILE] [--cv] [--validate FILE.jsonl]... [--list FILE] CORPUS.jsonl...")
		fmt.Fprintln(fs.Output(), "Learns the scorer's model from labeled corpora (the format eval reads).")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if *list != "" {
		more, err := readList(*list)
		if err != nil {
			fmt.Fprintf(stderr, "nudgebot train: %v\n", err)
			return exitUsage
		}
		pos = append(pos, more...)
	}
	if len(pos) == 0 || *out == "" && !*cv && len(validate) == 0 {
		fs.Usage()
		return exitUsage
	}
	if !(*threshold > 0 && *threshold <= 1) {
		fmt.Fprintf(stderr, "nudgebot train: --threshold %v: want 0 < X <= 1\n", *threshold)
		return exitUsage
	}
	if cfg.Epochs < 0 || cfg.L2 < 0 || cfg.MinCount < 0 {
		fmt.Fprintln(stderr, "nudgebot train: --epochs, --l2 and --min-count can't be negative")
		return exitUsage
	}
	// Each file is read and decoded once: its lines are trained on and
	// measured.
	files := make(map[string][]numberedLine, len(pos)+len(validate))
	for _, p := range append(slices.Clone(pos), validate...) {
		if files[p], err = readCorpusFile(p); err != nil {
			fmt.Fprintf(stderr, "nudgebot train: %v\n", err)
			return exitError
		}
	}
	corpora := make([][]score.Example, len(pos))
	for i, p := range pos {
		if corpora[i], err = examples(p, files[p]); err != nil {
			fmt.Fprintf(stderr, "nudgebot train: %v\n", err)
			return exitError
		}
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	rules := score.DefaultRules()
	cfg.Rules = rules
	if *cv {
		var total, alone tally
		for i, f := range leaveOneOut(pos, corpora, files, rules, cfg, *threshold) {
			if f.err != nil {
				fmt.Fprintf(stderr, "nudgebot train: %v\n", f.err)
				return exitError
			}
			printTallies(w, filepath.Base(pos[i]), f.with, f.alone)
			total.add(f.with)
			alone.add(f.alone)
		}
		printTallies(w, "left out in turn, pooled", total, alone)
	}
	if *out == "" && len(validate) == 0 {
		return exitOK
	}
	var all []score.Example
	for _, c := range corpora {
		all = append(all, c...)
	}
	m, err := score.Train(all, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "nudgebot train: %v\n", err)
		return exitError
	}
	var vt, va tally
	for _, p := range validate {
		t, a := compare(files[p], rules, m, *threshold)
		printTallies(w, filepath.Base(p), t, a)
		vt.add(t)
		va.add(a)
	}
	if len(validate) > 1 {
		printTallies(w, "validated, pooled", vt, va)
	}
	if *out != "" {
		var buf bytes.Buffer
		m.WriteTo(&buf)
		if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
			fmt.Fprintf(stderr, "nudgebot train: %v\n", err)
			return exitError
		}
		fmt.Fprintf(w, "wrote %s: %d features from %d examples\n", *out, m.Features(), len(all))
	}
	return exitOK
}

// fold is one corpus left out: measured with the model trained on the
// others, and by the rules alone.
type fold struct {
	with, alone tally
	err         error
}

// maxFolds bounds the folds trained at once: each holds its own copy of
// the training set's features (about 150 MB with the built-in corpora).
const maxFolds = 8

// leaveOneOut leaves each corpus of pos out in turn, trains on the others
// and measures on it, GOMAXPROCS folds at a time (at most maxFolds). The
// folds are in pos's order, and the same as one at a time.
func leaveOneOut(pos []string, corpora [][]score.Example, files map[string][]numberedLine, rules *score.Rules, cfg score.TrainConfig, threshold float64) []fold {
	out := make([]fold, len(pos))
	sem := make(chan struct{}, min(runtime.GOMAXPROCS(0), maxFolds))
	var wg sync.WaitGroup
	for i := range pos {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			var rest []score.Example
			for j, c := range corpora {
				if j != i {
					rest = append(rest, c...)
				}
			}
			m, err := score.Train(rest, cfg)
			if err != nil {
				out[i].err = err
				return
			}
			out[i].with, out[i].alone = compare(files[pos[i]], rules, m, threshold)
		})
	}
	wg.Wait()
	return out
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// readList reads a list of corpus paths, relative to the list's folder.
func readList(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		line, _, _ = strings.Cut(line, "#")
		if line = strings.TrimSpace(line); line != "" {
			if !filepath.IsAbs(line) {
				line = filepath.Join(filepath.Dir(path), line)
			}
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no corpus paths", path)
	}
	return out, nil
}

// numberedLine is a corpus line and its line number.
type numberedLine struct {
	ln int
	cl corpusLine
}

// readCorpusFile reads and decodes a labeled corpus.
func readCorpusFile(path string) ([]numberedLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []numberedLine
	if err := scanCorpus(f, path, func(ln int, cl corpusLine) { out = append(out, numberedLine{ln, cl}) }); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no examples", path)
	}
	return out, nil
}

// examples are a corpus's lines for training.
func examples(path string, lines []numberedLine) ([]score.Example, error) {
	out := make([]score.Example, 0, len(lines))
	for _, l := range lines {
		ex := score.Example{Text: *l.cl.Text, Nudge: *l.cl.Label == "nudge", Context: l.cl.Context}
		if ex.Nudge {
			f, ok := score.ParseFamily(l.cl.Family)
			if !ok {
				return nil, fmt.Errorf("%s:%d: family %q: want one of %s", path, l.ln, l.cl.Family, familyNames())
			}
			ex.Family = f
		}
		out = append(out, ex)
	}
	return out, nil
}

func familyNames() string {
	var s []string
	for _, f := range score.Families() {
		s = append(s, string(f))
	}
	return strings.Join(s, ", ")
}

// tally is a confusion table, and how many caught nudges had the right
// family.
type tally struct{ tp, fp, fn, tn, famOK int }

func (t *tally) add(u tally) {
	t.tp += u.tp
	t.fp += u.fp
	t.fn += u.fn
	t.tn += u.tn
	t.famOK += u.famOK
}

func (t tally) String() string {
	p, r, f1, fpr := rates(t.tp, t.fp, t.fn, t.tn)
	return fmt.Sprintf("P %.3f R %.3f F1 %.3f FPR %.3f n=%d family %.2f TP %d FP %d", p, r, f1, fpr, t.tp+t.fp+t.fn+t.tn, ratio(t.famOK, t.tp), t.tp, t.fp)
}

// compare measures a corpus blended with m and by the rules alone.
func compare(lines []numberedLine, rules *score.Rules, m *score.Model, threshold float64) (with, alone tally) {
	return measure(lines, rules.WithModel(m), threshold), measure(lines, rules.WithModel(nil), threshold)
}

func printTallies(w io.Writer, label string, with, alone tally) {
	fmt.Fprintf(w, "%-40s %s   (rules alone %s)\n", label, with, alone)
}

// measure scores a corpus's lines with rules.
func measure(lines []numberedLine, rules *score.Rules, threshold float64) tally {
	rep := newEvalReport()
	for _, l := range lines {
		rep.add(l.ln, l.cl, rules, threshold)
	}
	t := tally{tp: rep.TP, fp: rep.FP, fn: rep.FN, tn: rep.TN}
	for _, f := range rep.Families {
		t.famOK += f.SameFam
	}
	return t
}
