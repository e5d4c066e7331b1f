package score

import (
	"slices"
	"testing"
)

// tokenTexts returns each token's span of the original text.
func tokenTexts(s string) []string {
	sc := newScanner(s)
	var out []string
	var t token
	for {
		ok, _ := sc.next(&t)
		if !ok {
			return out
		}
		out = append(out, s[t.start:t.end])
	}
}

func TestNormaliseTokens(t *testing.T) {
	tests := []struct {
		name string
		give string
		want []string
	}{
		{"user mention", "<@U123ABC> you're wrong", []string{"you're", "wrong"}},
		{"channel mention", "see <#C123|general> now", []string{"see", "now"}},
		{"broadcast", "<!here> hello", []string{"hello"}},
		{"link keeps its label", "<https://x.example/a?b=1|the label> ok", []string{"the", "label", "ok"}},
		{"bare link", "<https://x.example/a> ok", []string{"ok"}},
		{"mailto link", "<mailto:a@b.c|write us> ok", []string{"write", "us", "ok"}},
		{"emoji code", "fine :slightly_smiling_face: ok", []string{"fine", ":slightly_smiling_face:", "ok"}},
		{"time is not an emoji", "at 9:14am :eyes:", []string{"at", "9:14am", ":eyes:"}},
		{"entities", "Tom &amp; Jerry &lt;3 &gt; x", []string{"Tom", "Jerry", "3", "x"}},
		{"curly quotes", "“quoted” it’s", []string{"quoted", "it’s"}},
		{"inline code", "a `you are wrong` b", []string{"a", "b"}},
		{"code block", "x\n```\nyou are wrong\n```\ny", []string{"x", "y"}},
		{"quoted line", "> you are wrong\nfine", []string{"fine"}},
		{"escaped quoted line", "&gt; you are wrong\nfine", []string{"fine"}},
		{"indented quote", "  > you are wrong\nfine", []string{"fine"}},
		{"block quote runs to the end", ">>> all\nquoted", nil},
		{"gt mid-line is not a quote", "a > b", []string{"a", "b"}},
		{"punctuation runs", "Really?? no!!! ok.", []string{"Really", "??", "no", "!!!", "ok", "."}},
		{"decimals and thousands", "99.9% of 10,000", []string{"99.9", "of", "10,000"}},
		{"hyphen splits", "non-refundable", []string{"non", "refundable"}},
		{"unclosed backtick", "a ` b", []string{"a", "b"}},
		{"unclosed angle", "a < b", []string{"a", "b"}},
		{"unicode letters", "déjà vu", []string{"déjà", "vu"}},
		{"pictograph", "ok 🙂 ok", []string{"ok", "ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tokenTexts(tt.give); !slices.Equal(got, tt.want) {
				t.Errorf("tokens(%q) = %q, want %q", tt.give, got, tt.want)
			}
		})
	}
}

func TestNormaliseFolding(t *testing.T) {
	tests := []struct {
		give string // one token as written in a message
		want string // the rulebook word it must equal
	}{
		{"WRONG", "wrong"},
		{"You're", "you're"},
		{"youre", "you're"},
		{"you’re", "you're"},
		{"it‘s", "it's"},
		{"sooo", "so"},
		{"reeeally", "really"},
		{"Sooooo", "so"},
		{"ummm", "um"},
		{"tooooo", "too"}, // runs of three or more also match two letters
		{"all", "all"},    // a double letter is kept
	}
	for _, tt := range tests {
		sc := newScanner(tt.give)
		var tok token
		if ok, _ := sc.next(&tok); !ok {
			t.Fatalf("no token in %q", tt.give)
		}
		want := hashWord(tt.want)
		if tok.hash != want && tok.hash2 != want {
			t.Errorf("fold(%q) does not equal fold(%q)", tt.give, tt.want)
		}
	}
}

func TestNormaliseSpans(t *testing.T) {
	// Spans are byte offsets into the original text, mrkdwn and all, so
	// Slack can quote them.
	tests := []struct {
		give string
		want string // Text[Start:End] of the hit
	}{
		{"<@U123> As I already explained, no.", "As I already explained"},
		{"Hi &amp; hello. <https://x.example|Like I keep saying>, it's fine", "Like I keep saying"},
		{"`code` then “you’re mistaken” :eyes:", "you’re mistaken"},
		{"ok\n> you are wrong\nyou are WRONG", "you are WRONG"},
	}
	rules := DefaultRules()
	for _, tt := range tests {
		res := Evaluate(Message{Text: tt.give}, rules)
		var got []string
		for _, h := range res.Hits {
			if h.Start < 0 || h.End > len(tt.give) || h.Start >= h.End {
				t.Fatalf("Evaluate(%q): span [%d,%d) outside the text", tt.give, h.Start, h.End)
			}
			got = append(got, tt.give[h.Start:h.End])
		}
		if !slices.Contains(got, tt.want) {
			t.Errorf("Evaluate(%q) spans = %q, want one to be %q", tt.give, got, tt.want)
		}
	}
}

func TestNotScored(t *testing.T) {
	// What is quoted, in code, or a link target is not the agent talking.
	tests := []string{
		"The error says:\n```Error: you are wrong, as I already explained```\nlet me fix that.",
		"It shows `you are wrong` in the log, that's our bug.",
		"> you are wrong, as I already explained\nThanks, fixing it now.",
		"&gt; you are wrong, as I already explained\nThanks, fixing it now.",
		"<https://help.example.com/as-i-already-explained|here's the article>",
		"<@U123> <#C456|you-are-wrong> thanks!",
	}
	rules := DefaultRules()
	for _, give := range tests {
		if res := Evaluate(Message{Text: give}, rules); len(res.Hits) > 0 {
			t.Errorf("Evaluate(%q) hits %v, want none", give, res.Hits)
		}
	}
}

// TestFoldHashFastPath checks that foldHash's one-pass path gives what the
// run-collapsing path gives, runs or not.
func TestFoldHashFastPath(t *testing.T) {
	tests := []string{
		"", "a", "so", "soo", "sooo", "SOOO", "SoOo", "don't", "don’t", "do'oo", "o'ooo",
		"reeeally", "toooo", "111", "aaa'a", "naïve", "ab\u2019cc", "zzz", "Zz'z", "x\u2019xx",
	}
	for _, give := range tests {
		t.Run(give, func(t *testing.T) {
			fast := token{end: int32(len(give))}
			slow := fast
			foldHash(give, &fast)
			foldHashRuns(give, &slow)
			if fast != slow {
				t.Errorf("foldHash(%q) = %+v, want %+v", give, fast, slow)
			}
		})
	}
}
