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
// seconds, and a nudge that arrives minutes late is no longer useful.
const maxRetryAfter = 30 * time.Second

// call runs fn, the Web API method named method, retrying it after each
// 429's Retry-After up to b.retries times. Any other error is final. Final
// errors are counted by method; the caller logs them (IDs only).
func (b *Bot) call(ctx context.Context, method string, fn func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) || attempt >= b.retries {
			b.m.apiErrors.WithLabelValues(method).Inc()
			return fmt.Errorf("%s: %w", method, err)
		}
		b.m.apiRetries.WithLabelValues(method).Inc()
		wait := min(max(rl.RetryAfter, 0), maxRetryAfter)
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
