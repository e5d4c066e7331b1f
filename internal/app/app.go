// Package app wires nudgebot together: the configuration, the store, the
// rules, the Slack bot, the health server and the pruning loop. Main is
// the whole program after the environment is read; cmd/nudgebot, the
// demo and the end-to-end tests all go through it.
package app

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/nudgebot/nudgebot/internal/health"
	"github.com/nudgebot/nudgebot/internal/score"
	"github.com/nudgebot/nudgebot/internal/slackbot"
	"github.com/nudgebot/nudgebot/internal/store"
	"github.com/nudgebot/nudgebot/internal/store/postgres"
	"github.com/nudgebot/nudgebot/internal/store/sqlite"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
)

const (
	// pruneEvery is how often old records are deleted.
	pruneEvery = time.Hour
	// keepRecords is how long nudge records, feedback, cooldown marks and
	// scored counts are kept.
	keepRecords = 90 * 24 * time.Hour
)

// Options are what tests and the demo may change; the zero value is
// production.
type Options struct {
	// Registry receives every metric and is what /metrics serves
	// (default: a new registry with the Go and process collectors).
	Registry *prometheus.Registry
	// Now and Rand are passed to the bot (see slackbot.Options).
	Now  func() time.Time
	Rand func() float64
	// Observe is called when the bot has dealt with each event.
	Observe func(slackbot.Handled)
	// SocketOptions are passed to socketmode.New.
	SocketOptions []socketmode.Option
	// Workers is the bot's worker count (default: slackbot's).
	Workers int
	// DrainTimeout bounds the wait for in-flight work at shutdown.
	DrainTimeout time.Duration
	// Version goes on the "starting" log line.
	Version string
}

// App is nudgebot, assembled. New it, Run it once, Close it.
type App struct {
	log    *zap.Logger
	now    func() time.Time
	store  store.Store
	bot    *slackbot.Bot
	health *health.Server

	closeOnce sync.Once
	closeErr  error
}

// Main runs nudgebot until ctx ends: New, Run, Close.
func Main(ctx context.Context, cfg Config, log *zap.Logger, opts Options) error {
	a, err := New(ctx, cfg, log, opts)
	if err != nil {
		return err
	}
	err = a.Run(ctx)
	if cerr := a.Close(); err == nil {
		err = cerr
	}
	return err
}

// New opens the store, loads the rules, binds the health server's
// address and checks the bot token with auth.test. It connects nothing
// else: Run does.
func New(ctx context.Context, cfg Config, log *zap.Logger, opts Options) (_ *App, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	reg := opts.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	rules, err := loadScorer(cfg)
	if err != nil {
		return nil, err
	}
	// Logged once the configuration, rules and model are known good (a
	// bad one is a one-line error before this), and before connecting.
	log.Info("starting", zap.String("version", opts.Version), zap.String("api_url", cfg.APIURL),
		zap.String("http_addr", cfg.HTTPAddr), zap.Float64("threshold", cfg.Threshold),
		zap.Duration("cooldown", cfg.Cooldown), zap.Int("managers", len(cfg.Managers)))
	st, err := openStore(ctx, cfg.Store)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			st.Close()
		}
	}()

	api := slack.New(cfg.BotToken.Reveal(),
		slack.OptionAppLevelToken(cfg.AppToken.Reveal()),
		slack.OptionAPIURL(cfg.APIURL),
		slack.OptionHTTPClient(&http.Client{Timeout: 30 * time.Second}))
	bot, err := slackbot.New(ctx, slackbot.Options{
		API:           api,
		Store:         st,
		Rules:         rules,
		Log:           log.Named("slackbot"),
		Registerer:    reg,
		Defaults:      slackbot.Defaults{Threshold: cfg.Threshold, Cooldown: cfg.Cooldown},
		Managers:      cfg.Managers,
		Now:           now,
		Rand:          opts.Rand,
		Workers:       opts.Workers,
		DrainTimeout:  opts.DrainTimeout,
		SocketOptions: opts.SocketOptions,
		Observe:       opts.Observe,
		// Replies may go where the Web API is (a simulator, a proxy).
		ResponseOrigins: []string{cfg.APIURL},
	})
	if err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	hs := health.New(health.Options{Addr: cfg.HTTPAddr, Gatherer: reg, Registerer: reg, Ready: bot.Ready}, log)
	if err := hs.Listen(); err != nil {
		return nil, fmt.Errorf("app: NUDGE_HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	return &App{log: log, now: now, store: st, bot: bot, health: hs}, nil
}

// RulesFile returns the built-in rulebook with the rules file at path
// applied on top, or the built-in one alone when path is "". Errors name
// the file.
func RulesFile(path string) (*score.Rules, error) {
	if path == "" {
		return score.DefaultRules(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return score.LoadRules(f, path)
}

// ModelFile returns rules blending with the model file at path (from
// nudgebot train): "" keeps the built-in model, parsed now rather than on
// the first message, and "off" scores by the rules alone. Errors name the
// file.
func ModelFile(rules *score.Rules, path string) (*score.Rules, error) {
	switch path {
	case "":
		rules.Model()
		return rules, nil
	case "off":
		return rules.WithModel(nil), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := score.LoadModel(f, path)
	if err != nil {
		return nil, err
	}
	return rules.WithModel(m), nil
}

// loadScorer is RulesFile and ModelFile for NUDGE_RULES_FILE and
// NUDGE_MODEL_FILE: a file that cannot be read or parsed is a
// *ConfigError, like any other bad variable.
func loadScorer(cfg Config) (*score.Rules, error) {
	rules, err := RulesFile(cfg.RulesFile)
	if err != nil {
		return nil, &ConfigError{Var: "NUDGE_RULES_FILE", Msg: oneLine(err.Error())}
	}
	if rules, err = ModelFile(rules, cfg.ModelFile); err != nil {
		return nil, &ConfigError{Var: "NUDGE_MODEL_FILE", Msg: oneLine(err.Error())}
	}
	return rules, nil
}

// oneLine keeps the first line of s.
func oneLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// openStore opens NUDGE_STORE: an SQLite path, or a PostgreSQL URL.
func openStore(ctx context.Context, dsn string) (store.Store, error) {
	if isPostgres(dsn) {
		st, err := postgres.Open(ctx, dsn)
		if err != nil {
			// The driver's errors name the host, never the password.
			return nil, fmt.Errorf("app: NUDGE_STORE: %w", err)
		}
		return st, nil
	}
	st, err := sqlite.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("app: NUDGE_STORE: %w", err)
	}
	return st, nil
}

// Run serves until ctx ends or a part fails for good: the Socket Mode bot,
// the health server and the pruning loop. After ctx ends it lets in-flight
// work finish (the bot's drain timeout, the health server's shutdown) and
// returns nil.
func (a *App) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return a.health.Run(gctx) })
	g.Go(func() error { return a.bot.Run(gctx) })
	g.Go(func() error {
		a.pruneLoop(gctx)
		return nil
	})
	return g.Wait()
}

// pruneLoop deletes expired event IDs and old records now and then hourly.
func (a *App) pruneLoop(ctx context.Context) {
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		now := a.now()
		if err := a.store.Prune(ctx, now, now.Add(-keepRecords)); err != nil && ctx.Err() == nil {
			a.log.Warn("prune failed", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close closes the store. It is safe to call more than once.
func (a *App) Close() error {
	a.closeOnce.Do(func() { a.closeErr = a.store.Close() })
	return a.closeErr
}

// HealthAddr is the health server's bound address ("127.0.0.1:41234").
func (a *App) HealthAddr() string { return a.health.Addr() }

// Bot is the Slack bot, for tests.
func (a *App) Bot() *slackbot.Bot { return a.bot }

// Store is the open store, for tests and the demo.
func (a *App) Store() store.Store { return a.store }
