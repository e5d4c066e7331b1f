package main

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nudgebot/nudgebot/internal/app"
	"github.com/nudgebot/nudgebot/internal/slacksim"
)

var runVars = []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "SLACK_API_URL", "NUDGE_STORE",
	"NUDGE_HTTP_ADDR", "NUDGE_MANAGERS", "NUDGE_THRESHOLD", "NUDGE_COOLDOWN", "NUDGE_LOG_LEVEL", "NUDGE_RULES_FILE", "NUDGE_MODEL_FILE"}

func setRunEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, k := range runVars {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

func TestRunConfigErrors(t *testing.T) {
	const app, bot = "xapp-1-A1-topsecret", "xoxb-1-topsecret"
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string
	}{
		{"no tokens", map[string]string{}, "SLACK_APP_TOKEN"},
		{"no bot token", map[string]string{"SLACK_APP_TOKEN": app}, "SLACK_BOT_TOKEN"},
		{"swapped tokens", map[string]string{"SLACK_APP_TOKEN": bot, "SLACK_BOT_TOKEN": app}, "SLACK_APP_TOKEN"},
		{"api url", map[string]string{"SLACK_APP_TOKEN": app, "SLACK_BOT_TOKEN": bot, "SLACK_API_URL": "http://x/api"}, "SLACK_API_URL"},
		{"threshold", map[string]string{"SLACK_APP_TOKEN": app, "SLACK_BOT_TOKEN": bot, "NUDGE_THRESHOLD": "1.5"}, "NUDGE_THRESHOLD"},
		{"cooldown", map[string]string{"SLACK_APP_TOKEN": app, "SLACK_BOT_TOKEN": bot, "NUDGE_COOLDOWN": "ten"}, "NUDGE_COOLDOWN"},
		{"log level", map[string]string{"SLACK_APP_TOKEN": app, "SLACK_BOT_TOKEN": bot, "NUDGE_LOG_LEVEL": "loud"}, "NUDGE_LOG_LEVEL"},
		{"http addr", map[string]string{"SLACK_APP_TOKEN": app, "SLACK_BOT_TOKEN": bot, "NUDGE_HTTP_ADDR": "nope"}, "NUDGE_HTTP_ADDR"},
		{"store", map[string]string{"SLACK_APP_TOKEN": app, "SLACK_BOT_TOKEN": bot, "NUDGE_STORE": " "}, "NUDGE_STORE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setRunEnv(t, tt.env)
			var stdout, stderr bytes.Buffer
			code := run([]string{"run"}, strings.NewReader(""), &stdout, &stderr)
			if code != exitUsage {
				t.Errorf("exit code %d, want %d", code, exitUsage)
			}
			msg := stderr.String()
			if strings.Count(msg, "\n") != 1 || !strings.Contains(msg, tt.wantVar) {
				t.Errorf("stderr = %q, want one line naming %s", msg, tt.wantVar)
			}
			if strings.Contains(msg, "topsecret") {
				t.Errorf("stderr shows a token: %q", msg)
			}
		})
	}
}

// runBot against the simulator: it connects, answers, and on a cancelled
// context stops with exit code 0; its logs hold neither token.
func TestRunBot(t *testing.T) {
	sim := slacksim.Start(t, slacksim.Options{})
	sim.AddUser(slacksim.User{ID: "UAGENT"})
	sim.AddChannel(slacksim.Channel{ID: "CSUP", Name: "support", Members: []string{sim.BotUserID, "UAGENT"}})
	cfg := app.Config{AppToken: app.Secret(sim.AppToken), BotToken: app.Secret(sim.BotToken), APIURL: sim.APIURL(),
		Store: filepath.Join(t.TempDir(), "n.db"), HTTPAddr: "127.0.0.1:0", Threshold: 0.6, Cooldown: time.Minute, LogLevel: "debug"}
	ctx, cancel := context.WithCancel(context.Background())
	var logs bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- runBot(ctx, cfg, &syncWriter{w: &logs}) }()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := sim.WaitConnected(wctx, 1); err != nil {
		t.Fatal(err)
	}
	sim.Post(slacksim.Msg{Channel: "CSUP", User: "UAGENT", Text: "As I already said, it works as designed."})
	if _, err := sim.WaitEphemerals(wctx, 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit code %d, want 0", code)
		}
	case <-wctx.Done():
		t.Fatal("runBot did not return")
	}
	out := logs.String()
	if strings.Contains(out, sim.BotToken) || strings.Contains(out, sim.AppToken) {
		t.Error("logs hold a token")
	}
	if !strings.Contains(out, `"msg":"nudge"`) || !strings.Contains(out, `"msg":"stopped"`) {
		t.Errorf("logs lack the nudge or the stop:\n%s", out)
	}
}

// A rules file that does not load is a configuration error too: one line
// naming NUDGE_RULES_FILE, exit code 2, before anything connects (the API
// URL here answers nothing).
func TestRunBadRulesFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "rules.txt")
	if err := os.WriteFile(bad, []byte("rule nonsense nosuchfamily 7\n  match (unclosed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{bad, filepath.Join(dir, "missing.txt")} {
		setRunEnv(t, map[string]string{"SLACK_APP_TOKEN": "xapp-1-A1-topsecret", "SLACK_BOT_TOKEN": "xoxb-1-topsecret",
			"SLACK_API_URL": "http://127.0.0.1:1/api/", "NUDGE_STORE": filepath.Join(dir, "n.db"),
			"NUDGE_HTTP_ADDR": "127.0.0.1:0", "NUDGE_RULES_FILE": path})
		var stdout, stderr bytes.Buffer
		code := run([]string{"run"}, strings.NewReader(""), &stdout, &stderr)
		if code != exitUsage {
			t.Errorf("%s: exit code %d, want %d", path, code, exitUsage)
		}
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "nudgebot: NUDGE_RULES_FILE: ") || strings.Contains(stderr.String(), "topsecret") {
			t.Errorf("%s: stderr = %q, want one line naming NUDGE_RULES_FILE and no token", path, stderr.String())
		}
	}
}

// So is a model file that does not load, and a malformed NUDGE_HTTP_ADDR
// or PostgreSQL URL: one line naming the variable, exit code 2.
func TestRunBadModelAndAddresses(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "model.txt")
	if err := os.WriteFile(bad, []byte("not a model\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{"SLACK_APP_TOKEN": "xapp-1-A1-topsecret", "SLACK_BOT_TOKEN": "xoxb-1-topsecret",
		"SLACK_API_URL": "http://127.0.0.1:1/api/", "NUDGE_STORE": filepath.Join(dir, "n.db"), "NUDGE_HTTP_ADDR": "127.0.0.1:0"}
	for _, tt := range []struct{ key, value string }{
		{"NUDGE_MODEL_FILE", bad},
		{"NUDGE_MODEL_FILE", filepath.Join(dir, "missing.txt")},
		{"NUDGE_HTTP_ADDR", ":99999"},
		{"NUDGE_STORE", "postgres://u:topsecret@127.0.0.1:5432/db?sslmode=bogus"},
	} {
		env := maps.Clone(base)
		env[tt.key] = tt.value
		setRunEnv(t, env)
		var stdout, stderr bytes.Buffer
		code := run([]string{"run"}, strings.NewReader(""), &stdout, &stderr)
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if code != exitUsage || len(lines) != 1 || !strings.HasPrefix(lines[0], "nudgebot: "+tt.key+": ") ||
			strings.Contains(stderr.String(), "topsecret") {
			t.Errorf("%s=%s: exit %d, stderr %q; want exit %d and one line naming %s, no secret",
				tt.key, tt.value, code, stderr.String(), exitUsage, tt.key)
		}
	}
}
