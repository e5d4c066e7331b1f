package slackbot

import (
	"testing"
	"time"

	"github.com/slack-go/slack/slackevents"
)

func TestSkipReason(t *testing.T) {
	self := Identity{UserID: "UBOT", TeamID: "T1"}
	tests := []struct {
		name string
		give slackevents.MessageEvent
		want string
	}{
		{"plain", slackevents.MessageEvent{User: "U1", ChannelType: "channel"}, ""},
		{"private channel", slackevents.MessageEvent{User: "U1", ChannelType: "group"}, ""},
		{"thread broadcast", slackevents.MessageEvent{User: "U1", SubType: "thread_broadcast"}, ""},
		{"dm", slackevents.MessageEvent{User: "U1", ChannelType: "im"}, "direct_message"},
		{"group dm", slackevents.MessageEvent{User: "U1", ChannelType: "mpim"}, "direct_message"},
		{"bot_id", slackevents.MessageEvent{User: "U1", BotID: "B1"}, "bot"},
		{"the bot itself", slackevents.MessageEvent{User: "UBOT"}, "bot"},
		{"edit", slackevents.MessageEvent{SubType: "message_changed"}, "subtype"},
		{"join", slackevents.MessageEvent{User: "U1", SubType: "channel_join"}, "subtype"},
		{"no user", slackevents.MessageEvent{}, "no_user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := skipReason(&tt.give, self); got != tt.want {
				t.Errorf("skipReason(%+v) = %q, want %q", tt.give, got, tt.want)
			}
		})
	}
}

func TestSlackTime(t *testing.T) {
	fallback := time.Unix(1, 0)
	tests := []struct {
		give string
		want time.Time
	}{
		{"1700000000.000100", time.Unix(1700000000, 100_000).UTC()},
		{"1700000000.5", time.Unix(1700000000, 500_000_000).UTC()},
		{"1700000000", time.Unix(1700000000, 0).UTC()},
		{"", fallback},
		{"x.1", fallback},
	}
	for _, tt := range tests {
		if got := slackTime(tt.give, fallback); !got.Equal(tt.want) {
			t.Errorf("slackTime(%q) = %v, want %v", tt.give, got, tt.want)
		}
	}
}

func TestEnvelopeID(t *testing.T) {
	if got := envelopeID([]byte(`{"envelope_id":"e1","type":"events_api","payload":{"x":`)); got != "" {
		t.Errorf("envelopeID(truncated) = %q, want empty", got)
	}
	if got := envelopeID([]byte(`{"envelope_id":"e1","type":"nonsense"}`)); got != "e1" {
		t.Errorf("envelopeID = %q, want e1", got)
	}
}
