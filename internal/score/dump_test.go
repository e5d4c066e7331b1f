package score

import (
	"bufio"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDumpResults writes what Evaluate and Escalated say about a large,
// deterministic set of messages to the file named by $NUDGE_DUMP, one JSON
// line per message. It is the differential check of the speed work: copy
// this file and the tree's rules.txt into a checkout of the engine to
// compare with, run it in both, and the two files must be byte-identical.
//
//	NUDGE_DUMP=/tmp/new.jsonl go test -run TestDumpResults ./internal/score/
//
// The messages are every corpus line in testdata and shared/corpus (with
// and without their context, with families switched off), and generated
// ones: corpus texts spliced and mutated byte by byte, word salad from the
// rulebook's own words, Slack mrkdwn, and long messages up to 40 KB.
func TestDumpResults(t *testing.T) {
	out := os.Getenv("NUDGE_DUMP")
	if out == "" {
		t.Skip("set NUDGE_DUMP to a file to write the differential dump")
	}
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	defer w.Flush()
	rules := DefaultRules()
	user, err := LoadRules(strings.NewReader(dumpUserRules), "dump.rules")
	if err != nil {
		t.Fatal(err)
	}
	enc := json.NewEncoder(w)
	n := 0
	emit := func(msg Message) {
		n++
		for _, r := range []*Rules{rules, user} {
			res := Evaluate(msg, r)
			if err := enc.Encode(struct {
				N         int
				Res       Result
				Esc, EscC bool
			}{n, res, Escalated(msg.Text, r), Escalated(msg.Context, r)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, m := range dumpMessages(t) {
		emit(m)
	}
	t.Logf("%d messages dumped to %s", n, out)
}

// dumpUserRules is a user rules file applied on top of the built-in one in
// the dump, so that LoadRules' paths are compared too.
const dumpUserRules = `
@dumpx = gizmo, widget, @NUM
@we += gizmo
rule dump.one spar 0.7
  match you @adv? (need|have) to @dumpx
  unless ^ please
rule dump.two blame 0.4
  match @dumpx *3 your fault
  context @dumpx
unless-family condescend gizmo
`

func dumpMessages(t *testing.T) []Message {
	var rows []corpusRow
	paths, _ := filepath.Glob("testdata/*.jsonl")
	for _, p := range paths {
		rows = append(rows, readCorpus(t, p)...)
	}
	if dev := devCorpusPath(); dev != "" {
		rows = append(rows, readCorpus(t, dev)...)
	}
	if len(rows) == 0 {
		t.Fatal("no corpus rows")
	}
	var msgs []Message
	at := func(i int) time.Time { return time.Unix(int64(i)*61+1_700_000_000, 0) }
	for i, r := range rows {
		msgs = append(msgs,
			Message{Text: r.Text, Context: r.Context, At: at(i)},
			Message{Text: r.Text},
			Message{Text: r.Text, Context: r.Context, At: at(i * 7), Off: FamilySet(1 << (i % 8))},
			Message{Text: r.Context, Context: r.Text},
		)
	}
	vocab := rulebookWords()
	rng := rand.New(rand.NewPCG(3, 3))
	pick := func() string { return rows[rng.IntN(len(rows))].Text }
	seps := []string{" ", " ", ". ", ", ", "\n", "\n> ", "! ", "?? ", " `x` ", " ```\ncode\n``` ", "; ", "... ", " — ", "’", " :smile: ", " <@U12> ", " <https://x.io|", "> "}
	salad := func(k int) string {
		var b strings.Builder
		for j := 0; j < k; j++ {
			wd := vocab[rng.IntN(len(vocab))]
			switch rng.IntN(12) {
			case 0:
				wd = strings.ToUpper(wd)
			case 1:
				if len(wd) > 1 {
					wd = wd[:1] + strings.Repeat(wd[1:2], 3+rng.IntN(3)) + wd[2:]
				}
			case 2:
				wd = strings.ReplaceAll(wd, "'", "’")
			}
			b.WriteString(wd)
			if rng.IntN(5) == 0 {
				b.WriteString(seps[rng.IntN(len(seps))])
			} else {
				b.WriteByte(' ')
			}
		}
		return b.String()
	}
	mutate := func(s string) string {
		bs := []byte(s)
		for k := rng.IntN(6); k > 0 && len(bs) > 0; k-- {
			i := rng.IntN(len(bs))
			switch rng.IntN(4) {
			case 0:
				bs = append(bs[:i], bs[i+1:]...)
			case 1:
				bs[i] = byte(rng.IntN(256))
			case 2:
				ins := seps[rng.IntN(len(seps))]
				bs = append(bs[:i], append([]byte(ins), bs[i:]...)...)
			case 3:
				bs[i] = "?!.,;:'`<>&*_~\n"[rng.IntN(15)]
			}
		}
		return string(bs)
	}
	for i := 0; i < 6000; i++ {
		var text string
		switch i % 4 {
		case 0:
			var b strings.Builder
			for k := 1 + rng.IntN(4); k > 0; k-- {
				b.WriteString(pick())
				b.WriteString(seps[rng.IntN(len(seps))])
			}
			text = b.String()
		case 1:
			text = salad(3 + rng.IntN(40))
		case 2:
			text = mutate(pick())
		case 3:
			text = mutate(salad(2+rng.IntN(15)) + seps[rng.IntN(len(seps))] + pick())
		}
		ctx := ""
		if rng.IntN(3) > 0 {
			ctx = mutate(pick())
			if rng.IntN(2) == 0 {
				ctx = salad(3 + rng.IntN(20))
			}
		}
		var off FamilySet
		if rng.IntN(4) == 0 {
			off = FamilySet(rng.IntN(256))
		}
		msgs = append(msgs, Message{Text: text, Context: ctx, At: at(rng.IntN(1 << 20)), Off: off})
	}
	// Long messages: sentences longer than the engine's window, and the
	// benchmark sizes.
	for i := 0; i < 40; i++ {
		var b strings.Builder
		size := 1 << (8 + rng.IntN(8))
		for b.Len() < size {
			if i%2 == 0 {
				b.WriteString(salad(20))
			} else {
				b.WriteString(pick())
				b.WriteString(seps[rng.IntN(len(seps))])
			}
		}
		msgs = append(msgs, Message{Text: b.String(), Context: pick()})
	}
	for i := 0; i < 40; i++ { // one sentence longer than the window
		ws := make([]string, 90+rng.IntN(300))
		for j := range ws {
			for ws[j] == "" || strings.ContainsAny(ws[j], ".;!?:\n") {
				ws[j] = vocab[rng.IntN(len(vocab))]
			}
		}
		msgs = append(msgs, Message{Text: strings.Join(ws, " "), Context: pick()})
	}
	unit := "I've checked the logs and the sync job ran at 9:14, but the export didn't include your last two rows. "
	for _, size := range []int{100, 1 << 10, 10 << 10, 40 << 10} {
		msgs = append(msgs, Message{Text: strings.Repeat(unit, size/len(unit)+1)[:size]})
	}
	msgs = append(msgs, Message{Text: strings.Repeat("you are wrong ", 3000)}, Message{Text: strings.Repeat("no ", 500) + "\n" + strings.Repeat("!", 300)})
	return msgs
}

// rulebookWords returns the plain words written in rules.txt, for word
// salad that exercises the rules.
func rulebookWords() []string {
	var ws []string
	seen := map[string]bool{}
	for _, line := range strings.Split(builtinRules, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		for _, f := range strings.FieldsFunc(line, func(r rune) bool {
			return strings.ContainsRune(" \t,=()|/?*^$+", r)
		}) {
			if f == "" || f[0] == '@' || f[0] == '#' || seen[f] {
				continue
			}
			seen[f] = true
			ws = append(ws, f)
		}
	}
	ws = append(ws, ".", "?", "!", ",", "!!", "???", ":)", ":thumbsup:", "3", "10,000")
	return ws
}

// devCorpusPath finds shared/corpus/dev.jsonl above the package
// directory: "" when there is none.
func devCorpusPath() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, "shared", "corpus", "dev.jsonl")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
