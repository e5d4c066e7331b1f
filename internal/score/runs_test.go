package score

import "testing"

// TestPrefilterRuns counts, over the dev corpus, how many pattern runs the
// index lets through with one requirement and with all of them, and guards
// against a rulebook change that defeats the prefilter. Runs grow with the
// rulebook: 36.5 per message with ~500 match lines (from 104 with one
// shared-bit requirement), 64.9 with ~700 after the tune2 round.
func TestPrefilterRuns(t *testing.T) {
	r := DefaultRules()
	rows := readCorpus(t, devCorpus(t))
	rs := &r.agent
	st := new(scratch)
	one, all, attempts := 0, 0, 0
	count := func(ix *index, n, i int) {
		u := st.sentCls
		visit := func(e *entry) {
			attempts++
			if e.req[0].meets(u) {
				one++
			}
			if e.ok(u) {
				all++
			}
		}
		if w := st.wid[i]; w != 0 {
			for k := range ix.byWord[w] {
				visit(&ix.byWord[w][k])
			}
		}
		for b := 0; b < maxClasses; b++ {
			if st.cls[i].has(b) && ix.classes.has(b) {
				for k := range ix.byClass[b] {
					visit(&ix.byClass[b][k])
				}
			}
		}
	}
	for _, row := range rows {
		sc := newScanner(row.Text)
		n := 0
		flush := func() {
			var u classSet
			for i := 0; i < n; i++ {
				u = u.union(st.cls[i])
			}
			st.sentCls = u
			count(&rs.head, n, 0)
			for i := 0; i < n; i++ {
				count(&rs.any, n, i)
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
	t.Logf("per message: %.1f attempts, %.1f runs past one requirement, %.1f past all", float64(attempts)/m, float64(one)/m, float64(all)/m)
	if runs := float64(all) / m; runs > 80 {
		t.Errorf("%.1f pattern runs per message past the prefilter, want at most 80", runs)
	}
}
