package main

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestProbeURL(t *testing.T) {
	tests := []struct {
		give  string
		ready bool
		want  string
	}{
		{give: ":8080", want: "http://127.0.0.1:8080/healthz"},
		{give: "0.0.0.0:9090", ready: true, want: "http://127.0.0.1:9090/readyz"},
		{give: "[::]:8080", want: "http://127.0.0.1:8080/healthz"},
		{give: "10.1.2.3:8080", want: "http://10.1.2.3:8080/healthz"},
	}
	for _, tt := range tests {
		got, err := probeURL(tt.give, tt.ready)
		if err != nil || got != tt.want {
			t.Errorf("probeURL(%q, %v) = %q, %v, want %q", tt.give, tt.ready, got, err, tt.want)
		}
	}
	if _, err := probeURL("8080", false); err == nil {
		t.Errorf("probeURL(%q) succeeded, want an error", "8080")
	}
}

func TestHealthcheck(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" && r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")

	var out, errb bytes.Buffer
	if code := run([]string{"healthcheck", "--addr", addr}, nil, &out, &errb); code != exitOK {
		t.Fatalf("healthcheck against a healthy server = %d, want %d (stderr %q)", code, exitOK, errb.String())
	}
	status = http.StatusServiceUnavailable
	if code := run([]string{"healthcheck", "--ready", "--addr", addr}, nil, &out, &errb); code != exitError {
		t.Fatalf("healthcheck against a 503 = %d, want %d", code, exitError)
	}

	// Nothing listening: an error, not a hang.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	if code := run([]string{"healthcheck", "--addr", dead}, nil, &out, &errb); code != exitError {
		t.Fatalf("healthcheck with nothing listening = %d, want %d", code, exitError)
	}
}
