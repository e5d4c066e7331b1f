package slackbot

import (
	"time"
	"unicode/utf8"
)

// conversations remembers, in memory only, the last customer message of
// each conversation (a channel, or a thread in it), to pass to the scorer
// as the context of the agent's next message. It is bounded in entries and
// in bytes per entry, and evicts the least recently used conversation.
//
// The text is never stored elsewhere and never logged above Debug.
type conversations struct {
	maxBytes int
	cache    *lru[string]
}

func newConversations(entries, maxBytes int) *conversations {
	return &conversations{maxBytes: maxBytes, cache: newLRU[string](entries)}
}

func convoKey(channel, thread string) string { return channel + "/" + thread }

// customerSaid notes text as the last customer message in channel, in
// thread (thread "" for the channel itself). A message at the top level
// also starts a thread of its own (whose thread_ts is the message's ts), so
// it is remembered under that thread too.
func (c *conversations) customerSaid(channel, thread, ts, text string) {
	text = truncate(text, c.maxBytes)
	c.cache.put(convoKey(channel, thread), text, time.Time{})
	if thread == "" && ts != "" {
		c.cache.put(convoKey(channel, ts), text, time.Time{})
	}
}

// last returns the customer's last message in channel and thread, or "".
func (c *conversations) last(channel, thread string) string {
	text, _, _ := c.cache.get(convoKey(channel, thread))
	return text
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
