package slackbot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"
)

// maxRetryAfter bounds how long one 429 may hold a call: Slack asks for
// seconds, and a nudge that arrives minutes late is no longer useful. A
// 429 asking for longer is final: retrying before Slack's Retry-After
// would only be refused again.
const maxRetryAfter = 30 * time.Second

// call runs fn, the Web API method named method, retrying it after each
// 429's Retry-After up to b.retries times. Any other error is final. Final
// errors are counted by method; the caller logs them (IDs only).
func (b *Bot) call(ctx context.Context, method string, fn func(context.Context) error) error {
	return b.callClaimed(ctx, method, nil, fn)
}

// claim is a job's lease on its event while it posts the event's nudge.
type claim struct {
	event string
	until time.Time
}

// errClaimLost says another claimant took the event over.
var errClaimLost = errors.New("the event's lease was taken over by another claimant")

// callClaimed is call for a post made under c, a lease on the event
// (nil: none): before it waits out a 429 it renews the lease to outlast
// the wait, so another replica does not take the event over and post the
// nudge too. When the lease cannot be renewed it gives up.
func (b *Bot) callClaimed(ctx context.Context, method string, c *claim, fn func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) || attempt >= b.retries || rl.RetryAfter > maxRetryAfter {
			b.m.apiErrors.WithLabelValues(method).Inc()
			return fmt.Errorf("%s: %w", method, err)
		}
		wait := max(rl.RetryAfter, 0)
		if c != nil {
			if err := b.renew(ctx, c, wait); err != nil {
				b.m.apiErrors.WithLabelValues(method).Inc()
				return fmt.Errorf("%s: before waiting out a 429: %w", method, err)
			}
		}
		b.m.apiRetries.WithLabelValues(method).Inc()
		b.log.Debug("slack rate limited", zap.String("method", method), zap.Duration("retry_after", wait))
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			b.m.apiErrors.WithLabelValues(method).Inc()
			return fmt.Errorf("%s: waiting out a 429: %w", method, ctx.Err())
		}
	}
}

// renew extends the lease c to a full lease past a wait.
func (b *Bot) renew(ctx context.Context, c *claim, wait time.Duration) error {
	until := b.now().Add(wait + b.lease).Truncate(time.Microsecond)
	ctx, cancel := context.WithTimeout(ctx, b.storeTimeout)
	defer cancel()
	ok, err := b.store.RenewEvent(ctx, c.event, c.until, until)
	switch {
	case err != nil:
		return fmt.Errorf("renew the event's lease: %w", err)
	case !ok:
		return errClaimLost
	}
	c.until = until
	return nil
}
