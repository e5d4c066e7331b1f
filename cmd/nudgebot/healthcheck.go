package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// cmdHealthcheck probes the running bot's /healthz (or /readyz with
// --ready). It exists for the container's HEALTHCHECK: the final image has
// no shell or curl.
func cmdHealthcheck(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr("NUDGE_HTTP_ADDR", ":8080"), "the bot's health and metrics address")
	ready := fs.Bool("ready", false, "probe /readyz instead of /healthz")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: nudgebot healthcheck [--addr HOST:PORT] [--ready]")
		fs.PrintDefaults()
	}
	if code, done := parseNoArgs(fs, args); done {
		return code
	}
	url, err := probeURL(*addr, *ready)
	if err != nil {
		fmt.Fprintf(stderr, "nudgebot healthcheck: %v\n", err)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		fmt.Fprintf(stderr, "nudgebot healthcheck: %v\n", err)
		return exitError
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "nudgebot healthcheck: %v\n", err)
		return exitError
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "nudgebot healthcheck: %s: %s %s\n", url, resp.Status, body)
		return exitError
	}
	fmt.Fprintf(stdout, "%s: %s\n", url, resp.Status)
	return exitOK
}

// probeURL turns a listen address such as ":8080" into the URL to probe.
func probeURL(addr string, ready bool) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("bad address %q: %w", addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	path := "/healthz"
	if ready {
		path = "/readyz"
	}
	return "http://" + net.JoinHostPort(host, port) + path, nil
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}
