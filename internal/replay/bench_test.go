package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nudgebot/nudgebot/internal/replay/gen"
)

// memSink keeps a generated export's day files in memory.
type memSink struct{ files []gen.File }

func (m *memSink) Add(f gen.File) error {
	m.files = append(m.files, gen.File{Name: f.Name, Data: bytes.Clone(f.Data)})
	return nil
}
func (m *memSink) Close() error { return nil }

func genDays(b *testing.B, n int) (days [][]byte, msgs int) {
	b.Helper()
	var s memSink
	if err := gen.Generate(gen.Config{Messages: n, Seed: 1}, &s); err != nil {
		b.Fatal(err)
	}
	for _, f := range s.files {
		if strings.HasSuffix(f.Name, ".json") && strings.Contains(f.Name, "/") {
			days = append(days, f.Data)
		}
	}
	return days, n
}

// BenchmarkDecodeDay compares decodeDay (goccy/go-json) with a stock
// encoding/json Token/More/Decode loop into a struct of the same fields, on
// real-sized messages (blocks, user_profile).
func BenchmarkDecodeDay(b *testing.B) {
	days, n := genDays(b, 20_000)
	size := 0
	for _, d := range days {
		size += len(d)
	}
	b.Logf("%d messages, %.0f bytes each on average", n, float64(size)/float64(n))
	run := func(b *testing.B, decode func([]byte) int) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		for b.Loop() {
			got := 0
			for _, d := range days {
				got += decode(d)
			}
			if got != n {
				b.Fatalf("decoded %d messages, want %d", got, n)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	}
	b.Run("goccy", func(b *testing.B) {
		var raw []rawMessage
		run(b, func(d []byte) int {
			var err error
			raw, err = decodeDay(d, raw[:0])
			if err != nil {
				b.Fatal(err)
			}
			return len(raw)
		})
	})
	b.Run("encoding-json", func(b *testing.B) {
		type jm struct {
			Type, TS, User, Text, Subtype string
			ThreadTS                      string    `json:"thread_ts"`
			BotID                         string    `json:"bot_id"`
			Edited                        *struct{} `json:"edited"`
		}
		run(b, func(d []byte) int {
			dec := json.NewDecoder(bytes.NewReader(d))
			if _, err := dec.Token(); err != nil {
				b.Fatal(err)
			}
			k := 0
			for dec.More() {
				var m jm
				if err := dec.Decode(&m); err != nil {
					b.Fatal(err)
				}
				k++
			}
			return k
		})
	})
}

// BenchmarkRun replays a generated export end to end, from a folder.
func BenchmarkRun(b *testing.B) {
	const n = 40_000
	dir := filepath.Join(b.TempDir(), "export")
	if err := gen.Generate(gen.Config{Messages: n, Seed: 1}, gen.DirSink(dir)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		rep, err := Run(context.Background(), dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if rep.Messages.Read != n {
			b.Fatalf("read %d messages, want %d", rep.Messages.Read, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// TestGenerateExport writes a large generated export for measuring the
// built binary (see the package's README in the report): opt-in, as it
// writes gigabytes.
//
//	NUDGE_REPLAY_GEN=1000000 NUDGE_REPLAY_GEN_OUT=/tmp/export-1m.zip go test -run TestGenerateExport ./internal/replay
func TestGenerateExport(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("NUDGE_REPLAY_GEN"))
	out := os.Getenv("NUDGE_REPLAY_GEN_OUT")
	if n <= 0 || out == "" {
		t.Skip("NUDGE_REPLAY_GEN and NUDGE_REPLAY_GEN_OUT not set")
	}
	sink := gen.DirSink(out)
	if strings.HasSuffix(out, ".zip") {
		var err error
		if sink, err = gen.ZipSink(out); err != nil {
			t.Fatal(err)
		}
	}
	if err := gen.Generate(gen.Config{Messages: n, Seed: 1}, sink); err != nil {
		t.Fatal(err)
	}
}
