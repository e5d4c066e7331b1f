package score

import (
	"math/bits"
	"testing"
)

// TestPrefilterRuns counts, over the dev corpus, how many pattern attempts
// the index makes and how many runs of the automaton its requirement
// features let through, and guards against a change (to the engine or the
// rulebook) that defeats the prefilter. With the three shared-bit
// requirements of before, ~700 match lines let 64.9 runs per message
// through; checking every mandatory item against the sentence's features
// let 25 of 236 attempts through, and 42 of 289 as the rulebook grew.
func TestPrefilterRuns(t *testing.T) {
	r := DefaultRules()
	rows := readCorpus(t, devCorpus(t))
	rs := &r.agent
	st := new(scratch)
	attempts, runs := 0, 0
	count := func(ix *index, i int) {
		visit := func(l plist) {
			for _, c := range l {
				attempts += bits.OnesCount64(c.m)
				for m := c.m; m != 0; m &= m - 1 {
					pi := int(c.i)*64 + bits.TrailingZeros64(m)
					if st.feat.viable(&rs.need[pi], &rs.pats[pi]) {
						runs++
					}
				}
			}
		}
		if w := st.wid[i]; w != 0 {
			visit(ix.byWord[w])
		}
		for b := 0; b < maxClasses; b++ {
			if st.cls[i].has(b) && ix.classes.has(b) {
				visit(ix.byClass[b])
			}
		}
	}
	for _, row := range rows {
		sc := newScanner(row.Text)
		n := 0
		flush := func() {
			r.features(st, n)
			count(&rs.head, 0)
			for i := 0; i < n; i++ {
				count(&rs.any, i)
			}
			n = 0
		}
		for {
			ok, _ := sc.next(&st.toks[n])
			if !ok {
				break
			}
			r.classify(st, n)
			n++
			if st.toks[n-1].flags&tkEnd != 0 || n == maxSent {
				flush()
			}
		}
		if n > 0 {
			flush()
		}
	}
	m := float64(len(rows))
	t.Logf("per message: %.1f attempts, %.1f runs past the prefilter", float64(attempts)/m, float64(runs)/m)
	// Runs grow with the rulebook, so the guard is mostly relative: the
	// prefilter must stop at least three attempts in four (it stops ~85%).
	if float64(runs) > 0.25*float64(attempts) || float64(runs)/m > 80 {
		t.Errorf("%.1f of %.1f attempts per message run the automaton, want at most a quarter and 80", float64(runs)/m, float64(attempts)/m)
	}
}
