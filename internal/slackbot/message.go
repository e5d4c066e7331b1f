package slackbot

import (
	"context"
	"encoding/json"
	"errors"
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
// was posted when there is one. A message whose store call found the
// database unavailable, or whose event another claimant holds, is put
// aside and tried again later (see retryStore and recheck), off the
// worker.
func (b *Bot) onMessage(ctx context.Context, j job, team string, h Handled, ev *slackevents.MessageEvent) {
	h.Channel, h.User = ev.Channel, ev.User
	post, err := b.message(ctx, &j, team, &h, ev)
	var held errHeld
	var later errLookupLater
	switch {
	case errors.As(err, &held):
		b.recheck(j, h, held.until)
		return
	case errors.As(err, &later):
		b.lookupLater(j, h, later)
		return
	case errors.Is(err, store.ErrUnavailable) && ctx.Err() == nil:
		b.retryStore(j, h, err)
		return
	case err != nil:
		h.Err = err
		b.log.Warn("message not handled", zap.String("event_id", h.EventID),
			zap.String("channel_id", ev.Channel), zap.String("user_id", ev.User), zap.Error(err))
	}
	if post == nil {
		b.finish(ctx, j, h)
		b.done(h)
		return
	}
	b.goPost(ctx, func(ctx context.Context) {
		switch err := post(ctx); {
		case errors.Is(err, errClaimLost):
			// Another replica took the event over and posts the nudge.
			b.m.skipped.WithLabelValues("taken_over").Inc()
			h.Outcome = "skipped:taken_over"
			b.done(h)
			return
		case err != nil:
			h.Err = err
			b.log.Warn("nudge not posted", zap.Int64("nudge_id", h.NudgeID),
				zap.String("channel_id", ev.Channel), zap.String("user_id", ev.User), zap.Error(err))
			h.Outcome = string(store.Failed)
		default:
			b.m.nudgeDelay.Observe(time.Since(j.received).Seconds())
		}
		b.finish(ctx, j, h)
		b.done(h)
	})
}

// errHeld says another claimant holds the event until until.
type errHeld struct{ until time.Time }

func (e errHeld) Error() string { return "event held by another claimant until " + e.until.String() }

// finish keeps the event's mark for a day once this job, which claimed
// it, has dealt with it, so later copies are duplicates at once.
func (b *Bot) finish(ctx context.Context, j job, h Handled) {
	if j.retry.lease.IsZero() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, b.storeTimeout)
	defer cancel()
	if err := b.store.FinishEvent(ctx, eventKey(h, j), b.now().Add(eventTTL)); err != nil {
		// The lease runs out instead: a copy on another replica may
		// deal with the event again, which the cooldown and the
		// per-message record keep from counting twice.
		b.log.Warn("event not finished", zap.String("event_id", h.EventID), zap.Error(err))
	}
}

// failed records that a nudge to be sent was not posted, so stats do not
// count it as sent.
func (b *Bot) failed(ctx context.Context, id int64, family string) {
	b.m.nudges.WithLabelValues(family, string(store.Failed)).Inc()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.storeTimeout)
	defer cancel()
	if err := b.store.SetOutcome(ctx, id, store.Failed); err != nil {
		b.log.Warn("failed nudge not recorded", zap.Int64("nudge_id", id), zap.Error(err))
	}
}

// retryStore puts j aside after a store outage: 250ms doubling to 8s (by
// default), for up to StoreRetryFor, then drops it. The first time, it
// reports the message as "retrying".
func (b *Bot) retryStore(j job, h Handled, err error) {
	r := &j.retry
	first := r.storeTries == 0
	if first {
		r.failedAt = time.Now()
	}
	wait := min(b.storeRetry<<min(r.storeTries, 5), 32*b.storeRetry)
	r.storeTries++
	if time.Since(r.failedAt)+wait > b.storeRetryFor {
		b.log.Warn("message dropped: the store stayed unavailable", zap.String("event_id", h.EventID),
			zap.String("channel_id", h.Channel), zap.Int("tries", r.storeTries), zap.Error(err))
		b.dropped(j, "store_unavailable")
		return
	}
	b.m.storeRetries.Inc()
	b.log.Debug("store unavailable; message put aside", zap.String("event_id", h.EventID),
		zap.Duration("wait", wait), zap.Error(err))
	// The first time, the message is reported as retrying once it is held
	// (so nudgebot_messages_held counts it) and before it can run again.
	var report func()
	if first {
		report = func() {
			b.log.Warn("message put aside: the store is unavailable", zap.String("event_id", h.EventID),
				zap.String("channel_id", h.Channel), zap.String("user_id", h.User), zap.Error(err))
			h.Outcome, h.Err = "retrying", err
			b.done(h)
		}
	}
	if reason := b.later.after(j, wait, report); reason != "" {
		b.dropped(j, reason)
	}
}

// errLookupLater says users.info was rate limited: the message is to be
// tried again after wait, off the worker.
type errLookupLater struct {
	wait time.Duration
	err  error
}

func (e errLookupLater) Error() string {
	return "put aside for users.info's rate limit: " + e.err.Error()
}
func (e errLookupLater) Unwrap() error { return e.err }

// lookupLater puts j aside until users.info's Retry-After has passed, so
// the rate limit holds up no other event on this worker.
func (b *Bot) lookupLater(j job, h Handled, e errLookupLater) {
	j.retry.lookupWaits++
	b.m.apiRetries.WithLabelValues("users.info").Inc()
	b.log.Debug("users.info rate limited; message put aside", zap.String("event_id", h.EventID),
		zap.Duration("retry_after", e.wait))
	if reason := b.later.after(j, e.wait, nil); reason != "" {
		b.dropped(j, reason)
	}
}

// maxRechecks bounds how often a copy looks again at another claimant's
// lease; firstRecheck is its first wait, doubled each time and cut to
// the lease's end.
const (
	maxRechecks  = 8
	firstRecheck = 500 * time.Millisecond
)

// recheck puts aside a copy of an event another claimant holds under a
// lease: if it finishes, the copy is then a duplicate; if it died, its
// lease runs out and this copy takes the event over.
func (b *Bot) recheck(j job, h Handled, until time.Time) {
	r := &j.retry
	if r.rechecks >= maxRechecks {
		b.m.skipped.WithLabelValues("duplicate").Inc()
		h.Outcome = "skipped:duplicate"
		b.done(h)
		return
	}
	wait := firstRecheck << r.rechecks
	if left := until.Sub(b.now()); left < wait {
		wait = max(left, 0)
	}
	// Jitter, so the copies of one event on several replicas do not all
	// look at once.
	wait += time.Duration(b.random() * float64(firstRecheck/5))
	r.rechecks++
	b.m.rechecks.Inc()
	if reason := b.later.after(j, wait, nil); reason != "" {
		b.dropped(j, reason)
	}
}

// dropped reports a message job given up on.
func (b *Bot) dropped(j job, reason string) {
	b.m.dropped.WithLabelValues(reason).Inc()
	h := Handled{Kind: j.kind, Outcome: "dropped:" + reason}
	if j.ev.Request != nil {
		h.EnvelopeID = j.ev.Request.EnvelopeID
	}
	if d, ok := j.ev.Data.(slackevents.EventsAPIEvent); ok {
		if cb, ok := d.Data.(*slackevents.EventsAPICallbackEvent); ok {
			h.EventID = cb.EventID
		}
		if ev, ok := d.InnerEvent.Data.(*slackevents.MessageEvent); ok {
			h.Channel, h.User = ev.Channel, ev.User
		}
	}
	if reason != "shutdown" {
		b.log.Warn("message dropped", zap.String("reason", reason), zap.String("event_id", h.EventID),
			zap.String("channel_id", h.Channel))
	}
	b.done(h)
}

// eventKey is the ID the event is claimed by.
func eventKey(h Handled, j job) string {
	if h.EventID != "" {
		return h.EventID
	}
	if d, ok := j.ev.Data.(slackevents.EventsAPIEvent); ok {
		if ev, ok := d.InnerEvent.Data.(*slackevents.MessageEvent); ok {
			return "msg:" + ev.Channel + ":" + ev.TimeStamp
		}
	}
	return ""
}

// message runs the pipeline: filters, who is speaking, settings, dedup,
// score, then snooze, cooldown, shadow, cap and experiment. It sets
// h.Outcome, and returns the post to make when a nudge is to be sent.
func (b *Bot) message(ctx context.Context, j *job, team string, h *Handled, ev *slackevents.MessageEvent) (func(context.Context) error, error) {
	if reason := skipReason(ev, b.self); reason != "" {
		b.m.skipped.WithLabelValues(reason).Inc()
		h.Outcome = "skipped:" + reason
		return nil, nil
	}
	u, err := b.users.get(ctx, ev.User)
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) && j.retry.lookupWaits < b.retries && rl.RetryAfter <= maxRetryAfter {
		return nil, errLookupLater{wait: rl.RetryAfter, err: err}
	}
	if err != nil {
		if rl != nil { // rate limited too often, or for too long
			b.m.apiErrors.WithLabelValues("users.info").Inc()
		}
		b.m.skipped.WithLabelValues("user_lookup").Inc()
		h.Outcome = "skipped:user_lookup"
		return nil, err
	}
	// From here on, store work only (the post runs later, on its own
	// context): bound it, as a database that blackholes packets would
	// otherwise hold this channel's worker.
	ctx, cancel := context.WithTimeout(ctx, b.storeTimeout)
	defer cancel()
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
	eventID := eventKey(*h, *j)
	// Claim the event with a lease. A retry of this job finds its own
	// lease (the same expiry) and goes on.
	lease := now.Add(b.lease).Truncate(time.Microsecond)
	first, held, err := b.store.MarkEvent(ctx, eventID, now, lease)
	if err != nil {
		return nil, fmt.Errorf("mark event: %w", err)
	}
	switch {
	case first:
		j.retry.lease = lease
	case !j.retry.lease.IsZero() && held.Equal(j.retry.lease):
		// Ours, from before the store went away.
	case held.Sub(now) > eventTTL/2:
		// Finished by whoever claimed it.
		j.retry.lease = time.Time{}
		b.m.skipped.WithLabelValues("duplicate").Inc()
		h.Outcome = "skipped:duplicate"
		return nil, nil
	default:
		// Under another's lease: it is working on it, or died.
		j.retry.lease = time.Time{}
		return nil, errHeld{until: held}
	}

	res := score.Evaluate(score.Message{
		Text:    ev.Text,
		Context: b.convos.last(ev.Channel, ev.ThreadTimeStamp),
		At:      slackTime(ev.TimeStamp, now),
		Off:     set.Off,
	}, b.rules)
	if !j.retry.scored {
		if err := b.store.AddScored(ctx, team, ev.Channel, now, 1); err != nil {
			return nil, fmt.Errorf("count scored: %w", err)
		}
		j.retry.scored = true
		b.m.scored.Inc()
		b.m.score.Observe(res.Score)
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
	case set.Experiment > 0 && b.random()*100 < float64(set.Experiment):
		outcome = store.Withheld
	}
	// The daily cap counts sent nudges; the store decides it with the
	// record, so replicas nudging one agent at once cannot overshoot it.
	// Under the cap, a withheld nudge stays withheld: the experiment's
	// control group is nudges that would have been sent.
	limit := set.Cap
	if set.Shadow {
		limit = 0
	}
	hit, _ := trigger(res)
	id, outcome, err := b.store.RecordCapped(ctx, store.Nudge{
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
	}, utcMidnight(now), limit)
	if err != nil {
		return nil, fmt.Errorf("record nudge: %w", err)
	}
	h.Outcome, h.NudgeID = string(outcome), id
	if outcome != store.Sent { // a sent one counts once it is posted (or failed)
		b.m.nudges.WithLabelValues(string(res.Family), string(outcome)).Inc()
	}
	b.log.Info("nudge", zap.String("outcome", string(outcome)), zap.Int64("nudge_id", id),
		zap.String("event_id", h.EventID), zap.String("channel_id", ev.Channel), zap.String("user_id", ev.User),
		zap.String("rule", hit.RuleID), zap.Float64("score", res.Score))
	if outcome != store.Sent {
		return nil, nil
	}

	blocks := nudgeBlocks(res, ev.Text, id)
	channel, user, thread, reminder := ev.Channel, ev.User, ev.ThreadTimeStamp, res.Reminder
	family := string(res.Family)
	var c *claim
	if !j.retry.lease.IsZero() {
		c = &claim{event: eventID, until: j.retry.lease}
	}
	return func(ctx context.Context) error {
		err := b.callClaimed(ctx, "chat.postEphemeral", c, func(ctx context.Context) error {
			_, err := b.api.PostEphemeralContext(ctx, channel, user,
				slack.MsgOptionText(reminder, false),
				slack.MsgOptionBlocks(blocks...),
				slack.MsgOptionTS(thread))
			return err
		})
		switch {
		case err == nil:
			b.m.nudges.WithLabelValues(family, string(store.Sent)).Inc()
		case !errors.Is(err, errClaimLost): // else the replica that took it over counts it
			// Recorded as sent before the post (its buttons carry the
			// record's ID); it was not.
			b.failed(ctx, id, family)
		}
		return err
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

// lookupUser asks users.info who id is. It runs on a worker, so it does
// not wait out a 429: the RateLimitedError comes back for the caller to
// put its event aside (lookupLater) or to answer "try again".
func (b *Bot) lookupUser(ctx context.Context, id string) (User, error) {
	u, err := b.api.GetUserInfoContext(ctx, id)
	if err != nil {
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) {
			b.m.apiErrors.WithLabelValues("users.info").Inc()
		}
		return User{}, fmt.Errorf("users.info: %w", err)
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
