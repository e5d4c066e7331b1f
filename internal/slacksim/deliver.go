package slacksim

import (
	"encoding/json"
	"fmt"
	"time"
)

// Target says which Socket Mode connections an envelope goes to.
type Target struct {
	all  bool
	conn int
}

// ToAny delivers to one open connection, round-robin, as Slack picks one
// connection per envelope. It is the zero Target. With no connection open,
// the envelope waits for the next one. An envelope written to a connection
// that is going down is lost, as it would be with Slack, unless
// Options.Redeliver sends it again.
var ToAny = Target{}

// ToAll delivers a copy (each with its own envelope ID, the same payload and
// event_id) to every open connection: what two replicas see when Slack
// delivers the same event twice.
var ToAll = Target{all: true}

// ToConn delivers to the connection with that ID (see Connections). If it is
// not open, nothing is delivered.
func ToConn(id int) Target { return Target{conn: id} }

// pendingEnvelope is an envelope the sim wrote, kept until it is acked so
// the ack's latency can be measured and an unacked one redelivered.
type pendingEnvelope struct {
	id          string
	typ         string
	eventID     string
	payload     json.RawMessage
	accepts     bool
	attempt     int
	reason      string
	connID      int
	sentAt      time.Time
	timer       *time.Timer
	redelivered bool
}

// envelopeSpec is what deliver needs to build envelopes.
type envelopeSpec struct {
	typ     string
	eventID string
	payload json.RawMessage
	accepts bool
	attempt int
	reason  string
}

// deliver writes one envelope per target connection and returns their IDs.
func (s *Sim) deliver(spec envelopeSpec, to Target) []string {
	type job struct {
		c *conn
		m outMsg
	}
	var jobs []job
	var ids []string
	s.mu.Lock()
	newPending := func() *pendingEnvelope {
		return &pendingEnvelope{
			id: s.nextID("env-"), typ: spec.typ, eventID: spec.eventID, payload: spec.payload,
			accepts: spec.accepts, attempt: spec.attempt, reason: spec.reason,
		}
	}
	switch {
	case to.all:
		for _, ci := range s.connLog {
			if c, ok := s.conns[ci.ID]; ok {
				p := newPending()
				jobs = append(jobs, job{c, s.prepareLocked(c, p)})
				ids = append(ids, p.id)
			}
		}
	case to.conn != 0:
		if c, ok := s.conns[to.conn]; ok {
			p := newPending()
			jobs = append(jobs, job{c, s.prepareLocked(c, p)})
			ids = append(ids, p.id)
		}
	default:
		p := newPending()
		ids = append(ids, p.id)
		if c := s.pickLocked(); c != nil {
			jobs = append(jobs, job{c, s.prepareLocked(c, p)})
		} else {
			s.backlog = append(s.backlog, p)
		}
	}
	s.mu.Unlock()
	for _, j := range jobs {
		s.enqueue(j.c, j.m)
	}
	return ids
}

// pickLocked picks the next open connection round-robin, or nil.
func (s *Sim) pickLocked() *conn {
	if len(s.conns) == 0 {
		return nil
	}
	var open []*conn
	for _, ci := range s.connLog {
		if c, ok := s.conns[ci.ID]; ok {
			open = append(open, c)
		}
	}
	s.rr++
	return open[s.rr%len(open)]
}

// prepareLocked registers p as sent on c and returns the message to write.
func (s *Sim) prepareLocked(c *conn, p *pendingEnvelope) outMsg {
	p.connID = c.id
	p.sentAt = time.Now()
	env := struct {
		EnvelopeID             string          `json:"envelope_id"`
		Type                   string          `json:"type"`
		Payload                json.RawMessage `json:"payload"`
		AcceptsResponsePayload bool            `json:"accepts_response_payload"`
		RetryAttempt           int             `json:"retry_attempt"`
		RetryReason            string          `json:"retry_reason"`
	}{p.id, p.typ, p.payload, p.accepts, p.attempt, p.reason}
	data, err := json.Marshal(env)
	if err != nil {
		panic(fmt.Sprintf("slacksim: marshal envelope: %v", err)) // payloads are built by the sim
	}
	s.pending[p.id] = p
	s.delivered = append(s.delivered, Envelope{
		EnvelopeID: p.id, Type: p.typ, EventID: p.eventID, ConnID: c.id,
		RetryAttempt: p.attempt, RetryReason: p.reason, At: s.opts.Now(),
	})
	for i := len(s.connLog) - 1; i >= 0; i-- {
		if s.connLog[i].ID == c.id {
			s.connLog[i].Envelopes++
			break
		}
	}
	if s.opts.Redeliver && p.attempt < s.opts.MaxRetries {
		id := p.id
		p.timer = time.AfterFunc(s.opts.AckTimeout, func() { s.redeliver(id) })
	}
	s.notifyLocked()
	return outMsg{data: data, envID: p.id}
}

// redeliver sends an unacked envelope again, as Slack does after its 3 s
// ack deadline: a new envelope ID, the same payload, retry_attempt+1 and
// retry_reason "timeout".
func (s *Sim) redeliver(id string) {
	s.mu.Lock()
	p, ok := s.pending[id]
	if !ok || p.redelivered || s.closed.Load() {
		s.mu.Unlock()
		return
	}
	p.redelivered = true
	spec := envelopeSpec{typ: p.typ, eventID: p.eventID, payload: p.payload, accepts: p.accepts, attempt: p.attempt + 1, reason: "timeout"}
	s.mu.Unlock()
	s.deliver(spec, ToAny)
}

// SendRaw writes frame, unchanged, as one text frame to the target
// connection(s) and returns how many it was written to (ToAny with no open
// connection: 0; raw frames are never queued). Tests use it to feed a client
// what the sim would never build: broken JSON, unknown envelope types,
// payloads slack-go cannot decode. If frame is a JSON object with an
// envelope_id, the envelope is tracked like any other, so its ack shows in
// Acks with the frame's "type" and a latency.
func (s *Sim) SendRaw(frame []byte, to Target) int {
	var probe struct {
		EnvelopeID string `json:"envelope_id"`
		Type       string `json:"type"`
	}
	_ = json.Unmarshal(frame, &probe)
	s.mu.Lock()
	var targets []*conn
	switch {
	case to.all:
		for _, ci := range s.connLog {
			if c, ok := s.conns[ci.ID]; ok {
				targets = append(targets, c)
			}
		}
	case to.conn != 0:
		if c, ok := s.conns[to.conn]; ok {
			targets = append(targets, c)
		}
	default:
		if c := s.pickLocked(); c != nil {
			targets = append(targets, c)
		}
	}
	for _, c := range targets {
		if probe.EnvelopeID == "" {
			continue
		}
		s.pending[probe.EnvelopeID] = &pendingEnvelope{id: probe.EnvelopeID, typ: probe.Type, connID: c.id, sentAt: time.Now()}
		s.delivered = append(s.delivered, Envelope{EnvelopeID: probe.EnvelopeID, Type: probe.Type, ConnID: c.id, At: s.opts.Now()})
	}
	s.notifyLocked()
	s.mu.Unlock()
	for _, c := range targets {
		s.enqueue(c, outMsg{data: append([]byte(nil), frame...), envID: probe.EnvelopeID})
	}
	return len(targets)
}
