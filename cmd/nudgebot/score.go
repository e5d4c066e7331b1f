package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/nudgebot/nudgebot/internal/app"
	"github.com/nudgebot/nudgebot/internal/score"
)

// defaultThreshold is DESIGN.md's NUDGE_THRESHOLD default.
const defaultThreshold = 0.6

// maxLine is the longest stdin or corpus line read (one message).
const maxLine = 16 << 20

// scoreFlags are the flags score and eval share.
type scoreFlags struct {
	json      bool
	threshold float64
	rules     string
	model     string
	context   string // score only: the customer's message before
}

func (f *scoreFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.json, "json", false, "print JSON")
	fs.Float64Var(&f.threshold, "threshold", defaultThreshold, "nudge when the score is at least `X`, 0 < X <= 1")
	fs.StringVar(&f.rules, "rules", os.Getenv("NUDGE_RULES_FILE"), "a rules `FILE` applied on top of the built-in rulebook (default $NUDGE_RULES_FILE)")
	fs.StringVar(&f.model, "model", os.Getenv("NUDGE_MODEL_FILE"), "a model `FILE` (from nudgebot train) instead of the built-in one, or \"off\" for the rules alone (default $NUDGE_MODEL_FILE)")
}

// parseInterleaved parses flags that may come before or after the
// positional arguments ("--" ends the flags).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if len(args) > 0 && args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
		// A "--" consumed by fs.Parse leaves the rest as positionals.
	}
}

// setup parses args and loads the rulebook; it returns the exit code to
// use when ok is false.
func (f *scoreFlags) setup(fs *flag.FlagSet, args []string, stderr io.Writer) (pos []string, rules *score.Rules, code int, ok bool) {
	fs.SetOutput(stderr)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil, exitOK, false
		}
		return nil, nil, exitUsage, false
	}
	if !(f.threshold > 0 && f.threshold <= 1) {
		fmt.Fprintf(stderr, "nudgebot %s: --threshold %v: want 0 < X <= 1\n", fs.Name(), f.threshold)
		return nil, nil, exitUsage, false
	}
	if rules, err = app.RulesFile(f.rules); err != nil {
		fmt.Fprintf(stderr, "nudgebot %s: rules: %v\n", fs.Name(), err)
		return nil, nil, exitUsage, false
	}
	if rules, err = app.ModelFile(rules, f.model); err != nil {
		fmt.Fprintf(stderr, "nudgebot %s: model: %v\n", fs.Name(), err)
		return nil, nil, exitUsage, false
	}
	return pos, rules, exitOK, true
}

func cmdScore(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var f scoreFlags
	fs := flag.NewFlagSet("score", flag.ContinueOnError)
	f.register(fs)
	fs.StringVar(&f.context, "context", "", "the customer's `message` that TEXT answers; the scorer reads it too")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: nudgebot score [--json] [--threshold X] [--context MESSAGE] [--rules FILE] [--model FILE|off] [TEXT]")
		fmt.Fprintln(fs.Output(), "Scores TEXT, or each line of stdin when TEXT is absent.")
		fs.PrintDefaults()
	}
	pos, rules, code, ok := f.setup(fs, args, stderr)
	if !ok {
		return code
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	if len(pos) > 0 {
		printScore(w, strings.Join(pos, " "), rules, &f)
		return exitOK
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	for sc.Scan() {
		printScore(w, sc.Text(), rules, &f)
	}
	if err := sc.Err(); err != nil {
		w.Flush()
		fmt.Fprintf(stderr, "nudgebot score: stdin: %v\n", err)
		return exitError
	}
	return exitOK
}

type jsonHit struct {
	Rule   string  `json:"rule"`
	Family string  `json:"family"`
	Weight float64 `json:"weight"`
	Start  int     `json:"start"`
	End    int     `json:"end"`
	Quote  string  `json:"quote"`
}

type jsonScore struct {
	Score      float64   `json:"score"`
	Nudge      bool      `json:"nudge"`
	Family     string    `json:"family,omitempty"`
	Hits       []jsonHit `json:"hits"`
	Reminder   string    `json:"reminder,omitempty"`
	Suggestion string    `json:"suggestion,omitempty"`
}

func printScore(w io.Writer, text string, rules *score.Rules, f *scoreFlags) {
	res := score.Evaluate(score.Message{Text: text, Context: f.context}, rules)
	nudge := res.Nudge(f.threshold)
	if f.json {
		out := jsonScore{Score: round3(res.Score), Nudge: nudge, Family: string(res.Family),
			Hits: []jsonHit{}, Reminder: res.Reminder, Suggestion: res.Suggestion}
		for _, h := range res.Hits {
			out.Hits = append(out.Hits, jsonHit{h.RuleID, string(h.Family), h.Weight, h.Start, h.End, text[h.Start:h.End]})
		}
		b, _ := json.Marshal(out)
		fmt.Fprintf(w, "%s\n", b)
		return
	}
	verdict := "ok"
	if nudge {
		verdict = "NUDGE"
	}
	fmt.Fprintf(w, "score=%.3f %s (threshold %.2f)", res.Score, verdict, f.threshold)
	if res.Family != "" {
		fmt.Fprintf(w, " family=%s", res.Family)
	}
	fmt.Fprintln(w)
	for _, h := range res.Hits {
		fmt.Fprintf(w, "  %-34s %-10s %.2f  [%d:%d] %q\n", h.RuleID, h.Family, h.Weight, h.Start, h.End, text[h.Start:h.End])
	}
	if res.Reminder != "" {
		fmt.Fprintf(w, "  reminder:   %s\n", res.Reminder)
	}
	if res.Suggestion != "" {
		fmt.Fprintf(w, "  suggestion: %s\n", res.Suggestion)
	}
}

func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

// corpusLine is one line of a labeled corpus.
type corpusLine struct {
	ID      corpusID `json:"id"`
	Text    *string  `json:"text"`
	Label   *string  `json:"label"`
	Family  string   `json:"family"`
	Context string   `json:"context"`
}

// corpusID is a line's id: a string, or a number kept as written.
type corpusID string

func (id *corpusID) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*id = corpusID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("id %s: want a string or a number", b)
	}
	*id = corpusID(n)
	return nil
}

// parseCorpusLine decodes line ln of a corpus; errors name the file and
// the line.
func parseCorpusLine(b []byte, name string, ln int) (corpusLine, error) {
	var cl corpusLine
	if err := json.Unmarshal(b, &cl); err != nil {
		return cl, fmt.Errorf("%s:%d: not a JSON object: %v", name, ln, err)
	}
	if cl.Text == nil {
		return cl, fmt.Errorf("%s:%d: missing \"text\"", name, ln)
	}
	if cl.Label == nil {
		return cl, fmt.Errorf("%s:%d: missing \"label\"", name, ln)
	}
	if l := *cl.Label; l != "nudge" && l != "ok" {
		return cl, fmt.Errorf("%s:%d: label %q: want \"nudge\" or \"ok\"", name, ln, l)
	}
	return cl, nil
}

// evalCase is a scored corpus line kept for the report.
type evalCase struct {
	ID     string  `json:"id"`
	Line   int     `json:"line"`
	Score  float64 `json:"score"`
	Want   string  `json:"family"`
	Got    string  `json:"got,omitempty"`
	Rule   string  `json:"rule,omitempty"`
	Text   string  `json:"text"`
	weight float64 // sort key
}

type famStat struct {
	Total   int `json:"total"`
	Nudged  int `json:"nudged"`
	SameFam int `json:"same_family"`
}

type evalReport struct {
	TP, FP, FN, TN int
	Families       map[string]*famStat `json:"families"`
	Misses         []evalCase          `json:"worst_misses"`
	FalseAlarms    []evalCase          `json:"false_alarms"`
	Precision      float64             `json:"precision"`
	Recall         float64             `json:"recall"`
	F1             float64             `json:"f1"`
	FPR            float64             `json:"fpr"`
	N              int                 `json:"n"`
}

// worstKept is how many misses and false alarms the report lists.
const worstKept = 10

func cmdEval(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var f scoreFlags
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	f.register(fs)
	blind := fs.Bool("blind", false, "print no message, id or line of the corpus, only the counts: for a test set kept blind")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: nudgebot eval [--threshold X] [--json] [--blind] [--rules FILE] [--model FILE|off] FILE.jsonl")
		fmt.Fprintln(fs.Output(), `Each line: {"id","text","label":"nudge"|"ok","family","context"}; text and label are required.`)
		fmt.Fprintln(fs.Output(), "The last line printed is: precision=P recall=R f1=F fpr=X n=N")
		fs.PrintDefaults()
	}
	pos, rules, code, ok := f.setup(fs, args, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitUsage
	}
	file, err := os.Open(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "nudgebot eval: %v\n", err)
		return exitError
	}
	defer file.Close()
	rep, err := evaluateCorpus(file, pos[0], rules, f.threshold)
	if err != nil {
		fmt.Fprintf(stderr, "nudgebot eval: %v\n", err)
		return exitError
	}
	if *blind {
		rep.Misses, rep.FalseAlarms = []evalCase{}, []evalCase{}
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	if f.json {
		b, _ := json.Marshal(rep)
		fmt.Fprintf(w, "%s\n", b)
	} else {
		printReport(w, rep, f.threshold)
	}
	fmt.Fprintf(w, "precision=%.3f recall=%.3f f1=%.3f fpr=%.3f n=%d\n", rep.Precision, rep.Recall, rep.F1, rep.FPR, rep.N)
	return exitOK
}

// scanCorpus reads a JSONL corpus line by line and calls each with every
// non-blank line, decoded; a bad line is an error naming it.
func scanCorpus(r io.Reader, name string, each func(ln int, cl corpusLine)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), maxLine)
	ln := 0
	for sc.Scan() {
		ln++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		cl, err := parseCorpusLine(sc.Bytes(), name, ln)
		if err != nil {
			return err
		}
		each(ln, cl)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s:%d: %w", name, ln+1, err)
	}
	return nil
}

// evaluateCorpus streams a JSONL corpus through the scorer.
func evaluateCorpus(r io.Reader, name string, rules *score.Rules, threshold float64) (*evalReport, error) {
	rep := newEvalReport()
	err := scanCorpus(r, name, func(ln int, cl corpusLine) {
		rep.add(ln, cl, rules, threshold)
	})
	if err != nil {
		return nil, err
	}
	rep.finish()
	return rep, nil
}

func newEvalReport() *evalReport { return &evalReport{Families: map[string]*famStat{}} }

// add scores corpus line ln into the report.
func (rep *evalReport) add(ln int, cl corpusLine, rules *score.Rules, threshold float64) {
	want := *cl.Label
	res := score.Evaluate(score.Message{Text: *cl.Text, Context: cl.Context}, rules)
	got := res.Nudge(threshold)
	rep.N++
	c := evalCase{ID: string(cl.ID), Line: ln, Score: round3(res.Score), Want: cl.Family, Got: string(res.Family)}
	if len(res.Hits) > 0 {
		c.Rule = res.Hits[0].RuleID
	}
	switch {
	case want == "nudge" && got:
		rep.TP++
	case want == "nudge":
		rep.FN++
		c.Text, c.weight = *cl.Text, -res.Score
		rep.Misses = keepWorst(rep.Misses, c)
	case got:
		rep.FP++
		c.Text, c.weight = *cl.Text, res.Score
		rep.FalseAlarms = keepWorst(rep.FalseAlarms, c)
	default:
		rep.TN++
	}
	if want != "nudge" {
		return
	}
	fam := cl.Family
	if fam == "" {
		fam = "(none)"
	}
	st := rep.Families[fam]
	if st == nil {
		st = &famStat{}
		rep.Families[fam] = st
	}
	st.Total++
	if got {
		st.Nudged++
		if string(res.Family) == cl.Family {
			st.SameFam++
		}
	}
}

// finish sets the report's rates from its counts.
func (rep *evalReport) finish() {
	rep.Precision, rep.Recall, rep.F1, rep.FPR = rates(rep.TP, rep.FP, rep.FN, rep.TN)
}

// rates are precision, recall, F1 and the false-alarm rate of a
// confusion table.
func rates(tp, fp, fn, tn int) (p, r, f1, fpr float64) {
	p, r = ratio(tp, tp+fp), ratio(tp, tp+fn)
	if p+r > 0 {
		f1 = 2 * p * r / (p + r)
	}
	return p, r, f1, ratio(fp, fp+tn)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// keepWorst adds c to list, keeping the worstKept cases with the highest
// weight, highest first.
func keepWorst(list []evalCase, c evalCase) []evalCase {
	if len(list) == worstKept && c.weight <= list[len(list)-1].weight {
		return list
	}
	list = append(list, c)
	sort.SliceStable(list, func(i, j int) bool { return list[i].weight > list[j].weight })
	if len(list) > worstKept {
		list = list[:worstKept]
	}
	return list
}

func printReport(w io.Writer, rep *evalReport, threshold float64) {
	fmt.Fprintf(w, "threshold %.2f, %d messages\n\n", threshold, rep.N)
	fmt.Fprintf(w, "              predicted\n")
	fmt.Fprintf(w, "              nudge     ok\n")
	fmt.Fprintf(w, "label nudge  %6d %6d\n", rep.TP, rep.FN)
	fmt.Fprintf(w, "      ok     %6d %6d\n\n", rep.FP, rep.TN)
	var fams []string
	for k := range rep.Families {
		fams = append(fams, k)
	}
	sort.Strings(fams)
	fmt.Fprintf(w, "recall per family (same family = nudged with that family dominant)\n")
	for _, k := range fams {
		st := rep.Families[k]
		fmt.Fprintf(w, "  %-12s %3d/%-3d %.3f   same family %3d\n", k, st.Nudged, st.Total, ratio(st.Nudged, st.Total), st.SameFam)
	}
	if len(rep.Misses) > 0 {
		fmt.Fprintf(w, "\nworst misses (labeled nudge, lowest score first)\n")
		for _, c := range rep.Misses {
			fmt.Fprintf(w, "  %-10s line %-5d %.3f want %-10s got %-10s %s\n", c.ID, c.Line, c.Score, c.Want, c.Got, clip(c.Text))
		}
	}
	if len(rep.FalseAlarms) > 0 {
		fmt.Fprintf(w, "\nfalse alarms (labeled ok, highest score first)\n")
		for _, c := range rep.FalseAlarms {
			fmt.Fprintf(w, "  %-10s line %-5d %.3f %-10s %-30s %s\n", c.ID, c.Line, c.Score, c.Got, c.Rule, clip(c.Text))
		}
	}
	fmt.Fprintln(w)
}

func clip(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 110 {
		cut := 110
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}
