package slash

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		give string
		want time.Duration
	}{
		{"0", 0},
		{"00", 0},
		{"10m", 10 * time.Minute},
		{"1h30m", 90 * time.Minute},
		{"1h 30m", 90 * time.Minute},
		{"1.5h", 90 * time.Minute},
		{"+5m", 5 * time.Minute},
		{"500ms", 500 * time.Millisecond},
		{"2 hours", 2 * time.Hour},
		{"1 hr", time.Hour},
		{"3 hrs", 3 * time.Hour},
		{"90 min", 90 * time.Minute},
		{"90min", 90 * time.Minute},
		{"1 minute", time.Minute},
		{"30 secs", 30 * time.Second},
		{"1 second", time.Second},
		{"1 hour 30 minutes", 90 * time.Minute},
		{"1 hour and 30 minutes", 90 * time.Minute},
		{"2 days", 48 * time.Hour},
		{"1 day", 24 * time.Hour},
		{"1d", 24 * time.Hour},
		{"1d 6h", 30 * time.Hour},
		{"2w", 14 * 24 * time.Hour},
		{"1 week", 7 * 24 * time.Hour},
		{"2 wks", 14 * 24 * time.Hour},
		{".5 days", 12 * time.Hour},
		{"one hour", time.Hour},
		{"a day", 24 * time.Hour},
		{"half an hour", 30 * time.Minute},
		{"half a day", 12 * time.Hour},
		{"half hour", 30 * time.Minute},
		{"an hour and a half", 90 * time.Minute},
		{"2 hours and a half", 150 * time.Minute},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.give)
		if err != nil || got != tt.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", tt.give, got, err, tt.want)
		}
	}
}

func TestParseDurationErrors(t *testing.T) {
	tests := []struct {
		give string
		want error
	}{
		{"", errNoDuration},
		{"-5m", errNegative},
		{"-1 hour", errNegative},
		{"10", errNoUnit},
		{"1 hour 30", errNoUnit},
		{"soon", errBadUnit},
		{"hours", errBadUnit},
		{"1 fortnight", errBadUnit},
		{"1 hour and", errBadUnit},
		{"and 1 hour", errBadUnit},
		{"a half", errBadUnit},
		{"1..5h", errBadUnit},
		{"1e3s", errBadUnit},
		{"1h-30m", errBadUnit},
		{"2 h!", errBadUnit},
		{"∞", errBadUnit},
		{"9999999999999999 weeks", errTooLong},
		{"1" + strings.Repeat("0", 400) + " s", errTooLong},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.give)
		if !errors.Is(err, tt.want) {
			t.Errorf("parseDuration(%q) = %v, %v; want error %v", tt.give, got, err, tt.want)
		}
	}
}
