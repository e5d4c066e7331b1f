package slackbot

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/nudgebot/nudgebot/internal/score"
	"github.com/slack-go/slack"
)

func TestNudgeBlocks(t *testing.T) {
	text := "Well, as I already said, <it works> & you are wrong"
	res := score.Result{
		Score:  0.8,
		Family: score.Repeat,
		Hits: []score.Hit{
			{RuleID: "spar.wrong", Family: score.Spar, Weight: 0.9, Start: 43, End: 51},
			{RuleID: "repeat.already", Family: score.Repeat, Weight: 0.5, Start: 6, End: 23},
		},
		Reminder:   "Explain it another way, patiently.",
		Suggestion: "Let me put that another way.",
	}
	blocks := nudgeBlocks(res, text, 42)
	raw, err := json.Marshal(slack.Blocks{BlockSet: blocks})
	if err != nil {
		t.Fatal(err)
	}
	js := string(raw)
	for _, want := range []string{
		"Explain it another way, patiently.",
		"“as I already said”",
		"(repeat)",
		"Let me put that another way.",
		`"action_id":"nudge_helpful"`,
		`"action_id":"nudge_not_helpful"`,
		`"value":"42"`,
	} {
		if !strings.Contains(js, want) {
			t.Errorf("nudge blocks lack %s:\n%s", want, js)
		}
	}
	if strings.Contains(js, "wrong”") {
		t.Errorf("quoted a hit of another family:\n%s", js)
	}
	if len(blocks) != 4 {
		t.Errorf("got %d blocks, want 4 (reminder, trigger, suggestion, actions)", len(blocks))
	}
}

func TestQuote(t *testing.T) {
	long := strings.Repeat("no ", 200)
	tests := []struct {
		name string
		text string
		hit  score.Hit
		want string
	}{
		{"span", "you are wrong", score.Hit{Start: 8, End: 13}, "wrong"},
		{"spaces squeezed", "a  \n b", score.Hit{Start: 0, End: 6}, "a b"},
		{"escaped", "<b>&", score.Hit{Start: 0, End: 4}, "&lt;b&gt;&amp;"},
		{"outside", "short", score.Hit{Start: 2, End: 99}, ""},
		{"empty", "short", score.Hit{Start: 2, End: 2}, ""},
		{"long cut", long, score.Hit{Start: 0, End: len(long)}, strings.TrimSpace(long[:maxQuote]) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := quote(tt.text, tt.hit); got != tt.want {
				t.Errorf("quote(%q, %d:%d) = %q, want %q", tt.text, tt.hit.Start, tt.hit.End, got, tt.want)
			}
		})
	}
}
