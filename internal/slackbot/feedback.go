package slackbot

import (
	"context"
	"errors"
	"strconv"

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

// respond posts msg to a response_url, retrying 429s like any Web API call.
func (b *Bot) respond(ctx context.Context, url string, msg *slack.WebhookMessage) error {
	return b.call(ctx, "response_url", func(ctx context.Context) error {
		return slack.PostWebhookCustomHTTPContext(ctx, url, b.http, msg)
	})
}
