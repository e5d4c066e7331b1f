package score

import (
	"testing"
)

// TestPrefilterRuns counts, over the dev corpus, how many pattern attempts
// the index makes and how many runs of the automaton its requirement
// features let through, and guards against a change (to the engine or the
// rulebook) that defeats the prefilter. With the three shared-bit
// requirements of before, ~700 match lines let 64.9 runs per message
// through; checking every mandatory item against the sentence's features
// let 25 of 236 attempts through, and 42 of 289 as the rulebook grew;
// also asking that the second token can go on with the pattern let 17 of
// 315 through, and the tokens after it (deepOK) 13.
func TestPrefilterRuns(t *testing.T) {
	r := DefaultRules()
	rows := readCorpus(t, devCorpus(t))
	rs := &r.agent
	st := new(scratch)
	attempts, runs := 0, 0
	n := 0
	count := func(ix *index, i int) {
		visit := func(l plist) {
			for k := range l.e {
				e := &l.e[k]
				attempts++
				if e.nextOK(st.wid[:], st.cls[:], n, i) && st.feat.viable(&e.patNeed, &rs.pats[e.pi]) &&
					rs.deepOK(e.pi, st.wid[:], st.cls[:], n, i) {
					runs++
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
		r.sentences(st, row.Text, func(sn int) bool {
			n = sn
			r.features(st, n)
			for _, ix := range []*starts{&rs.match, &rs.except} {
				count(&ix.head, 0)
				for i := 0; i < n; i++ {
					count(&ix.any, i)
				}
			}
			return false
		})
	}
	m := float64(len(rows))
	t.Logf("per message: %.1f attempts, %.1f runs past the prefilter", float64(attempts)/m, float64(runs)/m)
	// Runs grow with the rulebook, so the guard is mostly relative: the
	// prefilter must stop at least seven attempts in eight (it stops ~94%).
	if float64(runs) > 0.125*float64(attempts) || float64(runs)/m > 40 {
		t.Errorf("%.1f of %.1f attempts per message run the automaton, want at most an eighth and 40", float64(runs)/m, float64(attempts)/m)
	}
}

// TestNextOKSound checks the next-token prefilters never stop a run that
// would match: over the dev corpus, at every token, for every pattern,
// when nextOK or deepOK says no the automaton finds nothing.
func TestNextOKSound(t *testing.T) {
	r := DefaultRules()
	rows := readCorpus(t, devCorpus(t))
	st := new(scratch)
	stopped, deep := 0, 0
	for _, row := range rows {
		r.sentences(st, row.Text, func(n int) bool {
			for _, rs := range []*ruleset{&r.agent, &r.esc} {
				for pi := range rs.pats {
					p := &rs.pats[pi]
					for i := 0; i < n; i++ {
						next := rs.need[pi].nextOK(st.wid[:], st.cls[:], n, i)
						if next && rs.deepOK(int32(pi), st.wid[:], st.cls[:], n, i) {
							continue
						}
						stopped++
						if next {
							deep++
						}
						if end := p.longest(st.wid[:n], st.cls[:n], i); end >= 0 {
							t.Fatalf("pattern %s stopped at token %d of %q but matches to %d", p.src, i, row.Text, end)
						}
					}
				}
			}
			return false
		})
	}
	if stopped == 0 || deep == 0 {
		t.Fatalf("the prefilters stopped %d runs, %d of them by deepOK; want some of each", stopped, deep)
	}
}

// TestSplitLists checks a split index list picks out exactly the entries
// that pass nextMeets, for the next token of every token of the dev
// corpus and for the end of a sentence.
func TestSplitLists(t *testing.T) {
	r := DefaultRules()
	rows := readCorpus(t, devCorpus(t))
	type key struct {
		next     classSet
		nextWord uint64
	}
	keys := map[key]bool{{}: true}
	st := new(scratch)
	for _, row := range rows {
		sc := newScanner(row.Text)
		for {
			if ok, _ := sc.next(&st.toks[0]); !ok {
				break
			}
			r.classify(st, 0)
			keys[key{st.cls[0], nextKeyWord(st.wid[0])}] = true
		}
	}
	split := 0
	for _, rs := range []*ruleset{&r.agent, &r.esc} {
		for _, ix := range []*index{&rs.match.any, &rs.match.head, &rs.except.any, &rs.except.head} {
			lists := append([]plist(nil), ix.byWord...)
			lists = append(lists, ix.byClass[:]...)
			for _, l := range lists {
				if l.split == nil {
					continue
				}
				split++
				for k := range keys {
					for c := range l.split {
						got := l.split[c].passing(k.next, k.nextWord)
						var want uint64
						for j := c * 64; j < min(len(l.e), c*64+64); j++ {
							if l.e[j].nextMeets(k.next, k.nextWord) {
								want |= 1 << (j - c*64)
							}
						}
						if got != want {
							t.Fatalf("chunk %d: passing = %x, want %x", c, got, want)
						}
					}
				}
			}
		}
	}
	if split == 0 {
		t.Fatal("no list is split")
	}
}

// nextKeyWord is the word bit nextKey gives for word id w.
func nextKeyWord(w uint32) uint64 {
	_, b := nextKey([]uint32{0, w}, make([]classSet, 2), 2, 0)
	return b
}
