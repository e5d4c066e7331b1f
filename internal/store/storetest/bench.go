package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nudgebot/nudgebot/internal/store"
)

// Bench measures what the bot does to the store for each agent message
// that passes its threshold: MarkEvent, ClaimCooldown, RecordNudge. It
// runs serially and with b.RunParallel (as several events at once would).
func Bench(b *testing.B, open func(b *testing.B) store.Store) {
	b.Run("serial", func(b *testing.B) {
		s := open(b)
		ctx := context.Background()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			message(b, ctx, s, "s", i)
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		s := open(b)
		ctx := context.Background()
		b.ReportAllocs()
		var worker atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			w := fmt.Sprint(worker.Add(1))
			i := 0
			for pb.Next() {
				message(b, ctx, s, w, i)
				i++
			}
		})
	})
}

func message(b *testing.B, ctx context.Context, s store.Store, worker string, i int) {
	now := base.Add(time.Duration(i) * time.Second)
	user := fmt.Sprintf("U%s-%d", worker, i%50)
	id := fmt.Sprintf("Ev%s-%d", worker, i)
	if _, _, err := s.MarkEvent(ctx, id, now, now.Add(time.Hour)); err != nil {
		b.Fatalf("MarkEvent() = %v", err)
	}
	if _, err := s.ClaimCooldown(ctx, "T1", "C1", user, id, now, 10*time.Minute); err != nil {
		b.Fatalf("ClaimCooldown() = %v", err)
	}
	_, err := s.RecordNudge(ctx, store.Nudge{
		Team: "T1", Channel: "C1", User: user, MessageTS: fmt.Sprintf("1700000000.%s%06d", worker, i),
		RuleID: "contradict.actually", Family: "contradict", Score: 0.8, Outcome: store.Sent, At: now,
	})
	if err != nil {
		b.Fatalf("RecordNudge() = %v", err)
	}
}
