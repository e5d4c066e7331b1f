package score

import (
	"fmt"
	"math/bits"
	"sort"
	"strconv"
	"strings"
)

// A compiled pattern is a Glushkov automaton over tokens: each position is
// one atom (a set of words and classes) that consumes one token; follow[p]
// is the set of positions that may come after p. A pattern has at most 64
// positions, so a set of live positions is one uint64 and running a pattern
// allocates nothing and is linear in the tokens it reads.
//
// Most attempts are stopped before that: each sentence gets a feature set
// (its classes, and which requirement groups some token of it meets), and
// a pattern is run only when every mandatory item of it is there. The
// check is made per attempt (ruleset.need, copied into the index lists),
// in index order, so the patterns still come out in that order (which
// decides the hits' order and the second-hit choice); a sentence only
// pays for the patterns its tokens can start.

// Limits of the engine.
const (
	maxPositions = 64   // atoms per pattern, gaps included
	maxClasses   = 128  // classes, built-in ones included
	maxRules     = 1024 // rules in a rulebook
	maxGap       = 8    // longest gap, "*8"
)

// classSet is a set of classes, one bit each.
type classSet [maxClasses / 64]uint64

func (c *classSet) set(i int)                { c[i>>6] |= 1 << (i & 63) }
func (c classSet) has(i int) bool            { return c[i>>6]&(1<<(i&63)) != 0 }
func (c classSet) meets(d classSet) bool     { return c[0]&d[0] != 0 || c[1]&d[1] != 0 }
func (c classSet) union(d classSet) classSet { return classSet{c[0] | d[0], c[1] | d[1]} }

// atom matches one token.
type atom struct {
	mask  classSet
	words []uint32
	set   []uint64 // words as a bitmap by id, for atoms with many words
}

// fatom is an atom as the automaton reads it: its classes, its words by
// bit id&63 (most tokens that miss stop there), then its words inline (up
// to fatomWords, noWord-padded) or, for an atom with more, as a bitmap in
// pattern.sets[setOff:setOff+setLen].
type fatom struct {
	mask   classSet
	wbits  uint64
	w      [fatomWords]uint32
	setOff uint32
	setLen uint32
}

const (
	fatomWords = 4
	noWord     = ^uint32(0) // no word has this id
)

// buildFast fills p.fast and p.sets from p.atoms.
func (p *pattern) buildFast() {
	p.fast = make([]fatom, len(p.atoms))
	for k := range p.atoms {
		a, f := &p.atoms[k], &p.fast[k]
		f.mask = a.mask
		for _, w := range a.words {
			f.wbits |= 1 << (w & 63)
		}
		f.w = [fatomWords]uint32{noWord, noWord, noWord, noWord}
		if a.set == nil {
			copy(f.w[:], a.words)
			continue
		}
		f.setOff, f.setLen = uint32(len(p.sets)), uint32(len(a.set))
		p.sets = append(p.sets, a.set...)
	}
}

// Pattern kinds.
const (
	pkMatch     = iota // the rule matches
	pkUnless           // an exception of the rule
	pkFamUnless        // an exception of a whole family
	pkContext          // must match the customer's previous message
)

type pattern struct {
	kind     uint8
	rule     int32 // index in Rules.rules; the family for pkFamUnless
	anchored bool  // '^': only at the start of a sentence
	atoms    []atom
	// reqs are the pattern's mandatory items (what can match each
	// non-optional part of its top-level sequence); feats are the
	// features standing for them, most selective first. A sentence that
	// lacks one of them can't match, so the automaton isn't run there.
	reqs  []atom
	feats []uint16
	first uint64
	last  uint64
	// firstCls and firstWords (by bit id&63) are what the atoms at first
	// match: a token that has none of them can't start a match.
	firstCls   classSet
	firstWords uint64
	any        uint64 // positions that match any token (gaps)
	follow     []uint64
	// text is the pattern as written, spaces normalised: equal texts are
	// equal automata. twin numbers the patterns of a ruleset whose text
	// another of its patterns has too (-1 for the rest): a run of one is a
	// run of all, so a sentence runs them once per token (scratch.twins).
	text string
	twin int16
	// fast holds the atoms in the form the automaton reads (fatom), and
	// sets the word bitmaps of those with many words.
	fast []fatom
	sets []uint64
	src  srcPos
}

// ruleset is the patterns Evaluate or Escalated run, indexed by the words
// and classes they can start with.
type ruleset struct {
	pats []pattern
	// match indexes the patterns that make hits, except the exceptions
	// ("unless", "unless-family"). An exception only matters once a rule
	// it excepts has hit, so the exceptions are run over a message only
	// after its hits are known, and only those of the rules that hit.
	match, except starts
	// unlessOf[r] are the exceptions of rule r, famUnlessOf[f] those of
	// family f, by index in pats: a message runs only those of the rules
	// and families that hit (Rules.exceptions).
	unlessOf    [][]int32
	famUnlessOf [8][]int32
	// need[i] is what pattern i needs of a sentence's features.
	need []patNeed
	// deep[i] is what pattern i needs of the tokens after its second
	// (see deepCheck); looked at only once the needs have passed.
	deep [][]deepCheck
}

// deepCheck says what token i+d of a sentence must be for a pattern
// started at token i to match: every match is at least d+1 tokens long,
// and the atoms that can take token i+d are all words and classes (no
// gap), here their classes and their words by bit id&63.
type deepCheck struct {
	d     int
	cls   classSet
	words uint64
}

// deepMax is the farthest token deepCheck looks at.
const deepMax = 4

// deepOK reports whether pattern pi, started at token i of a sentence of
// n tokens, passes its deep checks. A false answer means the automaton
// would find no match.
func (rs *ruleset) deepOK(pi int32, wid []uint32, cls []classSet, n, i int) bool {
	for _, c := range rs.deep[pi] {
		j := i + c.d
		if j >= n {
			return false
		}
		if c.cls.meets(cls[j]) {
			continue
		}
		if w := wid[j]; w == 0 || c.words&(1<<(w&63)) == 0 {
			return false
		}
	}
	return true
}

// deepChecks returns the deep checks of p: for each d from 2 up to
// deepMax, when no match is shorter than d+1 tokens and no gap can take
// token i+d, what can.
func deepChecks(p *pattern) []deepCheck {
	var out []deepCheck
	layer := p.first // the positions that can take token i+d
	for d := 0; d <= deepMax; d++ {
		if layer&p.last != 0 || layer == 0 {
			break // a match may end at token i+d
		}
		var next uint64
		for m := layer; m != 0; m &= m - 1 {
			next |= p.follow[bits.TrailingZeros64(m)]
		}
		layer = next
		if d+1 < 2 || layer&p.any != 0 || layer == 0 {
			continue
		}
		c := deepCheck{d: d + 1}
		for m := layer; m != 0; m &= m - 1 {
			a := &p.atoms[bits.TrailingZeros64(m)]
			c.cls = c.cls.union(a.mask)
			for _, w := range a.words {
				c.words |= 1 << (w & 63)
			}
		}
		out = append(out, c)
	}
	return out
}

// patNeed is a pattern's features, the most selective first, inline so
// that checking one touches a few bytes: a pattern is viable in a sentence
// only when the sentence has all of them.
//
// A pattern that can't match one token alone and can't go on with a gap
// also needs a second token that one of the atoms after its first can
// match (next, and words by bit w&63 in nextWords); most runs that get
// past the features end there.
type patNeed struct {
	f         [4]uint16 // clsAny, which every sentence has, when unused
	more      bool      // the pattern has more features than these
	needNext  bool      // next and nextWords apply
	twin      int16     // the pattern's twin (pattern.twin)
	next      classSet
	nextWords uint64
}

// nextOK reports whether a pattern with needs e, started at token i of a
// sentence of n tokens, may get past its first token. A false answer means
// the automaton would find no match.
func (e *patNeed) nextOK(wid []uint32, cls []classSet, n, i int) bool {
	next, nextWord := nextKey(wid, cls, n, i)
	return e.nextMeets(next, nextWord)
}

// nextKey returns what nextMeets looks at of token i+1: its classes and
// its word's bit (none past the sentence's end).
func nextKey(wid []uint32, cls []classSet, n, i int) (classSet, uint64) {
	if i+1 >= n {
		return classSet{}, 0
	}
	var wb uint64
	if w := wid[i+1]; w != 0 {
		wb = 1 << (w & 63)
	}
	return cls[i+1], wb
}

// nextMeets is nextOK given nextKey's answer.
func (e *patNeed) nextMeets(next classSet, nextWord uint64) bool {
	return !e.needNext || (e.next[0]&next[0]|e.next[1]&next[1]|e.nextWords&nextWord) != 0
}

// starts indexes a set of patterns by where they can start.
type starts struct {
	any  index // patterns that may start anywhere
	head index // patterns anchored at a sentence's start (^)
}

// index maps the words and classes a pattern can start with to the
// patterns.
type index struct {
	byWord  []plist
	byClass [maxClasses]plist
	classes classSet // classes some pattern starts with
	// words has bit w set when byWord[w] is not empty. Most words of the
	// rulebook start no pattern of a given index; the bitmap stays in the
	// cache, where the lists' headers, one per word, don't.
	words []uint64
}

// hasWord reports whether some pattern of ix starts with word w.
func (ix *index) hasWord(w uint32) bool {
	return int(w>>6) < len(ix.words) && ix.words[w>>6]&(1<<(w&63)) != 0
}

// plist is a list of patterns in pattern order (by index in
// ruleset.pats), each with a copy of its needs, so that checking the
// attempts of a token reads one array front to back. A long list
// (splitMin patterns or more) is also split by what the next token must
// be (nextMeets), 64 entries a chunk, so that a token picks out the
// entries its next token passes with a few ORs.
type plist struct {
	e     []pentry
	split []nextChunk
}

type pentry struct {
	pi int32
	patNeed
}

// nextChunk holds entries 64k to 64k+63 of a split list as bitsets: those
// that don't need a next token, those whose nextWords have bit b
// (word[b]), those whose next has class c (cls[c]).
type nextChunk struct {
	always uint64
	word   [64]uint64
	cls    [maxClasses]uint64
}

// splitMin is the length from which a list is split. Over the dev corpus,
// 8 is fastest (the chunks of the lists split then take ~160 KB); 4, 6,
// 16 and 24 were slower.
const splitMin = 8

func (l *plist) add(pi int, e *patNeed) {
	l.e = append(l.e, pentry{int32(pi), *e})
}

func (l *plist) buildSplit() {
	if len(l.e) < splitMin {
		return
	}
	l.split = make([]nextChunk, (len(l.e)+63)/64)
	for k := range l.e {
		e := &l.e[k]
		ch, bit := &l.split[k/64], uint64(1)<<(k%64)
		if !e.needNext {
			ch.always |= bit
			continue
		}
		for b := 0; b < 64; b++ {
			if e.nextWords&(1<<b) != 0 {
				ch.word[b] |= bit
			}
		}
		for c := 0; c < maxClasses; c++ {
			if e.next.has(c) {
				ch.cls[c] |= bit
			}
		}
	}
}

// passing returns the entries of chunk ch that pass nextMeets given
// nextKey's answer (next, nextWord).
func (ch *nextChunk) passing(next classSet, nextWord uint64) uint64 {
	m := ch.always
	if nextWord != 0 {
		m |= ch.word[bits.TrailingZeros64(nextWord)]
	}
	for k := range next {
		for x := next[k]; x != 0; x &= x - 1 {
			m |= ch.cls[k*64+bits.TrailingZeros64(x)]
		}
	}
	return m
}

// A sentence's features say which of the patterns' mandatory items some
// token of it can match. Features 0 to maxClasses-1 are the classes; the
// rest stand for the requirement groups (sets of words and classes) that
// aren't one class, shared by hashing when there are more groups than
// bits, which only lets a run of the automaton through.
const maxFeatures = 1024

type featSet [maxFeatures / 64]uint64

// featWord is one word of a featSet: f[i] |= m.
type featWord struct {
	i uint32
	m uint64
}

func (f *featSet) set(i uint16)      { f[i>>6&15] |= 1 << (i & 63) }
func (f *featSet) has(i uint16) bool { return f[i>>6&15]&(1<<(i&63)) != 0 }

// bit is 1 when i is in f, else 0.
func (f *featSet) bit(i uint16) uint64 { return f[i>>6&15] >> (i & 63) & 1 }

// viable reports whether a sentence with features f has everything
// pattern p (with needs e) needs.
func (f *featSet) viable(e *patNeed, p *pattern) bool {
	return f.hasFour(e) && (!e.more || f.hasAll(p.feats[len(e.f):]))
}

// hasFour reports whether a sentence with features f has the features of
// e.f, the first four of viable: those most likely to fail.
func (f *featSet) hasFour(e *patNeed) bool {
	// Without branches: which feature fails is unpredictable.
	return f.bit(e.f[0])&f.bit(e.f[1])&f.bit(e.f[2])&f.bit(e.f[3]) != 0
}

func (f *featSet) hasAll(fs []uint16) bool {
	for _, g := range fs {
		if !f.has(g) {
			return false
		}
	}
	return true
}

// pnode is a parsed pattern.
type pnode struct {
	kind int // nAtom, nSeq, nAlt, nOpt
	atom int
	kids []*pnode
}

const (
	nAtom = iota
	nSeq
	nAlt
	nOpt
)

// compiler turns a book into Rules.
type compiler struct {
	b       *book
	r       *Rules
	classes map[string]int // class name → bit
	wcost   []int          // word id → cost (see cost)
}

func compile(b *book) (*Rules, error) {
	c := &compiler{b: b, r: &Rules{words: map[uint64]uint32{}}, classes: map[string]int{}}
	c.r.wclass = []classSet{{}} // word id 0: unknown
	for i, n := range builtinClasses {
		c.classes[n] = i
	}
	if len(b.classes)+clsFirstUser > maxClasses {
		return nil, fmt.Errorf("%s: too many classes (at most %d)", b.classes[0].src.file, maxClasses-clsFirstUser)
	}
	for _, cl := range b.classes {
		c.classes[cl.name] = len(c.classes)
	}
	for _, cl := range b.classes {
		seen := map[string]bool{}
		if err := c.fillClass(cl, c.classes[cl.name], seen); err != nil {
			return nil, err
		}
	}
	var specs []*ruleSpec
	for _, rs := range b.rules {
		if rs != nil {
			specs = append(specs, rs)
		}
	}
	if len(specs) > maxRules {
		return nil, fmt.Errorf("too many rules: %d (at most %d)", len(specs), maxRules)
	}
	var agent, esc []pattern
	for _, rs := range specs {
		idx := int32(len(c.r.rules))
		ru := rule{id: rs.id, weight: rs.weight, echo: rs.signal == "echo" || rs.signal == "echo-near", echoNear: rs.signal == "echo-near", fam: -1}
		if ru.echo {
			c.r.hasEcho = true
		}
		if rs.family != escalation {
			ru.family = Family(rs.family)
			ru.fam = familyIndex(ru.family)
			ru.famBit = FamilySet(0).With(ru.family)
		}
		if len(rs.match) == 0 {
			return nil, &parseError{pos: rs.src, rule: rs.id, msg: "missing pattern: a rule needs at least one \"match\" line"}
		}
		add := func(ps []patSpec, kind uint8) ([]pattern, error) {
			var out []pattern
			for _, p := range ps {
				pt, err := c.pattern(p.text, p.src)
				if err != nil {
					return nil, &parseError{pos: p.src, rule: rs.id, msg: err.Error()}
				}
				pt.kind, pt.rule = kind, idx
				out = append(out, pt)
			}
			return out, nil
		}
		ms, err := add(rs.match, pkMatch)
		if err != nil {
			return nil, err
		}
		us, err := add(rs.unless, pkUnless)
		if err != nil {
			return nil, err
		}
		cs, err := add(rs.context, pkContext)
		if err != nil {
			return nil, err
		}
		ru.context = cs
		ru.hasUnless = len(us) > 0
		c.r.rules = append(c.r.rules, ru)
		if ru.fam < 0 {
			esc = append(esc, ms...)
			esc = append(esc, us...)
		} else {
			agent = append(agent, ms...)
			agent = append(agent, us...)
		}
	}
	for _, f := range Families() {
		for _, p := range b.famUnless[string(f)] {
			pt, err := c.pattern(p.text, p.src)
			if err != nil {
				return nil, &parseError{pos: p.src, msg: fmt.Sprintf("unless-family %s: %v", f, err)}
			}
			pt.kind, pt.rule = pkFamUnless, int32(familyIndex(f))
			agent = append(agent, pt)
			c.r.famUnless = c.r.famUnless.With(f)
		}
	}
	c.assignFeatures(agent, esc)
	if err := c.r.agent.index(agent, len(c.r.wclass)); err != nil {
		return nil, err
	}
	if err := c.r.esc.index(esc, len(c.r.wclass)); err != nil {
		return nil, err
	}
	for i, f := range Families() {
		c.r.reminders[i] = b.reminders[f]
		c.r.suggestions[i] = b.suggestion[f]
	}
	c.r.table = newWordTable(c.r.words)
	for f := range c.r.flagCls {
		if uint16(f)&^flagMask == 0 {
			c.r.flagCls[f] = c.r.flagClasses(uint16(f))
		}
	}
	c.r.tokenFeatures()
	c.r.openerClass = -1
	if cl, ok := c.classes["@opener"]; ok {
		c.r.openerClass = cl
	}
	if cl, ok := c.classes["@stop"]; ok {
		c.r.stopClass = cl
	} else {
		c.r.stopClass = -1
	}
	return c.r, nil
}

// assignFeatures gives each pattern's requirements their features: a
// requirement that is one class is that class's feature; any other gets
// a feature of its own (shared by equal requirements), set in a sentence
// when a token is one of its words (Rules.wgroups) or in one of its
// classes (Rules.cgroups).
func (c *compiler) assignFeatures(sets ...[]pattern) {
	r := c.r
	r.wgroups = make([][]uint16, len(r.wclass))
	ids := map[string]uint16{}
	next := maxClasses
	const groupBits = maxFeatures - maxClasses
	type scored struct {
		f    uint16
		cost int
	}
	for _, pats := range sets {
		for i := range pats {
			p := &pats[i]
			var fs []scored
			seen := map[uint16]bool{}
			for _, q := range p.reqs {
				ws := append([]uint32(nil), q.words...)
				sort.Slice(ws, func(a, b int) bool { return ws[a] < ws[b] })
				ws = dedupU32(ws)
				nc := 0
				lone := -1
				for b := 0; b < maxClasses; b++ {
					if q.mask.has(b) {
						nc++
						lone = b
					}
				}
				var f uint16
				if len(ws) == 0 && nc == 1 {
					f = uint16(lone)
				} else {
					key := fmt.Sprint(ws, q.mask)
					id, ok := ids[key]
					if !ok {
						id = uint16(maxClasses + (next-maxClasses)%groupBits)
						next++
						ids[key] = id
						for _, w := range ws {
							r.wgroups[w] = addFeat(r.wgroups[w], id)
						}
						for b := 0; b < maxClasses; b++ {
							if q.mask.has(b) {
								r.cgroups[b] = addFeat(r.cgroups[b], id)
								r.cgroupClasses.set(b)
							}
						}
					}
					f = id
				}
				if !seen[f] {
					seen[f] = true
					fs = append(fs, scored{f, c.cost(ws, q.mask)})
				}
			}
			sort.SliceStable(fs, func(a, b int) bool { return fs[a].cost < fs[b].cost })
			p.feats = p.feats[:0]
			for _, x := range fs {
				p.feats = append(p.feats, x.f)
			}
		}
	}
	r.nfeat = (min(next, maxFeatures) + 63) / 64
}

// tokenFeatures fills Rules.wtok, Rules.wfeat and Rules.ffeat: the features a token
// gives its sentence are those of its word (its classes, the groups the
// word is in and the groups of its classes) and those of its flags (their
// classes and the groups of those), so a sentence's features are the
// union of two short lists per token. Needs the flag classes.
func (r *Rules) tokenFeatures() {
	feats := func(c classSet, groups []uint16) []featWord {
		var fs featSet
		fs[0], fs[1] = c[0], c[1]
		for _, g := range groups {
			fs.set(g)
		}
		for b := 0; b < maxClasses; b++ {
			if c.has(b) {
				for _, g := range r.cgroups[b] {
					fs.set(g)
				}
			}
		}
		var out []featWord
		for k, m := range fs {
			if m != 0 {
				out = append(out, featWord{uint32(k), m})
			}
		}
		return out
	}
	r.wtok = make([]wordTok, len(r.wclass))
	r.wfeat = r.wfeat[:0]
	for w, c := range r.wclass {
		t := &r.wtok[w]
		t.cls, t.feat0 = c, uint32(len(r.wfeat))
		r.wfeat = append(r.wfeat, feats(c, r.wgroups[w])...)
		t.feat1 = uint32(len(r.wfeat))
	}
	for f := range r.ffeat {
		if uint16(f)&^flagMask == 0 {
			r.ffeat[f] = feats(r.flagCls[f], nil)
		}
	}
}

// cost estimates how often a requirement of words ws and classes mask is
// met by some token of a sentence, so that each pattern is looked up by
// its rarest requirement. It only affects speed.
func (c *compiler) cost(ws []uint32, mask classSet) int {
	if c.wcost == nil {
		c.wcost = make([]int, len(c.r.wclass))
		for h, id := range c.r.words {
			c.wcost[id] = 1
			if k, ok := commonWords[h]; ok {
				c.wcost[id] = k
			}
		}
	}
	n := 0
	for _, w := range ws {
		n += c.wcost[w]
	}
	for b := 0; b < maxClasses; b++ {
		if !mask.has(b) {
			continue
		}
		if b < clsFirstUser {
			n += builtinCost[b]
			continue
		}
		for id, cl := range c.r.wclass {
			if cl.has(b) {
				n += c.wcost[id]
			}
		}
		for bi := range c.r.implies {
			if c.r.implies[bi].has(b) {
				n += builtinCost[bi]
			}
		}
	}
	return n
}

// builtinCost is how common a token of each built-in class is, in the
// units of cost.
var builtinCost = [clsFirstUser]int{clsCaps: 300, clsNum: 200, clsQ: 300, clsQQ: 10, clsBang: 100, clsBangs: 10, clsEmoji: 30, clsAny: 100000, clsEnd: 10000}

// commonWords are frequent words of support chat, by folded hash, with
// their cost (a rare word costs 1).
var commonWords = func() map[uint64]int {
	m := map[uint64]int{}
	for _, w := range strings.Fields("i you the to a and it is that we your for this of in on be have not can will do are with as just so if me my what at or was please thanks thank " +
		"an our us they them their there here all any but by from get has had been would could should did does don't can't no yes ok okay hi hello " +
		"know see let need want make like one about out up now then when how which who why more some time again still also only sure help issue account order") {
		k := 100
		if len(w) <= 3 {
			k = 300
		}
		m[hashWord(w)] = k
	}
	return m
}()

func dedupU32(ws []uint32) []uint32 {
	out := ws[:0]
	for i, w := range ws {
		if i == 0 || w != ws[i-1] {
			out = append(out, w)
		}
	}
	return out
}

func addFeat(fs []uint16, f uint16) []uint16 {
	for _, g := range fs {
		if g == f {
			return fs
		}
	}
	return append(fs, f)
}

func (c *compiler) fillClass(cl classSpec, bit int, seen map[string]bool) error {
	if seen[cl.name] {
		return &parseError{pos: cl.src, msg: fmt.Sprintf("class %s includes itself", cl.name)}
	}
	seen[cl.name] = true
	for _, m := range cl.members {
		if bi := builtinIndex(m); bi >= 0 {
			if bi == clsAny || bi == clsEnd {
				return &parseError{pos: cl.src, msg: fmt.Sprintf("class %s: %s can't be part of a class", cl.name, m)}
			}
			if c.r.implies[bi] == (classSet{}) {
				c.r.impliers = append(c.r.impliers, bi)
			}
			c.r.implies[bi].set(bit)
			continue
		}
		if strings.HasPrefix(m, "@") {
			i, ok := c.b.classIdx[m]
			if !ok {
				return &parseError{pos: cl.src, msg: fmt.Sprintf("class %s: unknown class %s", cl.name, m)}
			}
			if err := c.fillClass(c.b.classes[i], bit, seen); err != nil {
				return err
			}
			continue
		}
		id, err := c.word(m)
		if err != nil {
			return &parseError{pos: cl.src, msg: fmt.Sprintf("class %s: %v", cl.name, err)}
		}
		c.r.wclass[id].set(bit)
	}
	delete(seen, cl.name)
	return nil
}

func maxU32(a, b uint32) uint32 {
	if a > b {
		return a
	}
	return b
}

func builtinIndex(name string) int {
	for i, n := range builtinClasses {
		if n == name {
			return i
		}
	}
	return -1
}

// word returns the id of a rulebook word, adding it when new. The word must
// read as exactly one token.
func (c *compiler) word(w string) (uint32, error) {
	sc := newScanner(w)
	var t, u token
	ok, _ := sc.next(&t)
	if !ok || int(t.start) != 0 || int(t.end) != len(w) {
		return 0, fmt.Errorf("%q is not one word", w)
	}
	if more, _ := sc.next(&u); more {
		return 0, fmt.Errorf("%q is not one word", w)
	}
	if t.hash == 0 {
		return 0, fmt.Errorf("%q can't be a word (use @Q, @QQ, @BANG or @BANGS for ? and !)", w)
	}
	if id, ok := c.r.words[t.hash]; ok {
		return id, nil
	}
	id := uint32(len(c.r.wclass))
	c.r.words[t.hash] = id
	c.r.wclass = append(c.r.wclass, classSet{})
	return id, nil
}

// pattern parses and compiles one pattern line.
func (c *compiler) pattern(text string, src srcPos) (pattern, error) {
	p := pattern{src: src, text: strings.Join(strings.Fields(text), " "), twin: -1}
	f := strings.Fields(strings.NewReplacer("(", " ( ", ")", " ) ", "|", " | ").Replace(text))
	if len(f) > 0 && f[0] == "^" {
		p.anchored = true
		f = f[1:]
	}
	if len(f) == 0 {
		return p, fmt.Errorf("missing pattern")
	}
	ps := &pparser{c: c, f: f, p: &p}
	n, err := ps.alt()
	if err != nil {
		return p, err
	}
	if ps.i < len(ps.f) {
		return p, fmt.Errorf("unexpected %q in pattern", ps.f[ps.i])
	}
	if len(p.atoms) > maxPositions {
		return p, fmt.Errorf("pattern too long: %d positions (at most %d; gaps count)", len(p.atoms), maxPositions)
	}
	if emptyAlternative(n) {
		return p, fmt.Errorf("an alternative in ( | ) can match nothing: write (a|b)? rather than (a|b?)")
	}
	for i := range p.atoms {
		a := &p.atoms[i]
		if len(a.words) <= 4 {
			continue
		}
		var max uint32
		for _, w := range a.words {
			max = maxU32(max, w)
		}
		a.set = make([]uint64, max/64+1)
		for _, w := range a.words {
			a.set[w>>6] |= 1 << (w & 63)
		}
	}
	p.follow = make([]uint64, len(p.atoms))
	first, last, nullable := glushkov(n, p.follow)
	if nullable {
		return p, fmt.Errorf("pattern can match nothing")
	}
	for m := first; m != 0; m &= m - 1 {
		a := &p.atoms[bits.TrailingZeros64(m)]
		if a.mask.has(clsAny) {
			return p, fmt.Errorf("pattern can't start with a gap or @ANY")
		}
		if a.mask.has(clsEnd) {
			return p, fmt.Errorf("pattern can't start with $")
		}
	}
	p.first, p.last = first, last
	for m := first; m != 0; m &= m - 1 {
		a := &p.atoms[bits.TrailingZeros64(m)]
		p.firstCls = p.firstCls.union(a.mask)
		for _, w := range a.words {
			p.firstWords |= 1 << (w & 63)
		}
	}
	for i := range p.atoms {
		if p.atoms[i].mask.has(clsAny) {
			p.any |= 1 << i
		}
	}
	p.reqs = requiredItems(n, &p)
	p.buildFast()
	return p, nil
}

// requiredItems returns what can match each mandatory item of n: every
// part of its top-level sequence that can't be skipped, except those that
// any token matches.
func requiredItems(n *pnode, p *pattern) []atom {
	if n.kind != nSeq {
		return nil
	}
	var out []atom
	scratch := make([]uint64, maxPositions)
	for _, k := range n.kids {
		if _, _, nl := glushkov(k, scratch); nl {
			continue
		}
		var cover atom
		coverAtoms(k, p, &cover)
		if cover.mask.has(clsAny) {
			continue
		}
		out = append(out, cover)
	}
	return out
}

func coverAtoms(n *pnode, p *pattern, out *atom) {
	if n.kind == nAtom {
		a := &p.atoms[n.atom]
		out.mask = out.mask.union(a.mask)
		out.words = append(out.words, a.words...)
		return
	}
	for _, k := range n.kids {
		coverAtoms(k, p, out)
	}
}

type pparser struct {
	c *compiler
	f []string
	i int
	p *pattern
}

func (ps *pparser) alt() (*pnode, error) {
	var alts []*pnode
	for {
		s, err := ps.seq()
		if err != nil {
			return nil, err
		}
		alts = append(alts, s)
		if ps.i < len(ps.f) && ps.f[ps.i] == "|" {
			ps.i++
			continue
		}
		break
	}
	if len(alts) == 1 {
		return alts[0], nil
	}
	return &pnode{kind: nAlt, kids: alts}, nil
}

func (ps *pparser) seq() (*pnode, error) {
	n := &pnode{kind: nSeq}
	for ps.i < len(ps.f) {
		tok := ps.f[ps.i]
		if tok == "|" || tok == ")" {
			break
		}
		ps.i++
		var item *pnode
		switch {
		case tok == "(":
			inner, err := ps.alt()
			if err != nil {
				return nil, err
			}
			if ps.i >= len(ps.f) || ps.f[ps.i] != ")" {
				return nil, fmt.Errorf("missing ) in pattern")
			}
			ps.i++
			item = inner
		case tok == "?":
			return nil, fmt.Errorf("stray ? (a question mark is @Q; ? after a word or ) makes it optional)")
		case tok == "^":
			return nil, fmt.Errorf("^ only at the very start of a pattern")
		case tok == "$":
			var a atom
			a.mask.set(clsEnd)
			item = ps.addAtom(a)
		case strings.HasPrefix(tok, "*"):
			g := maxGap / 2
			if tok != "*" {
				v, err := strconv.Atoi(tok[1:])
				if err != nil || v < 1 || v > maxGap {
					return nil, fmt.Errorf("bad gap %q: want * or *N with N in 1..%d", tok, maxGap)
				}
				g = v
			}
			gap := &pnode{kind: nSeq}
			for k := 0; k < g; k++ {
				var a atom
				a.mask.set(clsAny)
				gap.kids = append(gap.kids, &pnode{kind: nOpt, kids: []*pnode{ps.addAtom(a)}})
			}
			n.kids = append(n.kids, gap)
			continue
		default:
			opt := false
			if len(tok) > 1 && strings.HasSuffix(tok, "?") {
				opt = true
				tok = tok[:len(tok)-1]
			}
			a, err := ps.atom(tok)
			if err != nil {
				return nil, err
			}
			item = ps.addAtom(a)
			if opt {
				item = &pnode{kind: nOpt, kids: []*pnode{item}}
			}
		}
		if ps.i < len(ps.f) && ps.f[ps.i] == "?" {
			ps.i++
			item = &pnode{kind: nOpt, kids: []*pnode{item}}
		}
		n.kids = append(n.kids, item)
	}
	if len(n.kids) == 0 {
		return nil, fmt.Errorf("empty alternative in pattern")
	}
	return n, nil
}

func (ps *pparser) addAtom(a atom) *pnode {
	ps.p.atoms = append(ps.p.atoms, a)
	return &pnode{kind: nAtom, atom: len(ps.p.atoms) - 1}
}

// atom parses "word", "@class" or "a/b/@c".
func (ps *pparser) atom(tok string) (atom, error) {
	var a atom
	for _, alt := range strings.Split(tok, "/") {
		if alt == "" {
			return a, fmt.Errorf("empty alternative in %q", tok)
		}
		if strings.HasPrefix(alt, "@") {
			bit, ok := ps.c.classes[alt]
			if !ok {
				return a, fmt.Errorf("unknown class %s", alt)
			}
			a.mask.set(bit)
			continue
		}
		id, err := ps.c.word(strings.ToLower(alt))
		if err != nil {
			return a, err
		}
		a.words = append(a.words, id)
	}
	return a, nil
}

// emptyAlternative reports whether some ( | ) group in n has an
// alternative that matches the empty sequence, which would make the whole
// group optional without saying so.
func emptyAlternative(n *pnode) bool {
	if n.kind == nAlt {
		for _, k := range n.kids {
			if _, _, nl := glushkov(k, make([]uint64, maxPositions)); nl {
				return true
			}
		}
	}
	for _, k := range n.kids {
		if emptyAlternative(k) {
			return true
		}
	}
	return false
}

// glushkov fills follow and returns the first and last positions of n and
// whether n matches the empty sequence.
func glushkov(n *pnode, follow []uint64) (first, last uint64, nullable bool) {
	switch n.kind {
	case nAtom:
		b := uint64(1) << n.atom
		return b, b, false
	case nOpt:
		f, l, _ := glushkov(n.kids[0], follow)
		return f, l, true
	case nAlt:
		for _, k := range n.kids {
			f, l, nl := glushkov(k, follow)
			first |= f
			last |= l
			nullable = nullable || nl
		}
		return first, last, nullable
	}
	nullable = true
	for _, k := range n.kids {
		f, l, nl := glushkov(k, follow)
		for m := last; m != 0; m &= m - 1 {
			follow[bits.TrailingZeros64(m)] |= f
		}
		if nullable {
			first |= f
		}
		if nl {
			last |= l
		} else {
			last = l
		}
		nullable = nullable && nl
	}
	return first, last, nullable
}

// indexes are the ruleset's four indexes: its matches' and its
// exceptions', each anchored and not.
func (rs *ruleset) indexes() []*index {
	return []*index{&rs.match.any, &rs.match.head, &rs.except.any, &rs.except.head}
}

func (rs *ruleset) index(pats []pattern, nwords int) error {
	rs.pats = pats
	rs.findTwins()
	for _, ix := range rs.indexes() {
		ix.byWord = make([]plist, nwords)
	}
	rs.need = make([]patNeed, len(pats))
	rs.deep = make([][]deepCheck, len(pats))
	for i := range pats {
		p := &pats[i]
		rs.deep[i] = deepChecks(p)
		e := &rs.need[i]
		e.more = len(p.feats) > len(e.f)
		e.twin = p.twin
		for j := range e.f {
			e.f[j] = clsAny
			if j < len(p.feats) {
				e.f[j] = p.feats[j]
			}
		}
		var second uint64
		for m := p.first; m != 0; m &= m - 1 {
			second |= p.follow[bits.TrailingZeros64(m)]
		}
		if p.first&p.last == 0 && second&p.any == 0 {
			e.needNext = true
			for m := second; m != 0; m &= m - 1 {
				a := &p.atoms[bits.TrailingZeros64(m)]
				e.next = e.next.union(a.mask)
				for _, w := range a.words {
					e.nextWords |= 1 << (w & 63)
				}
			}
		}
		set := &rs.match
		switch p.kind {
		case pkUnless:
			for int(p.rule) >= len(rs.unlessOf) {
				rs.unlessOf = append(rs.unlessOf, nil)
			}
			rs.unlessOf[p.rule] = append(rs.unlessOf[p.rule], int32(i))
			set = &rs.except
		case pkFamUnless:
			rs.famUnlessOf[p.rule] = append(rs.famUnlessOf[p.rule], int32(i))
			set = &rs.except
		}
		ix := &set.any
		if p.anchored {
			ix = &set.head
		}
		var mask classSet
		seenW := map[uint32]bool{}
		for m := p.first; m != 0; m &= m - 1 {
			a := &p.atoms[bits.TrailingZeros64(m)]
			mask = mask.union(a.mask)
			for _, w := range a.words {
				if !seenW[w] {
					seenW[w] = true
					ix.byWord[w].add(i, e)
				}
			}
		}
		for b := 0; b < maxClasses; b++ {
			if mask.has(b) {
				ix.byClass[b].add(i, e)
				ix.classes.set(b)
			}
		}
	}
	for _, ix := range rs.indexes() {
		ix.words = make([]uint64, (len(ix.byWord)+63)/64)
		for w := range ix.byWord {
			ix.byWord[w].buildSplit()
			if len(ix.byWord[w].e) > 0 {
				ix.words[w>>6] |= 1 << (w & 63)
			}
		}
		for b := range ix.byClass {
			ix.byClass[b].buildSplit()
		}
	}
	return nil
}

// maxTwins is how many sets of patterns with one text a ruleset shares
// runs for; patterns past it are run on their own.
const maxTwins = 256

// findTwins numbers the patterns of rs whose text another has too.
func (rs *ruleset) findTwins() {
	count := map[string]int{}
	for i := range rs.pats {
		count[rs.pats[i].text]++
	}
	ids := map[string]int16{}
	for i := range rs.pats {
		p := &rs.pats[i]
		if count[p.text] < 2 {
			continue
		}
		id, ok := ids[p.text]
		if !ok {
			if len(ids) == maxTwins {
				continue
			}
			id = int16(len(ids))
			ids[p.text] = id
		}
		p.twin = id
	}
}

// longest runs p from token i of the sentence whose tokens' words and
// classes are wid and cls, and returns the end (exclusive) of the longest
// match, or -1.
func (p *pattern) longest(wid []uint32, cls []classSet, i int) int {
	end := -1
	cur := p.step(p.first, wid[i], cls[i])
	j := i
	for cur != 0 {
		j++
		if cur&p.last != 0 {
			end = j
		}
		if j >= len(wid) {
			break
		}
		var nxt uint64
		for m := cur; m != 0; m &= m - 1 {
			nxt |= p.follow[bits.TrailingZeros64(m)]
		}
		cur = p.step(nxt, wid[j], cls[j])
	}
	return end
}

// step returns the positions of cand whose atoms match a token of word w
// and classes c. It is the automaton's inner loop: the atom test is
// written out here rather than called.
func (p *pattern) step(cand uint64, w uint32, c classSet) uint64 {
	out := cand & p.any
	wbit := uint64(1) << (w & 63)
	for m := cand &^ p.any; m != 0; m &= m - 1 {
		k := bits.TrailingZeros64(m)
		a := &p.fast[k]
		switch {
		case a.mask[0]&c[0]|a.mask[1]&c[1] != 0:
		case a.wbits&wbit == 0:
			continue
		case a.setLen != 0:
			if i := w >> 6; i >= a.setLen || p.sets[a.setOff+i]&wbit == 0 {
				continue
			}
		case w != a.w[0] && w != a.w[1] && w != a.w[2] && w != a.w[3]:
			continue
		}
		out |= 1 << k
	}
	return out
}
