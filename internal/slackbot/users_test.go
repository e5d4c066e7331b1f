package slackbot

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

func TestClassify(t *testing.T) {
	const team = "T1"
	tests := []struct {
		name string
		give slack.User
		want Role
	}{
		{"member", slack.User{ID: "U1", TeamID: team}, Agent},
		{"admin", slack.User{ID: "U1", TeamID: team, IsAdmin: true}, Agent},
		{"other workspace (Slack Connect)", slack.User{ID: "U1", TeamID: "T2"}, Customer},
		{"stranger", slack.User{ID: "U1", TeamID: team, IsStranger: true}, Customer},
		{"multi-channel guest", slack.User{ID: "U1", TeamID: team, IsRestricted: true}, Customer},
		{"single-channel guest", slack.User{ID: "U1", TeamID: team, IsUltraRestricted: true}, Customer},
		{"bot", slack.User{ID: "U1", TeamID: team, IsBot: true}, Ignored},
		{"deactivated", slack.User{ID: "U1", TeamID: team, Deleted: true}, Ignored},
		{"slackbot", slack.User{ID: "USLACKBOT", TeamID: team}, Ignored},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(&tt.give, team).Role; got != tt.want {
				t.Errorf("classify(%+v) = %v, want %v", tt.give, got, tt.want)
			}
		})
	}
}

func TestUserCache(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	calls := 0
	fail := false
	c := newUserCache(2, time.Minute, func() time.Time { return now }, func(_ context.Context, id string) (User, error) {
		calls++
		if fail {
			return User{}, errors.New("boom")
		}
		return User{ID: id, Role: Agent}, nil
	})
	ctx := context.Background()
	get := func(id string) {
		t.Helper()
		if u, err := c.get(ctx, id); err != nil || u.ID != id {
			t.Fatalf("get(%q) = %+v, %v", id, u, err)
		}
	}
	get("U1")
	get("U1")
	if calls != 1 {
		t.Errorf("after two gets of one user: %d lookups, want 1", calls)
	}
	now = now.Add(2 * time.Minute) // past the TTL
	get("U1")
	if calls != 2 {
		t.Errorf("after the TTL: %d lookups, want 2", calls)
	}
	get("U2")
	get("U3") // evicts U1, the least recently used
	get("U1")
	if calls != 5 {
		t.Errorf("after eviction: %d lookups, want 5", calls)
	}
	if n := c.cache.len(); n != 2 {
		t.Errorf("cache holds %d users, want 2 (its bound)", n)
	}
	fail = true
	if _, err := c.get(ctx, "U9"); err == nil {
		t.Error("get of a failing lookup: nil error")
	}
}
