package slackbot

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestConversations(t *testing.T) {
	c := newConversations(3, 10)
	c.customerSaid("C1", "", "100.1", "it is broken")
	if got := c.last("C1", ""); got != "it is brok" {
		t.Errorf("last(C1) = %q, want the message cut to 10 bytes", got)
	}
	if got := c.last("C1", "100.1"); got != "it is brok" {
		t.Errorf("last(C1, its own thread) = %q, want the top-level message", got)
	}
	c.customerSaid("C1", "100.1", "100.2", "still")
	if got := c.last("C1", "100.1"); got != "still" {
		t.Errorf("last(C1 thread) = %q, want %q", got, "still")
	}
	if got := c.last("C1", ""); got != "it is brok" {
		t.Errorf("a thread reply changed the channel's context: %q", got)
	}
	c.customerSaid("C2", "", "", "a")
	c.customerSaid("C3", "", "", "b") // 4 keys > 3: evicts the oldest
	if n := c.cache.len(); n != 3 {
		t.Errorf("holds %d conversations, want 3", n)
	}
	if got := c.last("C9", ""); got != "" {
		t.Errorf("last(unknown) = %q, want empty", got)
	}
}

func TestTruncate(t *testing.T) {
	s := strings.Repeat("é", 10) // 2 bytes each
	for n := 0; n <= len(s); n++ {
		got := truncate(s, n)
		if len(got) > n || !utf8.ValidString(got) || len(got) < n-1 {
			t.Errorf("truncate(%q, %d) = %q", s, n, got)
		}
	}
}
