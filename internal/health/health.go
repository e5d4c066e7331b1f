// Package health serves the bot's /healthz, /readyz and /metrics over
// HTTP, for Kubernetes probes and Prometheus.
//
// /healthz answers 200 while the process runs. /readyz answers 200 only
// when the Ready check returns nil within ReadyTimeout, and 503 with the
// reason otherwise. /metrics serves the injected Gatherer in the
// Prometheus text format.
package health

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

// Defaults for the zero Options fields.
const (
	DefaultReadyTimeout    = time.Second
	DefaultShutdownTimeout = 5 * time.Second
)

// Options configure a Server.
type Options struct {
	// Addr is the address to listen on, like ":8080". "127.0.0.1:0" picks
	// a free port; Addr() then tells which.
	Addr string
	// Gatherer is what /metrics serves, usually the *prometheus.Registry
	// every package registered its metrics on. Nil serves no metrics.
	Gatherer prometheus.Gatherer
	// Registerer, when set, receives the server's own metrics: readiness
	// checks by result, and promhttp's scrape counters.
	Registerer prometheus.Registerer
	// Ready reports whether the bot can do its work (the Socket Mode
	// connection is up and the store answers). It gets a context that ends
	// after ReadyTimeout and should honour it. Nil means always ready.
	Ready func(ctx context.Context) error
	// ReadyTimeout bounds one readiness check; 0 means DefaultReadyTimeout.
	ReadyTimeout time.Duration
	// ShutdownTimeout bounds the drain of in-flight requests when Run's
	// context ends; 0 means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
}

// Server is the health and metrics HTTP server. Run it once.
type Server struct {
	opts    Options
	log     *zap.Logger
	srv     *http.Server
	metrics *metrics

	mu sync.Mutex
	ln net.Listener

	ready atomic.Int32 // the last /readyz verdict: 0 unknown, 1 ready, 2 not ready
}

// New returns a Server for opts. It does not listen yet: see Listen and
// Run.
func New(opts Options, log *zap.Logger) *Server {
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = DefaultReadyTimeout
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if opts.Gatherer == nil {
		opts.Gatherer = prometheus.NewRegistry()
	}
	log = log.Named("health")
	s := &Server{opts: opts, log: log, metrics: newMetrics(opts.Registerer)}

	var metricsHandler http.Handler = promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{
		ErrorLog:      zap.NewStdLog(log),
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      opts.Registerer,
	})
	if opts.Registerer != nil {
		metricsHandler = promhttp.InstrumentMetricHandler(opts.Registerer, metricsHandler)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", metricsHandler)

	s.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          zap.NewStdLog(log),
	}
	return s
}

// Listen binds Options.Addr. Run calls it when it has not been called, so
// most callers need only Run; tests call Listen first to learn Addr.
// Calling it again is a no-op.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("health: listen: %w", err)
	}
	s.ln = ln
	return nil
}

// Addr returns the address the server listens on ("127.0.0.1:41234"), or
// "" before Listen.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Run listens (unless Listen already did) and serves until ctx ends, then
// shuts down, letting in-flight requests finish within ShutdownTimeout.
// It returns nil after a clean shutdown, and the error when the address
// cannot be bound or serving fails.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Listen(); err != nil {
		return err
	}
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()
	s.log.Info("health server listening", zap.String("addr", ln.Addr().String()))

	served := make(chan error, 1)
	go func() { served <- s.srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("health: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.ShutdownTimeout)
	defer cancel()
	err := s.srv.Shutdown(sctx)
	if err != nil {
		// Requests still running past the timeout are cut off.
		s.srv.Close()
		err = fmt.Errorf("health: shutdown: %w", err)
	}
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = fmt.Errorf("health: serve: %w", serr)
	}
	return err
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, "ok")
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	reason, result := s.check(r.Context())
	s.metrics.readyChecks.WithLabelValues(result).Inc()
	if reason == "" {
		s.transition(1, "")
		fmt.Fprintln(w, "ok")
		return
	}
	s.transition(2, reason)
	w.WriteHeader(http.StatusServiceUnavailable)
	fmt.Fprintln(w, "not ready: "+reason)
}

// check runs Ready under ReadyTimeout. It returns "" when ready, else the
// redacted reason, and the result label for metrics.
func (s *Server) check(ctx context.Context) (reason, result string) {
	if s.opts.Ready == nil {
		return "", "ready"
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.ReadyTimeout)
	defer cancel()
	// A check that ignores ctx must not hold the probe past the timeout;
	// its goroutine finishes on its own and its answer is dropped.
	done := make(chan error, 1)
	go func() { done <- s.opts.Ready(ctx) }()
	select {
	case err := <-done:
		if err == nil {
			return "", "ready"
		}
		return redact(err.Error()), "not_ready"
	case <-ctx.Done():
		return fmt.Sprintf("readiness check took longer than %v", s.opts.ReadyTimeout), "timeout"
	}
}

// transition logs when readiness changes, not on every probe.
func (s *Server) transition(state int32, reason string) {
	if s.ready.Swap(state) == state {
		return
	}
	if state == 1 {
		s.log.Info("ready")
	} else {
		s.log.Warn("not ready", zap.String("reason", reason))
	}
}

var (
	// Slack tokens: xoxb-, xoxp-, xapp-, ... .
	tokenRE = regexp.MustCompile(`\b(xox[a-z]|xapp)-[A-Za-z0-9-]+`)
	// The password in a URL's userinfo, such as a PostgreSQL DSN.
	passwordRE = regexp.MustCompile(`(://[^:/@\s]*:)[^@\s]*@`)
	// password=... in a key/value DSN.
	kvPasswordRE = regexp.MustCompile(`(?i)(password\s*=\s*)('[^']*'|\S+)`)
)

// redact keeps secrets that an error might carry out of /readyz and the
// logs, and keeps the reason to one short line.
func redact(s string) string {
	s = tokenRE.ReplaceAllString(s, "[redacted]")
	s = passwordRE.ReplaceAllString(s, "${1}[redacted]@")
	s = kvPasswordRE.ReplaceAllString(s, "${1}[redacted]")
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		s = "not ready"
	}
	if len(s) > 300 {
		s = strings.ToValidUTF8(s[:300], "") + "…"
	}
	return s
}
