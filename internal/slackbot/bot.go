// Package slackbot is nudgebot's Slack side: the Socket Mode loop that
// acknowledges every envelope at once, then, off the loop, sorts agents
// from customers, scores agents' messages and posts the ephemeral nudges,
// records feedback clicks and answers invitations and slash commands.
package slackbot

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nudgebot/nudgebot/internal/score"
	"github.com/nudgebot/nudgebot/internal/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/zap"
)

// Options configure a Bot. API, Store, Rules and Log are required.
type Options struct {
	// API is the Web API client, built with the bot token, the app-level
	// token (for Socket Mode) and the API URL.
	API   *slack.Client
	Store store.Store
	Rules *score.Rules
	Log   *zap.Logger
	// Registerer receives the bot's metrics; nil registers nowhere.
	Registerer prometheus.Registerer
	// Defaults are the settings where no manager set any.
	Defaults Defaults
	// Managers are the user IDs who may change settings besides workspace
	// admins and owners (NUDGE_MANAGERS).
	Managers []string

	// Now is the clock (default time.Now); Rand returns a float in [0,1)
	// and decides the experiment's withheld nudges (default math/rand/v2).
	Now  func() time.Time
	Rand func() float64

	// Workers is how many goroutines handle events after their ack
	// (default 4). Events of one channel always go to the same worker,
	// so a customer's message is seen before the agent's reply to it.
	Workers int
	// Posts bounds the Web API posts in flight (default 32). A post that
	// waits out a 429 holds one slot and no worker.
	Posts int
	// Retries is how many times a call that got a 429 is retried
	// (default 3).
	Retries int
	// DrainTimeout bounds how long Run waits, after its context ends, for
	// acked events and in-flight posts to finish (default 5s).
	DrainTimeout time.Duration
	// UserTTL and UserCacheSize bound the users.info cache (default 10m,
	// 10,000 users).
	UserTTL       time.Duration
	UserCacheSize int
	// Conversations bounds how many conversations' last customer message
	// is kept in memory (default 10,000, at most ContextBytes each,
	// default 1,000).
	Conversations int
	ContextBytes  int
	// EventLease is how long a claim on an event lasts before the event
	// is dealt with (default 30s): a copy of the event that another
	// replica claimed waits for it to finish, and takes the event over
	// once its lease ends, if that replica died.
	EventLease time.Duration
	// StoreTimeout bounds one message's store work (default 5s), so a
	// database that stops answering does not hold a worker.
	StoreTimeout time.Duration
	// StoreRetry is the first wait before a message whose store call
	// found the database unavailable is tried again (default 250ms,
	// doubling to at most 32 times that); StoreRetryFor is how long it is
	// retried before it is dropped (default 2m).
	StoreRetry    time.Duration
	StoreRetryFor time.Duration
	// MaxHeld bounds the messages waiting to be retried or re-checked
	// (default 10,000); beyond it they are dropped and counted.
	MaxHeld int
	// HTTPClient posts to response_url (default: a client with a 10s
	// timeout).
	HTTPClient *http.Client
	// ResponseOrigins are the origins ("https://host[:port]") a
	// response_url may point at besides Slack's own hooks hosts
	// (https://hooks.slack.com, https://hooks.slack-gov.com): the app
	// adds its API URL's, so a simulator or proxy works. A reply whose
	// response_url points elsewhere is not posted, so a payload cannot
	// make the bot send its reply to another server.
	ResponseOrigins []string
	// SocketOptions are passed to socketmode.New.
	SocketOptions []socketmode.Option
	// Observe, when set, is called once each event has been dealt with
	// (after its nudge was posted, if any), and once more, before, for a
	// message put aside to retry when the store was unavailable (Outcome
	// "retrying", with Err). Tests and the demo wait on it. It must be
	// safe for concurrent use.
	Observe func(Handled)
}

// Handled says what the bot did with one event.
type Handled struct {
	EnvelopeID string
	EventID    string
	// Kind is the event: "message", "member_joined_channel",
	// "app_home_opened", "block_actions", "slash_command", or another
	// type the bot ignores.
	Kind    string
	Channel string
	User    string
	// Outcome is, for a message: "skipped:REASON", "customer", "scored"
	// (under its threshold), "snoozed", "cooldown", the store.Outcome
	// of a would-be nudge ("failed" when its post failed for good),
	// "retrying" (see Options.Observe) or "dropped:REASON" (the store
	// stayed unavailable, or the bot stopped first). For other kinds: "posted", "recorded",
	// "replied" or "skipped:REASON".
	Outcome string
	// NudgeID is the record of a would-be nudge; 0 if none.
	NudgeID int64
	Err     error
}

// Identity is who the bot is, from auth.test.
type Identity struct {
	UserID string
	TeamID string
	BotID  string
}

// Bot is the running bot. Create it with New, then call Run once.
type Bot struct {
	api      *slack.Client
	store    store.Store
	rules    *score.Rules
	log      *zap.Logger
	m        *metrics
	defaults Defaults
	managers map[string]bool
	now      func() time.Time
	rand     func() float64
	randMu   sync.Mutex
	retries  int
	drain    time.Duration
	http     *http.Client
	origins  map[string]bool // where a response_url may point (responseOrigins)
	sockOpts []socketmode.Option
	observe  func(Handled)
	nworkers int

	lease         time.Duration
	storeTimeout  time.Duration
	storeRetry    time.Duration
	storeRetryFor time.Duration
	maxHeld       int
	later         *later // set by Run

	self   Identity
	users  *userCache
	convos *conversations

	posts     chan struct{} // semaphore of in-flight posts
	postWG    sync.WaitGroup
	connected atomic.Bool
}

// New checks the bot token with auth.test, to learn the bot's user and
// team, and returns a Bot ready to Run.
func New(ctx context.Context, opts Options) (*Bot, error) {
	if opts.API == nil || opts.Store == nil || opts.Rules == nil || opts.Log == nil {
		return nil, errors.New("slackbot: API, Store, Rules and Log are required")
	}
	reg := opts.Registerer
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("slackbot: metrics: %w", err)
	}
	b := &Bot{
		api:      opts.API,
		store:    opts.Store,
		rules:    opts.Rules,
		log:      opts.Log,
		m:        m,
		defaults: opts.Defaults,
		managers: make(map[string]bool, len(opts.Managers)),
		now:      opts.Now,
		rand:     opts.Rand,
		retries:  opts.Retries,
		drain:    opts.DrainTimeout,
		http:     opts.HTTPClient,
		origins:  responseOrigins(opts.ResponseOrigins),
		sockOpts: opts.SocketOptions,
		observe:  opts.Observe,
		nworkers: opts.Workers,

		lease:         orDefaultDuration(opts.EventLease, 30*time.Second),
		storeTimeout:  orDefaultDuration(opts.StoreTimeout, 5*time.Second),
		storeRetry:    orDefaultDuration(opts.StoreRetry, 250*time.Millisecond),
		storeRetryFor: orDefaultDuration(opts.StoreRetryFor, 2*time.Minute),
		maxHeld:       orDefault(opts.MaxHeld, 10_000),
	}
	for _, id := range opts.Managers {
		b.managers[id] = true
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.rand == nil {
		b.rand = rand.Float64
	}
	if b.retries <= 0 {
		b.retries = 3
	}
	if b.drain <= 0 {
		b.drain = 5 * time.Second
	}
	if b.http == nil {
		b.http = &http.Client{Timeout: 10 * time.Second}
	}
	if b.nworkers <= 0 {
		b.nworkers = 4
	}
	posts := opts.Posts
	if posts <= 0 {
		posts = 32
	}
	b.posts = make(chan struct{}, posts)
	ttl := opts.UserTTL
	if ttl <= 0 {
		ttl = 10 * time.Minute
	}
	b.users = newUserCache(orDefault(opts.UserCacheSize, 10_000), ttl, b.now, b.lookupUser)
	b.convos = newConversations(orDefault(opts.Conversations, 10_000), orDefault(opts.ContextBytes, 1000))

	var auth *slack.AuthTestResponse
	err = b.call(ctx, "auth.test", func(ctx context.Context) error {
		var err error
		auth, err = b.api.AuthTestContext(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("slackbot: %w", err)
	}
	b.self = Identity{UserID: auth.UserID, TeamID: auth.TeamID, BotID: auth.BotID}
	b.log.Info("authenticated", zap.String("bot_user_id", b.self.UserID), zap.String("team_id", b.self.TeamID))
	return b, nil
}

func orDefault(n, d int) int {
	if n <= 0 {
		return d
	}
	return n
}

func orDefaultDuration(v, d time.Duration) time.Duration {
	if v <= 0 {
		return d
	}
	return v
}

// Self returns who the bot is, from auth.test.
func (b *Bot) Self() Identity { return b.self }

// Connected reports whether the Socket Mode connection is up.
func (b *Bot) Connected() bool { return b.connected.Load() }

// Ready reports an error unless the Socket Mode connection is up and the
// store answers: /readyz.
func (b *Bot) Ready(ctx context.Context) error {
	if !b.Connected() {
		return errors.New("socket mode not connected")
	}
	if err := b.store.Ping(ctx); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

func (b *Bot) setConnected(up bool) {
	b.connected.Store(up)
	if up {
		b.m.connected.Set(1)
	} else {
		b.m.connected.Set(0)
	}
}

// job is one acked envelope waiting for a worker.
type job struct {
	ev       socketmode.Event
	kind     string
	key      string // what its shard is chosen by
	received time.Time
	retry    retryState
}

// retryState is what a message job carries into its next try: what it
// already did, so the retry neither sees its own claim as another's nor
// counts twice, and how often it was tried.
type retryState struct {
	// lease is the expiry of this job's own claim on the event (zero
	// until it claimed it), as the store keeps it (microseconds).
	lease  time.Time
	scored bool // AddScored done
	// storeTries counts the tries that found the store unavailable, the
	// first at failedAt; rechecks counts the looks at another's claim.
	storeTries int
	failedAt   time.Time
	rechecks   int
	// lookupWaits counts the times users.info's rate limit put it aside.
	lookupWaits int
}

// queueSize is each worker's backlog of acked events. Acks never wait on
// workers unless a worker's whole backlog is full.
const queueSize = 1024

// abandonGrace is how long Run waits, once the drain timed out and the
// remaining work was cancelled, for that work to unwind.
const abandonGrace = 2 * time.Second

// Run connects over Socket Mode and handles events until ctx ends; then
// it stops taking events, lets acked events and in-flight posts finish
// within the drain timeout, and returns nil. It returns an error if Socket
// Mode fails for good (for example, a revoked token).
func (b *Bot) Run(ctx context.Context) error {
	smc := socketmode.New(b.api, b.sockOpts...)

	// Work outlives ctx by the drain timeout, so acked events still count.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	var workers sync.WaitGroup
	queues := make([]chan job, b.nworkers)
	for i := range queues {
		queues[i] = make(chan job, queueSize)
	}
	b.later = newLater(b, queues, b.maxHeld)
	for _, q := range queues {
		workers.Go(func() {
			for j := range q {
				b.handle(workCtx, j)
			}
		})
	}

	sockCtx, stopSock := context.WithCancel(ctx)
	defer stopSock()
	sockDone := make(chan error, 1)
	go func() { sockDone <- smc.RunContext(sockCtx) }()

	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-sockDone:
			sockDone = nil
			if !errors.Is(err, context.Canceled) {
				runErr = fmt.Errorf("slackbot: socket mode: %w", err)
			}
			break loop
		case ev := <-smc.Events:
			b.dispatch(ctx, smc, ev, queues)
		}
	}
	stopSock()
	b.setConnected(false)

	// Held jobs wait on a store or on another replica: neither comes
	// back within the drain. Stop their timers before the queues close.
	b.later.close()
	for _, q := range queues {
		close(q)
	}
	done := make(chan struct{})
	go func() {
		workers.Wait()
		b.postWG.Wait()
		if sockDone != nil {
			<-sockDone
		}
		close(done)
	}()
	t := time.NewTimer(b.drain)
	defer t.Stop()
	select {
	case <-done:
		return runErr
	case <-t.C:
	}
	// Past the drain timeout: cancel what is left (calls honour their
	// context) and give it a moment to unwind, so no goroutine outlives Run
	// unless a call ignores its context.
	b.log.Warn("drain timed out; abandoning the rest", zap.Duration("timeout", b.drain))
	cancelWork()
	t.Reset(abandonGrace)
	select {
	case <-done:
	case <-t.C:
		b.log.Error("work still running after the drain was abandoned")
	}
	return runErr
}

// dispatch runs on the event loop: it acks at once and hands the work to
// the worker of the event's channel.
func (b *Bot) dispatch(ctx context.Context, smc *socketmode.Client, ev socketmode.Event, queues []chan job) {
	switch ev.Type {
	case socketmode.EventTypeConnecting:
		b.setConnected(false)
	case socketmode.EventTypeConnected:
		n := 0
		if ce, ok := ev.Data.(*socketmode.ConnectedEvent); ok {
			n = ce.ConnectionCount
		}
		if n > 0 {
			b.m.reconnects.Inc()
		}
		b.setConnected(true)
		b.log.Info("socket mode connected", zap.Int("connection", n))
	case socketmode.EventTypeConnectionError:
		b.setConnected(false)
		if ce, ok := ev.Data.(*slack.ConnectionErrorEvent); ok {
			b.log.Warn("socket mode connection failed", zap.Int("attempt", ce.Attempt),
				zap.Duration("backoff", ce.Backoff), zap.Error(ce.ErrorObj))
		}
	case socketmode.EventTypeInvalidAuth:
		b.log.Error("socket mode: invalid auth")
	case socketmode.EventTypeIncomingError:
		b.m.events.WithLabelValues("incoming_error").Inc()
		if ie, ok := ev.Data.(*slack.IncomingEventError); ok {
			b.log.Warn("socket mode read error", zap.Error(ie.ErrorObj))
		}
	case socketmode.EventTypeErrorWriteFailed:
		if we, ok := ev.Data.(*socketmode.ErrorWriteFailed); ok {
			b.log.Warn("socket mode write failed", zap.Error(we.Cause))
		}
	case socketmode.EventTypeErrorBadMessage:
		// Malformed or unknown envelopes: log the cause (never the frame,
		// it may hold message text), and ack them if they have an ID, so
		// Slack does not redeliver what will never parse.
		b.m.events.WithLabelValues("malformed").Inc()
		if bad, ok := ev.Data.(*socketmode.ErrorBadMessage); ok {
			b.log.Warn("unreadable envelope", zap.Error(bad.Cause))
			if id := envelopeID(bad.Message); id != "" {
				b.ack(ctx, smc, id)
			}
		}
	case socketmode.EventTypeHello:
		b.log.Debug("socket mode hello")
	case socketmode.EventTypeEventsAPI, socketmode.EventTypeInteractive, socketmode.EventTypeSlashCommand:
		start := time.Now()
		if ev.Request != nil && ev.Request.EnvelopeID != "" {
			b.ack(ctx, smc, ev.Request.EnvelopeID)
		}
		b.m.ackLatency.Observe(time.Since(start).Seconds())
		kind, key := route(ev)
		b.m.events.WithLabelValues(kind).Inc()
		select {
		case queues[shard(key, len(queues))] <- job{ev: ev, kind: kind, key: key, received: start}:
		case <-ctx.Done():
		}
	default:
		if ev.Request != nil && ev.Request.EnvelopeID != "" {
			b.ack(ctx, smc, ev.Request.EnvelopeID)
		}
		b.log.Debug("socket mode event ignored", zap.String("type", string(ev.Type)))
	}
}

func (b *Bot) ack(ctx context.Context, smc *socketmode.Client, envelopeID string) {
	if err := smc.AckCtx(ctx, envelopeID, nil); err != nil {
		b.log.Warn("ack failed", zap.String("envelope_id", envelopeID), zap.Error(err))
	}
}

// route names an event's kind and the key its worker is chosen by: its
// channel, so one channel's events are handled in order.
func route(ev socketmode.Event) (kind, key string) {
	switch d := ev.Data.(type) {
	case slackevents.EventsAPIEvent:
		switch in := d.InnerEvent.Data.(type) {
		case *slackevents.MessageEvent:
			return "message", in.Channel
		case *slackevents.MemberJoinedChannelEvent:
			return "member_joined_channel", in.Channel
		case *slackevents.AppHomeOpenedEvent:
			return "app_home_opened", in.User
		}
		if d.InnerEvent.Type != "" {
			return d.InnerEvent.Type, ""
		}
		return d.Type, ""
	case slack.InteractionCallback:
		return string(d.Type), d.Channel.ID
	case slack.SlashCommand:
		return "slash_command", d.ChannelID
	}
	return string(ev.Type), ""
}

func shard(key string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(n))
}

// handle runs on a worker.
func (b *Bot) handle(ctx context.Context, j job) {
	envelope := ""
	if j.ev.Request != nil {
		envelope = j.ev.Request.EnvelopeID
	}
	switch d := j.ev.Data.(type) {
	case slackevents.EventsAPIEvent:
		// Settings, snoozes and records belong to the bot's own workspace
		// (auth.test), as for /nudge: in a Slack Connect channel another
		// workspace created, the envelope's team_id is that workspace's.
		team, eventID := b.self.TeamID, ""
		if cb, ok := d.Data.(*slackevents.EventsAPICallbackEvent); ok {
			eventID = cb.EventID
		}
		if team == "" {
			team = d.TeamID
		}
		h := Handled{EnvelopeID: envelope, EventID: eventID, Kind: j.kind}
		switch in := d.InnerEvent.Data.(type) {
		case *slackevents.MessageEvent:
			b.onMessage(ctx, j, team, h, in)
		case *slackevents.MemberJoinedChannelEvent:
			b.onJoined(ctx, h, in)
		case *slackevents.AppHomeOpenedEvent:
			h.User = in.User
			b.handleAppHome(ctx, team, h, in) // reports h itself, once published
		default:
			h.Outcome = "skipped:unhandled"
			b.done(h)
		}
	case slack.InteractionCallback:
		b.onInteraction(ctx, Handled{EnvelopeID: envelope, Kind: j.kind, Channel: d.Channel.ID, User: d.User.ID}, d)
	case slack.SlashCommand:
		// Reports itself once the reply is posted.
		b.handleSlash(ctx, Handled{EnvelopeID: envelope, Kind: j.kind, Channel: d.ChannelID, User: d.UserID}, d)
	default:
		b.done(Handled{EnvelopeID: envelope, Kind: j.kind, Outcome: "skipped:unhandled"})
	}
}

// done reports a handled event to the Observe hook.
func (b *Bot) done(h Handled) {
	if b.observe != nil {
		b.observe(h)
	}
}

// goPost runs post off the worker, bounded by the posts semaphore, so a
// slow or rate-limited Slack call holds up no other event.
func (b *Bot) goPost(ctx context.Context, post func(ctx context.Context)) {
	select {
	case b.posts <- struct{}{}:
	case <-ctx.Done():
		post(ctx) // runs, and fails, at once on the ended context
		return
	}
	b.postWG.Go(func() {
		defer func() { <-b.posts }()
		post(ctx)
	})
}

// random returns the injected random float under a lock, as math/rand/v2's
// top-level functions are safe but an injected source may not be.
func (b *Bot) random() float64 {
	b.randMu.Lock()
	defer b.randMu.Unlock()
	return b.rand()
}
