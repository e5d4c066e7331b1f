package slackbot

import (
	"context"
	"errors"
	"fmt"
	"net"
	neturl "net/url"
	"strconv"
	"strings"

	"github.com/nudgebot/nudgebot/internal/store"
	"github.com/slack-go/slack"
	"go.uber.org/zap"
)

// onInteraction records a click on a nudge's buttons and replaces the
// nudge with a short thank-you through the response_url.
func (b *Bot) onInteraction(ctx context.Context, h Handled, cb slack.InteractionCallback) {
	if cb.Type != slack.InteractionTypeBlockActions {
		h.Outcome = "skipped:" + string(cb.Type)
		b.done(h)
		return
	}
	var action *slack.BlockAction
	for _, a := range cb.ActionCallback.BlockActions {
		if a.ActionID == ActionHelpful || a.ActionID == ActionNotHelpful {
			action = a
			break
		}
	}
	if action == nil {
		h.Outcome = "skipped:unknown_action"
		b.done(h)
		return
	}
	helpful := action.ActionID == ActionHelpful
	id, err := strconv.ParseInt(action.Value, 10, 64)
	reply := thanksText(helpful)
	if err == nil {
		h.NudgeID = id
		err = b.store.RecordFeedback(ctx, store.Feedback{NudgeID: id, User: cb.User.ID, Helpful: helpful, At: b.now()})
	}
	switch {
	case err == nil:
		h.Outcome = "recorded"
		answer := "not_helpful"
		if helpful {
			answer = "helpful"
		}
		b.m.feedback.WithLabelValues(answer).Inc()
	case errors.Is(err, store.ErrNotFound) || errors.Is(err, strconv.ErrSyntax) || errors.Is(err, strconv.ErrRange):
		h.Outcome = "skipped:unknown_nudge"
		reply = "That reminder is no longer on record, but thanks."
	default:
		h.Err = err
		b.log.Warn("feedback not recorded", zap.String("value", action.Value), zap.Error(err))
		b.done(h)
		return
	}
	if cb.ResponseURL == "" {
		b.done(h)
		return
	}
	b.goPost(ctx, func(ctx context.Context) {
		if err := b.respond(ctx, cb.ResponseURL, &slack.WebhookMessage{Text: reply, ReplaceOriginal: true}); err != nil {
			h.Err = err
			b.log.Warn("feedback reply not posted", zap.Int64("nudge_id", h.NudgeID), zap.Error(err))
		}
		b.done(h)
	})
}

// respond posts msg to a response_url, retrying 429s like any Web API
// call, when the URL points at Slack (or Options.ResponseOrigins).
func (b *Bot) respond(ctx context.Context, url string, msg *slack.WebhookMessage) error {
	if o := origin(url); !b.origins[o] {
		b.m.apiErrors.WithLabelValues("response_url").Inc()
		return fmt.Errorf("response_url: %w: %q", errForeignResponseURL, o)
	}
	return b.call(ctx, "response_url", func(ctx context.Context) error {
		return slack.PostWebhookCustomHTTPContext(ctx, url, b.http, msg)
	})
}

// errForeignResponseURL says a response_url points at neither Slack nor
// an origin in Options.ResponseOrigins.
var errForeignResponseURL = errors.New("not a Slack origin")

// slackHooks are the origins Slack's response_urls point at.
var slackHooks = []string{"https://hooks.slack.com", "https://hooks.slack-gov.com"}

// responseOrigins is the set of origins a response_url may point at:
// Slack's and extra.
func responseOrigins(extra []string) map[string]bool {
	m := make(map[string]bool, len(slackHooks)+len(extra))
	for _, o := range slackHooks {
		m[o] = true
	}
	for _, o := range extra {
		m[origin(o)] = true
	}
	return m
}

// origin returns "scheme://host[:port]" of a URL, lowercased, without a
// default port; "" when it has no http(s) scheme or no host, or carries
// user info.
func origin(raw string) string {
	u, err := neturl.Parse(raw)
	if err != nil || u.User != nil || u.Host == "" {
		return ""
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if scheme != "https" && scheme != "http" {
		return ""
	}
	if port == "" || scheme == "https" && port == "443" || scheme == "http" && port == "80" {
		if strings.Contains(host, ":") { // IPv6
			host = "[" + host + "]"
		}
		return scheme + "://" + host
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}
