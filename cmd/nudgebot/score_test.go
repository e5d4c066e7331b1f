package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nudgebot/nudgebot/internal/score"
)

// runScoring runs a score or eval command line in process.
func runScoring(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestScoreText(t *testing.T) {
	code, out, errs := runScoring(t, "", "score", "As I already explained, the refund takes 5 days.")
	if code != exitOK {
		t.Fatalf("score: exit %d, stderr %q", code, errs)
	}
	for _, want := range []string{"NUDGE", "family=repeat", "repeat.as-i-said-again", `"As I already explained"`, "reminder:", "suggestion:"} {
		if !strings.Contains(out, want) {
			t.Errorf("score output %q lacks %q", out, want)
		}
	}
	_, out, _ = runScoring(t, "", "score", "Your parcel is at the depot.")
	if !strings.HasPrefix(out, "score=0.000 ok") {
		t.Errorf("score(clean) = %q, want score=0.000 ok ...", out)
	}
}

// TestScoreContext: --context gives the scorer the customer's message: a
// plain fact reads as more of a nudge after a denial of it than alone.
func TestScoreContext(t *testing.T) {
	const reply = "It was sent at 9:02 to the address on file."
	const denial = "you never sent the code"
	scores := func(stdin string, args ...string) []float64 {
		t.Helper()
		code, out, errs := runScoring(t, stdin, append([]string{"score", "--json"}, args...)...)
		if code != exitOK {
			t.Fatalf("score %q: exit %d, stderr %q", args, code, errs)
		}
		var got []float64
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var s jsonScore
			if err := json.Unmarshal([]byte(line), &s); err != nil {
				t.Fatalf("score %q: %v in %q", args, err, line)
			}
			got = append(got, s.Score)
		}
		return got
	}
	alone := scores("", reply)
	denied := scores("", "--context", denial, reply)
	// The margin is the model's, which each retraining moves: 0.1 is far
	// above the zero difference of a context that went unread.
	if alone[0] >= 0.6 || denied[0] < alone[0]+0.1 {
		t.Errorf("score %q: %.3f alone, %.3f after %q: want no nudge alone and a clearly higher score after", reply, alone[0], denied[0], denial)
	}
	// stdin lines all answer the same customer message.
	if got := scores(reply+"\n"+reply+"\n", "--context", denial); len(got) != 2 || got[0] != denied[0] || got[1] != denied[0] {
		t.Errorf("score --context over stdin = %v, want [%v %v]", got, denied[0], denied[0])
	}
}

func TestScoreJSON(t *testing.T) {
	text := "<@U1> you're wrong, it doesn't work that way."
	// Flags may come after the text too.
	for _, args := range [][]string{{"score", "--json", text}, {"score", text, "--json"}} {
		code, out, errs := runScoring(t, "", args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errs)
		}
		var got jsonScore
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: output %q is not JSON: %v", args, out, err)
		}
		if !got.Nudge || got.Family != "contradict" || len(got.Hits) == 0 {
			t.Fatalf("%v = %+v, want a contradict nudge", args, got)
		}
		h := got.Hits[0]
		if text[h.Start:h.End] != h.Quote || h.Quote != "you're wrong" {
			t.Errorf("hit %+v: quote %q, text span %q, want \"you're wrong\"", h, h.Quote, text[h.Start:h.End])
		}
	}
}

func TestScoreStdin(t *testing.T) {
	// The rules alone, so the score is the rule's weight.
	code, out, _ := runScoring(t, "Rules are rules.\nThanks, all sorted!\n", "score", "--json", "--threshold", "0.9", "--model", "off")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2: %q", len(lines), out)
	}
	var first, second jsonScore
	json.Unmarshal([]byte(lines[0]), &first)
	json.Unmarshal([]byte(lines[1]), &second)
	if first.Family != "stonewall" || first.Nudge { // 0.7 < 0.9
		t.Errorf("line 1 = %+v, want stonewall below threshold 0.9", first)
	}
	if second.Score != 0 || second.Nudge {
		t.Errorf("line 2 = %+v, want score 0", second)
	}
}

func TestScoreUsage(t *testing.T) {
	tests := [][]string{
		{"score", "--threshold", "0", "hi"},
		{"score", "--threshold", "1.5", "hi"},
		{"score", "--threshold", "lots", "hi"},
		{"score", "--nope"},
		{"eval", "--threshold", "-1", "x.jsonl"},
		{"eval"},
		{"eval", "a.jsonl", "b.jsonl"},
	}
	for _, args := range tests {
		code, _, errs := runScoring(t, "", args...)
		if code != exitUsage || errs == "" {
			t.Errorf("%v: exit %d stderr %q, want exit %d and a message", args, code, errs, exitUsage)
		}
	}
}

func TestScoreRulesFile(t *testing.T) {
	good := writeFile(t, "team.rules", "rule team.banana spar 0.9\n  match banana\n")
	code, out, errs := runScoring(t, "", "score", "--rules", good, "a banana, really")
	if code != exitOK || !strings.Contains(out, "team.banana") {
		t.Errorf("score --rules: exit %d out %q err %q, want team.banana", code, out, errs)
	}
	t.Setenv("NUDGE_RULES_FILE", good)
	if _, out, _ := runScoring(t, "", "score", "a banana"); !strings.Contains(out, "team.banana") {
		t.Errorf("NUDGE_RULES_FILE not applied: %q", out)
	}
	bad := writeFile(t, "bad.rules", "rule team.x nofamily 0.5\n  match x\n")
	code, _, errs = runScoring(t, "", "score", "--rules", bad, "x")
	if code != exitUsage || !strings.Contains(errs, "bad.rules:1") || !strings.Contains(errs, "team.x") {
		t.Errorf("bad rules: exit %d stderr %q, want exit 2 naming bad.rules:1 and team.x", code, errs)
	}
}

var lastLine = regexp.MustCompile(`^precision=\d\.\d{3} recall=\d\.\d{3} f1=\d\.\d{3} fpr=\d\.\d{3} n=\d+$`)

func TestEval(t *testing.T) {
	corpus := writeFile(t, "c.jsonl", strings.Join([]string{
		`{"id":"a","text":"As I already explained, no.","label":"nudge","family":"repeat"}`,
		`{"id":"b","text":"Your order shipped.","label":"nudge","family":"defend"}`,
		``,
		`{"id":"c","text":"Thanks!","label":"ok","family":"none","context":"hi"}`,
		`{"id":4,"text":"Rules are rules.","label":"ok"}`,
	}, "\n")+"\n")
	code, out, errs := runScoring(t, "", "eval", corpus)
	if code != exitOK {
		t.Fatalf("eval: exit %d, stderr %q", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	if want := "precision=0.500 recall=0.500 f1=0.500 fpr=0.500 n=4"; last != want {
		t.Errorf("eval last line = %q, want %q", last, want)
	}
	for _, want := range []string{"worst misses", "b ", "false alarms", "  4    ", "defend", "repeat"} { // a number is an id too
		if !strings.Contains(out, want) {
			t.Errorf("eval report lacks %q:\n%s", want, out)
		}
	}
	// Flags after the file; --json keeps the summary as the last line.
	code, out, _ = runScoring(t, "", "eval", corpus, "--json", "--threshold", "0.8")
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if code != exitOK || len(lines) != 2 || !lastLine.MatchString(lines[1]) {
		t.Fatalf("eval --json: exit %d, output %q", code, out)
	}
	var rep evalReport
	if err := json.Unmarshal([]byte(lines[0]), &rep); err != nil || rep.N != 4 {
		t.Errorf("eval --json first line %q: %v, n %d", lines[0], err, rep.N)
	}
}

// TestEvalBlind: with --blind, eval prints the same counts and nothing
// of the corpus's lines, so that a test set can stay unread.
func TestEvalBlind(t *testing.T) {
	lines := []string{
		`{"id":"secret-1","text":"As I already explained, no.","label":"nudge","family":"repeat"}`,
		`{"id":"secret-2","text":"Your order shipped.","label":"nudge","family":"defend"}`,
		`{"id":"secret-3","text":"Rules are rules.","label":"ok"}`,
	}
	corpus := writeFile(t, "c.jsonl", strings.Join(lines, "\n")+"\n")
	_, plain, _ := runScoring(t, "", "eval", corpus)
	for _, args := range [][]string{{"eval", "--blind", corpus}, {"eval", corpus, "--blind", "--json"}} {
		code, out, errs := runScoring(t, "", args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errs)
		}
		for _, leak := range []string{"secret", "explained", "shipped", "Rules are", "line "} {
			if strings.Contains(out, leak) {
				t.Errorf("%v prints %q:\n%s", args, leak, out)
			}
		}
		got := strings.Split(strings.TrimSpace(out), "\n")
		want := strings.Split(strings.TrimSpace(plain), "\n")
		if got[len(got)-1] != want[len(want)-1] {
			t.Errorf("%v last line %q, want %q", args, got[len(got)-1], want[len(want)-1])
		}
	}
	if !strings.Contains(plain, "secret-2") {
		t.Fatalf("without --blind eval should list the miss secret-2:\n%s", plain)
	}
}

func TestEvalBadLines(t *testing.T) {
	tests := []struct {
		give string
		want string
	}{
		{`{"text":"x","label":"ok"}` + "\nnot json\n", "c.jsonl:2: not a JSON object"},
		{`{"label":"ok"}`, `c.jsonl:1: missing "text"`},
		{`{"text":"x"}`, `c.jsonl:1: missing "label"`},
		{`{"text":"x","label":"maybe"}`, `c.jsonl:1: label "maybe"`},
		{`["text","label"]`, "c.jsonl:1:"},
		{`{"id":[1],"text":"x","label":"ok"}`, "c.jsonl:1: not a JSON object: id [1]: want a string or a number"},
	}
	for _, tt := range tests {
		code, out, errs := runScoring(t, "", "eval", writeFile(t, "c.jsonl", tt.give))
		if code != exitError || !strings.Contains(errs, tt.want) {
			t.Errorf("eval %q: exit %d stderr %q, want exit %d and %q", tt.give, code, errs, exitError, tt.want)
		}
		if strings.Contains(out, "precision=") {
			t.Errorf("eval %q printed a summary despite the error: %q", tt.give, out)
		}
	}
	if code, _, _ := runScoring(t, "", "eval", filepath.Join(t.TempDir(), "missing.jsonl")); code != exitError {
		t.Errorf("eval of a missing file: exit %d, want %d", code, exitError)
	}
}

func TestEvalDevCorpus(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "corpus", "dev.jsonl")
	if _, err := os.Stat(path); err != nil {
		t.Skip("shared/corpus/dev.jsonl not found")
	}
	code, out, errs := runScoring(t, "", "eval", path)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitOK || !lastLine.MatchString(lines[len(lines)-1]) {
		t.Fatalf("eval dev.jsonl: exit %d, stderr %q, last line %q", code, errs, lines[len(lines)-1])
	}
	t.Log(lines[len(lines)-1])
}

// BenchmarkEval runs eval over 100,000 lines made by repeating real
// corpora: the dev corpus, and the corpora the built-in model is trained
// on (those training.txt lists, from over a hundred domains, longer
// replies among them). Beside
// the whole command ("eval"), it times its two parts alone: decoding the
// lines ("json") and scoring them ("score"), so that their split is
// there to read:
//
//	go test -run '^$' -bench 'BenchmarkEval$' ./cmd/nudgebot
func BenchmarkEval(b *testing.B) {
	corpora := map[string][]string{
		"dev":      {filepath.Join("..", "..", "..", "shared", "corpus", "dev.jsonl")},
		"training": trainingCorpora(b),
	}
	for _, name := range []string{"dev", "training"} {
		b.Run(name, func(b *testing.B) {
			lines := repeatLines(b, corpora[name], 100000)
			p := filepath.Join(b.TempDir(), "big.jsonl")
			if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
				b.Fatal(err)
			}
			b.Run("eval", func(b *testing.B) {
				for b.Loop() {
					var out, errb bytes.Buffer
					if code := run([]string{"eval", p}, nil, &out, &errb); code != exitOK {
						b.Fatalf("exit %d: %s", code, errb.String())
					}
				}
				reportPerLine(b, len(lines))
			})
			parse := func(b *testing.B) []corpusLine {
				parsed := make([]corpusLine, len(lines))
				for i, l := range lines {
					cl, err := parseCorpusLine([]byte(l), p, i+1)
					if err != nil {
						b.Fatal(err)
					}
					parsed[i] = cl
				}
				return parsed
			}
			b.Run("json", func(b *testing.B) {
				for b.Loop() {
					parse(b)
				}
				reportPerLine(b, len(lines))
			})
			parsed, rules := parse(b), score.DefaultRules()
			b.Run("score", func(b *testing.B) {
				for b.Loop() {
					for _, cl := range parsed {
						score.Evaluate(score.Message{Text: *cl.Text, Context: cl.Context}, rules)
					}
				}
				reportPerLine(b, len(lines))
			})
		})
	}
}

// trainingCorpora lists the corpora of internal/score/testdata/training.txt.
func trainingCorpora(b *testing.B) []string {
	dir := filepath.Join("..", "..", "internal", "score", "testdata")
	list, err := os.ReadFile(filepath.Join(dir, "training.txt"))
	if err != nil {
		b.Fatal(err)
	}
	var paths []string
	for _, l := range strings.Split(string(list), "\n") {
		l, _, _ = strings.Cut(l, "#")
		if l = strings.TrimSpace(l); l != "" {
			paths = append(paths, filepath.Join(dir, l))
		}
	}
	return paths
}

// repeatLines reads the non-blank lines of paths and repeats them to n.
func repeatLines(b *testing.B, paths []string, n int) []string {
	var src []string
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			b.Skipf("%s not found", p)
		}
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range strings.Split(string(data), "\n") {
			if strings.TrimSpace(l) != "" {
				src = append(src, l)
			}
		}
	}
	lines := make([]string, n)
	for i := range lines {
		lines[i] = src[i%len(src)]
	}
	return lines
}

func reportPerLine(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/line")
}
