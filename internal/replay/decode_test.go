package replay

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDecodeDay(t *testing.T) {
	tests := []struct {
		name string
		give string
		want []rawMessage
	}{
		{"empty array", ` [ ] `, nil},
		{
			name: "fields and skipped values",
			give: `[{"type":"message","user":"U1","text":"hi","ts":"1.2",
				"blocks":[{"type":"rich_text","elements":[{"x":[1,-2.5e3,true,false,null,{}]}]}],
				"user_profile":{"real_name":"A \"quoted\" name"},"edited":{"user":"U1","ts":"3.4"}},
				{"type":"message","subtype":"thread_broadcast","thread_ts":"1.2","ts":"5.6","bot_id":null,"edited":null}]`,
			want: []rawMessage{
				{Type: "message", User: "U1", Text: "hi", TS: "1.2", Edited: true},
				{Type: "message", Subtype: "thread_broadcast", ThreadTS: "1.2", TS: "5.6"},
			},
		},
		{
			name: "escapes",
			give: `[{"text":"a\/b \"c\" \\ \n \u00e9 \ud83d\ude00 \ud800 x","ts":"1"}]`,
			want: []rawMessage{{Text: "a/b \"c\" \\ \n é 😀 \uFFFD x", TS: "1"}},
		},
		{
			name: "escaped backslash before quote",
			give: `[{"text":"ends with \\","ts":"1"}]`,
			want: []rawMessage{{Text: `ends with \`, TS: "1"}},
		},
		{
			name: "null element",
			give: `[null,{"ts":"1"}]`,
			want: []rawMessage{{}, {TS: "1"}},
		},
		{
			name: "fields that are not strings are ignored",
			give: `[{"ts":"1","user":5,"text":true,"type":{"a":[1]},"subtype":["x"],"bot_id":false,"edited":7},
				{"ts":5,"ts":"2","user":"U1","user":null,"text":"hi","text":[]}]`,
			want: []rawMessage{{TS: "1", Edited: true}, {TS: "2", User: "U1", Text: "hi"}},
		},
		{
			name: "escaped key",
			give: `[{"t\u0073":"1","\u0075ser":"U1"}]`,
			want: []rawMessage{{TS: "1", User: "U1"}},
		},
		{
			name: "later edited null wins",
			give: `[{"ts":"1","edited":{"ts":"2"},"edited":null}]`,
			want: []rawMessage{{TS: "1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeDay([]byte(tt.give), nil)
			if err != nil {
				t.Fatalf("decodeDay(%q) error: %v", tt.give, err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("decodeDay(%q) = %+v, want %+v", tt.give, got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("decodeDay(%q)[%d] = %+v, want %+v", tt.give, i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestDecodeDayMalformed(t *testing.T) {
	tests := []struct {
		give string
		want string
	}{
		{``, "invalid JSON at byte 0: a day file must be a JSON array"},
		{` {"ts":"1"}`, "invalid JSON at byte 1: a day file must be a JSON array"},
		{`[{"ts":"1"}`, "invalid JSON at byte 11: unexpected end of data"},
		{`[{"ts":"1","blocks":[{"a":"b`, "invalid JSON at byte 28: unexpected end of data"},
		{`[{"ts":"1"},]`, "invalid JSON at byte 12:"},
		{`[{"ts":"1"},7]`, "invalid JSON at byte 12:"},
		{`[{"ts":"1" "user":"U1"}]`, "invalid JSON at byte 11:"},
		{`[{"ts":"1","blocks":[1,2}]`, "invalid JSON at byte "},
		{`[{"ts":"1","blocks":tru}]`, "invalid JSON at byte 20:"},
		{`[{"ts":"1","n":01x}]`, "invalid JSON at byte 17:"},
		{`[{"ts":"unterminated}]`, "invalid JSON at byte 22: unexpected end of data"},
		{`[{"ts":"1"}] trailing`, "invalid JSON at byte 13: data after the array"},
		{`[{"text":"bad \q escape","ts":"1"}]`, "invalid JSON at byte 9:"},
		{`[{"ts":1,"x":@}]`, "invalid JSON at byte 13:"}, // found by the lenient pass
	}
	for _, tt := range tests {
		prev := []rawMessage{{TS: "0"}}
		got, err := decodeDay([]byte(tt.give), prev)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("decodeDay(%q) error = %v, want one starting %q", tt.give, err, tt.want)
		}
		if len(got) != 1 || got[0] != prev[0] {
			t.Errorf("decodeDay(%q) = %+v, want dst unchanged", tt.give, got)
		}
	}
}

// TestDecodeDayReuse checks that decoding into a reused slice appends
// after what is there and leaves nothing of an earlier, longer file.
func TestDecodeDayReuse(t *testing.T) {
	raw, err := decodeDay([]byte(`[{"ts":"1","user":"U1","text":"a","edited":{}},{"ts":"2","bot_id":"B1"}]`), nil)
	if err != nil || len(raw) != 2 {
		t.Fatalf("decodeDay(first) = %+v, %v", raw, err)
	}
	raw, err = decodeDay([]byte(`[{"ts":"3"}]`), raw[:0])
	if want := []rawMessage{{TS: "3"}}; err != nil || !slices.Equal(raw, want) {
		t.Errorf("decodeDay(second, reused) = %+v, %v; want %+v", raw, err, want)
	}
	raw, err = decodeDay([]byte(`[{"ts":"4","user":5}]`), raw)
	if want := []rawMessage{{TS: "3"}, {TS: "4"}}; err != nil || !slices.Equal(raw, want) {
		t.Errorf("decodeDay(third, appended, lenient) = %+v, %v; want %+v", raw, err, want)
	}
}

// refMessage is how FuzzDecodeDay reads a message with encoding/json: the
// same fields, a field that is not a string ignored, edited present when
// it is not null.
type refMessage struct {
	Type     refString  `json:"type"`
	TS       refString  `json:"ts"`
	User     refString  `json:"user"`
	Text     refString  `json:"text"`
	Subtype  refString  `json:"subtype"`
	ThreadTS refString  `json:"thread_ts"`
	BotID    refString  `json:"bot_id"`
	Edited   refPresent `json:"edited"`
}

type refString string

func (s *refString) UnmarshalJSON(b []byte) error {
	if b[0] != '"' {
		return nil
	}
	return json.Unmarshal(b, (*string)(s))
}

type refPresent bool

func (p *refPresent) UnmarshalJSON(b []byte) error {
	*p = string(b) != "null"
	return nil
}

// FuzzDecodeDay checks decodeDay against encoding/json: whatever
// encoding/json accepts as an array of messages, decodeDay accepts too and
// reads the same fields. decodeDay may accept more, as goccy/go-json does
// not check the grammar of every value it skips.
func FuzzDecodeDay(f *testing.F) {
	f.Add(`[{"type":"message","user":"U1","text":"hi \u00e9\/","ts":"1.2","blocks":[{"a":[1,2.5,-3e2,true,null]}]}]`)
	f.Add(`[{"ts":"1","edited":{"ts":"2"},"bot_id":"B1","subtype":"bot_message","thread_ts":"0.5"}]`)
	f.Add(`[{"TS":"1","Text":"x","ts":true,"user":null,"user":"U1","edited":0}]`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, give string) {
		got, err := decodeDay([]byte(give), nil)
		var want []refMessage
		if json.Unmarshal([]byte(give), &want) != nil || !utf8.ValidString(give) || want == nil {
			return // decodeDay may be more lenient; it must just not panic
		}
		if strings.Contains(give, "ſ") || strings.Contains(strings.ToLower(give), `\u017f`) {
			// encoding/json folds "ſ" to "s" when it matches keys; goccy
			// folds ASCII letters only.
			return
		}
		if err != nil {
			t.Fatalf("decodeDay(%q) error %v; encoding/json accepts it", give, err)
		}
		if len(got) != len(want) {
			t.Fatalf("decodeDay(%q) read %d messages, encoding/json %d", give, len(got), len(want))
		}
		for i, w := range want {
			wantMsg := rawMessage{
				Type: string(w.Type), TS: string(w.TS), User: string(w.User), Text: string(w.Text),
				Subtype: string(w.Subtype), ThreadTS: string(w.ThreadTS), BotID: string(w.BotID),
				Edited: present(w.Edited),
			}
			if got[i] != wantMsg {
				t.Errorf("decodeDay(%q)[%d] = %+v, want %+v", give, i, got[i], wantMsg)
			}
		}
	})
}
