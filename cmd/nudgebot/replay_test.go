package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nudgebot/nudgebot/internal/replay"
	"github.com/nudgebot/nudgebot/internal/replay/gen"
)

// replayExport writes a small generated export and returns its ZIP path.
func replayExport(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "export.zip")
	sink, err := gen.ZipSink(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := gen.Generate(gen.Config{Messages: 600, Channels: 3, Agents: 4, Customers: 10, PerDay: 50, Seed: 1}, sink); err != nil {
		t.Fatal(err)
	}
	return p
}

func runReplay(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(append([]string{"replay"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestReplayJSON(t *testing.T) {
	export := replayExport(t)
	// Flags after EXPORT work too.
	code, out, stderr := runReplay(t, "--format", "json", export, "--threshold", "0.5", "--channels", "support-001")
	if code != exitOK {
		t.Fatalf("replay exit %d, stderr:\n%s", code, stderr)
	}
	var rep replay.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("replay --format json: %v\n%s", err, out)
	}
	if rep.Threshold != 0.5 || len(rep.Channels) != 1 || rep.Channels[0].Name != "support-001" {
		t.Errorf("report threshold %v, channels %+v; want 0.5 and support-001 only", rep.Threshold, rep.Channels)
	}
	if rep.Messages.Scored == 0 || rep.Channels[0].Scored != rep.Messages.Scored {
		t.Errorf("scored %d, channel %d; want the same, non-zero", rep.Messages.Scored, rep.Channels[0].Scored)
	}
	if strings.Contains(stderr, "\r") {
		t.Errorf("stderr is not a terminal but holds progress frames: %q", stderr)
	}
	if !strings.Contains(stderr, "would-be nudges at 0.50") {
		t.Errorf("stderr %q lacks the summary line", stderr)
	}
}

// TestReplayModelOff: --model off scores by the rules alone, as a bot
// with NUDGE_MODEL_FILE=off would: the scores differ from the blend's.
func TestReplayModelOff(t *testing.T) {
	export := replayExport(t)
	report := func(args ...string) string {
		t.Helper()
		code, out, stderr := runReplay(t, append([]string{"--format", "json", export}, args...)...)
		if code != exitOK {
			t.Fatalf("replay %v: exit %d, stderr:\n%s", args, code, stderr)
		}
		return out
	}
	with, again, alone := report(), report(), report("--model", "off")
	if with != again {
		t.Fatal("two replays of one export differ")
	}
	if alone == with {
		t.Error("replay --model off reports what the blend does: the flag is not used")
	}
}

func TestReplayOutCSV(t *testing.T) {
	export := replayExport(t)
	outFile := filepath.Join(t.TempDir(), "report.csv")
	code, out, stderr := runReplay(t, "--format", "csv", "--out", outFile, export)
	if code != exitOK {
		t.Fatalf("replay exit %d, stderr:\n%s", code, stderr)
	}
	if out != "" {
		t.Errorf("stdout = %q with --out, want nothing", out)
	}
	data, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("report.csv: %v", err)
	}
	// 3 channels × up to 4 agents, plus the header.
	if len(rows) < 2 || len(rows) > 13 || rows[0][0] != "channel" || rows[0][2] != "agent" {
		t.Errorf("report.csv has %d rows, header %v", len(rows), rows[0])
	}
}

func TestReplayUsage(t *testing.T) {
	export := replayExport(t)
	tests := []struct {
		name string
		give []string
		want int
		msg  string
	}{
		{"no export", nil, exitUsage, "want exactly one EXPORT"},
		{"two exports", []string{export, export}, exitUsage, "want exactly one EXPORT"},
		{"bad format", []string{"--format", "pdf", export}, exitUsage, `--format "pdf"`},
		{"bad threshold", []string{"--threshold", "7", export}, exitUsage, "--threshold 7"},
		{"bad date", []string{"--since", "yesterday", export}, exitUsage, `--since "yesterday"`},
		{"unknown flag", []string{"--nope", export}, exitUsage, "flag provided but not defined"},
		{"missing export", []string{filepath.Join(t.TempDir(), "none.zip")}, exitError, "none.zip"},
		{"unknown channel", []string{"--channels", "nope", export}, exitError, "no channel folder named nope"},
		{"missing model", []string{"--model", filepath.Join(t.TempDir(), "none.model"), export}, exitUsage, "--model"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runReplay(t, tt.give...)
			if code != tt.want || !strings.Contains(stderr, tt.msg) {
				t.Errorf("replay %q = exit %d, stderr %q; want exit %d and %q", tt.give, code, stderr, tt.want, tt.msg)
			}
		})
	}
}
