package replay

import (
	"encoding/json"
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
	tests := []string{
		``,
		`{"ts":"1"}`,
		`[{"ts":"1"}`,
		`[{"ts":"1"},]`,
		`[{"ts":"1" "user":"U1"}]`,
		`[{"ts":"1","blocks":[1,2}]`,
		`[{"ts":"1","blocks":tru}]`,
		`[{"ts":"1","n":01x}]`,
		`[{"ts":"1","n":-}]`,
		`[{"ts":"unterminated}]`,
		`[{"ts":"1"}] trailing`,
		`[{"text":"bad \q escape","ts":"1"}]`,
		`[{"ts":"1","deep":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}]`,
	}
	for _, give := range tests {
		if _, err := decodeDay([]byte(give), nil); err == nil {
			t.Errorf("decodeDay(%q) = nil error, want a syntax error", give)
		}
	}
}

// FuzzDecodeDay checks the scanner against encoding/json: whatever
// encoding/json accepts as an array of objects, the scanner accepts too and
// reads the same fields.
func FuzzDecodeDay(f *testing.F) {
	f.Add(`[{"type":"message","user":"U1","text":"hi \u00e9\/","ts":"1.2","blocks":[{"a":[1,2.5,-3e2,true,null]}]}]`)
	f.Add(`[{"ts":"1","edited":{"ts":"2"},"bot_id":"B1","subtype":"bot_message","thread_ts":"0.5"}]`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, give string) {
		got, err := decodeDay([]byte(give), nil)
		var want []map[string]any
		if json.Unmarshal([]byte(give), &want) != nil || !utf8.ValidString(give) {
			return // the scanner may be more lenient; it must just not panic
		}
		if err != nil {
			t.Fatalf("decodeDay(%q) error %v; encoding/json accepts it", give, err)
		}
		if len(got) != len(want) {
			t.Fatalf("decodeDay(%q) read %d messages, encoding/json %d", give, len(got), len(want))
		}
		str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
		for i, w := range want {
			if w == nil { // a null element
				continue
			}
			e, ok := w["edited"]
			wantMsg := rawMessage{
				Type: str(w, "type"), TS: str(w, "ts"), User: str(w, "user"), Text: str(w, "text"),
				Subtype: str(w, "subtype"), ThreadTS: str(w, "thread_ts"), BotID: str(w, "bot_id"),
				Edited: ok && e != nil,
			}
			if got[i] != wantMsg {
				t.Errorf("decodeDay(%q)[%d] = %+v, want %+v", give, i, got[i], wantMsg)
			}
		}
	})
}
