package score

import (
	_ "embed"
	"io"
	"math/bits"
	"strings"
	"sync"
)

//go:embed rules.txt
var builtinRules string

// builtinName names the embedded rulebook in error messages.
const builtinName = "rules.txt"

// rule is one compiled rule.
type rule struct {
	id        string
	family    Family // "" for escalation rules
	fam       int    // index of family in Families(), -1 for escalation
	famBit    FamilySet
	weight    float64
	echo      bool      // needs the echo signal
	echoNear  bool      // echo within the match itself
	context   []pattern // all must match the customer's previous message
	hasUnless bool
}

// Rules is a compiled rulebook. It is safe for concurrent use.
type Rules struct {
	words       map[uint64]uint32 // folded word hash → word id
	table       wordTable         // the same, for the hot path
	wclass      []classSet        // word id → its classes
	rules       []rule
	agent       ruleset // run by Evaluate
	esc         ruleset // run by Escalated
	reminders   [8][]string
	suggestions [8]string
	stopClass   int       // the @stop class, or -1
	openerClass int       // the @opener class, or -1
	hasEcho     bool      // some rule uses the echo signal
	famUnless   FamilySet // the families with "unless-family" patterns
	// implies[b] holds the classes that include built-in class b
	// ("@count = two, three, @NUM").
	implies  [clsFirstUser]classSet
	impliers []int // the built-in classes that imply some class
	// The requirement features (see featSet): wgroups[w] are those word w
	// sets, cgroups[c] those class c sets; nfeat is how many words of a
	// featSet are in use. A token of word w with flags f gives its
	// sentence the features wfeat[wtok[w].feat0:wtok[w].feat1] and
	// ffeat[f] (tokenFeatures), as words of a featSet.
	wgroups       [][]uint16
	cgroups       [maxClasses][]uint16
	cgroupClasses classSet
	nfeat         int
	wtok          []wordTok // word id → what a token of it reads
	wfeat         []featWord
	ffeat         [flagMask + 1][]featWord
	flagCls       [flagMask + 1]classSet // token flags → classes (flagClasses)
	// model, when set, is blended with the rules' result (see blend);
	// builtinModel says it is the built-in one, parsed on first use, so
	// that a rulebook given another model (WithModel) never parses it.
	model        *Model
	builtinModel bool
}

// wordTok is what classifying a token of a word reads, in one place: the
// word's classes (wclass) and where its features are in Rules.wfeat.
type wordTok struct {
	cls          classSet
	feat0, feat1 uint32
}

var defaultRules = sync.OnceValue(func() *Rules {
	r, err := parseRules(nil, "")
	if err != nil {
		panic("score: built-in rulebook: " + err.Error())
	}
	r.builtinModel = true
	return r
})

// DefaultRules returns the built-in, embedded rulebook. It is parsed once.
func DefaultRules() *Rules { return defaultRules() }

// LoadRules returns the built-in rulebook with the rules file read from r
// applied on top: its rules are added and its "off ID" lines switch
// built-in rules off. Errors name the file (name), the line, the rule and
// the problem.
func LoadRules(r io.Reader, name string) (*Rules, error) {
	rules, err := parseRules(r, name)
	if err != nil {
		return nil, err
	}
	rules.builtinModel = true
	return rules, nil
}

// WithModel returns a copy of r that blends its rules with m; with a nil m
// it scores by the rules alone.
func (r *Rules) WithModel(m *Model) *Rules {
	c := *r
	c.model, c.builtinModel = m, false
	return &c
}

// Model returns the model r blends with, or nil.
func (r *Rules) Model() *Model {
	if r.builtinModel {
		return DefaultModel()
	}
	return r.model
}

func parseRules(user io.Reader, name string) (*Rules, error) {
	b := newBook()
	if err := b.parse(strings.NewReader(builtinRules), builtinName, false); err != nil {
		return nil, err
	}
	if user != nil {
		if err := b.parse(user, name, true); err != nil {
			return nil, err
		}
	}
	return compile(b)
}

// RuleIDs lists the ids of the rules in r, in rulebook order.
func (r *Rules) RuleIDs() []string {
	ids := make([]string, 0, len(r.rules))
	for _, ru := range r.rules {
		ids = append(ids, ru.id)
	}
	return ids
}

// Evaluate scores msg against rules.
func Evaluate(msg Message, rules *Rules) Result {
	if rules == nil {
		rules = DefaultRules()
	}
	st := scratchPool.Get().(*scratch)
	st.reset(len(rules.rules))
	st.ctxText = msg.Context
	// The model reads the tokens as the rules' pass makes them.
	m := rules.Model()
	if m != nil {
		st.rd.reset(m, msg.Text, false)
		st.pred, st.reading = m.newPredictor(), true
	}
	rules.scan(&rules.agent, &rules.agent.match, st, msg.Text, msg.Off)
	st.reading = false
	rules.exceptions(&rules.agent, st, msg.Text)
	res := rules.result(st, &msg)
	var pr prediction
	if m != nil {
		if msg.Context != "" {
			readContext(&st.rd, &st.pred, msg.Context)
		}
		readHits(&st.rd, &st.pred, res.Hits)
		pr = st.pred.finish(&st.rd)
		st.pred = predictor{}
	}
	scratchPool.Put(st)
	if m != nil {
		res = rules.blend(res, &msg, pr)
	}
	return res
}

// readContext gives the model the customer's message ctx that the agent's
// message rd has read answers (see reader).
func readContext(rd *reader, p *predictor, ctx string) {
	text, prev := rd.text, rd.prev
	rd.text, rd.ctx, rd.prev = ctx, true, symbol{raw: hStart, cls: hStart}
	feedReader(rd, p, ctx)
	rd.text, rd.ctx, rd.prev = text, false, prev
}

// readHits gives the model the rules' hits: each rule that hit is a
// feature of its own (see ruleFeat).
func readHits(rd *reader, p *predictor, hits []Hit) {
	for i := range hits {
		if !rd.room() {
			p.take(rd)
		}
		rd.out[rd.nout] = feature{hash: ruleFeat(hits[i].RuleID), sent: -1}
		rd.nout++
	}
}

// feedReader gives rd the tokens of text, the text it reads, letting p take
// its features whenever another token's may not fit.
func feedReader(rd *reader, p *predictor, text string) {
	sc := newScanner(text)
	var t token
	for {
		ok, brk := sc.next(&t)
		if !ok {
			break
		}
		if !rd.room() {
			p.take(rd)
		}
		rd.token(&t, brk)
	}
}

// escalationThreshold is the combined weight at which Escalated says yes.
const escalationThreshold = 0.5

// Escalated reports whether a customer's message shows escalation:
// shouting, "!!!"/"???", asking for a manager, threatening to cancel,
// leave, sue or post a review, "this is unacceptable". Its rules are the
// rulebook's "escalation" rules.
func Escalated(text string, rules *Rules) bool {
	if rules == nil {
		rules = DefaultRules()
	}
	st := scratchPool.Get().(*scratch)
	st.reset(len(rules.rules))
	rules.scan(&rules.esc, &rules.esc.match, st, text, 0)
	rules.exceptions(&rules.esc, st, text)
	prod := 1.0
	for _, h := range st.hits[:st.nh] {
		if st.excepted.has(int(h.rule)) {
			continue
		}
		prod *= 1 - rules.rules[h.rule].weight
	}
	scratchPool.Put(st)
	return 1-prod >= escalationThreshold
}

// Scratch state for one call.
const (
	maxSent = 96 // tokens per sentence; longer sentences are cut
	maxHits = 48 // hits kept per message
	maxEcho = 64 // content words kept from the context
)

type ruleBits [maxRules / 64]uint64

func (b *ruleBits) set(i int)      { b[i>>6] |= 1 << (i & 63) }
func (b *ruleBits) has(i int) bool { return b[i>>6]&(1<<(i&63)) != 0 }

type hitTmp struct {
	rule       int32
	pat        int32
	start, end int32
}

type scratch struct {
	toks      [maxSent + 1]token
	wid       [maxSent + 1]uint32
	cls       [maxSent + 1]classSet
	matched   ruleBits // rules with a hit
	twice     ruleBits // rules with a second hit (another pattern, another span)
	excepted  ruleBits
	excepts   [maxExcepts]int32 // the exceptions a message runs (exceptionsOf)
	famExcept uint16
	famHit    uint16 // families with a matched rule (FamilySet bits)
	hits      [maxHits]hitTmp
	nh        int
	ctxDone   bool
	ctx       [maxEcho]uint64
	nctx      int
	feat      featSet // features of the current sentence
	ctxText   string  // the customer's message, read on first need
	text      string  // the message being scanned
	sent      uint64  // numbers the sentences a scratch has scanned
	twins     [maxTwins]twinRun
	hist      history
	// The model's reading of the message, fed by scan while reading.
	rd      reader
	pred    predictor
	reading bool
}

// Limits of the history a scratch keeps of a message (history).
const (
	maxHist      = 512 // tokens
	maxHistSents = 48  // sentences
)

// history is the sentences of a message as scanned: their tokens' words
// and classes, their features and heads (Rules.heads), so that the
// message's exceptions can run over it without scanning it again.
type history struct {
	wid   [maxHist]uint32
	cls   [maxHist]classSet
	sents [maxHistSents]histSent
	ntok  int
	nsent int
	full  bool // some sentence did not fit; the rest are not kept
}

type histSent struct {
	start, n, heads int32
	feat            featSet
}

// keep adds the sentence of n tokens in st to h.
func (h *history) keep(st *scratch, n, heads int) {
	if h.full {
		return
	}
	if h.nsent == maxHistSents || h.ntok+n > maxHist {
		h.full = true
		return
	}
	copy(h.wid[h.ntok:], st.wid[:n])
	copy(h.cls[h.ntok:], st.cls[:n])
	h.sents[h.nsent] = histSent{start: int32(h.ntok), n: int32(n), heads: int32(heads), feat: st.feat}
	h.ntok += n
	h.nsent++
}

// twinRun is the last run of a set of patterns with one text
// (pattern.twin): at token i of sentence sent, the match ended at end
// (-1: no match; notRun: not run yet).
type twinRun struct {
	sent uint64
	i    int32
	end  int32
}

const notRun = -2

// secondHit reports whether h may count as its rule's second hit: another
// of the rule's patterns, over a span that doesn't overlap the first.
func (st *scratch) secondHit(h hitTmp) bool {
	for _, g := range st.hits[:st.nh] {
		if g.rule == h.rule {
			return g.pat != h.pat && (h.start >= g.end || h.end <= g.start)
		}
	}
	return false
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func (st *scratch) reset(nrules int) {
	n := (nrules + 63) / 64
	clear(st.matched[:n])
	clear(st.twice[:n])
	clear(st.excepted[:n])
	st.famExcept = 0
	st.famHit = 0
	st.nh = 0
	st.ctxDone = false
	st.nctx = 0
	st.ctxText = ""
	st.hist.ntok, st.hist.nsent, st.hist.full = 0, 0, false
	st.reading = false
}

// exceptions runs the exceptions of rs over text for the rules that hit
// in the scan just made of it with st, and for their families. Most
// messages hit nothing and skip this; the rest run only the exceptions of
// the rules and families that hit, over the sentences st.hist kept, or,
// for a message too long to keep, over the text scanned again.
func (r *Rules) exceptions(rs *ruleset, st *scratch, text string) {
	need := false
	for _, h := range st.hits[:st.nh] {
		if ru := &r.rules[h.rule]; ru.hasUnless || r.famUnless&ru.famBit != 0 {
			need = true
			break
		}
	}
	if !need {
		return
	}
	h := &st.hist
	pats, ok := rs.exceptionsOf(st)
	if h.full || !ok {
		r.scan(rs, &rs.except, st, text, 0)
		return
	}
	for k := range h.sents[:h.nsent] {
		s := &h.sents[k]
		n := int(s.n)
		copy(st.wid[:n], h.wid[s.start:])
		copy(st.cls[:n], h.cls[s.start:])
		st.feat = s.feat
		r.runExceptions(rs, pats, st, n, int(s.heads))
	}
}

// maxExcepts is how many exceptions a message runs on their own (see
// exceptionsOf); a message whose hits have more runs them all, by the
// index.
const maxExcepts = 64

// exceptionsOf returns the exceptions of the rules and families that hit
// in st, by index in rs.pats, or false when there are more than
// maxExcepts. Which exceptions match is all that counts, not in what
// order, so they need not run in the index's order.
func (rs *ruleset) exceptionsOf(st *scratch) ([]int32, bool) {
	out := st.excepts[:0]
	for k, m := range st.matched[:(len(rs.unlessOf)+63)/64] {
		for ; m != 0; m &= m - 1 {
			if ru := k*64 + bits.TrailingZeros64(m); ru < len(rs.unlessOf) {
				if len(out)+len(rs.unlessOf[ru]) > maxExcepts {
					return nil, false
				}
				out = append(out, rs.unlessOf[ru]...)
			}
		}
	}
	for f := range rs.famUnlessOf {
		if st.famHit&(1<<f) != 0 {
			if len(out)+len(rs.famUnlessOf[f]) > maxExcepts {
				return nil, false
			}
			out = append(out, rs.famUnlessOf[f]...)
		}
	}
	return out, true
}

// runExceptions runs the exceptions pats over the sentence of n tokens in
// st.wid and st.cls, whose features are in st.feat, at every token a run
// through the index would (the anchored ones at its first heads tokens),
// until each matches. The checks before a run are those of the index
// (the first token, nextOK, deepOK), which only save runs; there are no
// twins to share runs with.
func (r *Rules) runExceptions(rs *ruleset, pats []int32, st *scratch, n, heads int) {
	for _, pi := range pats {
		p := &rs.pats[pi]
		if p.kind == pkUnless && st.excepted.has(int(p.rule)) ||
			p.kind == pkFamUnless && st.famExcept&(1<<p.rule) != 0 {
			continue // matched already
		}
		if !st.feat.viable(&rs.need[pi], p) {
			continue
		}
		lim := n
		if p.anchored {
			lim = heads
		}
		need := &rs.need[pi]
		for i := 0; i < lim; i++ {
			if !p.firstCls.meets(st.cls[i]) && p.firstWords&(1<<(st.wid[i]&63)) == 0 {
				continue
			}
			if need.nextOK(st.wid[:], st.cls[:], n, i) && rs.deepOK(pi, st.wid[:], st.cls[:], n, i) &&
				p.longest(st.wid[:n], st.cls[:n], i) >= 0 {
				if p.kind == pkUnless {
					st.excepted.set(int(p.rule))
				} else {
					st.famExcept |= 1 << p.rule
				}
				break
			}
		}
	}
}

// scan tokenizes text sentence by sentence and runs the patterns of rs that
// ix indexes over each sentence.
func (r *Rules) scan(rs *ruleset, ix *starts, st *scratch, text string, off FamilySet) {
	st.text = text
	r.sentences(st, text, func(n int) bool {
		r.sentence(rs, ix, st, n, off)
		return false
	})
}

// sentences tokenizes text into st's buffers one sentence at a time (a
// sentence ends at '.', '?', '!', ';', a break such as a new line, or
// after maxSent tokens; one without a final mark gets a virtual one, see
// closeSentence), classifying each token, and calls each with the
// sentence's length until it returns true, which it then returns. While
// st.reading, the model's reader sees every token as it is made.
func (r *Rules) sentences(st *scratch, text string, each func(n int) bool) bool {
	sc := newScanner(text)
	n := 0
	for {
		ok, brk := sc.next(&st.toks[n])
		if !ok {
			break
		}
		if st.reading {
			if !st.rd.room() {
				st.pred.take(&st.rd)
			}
			st.rd.token(&st.toks[n], brk)
		}
		if brk && n > 0 {
			t := st.toks[n]
			if each(r.closeSentence(st, n)) {
				return true
			}
			st.toks[0] = t
			n = 0
		}
		r.classify(st, n)
		n++
		if st.toks[n-1].flags&tkEnd != 0 || n == maxSent {
			if each(n) {
				return true
			}
			n = 0
		}
	}
	return n > 0 && each(r.closeSentence(st, n))
}

// closeSentence gives a sentence of n tokens that has no final '.', '?' or
// '!' a virtual one, so that "$" matches at its end. It returns the new
// length.
func (r *Rules) closeSentence(st *scratch, n int) int {
	if st.toks[n-1].flags&tkEnd != 0 {
		return n
	}
	e := st.toks[n-1].end
	st.toks[n] = token{start: e, end: e, flags: tkEnd}
	r.classify(st, n)
	return n + 1
}

// classify looks token i up: its word id and its classes.
func (r *Rules) classify(st *scratch, i int) {
	t := &st.toks[i]
	var id uint32
	if t.hash != 0 {
		id = r.table.get(t.hash)
		if id == 0 && t.hash2 != 0 {
			id = r.table.get(t.hash2)
		}
	}
	st.wid[i] = id
	st.cls[i] = r.wtok[id].cls.union(r.flagCls[t.flags&flagMask])
}

// flagMask is the token flags that give a token a built-in class.
const flagMask = tkCaps | tkNum | tkQ | tkQQ | tkBang | tkBangs | tkEmoji | tkPunct | tkEnd

// flagClass pairs each token flag with the built-in class it gives.
var flagClass = [...]struct {
	flag  uint16
	class int
}{
	{tkCaps, clsCaps}, {tkNum, clsNum}, {tkQ, clsQ}, {tkQQ, clsQQ},
	{tkBang, clsBang}, {tkBangs, clsBangs}, {tkEmoji, clsEmoji}, {tkEnd, clsEnd},
}

// flagClasses returns the classes a token with flags f has whatever its
// word: @ANY, the built-in classes its flags say, and the classes that
// include those ("@count = two, @NUM").
func (r *Rules) flagClasses(f uint16) classSet {
	var c classSet
	c.set(clsAny)
	for _, fc := range flagClass {
		if f&fc.flag != 0 {
			c.set(fc.class)
		}
	}
	for _, b := range r.impliers {
		if c.has(b) {
			c = c.union(r.implies[b])
		}
	}
	return c
}

// sentence runs the patterns of ix that can start at each token of the
// sentence in st.toks[:n], and keeps the sentence in st.hist.
func (r *Rules) sentence(rs *ruleset, ix *starts, st *scratch, n int, off FamilySet) {
	r.features(st, n)
	heads := r.heads(st, n)
	r.run(rs, ix, st, n, heads, off)
	st.hist.keep(st, n, heads)
}

// heads returns how many tokens of the sentence in st.toks[:n] a pattern
// anchored at its start may start at: a sentence starts after its openers
// ("Honestly, ...", "Ok so ...") and commas.
func (r *Rules) heads(st *scratch, n int) int {
	h := 0
	for h < n {
		h++
		if r.openerClass < 0 || !(st.cls[h-1].has(r.openerClass) || st.toks[h-1].hash == punctHash[',']) {
			break
		}
	}
	return h
}

// run runs the patterns of ix over the sentence of n tokens in st.wid and
// st.cls, whose features are in st.feat: the anchored ones at its first
// heads tokens, the others at every token.
func (r *Rules) run(rs *ruleset, ix *starts, st *scratch, n, heads int, off FamilySet) {
	st.sent++ // the twins' runs so far were over other sentences
	for i := 0; i < heads; i++ {
		r.trigger(rs, &ix.head, st, n, i, off)
	}
	for i := 0; i < n; i++ {
		r.trigger(rs, &ix.any, st, n, i, off)
	}
}

// features fills st.feat for the sentence in st.toks[:n].
//
// The flags' features are looked up once, for the union of the tokens'
// flags: flagClasses is monotone, so those are a superset of the union of
// each token's, and a superset only lets more runs through to the
// automaton, which decides.
func (r *Rules) features(st *scratch, n int) {
	f := &st.feat
	clear(f[:r.nfeat])
	var flags uint16
	for i := 0; i < n; i++ {
		wt := &r.wtok[st.wid[i]]
		for _, fw := range r.wfeat[wt.feat0:wt.feat1] {
			f[fw.i&15] |= fw.m
		}
		flags |= st.toks[i].flags
	}
	for _, fw := range r.ffeat[flags&flagMask] {
		f[fw.i&15] |= fw.m
	}
}

// trigger tries the viable patterns of ix that can start at token i, in
// the order of the index: those starting with the token's word, then
// those starting with each of its classes.
func (r *Rules) trigger(rs *ruleset, ix *index, st *scratch, n, i int, off FamilySet) {
	if w := st.wid[i]; ix.hasWord(w) {
		r.tryList(rs, &ix.byWord[w], st, n, i, off)
	}
	c := st.cls[i]
	for k := range c {
		for m := c[k] & ix.classes[k]; m != 0; m &= m - 1 {
			r.tryList(rs, &ix.byClass[k*64+bits.TrailingZeros64(m)], st, n, i, off)
		}
	}
}

// tryList tries the patterns of l at token i, in order, when the sentence
// has all they need and the next tokens can go on with them. The cheapest
// checks, which stop most entries, are made here rather than in tryPassed.
func (r *Rules) tryList(rs *ruleset, l *plist, st *scratch, n, i int, off FamilySet) {
	next, nextWord := nextKey(st.wid[:], st.cls[:], n, i) // the same for the whole list
	if l.split != nil {
		for c := range l.split {
			for m := l.split[c].passing(next, nextWord); m != 0; m &= m - 1 {
				if e := &l.e[c*64+bits.TrailingZeros64(m)]; st.feat.hasFour(&e.patNeed) {
					r.tryPassed(rs, e, st, n, i, off)
				}
			}
		}
		return
	}
	for k := range l.e {
		if e := &l.e[k]; e.nextMeets(next, nextWord) && st.feat.hasFour(&e.patNeed) {
			r.tryPassed(rs, e, st, n, i, off)
		}
	}
}

// tryPassed tries the pattern of e, which passed nextMeets, at token i
// when the sentence has the features it needs and it passes its deep
// checks.
//
// The patterns with a twin (pattern.twin) share the answer at token i: the
// first to get here checks, notes a failure as a run that found nothing
// and leaves the run itself to try.
func (r *Rules) tryPassed(rs *ruleset, e *pentry, st *scratch, n, i int, off FamilySet) {
	if e.twin < 0 {
		if st.feat.viable(&e.patNeed, &rs.pats[e.pi]) && rs.deepOK(e.pi, st.wid[:], st.cls[:], n, i) {
			r.try(rs, e.pi, st, n, i, off)
		}
		return
	}
	t := &st.twins[e.twin]
	if t.sent != st.sent || t.i != int32(i) {
		end := int32(-1)
		if st.feat.viable(&e.patNeed, &rs.pats[e.pi]) && rs.deepOK(e.pi, st.wid[:], st.cls[:], n, i) {
			end = notRun
		}
		*t = twinRun{sent: st.sent, i: int32(i), end: end}
	}
	if t.end != -1 {
		r.try(rs, e.pi, st, n, i, off)
	}
}

func (r *Rules) try(rs *ruleset, pi int32, st *scratch, n, i int, off FamilySet) {
	p := &rs.pats[pi]
	switch p.kind {
	case pkMatch:
		if st.twice.has(int(p.rule)) {
			return
		}
		ru := &r.rules[p.rule]
		if off&ru.famBit != 0 {
			return
		}
		if ru.echo && !r.stated(st) { // no echo can hold: no need to run
			return
		}
	case pkUnless: // only once the rule has hit (Rules.exceptions)
		if st.excepted.has(int(p.rule)) || !st.matched.has(int(p.rule)) {
			return
		}
	case pkFamUnless: // only once a rule of the family has hit
		if st.famExcept&(1<<p.rule) != 0 || st.famHit&(1<<p.rule) == 0 {
			return
		}
	}
	var end int
	if p.twin >= 0 { // tryPassed has noted this token
		t := &st.twins[p.twin]
		if t.end == notRun {
			t.end = int32(p.longest(st.wid[:n], st.cls[:n], i))
		}
		end = int(t.end)
	} else {
		end = p.longest(st.wid[:n], st.cls[:n], i)
	}
	if end < 0 {
		return
	}
	switch p.kind {
	case pkMatch:
		h := hitTmp{rule: p.rule, pat: pi, start: st.toks[i].start, end: st.toks[end-1].end}
		if st.matched.has(int(p.rule)) && !st.secondHit(h) {
			return
		}
		ru := &r.rules[p.rule]
		if ru.echo && !r.echo(st, i, end, n, ru.echoNear) {
			return
		}
		if st.matched.has(int(p.rule)) {
			st.twice.set(int(p.rule))
		}
		st.matched.set(int(p.rule))
		st.famHit |= uint16(ru.famBit)
		if st.nh < maxHits {
			st.hits[st.nh] = h
			st.nh++
		}
	case pkUnless:
		st.excepted.set(int(p.rule))
	case pkFamUnless:
		st.famExcept |= 1 << p.rule
	}
}

// result turns the hits in st into a Result.
func (r *Rules) result(st *scratch, msg *Message) Result {
	prod := 1.0
	var famW [8]float64
	kept := 0
	for k := 0; k < st.nh; k++ {
		h := st.hits[k]
		ru := &r.rules[h.rule]
		if st.excepted.has(int(h.rule)) || st.famExcept&(1<<ru.fam) != 0 {
			continue
		}
		if len(ru.context) > 0 && !r.contextMatches(st, ru, msg.Context) {
			continue
		}
		prod *= 1 - ru.weight
		famW[ru.fam] += ru.weight
		st.hits[kept] = h
		kept++
	}
	if kept == 0 {
		return Result{}
	}
	best := 0
	for i := range famW {
		if famW[i] > famW[best] {
			best = i
		}
	}
	score := 1 - prod
	if score < 0 {
		score = 0
	} else if score > 1 {
		score = 1
	}
	hits := make([]Hit, kept)
	for k := 0; k < kept; k++ {
		h := st.hits[k]
		ru := &r.rules[h.rule]
		hits[k] = Hit{RuleID: ru.id, Family: ru.family, Weight: ru.weight, Start: int(h.start), End: int(h.end)}
	}
	for i := 1; i < len(hits); i++ { // by span; nearly sorted already
		for j := i; j > 0 && hits[j].Start < hits[j-1].Start; j-- {
			hits[j], hits[j-1] = hits[j-1], hits[j]
		}
	}
	res := Result{Score: score, Hits: hits, Family: Families()[best]}
	if rem := r.reminders[best]; len(rem) > 0 {
		res.Reminder = rem[rotation(msg, len(rem))]
	}
	res.Suggestion = r.suggestions[best]
	return res
}

// rotation picks which of n reminders to show for msg: it moves on every
// minute, so agents don't see the same line every time.
func rotation(msg *Message, n int) int {
	if msg.At.IsZero() {
		return 0
	}
	return int(uint64(msg.At.Unix()/60) % uint64(n))
}

// Reminders returns the reminders of family f, in rulebook order.
func (r *Rules) Reminders(f Family) []string {
	if i := familyIndex(f); i >= 0 {
		return append([]string(nil), r.reminders[i]...)
	}
	return nil
}

func familyIndex(f Family) int {
	for i, g := range Families() {
		if g == f {
			return i
		}
	}
	return -1
}

// stated reports whether the customer's previous message states some
// content word, without which no echo holds.
func (r *Rules) stated(st *scratch) bool {
	if !st.ctxDone {
		if st.ctxText == "" {
			return false
		}
		r.contextWords(st, st.ctxText)
	}
	return st.nctx > 0
}

// echo reports whether the tokens near the match in st.toks[i:end] include
// a content word the customer stated in their previous message: the agent
// is negating what the customer just claimed.
func (r *Rules) echo(st *scratch, i, end, n int, near bool) bool {
	if !r.stated(st) {
		return false
	}
	lo, hi := i-3, end+3
	if near {
		lo, hi = i, end
	}
	if lo < 0 {
		lo = 0
	}
	if hi > n {
		hi = n
	}
	for j := lo; j < hi; j++ {
		t := &st.toks[j]
		if !r.content(t, st.cls[j]) {
			continue
		}
		h := stemHash(st.text, t)
		for _, c := range st.ctx[:st.nctx] {
			if c == h {
				return true
			}
		}
	}
	return false
}

// content reports whether t is a content word: letters, four or more, and
// not in the rulebook's @stop class.
func (r *Rules) content(t *token, c classSet) bool {
	if t.flags&tkWord == 0 || t.flags&tkNum != 0 || t.letters < 4 {
		return false
	}
	return r.stopClass < 0 || !c.has(r.stopClass)
}

// contextWords collects the content words of the statements (not the
// questions) in ctx into st.ctx.
func (r *Rules) contextWords(st *scratch, ctx string) {
	st.ctxDone = true
	st.nctx = 0
	sc := newScanner(ctx)
	var t token
	sentStart := 0
	for {
		ok, brk := sc.next(&t)
		if !ok {
			break
		}
		if brk {
			sentStart = st.nctx
		}
		if t.flags&tkEnd != 0 {
			if t.flags&tkQ != 0 {
				st.nctx = sentStart // a question claims nothing
			}
			sentStart = st.nctx
			continue
		}
		var c classSet
		if t.hash != 0 {
			c = r.wtok[r.table.get(t.hash)].cls
		}
		if r.content(&t, c) && st.nctx < maxEcho {
			st.ctx[st.nctx] = stemHash(ctx, &t)
			st.nctx++
		}
	}
}

// contextMatches reports whether every context pattern of ru matches ctx.
func (r *Rules) contextMatches(st *scratch, ru *rule, ctx string) bool {
	if ctx == "" {
		return false
	}
	for pi := range ru.context {
		if !r.matchAnywhere(st, &ru.context[pi], ctx) {
			return false
		}
	}
	return true
}

// matchAnywhere runs p at every token of text. It reuses st's token
// buffers, so it must not run during scan.
func (r *Rules) matchAnywhere(st *scratch, p *pattern, text string) bool {
	return r.sentences(st, text, func(n int) bool {
		for i := 0; i < n; i++ {
			if p.anchored && i != 0 {
				break
			}
			if p.longest(st.wid[:n], st.cls[:n], i) > 0 {
				return true
			}
		}
		return false
	})
}

// wordTable maps folded word hashes to word ids (0: not a known word).
type wordTable struct{ t hashTable[uint32] }

func newWordTable(m map[uint64]uint32) wordTable {
	return wordTable{newHashTable(len(m), func(put func(uint64, uint32)) {
		for k, v := range m {
			put(k, v)
		}
	})}
}

func (w *wordTable) get(k uint64) uint32 {
	if id := w.t.find(k); id != nil {
		return *id
	}
	return 0
}

// stemHash hashes a content word with common English endings taken off
// ("bounced", "bounces", "bouncing" and "bounce" are one stem), for
// comparing the agent's words with the customer's.
func stemHash(s string, t *token) uint64 {
	var buf [32]byte
	n := 0
	for i := int(t.start); i < int(t.end) && n < len(buf); i++ {
		c := s[i]
		if c == '\'' {
			continue
		}
		buf[n] = lower(c)
		n++
	}
	w := buf[:n]
	for _, suf := range [...]string{"ing", "ed", "es", "s", "e"} {
		if len(w) >= len(suf)+3 && string(w[len(w)-len(suf):]) == suf {
			w = w[:len(w)-len(suf)]
			break
		}
	}
	if k := len(w); k >= 4 && w[k-1] == w[k-2] && isLetter(w[k-1]) {
		w = w[:k-1] // "dropp" → "drop"
	}
	return fnv(w)
}
