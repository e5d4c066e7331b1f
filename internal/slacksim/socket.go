package slacksim

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// disconnectGrace is how long the server waits, after sending a
// "disconnect" message, for the client to close the socket before it
// closes it itself.
const disconnectGrace = 2 * time.Second

// ConnInfo describes a Socket Mode connection.
type ConnInfo struct {
	ID       int
	OpenedAt time.Time
	ClosedAt time.Time // zero until its socket has closed
	// Envelopes is how many envelopes were written to it.
	Envelopes int
}

type outMsg struct {
	data  []byte
	envID string // "" for hello and disconnect
	// disconnect: after writing, wait for the client to close (or
	// disconnectGrace), then close.
	disconnect bool
}

type conn struct {
	id   int
	ws   *websocket.Conn
	send chan outMsg
	done chan struct{}
	once sync.Once
}

// drop closes the TCP connection abruptly: no close frame, no goodbye.
func (c *conn) drop() {
	c.once.Do(func() { close(c.done) })
	_ = c.ws.NetConn().Close()
}

var upgrader = websocket.Upgrader{
	// slack-go dials with "Origin: https://api.slack.com", which gorilla's
	// default same-host check would refuse.
	CheckOrigin:     func(*http.Request) bool { return true },
	ReadBufferSize:  32 << 10,
	WriteBufferSize: 32 << 10,
}

func (s *Sim) serveSocket(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	valid := s.tickets[ticket]
	delete(s.tickets, ticket) // tickets are single use, as Slack's are
	s.mu.Unlock()
	if !valid {
		http.Error(w, "invalid ticket", http.StatusUnauthorized)
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the client
	}
	c := &conn{ws: ws, send: make(chan outMsg, 1024), done: make(chan struct{})}

	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	s.connSeq++
	c.id = s.connSeq
	s.conns[c.id] = c
	s.connLog = append(s.connLog, ConnInfo{ID: c.id, OpenedAt: s.opts.Now()})
	hello, _ := json.Marshal(map[string]any{
		"type":            "hello",
		"num_connections": len(s.conns),
		"debug_info": map[string]any{
			"host":                        "applink-slacksim",
			"build_number":                1,
			"approximate_connection_time": 18060,
		},
		"connection_info": map[string]any{"app_id": s.AppID},
	})
	c.send <- outMsg{data: hello}
	backlog := s.backlog
	s.backlog = nil
	var out []outMsg
	for _, p := range backlog {
		out = append(out, s.prepareLocked(c, p))
	}
	s.notifyLocked()
	s.mu.Unlock()

	s.wg.Go(func() { s.writeLoop(c) })
	s.wg.Go(func() { s.readLoop(c) })
	for _, m := range out {
		s.enqueue(c, m)
	}
}

// writeLoop is the only writer of c.ws (gorilla allows one), apart from the
// control frames gorilla lets any goroutine write.
func (s *Sim) writeLoop(c *conn) {
	ping := time.NewTicker(s.opts.PingInterval)
	defer ping.Stop()
	// Ping at once, so a client's ping deadline starts from the connection.
	_ = c.ws.WriteControl(websocket.PingMessage, []byte("slacksim"), time.Now().Add(5*time.Second))
	for {
		select {
		case <-c.done:
			return
		case <-s.closing:
			c.drop()
			return
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, []byte("slacksim"), time.Now().Add(5*time.Second)); err != nil {
				c.drop()
				return
			}
		case m := <-c.send:
			if m.envID != "" {
				s.mu.Lock()
				if p, ok := s.pending[m.envID]; ok {
					p.sentAt = time.Now()
				}
				s.mu.Unlock()
			}
			if err := c.ws.WriteMessage(websocket.TextMessage, m.data); err != nil {
				c.drop()
				return
			}
			if m.disconnect {
				select {
				case <-c.done:
				case <-time.After(disconnectGrace):
				case <-s.closing:
				}
				_ = c.ws.WriteControl(websocket.CloseMessage,
					websocket.FormatCloseMessage(websocket.CloseNormalClosure, "disconnect"),
					time.Now().Add(time.Second))
				c.drop()
				return
			}
		}
	}
}

func (s *Sim) readLoop(c *conn) {
	defer s.connClosed(c)
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		now := time.Now()
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &ack) != nil || ack.EnvelopeID == "" {
			continue // Slack ignores what it cannot read
		}
		s.mu.Lock()
		a := Ack{EnvelopeID: ack.EnvelopeID, ConnID: c.id, Payload: ack.Payload, At: s.opts.Now()}
		if p, ok := s.pending[ack.EnvelopeID]; ok {
			a.Type = p.typ
			a.Latency = now.Sub(p.sentAt)
			if p.timer != nil {
				p.timer.Stop()
			}
			delete(s.pending, ack.EnvelopeID)
		}
		s.acks = append(s.acks, a)
		s.notifyLocked()
		s.mu.Unlock()
	}
}

func (s *Sim) connClosed(c *conn) {
	c.drop()
	s.mu.Lock()
	delete(s.conns, c.id)
	for i := range s.connLog {
		if s.connLog[i].ID == c.id {
			s.connLog[i].ClosedAt = s.opts.Now()
		}
	}
	s.notifyLocked()
	s.mu.Unlock()
}

// Connections returns the open Socket Mode connections, oldest first.
func (s *Sim) Connections() []ConnInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ConnInfo
	for _, ci := range s.connLog {
		if _, ok := s.conns[ci.ID]; ok {
			out = append(out, ci)
		}
	}
	return out
}

// ConnectionCount returns how many Socket Mode connections were ever opened.
func (s *Sim) ConnectionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.connLog)
}

// WaitConnected waits until at least n connections are open (each has been
// sent its hello).
func (s *Sim) WaitConnected(ctx context.Context, n int) error {
	return s.WaitFor(ctx, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.conns) >= n
	})
}

// WaitConnections waits until at least n connections were ever opened:
// after a disconnect, WaitConnections(ctx, before+1) waits for the reconnect.
func (s *Sim) WaitConnections(ctx context.Context, n int) error {
	return s.WaitFor(ctx, func() bool { return s.ConnectionCount() >= n })
}

// Disconnect sends {"type":"disconnect","reason":reason} to every open
// connection, as Slack does before it recycles one ("refresh_requested",
// "warning", "link_disabled"), then closes each socket once the client has
// closed it or after 2 s. The connections stop counting as open, and get
// no new envelopes, at once.
func (s *Sim) Disconnect(reason string) {
	s.disconnect(reason, 0)
}

// DisconnectConn is Disconnect for one connection.
func (s *Sim) DisconnectConn(id int, reason string) {
	s.disconnect(reason, id)
}

func (s *Sim) disconnect(reason string, id int) {
	msg, _ := json.Marshal(map[string]any{
		"type":       "disconnect",
		"reason":     reason,
		"debug_info": map[string]any{"host": "applink-slacksim"},
	})
	s.mu.Lock()
	var targets []*conn
	for cid, c := range s.conns {
		if id == 0 || cid == id {
			targets = append(targets, c)
		}
	}
	s.retireLocked(targets)
	s.mu.Unlock()
	for _, c := range targets {
		s.enqueue(c, outMsg{data: msg, disconnect: true})
	}
}

// retireLocked takes connections out of service at once: no new envelopes
// go to them and they no longer count as open, although their sockets close
// a moment later (acks still arriving on them are recorded). Without this,
// a test that waits for the reconnect could see the old connection still
// "open" and have its next envelope routed to a dying socket.
func (s *Sim) retireLocked(cs []*conn) {
	for _, c := range cs {
		delete(s.conns, c.id)
	}
	s.notifyLocked()
}

// DropConnections closes every connection's TCP socket abruptly, with no
// disconnect message and no close frame, as a network failure would.
func (s *Sim) DropConnections() {
	s.mu.Lock()
	var targets []*conn
	for _, c := range s.conns {
		targets = append(targets, c)
	}
	s.retireLocked(targets)
	s.mu.Unlock()
	for _, c := range targets {
		c.drop()
	}
}

// DropConn drops one connection abruptly.
func (s *Sim) DropConn(id int) {
	s.mu.Lock()
	c := s.conns[id]
	if c != nil {
		s.retireLocked([]*conn{c})
	}
	s.mu.Unlock()
	if c != nil {
		c.drop()
	}
}

func (s *Sim) enqueue(c *conn, m outMsg) {
	select {
	case c.send <- m:
	case <-c.done:
	case <-s.closing:
	}
}
