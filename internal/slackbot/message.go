package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nudgebot/nudgebot/internal/score"
	"github.com/nudgebot/nudgebot/internal/store"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"go.uber.org/zap"
)

const (
	// eventTTL is how long an event ID is remembered. Slack retries an
	// event three times over about an hour and a half; a day is ample.
	eventTTL = 24 * time.Hour
	// escalationWindow is how long after a nudge (or a withheld one) the
	// customer's next message counts toward "did it help".
	escalationWindow = 30 * time.Minute
)

// onMessage deals with one message event and reports it, after the nudge
// was posted when there is one.
func (b *Bot) onMessage(ctx context.Context, j job, team string, h Handled, ev *slackevents.MessageEvent) {
	h.Channel, h.User = ev.Channel, ev.User
	post, err := b.message(ctx, team, &h, ev)
	if err != nil {
		h.Err = err
		b.log.Warn("message not handled", zap.String("event_id", h.EventID),
			zap.String("channel_id", ev.Channel), zap.String("user_id", ev.User), zap.Error(err))
	}
	if post == nil {
		b.done(h)
		return
	}
	b.goPost(ctx, func(ctx context.Context) {
		if err := post(ctx); err != nil {
			h.Err = err
			b.log.Warn("nudge not posted", zap.Int64("nudge_id", h.NudgeID),
				zap.String("channel_id", ev.Channel), zap.String("user_id", ev.User), zap.Error(err))
		} else {
			b.m.nudgeDelay.Observe(time.Since(j.received).Seconds())
		}
		b.done(h)
	})
}

// message runs the pipeline: filters, who is speaking, settings, dedup,
// score, then snooze, cooldown, shadow, cap and experiment. It sets
// h.Outcome, and returns the post to make when a nudge is to be sent.
func (b *Bot) message(ctx context.Context, team string, h *Handled, ev *slackevents.MessageEvent) (func(context.Context) error, error) {
	if reason := skipReason(ev, b.self); reason != "" {
		b.m.skipped.WithLabelValues(reason).Inc()
		h.Outcome = "skipped:" + reason
		return nil, nil
	}
	u, err := b.users.get(ctx, ev.User)
	if err != nil {
		b.m.skipped.WithLabelValues("user_lookup").Inc()
		h.Outcome = "skipped:user_lookup"
		return nil, err
	}
	now := b.now()
	switch u.Role {
	case Ignored:
		b.m.skipped.WithLabelValues("ignored_user").Inc()
		h.Outcome = "skipped:ignored_user"
		return nil, nil
	case Customer:
		h.Outcome = "customer"
		b.convos.customerSaid(ev.Channel, ev.ThreadTimeStamp, ev.TimeStamp, ev.Text)
		escalated := score.Escalated(ev.Text, b.rules)
		if _, err := b.store.ResolveEscalation(ctx, team, ev.Channel, ev.ThreadTimeStamp, now.Add(-escalationWindow), escalated); err != nil {
			return nil, fmt.Errorf("resolve escalation: %w", err)
		}
		return nil, nil
	}

	set, err := b.Settings(ctx, team, ev.Channel)
	if err != nil {
		return nil, err
	}
	if !set.Enabled {
		b.m.skipped.WithLabelValues("channel_off").Inc()
		h.Outcome = "skipped:channel_off"
		return nil, nil
	}
	eventID := h.EventID
	if eventID == "" {
		eventID = "msg:" + ev.Channel + ":" + ev.TimeStamp
	}
	first, _, err := b.store.MarkEvent(ctx, eventID, now, now.Add(eventTTL))
	if err != nil {
		return nil, fmt.Errorf("mark event: %w", err)
	}
	if !first {
		b.m.skipped.WithLabelValues("duplicate").Inc()
		h.Outcome = "skipped:duplicate"
		return nil, nil
	}

	res := score.Evaluate(score.Message{
		Text:    ev.Text,
		Context: b.convos.last(ev.Channel, ev.ThreadTimeStamp),
		At:      slackTime(ev.TimeStamp, now),
		Off:     set.Off,
	}, b.rules)
	b.m.scored.Inc()
	b.m.score.Observe(res.Score)
	if err := b.store.AddScored(ctx, team, ev.Channel, now, 1); err != nil {
		return nil, fmt.Errorf("count scored: %w", err)
	}
	b.log.Debug("scored", zap.String("event_id", h.EventID), zap.Float64("score", res.Score),
		zap.String("family", string(res.Family)), zap.String("text", ev.Text))
	h.Outcome = "scored"
	if !res.Nudge(set.Threshold) {
		return nil, nil
	}

	until, err := b.store.SnoozedUntil(ctx, team, ev.User, now)
	if err != nil {
		return nil, fmt.Errorf("snooze: %w", err)
	}
	if !until.IsZero() {
		h.Outcome = "snoozed"
		return nil, nil
	}
	ok, err := b.store.ClaimCooldown(ctx, team, ev.Channel, ev.User, eventID, now, set.Cooldown)
	if err != nil {
		return nil, fmt.Errorf("cooldown: %w", err)
	}
	if !ok {
		h.Outcome = "cooldown"
		return nil, nil
	}

	outcome := store.Sent
	switch {
	case set.Shadow:
		outcome = store.Shadowed
	case set.Cap > 0:
		n, err := b.store.CountSent(ctx, team, ev.User, utcMidnight(now))
		if err != nil {
			return nil, fmt.Errorf("count sent: %w", err)
		}
		if n >= set.Cap {
			outcome = store.Capped
		}
	}
	if outcome == store.Sent && set.Experiment > 0 && b.random()*100 < float64(set.Experiment) {
		outcome = store.Withheld
	}

	hit, _ := trigger(res)
	id, err := b.store.RecordNudge(ctx, store.Nudge{
		Team:      team,
		Channel:   ev.Channel,
		User:      ev.User,
		MessageTS: ev.TimeStamp,
		ThreadTS:  ev.ThreadTimeStamp,
		RuleID:    hit.RuleID,
		Family:    string(res.Family),
		Score:     res.Score,
		Outcome:   outcome,
		At:        now,
	})
	if err != nil {
		return nil, fmt.Errorf("record nudge: %w", err)
	}
	h.Outcome, h.NudgeID = string(outcome), id
	b.m.nudges.WithLabelValues(string(res.Family), string(outcome)).Inc()
	b.log.Info("nudge", zap.String("outcome", string(outcome)), zap.Int64("nudge_id", id),
		zap.String("event_id", h.EventID), zap.String("channel_id", ev.Channel), zap.String("user_id", ev.User),
		zap.String("rule", hit.RuleID), zap.Float64("score", res.Score))
	if outcome != store.Sent {
		return nil, nil
	}

	blocks := nudgeBlocks(res, ev.Text, id)
	channel, user, thread, reminder := ev.Channel, ev.User, ev.ThreadTimeStamp, res.Reminder
	return func(ctx context.Context) error {
		return b.call(ctx, "chat.postEphemeral", func(ctx context.Context) error {
			_, err := b.api.PostEphemeralContext(ctx, channel, user,
				slack.MsgOptionText(reminder, false),
				slack.MsgOptionBlocks(blocks...),
				slack.MsgOptionTS(thread))
			return err
		})
	}, nil
}

// skipReason says why a message event is not for the bot, or "".
func skipReason(ev *slackevents.MessageEvent, self Identity) string {
	switch {
	case ev.ChannelType == slackevents.ChannelTypeIM || ev.ChannelType == slackevents.ChannelTypeMPIM:
		return "direct_message"
	case ev.BotID != "" || (ev.User != "" && ev.User == self.UserID):
		return "bot"
	case ev.SubType != "" && ev.SubType != "thread_broadcast":
		return "subtype"
	case ev.User == "":
		return "no_user"
	}
	return ""
}

// lookupUser asks users.info who id is.
func (b *Bot) lookupUser(ctx context.Context, id string) (User, error) {
	var u *slack.User
	err := b.call(ctx, "users.info", func(ctx context.Context) error {
		var err error
		u, err = b.api.GetUserInfoContext(ctx, id)
		return err
	})
	if err != nil {
		return User{}, err
	}
	return classify(u, b.self.TeamID), nil
}

// slackTime reads a Slack timestamp ("1700000000.000100"), or returns
// fallback when it does not parse.
func slackTime(ts string, fallback time.Time) time.Time {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return fallback
	}
	var us int64
	if frac != "" {
		frac = (frac + "000000")[:6]
		if us, err = strconv.ParseInt(frac, 10, 64); err != nil {
			us = 0
		}
	}
	return time.Unix(s, us*1000).UTC()
}

func utcMidnight(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// envelopeID digs the envelope ID out of a frame socketmode could not
// parse, so it can still be acked.
func envelopeID(raw json.RawMessage) string {
	var env struct {
		EnvelopeID string `json:"envelope_id"`
	}
	if json.Unmarshal(raw, &env) != nil {
		return ""
	}
	return env.EnvelopeID
}
