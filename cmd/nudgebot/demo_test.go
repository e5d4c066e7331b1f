package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDemo(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	play := func() string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := run([]string{"demo"}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
			t.Fatalf("demo exit code %d, stderr:\n%s", code, stderr.String())
		}
		if stderr.Len() != 0 {
			t.Errorf("demo wrote to stderr:\n%s", stderr.String())
		}
		return stdout.String()
	}
	out := play()
	for _, want := range []string{
		"No tokens, no network",
		"» alex invites @nudgebot to #acme-support",
		"casey (Acme Corp, customer):",
		"alex (Northwind support):",
		"┌ nudge, only alex sees it",
		"You wrote “", // the quoted span
		"[Helpful] [Not helpful]",
		"» alex clicks [Helpful]; the nudge is replaced by:",
		"Thanks, glad it helped.",
		"Nothing was posted in the channel.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	// The customer is never nudged, and the agent's recovery is not either:
	// every nudge box follows an agent's message.
	blocks := strings.Split(out, "┌ nudge, only ")
	for _, b := range blocks[1:] {
		if !strings.HasPrefix(b, "alex") && !strings.HasPrefix(b, "sam") {
			t.Errorf("a nudge to someone other than an agent: %.40q", b)
		}
	}
	if again := play(); again != out {
		t.Errorf("demo output differs between runs:\n%s\n----\n%s", out, again)
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "nudgebot-demo-*"))
	if len(left) != 0 {
		t.Errorf("demo left %v behind", left)
	}
	if _, err := os.Stat("nudgebot.db"); err == nil {
		t.Error("demo created nudgebot.db in the working directory")
	}
}

func TestDemoArgs(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"demo", "extra"}, strings.NewReader(""), &stdout, &stderr); code != exitUsage {
		t.Errorf("demo extra: exit %d, want %d", code, exitUsage)
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		give  string
		width int
		want  []string
	}{
		{"a bb ccc dddd", 6, []string{"a bb", "ccc", "dddd"}},
		{"one\ntwo three", 20, []string{"one", "two three"}},
		{"", 10, []string{""}},
	}
	for _, tt := range tests {
		if got := wrap(tt.give, tt.width); strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("wrap(%q, %d) = %q, want %q", tt.give, tt.width, got, tt.want)
		}
	}
}
