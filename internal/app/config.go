package app

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"
	"go.uber.org/zap/zapcore"

	"github.com/nudgebot/nudgebot/internal/store/postgres"
)

// Config is nudgebot's configuration, read once from the environment by
// LoadConfig (the variables are DESIGN.md's) and then passed down as a
// value: no other package reads the environment.
type Config struct {
	AppToken  Secret        `envconfig:"SLACK_APP_TOKEN" required:"true"`
	BotToken  Secret        `envconfig:"SLACK_BOT_TOKEN" required:"true"`
	APIURL    string        `envconfig:"SLACK_API_URL" default:"https://slack.com/api/"`
	Store     string        `envconfig:"NUDGE_STORE" default:"nudgebot.db"`
	HTTPAddr  string        `envconfig:"NUDGE_HTTP_ADDR" default:":8080"`
	Managers  []string      `envconfig:"NUDGE_MANAGERS"`
	Threshold float64       `envconfig:"NUDGE_THRESHOLD" default:"0.6"`
	Cooldown  time.Duration `envconfig:"NUDGE_COOLDOWN" default:"10m"`
	LogLevel  string        `envconfig:"NUDGE_LOG_LEVEL" default:"info"`
	RulesFile string        `envconfig:"NUDGE_RULES_FILE"`
	ModelFile string        `envconfig:"NUDGE_MODEL_FILE"`
}

// Secret keeps tokens out of logs, %v, %#v and JSON.
type Secret string

func (Secret) String() string   { return "[redacted]" }
func (Secret) GoString() string { return "[redacted]" }

// MarshalJSON writes "[redacted]".
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"[redacted]"`), nil }

// Reveal returns the token itself, for the Slack client and nothing else.
func (s Secret) Reveal() string { return string(s) }

// ConfigError is a bad or missing variable. Its message is one line that
// names the variable and never holds a token.
type ConfigError struct {
	Var string
	Msg string
}

func (e *ConfigError) Error() string { return e.Var + ": " + e.Msg }

// LoadConfig reads the environment and checks every value.
func LoadConfig() (Config, error) {
	var cfg Config
	if err := envconfig.Process("", &cfg); err != nil {
		return Config{}, configError(err)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// configError turns envconfig's errors into a ConfigError.
func configError(err error) error {
	var pe *envconfig.ParseError
	if errors.As(err, &pe) {
		// The tokens are strings and never fail to parse, so the value
		// quoted here is never a token.
		return &ConfigError{Var: pe.KeyName, Msg: fmt.Sprintf("cannot read %q as a %s", pe.Value, typeName(pe.TypeName))}
	}
	if k, ok := strings.CutPrefix(err.Error(), "required key "); ok {
		return &ConfigError{Var: strings.TrimSuffix(k, " missing value"), Msg: "is required"}
	}
	return &ConfigError{Var: "environment", Msg: err.Error()}
}

func typeName(t string) string {
	switch t {
	case "float64":
		return "number"
	case "time.Duration":
		return "duration (like 10m or 1h30m)"
	}
	return t
}

// Validate checks what envconfig cannot: token kinds, ranges, the level,
// the URL. Its error is a *ConfigError.
func (c *Config) Validate() error {
	switch {
	case c.AppToken == "":
		return &ConfigError{"SLACK_APP_TOKEN", "is required"}
	case !strings.HasPrefix(string(c.AppToken), "xapp-"):
		return &ConfigError{"SLACK_APP_TOKEN", "must be an app-level token (xapp-...) with connections:write"}
	case c.BotToken == "":
		return &ConfigError{"SLACK_BOT_TOKEN", "is required"}
	case !strings.HasPrefix(string(c.BotToken), "xoxb-"):
		return &ConfigError{"SLACK_BOT_TOKEN", "must be a bot token (xoxb-...)"}
	}
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return &ConfigError{"SLACK_API_URL", fmt.Sprintf("%q is not an http(s) URL", c.APIURL)}
	} else if !strings.HasSuffix(c.APIURL, "/") {
		return &ConfigError{"SLACK_API_URL", fmt.Sprintf("%q must end with a slash, like https://slack.com/api/", c.APIURL)}
	}
	if strings.TrimSpace(c.Store) == "" {
		return &ConfigError{"NUDGE_STORE", "is empty: give an SQLite file path or a postgres:// URL"}
	}
	if isPostgres(c.Store) && !postgres.ValidURL(c.Store) {
		// Not quoted: the URL may hold a password.
		return &ConfigError{"NUDGE_STORE", "is not a valid PostgreSQL URL (check its host, port, database and parameters such as sslmode)"}
	}
	if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		return &ConfigError{"NUDGE_HTTP_ADDR", fmt.Sprintf("%q is not host:port (like :8080)", c.HTTPAddr)}
	} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return &ConfigError{"NUDGE_HTTP_ADDR", fmt.Sprintf("%q: the port must be a number from 0 to 65535", c.HTTPAddr)}
	}
	managers := c.Managers[:0:0]
	for _, m := range c.Managers {
		if m = strings.TrimSpace(m); m != "" {
			managers = append(managers, m)
		}
	}
	c.Managers = managers
	if !(c.Threshold > 0 && c.Threshold <= 1) {
		return &ConfigError{"NUDGE_THRESHOLD", fmt.Sprintf("must be more than 0 and at most 1, got %v", c.Threshold)}
	}
	if c.Cooldown < 0 {
		return &ConfigError{"NUDGE_COOLDOWN", fmt.Sprintf("must not be negative, got %v", c.Cooldown)}
	}
	if _, err := zapcore.ParseLevel(c.LogLevel); err != nil {
		return &ConfigError{"NUDGE_LOG_LEVEL", fmt.Sprintf("unknown level %q (debug, info, warn, error)", c.LogLevel)}
	}
	return nil
}

// isPostgres reports whether a NUDGE_STORE value names PostgreSQL.
func isPostgres(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}
