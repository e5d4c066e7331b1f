package app_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nudgebot/nudgebot/internal/app"
	"github.com/nudgebot/nudgebot/internal/slackbot"
	"github.com/nudgebot/nudgebot/internal/slacksim"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"
)

const (
	agent    = "UAGENT"
	customer = "UCUST"
	support  = "CSUPPORT"
	wait     = 10 * time.Second
)

// observer waits on a Recorder, failing the test at the deadline.
type observer struct{ *slackbot.Recorder }

func (o *observer) wait(t testing.TB, eventID string) slackbot.Handled {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	reps, err := o.Wait(ctx, eventID, 1)
	if err != nil {
		t.Fatal(err)
	}
	return reps[0].Handled
}

type running struct {
	sim  *slacksim.Sim
	app  *app.App
	cfg  app.Config
	obs  *observer
	stop context.CancelFunc
	done chan error
}

func newSim(t testing.TB) *slacksim.Sim {
	sim := slacksim.Start(t, slacksim.Options{})
	sim.AddUser(slacksim.User{ID: agent, Name: "alex"})
	sim.AddUser(slacksim.User{ID: customer, TeamID: "T0CUSTOMER", Name: "casey"})
	sim.AddChannel(slacksim.Channel{ID: support, Name: "support", IsExtShared: true,
		Members: []string{sim.BotUserID, agent, customer}})
	return sim
}

func simConfig(t testing.TB, sim *slacksim.Sim) app.Config {
	return app.Config{
		AppToken:  app.Secret(sim.AppToken),
		BotToken:  app.Secret(sim.BotToken),
		APIURL:    sim.APIURL(),
		Store:     filepath.Join(t.TempDir(), "nudgebot.db"),
		HTTPAddr:  "127.0.0.1:0",
		Threshold: 0.6,
		Cooldown:  10 * time.Minute,
		LogLevel:  "info",
	}
}

// run starts the app against sim; it does not wait for the connection.
func run(t testing.TB, sim *slacksim.Sim, cfg app.Config, opts app.Options) *running {
	t.Helper()
	r := &running{sim: sim, cfg: cfg, obs: &observer{slackbot.NewRecorder()}, done: make(chan error, 1)}
	opts.Observe = r.obs.Observe
	a, err := app.New(context.Background(), cfg, zaptest.NewLogger(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	r.app = a
	ctx, stop := context.WithCancel(context.Background())
	r.stop = stop
	go func() { r.done <- a.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		select {
		case <-r.done:
		case <-time.After(wait):
			t.Error("Run did not return")
		}
		a.Close()
	})
	return r
}

func (r *running) connected(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := r.sim.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
}

func get(t testing.TB, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestReadyzAndMetrics(t *testing.T) {
	sim := newSim(t)
	// The first apps.connections.open is refused for a second, so the
	// bot is up but not connected.
	sim.RateLimit("apps.connections.open", 1, time.Second)
	reg := prometheus.NewRegistry()
	r := run(t, sim, simConfig(t, sim), app.Options{Registry: reg})
	base := "http://" + r.app.HealthAddr()

	if code, body := get(t, base+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz before connecting = %d %q, want 503", code, body)
	}
	if code, _ := get(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d, want 200", code)
	}
	r.connected(t)
	// Once a message is handled, the bot has seen its connection come up.
	d := sim.Post(slacksim.Msg{Channel: support, User: agent, Text: "As I already said, read the docs."})
	if h := r.obs.wait(t, d.EventID); h.Outcome != "sent" {
		t.Fatalf("message: %+v", h)
	}
	if code, body := get(t, base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz after connecting = %d %q, want 200", code, body)
	}
	_, metrics := get(t, base+"/metrics")
	for _, want := range []string{
		`nudgebot_events_received_total{type="message"} 1`,
		`nudgebot_messages_scored_total 1`,
		`nudgebot_nudges_total{family="repeat",outcome="sent"} 1`,
		`nudgebot_ack_latency_seconds_count 1`,
		`nudgebot_socket_connected 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(metrics, sim.BotToken) || strings.Contains(metrics, sim.AppToken) {
		t.Error("/metrics shows a token")
	}
}

// The message text reaches the store in no form: not in the database, not
// in its WAL or shared-memory files.
func TestStoreNeverHoldsText(t *testing.T) {
	sim := newSim(t)
	cfg := simConfig(t, sim)
	r := run(t, sim, cfg, app.Options{})
	r.connected(t)
	const unique = "zebra-quartz-17 as I already said, you must read the manual"
	const customerSaid = "kumquat-lantern-42 my MANAGER will hear about this!!!"
	for _, m := range []slacksim.Msg{
		{Channel: support, User: customer, Text: customerSaid},
		{Channel: support, User: agent, Text: unique},
		{Channel: support, User: customer, Text: customerSaid},
	} {
		d := sim.Post(m)
		r.obs.wait(t, d.EventID)
	}
	if n := len(sim.Ephemerals()); n != 1 {
		t.Fatalf("%d ephemerals, want 1", n)
	}
	check := func(when string) {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			b, err := os.ReadFile(cfg.Store + suffix)
			if os.IsNotExist(err) {
				continue
			} else if err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{"zebra-quartz-17", "kumquat-lantern-42", "read the manual"} {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("%s: %s%s holds %q", when, filepath.Base(cfg.Store), suffix, s)
				}
			}
		}
	}
	check("running")
	r.stop()
	if err := <-r.done; err != nil {
		t.Errorf("Run = %v", err)
	}
	r.done <- nil
	if err := r.app.Close(); err != nil {
		t.Fatal(err)
	}
	check("closed")
}

func TestShutdownClosesStore(t *testing.T) {
	sim := newSim(t)
	r := run(t, sim, simConfig(t, sim), app.Options{})
	r.connected(t)
	sim.RateLimit("chat.postEphemeral", 1, time.Second)
	sim.Post(slacksim.Msg{Channel: support, User: agent, Text: "As I already said, read the docs."})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := sim.WaitFor(ctx, func() bool { return len(sim.Calls("chat.postEphemeral")) > 0 }); err != nil {
		t.Fatal(err)
	}
	r.stop() // with the nudge waiting out its 429
	if err := <-r.done; err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	r.done <- nil
	if n := len(sim.Ephemerals()); n != 1 {
		t.Errorf("in-flight nudge: %d ephemerals, want 1", n)
	}
	if err := r.app.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.app.Store().Ping(context.Background()); err == nil {
		t.Error("store answers Ping after Close")
	}
}

func TestNewErrors(t *testing.T) {
	sim := newSim(t)
	tests := []struct {
		name string
		edit func(*app.Config)
		want string
	}{
		{"wrong bot token", func(c *app.Config) { c.BotToken = "xoxb-wrong" }, "invalid_auth"},
		{"postgres down", func(c *app.Config) { c.Store = "postgres://u:hunter2pw@127.0.0.1:1/db" }, "NUDGE_STORE"},
		{"rules file missing", func(c *app.Config) { c.RulesFile = "/nonexistent/rules" }, "NUDGE_RULES_FILE"},
		{"model file missing", func(c *app.Config) { c.ModelFile = "/nonexistent/model" }, "NUDGE_MODEL_FILE"},
		{"invalid config", func(c *app.Config) { c.Threshold = 2 }, "NUDGE_THRESHOLD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := simConfig(t, sim)
			tt.edit(&cfg)
			_, err := app.New(context.Background(), cfg, zaptest.NewLogger(t), app.Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error about %s", err, tt.want)
			}
			if err != nil && (strings.Contains(err.Error(), sim.BotToken) || strings.Contains(err.Error(), "xoxb-wrong") || strings.Contains(err.Error(), "hunter2pw")) {
				t.Errorf("error holds a token: %v", err)
			}
		})
	}
}
