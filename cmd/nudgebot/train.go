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
	"slices"
	"strings"

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
	fs.IntVar(&cfg.MinCount, "min-count", 0, "drop features seen in fewer examples (default 1: keep all)")
	fs.Float64Var(&cfg.Gain, "gain", score.DefaultGain, "blend: weight of the rules' score")
	fs.Float64Var(&cfg.Center, "center", score.DefaultCenter, "blend: rules' score that neither lifts nor lowers")
	fs.Float64Var(&cfg.Shift, "shift", score.DefaultShift, "blend: added to the blended logit")
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
	// Each file is read once: its bytes are trained on and measured.
	files := make(map[string][]byte, len(pos)+len(validate))
	for _, p := range append(slices.Clone(pos), validate...) {
		if files[p], err = os.ReadFile(p); err != nil {
			fmt.Fprintf(stderr, "nudgebot train: %v\n", err)
			return exitError
		}
	}
	corpora := make([][]score.Example, len(pos))
	for i, p := range pos {
		if corpora[i], err = readExamples(p, files[p]); err != nil {
			fmt.Fprintf(stderr, "nudgebot train: %v\n", err)
			return exitError
		}
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	rules := score.DefaultRules()
	if *cv {
		var total, alone tally
		for i, p := range pos {
			var rest []score.Example
			for j, c := range corpora {
				if j != i {
					rest = append(rest, c...)
				}
			}
			m, err := score.Train(rest, cfg)
			if err != nil {
				fmt.Fprintf(stderr, "nudgebot train: %v\n", err)
				return exitError
			}
			t, a, err := compare(w, p, files[p], rules, m, *threshold)
			if err != nil {
				fmt.Fprintf(stderr, "nudgebot train: %v\n", err)
				return exitError
			}
			total.add(t)
			alone.add(a)
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
		t, a, err := compare(w, p, files[p], rules, m, *threshold)
		if err != nil {
			fmt.Fprintf(stderr, "nudgebot train: %v\n", err)
			return exitError
		}
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

// readExamples reads a labeled corpus, the file path holds, for training.
func readExamples(path string, data []byte) ([]score.Example, error) {
	var out []score.Example
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 1<<20), maxLine)
	for ln := 1; sc.Scan(); ln++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		cl, err := parseCorpusLine(sc.Bytes(), path, ln)
		if err != nil {
			return nil, err
		}
		ex := score.Example{Text: *cl.Text, Nudge: *cl.Label == "nudge"}
		if ex.Nudge {
			f, ok := score.ParseFamily(cl.Family)
			if !ok {
				return nil, fmt.Errorf("%s:%d: family %q: want one of %s", path, ln, cl.Family, familyNames())
			}
			ex.Family = f
		}
		out = append(out, ex)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no examples", path)
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
	p, r := ratio(t.tp, t.tp+t.fp), ratio(t.tp, t.tp+t.fn)
	f1 := 0.0
	if p+r > 0 {
		f1 = 2 * p * r / (p + r)
	}
	return fmt.Sprintf("P %.3f R %.3f F1 %.3f FPR %.3f n=%d family %.2f", p, r, f1, ratio(t.fp, t.fp+t.tn), t.tp+t.fp+t.fn+t.tn, ratio(t.famOK, t.tp))
}

// compare measures a corpus (the file path holds) blended with m and by
// the rules alone, and prints both on one line.
func compare(w io.Writer, path string, data []byte, rules *score.Rules, m *score.Model, threshold float64) (with, alone tally, err error) {
	if with, err = measure(path, data, rules.WithModel(m), threshold); err != nil {
		return with, alone, err
	}
	if alone, err = measure(path, data, rules.WithModel(nil), threshold); err != nil {
		return with, alone, err
	}
	printTallies(w, filepath.Base(path), with, alone)
	return with, alone, nil
}

func printTallies(w io.Writer, label string, with, alone tally) {
	fmt.Fprintf(w, "%-40s %s   (rules alone %s)\n", label, with, alone)
}

// measure scores a corpus (the file path holds) with rules.
func measure(path string, data []byte, rules *score.Rules, threshold float64) (tally, error) {
	rep, err := evaluateCorpus(bytes.NewReader(data), path, rules, threshold)
	if err != nil {
		return tally{}, err
	}
	t := tally{tp: rep.TP, fp: rep.FP, fn: rep.FN, tn: rep.TN}
	for _, f := range rep.Families {
		t.famOK += f.SameFam
	}
	return t, nil
}
