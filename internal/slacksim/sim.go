// Package slacksim is a local Slack: a Web API and a Socket Mode server on
// 127.0.0.1 that the unmodified slack-go client talks to.
//
// Slack is not reachable from the machines the project is tested on, so the
// bot's end-to-end tests, the load tests and `nudgebot demo` run against this
// simulator. It imports none of the project's packages, so it cannot shade the
// truth in the bot's favour: requests are decoded and validated the way Slack
// does (tokens, unknown users and channels, Block Kit limits, rate limits), and
// everything the bot sends is recorded for tests to inspect.
//
//	sim := slacksim.Start(t, slacksim.Options{})
//	api := slack.New(sim.BotToken, slack.OptionAppLevelToken(sim.AppToken),
//		slack.OptionAPIURL(sim.APIURL()))
//	client := socketmode.New(api)
package slacksim

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Options configures a Sim. The zero value is ready to use.
type Options struct {
	// TeamID, TeamName and TeamDomain name the bot's workspace.
	// Defaults: "T0SIM", "Sim Workspace", "simworkspace".
	TeamID     string
	TeamName   string
	TeamDomain string
	// BotUserID, BotID and BotName are the bot user auth.test reports.
	// Defaults: "U0BOT", "B0BOT", "nudgebot".
	BotUserID string
	BotID     string
	BotName   string
	// AppID is the Slack app's ID. Default "A0SIM".
	AppID string

	// PingInterval is how often the server pings each Socket Mode
	// connection. slack-go's socketmode client reconnects when it has not
	// been pinged for 30 s (its default OptionPingInterval), so this must be
	// shorter than that. Default 10 s.
	PingInterval time.Duration

	// Redeliver makes envelopes that are not acked within AckTimeout be
	// delivered again with retry_attempt+1 and retry_reason "timeout", up to
	// MaxRetries times, as Slack does.
	Redeliver bool
	// AckTimeout defaults to 3 s, Slack's ack deadline.
	AckTimeout time.Duration
	// MaxRetries defaults to 3, Slack's number of retries.
	MaxRetries int

	// Now is the clock used for timestamps and records. Default time.Now.
	Now func() time.Time
}

func (o *Options) setDefaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.TeamID, "T0SIM")
	def(&o.TeamName, "Sim Workspace")
	def(&o.TeamDomain, "simworkspace")
	def(&o.BotUserID, "U0BOT")
	def(&o.BotID, "B0BOT")
	def(&o.BotName, "nudgebot")
	def(&o.AppID, "A0SIM")
	if o.PingInterval <= 0 {
		o.PingInterval = 10 * time.Second
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = 3 * time.Second
	}
	if o.MaxRetries <= 0 {
		o.MaxRetries = 3
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// User is a workspace member as users.info describes it.
type User struct {
	ID                string
	TeamID            string // default: the sim's team
	Name              string // default: lowercased ID
	RealName          string
	IsBot             bool
	IsAdmin           bool
	IsOwner           bool
	IsRestricted      bool // multi-channel guest
	IsUltraRestricted bool // single-channel guest
	IsStranger        bool // from another workspace, seen through a shared channel
	Deleted           bool
	Email             string
}

// Channel is a conversation as conversations.info describes it.
type Channel struct {
	ID          string
	Name        string
	IsPrivate   bool
	IsIM        bool
	IsMpIM      bool
	IsExtShared bool
	// HostTeamID is the workspace that created a shared channel (default:
	// the sim's). Slack puts it, not the receiving workspace, in the
	// envelope's team_id; authorizations[0].team_id stays the sim's.
	HostTeamID string
	// Members are user IDs. The bot must be listed to be "in" the channel.
	Members []string
}

func (c Channel) channelType() string {
	switch {
	case c.IsIM:
		return "im"
	case c.IsMpIM:
		return "mpim"
	case c.IsPrivate:
		return "group"
	default:
		return "channel"
	}
}

// Sim is a running simulator. Its methods are safe for concurrent use.
type Sim struct {
	// BotToken is the xoxb- token the Web API accepts for bot calls.
	BotToken string
	// AppToken is the xapp- token apps.connections.open accepts.
	AppToken string
	// TeamID and BotUserID are those auth.test reports.
	TeamID    string
	BotUserID string
	BotID     string
	AppID     string

	opts Options
	srv  *http.Server
	ln   net.Listener
	base string // "http://127.0.0.1:PORT"

	wg      sync.WaitGroup // server and connection goroutines
	closing chan struct{}
	closed  atomic.Bool

	seq atomic.Int64 // IDs: envelopes, events, tickets, triggers

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every recorded change
	users    map[string]User
	channels map[string]*Channel
	limits   map[string]*rateLimit
	tickets  map[string]bool
	respURLs map[string]*responseURL
	lastTS   int64 // microseconds since the epoch of the last ts handed out

	calls     []Call
	okCalls   map[string]int
	acks      []Ack
	responses []ResponseURLPost
	delivered []Envelope

	conns   map[int]*conn
	connSeq int
	rr      int
	pending map[string]*pendingEnvelope // by envelope ID, awaiting an ack
	backlog []*pendingEnvelope          // envelopes waiting for a connection
	connLog []ConnInfo                  // every connection ever opened
}

// New starts a simulator on 127.0.0.1 at a random port. Close it when done.
func New(opts Options) (*Sim, error) {
	opts.setDefaults()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("slacksim: listen: %w", err)
	}
	s := &Sim{
		BotToken:  "xoxb-0000000000-0000000000000-slacksimbottoken",
		AppToken:  "xapp-1-" + opts.AppID + "-0000000000000-slacksimapptoken",
		TeamID:    opts.TeamID,
		BotUserID: opts.BotUserID,
		BotID:     opts.BotID,
		AppID:     opts.AppID,
		opts:      opts,
		ln:        ln,
		base:      "http://" + ln.Addr().String(),
		closing:   make(chan struct{}),
		changed:   make(chan struct{}),
		users:     map[string]User{},
		channels:  map[string]*Channel{},
		limits:    map[string]*rateLimit{},
		tickets:   map[string]bool{},
		respURLs:  map[string]*responseURL{},
		okCalls:   map[string]int{},
		conns:     map[int]*conn{},
		pending:   map[string]*pendingEnvelope{},
	}
	s.users[opts.BotUserID] = User{ID: opts.BotUserID, TeamID: opts.TeamID, Name: opts.BotName, RealName: opts.BotName, IsBot: true}

	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", s.serveAPI)
	mux.HandleFunc("/link/", s.serveSocket)
	mux.HandleFunc("/actions/{id}", s.serveResponseURL)
	mux.HandleFunc("/commands/{id}", s.serveResponseURL)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	s.wg.Go(func() {
		_ = s.srv.Serve(ln) // returns http.ErrServerClosed on Close
	})
	return s, nil
}

// Start is New for tests: it fails t on error and closes the sim at cleanup.
func Start(t testing.TB, opts Options) *Sim {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Close drops every connection, stops the server and waits for its
// goroutines. It is safe to call more than once.
func (s *Sim) Close() {
	if !s.closed.CompareAndSwap(false, true) {
		return
	}
	close(s.closing)
	s.mu.Lock()
	for _, c := range s.conns {
		c.drop()
	}
	for _, p := range s.pending {
		if p.timer != nil {
			p.timer.Stop()
		}
	}
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	s.wg.Wait()
}

// APIURL is the Web API base URL with its trailing slash, for
// slack.OptionAPIURL: "http://127.0.0.1:PORT/api/".
func (s *Sim) APIURL() string { return s.base + "/api/" }

// URL is the server's base URL, "http://127.0.0.1:PORT".
func (s *Sim) URL() string { return s.base }

// AddUser adds or replaces a user. TeamID defaults to the sim's team.
func (s *Sim) AddUser(u User) {
	if u.TeamID == "" {
		u.TeamID = s.TeamID
	}
	if u.Name == "" {
		u.Name = strings.ToLower(u.ID)
	}
	s.mu.Lock()
	s.users[u.ID] = u
	s.mu.Unlock()
}

// AddChannel adds or replaces a channel.
func (s *Sim) AddChannel(c Channel) {
	if c.Name == "" {
		c.Name = strings.ToLower(c.ID)
	}
	c.Members = append([]string(nil), c.Members...)
	s.mu.Lock()
	s.channels[c.ID] = &c
	s.mu.Unlock()
}

// Join adds a user to a channel's members without sending an event; see
// MemberJoined for the event.
func (s *Sim) Join(channelID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[channelID]
	if !ok {
		return
	}
	for _, m := range ch.Members {
		if m == userID {
			return
		}
	}
	ch.Members = append(ch.Members, userID)
}

func (s *Sim) isMember(ch *Channel, userID string) bool {
	for _, m := range ch.Members {
		if m == userID {
			return true
		}
	}
	return false
}

// nextID returns a unique ID with the given prefix, e.g. "Ev000001".
func (s *Sim) nextID(prefix string) string {
	return fmt.Sprintf("%s%06d", prefix, s.seq.Add(1))
}

// nextTS returns a Slack message timestamp, "1700000000.000100" style,
// strictly greater than every one handed out before. Call with s.mu held.
func (s *Sim) nextTSLocked() string {
	us := s.opts.Now().UnixMicro()
	if us <= s.lastTS {
		us = s.lastTS + 1
	}
	s.lastTS = us
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}

// NextTS returns a fresh, monotonic Slack timestamp.
func (s *Sim) NextTS() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nextTSLocked()
}

// notifyLocked wakes every WaitFor. Call with s.mu held.
func (s *Sim) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// WaitFor blocks until cond returns true or ctx ends. cond is evaluated
// after every change the sim records (a call, an ack, a connection, a
// response_url post), so tests never need to sleep. cond may call any Sim
// method.
func (s *Sim) WaitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("slacksim: wait: %w", ctx.Err())
		case <-s.closing:
			return fmt.Errorf("slacksim: wait: sim closed")
		}
	}
}
