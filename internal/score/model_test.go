package score

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestFoldWordMatchesTokenizer checks that the names the trainer writes
// hash to what the tokenizer computes, for every word of every corpus:
// otherwise a feature in model.txt would never be found again.
func TestFoldWordMatchesTokenizer(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.jsonl")
	extra := []string{"Sooo", "REEEALLY", "don’t", "you're", "café", "O'Brien", "x1000", "niiice", "aaa", "Jess's", "Jess’s", "boss's", "s's's", "ooo'oo", "sooo'o", "ZZ'z"}
	var texts []string
	texts = append(texts, extra...)
	for _, f := range files {
		for _, r := range readCorpus(t, f) {
			texts = append(texts, r.Text)
		}
	}
	n := 0
	for _, text := range texts {
		sc := newScanner(text)
		var tok token
		for {
			ok, _ := sc.next(&tok)
			if !ok {
				break
			}
			if tok.flags&tkWord == 0 || tok.flags&tkNum != 0 {
				continue
			}
			w := text[tok.start:tok.end]
			if got := hashWord(foldWord(w)); got != tok.hash {
				t.Fatalf("word %q folds to %q, whose hash %x is not the token's %x", w, foldWord(w), got, tok.hash)
			}
			n++
		}
	}
	if n < 10000 {
		t.Fatalf("checked only %d words", n)
	}
}

// TestModelFileRoundTrip checks that the embedded model is exactly what
// WriteTo writes for it: the file format loses nothing.
func TestModelFileRoundTrip(t *testing.T) {
	var b bytes.Buffer
	if _, err := DefaultModel().WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	if b.String() != builtinModel {
		t.Fatalf("WriteTo(DefaultModel()) differs from model.txt (%d vs %d bytes)", b.Len(), len(builtinModel))
	}
}

// TestModelUpToDate retrains the built-in model from the corpora listed in
// testdata/training.txt and checks model.txt matches, so a corpus or
// feature change can't leave a stale model behind. Weights are compared
// with a tolerance, since floating point may round differently on
// another CPU.
func TestModelUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("retrains the model")
	}
	var ex []Example
	f, err := os.Open("testdata/training.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		for _, r := range readCorpus(t, filepath.Join("testdata", line)) {
			e := Example{Text: r.Text, Nudge: r.Label == "nudge", Context: r.Context}
			if e.Nudge {
				e.Family = Family(r.Family)
			}
			ex = append(ex, e)
		}
	}
	m, err := Train(ex, TrainConfig{Rules: DefaultRules()})
	if err != nil {
		t.Fatal(err)
	}
	old := DefaultModel()
	stale := "model.txt is stale: run `go generate ./internal/score`"
	if len(m.names) != len(old.names) {
		t.Fatalf("%s (%d features, retrained %d)", stale, len(old.names), len(m.names))
	}
	for i := range m.names {
		if m.names[i] != old.names[i] {
			t.Fatalf("%s: feature %d is %q, retrained %q", stale, i, old.names[i], m.names[i])
		}
	}
	worst := 0.0
	for i := range m.w {
		worst = math.Max(worst, math.Abs(float64(m.w[i]-old.w[i])))
	}
	for i := range m.bias {
		worst = math.Max(worst, math.Abs(float64(m.bias[i]-old.bias[i])))
	}
	if worst > 0.01 {
		t.Fatalf("%s: a weight differs by %.4f", stale, worst)
	}
}

// trainToy trains a model on made-up words no rule knows, so the tests of
// the blend don't depend on the built-in model or the rulebook.
func trainToy(t *testing.T) *Model {
	t.Helper()
	var ex []Example
	for i := 0; i < 20; i++ {
		ex = append(ex,
			Example{Text: "Zorp blick, frumious.", Nudge: true, Family: Spar},
			Example{Text: "Quux mimsy wabe.", Nudge: true, Family: Stonewall},
			Example{Text: "Thanks, the order shipped today.", Nudge: false},
			Example{Text: "Happy to help, here are the steps.", Nudge: false},
		)
	}
	m, err := Train(ex, TrainConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestBlendModelOnly(t *testing.T) {
	rules := DefaultRules().WithModel(trainToy(t))
	text := "Hello there. Zorp blick, frumious!"
	res := Evaluate(Message{Text: text}, rules)
	if !res.Nudge(0.6) || res.Family != Spar {
		t.Fatalf("Evaluate(%q) = %+v, want a spar nudge", text, res)
	}
	if len(res.Hits) != 1 || res.Hits[0].RuleID != "model.spar" {
		t.Fatalf("hits = %+v, want one model.spar hit", res.Hits)
	}
	if got := text[res.Hits[0].Start:res.Hits[0].End]; got != "Zorp blick, frumious!" {
		t.Errorf("the model's hit quotes %q, want the sentence it read as a nudge", got)
	}
	if res.Reminder == "" || res.Suggestion == "" {
		t.Errorf("no reminder or suggestion: %+v", res)
	}

	res = Evaluate(Message{Text: "Thanks, the order shipped today."}, rules)
	if res.Nudge(0.6) || res.Score != 0 || res.Family != "" || res.Hits != nil {
		t.Errorf("an ordinary message = %+v, want the zero Result", res)
	}

	// Switching the family off takes the model's belief with it.
	res = Evaluate(Message{Text: text, Off: FamilySet(0).With(Spar)}, rules)
	if res.Nudge(0.6) || res.Family == Spar {
		t.Errorf("spar switched off, Evaluate = %+v", res)
	}

	// Without a model, the rules alone decide.
	if res := Evaluate(Message{Text: text}, DefaultRules().WithModel(nil)); res.Score != 0 {
		t.Errorf("rules alone = %+v, want zero", res)
	}

	// Two words are too few for the model alone, three are enough.
	for give, want := range map[string]bool{"Zorp!": false, "Zorp blick!": false, "Zorp blick frumious!": true} {
		if got := Evaluate(Message{Text: give}, rules).Nudge(0.6); got != want {
			t.Errorf("Evaluate(%q).Nudge = %v, want %v", give, got, want)
		}
	}
}

// TestShortRepliesNotNudged: the short acknowledgements agents write all
// day are not nudged (a bare "k" is, by a rule: it reads as curt).
func TestShortRepliesNotNudged(t *testing.T) {
	for _, text := range []string{"ok", "Ok.", "OK!", "okay", "Ok, checking.", "Sure.", "On it.", "Thanks!", "Got it", "np"} {
		if res := Evaluate(Message{Text: text}, DefaultRules()); res.Nudge(0.6) {
			t.Errorf("Evaluate(%q) = %+v, want no nudge", text, res)
		}
	}
}

func TestBlendKeepsRuleHits(t *testing.T) {
	rules := DefaultRules().WithModel(trainToy(t))
	text := "As I already explained, refunds take 5 days."
	alone := Evaluate(Message{Text: text}, DefaultRules().WithModel(nil))
	res := Evaluate(Message{Text: text}, rules)
	if len(alone.Hits) == 0 {
		t.Fatal("the rules don't catch the test sentence any more")
	}
	if len(res.Hits) != len(alone.Hits) {
		t.Errorf("blended hits %+v, rules' %+v: the model should add none when a rule of the family hit", res.Hits, alone.Hits)
	}
	if res.Family != alone.Family {
		t.Errorf("family %q, rules say %q", res.Family, alone.Family)
	}
}

// TestStrongCueStands: the built-in model finds these messages ordinary
// apart from their cue, which still nudges on its own.
func TestStrongCueStands(t *testing.T) {
	rules := DefaultRules()
	for _, text := range []string{
		"You are wrong about the renewal date.",
		"you're wrong, it renews on the 1st.",
	} {
		alone := Evaluate(Message{Text: text}, rules.WithModel(nil))
		if len(alone.Hits) == 0 || alone.Score < strongCue {
			t.Fatalf("Evaluate(%q) by the rules = %+v, want a strong cue", text, alone)
		}
		if res := Evaluate(Message{Text: text}, rules); !res.Nudge(0.6) {
			t.Errorf("Evaluate(%q) = %.3f, want a nudge (hits %v)", text, res.Score, res.Hits)
		}
	}
}

// TestStrongFloorFollowsBlend: whatever blend a model file sets, a strong
// cue beside a model that finds nothing nudge-like scores strongScore.
func TestStrongFloorFollowsBlend(t *testing.T) {
	for _, b := range []struct{ gain, center, shift float64 }{
		{DefaultGain, DefaultCenter, DefaultShift},
		{5, 0.3, -1},
		{3, 0.3, -1.15},
		{0, 0.3, 0},
		{8, 0.5, -2},
	} {
		m := &Model{}
		m.setBlend(b.gain, b.center, b.shift)
		got := sigmoid(logit(m.floor) + m.gain*(strongCue-m.center) + m.shift)
		if math.Abs(got-strongScore) > 1e-9 {
			t.Errorf("blend %+v: a strong cue alone scores %.4f, want %.2f", b, got, strongScore)
		}
		// At quiet, the model alone scores modelFloor.
		if got := sigmoid(logit(m.quiet) + m.gain*(0-m.center) + m.shift); math.Abs(got-modelFloor) > 1e-9 {
			t.Errorf("blend %+v: at quiet the model alone scores %.4f, want %v", b, got, modelFloor)
		}
	}
}

// TestModelReadsRuleHits: a model trained with the rules has a feature for
// each rule that hit its examples, and Evaluate gives it that feature
// when the rule hits: a model whose only weight is a rule's counts it.
func TestModelReadsRuleHits(t *testing.T) {
	const hit, quiet = "As I already said, the invoice is attached.", "Thanks, the invoice is attached."
	var ex []Example
	for range 20 {
		ex = append(ex, Example{Text: hit, Nudge: true, Family: Repeat}, Example{Text: quiet})
	}
	m, err := Train(ex, TrainConfig{Rules: DefaultRules()})
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "\nr repeat.as-i-said-again ") {
		t.Errorf("model file lacks the rule's feature:\n%s", buf.String())
	}
	plain, err := Train(ex, TrainConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range plain.names {
		if strings.HasPrefix(name, "r ") {
			t.Errorf("a model trained without rules has the rule feature %q", name)
		}
	}

	// The rule alone (0.8) scores 0.8 by the rulebook; a model that
	// weighs its hit heavily lifts that, one that weighs it against
	// lowers it.
	score := func(w string) float64 {
		file := "class YOU you\nbias -4 1 0 0 0 0 0 0 0\nr repeat.as-i-said-again " + w + " 0 1 0 0 0 0 0 0\n"
		m, err := LoadModel(strings.NewReader(file), "test.model")
		if err != nil {
			t.Fatal(err)
		}
		return Evaluate(Message{Text: hit}, DefaultRules().WithModel(m)).Score
	}
	if up, down := score("8"), score("-8"); !(up > down) {
		t.Errorf("the rule's feature at weight 8 scores %.3f, at -8 %.3f: want higher", up, down)
	}
}

// TestModelReadsContext: the same reply reads as a nudge after a customer
// who said the opposite, and not after one who asked.
func TestModelReadsContext(t *testing.T) {
	const reply = "It shipped on Monday."
	var ex []Example
	for range 20 {
		ex = append(ex,
			Example{Text: reply, Context: "it never shipped, useless", Nudge: true, Family: Contradict},
			Example{Text: reply, Context: "when will it ship?"})
	}
	m, err := Train(ex, TrainConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nc never ", "\ncb NEG shipped "} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("model file lacks the context feature %q", want[1:])
		}
	}
	rules := DefaultRules().WithModel(m)
	denied := Evaluate(Message{Text: reply, Context: "it never shipped, useless"}, rules)
	asked := Evaluate(Message{Text: reply, Context: "when will it ship?"}, rules)
	if !denied.Nudge(0.6) || asked.Nudge(0.6) {
		t.Errorf("after a denial %.3f, after a question %.3f: want a nudge only after the denial", denied.Score, asked.Score)
	}
	for _, h := range denied.Hits {
		if h.Start < 0 || h.End > len(reply) || h.Start >= h.End {
			t.Errorf("hit %+v is not a span of the reply", h)
		}
	}
}

// TestBuiltinModelContext: the built-in model does not take a plain fact
// for a nudge, and reads it as one (if not at the default threshold) only
// after the customer said otherwise.
func TestBuiltinModelContext(t *testing.T) {
	const reply = "Your order shipped yesterday."
	alone := Evaluate(Message{Text: reply}, nil)
	asked := Evaluate(Message{Text: reply, Context: "when will my order ship?"}, nil)
	denied := Evaluate(Message{Text: reply, Context: "my order NEVER shipped, this is ridiculous"}, nil)
	if alone.Nudge(0.6) || asked.Nudge(0.6) {
		t.Errorf("Evaluate(%q) = %.3f alone, %.3f after a question: want no nudge", reply, alone.Score, asked.Score)
	}
	if denied.Score < modelFloor || denied.Score < asked.Score+0.2 || denied.Score < alone.Score+0.2 {
		t.Errorf("Evaluate(%q) after a denial = %.3f (alone %.3f, after a question %.3f): want it well above both and at least %v",
			reply, denied.Score, alone.Score, asked.Score, modelFloor)
	}
}

// TestTrainMinCount: by default a word seen in fewer than DefaultMinCount
// examples is no feature of the model; MinCount 1 keeps it.
func TestTrainMinCount(t *testing.T) {
	var ex []Example
	for range 20 {
		ex = append(ex,
			Example{Text: "Zorp blick, frumious.", Nudge: true, Family: Spar},
			Example{Text: "Thanks, the order shipped today."})
	}
	for range DefaultMinCount - 1 {
		ex = append(ex, Example{Text: "Quokka.", Nudge: true, Family: Spar})
	}
	for _, tc := range []struct {
		minCount int
		want     bool
	}{{0, false}, {DefaultMinCount, false}, {DefaultMinCount - 1, true}, {1, true}} {
		m, err := Train(ex, TrainConfig{MinCount: tc.minCount})
		if err != nil {
			t.Fatal(err)
		}
		var buf strings.Builder
		if _, err := m.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		file := buf.String()
		if got := strings.Contains(file, "\nu quokka "); got != tc.want {
			t.Errorf("MinCount %d: the rare word is a feature: %v, want %v", tc.minCount, got, tc.want)
		}
		if !strings.Contains(file, "\nu zorp ") {
			t.Errorf("MinCount %d: the word of 20 examples is no feature", tc.minCount)
		}
	}
}

func TestTrainDeterministic(t *testing.T) {
	a, b := trainToy(t), trainToy(t)
	var ab, bb bytes.Buffer
	a.WriteTo(&ab)
	b.WriteTo(&bb)
	if ab.String() != bb.String() {
		t.Fatal("the same examples trained two different models")
	}
	if _, err := Train(nil, TrainConfig{}); err == nil {
		t.Error("Train(nil) succeeded")
	}
	if _, err := Train([]Example{{Text: "hi"}}, TrainConfig{Epochs: -1}); err == nil {
		t.Error("Train with -1 epochs succeeded")
	}
}

func TestLoadModelErrors(t *testing.T) {
	row := " 0 0 0 0 0 0 0 0 0"
	tests := []struct{ give, want string }{
		{"", "no bias line"},
		{"bias 1 2", "want 0 symbols and 9 weights"},
		{"bias" + row + "\nu hello 1 2", "m.txt:2: u: want 1 symbols"},
		{"bias" + row + "\nu hello x 0 0 0 0 0 0 0 0", `weight "x" is not a number`},
		{"bias" + row + "\nu hello NaN 0 0 0 0 0 0 0 0", `weight "NaN" is not a number`},
		{"bias" + row + "\nu hi" + row + "\nu hi" + row, `feature "u hi" appears twice`},
		{"bias" + row + "\nweights 1", `unknown directive "weights"`},
		{"class you you", "NAME in capitals"},
		{"class YOU You", `"You" is not folded (write "you")`},
		{"blend gain=x", `"gain=x" is not NAME=NUMBER`},
		{"blend speed=1", `unknown parameter "speed"`},
	}
	for _, tt := range tests {
		_, err := LoadModel(strings.NewReader(tt.give), "m.txt")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("LoadModel(%q) = %v, want an error containing %q", tt.give, err, tt.want)
		}
	}
}

func TestLoadModelBlendDefaults(t *testing.T) {
	row := " 0 0 0 0 0 0 0 0 0"
	tests := []struct {
		give                string
		gain, center, shift float64
	}{
		{"bias" + row, DefaultGain, DefaultCenter, DefaultShift},
		{"blend gain=3\nbias" + row, 3, DefaultCenter, DefaultShift},
		{"blend gain=1 center=0.5 shift=0\nbias" + row, 1, 0.5, 0},
	}
	for _, tt := range tests {
		m, err := LoadModel(strings.NewReader(tt.give), "m.txt")
		if err != nil {
			t.Fatalf("LoadModel(%q): %v", tt.give, err)
		}
		if g, c, s := m.Blend(); g != tt.gain || c != tt.center || s != tt.shift {
			t.Errorf("LoadModel(%q).Blend() = %v, %v, %v, want %v, %v, %v", tt.give, g, c, s, tt.gain, tt.center, tt.shift)
		}
	}
}

// TestModelNoAllocs: with the model blended in, a message without hits
// still does not allocate.
func TestModelNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	rules := DefaultRules()
	msg := Message{Text: "Thanks for your patience! I've refunded the second charge, you'll see it in 3-5 business days."}
	Evaluate(msg, rules)
	if n := testing.AllocsPerRun(100, func() { Evaluate(msg, rules) }); n != 0 {
		t.Errorf("Evaluate(clean) allocates %.0f times", n)
	}
}

// TestTrainingLeavesBlindSetsOut keeps the blind corpora (heldout3 and
// on, see testdata/README.md) out of what the built-in model learns from:
// once trained on, their figures would no longer say anything.
func TestTrainingLeavesBlindSetsOut(t *testing.T) {
	b, err := os.ReadFile("testdata/training.txt")
	if err != nil {
		t.Fatal(err)
	}
	blind := regexp.MustCompile(`^heldout([3-9]|[1-9][0-9])\.jsonl$`)
	listed := 0
	for _, line := range strings.Split(string(b), "\n") {
		line, _, _ = strings.Cut(line, "#")
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		listed++
		if blind.MatchString(line) {
			t.Errorf("training.txt lists the blind set %s", line)
		}
	}
	if listed == 0 {
		t.Fatal("training.txt lists no corpus")
	}
}

// TestSentenceHeadFindsTheSlip: in a long, helpful reply, one sharp
// sentence is outweighed by the rest when the message is read whole; the
// sentence head (see window) hears it, and the nudge quotes it.
func TestSentenceHeadFindsTheSlip(t *testing.T) {
	const (
		before = "Hi Dana, thanks for the screenshots, they help a lot. The export runs every night at 2am and writes one file per location into the shared folder, and both of your locations are set up the same way. "
		after  = " I can add closed orders to the Leeds file from tomorrow if that helps, just let me know and I will switch it on for you."
	)
	rules := DefaultRules()
	m := rules.Model()
	if !m.win.on {
		t.Fatal("the built-in model has no sentence head")
	}
	whole := *m
	whole.win.on = false
	wholeOnly := rules.WithModel(&whole)
	for _, slip := range []string{
		"Most of our customers manage to find this in the first week without asking.", // no rule hits it
		"Nobody else has had trouble reading these files.",                            // a weak rule does
	} {
		text := before + slip + after
		if res := Evaluate(Message{Text: text}, wholeOnly); res.Nudge(0.6) {
			t.Fatalf("read whole, %q already nudges (%.3f): the test needs a slip the whole misses", slip, res.Score)
		}
		res := Evaluate(Message{Text: text}, rules)
		if !res.Nudge(0.6) {
			t.Errorf("with the sentence head, %q scores %.3f, want a nudge", slip, res.Score)
			continue
		}
		quoted := false
		for _, h := range res.Hits {
			if q := text[h.Start:h.End]; strings.Contains(slip, q) {
				quoted = true
			}
		}
		if !quoted {
			t.Errorf("the nudge for %q quotes %v, want the slip", slip, res.Hits)
		}
	}
	if res := Evaluate(Message{Text: before + after[1:]}, rules); res.Nudge(0.6) {
		t.Errorf("the same reply without the slip scores %.3f, want ok", res.Score)
	}
	// A short message is read whole only.
	short := "Most of our customers manage to find this in the first week without asking."
	a, b := Evaluate(Message{Text: short}, rules), Evaluate(Message{Text: short}, wholeOnly)
	if a.Score != b.Score {
		t.Errorf("a short message scores %.3f with the sentence head, %.3f without", a.Score, b.Score)
	}
}

// TestModelFileWindow: the window line and the sentence head's column
// round-trip, and a file without them (as older ones) still loads.
func TestModelFileWindow(t *testing.T) {
	const rows = "class YOU you your\nbias 0 0 0 0 0 0 0 0 0\n"
	m, err := LoadModel(strings.NewReader("window bias=-3 margin=1.5 words=40\n"+rows+"u wrong 2 1 0 0 0 0 0 0 0 1.25\n"), "w.txt")
	if err != nil {
		t.Fatal(err)
	}
	if want := (window{on: true, bias: -3, margin: 1.5, words: 40}); m.win != want || len(m.ww) != 1 || m.ww[0] != 1.25 {
		t.Fatalf("window %+v, weights %v", m.win, m.ww)
	}
	var buf strings.Builder
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	m2, err := LoadModel(strings.NewReader(buf.String()), "again.txt")
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if m2.win != m.win || len(m2.ww) != 1 || m2.ww[0] != 1.25 {
		t.Errorf("round trip: window %+v, weights %v", m2.win, m2.ww)
	}
	old, err := LoadModel(strings.NewReader(rows+"u wrong 2 1 0 0 0 0 0 0 0\n"), "old.txt")
	if err != nil || old.win.on || old.ww != nil {
		t.Errorf("a file without a window line: %v, window %+v", err, old.win)
	}
	for _, tt := range []struct{ file, want string }{
		{rows + "window bias=1\n", "window: must come before"},
		{"window bias=x\n" + rows, `window: "bias=x" is not NAME=NUMBER`},
		{"window words=2.5\n" + rows, "window: words=2.5 is not a count"},
		{"window size=3\n" + rows, `window: unknown parameter "size"`},
		{"window bias=0\n" + rows + "u wrong 2 1 0 0 0 0 0 0 0\n", "u: want 1 symbols and 10 weights, got 10 fields"},
		{rows + "u wrong 2 1 0 0 0 0 0 0 0 1\n", "u: want 1 symbols and 9 weights, got 11 fields"},
	} {
		_, err := LoadModel(strings.NewReader(tt.file), "bad.txt")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("LoadModel(%q) = %v, want an error with %q", tt.file, err, tt.want)
		}
	}
}

// TestSentenceWindows: each feature counts in the first sentence it is
// in, and the customer's in every sentence.
func TestSentenceWindows(t *testing.T) {
	ids := []int{1, 2, 3, 1, 4, 5, 3, 9}
	sents := []int32{0, 0, 1, 1, 1, 2, 2, -1}
	got := sentenceWindows(ids, sents)
	want := [][]int{{1, 2, 9}, {3, 4, 9}, {5, 9}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sentenceWindows = %v, want %v", got, want)
	}
	if got := sentenceWindows([]int{1, 2, 7}, []int32{0, 0, -1}); got != nil {
		t.Errorf("one sentence: %v, want none", got)
	}
}

// TestModelFileDamp: a damp line is read, written back, and scales the
// weights' sum of a message with more features than it names.
func TestModelFileDamp(t *testing.T) {
	const rows = "bias 0 0 0 0 0 0 0 0 0\nu alpha 1 0 0 0 0 0 0 0 0\nu beta 1 0 0 0 0 0 0 0 0\nu gamma 1 0 0 0 0 0 0 0 0\nu delta 1 0 0 0 0 0 0 0 0\n"
	m, err := LoadModel(strings.NewReader("damp features=2\n"+rows), "d.txt")
	if err != nil {
		t.Fatal(err)
	}
	plain, err := LoadModel(strings.NewReader(rows), "plain.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		m    *Model
		text string
		want float64 // the logit
	}{
		{m, "alpha beta", 2},                              // two features: not damped
		{m, "alpha beta gamma delta", 4 * math.Sqrt(0.5)}, // four: sqrt(2/4)
		{plain, "alpha beta gamma delta", 4},
	} {
		pr := tt.m.predict(tt.text)
		if got := logit(pr.p); math.Abs(got-tt.want) > 1e-6 {
			t.Errorf("damp %d, %q: logit %.4f, want %.4f", tt.m.damp, tt.text, got, tt.want)
		}
		pr.release()
	}
	var buf strings.Builder
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if m2, err := LoadModel(strings.NewReader(buf.String()), "again.txt"); err != nil || m2.damp != 2 {
		t.Errorf("round trip: %v, damp %d\n%s", err, m2.damp, buf.String())
	}
	for _, tt := range []struct{ file, want string }{
		{rows + "damp features=2\n", "damp: must come before"},
		{"damp features=0\n" + rows, "damp: features=0 is not a count"},
		{"damp features=2.5\n" + rows, "damp: features=2.5 is not a count"},
		{"damp words=3\n" + rows, `damp: unknown parameter "words"`},
		{"damp 3\n" + rows, `damp: "3" is not NAME=NUMBER`},
	} {
		_, err := LoadModel(strings.NewReader(tt.file), "bad.txt")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("LoadModel(%q) = %v, want an error with %q", tt.file, err, tt.want)
		}
	}
}
