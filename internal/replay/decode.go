package replay

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// rawMessage holds the few fields of an exported message that replay needs.
// Everything else (blocks, user_profile, files, attachments, reactions...)
// is skipped by the scanner without being decoded.
type rawMessage struct {
	Type     string
	TS       string
	User     string
	Text     string
	Subtype  string
	ThreadTS string
	BotID    string
	Edited   bool
}

// syntaxError is a malformed day file: where and what.
type syntaxError struct {
	Offset int
	Msg    string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Msg)
}

// decodeDay parses a day file, a JSON array of message objects, appending
// the messages to dst. It is a small hand-written scanner rather than
// encoding/json because real messages are ~1.4 KB of which replay needs a
// few dozen bytes: skipping blocks and user_profile without building
// anything is several times faster than a json.Decoder, and this is the
// hot path of a multi-gigabyte export. It still checks the structure of
// everything it skips, so a truncated or garbled file is an error.
func decodeDay(data []byte, dst []rawMessage) ([]rawMessage, error) {
	d := scanner{b: data}
	d.ws()
	if !d.eat('[') {
		return dst, d.fail("a day file must be a JSON array of messages")
	}
	d.ws()
	if d.eat(']') {
		return dst, d.end()
	}
	for {
		d.ws()
		var m rawMessage
		if err := d.message(&m); err != nil {
			return dst, err
		}
		dst = append(dst, m)
		d.ws()
		if d.eat(',') {
			continue
		}
		if d.eat(']') {
			return dst, d.end()
		}
		return dst, d.fail("expected ',' or ']' after a message")
	}
}

type scanner struct {
	b []byte
	i int
}

func (d *scanner) fail(msg string) error { return &syntaxError{Offset: d.i, Msg: msg} }

func (d *scanner) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *scanner) eat(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *scanner) end() error {
	d.ws()
	if d.i != len(d.b) {
		return d.fail("data after the array")
	}
	return nil
}

// message reads one message object into m.
func (d *scanner) message(m *rawMessage) error {
	if d.i < len(d.b) && d.b[d.i] == 'n' {
		return d.literal("null") // an empty message, skipped later for lack of a ts
	}
	if !d.eat('{') {
		return d.fail("expected a message object")
	}
	d.ws()
	if d.eat('}') {
		return nil
	}
	for {
		d.ws()
		key, err := d.rawString()
		if err != nil {
			return err
		}
		d.ws()
		if !d.eat(':') {
			return d.fail("expected ':' after an object key")
		}
		d.ws()
		var field *string
		switch string(key) { // no allocation: the compiler special-cases this
		case "type":
			field = &m.Type
		case "ts":
			field = &m.TS
		case "user":
			field = &m.User
		case "text":
			field = &m.Text
		case "subtype":
			field = &m.Subtype
		case "thread_ts":
			field = &m.ThreadTS
		case "bot_id":
			field = &m.BotID
		case "edited":
			m.Edited = d.i < len(d.b) && d.b[d.i] != 'n' // present and not null
		}
		if field != nil && d.i < len(d.b) && d.b[d.i] == '"' {
			if *field, err = d.stringValue(); err != nil {
				return err
			}
		} else {
			if field != nil {
				*field = "" // null or not a string: as if absent
			}
			if err := d.skip(0); err != nil {
				return err
			}
		}
		d.ws()
		if d.eat(',') {
			continue
		}
		if d.eat('}') {
			return nil
		}
		return d.fail("expected ',' or '}' in a message")
	}
}

// rawString reads a string and returns its bytes between the quotes,
// escapes left as they are.
func (d *scanner) rawString() ([]byte, error) {
	if !d.eat('"') {
		return nil, d.fail("expected a string")
	}
	start := d.i
	for {
		j := bytes.IndexByte(d.b[d.i:], '"')
		if j < 0 {
			d.i = len(d.b)
			return nil, d.fail("unterminated string")
		}
		d.i += j + 1
		// The quote is escaped when an odd number of backslashes precede it.
		n := 0
		for k := d.i - 2; k >= start && d.b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return d.b[start : d.i-1], nil
		}
	}
}

// stringValue reads a string and returns it unescaped.
func (d *scanner) stringValue() (string, error) {
	at := d.i
	raw, err := d.rawString()
	if err != nil {
		return "", err
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw), nil
	}
	s, ok := unescape(raw)
	if !ok {
		return "", &syntaxError{Offset: at, Msg: "invalid escape in string"}
	}
	return s, nil
}

// maxDepth bounds nesting so a hostile file cannot exhaust the stack.
const maxDepth = 512

// skip checks and steps over one JSON value.
func (d *scanner) skip(depth int) error {
	if depth > maxDepth {
		return d.fail("nested too deeply")
	}
	if d.i >= len(d.b) {
		return d.fail("unexpected end of data")
	}
	switch c := d.b[d.i]; {
	case c == '"':
		_, err := d.rawString()
		return err
	case c == '{':
		d.i++
		d.ws()
		if d.eat('}') {
			return nil
		}
		for {
			d.ws()
			if _, err := d.rawString(); err != nil {
				return err
			}
			d.ws()
			if !d.eat(':') {
				return d.fail("expected ':' after an object key")
			}
			d.ws()
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			d.ws()
			if d.eat(',') {
				continue
			}
			if d.eat('}') {
				return nil
			}
			return d.fail("expected ',' or '}' in an object")
		}
	case c == '[':
		d.i++
		d.ws()
		if d.eat(']') {
			return nil
		}
		for {
			d.ws()
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			d.ws()
			if d.eat(',') {
				continue
			}
			if d.eat(']') {
				return nil
			}
			return d.fail("expected ',' or ']' in an array")
		}
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	default:
		return d.fail(fmt.Sprintf("unexpected character %q", c))
	}
}

func (d *scanner) literal(word string) error {
	if !bytes.HasPrefix(d.b[d.i:], []byte(word)) {
		return d.fail("invalid literal")
	}
	d.i += len(word)
	return nil
}

// number steps over a JSON number, checking its grammar.
func (d *scanner) number() error {
	b, i := d.b, d.i
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	if digits() == 0 {
		d.i = i
		return d.fail("invalid number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			d.i = i
			return d.fail("invalid number")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			d.i = i
			return d.fail("invalid number")
		}
	}
	d.i = i
	return nil
}

// unescape decodes the JSON escapes in raw, as encoding/json does
// (including surrogate pairs, and U+FFFD for lone surrogates).
func unescape(raw []byte) (string, bool) {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			j := bytes.IndexByte(raw[i:], '\\')
			if j < 0 {
				j = len(raw) - i
			}
			out = append(out, raw[i:i+j]...)
			i += j
			continue
		}
		if i+1 >= len(raw) {
			return "", false
		}
		switch raw[i+1] {
		case '"', '\\', '/':
			out = append(out, raw[i+1])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(raw[i+2:])
			if !ok {
				return "", false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if len(raw) >= i+6 && raw[i] == '\\' && raw[i+1] == 'u' {
					if r2, ok := hex4(raw[i+2:]); ok {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							out = utf8.AppendRune(out, dec)
							i += 6
							continue
						}
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
			continue
		default:
			return "", false
		}
		i += 2
	}
	return string(out), true
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[:4]), 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}
