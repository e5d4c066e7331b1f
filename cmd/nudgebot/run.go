package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/nudgebot/nudgebot/internal/app"
	"go.uber.org/zap"
)

func cmdRun(args []string, _ io.Reader, _, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: nudgebot run")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Runs the bot over Socket Mode, configured by the environment:")
		fmt.Fprintln(stderr, "SLACK_APP_TOKEN and SLACK_BOT_TOKEN (required), SLACK_API_URL, NUDGE_STORE,")
		fmt.Fprintln(stderr, "NUDGE_HTTP_ADDR, NUDGE_MANAGERS, NUDGE_THRESHOLD, NUDGE_COOLDOWN,")
		fmt.Fprintln(stderr, "NUDGE_LOG_LEVEL, NUDGE_RULES_FILE, NUDGE_MODEL_FILE. SIGTERM or SIGINT stops it cleanly.")
	}
	if code, done := parseNoArgs(fs, args); done {
		return code
	}
	cfg, err := app.LoadConfig()
	if err != nil {
		fmt.Fprintf(stderr, "nudgebot: %v\n", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runBot(ctx, cfg, stderr)
}

// runBot runs the configured bot until ctx ends and returns the exit code.
func runBot(ctx context.Context, cfg app.Config, stderr io.Writer) int {
	log := app.NewLogger(cfg.LogLevel, stderr)
	defer log.Sync()
	if err := app.Main(ctx, cfg, log, app.Options{Version: version}); err != nil {
		var ce *app.ConfigError
		if errors.As(err, &ce) { // a rules file that does not load
			fmt.Fprintf(stderr, "nudgebot: %v\n", ce)
			return exitUsage
		}
		log.Error("exit", zap.Error(err))
		return exitError
	}
	log.Info("stopped")
	return exitOK
}
