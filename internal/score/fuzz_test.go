package score

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzNormalise checks the tokenizer on any text: no panic, every token
// inside the text, in order, without overlaps, each word's hashes those
// foldHash gives its span, and the name the model writes for a word
// (foldWord) hashing back to it.
func FuzzNormalise(f *testing.F) {
	f.Add("<@U1> <#C1|x> <https://a|b> :smile: &amp; `c` ```d``` > e\nsooo WRONG!!! ok??")
	f.Add("Jess's boss’s ooo'oo zz'Z")
	f.Fuzz(func(t *testing.T, text string) {
		sc := newScanner(text)
		var tok token
		prev := int32(0)
		for n := 0; ; n++ {
			ok, _ := sc.next(&tok)
			if !ok {
				break
			}
			if tok.start < prev || tok.start >= tok.end || int(tok.end) > len(text) {
				t.Fatalf("token %d span [%d,%d) bad (previous end %d, len %d) in %q", n, tok.start, tok.end, prev, len(text), text)
			}
			prev = tok.end
			if tok.flags&tkWord != 0 {
				u := token{start: tok.start, end: tok.end}
				foldHash(text, &u)
				if u.hash != tok.hash || u.hash2 != tok.hash2 || u.flags&tkLongRun != tok.flags&tkLongRun {
					t.Fatalf("token %d %q: hashes %x %x, foldHash says %x %x", n, text[tok.start:tok.end], tok.hash, tok.hash2, u.hash, u.hash2)
				}
				if w := text[tok.start:tok.end]; tok.flags&tkNum == 0 && hashWord(foldWord(w)) != tok.hash {
					t.Fatalf("token %d %q folds to %q, which hashes to %x, not %x", n, w, foldWord(w), hashWord(foldWord(w)), tok.hash)
				}
			}
			if n > len(text) {
				t.Fatalf("more tokens than bytes in %q", text)
			}
		}
	})
}

// FuzzEvaluate checks the scorer on any message: no panic, spans inside
// the text, score in [0,1], a family exactly when something counts, and
// the same answer twice.
func FuzzEvaluate(f *testing.F) {
	f.Add("As I already explained, you're wrong :upside_down_face:", "you never refunded me", int64(0), uint16(0))
	f.Fuzz(func(t *testing.T, text, ctx string, at int64, off uint16) {
		rules := DefaultRules()
		msg := Message{Text: text, Context: ctx, At: time.Unix(at, 0), Off: FamilySet(off)}
		res := Evaluate(msg, rules)
		if res.Score < 0 || res.Score > 1 {
			t.Fatalf("Score = %v for %q", res.Score, text)
		}
		if (res.Family == "") != (res.Score == 0) || (res.Family == "") != (len(res.Hits) == 0) {
			t.Fatalf("Family %q, Score %v, %d hits for %q", res.Family, res.Score, len(res.Hits), text)
		}
		for _, h := range res.Hits {
			if h.Start < 0 || h.Start >= h.End || h.End > len(text) {
				t.Fatalf("hit %v outside text of %d bytes %q", h, len(text), text)
			}
			if msg.Off.Has(h.Family) {
				t.Fatalf("hit %v of a family switched off", h)
			}
		}
		if again := Evaluate(msg, rules); !reflect.DeepEqual(res, again) {
			t.Fatalf("Evaluate not deterministic for %q: %+v then %+v", text, res, again)
		}
		Escalated(text, rules)
	})
}

// FuzzLoadRules checks that no rules file makes the parser panic.
func FuzzLoadRules(f *testing.F) {
	f.Add("@x = a, b\nrule a.b spar 0.5\n  match (a|@x)? b *2 c $\n  unless d\noff spar.jab\n")
	f.Fuzz(func(t *testing.T, file string) {
		rules, err := LoadRules(strings.NewReader(file), "fuzz.rules")
		if err == nil {
			Evaluate(Message{Text: file}, rules)
		}
	})
}

// FuzzLoadModel checks that no model file makes the parser panic, that
// what it accepts scores any message within the Result's invariants, and
// that it writes back to a file that loads to the same model.
func FuzzLoadModel(f *testing.F) {
	f.Add("blend gain=5 center=0.3 shift=-1\nclass YOU you your\nbias 0 1 0 0 0 0 0 0 0\nu wrong 2 1 0 0 0 0 0 0 0\nb YOU wrong 1 1 0 0 0 0 0 0 0\n", "you're wrong")
	f.Add("window bias=-1 margin=0.5 words=3\nclass YOU you your\nbias 0 1 0 0 0 0 0 0 0\nu wrong 2 1 0 0 0 0 0 0 0 3\nb YOU wrong 1 1 0 0 0 0 0 0 0 -1\n", "Thanks for the logs. Fine. But you're wrong. We will fix it today!")
	f.Add("damp features=2\nclass YOU you your\nbias 0 1 0 0 0 0 0 0 0\nu wrong 2 1 0 0 0 0 0 0 0\nu you 1 1 0 0 0 0 0 0 0\nb YOU wrong 1 1 0 0 0 0 0 0 0\n", "you're wrong, you are")
	f.Fuzz(func(t *testing.T, file, text string) {
		m, err := LoadModel(strings.NewReader(file), "fuzz.model")
		if err != nil {
			return
		}
		res := Evaluate(Message{Text: text}, DefaultRules().WithModel(m))
		if res.Score < 0 || res.Score > 1 || math.IsNaN(res.Score) {
			t.Fatalf("Score = %v", res.Score)
		}
		for _, h := range res.Hits {
			if h.Start < 0 || h.Start >= h.End || h.End > len(text) {
				t.Fatalf("hit %v outside text of %d bytes", h, len(text))
			}
		}
		var b strings.Builder
		m.WriteTo(&b)
		again, err := LoadModel(strings.NewReader(b.String()), "again")
		if err != nil {
			t.Fatalf("a model written back does not load: %v\n%s", err, b.String())
		}
		if again.Features() != m.Features() {
			t.Fatalf("%d features written, %d read back", m.Features(), again.Features())
		}
	})
}
