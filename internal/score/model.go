package score

// The model is the scorer's second opinion: a logistic regression over the
// words and word pairs of a message, learned from the labeled corpora by
// `nudgebot train` (Train) and embedded as model.txt. Rules catch what a
// person wrote a pattern for and say exactly why; the model catches the
// same intent in wording nobody wrote a rule for ("Yes, it's intended.")
// and, from the polite messages it was trained on, learns to stay quiet
// about a stock phrase followed by a helpful turn. Evaluate blends the two:
// see blend.
//
// The model reads a message as a sequence of symbols: the folded words the
// tokenizer gives (so it never sees code, quotes, mentions or link
// targets), with marks for numbers, emoji, words in capitals, '?', '!' and
// runs of them. A few words are also read as their class (every form of
// "you" is YOU), so a pair like "YOU NEG" is one feature however it is
// spelled. Its features are the symbols and the pairs of class-read
// symbols, message start and end included, and the rules that hit (so the
// model learns how much each rule's hit tells); each counts once per
// message.
//
// A long message is also read sentence by sentence (see window): one
// sharp sentence in a long, helpful reply is otherwise outweighed by the
// rest. And its weights count for less (see dampScale): summed whole,
// many small ones would make a long, kind reply read as a certain nudge.

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

//go:generate go run ../../cmd/nudgebot train --out model.txt --list testdata/training.txt

//go:embed model.txt
var builtinModel string

const builtinModelName = "model.txt"

// modelCols is a feature's row: its weight toward "nudge", then one weight
// per family (for picking the family of a nudge), in Families() order.
const modelCols = 9

// Model is a learned scorer, loaded from a model file or made by Train.
// It is safe for concurrent use.
type Model struct {
	classNames []string
	classWords [][]string
	classes    wordTable // word hash → class index + 1
	classSym   []uint64  // class index → its symbol
	feats      featTable // feature hash → row and "nudge" weight
	names      []string  // row → the feature, as written in the file
	w          []float32 // rows × modelCols
	bias       [modelCols]float32
	// How blend weighs the rules against the model (see blend), and two
	// thresholds on the model's probability that follow from it: the
	// floor beside a strong cue, and below quiet a message no rule hit is
	// nothing. setBlend sets all five.
	gain, center, shift float64
	floor, quiet        float64
	// The sentence head (see window): a second weight per row, and how
	// it is read.
	ww  []float32
	win window
	// damp, when not 0, is the feature count above which a message's
	// weights count less (see dampScale).
	damp int32
}

// dampScale is what the sum of the weights of a message with n features
// counts for: a logistic regression adds up a weight per feature, so a
// long message, with many more features than a short one, drifts to a
// certain answer on the weight of many small ones ("hi", "four days",
// "times"). Beyond damp features, the sum is scaled by sqrt(damp/n), as
// it was in training, so that its spread stays about that of a message
// of damp features.
func (m *Model) dampScale(n int) float64 {
	if m.damp <= 0 || n <= int(m.damp) {
		return 1
	}
	return math.Sqrt(float64(m.damp) / float64(n))
}

// window is how a model reads a long message sentence by sentence as
// well as whole. The model reads a message as one bag of features, so in
// a long reply one sharp sentence is outweighed by the helpful rest. The
// sentence head is a second logistic regression over the same features,
// trained on sentences (with the customer's message): every sentence of
// an ordinary message is ordinary, and the most nudge-like sentence of a
// nudge is a nudge. In a message of at least words words and numbers,
// its reading of the most nudge-like sentence, less margin in the logit,
// is the model's probability when it is higher than the whole message's.
// Measured by leaving each corpus out in turn (48 sets, 18,207 lines,
// with the model of all features), from 55 words with a margin of 2 it
// catches 56 more of the long sets' 960 nudges for 8 more false alarms on
// their 1,440 ordinary lines, and leaves shorter messages as they were.
type window struct {
	on           bool
	bias, margin float64
	words        int32
}

// DefaultModel returns the built-in, embedded model. It is parsed once.
func DefaultModel() *Model { return defaultModel() }

var defaultModel = sync.OnceValue(func() *Model {
	m, err := parseModel(builtinModel, builtinModelName)
	if err != nil {
		panic("score: built-in model: " + err.Error())
	}
	return m
})

// Symbols for what is not a word. Their hashes are of upper-case names,
// which no folded word has, so they never collide with a word's.
const (
	symStart  = "START"
	symEnd    = "END"
	symNum    = "NUM"
	symEmoji  = "EMOJI"
	symCaps   = "CAPS"
	symQ      = "Q"
	symBang   = "BANG"
	symPuncts = "PUNCTS"
)

const specialSalt = 0x9e3779b97f4a7c15

// symHash is the hash of a symbol as written in a model file: a special
// name (upper case), a punctuation mark, or a folded word.
func symHash(name string) uint64 {
	if isSpecial(name) {
		return hashWord(name) ^ specialSalt
	}
	if len(name) == 1 && punctHash[name[0]] != 0 {
		return punctHash[name[0]]
	}
	return hashWord(name)
}

func isSpecial(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if name[i] < 'A' || name[i] > 'Z' {
			return false
		}
	}
	return true
}

var (
	hStart  = symHash(symStart)
	hEnd    = symHash(symEnd)
	hNum    = symHash(symNum)
	hEmoji  = symHash(symEmoji)
	hCaps   = symHash(symCaps)
	hQ      = symHash(symQ)
	hBang   = symHash(symBang)
	hPuncts = symHash(symPuncts)
)

// Feature hashes: a symbol alone, or a pair, of the agent's message or
// (ctx) of the customer's message before it.
func unigram(a uint64) uint64    { return mix64(a ^ 0x51) }
func ctxUnigram(a uint64) uint64 { return mix64(a ^ 0xc7c7) }

// ruleFeat is the feature of a hit of the rule of that id: the model
// learns how much each rule's hit tells, beside the weight the rulebook
// gives it.
func ruleFeat(id string) uint64 { return mix64(fnv(id) ^ 0x7272) }
func bigram(a, b uint64) uint64 {
	return mix64(a*0xff51afd7ed558ccd ^ b ^ 0xb2)
}
func ctxBigram(a, b uint64) uint64 { return mix64(bigram(a, b) ^ 0xcb) }

// mix64 is SplitMix64's finalizer.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// feature is one feature of a message, as the walk finds it.
type feature struct {
	hash       uint64
	start, end int32 // the span of its symbols in the text
	sent       int32 // which sentence of the message it is in
}

// symbol is one symbol of the message.
type symbol struct {
	raw, cls   uint64 // its hash, and the hash it is paired by (its class's, or raw)
	start, end int32
}

// symName is what a symbol is called in a model file (training only): its
// name, and the name it is paired by (its class's, or name).
type symName struct {
	name, pair string
}

// walk calls fn with every feature of text, in order, duplicates included.
// With names, each feature comes with its name (for training); otherwise
// the walk does not allocate.
func (m *Model) walk(text string, names bool, fn func(f feature, name string)) {
	m.walkAs(text, names, false, fn)
}

// walkContext is walk for the customer's message ctx that an agent's
// message answers (see reader).
func (m *Model) walkContext(ctx string, names bool, fn func(f feature, name string)) {
	m.walkAs(ctx, names, true, fn)
}

func (m *Model) walkAs(text string, names, ctx bool, fn func(f feature, name string)) {
	sc := newScanner(text)
	var rd reader
	rd.reset(m, text, names)
	rd.ctx = ctx
	drain := func() {
		for k, f := range rd.out[:rd.nout] {
			fn(f, rd.outNames[k])
		}
		rd.nout = 0
	}
	var t token
	for {
		ok, brk := sc.next(&t)
		if !ok {
			break
		}
		rd.token(&t, brk)
		drain()
	}
	if !ctx {
		rd.end()
		drain()
	}
}

// reader turns a message's tokens, one at a time, into features. While
// ctx, it reads the customer's message the agent answers instead: its
// symbols and pairs are features of their own kind, outside the agent's
// sentences (sent -1), and its words don't count as the agent's. It keeps
// them in out, in order, for its consumer to take (a predictor's take, or
// walk) whenever room says a token may not fit. Their names, when it was
// asked for them, are in outNames: out holds no pointers, so that writing
// it costs no write barriers.
type reader struct {
	m        *Model
	text     string
	names    bool
	prev     symbol
	prevName symName
	sent     int32
	words    int32 // the words and numbers read so far
	out      [featBatch]feature
	outNames [featBatch]string
	nout     int
	ctx      bool
}

// featBatch is how many features a reader holds. A predictor looks a
// reader's features up all at once: the table is larger than the cache
// and nearly every lookup misses it, and made one after another in a loop
// of their own, the misses overlap, where one per token, between the
// tokenizer's and the rules' work, they don't. Over the dev corpus 64
// features are 1.6 messages.
const featBatch = 64

// maxTokenFeatures is the most features one token gives: a run of
// punctuation is up to three symbols (Q, BANG, PUNCTS), each with its
// pair.
const maxTokenFeatures = 6

// reset makes rd a reader of text by m, with nothing read.
func (rd *reader) reset(m *Model, text string, names bool) {
	rd.m, rd.text, rd.names = m, text, names
	rd.prev, rd.prevName = symbol{raw: hStart, cls: hStart}, special(symStart)
	rd.sent, rd.nout, rd.words, rd.ctx = 0, 0, 0, false
}

// room reports whether the features of another token fit in rd.out.
func (rd *reader) room() bool { return rd.nout <= featBatch-maxTokenFeatures }

// emit gives the features symbol s, named nm, adds: itself, and the pair
// it ends. Those of the customer's message (ctx) are of their own kind,
// with no span, outside the agent's sentences.
func (rd *reader) emit(s symbol, nm symName) {
	prev := &rd.prev
	var uf, bf feature
	un, bn := "u ", "b "
	if rd.ctx {
		uf = feature{hash: ctxUnigram(s.raw), sent: -1}
		bf = feature{hash: ctxBigram(prev.cls, s.cls), sent: -1}
		un, bn = "c ", "cb "
	} else {
		pstart := prev.start
		if prev.raw == hStart {
			pstart = s.start
		}
		uf = feature{hash: unigram(s.raw), start: s.start, end: s.end, sent: rd.sent}
		bf = feature{hash: bigram(prev.cls, s.cls), start: pstart, end: s.end, sent: rd.sent}
	}
	rd.out[rd.nout], rd.out[rd.nout+1] = uf, bf
	if rd.names {
		rd.outNames[rd.nout] = un + nm.name
		rd.outNames[rd.nout+1] = bn + rd.prevName.pair + " " + nm.pair
		rd.prevName = nm
	}
	rd.nout += 2
	rd.prev = s
}

// token reads the next token; brk reports a sentence break before it.
// There must be room for its features (room).
func (rd *reader) token(t *token, brk bool) {
	m := rd.m
	if brk && !rd.ctx {
		rd.sent++
	}
	s := symbol{start: t.start, end: t.end}
	if t.flags&(tkNum|tkWord) != 0 && !rd.ctx {
		rd.words++
	}
	switch {
	case t.flags&tkNum != 0:
		rd.emit(s.special(hNum), special(symNum))
	case t.flags&tkWord != 0:
		if t.flags&tkCaps != 0 && t.letters >= 2 {
			rd.emit(s.special(hCaps), special(symCaps))
		}
		s.raw, s.cls = t.hash, t.hash
		k := m.classes.get(t.hash)
		if k != 0 {
			s.cls = m.classSym[k-1]
		}
		var nm symName
		if rd.names {
			nm.name = foldWord(rd.text[t.start:t.end])
			nm.pair = nm.name
			if k != 0 {
				nm.pair = m.classNames[k-1]
			}
		}
		rd.emit(s, nm)
	case t.flags&tkEmoji != 0:
		rd.emit(s.special(hEmoji), special(symEmoji))
	case t.flags&(tkQ|tkBang) != 0:
		run := rd.text[t.start:t.end]
		if strings.IndexByte(run, '?') >= 0 {
			rd.emit(s.special(hQ), special(symQ))
		}
		if strings.IndexByte(run, '!') >= 0 {
			rd.emit(s.special(hBang), special(symBang))
		}
		if len(run) >= 2 {
			rd.emit(s.special(hPuncts), special(symPuncts))
		}
	case t.hash != 0: // . , ; : ^
		s.raw, s.cls = t.hash, t.hash
		var nm symName
		if rd.names {
			c := rd.text[t.start]
			if t.end-t.start > 1 || c > 0x7f {
				c = '.' // "..." and '…' read as '.'
			}
			nm = special(string(c))
		}
		rd.emit(s, nm)
	}
	if t.flags&tkEnd != 0 && !rd.ctx {
		rd.sent++
	}
}

// end gives the last feature: the pair of the last symbol and the end.
// There must be room for it (room).
func (rd *reader) end() {
	prev := &rd.prev
	if prev.raw == hStart {
		return // nothing to read
	}
	rd.out[rd.nout] = feature{hash: bigram(prev.cls, hEnd), start: prev.start, end: prev.end, sent: rd.sent}
	if rd.names {
		rd.outNames[rd.nout] = "b " + rd.prevName.pair + " " + symEnd
	}
	rd.nout++
}

// special returns s read as the symbol of hash h, which has no class.
func (s symbol) special(h uint64) symbol {
	s.raw, s.cls = h, h
	return s
}

// special returns the names of a symbol that has no class.
func special(name string) symName { return symName{name, name} }

// foldWord is the folded form of a word as the tokenizer hashes it (ASCII
// lower case, apostrophes dropped, runs of three or more equal letters kept
// once), written so that hashWord gives the word's hash back. An
// apostrophe breaks a run, in the tokenizer as here, so where dropping the
// apostrophes would make a run the tokenizer never saw ("Jess's" as
// "jesss", which hashes as "jes"), they are kept, straight: "jess's".
func foldWord(w string) string {
	if f := foldRuns(w, false); hashWord(f) == hashWord(w) {
		return f
	}
	return foldRuns(w, true)
}

// foldRuns lower-cases w, collapses its runs of three or more equal
// letters (an apostrophe ends a run) and drops its apostrophes, or, with
// keep, writes them straight.
func foldRuns(w string, keep bool) string {
	b := make([]byte, 0, len(w))
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c == 0xE2 && i+2 < len(w) && w[i+1] == 0x80 && (w[i+2] == 0x98 || w[i+2] == 0x99) {
			i += 2
			c = '\''
		}
		b = append(b, lower(c))
	}
	out := b[:0]
	for i := 0; i < len(b); {
		j := i
		for j < len(b) && b[j] == b[i] {
			j++
		}
		switch {
		case b[i] == '\'':
			if keep {
				out = append(out, b[i:j]...)
			}
		case j-i >= 3 && isLetter(b[i]):
			out = append(out, b[i])
		default:
			out = append(out, b[i:j]...)
		}
		i = j
	}
	return string(out)
}

// modelScratch is a prediction's working state.
type modelScratch struct {
	seen  []uint32 // row → the epoch it was last counted in
	epoch uint32
	rows  []uint32 // the rows counted
}

var modelScratchPool = sync.Pool{New: func() any { return new(modelScratch) }}

// prediction is what the model says about a message.
type prediction struct {
	p          float64    // probability that it is a nudge
	fam        [8]float64 // probability of each family, given a nudge (see families)
	start, end int32      // the sentence that reads most like one
	words      int32      // the message's words and numbers
	rows       []uint32   // the features counted
	ms         *modelScratch
}

// predictor adds up the features of one message.
type predictor struct {
	m  *Model
	ms *modelScratch
	z  float64
	// The sentence with the largest sum of positive "nudge" weights is
	// the span a nudge found only by the model quotes.
	best float64
	cur  struct {
		sent       int32
		start, end int32
		sum        float64
		zw         float64 // the sentence head's sum (see window)
		counted    bool    // a feature was counted in it
	}
	// The sentence head's sum of the customer's features, and its most
	// nudge-like sentence.
	zctxw, bestW float64
	wStart, wEnd int32
	anyW         bool
	pr           prediction
}

func (m *Model) newPredictor() predictor {
	ms := modelScratchPool.Get().(*modelScratch)
	if len(ms.seen) < len(m.names) {
		ms.seen = make([]uint32, len(m.names))
		ms.epoch = 0
	}
	ms.epoch++
	if ms.epoch == 0 { // wrapped: forget every stamp
		clear(ms.seen)
		ms.epoch = 1
	}
	ms.rows = ms.rows[:0]
	p := predictor{m: m, ms: ms, z: float64(m.bias[0])}
	p.cur.sent = -1
	return p
}

// take counts the features rd holds, in order, once per message each,
// and empties rd.
func (p *predictor) take(rd *reader) {
	var es [featBatch]*featEntry
	b := rd.out[:rd.nout]
	for k := range b { // the lookups first, so that their misses overlap
		es[k] = p.m.feats.get(b[k].hash)
	}
	seen, epoch := p.ms.seen, p.ms.epoch
	for k := range b {
		f := &b[k]
		if f.sent >= 0 { // not the customer's
			if f.sent != p.cur.sent {
				p.sentenceDone()
				p.cur.sent, p.cur.start, p.cur.end = f.sent, f.start, f.end
				p.cur.sum, p.cur.zw, p.cur.counted = 0, 0, false
			}
			p.cur.end = max(p.cur.end, f.end)
		}
		e := es[k]
		if e == nil || seen[e.row] == epoch {
			continue
		}
		seen[e.row] = epoch
		p.ms.rows = append(p.ms.rows, e.row)
		p.z += float64(e.w)
		if f.sent < 0 {
			p.zctxw += float64(e.ww)
		} else {
			p.cur.zw += float64(e.ww)
			p.cur.counted = true
			if e.w > 0 {
				p.cur.sum += float64(e.w)
			}
		}
	}
	rd.nout = 0
}

func (p *predictor) sentenceDone() {
	if p.cur.counted && (!p.anyW || p.cur.zw > p.bestW) {
		p.bestW, p.wStart, p.wEnd, p.anyW = p.cur.zw, p.cur.start, p.cur.end, true
	}
	if p.cur.sum > p.best {
		p.best, p.pr.start, p.pr.end = p.cur.sum, p.cur.start, p.cur.end
	}
}

// finish ends the message rd read and returns the prediction; its release
// gives the scratch back.
func (p *predictor) finish(rd *reader) prediction {
	if !rd.room() {
		p.take(rd)
	}
	rd.end()
	p.take(rd)
	p.sentenceDone()
	pr := p.pr
	b := float64(p.m.bias[0])
	pr.p = sigmoid(b + p.m.dampScale(len(p.ms.rows))*(p.z-b))
	if w := &p.m.win; w.on && p.anyW && rd.words >= w.words {
		if pw := sigmoid(w.bias + p.zctxw + p.bestW - w.margin); pw > pr.p {
			pr.p, pr.start, pr.end = pw, p.wStart, p.wEnd
		}
	}
	pr.words = rd.words
	pr.rows = p.ms.rows
	pr.ms = p.ms
	return pr
}

// families fills pr.fam, the probability of each family given a nudge,
// from the features the prediction counted.
func (m *Model) families(pr *prediction) {
	var z [8]float64
	// This runs for every feature of a message that may be a nudge:
	// each row's eight family weights are added written out, with one
	// bounds check, in the same order as a loop would.
	for _, row := range pr.rows {
		w := (*[modelCols - 1]float32)(m.w[int(row)*modelCols+1:])
		z[0] += float64(w[0])
		z[1] += float64(w[1])
		z[2] += float64(w[2])
		z[3] += float64(w[3])
		z[4] += float64(w[4])
		z[5] += float64(w[5])
		z[6] += float64(w[6])
		z[7] += float64(w[7])
	}
	d := m.dampScale(len(pr.rows))
	sum := 0.0
	for i := range pr.fam {
		pr.fam[i] = sigmoid(float64(m.bias[i+1]) + d*z[i])
		sum += pr.fam[i]
	}
	if sum > 0 {
		for i := range pr.fam {
			pr.fam[i] /= sum
		}
	}
}

// release gives the prediction's scratch back.
func (pr *prediction) release() {
	if pr.ms != nil {
		modelScratchPool.Put(pr.ms)
		pr.ms, pr.rows = nil, nil
	}
}

// featTable maps feature hashes to their row and "nudge" weight.
type featTable struct{ t hashTable[featEntry] }

type featEntry struct {
	w   float32 // toward "nudge"
	ww  float32 // the same, of the sentence head (see window)
	row uint32
}

func newFeatTable(keys []uint64, w, ww []float32) featTable {
	return featTable{newHashTable(len(keys), func(put func(uint64, featEntry)) {
		for row, k := range keys {
			e := featEntry{w: w[row*modelCols], row: uint32(row)}
			if ww != nil {
				e.ww = ww[row]
			}
			put(k, e)
		}
	})}
}

// get returns the feature's entry, or nil for a feature the model lacks.
func (f *featTable) get(k uint64) *featEntry { return f.t.find(k) }

func sigmoid(z float64) float64 {
	if z > 30 {
		z = 30
	} else if z < -30 {
		z = -30
	}
	return 1 / (1 + math.Exp(-z))
}

func logit(p float64) float64 {
	p = math.Min(math.Max(p, 1e-6), 1-1e-6)
	return math.Log(p / (1 - p))
}

// blend combines the rules' result with the model's prediction. The score
// is σ(logit(p) + gain·(rules − center) + shift), with rules the rules'
// combined weight: a strong rule hit lifts a message the model is unsure
// of, the model lifts a message no rule caught, and a message both find
// ordinary stays low. A strong cue (a hit of weight strongCue or more,
// such as "you're wrong" or "as I already said") is not the model's to
// overrule: p counts as at least the floor (setBlend), so that the cue
// alone passes the default threshold, however ordinary the rest of the
// message reads.
// The family is the one the rules' weight and the model's family
// probabilities together favour, among those not switched off; when no
// kept rule hit is of that family, a hit for the model ("model.FAMILY",
// over the sentence that reads most like a nudge) is added, so the nudge
// can always quote what it is about.
//
// A message of fewer than minModelWords words ("ok", "Noted.") is too
// short for the model to judge alone: only a rule can nudge it.
func (r *Rules) blend(res Result, msg *Message, pr prediction) Result {
	m := r.Model()
	defer pr.release()
	var famW [8]float64
	strong := false
	for _, h := range res.Hits {
		strong = strong || h.Weight >= strongCue
		if i := familyIndex(h.Family); i >= 0 {
			famW[i] += h.Weight
		}
	}
	if len(res.Hits) == 0 && (pr.words < minModelWords || pr.p < m.quiet) {
		return Result{} // nothing counts, whatever the family
	}
	m.families(&pr)
	// A family switched off takes its share of the model's belief with it.
	p := pr.p
	offShare := 0.0
	for i := range pr.fam {
		if msg.Off&(1<<i) != 0 { // msg.Off.Has(Families()[i]), without the search
			offShare += pr.fam[i]
			pr.fam[i] = 0
		}
	}
	p *= 1 - offShare
	// Without a sentence to quote, the model can't name a family itself.
	quotable := pr.end > pr.start
	best := -1
	bestV := 0.0
	for i := range famW {
		if !quotable && famW[i] == 0 {
			continue
		}
		if v := famW[i] + pr.fam[i]; v > bestV {
			best, bestV = i, v
		}
	}
	if strong {
		p = max(p, m.floor)
	}
	score := sigmoid(logit(p) + m.gain*(res.Score-m.center) + m.shift)
	if best < 0 || len(res.Hits) == 0 && score < modelFloor {
		return Result{} // nothing counts
	}
	out := Result{Score: score, Hits: res.Hits, Family: Families()[best]}
	if famW[best] == 0 {
		h := Hit{RuleID: "model." + string(out.Family), Family: out.Family,
			Weight: math.Round(p*1000) / 1000, Start: int(pr.start), End: int(pr.end)}
		hits := make([]Hit, 0, len(res.Hits)+1)
		placed := false
		for _, g := range res.Hits {
			if !placed && h.Start < g.Start {
				hits = append(hits, h)
				placed = true
			}
			hits = append(hits, g)
		}
		if !placed {
			hits = append(hits, h)
		}
		out.Hits = hits
	}
	if rem := r.reminders[best]; len(rem) > 0 {
		out.Reminder = rem[rotation(msg, len(rem))]
	}
	out.Suggestion = r.suggestions[best]
	return out
}

// strongCue is the weight from which a rule's hit is a strong cue, and
// strongScore what such a cue alone scores, however ordinary the model
// finds the rest: the model's probability counts as at least the floor
// beside one, which the blend's settings decide. Measured by
// leaving each training corpus out in turn (11,807 lines), the model's
// veto of strong cues had caught little the exceptions didn't: without
// it, 21 more nudges are caught for 6 more false alarms (F1 0.872 to
// 0.874, false alarms 1.8% both), and plain contradictions such as "You
// are wrong about the renewal date." are no longer let through.
const (
	strongCue   = 0.75
	strongScore = 0.64
)

// setBlend sets how m blends with the rules, and the thresholds that
// follow. The floor is the least the model's probability counts as beside
// a strong cue: the p at which a hit of weight strongCue alone scores
// strongScore (0.62 with the built-in blend: gain 3, center 0.3, shift
// -1.25). Below quiet, the model alone scores a message under modelFloor.
func (m *Model) setBlend(gain, center, shift float64) {
	m.gain, m.center, m.shift = gain, center, shift
	m.floor = sigmoid(logit(strongScore) - gain*(strongCue-center) - shift)
	m.quiet = sigmoid(logit(modelFloor) + gain*center - shift)
}

// modelFloor is the score from which a message no rule hit counts at all
// (has a family, a hit and a reminder): half the default threshold, so a
// manager lowering the threshold still sees what the model found.
const modelFloor = 0.3

// minModelWords is the fewest words and numbers a message needs for the
// model alone to nudge it: an "ok" or a "Noted." says too little, and its
// few features would be read as the handful of curt replies they came
// from in training.
const minModelWords = 3

// LoadModel reads a model file (as Train writes it). Errors name the file
// and the line.
func LoadModel(r io.Reader, name string) (*Model, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return parseModel(string(b), name)
}

// parseModel reads a model file held in text. The model's feature names
// are substrings of text, so the built-in model's cost the binary nothing
// more, and the start-up parse allocates little beyond the tables.
func parseModel(text, name string) (*Model, error) {
	// A file without a blend line (or with only some of its parameters)
	// blends as Train does by default.
	m := &Model{}
	gain, center, shift := float64(DefaultGain), float64(DefaultCenter), DefaultShift
	lines := strings.Count(text, "\n") + 1
	classes := map[uint64]uint32{}
	feats := make(map[uint64]bool, lines)
	keys := make([]uint64, 0, lines)
	m.names = make([]string, 0, lines)
	m.w = make([]float32, 0, lines*modelCols)
	ln := 0
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", name, ln, fmt.Sprintf(format, args...))
	}
	sawBias := false
	// params reads the NAME=NUMBER fields of a settings line (fs[0] names
	// it) with set, which says what is wrong with one, if anything. The
	// window and damp lines must come before the bias and the rows, whose
	// reading they change.
	params := func(fs []string, set func(k string, x float64, kv string) string) error {
		if fs[0] != "blend" && (len(m.names) > 0 || sawBias) {
			return fail("%s: must come before the bias and the feature rows", fs[0])
		}
		for _, kv := range fs[1:] {
			k, x, ok := numParam(kv)
			if !ok {
				return fail("%s: %q is not NAME=NUMBER", fs[0], kv)
			}
			if msg := set(k, x, kv); msg != "" {
				return fail("%s: %s", fs[0], msg)
			}
		}
		return nil
	}
	var ww []float32
	var fbuf [1 + 2 + modelCols + 1]string
	var ebuf [len(fbuf)]int
	for rest := text; rest != ""; {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		ln++
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		fs, ends := splitFields(line, fbuf[:0], ebuf[:0])
		switch fs[0] {
		case "blend":
			err := params(fs, func(k string, x float64, kv string) string {
				switch k {
				case "gain":
					gain = x
				case "center":
					center = x
				case "shift":
					shift = x
				default:
					return fmt.Sprintf("unknown parameter %q (want gain, center or shift)", k)
				}
				return ""
			})
			if err != nil {
				return nil, err
			}
		case "window":
			m.win.on = true
			err := params(fs, func(k string, x float64, kv string) string {
				switch k {
				case "bias":
					m.win.bias = x
				case "margin":
					m.win.margin = x
				case "words":
					if !isCount(x, 0) {
						return kv + " is not a count"
					}
					m.win.words = int32(x)
				default:
					return fmt.Sprintf("unknown parameter %q (want bias, margin or words)", k)
				}
				return ""
			})
			if err != nil {
				return nil, err
			}
		case "damp":
			err := params(fs, func(k string, x float64, kv string) string {
				switch {
				case k != "features":
					return fmt.Sprintf("unknown parameter %q (want features)", k)
				case !isCount(x, 1):
					return kv + " is not a count"
				}
				m.damp = int32(x)
				return ""
			})
			if err != nil {
				return nil, err
			}
		case "class":
			if len(fs) < 3 || !isSpecial(fs[1]) {
				return nil, fail("class: want \"class NAME word...\" with NAME in capitals")
			}
			idx := uint32(len(m.classNames))
			m.classNames = append(m.classNames, fs[1])
			m.classSym = append(m.classSym, symHash(fs[1]))
			m.classWords = append(m.classWords, slices.Clone(fs[2:]))
			for _, w := range fs[2:] {
				if f := foldWord(w); f != w {
					return nil, fail("class %s: %q is not folded (write %q)", fs[1], w, f)
				}
				classes[hashWord(w)] = idx + 1
			}
		case "bias", "u", "b", "c", "cb", "r":
			nsym := 0
			switch fs[0] {
			case "u", "c", "r":
				nsym = 1
			case "b", "cb":
				nsym = 2
			}
			ncols := modelCols
			if m.win.on && fs[0] != "bias" {
				ncols++ // the sentence head's weight, last
			}
			if len(fs) != 1+nsym+ncols {
				return nil, fail("%s: want %d symbols and %d weights, got %d fields", fs[0], nsym, ncols, len(fs)-1)
			}
			var row [modelCols + 1]float32
			for i, v := range fs[1+nsym:] {
				if v == "0" {
					continue // most family weights
				}
				x, err := strconv.ParseFloat(v, 32)
				if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
					return nil, fail("weight %q is not a number", v)
				}
				row[i] = float32(x)
			}
			if fs[0] == "bias" {
				m.bias, sawBias = [modelCols]float32(row[:modelCols]), true
				continue
			}
			var h uint64
			switch fs[0] {
			case "u":
				h = unigram(symHash(fs[1]))
			case "b":
				h = bigram(symHash(fs[1]), symHash(fs[2]))
			case "c":
				h = ctxUnigram(symHash(fs[1]))
			case "r":
				h = ruleFeat(fs[1])
			case "cb":
				h = ctxBigram(symHash(fs[1]), symHash(fs[2]))
			}
			// The feature's name as the file spells it, when single spaces
			// part its fields (as Train writes them).
			fname := line[:ends[nsym]]
			if len(fname) != nsym+fieldBytes(fs[:1+nsym]) {
				fname = strings.Join(fs[:1+nsym], " ")
			}
			if _, dup := feats[h]; dup {
				return nil, fail("feature %q appears twice", fname)
			}
			feats[h] = true
			keys = append(keys, h)
			m.names = append(m.names, fname)
			m.w = append(m.w, row[:modelCols]...)
			if m.win.on {
				ww = append(ww, row[modelCols])
			}
		default:
			return nil, fail("unknown directive %q (want blend, window, damp, class, bias, u, b, c or cb)", fs[0])
		}
	}
	if !sawBias {
		return nil, fmt.Errorf("%s: no bias line: not a model file", name)
	}
	m.classes = newWordTable(classes)
	if m.win.on {
		m.ww = ww
	}
	m.feats = newFeatTable(keys, m.w, m.ww)
	m.setBlend(gain, center, shift)
	return m, nil
}

// isCount reports whether x is a whole number from lo to math.MaxInt32.
func isCount(x, lo float64) bool {
	return x >= lo && x <= math.MaxInt32 && x == math.Trunc(x)
}

// numParam splits a directive's NAME=NUMBER field; ok is false unless the
// number is finite.
func numParam(kv string) (name string, x float64, ok bool) {
	name, v, ok := strings.Cut(kv, "=")
	x, err := strconv.ParseFloat(v, 64)
	if !ok || err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return "", 0, false
	}
	return name, x, true
}

// splitFields appends line's fields (parted by white space, as
// strings.Fields parts them) to fs, and where each ends in line to ends.
// It allocates only when line has more fields than fs has room for.
func splitFields(line string, fs []string, ends []int) ([]string, []int) {
	start := -1
	for i := 0; i < len(line); {
		c, size := line[i], 1
		space := asciiSpace[c]
		if c >= utf8.RuneSelf {
			var r rune
			r, size = utf8.DecodeRuneInString(line[i:])
			space = unicode.IsSpace(r)
		}
		if space {
			if start >= 0 {
				fs, ends = append(fs, line[start:i]), append(ends, i)
				start = -1
			}
		} else if start < 0 {
			start = i
		}
		i += size
	}
	if start >= 0 {
		fs, ends = append(fs, line[start:]), append(ends, len(line))
	}
	return fs, ends
}

// asciiSpace marks the ASCII bytes unicode.IsSpace reports.
var asciiSpace = [256]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

func fieldBytes(fs []string) int {
	n := 0
	for _, f := range fs {
		n += len(f)
	}
	return n
}

// WriteTo writes m as a model file that LoadModel reads back.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	b.WriteString("# nudgebot model: written by `nudgebot train`; retrain rather than edit.\n")
	b.WriteString("# Each feature row: the feature (u: a symbol, b: a pair of them; c, cb:\n")
	b.WriteString("# the same of the customer's message before; r: a rule's hit), its weight\n")
	b.WriteString("# toward a nudge, then one weight per family (" + familyList() + ")")
	if m.win.on {
		b.WriteString(",\n# then its weight in the sentence head (window: how that is read)")
	}
	b.WriteString(".\n")
	fmt.Fprintf(&b, "blend gain=%s center=%s shift=%s\n", fmtF(m.gain), fmtF(m.center), fmtF(m.shift))
	if m.win.on {
		fmt.Fprintf(&b, "window bias=%s margin=%s words=%d\n", fmtF(m.win.bias), fmtF(m.win.margin), m.win.words)
	}
	if m.damp > 0 {
		fmt.Fprintf(&b, "damp features=%d\n", m.damp)
	}
	for i, n := range m.classNames {
		fmt.Fprintf(&b, "class %s %s\n", n, strings.Join(m.classWords[i], " "))
	}
	b.WriteString("bias")
	writeRow(&b, m.bias[:])
	var row [modelCols + 1]float32
	for i, n := range m.names {
		b.WriteString(n)
		r := append(row[:0], m.w[i*modelCols:(i+1)*modelCols]...)
		if m.win.on {
			r = append(r, m.ww[i])
		}
		writeRow(&b, r)
	}
	n, err := w.Write(b.Bytes())
	return int64(n), err
}

func writeRow(b *bytes.Buffer, row []float32) {
	for _, x := range row {
		b.WriteByte(' ')
		b.WriteString(strconv.FormatFloat(float64(x), 'g', 4, 32))
	}
	b.WriteByte('\n')
}

func fmtF(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }

// WithBlend returns a copy of m that blends with the rules using these
// parameters (see Rules.blend).
func (m *Model) WithBlend(gain, center, shift float64) *Model {
	c := *m
	c.setBlend(gain, center, shift)
	return &c
}

// Blend returns m's blend parameters.
func (m *Model) Blend() (gain, center, shift float64) { return m.gain, m.center, m.shift }

// Features is how many features m has.
func (m *Model) Features() int { return len(m.names) }
