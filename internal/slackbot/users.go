package slackbot

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"
	"golang.org/x/sync/singleflight"
)

// Role is what a Slack user is to the bot.
type Role int

// Roles. Only agents are scored and nudged; customers' messages are the
// context for the agents' replies; others are ignored.
const (
	// Customer is anyone who is not an agent and not a bot: a member of
	// another workspace (Slack Connect), an external (is_stranger) user or
	// a guest of the bot's own workspace.
	Customer Role = iota
	// Agent is a full member of the bot's own workspace.
	Agent
	// Ignored is a bot or a deactivated account.
	Ignored
)

func (r Role) String() string {
	switch r {
	case Agent:
		return "agent"
	case Customer:
		return "customer"
	default:
		return "ignored"
	}
}

// User is what the bot keeps of a users.info answer.
type User struct {
	ID   string
	Role Role
	// Admin is true for workspace admins and owners (managers by right).
	Admin bool
}

// classify decides a user's role exactly as DESIGN.md says: an agent is a
// member of team (the bot's own workspace, from auth.test), not a bot, not
// a guest, not external, not deleted.
func classify(u *slack.User, team string) User {
	out := User{ID: u.ID, Admin: u.TeamID == team && (u.IsAdmin || u.IsOwner || u.IsPrimaryOwner)}
	switch {
	case u.IsBot || u.Deleted || u.ID == "USLACKBOT":
		out.Role = Ignored
	case u.TeamID == team && !u.IsRestricted && !u.IsUltraRestricted && !u.IsStranger:
		out.Role = Agent
	default:
		out.Role = Customer
	}
	return out
}

// userCache answers "who is this user" from users.info, with a TTL and a
// size bound, and with concurrent lookups of one user merged into one call.
type userCache struct {
	ttl    time.Duration
	now    func() time.Time
	cache  *lru[User]
	group  singleflight.Group
	lookup func(ctx context.Context, id string) (User, error)
}

func newUserCache(size int, ttl time.Duration, now func() time.Time, lookup func(ctx context.Context, id string) (User, error)) *userCache {
	return &userCache{ttl: ttl, now: now, cache: newLRU[User](size), lookup: lookup}
}

// get returns the user, from the cache when it is fresh.
func (c *userCache) get(ctx context.Context, id string) (User, error) {
	if u, at, ok := c.cache.get(id); ok && c.now().Sub(at) < c.ttl {
		return u, nil
	}
	v, err, _ := c.group.Do(id, func() (any, error) {
		u, err := c.lookup(ctx, id)
		if err != nil {
			return User{}, err
		}
		c.cache.put(id, u, c.now())
		return u, nil
	})
	if err != nil {
		return User{}, fmt.Errorf("users.info %s: %w", id, err)
	}
	return v.(User), nil
}
