package score

// The tokenizer reads Slack mrkdwn in place: it never builds a lowercase or
// cleaned-up copy of the text. Each token keeps its byte span in the
// original text and a hash of its folded form (ASCII lowercase, apostrophes
// dropped, runs of three or more equal letters collapsed), which is what the
// rulebook's words are looked up by.
//
// What is never scored: <@U123> and <#C123|name> mentions, <!here>, link
// targets (a link's label is scored), inline code, code blocks, and quoted
// lines ("> ..." or "&gt; ..."), since a quote or an error message is not
// the agent talking.

// Token flags.
const (
	tkCaps    uint16 = 1 << iota // every letter is upper case
	tkNum                        // starts with a digit
	tkQ                          // a run of '?' (and maybe '!')
	tkQQ                         // a run of two or more '?'/'!' with a '?'
	tkBang                       // a run of '!'
	tkBangs                      // a run of two or more '!'
	tkEmoji                      // :emoji_code:
	tkPunct                      // any other punctuation kept as a token
	tkEnd                        // ends a sentence: '.', '?', '!'
	tkLongRun                    // has a run of 3+ equal letters ("sooo")
	tkWord                       // letters or digits
)

// token is one word, emoji code or punctuation mark.
type token struct {
	start, end int32  // byte span in the original text
	hash       uint64 // folded hash; runs of 3+ letters collapsed to one
	hash2      uint64 // the same with such runs collapsed to two; 0 if none
	flags      uint16
	letters    uint16 // letters in the token, capped
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// fnv is the FNV-1a hash of s's bytes as they are.
func fnv[T string | []byte](s T) uint64 {
	h := uint64(fnvOffset)
	for _, c := range []byte(s) {
		h = (h ^ uint64(c)) * fnvPrime
	}
	return h
}

// hashWord returns the folded hash of a rulebook word, matching what the
// tokenizer computes for the same word in a message.
func hashWord(w string) uint64 {
	t := token{start: 0, end: int32(len(w))}
	foldHash(w, &t)
	return t.hash
}

// foldHash fills t.hash (and t.hash2 when the token has a run of three or
// more equal letters) from s[t.start:t.end]. A run of three or more is kept
// once in hash and twice in hash2: "sooo" reads as "so", "reeeally" as
// "really" (hash) and "toooo" as "too" (hash2).
func foldHash(s string, t *token) {
	// Most words have no run of three equal letters: then both hashes
	// fold each byte once, and one pass does.
	h := uint64(fnvOffset)
	var p1, p2 byte // the two bytes before, when they were contiguous
	end := int(t.end)
	for i := int(t.start); i < end; i++ {
		c := s[i]
		if c == '\'' {
			p1, p2 = 0, 0
			continue
		}
		if c == 0xE2 && i+2 < end && s[i+1] == 0x80 && (s[i+2] == 0x98 || s[i+2] == 0x99) {
			i += 2 // curly apostrophe
			p1, p2 = 0, 0
			continue
		}
		c = lower(c)
		if c == p1 && c == p2 && 'a' <= c && c <= 'z' {
			foldHashRuns(s, t)
			return
		}
		p2, p1 = p1, c
		h = (h ^ uint64(c)) * fnvPrime
	}
	t.hash = h
	t.hash2 = 0
}

// foldHashRuns is foldHash for a token with a run of three or more equal
// letters.
func foldHashRuns(s string, t *token) {
	h1 := uint64(fnvOffset)
	h2 := uint64(fnvOffset)
	long := false
	end := int(t.end)
	for i := int(t.start); i < end; {
		c := s[i]
		if c == '\'' {
			i++
			continue
		}
		if c == 0xE2 && i+2 < end && s[i+1] == 0x80 && (s[i+2] == 0x98 || s[i+2] == 0x99) {
			i += 3 // curly apostrophe
			continue
		}
		c = lower(c)
		k := 1
		if 'a' <= c && c <= 'z' {
			for i+k < end && lower(s[i+k]) == c {
				k++
			}
		}
		i += k
		n1, n2 := k, k
		if k >= 3 {
			long = true
			n1, n2 = 1, 2
		}
		for ; n1 > 0; n1-- {
			h1 = (h1 ^ uint64(c)) * fnvPrime
		}
		for ; n2 > 0; n2-- {
			h2 = (h2 ^ uint64(c)) * fnvPrime
		}
	}
	t.hash = h1
	t.hash2 = 0
	if long {
		t.flags |= tkLongRun
		t.hash2 = h2
	}
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isWordByte reports whether c can be part of a word. Bytes of multi-byte
// UTF-8 sequences count, except general punctuation (handled by the caller).
func isWordByte(c byte) bool {
	return isLetter(c) || isDigit(c) || c >= 0x80
}

// scanner walks a text token by token.
type scanner struct {
	s         string
	i         int
	lineStart bool // at the start of a line (only spaces so far)
	closeAt   int  // index of the '>' closing a link label being scanned, or -1
	brk       bool // a sentence break happened since the last token
}

func newScanner(s string) scanner {
	return scanner{s: s, lineStart: true, closeAt: -1}
}

// next returns the next token. brk reports a sentence break (a new line, a
// skipped quote or code block) before it.
func (sc *scanner) next(t *token) (ok, brk bool) {
	s := sc.s
	for sc.i < len(s) {
		c := s[sc.i]
		if sc.i == sc.closeAt {
			sc.i++
			sc.closeAt = -1
			continue
		}
		switch {
		case c == '\n':
			sc.i++
			sc.lineStart = true
			sc.brk = true
			continue
		case c == ' ' || c == '\t' || c == '\r':
			sc.i++
			continue
		}
		if sc.lineStart {
			sc.lineStart = false
			if c == '>' || hasPrefixAt(s, sc.i, "&gt;") {
				if hasPrefixAt(s, sc.i, ">>>") || hasPrefixAt(s, sc.i, "&gt;&gt;&gt;") {
					sc.i = len(s) // a block quote runs to the end
					break
				}
				sc.skipLine()
				continue
			}
		}
		switch {
		case c == '`':
			if hasPrefixAt(s, sc.i, "```") {
				if j := indexFrom(s, sc.i+3, "```"); j >= 0 {
					sc.i = j + 3
				} else {
					sc.i = len(s)
				}
				sc.brk = true
				continue
			}
			if j := indexByteLine(s, sc.i+1, '`'); j >= 0 {
				sc.i = j + 1
				continue
			}
			sc.i++
			continue
		case c == '<':
			if sc.skipAngle() {
				continue
			}
			sc.i++
			continue
		case c == '&':
			if n := entityLen(s, sc.i); n > 0 {
				sc.i += n
				continue
			}
			sc.i++
			continue
		case c == ':':
			if n := emojiLen(s, sc.i); n > 0 {
				*t = token{start: int32(sc.i), end: int32(sc.i + n), flags: tkEmoji}
				foldHash(s, t)
				sc.i += n
				return sc.emit()
			}
			*t = token{start: int32(sc.i), end: int32(sc.i + 1), flags: tkPunct, hash: punctHash[':']}
			sc.i++
			return sc.emit()
		case c == '?' || c == '!':
			j := sc.i
			q := false
			for j < len(s) && (s[j] == '?' || s[j] == '!') {
				q = q || s[j] == '?'
				j++
			}
			f := tkEnd
			if q {
				f |= tkQ
				if j-sc.i >= 2 {
					f |= tkQQ
				}
			} else {
				f |= tkBang
				if j-sc.i >= 2 {
					f |= tkBangs
				}
			}
			*t = token{start: int32(sc.i), end: int32(j), flags: f}
			sc.i = j
			return sc.emit()
		case c == '.':
			j := sc.i
			for j < len(s) && s[j] == '.' {
				j++
			}
			*t = token{start: int32(sc.i), end: int32(j), flags: tkPunct | tkEnd, hash: punctHash['.']}
			sc.i = j
			return sc.emit()
		case c == ',' || c == ';' || c == '^':
			*t = token{start: int32(sc.i), end: int32(sc.i + 1), flags: tkPunct, hash: punctHash[c]}
			if c == ';' {
				t.flags |= tkEnd
			}
			sc.i++
			return sc.emit()
		case c == 0xE2 && sc.i+2 < len(s) && s[sc.i+1] == 0x80:
			// General punctuation: dashes, curly quotes, ellipsis. Curly
			// apostrophes inside a word are handled by scanWord.
			if s[sc.i+2] == 0xA6 { // ellipsis
				*t = token{start: int32(sc.i), end: int32(sc.i + 3), flags: tkPunct | tkEnd, hash: punctHash['.']}
				sc.i += 3
				return sc.emit()
			}
			sc.i += 3
			continue
		case c >= 0xF0:
			sc.i += utf8Len(c) // pictographs: not words
			continue
		case isWordByte(c):
			sc.scanWord(t)
			return sc.emit()
		}
		sc.i++ // other punctuation: * _ ~ ( ) " ' - / etc.
	}
	return false, false
}

func (sc *scanner) emit() (bool, bool) {
	brk := sc.brk
	sc.brk = false
	return true, brk
}

func utf8Len(c byte) int {
	switch {
	case c >= 0xF0:
		return 4
	case c >= 0xE0:
		return 3
	case c >= 0xC0:
		return 2
	}
	return 1
}

// scanWord reads letters, digits, inner apostrophes and, between digits,
// '.', ',' and ':' ("9:14", "3.5", "10,000").
//
// It folds the hash as it goes, as foldHash would over the word: most
// words are ASCII with no run of three equal letters, and are read once.
// A word with other bytes or such a run is hashed again by foldHash.
func (sc *scanner) scanWord(t *token) {
	s := sc.s
	start := sc.i
	j := sc.i
	letters, upper := 0, 0
	h := uint64(fnvOffset)
	var p1, p2 byte // the two bytes before, as foldHash keeps them
	again := false  // hash the word with foldHash
	for j < len(s) {
		c := s[j]
		switch {
		case isLetter(c):
			letters++
			if c <= 'Z' {
				upper++
			}
			c |= 'a' - 'A'
			if c == p1 && c == p2 {
				again = true // a run: foldHashRuns
			}
			p2, p1 = p1, c
			h = (h ^ uint64(c)) * fnvPrime
			j++
		case isDigit(c):
			p2, p1 = p1, c
			h = (h ^ uint64(c)) * fnvPrime
			j++
		case c >= 0x80:
			if c == 0xE2 && j+2 < len(s) && s[j+1] == 0x80 {
				if (s[j+2] == 0x98 || s[j+2] == 0x99) && j+3 < len(s) && isLetter(s[j+3]) && j > start {
					j += 3 // curly apostrophe inside a word
					p1, p2 = 0, 0
					continue
				}
				goto done // other general punctuation ends the word
			}
			if c >= 0xF0 {
				goto done
			}
			letters++
			j += utf8Len(c)
			again = true
		case c == '\'':
			if j > start && j+1 < len(s) && isLetter(s[j+1]) {
				j++
				p1, p2 = 0, 0
				continue
			}
			goto done
		case c == '.' || c == ',' || c == ':':
			if j > start && isDigit(s[j-1]) && j+1 < len(s) && isDigit(s[j+1]) {
				p2, p1 = p1, c
				h = (h ^ uint64(c)) * fnvPrime
				j++
				continue
			}
			goto done
		default:
			goto done
		}
	}
done:
	if j > len(s) {
		j = len(s)
	}
	*t = token{start: int32(start), end: int32(j), flags: tkWord, hash: h}
	if isDigit(s[start]) {
		t.flags |= tkNum
	}
	if letters > 0 && upper == letters {
		t.flags |= tkCaps
	}
	if letters > 0xFFFF {
		letters = 0xFFFF
	}
	t.letters = uint16(letters)
	if again {
		foldHash(s, t)
	}
	sc.i = j
}

func (sc *scanner) skipLine() {
	for sc.i < len(sc.s) && sc.s[sc.i] != '\n' {
		sc.i++
	}
	sc.brk = true
}

// skipAngle handles Slack's <...> forms at sc.i. It reports false when the
// '<' starts none of them.
func (sc *scanner) skipAngle() bool {
	s := sc.s
	end := -1
	for j := sc.i + 1; j < len(s) && j < sc.i+2048; j++ {
		if s[j] == '>' {
			end = j
			break
		}
		if s[j] == '<' || s[j] == '\n' {
			return false
		}
	}
	if end < 0 || end == sc.i+1 {
		return false
	}
	inner := s[sc.i+1 : end]
	switch inner[0] {
	case '@', '#', '!':
		sc.i = end + 1 // mentions and broadcasts are not words
		return true
	}
	if !looksLikeURL(inner) {
		return false
	}
	for k := 0; k < len(inner); k++ {
		if inner[k] == '|' {
			sc.i = sc.i + 1 + k + 1 // scan the label, skip the target
			sc.closeAt = end
			return true
		}
	}
	sc.i = end + 1
	return true
}

func looksLikeURL(s string) bool {
	for k := 0; k < len(s) && k < 16; k++ {
		c := s[k]
		if c == ':' {
			return k > 0
		}
		if !isLetter(c) && !isDigit(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return false
}

// entityLen returns the length of an HTML entity Slack escapes (&amp;
// &lt; &gt;) at i, or 0.
func entityLen(s string, i int) int {
	for _, e := range [...]string{"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"} {
		if hasPrefixAt(s, i, e) {
			return len(e)
		}
	}
	return 0
}

// emojiLen returns the length of an emoji code (":name:") at i, or 0.
func emojiLen(s string, i int) int {
	if i > 0 && (isLetter(s[i-1]) || isDigit(s[i-1])) {
		return 0
	}
	for j := i + 1; j < len(s) && j < i+64; j++ {
		c := s[j]
		switch {
		case c == ':':
			if j == i+1 {
				return 0
			}
			return j + 1 - i
		case 'a' <= c && c <= 'z', isDigit(c), c == '_', c == '-', c == '+', c == '\'':
		default:
			return 0
		}
	}
	return 0
}

func hasPrefixAt(s string, i int, p string) bool {
	return len(s)-i >= len(p) && s[i:i+len(p)] == p
}

func indexFrom(s string, i int, p string) int {
	for j := i; j+len(p) <= len(s); j++ {
		if s[j] == p[0] && s[j:j+len(p)] == p {
			return j
		}
	}
	return -1
}

// indexByteLine finds c at or after i on the same line.
func indexByteLine(s string, i int, c byte) int {
	for j := i; j < len(s); j++ {
		if s[j] == c {
			return j
		}
		if s[j] == '\n' {
			return -1
		}
	}
	return -1
}

// punctHash holds the hashes of punctuation marks usable in patterns.
var punctHash = func() [256]uint64 {
	var h [256]uint64
	for _, c := range []byte{',', ';', ':', '.', '^'} {
		h[c] = (fnvOffset ^ uint64(c)) * fnvPrime
	}
	return h
}()
