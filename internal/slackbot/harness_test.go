package slackbot_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nudgebot/nudgebot/internal/score"
	"github.com/nudgebot/nudgebot/internal/slackbot"
	"github.com/nudgebot/nudgebot/internal/slacksim"
	"github.com/nudgebot/nudgebot/internal/store"
	"github.com/nudgebot/nudgebot/internal/store/sqlite"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/slack-go/slack"
	"go.uber.org/zap/zaptest"
)

// The cast of the tests.
const (
	agent     = "UAGENT"
	agent2    = "UAGENT2"
	customer  = "UCUST"    // Slack Connect: another workspace
	stranger  = "USTRANGE" // external, seen through a shared channel
	guest     = "UGUEST"   // a guest of our own workspace
	otherBot  = "UOTHERBOT"
	support   = "CSUPPORT"
	support2  = "CSUPPORT2"
	argue     = "As I already said, you need to read the docs before asking."
	polite    = "Thanks for your patience, let me check that for you right now."
	wait      = 10 * time.Second
	otherTeam = "T0CUSTOMER"
)

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// observer waits on a Recorder, failing the test at the deadline.
type observer struct{ *slackbot.Recorder }

func newObserver() *observer { return &observer{slackbot.NewRecorder()} }

func (o *observer) observe(h slackbot.Handled) { o.Observe(h) }

// wait returns the first n reports for key (an event or envelope ID).
func (o *observer) wait(t *testing.T, key string, n int) []slackbot.Handled {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	reps, err := o.Wait(ctx, key, n)
	if err != nil {
		t.Fatalf("%v: %+v", err, reps)
	}
	out := make([]slackbot.Handled, len(reps))
	for i, r := range reps {
		out[i] = r.Handled
	}
	return out
}

// one waits for the one report of key.
func (o *observer) one(t *testing.T, key string) slackbot.Handled {
	t.Helper()
	return o.wait(t, key, 1)[0]
}

type harness struct {
	t     *testing.T
	sim   *slacksim.Sim
	store store.Store
	bot   *slackbot.Bot
	reg   *prometheus.Registry
	obs   *observer
	clock *clock
	stop  context.CancelFunc
	done  chan error
}

// start runs a bot against a fresh simulator and SQLite store; edit
// adjusts the bot's options.
func start(t *testing.T, edit ...func(*slackbot.Options)) *harness {
	t.Helper()
	sim := slacksim.Start(t, slacksim.Options{})
	sim.AddUser(slacksim.User{ID: agent, Name: "alex"})
	sim.AddUser(slacksim.User{ID: agent2, Name: "sam"})
	sim.AddUser(slacksim.User{ID: customer, TeamID: otherTeam, Name: "casey"})
	sim.AddUser(slacksim.User{ID: stranger, IsStranger: true, Name: "stranger"})
	sim.AddUser(slacksim.User{ID: guest, IsRestricted: true, Name: "guest"})
	sim.AddUser(slacksim.User{ID: otherBot, IsBot: true, Name: "otherbot"})
	members := []string{sim.BotUserID, agent, agent2, customer, stranger, guest, otherBot}
	sim.AddChannel(slacksim.Channel{ID: support, Name: "support", IsExtShared: true, Members: members})
	sim.AddChannel(slacksim.Channel{ID: support2, Name: "support-2", Members: members})
	sim.AddChannel(slacksim.Channel{ID: "DAGENT", IsIM: true, Members: []string{sim.BotUserID, agent}})

	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "nudgebot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })

	h := &harness{t: t, sim: sim, store: st, reg: prometheus.NewRegistry(), obs: newObserver(),
		clock: &clock{now: time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)}, done: make(chan error, 1)}
	opts := slackbot.Options{
		API:        slack.New(sim.BotToken, slack.OptionAppLevelToken(sim.AppToken), slack.OptionAPIURL(sim.APIURL())),
		Store:      st,
		Rules:      score.DefaultRules(),
		Log:        zaptest.NewLogger(t),
		Registerer: h.reg,
		Defaults:   slackbot.Defaults{Threshold: 0.6, Cooldown: 10 * time.Minute},
		Now:        h.clock.Now,
		Observe:    h.obs.observe,
		// The sim's response_urls are on its own origin.
		ResponseOrigins: []string{sim.URL()},
	}
	for _, e := range edit {
		e(&opts)
	}
	bot, err := slackbot.New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	h.bot = bot
	runCtx, stop := context.WithCancel(ctx)
	h.stop = stop
	go func() { h.done <- bot.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		select {
		case <-h.done:
		case <-time.After(wait):
			t.Error("Run did not return after its context ended")
		}
	})
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := sim.WaitConnected(wctx, 1); err != nil {
		t.Fatalf("bot did not connect: %v", err)
	}
	return h
}

func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	h.t.Cleanup(cancel)
	return ctx
}

// post delivers a message and waits until the bot has dealt with it.
func (h *harness) post(m slacksim.Msg) (slacksim.Delivery, slackbot.Handled) {
	h.t.Helper()
	d := h.sim.Post(m)
	return d, h.obs.one(h.t, d.EventID)
}

// set changes a setting as a manager would.
func (h *harness) set(channel, key, value string) {
	h.t.Helper()
	_, err := h.store.SetSetting(context.Background(), store.Change{
		Team: h.sim.TeamID, Channel: channel, Key: key, New: value, By: "UMANAGER", At: h.clock.Now()})
	if err != nil {
		h.t.Fatal(err)
	}
}

// ephemerals returns the accepted chat.postEphemeral calls to user.
func (h *harness) ephemeralsTo(user string) []slacksim.Ephemeral {
	var out []slacksim.Ephemeral
	for _, e := range h.sim.Ephemerals() {
		if e.User == user {
			out = append(out, e)
		}
	}
	return out
}

// metric returns the value of a counter or gauge (or a histogram's count)
// with the given labels.
// waitMetric waits until the series reaches at least n, and fails the
// test with msg if it does not in time.
func (h *harness) waitMetric(name string, labels map[string]string, n float64, msg string) {
	h.t.Helper()
	deadline := time.Now().Add(wait)
	for h.metric(name, labels) < n {
		if time.Now().After(deadline) {
			h.t.Fatal(msg)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (h *harness) metric(name string, labels map[string]string) float64 {
	h.t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for k, v := range labels {
				if !hasLabel(m, k, v) {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return 0
}

func hasLabel(m *dto.Metric, k, v string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == k && l.GetValue() == v {
			return true
		}
	}
	return false
}
