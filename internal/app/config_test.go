package app

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

const (
	testAppToken = "xapp-1-A1-secret-app-token"
	testBotToken = "xoxb-1-secret-bot-token"
)

// setEnv clears every variable, then sets env.
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, k := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "SLACK_API_URL", "NUDGE_STORE",
		"NUDGE_HTTP_ADDR", "NUDGE_MANAGERS", "NUDGE_THRESHOLD", "NUDGE_COOLDOWN", "NUDGE_LOG_LEVEL", "NUDGE_RULES_FILE", "NUDGE_MODEL_FILE"} {
		t.Setenv(k, "")
		if _, ok := env[k]; !ok {
			unsetenv(t, k)
		}
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

func TestLoadConfigDefaults(t *testing.T) {
	setEnv(t, map[string]string{"SLACK_APP_TOKEN": testAppToken, "SLACK_BOT_TOKEN": testBotToken,
		"NUDGE_MANAGERS": "U1, U2,,"})
	cfg, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	want := Config{AppToken: testAppToken, BotToken: testBotToken, APIURL: "https://slack.com/api/",
		Store: "nudgebot.db", HTTPAddr: ":8080", Managers: []string{"U1", "U2"}, Threshold: 0.6,
		Cooldown: 10 * time.Minute, LogLevel: "info"}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("LoadConfig() mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	ok := map[string]string{"SLACK_APP_TOKEN": testAppToken, "SLACK_BOT_TOKEN": testBotToken}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range ok {
			m[a] = b
		}
		if v == "<unset>" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name    string
		give    map[string]string
		wantVar string
	}{
		{"app token missing", with("SLACK_APP_TOKEN", "<unset>"), "SLACK_APP_TOKEN"},
		{"app token empty", with("SLACK_APP_TOKEN", ""), "SLACK_APP_TOKEN"},
		{"app token is a bot token", with("SLACK_APP_TOKEN", testBotToken), "SLACK_APP_TOKEN"},
		{"bot token missing", with("SLACK_BOT_TOKEN", "<unset>"), "SLACK_BOT_TOKEN"},
		{"bot token is a user token", with("SLACK_BOT_TOKEN", "xoxp-1-secret-user-token"), "SLACK_BOT_TOKEN"},
		{"api url without slash", with("SLACK_API_URL", "https://slack.com/api"), "SLACK_API_URL"},
		{"api url not a url", with("SLACK_API_URL", "slack.com/api/"), "SLACK_API_URL"},
		{"store empty", with("NUDGE_STORE", " "), "NUDGE_STORE"},
		{"http addr", with("NUDGE_HTTP_ADDR", "8080"), "NUDGE_HTTP_ADDR"},
		{"http addr port too large", with("NUDGE_HTTP_ADDR", ":99999"), "NUDGE_HTTP_ADDR"},
		{"http addr port not a number", with("NUDGE_HTTP_ADDR", ":abc"), "NUDGE_HTTP_ADDR"},
		{"http addr no port", with("NUDGE_HTTP_ADDR", "127.0.0.1:"), "NUDGE_HTTP_ADDR"},
		{"postgres url bad sslmode", with("NUDGE_STORE", "postgres://u:secret@127.0.0.1:5432/db?sslmode=bogus"), "NUDGE_STORE"},
		{"postgres url bad port", with("NUDGE_STORE", "postgres://u:secret@127.0.0.1:99x/db"), "NUDGE_STORE"},
		{"threshold not a number", with("NUDGE_THRESHOLD", "high"), "NUDGE_THRESHOLD"},
		{"threshold 0", with("NUDGE_THRESHOLD", "0"), "NUDGE_THRESHOLD"},
		{"threshold 7", with("NUDGE_THRESHOLD", "7"), "NUDGE_THRESHOLD"},
		{"cooldown not a duration", with("NUDGE_COOLDOWN", "soon"), "NUDGE_COOLDOWN"},
		{"cooldown negative", with("NUDGE_COOLDOWN", "-1m"), "NUDGE_COOLDOWN"},
		{"log level", with("NUDGE_LOG_LEVEL", "chatty"), "NUDGE_LOG_LEVEL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.give)
			_, err := LoadConfig()
			if err == nil {
				t.Fatalf("LoadConfig() with %v: nil error", tt.give)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.wantVar+": ") {
				t.Errorf("LoadConfig() = %q, want it to start with %s", msg, tt.wantVar)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("LoadConfig() = %q, want one line", msg)
			}
			for _, tok := range []string{testAppToken, testBotToken, "secret"} {
				if strings.Contains(msg, tok) {
					t.Errorf("LoadConfig() = %q holds a token", msg)
				}
			}
		})
	}
}

func TestSecret(t *testing.T) {
	cfg := Config{AppToken: testAppToken, BotToken: testBotToken}
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	zap.New(core).Info("config", zap.Any("cfg", cfg), zap.Stringer("tok", cfg.BotToken))
	var logged strings.Builder
	for _, e := range logs.All() {
		fmt.Fprintf(&logged, "%v %v", e.Message, e.ContextMap())
	}
	for _, s := range []string{
		fmt.Sprint(cfg), fmt.Sprintf("%v %+v %#v %s %q", cfg, cfg, cfg, cfg.AppToken, cfg.BotToken),
		string(js), logged.String(),
	} {
		if strings.Contains(s, "secret") {
			t.Errorf("a token leaked: %s", s)
		}
		if !strings.Contains(s, "[redacted]") {
			t.Errorf("no [redacted] in %s", s)
		}
	}
	if cfg.BotToken.Reveal() != testBotToken {
		t.Errorf("Reveal() = %q", cfg.BotToken.Reveal())
	}
}
