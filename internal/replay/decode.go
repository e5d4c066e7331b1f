package replay

import (
	"errors"
	"fmt"
	"strings"

	gojson "github.com/goccy/go-json"
)

// rawMessage holds the few fields of an exported message that replay needs.
// Everything else (blocks, user_profile, files, attachments, reactions...)
// is skipped by the decoder without being decoded.
type rawMessage struct {
	Type     string  `json:"type"`
	TS       string  `json:"ts"`
	User     string  `json:"user"`
	Text     string  `json:"text"`
	Subtype  string  `json:"subtype"`
	ThreadTS string  `json:"thread_ts"`
	BotID    string  `json:"bot_id"`
	Edited   present `json:"edited"`
}

// present is true when its field is in the message and not null, whatever
// its value: a message's "edited" is an object, but only its presence
// matters.
type present bool

func (p *present) UnmarshalJSON(b []byte) error {
	*p = string(b) != "null"
	return nil
}

// lenientMessage is rawMessage for a day file where some field replay reads
// is not a string, which rawMessage's decoder rejects.
type lenientMessage struct {
	Type     lenientString `json:"type"`
	TS       lenientString `json:"ts"`
	User     lenientString `json:"user"`
	Text     lenientString `json:"text"`
	Subtype  lenientString `json:"subtype"`
	ThreadTS lenientString `json:"thread_ts"`
	BotID    lenientString `json:"bot_id"`
	Edited   present       `json:"edited"`
}

// lenientString takes a JSON string and ignores any other value, as a
// string field of rawMessage ignores null.
type lenientString string

func (s *lenientString) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || b[0] != '"' {
		return nil
	}
	return gojson.Unmarshal(b, (*string)(s))
}

// syntaxError is a malformed day file: where and what.
type syntaxError struct {
	Offset int64
	Msg    string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Msg)
}

// decodeDay parses a day file, a JSON array of message objects, appending
// the messages to dst; reusing dst's array between files saves growing a
// new one for each. A value that is null or not a string is ignored where
// replay reads a string (absent, or an earlier string under a repeated key
// stands); keys match as encoding/json matches them, case-insensitively;
// an element that is null is an empty message, which replay skips for lack
// of a ts. Values replay does not read are stepped over
// without being decoded, and checked only as far as
// github.com/goccy/go-json checks what it skips: matching brackets,
// terminated strings, literals, but not the grammar of numbers or the
// commas and colons inside them.
func decodeDay(data []byte, dst []rawMessage) ([]rawMessage, error) {
	start := len(dst)
	if i := firstNonSpace(data); i == len(data) || data[i] != '[' {
		return dst, &syntaxError{Offset: int64(i), Msg: "a day file must be a JSON array of messages"}
	}
	day := dst[start:]
	err := gojson.Unmarshal(data, &day)
	if err == nil {
		for i := range day {
			day[i].own()
		}
		return append(dst[:start], day...), nil
	}
	// rawMessage's decoder stops at a field that is not a string (goccy
	// calls true and false there a syntax error); decode it again leniently,
	// which also finds the first real error of a malformed file.
	var lenient []lenientMessage
	if err := gojson.Unmarshal(data, &lenient); err != nil {
		return dst, dayError(err, len(data))
	}
	for _, l := range lenient {
		m := rawMessage{
			Type: string(l.Type), TS: string(l.TS), User: string(l.User), Text: string(l.Text),
			Subtype: string(l.Subtype), ThreadTS: string(l.ThreadTS), BotID: string(l.BotID),
			Edited: l.Edited,
		}
		m.own()
		dst = append(dst, m)
	}
	return dst, nil
}

// dayError reports a goccy error as a syntaxError with the byte offset.
func dayError(err error, size int) error {
	var se *gojson.SyntaxError
	var te *gojson.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		msg := strings.TrimPrefix(se.Error(), "json: ")
		switch {
		case strings.HasSuffix(msg, "after top-level value"):
			// goccy puts this one a byte past the character.
			return &syntaxError{Offset: se.Offset - 1, Msg: "data after the array"}
		case se.Offset >= int64(size):
			// goccy's messages at the end of the data vary with what it
			// was reading ("expected colon after object key"...).
			return &syntaxError{Offset: int64(size), Msg: "unexpected end of data"}
		}
		return &syntaxError{Offset: se.Offset, Msg: msg}
	case errors.As(err, &te):
		// The only type lenientMessage's decoder can reject is the
		// element's: a message that is not an object.
		return &syntaxError{Offset: te.Offset, Msg: "expected a message object"}
	}
	return err
}

func firstNonSpace(b []byte) int {
	for i, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return i
		}
	}
	return len(b)
}

// own copies m's strings out of goccy's copy of the day file, which they
// point into: a message kept for context would otherwise keep the whole
// file in memory.
func (m *rawMessage) own() {
	m.Type = strings.Clone(m.Type)
	m.TS = strings.Clone(m.TS)
	m.User = strings.Clone(m.User)
	m.Text = strings.Clone(m.Text)
	m.Subtype = strings.Clone(m.Subtype)
	m.ThreadTS = strings.Clone(m.ThreadTS)
	m.BotID = strings.Clone(m.BotID)
}
