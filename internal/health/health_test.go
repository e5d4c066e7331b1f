package health

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// start runs a Server for opts on a free local port until the test ends,
// and checks that it then shuts down cleanly. It returns the base URL and
// a func that stops the server and returns Run's error.
func start(t *testing.T, opts Options) (string, func() error) {
	base, stop, _ := startServer(t, opts)
	return base, stop
}

func startServer(t *testing.T, opts Options) (string, func() error, *Server) {
	t.Helper()
	opts.Addr = "127.0.0.1:0"
	s := New(opts, zaptest.NewLogger(t))
	if err := s.Listen(); err != nil {
		t.Fatalf("Listen() = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var (
		once sync.Once
		err  error
	)
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				err = errors.New("Run did not return 10s after its context ended")
			}
		})
		return err
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Run() = %v after cancel, want nil", err)
		}
	})
	return "http://" + s.Addr(), stop, s
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

func TestHealthz(t *testing.T) {
	base, _ := start(t, Options{Ready: func(context.Context) error { return errors.New("store down") }})
	// Alive even when not ready.
	code, body := get(t, base+"/healthz")
	if code != http.StatusOK || body != "ok\n" {
		t.Errorf("GET /healthz = %d %q, want 200 %q", code, body, "ok\n")
	}
	resp, err := http.Post(base+"/healthz", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz = %d, want 405", resp.StatusCode)
	}
	if code, _ := get(t, base+"/nosuch"); code != http.StatusNotFound {
		t.Errorf("GET /nosuch = %d, want 404", code)
	}
}

func TestReadyz(t *testing.T) {
	var (
		mu       sync.Mutex
		notReady error
	)
	set := func(err error) { mu.Lock(); notReady = err; mu.Unlock() }
	ready := func(context.Context) error { mu.Lock(); defer mu.Unlock(); return notReady }
	reg := prometheus.NewRegistry()
	base, _ := start(t, Options{Ready: ready, Registerer: reg, Gatherer: reg})

	tests := []struct {
		give     error
		wantCode int
		wantBody string
	}{
		{nil, 200, "ok\n"},
		{errors.New("socket mode: not connected"), 503, "not ready: socket mode: not connected\n"},
		{errors.New("store: ping: connection refused"), 503, "not ready: store: ping: connection refused\n"},
		{nil, 200, "ok\n"},
	}
	for _, tt := range tests {
		set(tt.give)
		code, body := get(t, base+"/readyz")
		if code != tt.wantCode || body != tt.wantBody {
			t.Errorf("GET /readyz with Ready = %v: %d %q, want %d %q", tt.give, code, body, tt.wantCode, tt.wantBody)
		}
	}
	_, metrics := get(t, base+"/metrics")
	for _, want := range []string{
		`nudgebot_health_ready_checks_total{result="ready"} 2`,
		`nudgebot_health_ready_checks_total{result="not_ready"} 2`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("GET /metrics lacks %q:\n%s", want, metrics)
		}
	}
}

func TestReadyzNilReady(t *testing.T) {
	base, _ := start(t, Options{})
	if code, body := get(t, base+"/readyz"); code != 200 || body != "ok\n" {
		t.Errorf("GET /readyz with no Ready = %d %q, want 200 ok", code, body)
	}
}

func TestReadyzTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	tests := []struct {
		name  string
		ready func(ctx context.Context) error
	}{
		{"honours ctx", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }},
		{"ignores ctx", func(context.Context) error { <-release; return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, _ := start(t, Options{Ready: tt.ready, ReadyTimeout: 50 * time.Millisecond})
			begin := time.Now()
			code, body := get(t, base+"/readyz")
			if code != 503 || body != "not ready: readiness check took longer than 50ms\n" {
				t.Errorf("GET /readyz with a stuck check = %d %q, want 503 and the timeout", code, body)
			}
			if took := time.Since(begin); took > 5*time.Second {
				t.Errorf("GET /readyz with a stuck check took %v, want about the 50ms timeout", took)
			}
		})
	}
}

func TestReadyzRedacts(t *testing.T) {
	tests := []struct {
		give     string
		want     string
		wantGone string
	}{
		{"auth.test: invalid_auth for xoxb-1234-5678-abcdEFGH", "for [redacted]", "xoxb-1234"},
		{"apps.connections.open with xapp-1-A0-123-abc: timeout", "with [redacted]: timeout", "xapp-1"},
		{"postgres: dial postgres://bot:s3cr3t@db:5432/nudge: refused", "postgres://bot:[redacted]@db:5432/nudge", "s3cr3t"},
		{"connect host=db user=bot password=hunter2 dbname=x", "password=[redacted] dbname=x", "hunter2"},
		{"two\nlines\tand  spaces", "two lines and spaces", "\n"},
	}
	for _, tt := range tests {
		base, _ := start(t, Options{Ready: func(context.Context) error { return errors.New(tt.give) }})
		code, body := get(t, base+"/readyz")
		body = strings.TrimSuffix(body, "\n")
		if code != 503 || !strings.Contains(body, tt.want) || strings.Contains(body, tt.wantGone) {
			t.Errorf("GET /readyz with Ready error %q = %d %q, want 503 with %q and without %q", tt.give, code, body, tt.want, tt.wantGone)
		}
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	events := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "nudgebot_events_received_total",
		Help: "Events received.",
	}, []string{"type"})
	reg.MustRegister(events)
	events.WithLabelValues("message").Add(3)
	events.WithLabelValues("member_joined_channel").Inc()

	base, _ := start(t, Options{Gatherer: reg})
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	body := string(b)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics = %d, want 200", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("GET /metrics Content-Type = %q, want Prometheus text", ct)
	}
	for _, want := range []string{
		"# TYPE nudgebot_events_received_total counter",
		`nudgebot_events_received_total{type="message"} 3`,
		`nudgebot_events_received_total{type="member_joined_channel"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /metrics lacks %q:\n%s", want, body)
		}
	}
	// Only the injected registry is served: no global Go runtime metrics.
	if strings.Contains(body, "go_goroutines") {
		t.Errorf("GET /metrics serves the global registry too:\n%s", body)
	}
}

func TestShutdown(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	ready := func(context.Context) error {
		close(entered)
		<-release
		return nil
	}
	base, stop, s := startServer(t, Options{Ready: ready, ReadyTimeout: 10 * time.Second})
	shuttingDown := make(chan struct{})
	s.srv.RegisterOnShutdown(func() { close(shuttingDown) })

	// A probe in flight when the context ends is answered before Run
	// returns.
	type answer struct {
		code int
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			got <- answer{err: err}
			return
		}
		resp.Body.Close()
		got <- answer{code: resp.StatusCode}
	}()
	<-entered
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	<-shuttingDown
	close(release)
	if a := <-got; a.err != nil || a.code != 200 {
		t.Errorf("in-flight GET /readyz during shutdown = %d, %v; want 200", a.code, a.err)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Run() = %v after cancel, want nil", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("GET /healthz after shutdown succeeded, want the connection refused")
	}
}

func TestShutdownTimeout(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	ready := func(context.Context) error { close(entered); <-release; return nil }
	// The stuck probe's handler outlives the test (it logs "not ready"
	// once shutdown cuts it off), so it must not log to t.
	s := New(Options{Addr: "127.0.0.1:0", Ready: ready, ReadyTimeout: time.Minute, ShutdownTimeout: 50 * time.Millisecond}, zap.NewNop())
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	go func() {
		if resp, err := http.Get("http://" + s.Addr() + "/readyz"); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Run() with a request stuck past ShutdownTimeout = %v, want a deadline error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after ShutdownTimeout")
	}
}

func TestRunPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s := New(Options{Addr: ln.Addr().String()}, zaptest.NewLogger(t))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = s.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Errorf("Run() on a taken port = %v, want the listen error naming %s", err, ln.Addr())
	}
	if ctx.Err() != nil {
		t.Error("Run() on a taken port waited for its context, want it to return at once")
	}
	if s.Addr() != "" {
		t.Errorf("Addr() = %q after a failed listen, want \"\"", s.Addr())
	}
}

func TestServerTimeouts(t *testing.T) {
	s := New(Options{}, zaptest.NewLogger(t))
	if s.srv.ReadHeaderTimeout <= 0 || s.srv.ReadHeaderTimeout > 10*time.Second {
		t.Errorf("ReadHeaderTimeout = %v, want a few seconds (slowloris)", s.srv.ReadHeaderTimeout)
	}
	if s.opts.ReadyTimeout != DefaultReadyTimeout || s.opts.ShutdownTimeout != DefaultShutdownTimeout {
		t.Errorf("defaults = %v, %v; want %v, %v", s.opts.ReadyTimeout, s.opts.ShutdownTimeout, DefaultReadyTimeout, DefaultShutdownTimeout)
	}
}
