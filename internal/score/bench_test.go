package score

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkEvaluate scores the whole dev corpus per iteration and reports
// the cost per message.
//
// On a shared machine its time can move by half from run to run. The
// number of instructions hardly does: run the test binary under valgrind's
// cachegrind with GOGC=off, once with -test.benchtime 1x and once with
// 41x, and the difference over 40*420 is the instructions per message
// (cg_diff and cg_annotate split it by function). With --cache-sim=yes
// and --LL=1048576,16,64 (a 1 MB L2) it also counts misses: 82 reads a
// message miss the L2, a quarter of them in the model's feature table and
// a fifth in the rules' automata (cg_annotate --sort=DLmr).
func BenchmarkEvaluate(b *testing.B) {
	rows := readCorpus(b, devCorpus(b))
	rules := DefaultRules()
	msgs := make([]Message, len(rows))
	for i, r := range rows {
		msgs[i] = Message{Text: r.Text, Context: r.Context, At: time.Unix(int64(i)*61, 0)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for _, m := range msgs {
			Evaluate(m, rules)
		}
		n += len(msgs)
	}
	reportPerMsg(b, n)
	b.ReportMetric(0, "ns/op")
}

// BenchmarkEvaluateClean is a message with no hits: it must not allocate.
func BenchmarkEvaluateClean(b *testing.B) {
	rules := DefaultRules()
	msg := Message{Text: "Thanks for your patience! I've refunded the second charge, you'll see it in 3-5 business days."}
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(msg, rules)
	}
	reportPerMsg(b, b.N)
}

// reportPerMsg reports the cost per message of n messages.
func reportPerMsg(b *testing.B, n int) {
	ns := float64(b.Elapsed().Nanoseconds()) / float64(n)
	b.ReportMetric(ns, "ns/msg")
	b.ReportMetric(1e9/ns, "msgs/s")
}

// BenchmarkEvaluateSize shows the cost is linear in message length.
func BenchmarkEvaluateSize(b *testing.B) {
	rules := DefaultRules()
	unit := "I've checked the logs and the sync job ran at 9:14, but the export didn't include your last two rows. "
	for _, size := range []int{100, 1 << 10, 10 << 10, 40 << 10} {
		text := strings.Repeat(unit, size/len(unit)+1)[:size]
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			msg := Message{Text: text}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				Evaluate(msg, rules)
			}
			reportPerMsg(b, b.N)
		})
	}
}

// BenchmarkEscalated runs the customer-side detector.
func BenchmarkEscalated(b *testing.B) {
	rules := DefaultRules()
	text := "I've been waiting 3 weeks for this refund, can someone please check on it"
	b.ReportAllocs()
	for b.Loop() {
		Escalated(text, rules)
	}
}
