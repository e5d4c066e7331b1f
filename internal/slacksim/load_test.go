package slacksim_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/nudgebot/nudgebot/internal/slacksim"
)

// ackAll runs a trivial client that acks every envelope at once.
func ackAll(t testing.TB, api *slack.Client) {
	t.Helper()
	client := socketmode.New(api)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() {
		_ = client.RunContext(ctx)
		done <- struct{}{}
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		for {
			select {
			case ev := <-client.Events:
				if ev.Request != nil && ev.Request.EnvelopeID != "" {
					client.Ack(*ev.Request)
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		<-done
	})
}

// TestLoad pushes 10,000 message envelopes through one connection to a
// client that acks each at once, and reports the rate.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	const n = 10000
	sim, api := fixture(t, slacksim.Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	ackAll(t, api)
	if err := sim.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := range n {
		sim.Post(slacksim.Msg{Channel: "CSUP", User: "UAGENT", Text: fmt.Sprintf("message %d: as I already said, works as designed", i)})
	}
	posted := time.Since(start)
	if _, err := sim.WaitAcks(ctx, n); err != nil {
		t.Fatalf("%d of %d acked: %v", sim.AckCount(), n, err)
	}
	elapsed := time.Since(start)
	lat := sim.AckLatencies()
	var maxLat time.Duration
	for _, l := range lat {
		maxLat = max(maxLat, l)
	}
	if len(lat) != n {
		t.Errorf("AckLatencies() = %d, want %d", len(lat), n)
	}
	seen := map[string]bool{}
	for _, a := range sim.Acks() {
		if seen[a.EnvelopeID] {
			t.Errorf("envelope %s acked twice", a.EnvelopeID)
		}
		seen[a.EnvelopeID] = true
	}
	t.Logf("%d envelopes: posted in %v, all acked in %v: %.0f envelopes/s; max ack latency %v",
		n, posted, elapsed, float64(n)/elapsed.Seconds(), maxLat)
}

// BenchmarkPost measures the sim's envelope rate, round trip to a
// trivially acking slack-go client included.
func BenchmarkPost(b *testing.B) {
	sim := slacksim.Start(b, slacksim.Options{})
	sim.AddUser(slacksim.User{ID: "UAGENT"})
	sim.AddChannel(slacksim.Channel{ID: "CSUP", Members: []string{sim.BotUserID, "UAGENT"}})
	api := slack.New(sim.BotToken, slack.OptionAppLevelToken(sim.AppToken), slack.OptionAPIURL(sim.APIURL()))
	ackAll(b, api)
	ctx := context.Background()
	if err := sim.WaitConnected(ctx, 1); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		sim.Post(slacksim.Msg{Channel: "CSUP", User: "UAGENT", Text: "works as designed"})
		n++
	}
	if _, err := sim.WaitAcks(ctx, n); err != nil {
		b.Fatal(err)
	}
}

// TestLoadRawClient is TestLoad with a bare websocket client that acks by
// copying the envelope_id, without decoding the event: the sim's own
// ceiling, without slack-go's decoding.
func TestLoadRawClient(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	const n = 10000
	sim, api := fixture(t, slacksim.Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	_, url, err := api.StartSocketModeContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ws, _, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	go func() {
		prefix := []byte(`"envelope_id":"`)
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			i := bytes.Index(data, prefix)
			if i < 0 {
				continue // hello
			}
			id := data[i+len(prefix):]
			id = id[:bytes.IndexByte(id, '"')]
			if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"envelope_id":"`+string(id)+`"}`)); err != nil {
				return
			}
		}
	}()
	if err := sim.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := range n {
		sim.Post(slacksim.Msg{Channel: "CSUP", User: "UAGENT", Text: fmt.Sprintf("message %d: as I already said, works as designed", i)})
	}
	if _, err := sim.WaitAcks(ctx, n); err != nil {
		t.Fatalf("%d of %d acked: %v", sim.AckCount(), n, err)
	}
	elapsed := time.Since(start)
	if got := len(sim.AckLatencies()); got != n {
		t.Errorf("AckLatencies() = %d, want %d", got, n)
	}
	t.Logf("%d envelopes to a raw client, all acked in %v: %.0f envelopes/s", n, elapsed, float64(n)/elapsed.Seconds())
}
