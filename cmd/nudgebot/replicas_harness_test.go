package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nudgebot/nudgebot/internal/slacksim"
)

// The replica tests' shared text and timeouts.
const (
	argue  = "As I already said, you need to read the docs before asking."
	polite = "Thanks for your patience, let me check that for you right now."
	// replicaWait bounds each wait on a replica: start, a nudge, an exit.
	replicaWait = 20 * time.Second
)

// pgCount runs a count(*) query against dsn.
func pgCount(t testing.TB, dsn, query string, args ...any) int {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// logBuffer collects a child's stderr (JSON log lines) and wakes waiters
// on every write.
type logBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newLogBuffer() *logBuffer { return &logBuffer{changed: make(chan struct{})} }

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	close(l.changed)
	l.changed = make(chan struct{})
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// lines returns the decoded log lines whose "msg" is msg.
func (l *logBuffer) lines(msg string) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(l.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// waitLine waits for a log line with that msg and returns it.
func (l *logBuffer) waitLine(ctx context.Context, msg string) (map[string]any, error) {
	for {
		l.mu.Lock()
		ch := l.changed
		l.mu.Unlock()
		if ls := l.lines(msg); len(ls) > 0 {
			return ls[0], nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("no %q log line: %w", msg, ctx.Err())
		}
	}
}

// replica is one `nudgebot run` process: the test binary re-executed as
// nudgebot (see TestMain).
type replica struct {
	name   string
	cmd    *exec.Cmd
	logs   *logBuffer
	conn   int    // its Socket Mode connection's ID in the sim
	health string // its health server, host:port
	exited chan struct{}
	err    error // Wait's result, once exited is closed
}

// replicaEnv is the environment of a replica against sim and the store.
func replicaEnv(sim *slacksim.Sim, store string) map[string]string {
	return map[string]string{
		"SLACK_APP_TOKEN": sim.AppToken,
		"SLACK_BOT_TOKEN": sim.BotToken,
		"SLACK_API_URL":   sim.APIURL(),
		"NUDGE_STORE":     store,
		"NUDGE_HTTP_ADDR": "127.0.0.1:0",
		"NUDGE_COOLDOWN":  "0s",
		"NUDGE_LOG_LEVEL": "info",
	}
}

// startReplica starts a replica with env and waits until its Socket Mode
// connection is open and its health server listens. Replicas of one sim
// must be started one after the other, so each learns its connection.
// Cleanup kills it if the test has not stopped it, and shows its logs
// when the test failed.
func startReplica(t *testing.T, sim *slacksim.Sim, name string, env map[string]string) *replica {
	t.Helper()
	r := &replica{name: name, logs: newLogBuffer(), exited: make(chan struct{})}
	r.cmd = exec.Command(os.Args[0], "run")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SLACK_") && !strings.HasPrefix(kv, "NUDGE_") {
			r.cmd.Env = append(r.cmd.Env, kv)
		}
	}
	r.cmd.Env = append(r.cmd.Env, childEnv+"=1")
	for k, v := range env {
		r.cmd.Env = append(r.cmd.Env, k+"="+v)
	}
	r.cmd.Stdout = io.Discard
	r.cmd.Stderr = r.logs
	before := sim.ConnectionCount()
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("starting replica %s: %v", name, err)
	}
	go func() {
		r.err = r.cmd.Wait()
		close(r.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-r.exited:
		default:
			r.cmd.Process.Kill()
			<-r.exited
		}
		if t.Failed() {
			t.Logf("replica %s logs:\n%s", name, tail(r.logs.String(), 150))
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), replicaWait)
	defer cancel()
	go func() {
		select {
		case <-r.exited:
			cancel() // a replica that died at start fails the waits at once
		case <-ctx.Done():
		}
	}()
	if err := sim.WaitConnections(ctx, before+1); err != nil {
		t.Fatalf("replica %s did not connect: %v (exit: %v)", name, err, r.err)
	}
	conns := sim.Connections()
	r.conn = conns[len(conns)-1].ID
	line, err := r.logs.waitLine(ctx, "health server listening")
	if err != nil {
		t.Fatalf("replica %s: %v", name, err)
	}
	r.health, _ = line["addr"].(string)
	return r
}

// signal sends sig and waits for the process to end; it returns its exit
// code (-1 when killed by a signal).
func (r *replica) stop(t *testing.T, sig syscall.Signal) int {
	t.Helper()
	if err := r.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("signalling replica %s: %v", r.name, err)
	}
	return r.wait(t)
}

// wait waits for the process to end and returns its exit code.
func (r *replica) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-r.exited:
	case <-time.After(replicaWait):
		t.Fatalf("replica %s did not exit within %v", r.name, replicaWait)
	}
	return r.cmd.ProcessState.ExitCode()
}

// running reports whether the process has not exited.
func (r *replica) running() bool {
	select {
	case <-r.exited:
		return false
	default:
		return true
	}
}

// metric returns the value of one series on the replica's /metrics
// (series is the name with its labels, as Prometheus prints them), or 0
// when it is absent.
func (r *replica) metric(t testing.TB, series string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + r.health + "/metrics")
	if err != nil {
		t.Fatalf("replica %s /metrics: %v", r.name, err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("replica %s: %s = %q", r.name, series, v)
			}
			return f
		}
	}
	return 0
}

// readyz returns the status of the replica's /readyz.
func (r *replica) readyz(t testing.TB) int {
	t.Helper()
	resp, err := http.Get("http://" + r.health + "/readyz")
	if err != nil {
		t.Fatalf("replica %s /readyz: %v", r.name, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// eventually polls cond every 20 ms until it holds or d passes. It is for
// conditions outside the sim, which WaitFor cannot wake on: a replica's
// metrics, rows in the database.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", d, what)
		}
		<-tick.C
	}
}

// nudgesTo counts the accepted ephemerals per "channel/user".
func nudgesTo(sim *slacksim.Sim) map[string]int {
	out := map[string]int{}
	for _, e := range sim.Ephemerals() {
		out[e.Channel+"/"+e.User]++
	}
	return out
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
