package slacksim

import (
	"context"
	"encoding/json"
	"net/url"
	"time"

	"github.com/slack-go/slack"
)

// Call is one Web API request as the sim received it.
type Call struct {
	Method string
	// Params are the form fields, or for a JSON body its top-level fields
	// (strings as they are, anything else as compact JSON). The token is
	// never recorded.
	Params url.Values
	// Blocks is the raw "blocks" JSON (views.publish: the view's blocks).
	Blocks json.RawMessage
	// TokenKind is "bot", "app" or "" (missing or unknown).
	TokenKind string
	At        time.Time
	// Error is the Slack error code the sim answered with, "" when ok.
	// Rate-limited calls have Error "ratelimited" and Status 429.
	Error string
	// Details are the per-field messages Slack returns with invalid_blocks,
	// e.g. "must be less than 3001 characters [json-pointer:/blocks/0/text/text]".
	Details []string
	Status  int
	// TS is the message timestamp handed back (ts or message_ts), if any.
	TS string
}

// OK reports whether the call succeeded.
func (c Call) OK() bool { return c.Error == "" }

// DecodedBlocks decodes Blocks with slack-go's own decoder.
func (c Call) DecodedBlocks() (slack.Blocks, error) {
	var b slack.Blocks
	if len(c.Blocks) == 0 {
		return b, nil
	}
	err := json.Unmarshal(c.Blocks, &b)
	return b, err
}

// Ephemeral is a chat.postEphemeral the sim accepted.
type Ephemeral struct {
	Channel   string
	User      string
	Text      string
	ThreadTS  string
	Blocks    json.RawMessage
	MessageTS string
	At        time.Time
}

// Ack is an acknowledgement received over Socket Mode.
type Ack struct {
	EnvelopeID string
	ConnID     int
	// Type is the acked envelope's type ("events_api", "slash_commands",
	// "interactive"), or "" for an ack of an envelope the sim never sent.
	Type string
	// Payload is the ack's optional payload, raw.
	Payload json.RawMessage
	// Latency is the time from writing the envelope to reading its ack.
	Latency time.Duration
	At      time.Time
}

// ResponseURLPost is a POST to a response_url the sim handed out.
type ResponseURLPost struct {
	// URL is the response_url posted to.
	URL string
	// Source is "slash_commands" or "interactive": what handed out the URL.
	Source          string
	Channel         string
	User            string
	Text            string
	Blocks          json.RawMessage
	ResponseType    string
	ReplaceOriginal bool
	DeleteOriginal  bool
	ThreadTS        string
	At              time.Time
	// Error is "" when the sim accepted the post.
	Error string
}

// Envelope is a Socket Mode envelope the sim wrote to a connection.
type Envelope struct {
	EnvelopeID   string
	Type         string
	EventID      string // events_api only
	ConnID       int
	RetryAttempt int
	RetryReason  string
	At           time.Time
}

func (s *Sim) recordCall(c Call) {
	s.mu.Lock()
	s.calls = append(s.calls, c)
	if c.OK() {
		s.okCalls[c.Method]++
	}
	s.notifyLocked()
	s.mu.Unlock()
}

// Calls returns the recorded Web API calls, oldest first. With no methods it
// returns every call; otherwise only calls to those methods.
func (s *Sim) Calls(methods ...string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if len(methods) == 0 || contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

// OKCount returns how many calls to method the sim accepted.
func (s *Sim) OKCount(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.okCalls[method]
}

// AckCount returns how many acks were received.
func (s *Sim) AckCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.acks)
}

// Ephemerals returns the accepted chat.postEphemeral calls, oldest first.
func (s *Sim) Ephemerals() []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Ephemeral
	for _, c := range s.calls {
		if c.Method != "chat.postEphemeral" || !c.OK() {
			continue
		}
		out = append(out, Ephemeral{
			Channel:   c.Params.Get("channel"),
			User:      c.Params.Get("user"),
			Text:      c.Params.Get("text"),
			ThreadTS:  c.Params.Get("thread_ts"),
			Blocks:    c.Blocks,
			MessageTS: c.TS,
			At:        c.At,
		})
	}
	return out
}

// Acks returns the acks received, oldest first.
func (s *Sim) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Ack(nil), s.acks...)
}

// AckLatencies returns the send-to-ack latency of every ack of a known
// envelope, oldest first.
func (s *Sim) AckLatencies() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]time.Duration, 0, len(s.acks))
	for _, a := range s.acks {
		if a.Type != "" {
			out = append(out, a.Latency)
		}
	}
	return out
}

// Unacked returns the IDs of envelopes written but not acked yet.
func (s *Sim) Unacked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id := range s.pending {
		out = append(out, id)
	}
	return out
}

// ResponseURLPosts returns the posts to response_urls, oldest first.
func (s *Sim) ResponseURLPosts() []ResponseURLPost {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ResponseURLPost(nil), s.responses...)
}

// Delivered returns every envelope written to a connection, oldest first.
func (s *Sim) Delivered() []Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Envelope(nil), s.delivered...)
}

// WaitCalls waits until at least n accepted calls to method are recorded and
// returns them.
func (s *Sim) WaitCalls(ctx context.Context, method string, n int) ([]Call, error) {
	err := s.WaitFor(ctx, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.okCalls[method] >= n
	})
	var out []Call
	for _, c := range s.Calls(method) {
		if c.OK() {
			out = append(out, c)
		}
	}
	return out, err
}

// WaitEphemerals waits until at least n ephemerals were accepted and returns them.
func (s *Sim) WaitEphemerals(ctx context.Context, n int) ([]Ephemeral, error) {
	err := s.WaitFor(ctx, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.okCalls["chat.postEphemeral"] >= n
	})
	return s.Ephemerals(), err
}

// WaitAcks waits until at least n acks were received and returns them.
func (s *Sim) WaitAcks(ctx context.Context, n int) ([]Ack, error) {
	err := s.WaitFor(ctx, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.acks) >= n
	})
	return s.Acks(), err
}

// WaitAcked waits until the envelope with the given ID was acked.
func (s *Sim) WaitAcked(ctx context.Context, envelopeID string) (Ack, error) {
	var out Ack
	err := s.WaitFor(ctx, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, a := range s.acks {
			if a.EnvelopeID == envelopeID {
				out = a
				return true
			}
		}
		return false
	})
	return out, err
}

// WaitResponseURLPosts waits until at least n response_url posts were
// recorded and returns them.
func (s *Sim) WaitResponseURLPosts(ctx context.Context, n int) ([]ResponseURLPost, error) {
	err := s.WaitFor(ctx, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.responses) >= n
	})
	return s.ResponseURLPosts(), err
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
