// Package store defines what nudgebot keeps between messages and restarts,
// and the Store interface that its SQLite and PostgreSQL drivers implement
// with the same behaviour (see storetest).
//
// Nothing here holds message text: only Slack IDs, timestamps, rule IDs,
// families, scores and flags.
package store

import (
	"context"
	"errors"
	"time"
)

// Errors the drivers map their own errors to.
var (
	// ErrNotFound means the record asked for does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrUnavailable means the database did not answer; the caller may retry.
	ErrUnavailable = errors.New("store: unavailable")
)

// Setting keys. Values are strings; their meaning is the caller's (the bot
// parses them). A workspace default has Channel "".
const (
	KeyThreshold  = "threshold"  // float in (0,1]
	KeyCooldown   = "cooldown"   // Go duration
	KeyEnabled    = "enabled"    // "on" | "off"
	KeyShadow     = "shadow"     // "on" | "off"
	KeyCap        = "cap"        // nudges per agent per day, workspace level
	KeyExperiment = "experiment" // percent withheld as a control group
	KeyRulePrefix = "rule."      // "rule.<family>" = "on" | "off"
)

// Change is one settings change, as written to the audit log.
type Change struct {
	Team    string
	Channel string // "" for the workspace default
	Key     string
	// Old is the value before the change ("" when unset); SetSetting fills it.
	Old string
	// New is the value after the change; "" removes the setting, so the
	// next level's value applies again.
	New string
	By  string // Slack user ID of who changed it
	At  time.Time
}

// Outcome says what happened to a would-be nudge.
type Outcome string

// Outcomes of a message that passed its threshold.
const (
	Sent     Outcome = "sent"     // posted to the agent
	Shadowed Outcome = "shadowed" // the channel is in shadow mode: recorded, not posted
	Withheld Outcome = "withheld" // held back at random as the experiment's control group
	Capped   Outcome = "capped"   // the agent reached the daily cap
	// Failed is a nudge that was to be sent but whose post failed for
	// good; it is not counted as sent (see SetOutcome).
	Failed Outcome = "failed"
)

// Nudge is the record of one message that passed its channel's threshold.
// It never holds the message text.
type Nudge struct {
	ID        int64
	Team      string
	Channel   string
	User      string // the agent
	MessageTS string // the agent message's ts
	ThreadTS  string // the thread it was in, "" for the channel itself
	RuleID    string // the rule of the hit that chose the family
	Family    string
	Score     float64
	Outcome   Outcome
	At        time.Time
	// Escalated is nil until the customer's next message in the same thread
	// or channel arrives within the window, then whether it escalated.
	Escalated *bool
}

// Feedback is an agent's click on a nudge's buttons.
type Feedback struct {
	NudgeID int64
	User    string
	Helpful bool
	At      time.Time
}

// Since bounds a stats query: [From, To).
type Since struct {
	Team    string
	Channel string // "" for the whole workspace
	User    string // "" for every agent
	From    time.Time
	To      time.Time
}

// FamilyStats counts one family's nudges and clicks.
type FamilyStats struct {
	Family     string
	Sent       int
	Shadowed   int
	Withheld   int
	Helpful    int
	NotHelpful int
}

// RuleStats counts one rule's clicks.
type RuleStats struct {
	RuleID     string
	Family     string
	Sent       int
	Helpful    int
	NotHelpful int
}

// EscalationStats counts, for one group of messages (nudged, or withheld
// as control), how many had a customer reply within the window and how
// many of those replies escalated.
type EscalationStats struct {
	Messages  int
	Replied   int
	Escalated int
}

// Stats are the figures behind `/nudge stats` and the App Home tab.
type Stats struct {
	Scored   int // agent messages scored
	Sent     int
	Shadowed int
	Withheld int
	Capped   int
	Failed   int // to be sent, but the post failed for good
	Agents   int // distinct agents with a sent nudge
	Helpful  int
	// NotHelpful counts clicks on nudge_not_helpful.
	NotHelpful int
	Families   []FamilyStats // every family with any record, by Family
	Rules      []RuleStats   // every rule with any record, most NotHelpful first
	// Nudged is the escalation after sent nudges; Control after withheld ones.
	Nudged  EscalationStats
	Control EscalationStats
}

// Store is everything the bot keeps. Implementations are safe for
// concurrent use by several goroutines and, for PostgreSQL, by several
// processes sharing one database: every method that decides something
// (MarkEvent, ClaimCooldown) decides it atomically in the database.
type Store interface {
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error

	// Settings returns the settings set at exactly this level: a channel's
	// own, or the workspace default's when channel is "".
	Settings(ctx context.Context, team, channel string) (map[string]string, error)
	// SetSetting applies c and writes it to the audit log in one
	// transaction, returning c with Old filled in.
	SetSetting(ctx context.Context, c Change) (Change, error)
	// Audit returns the latest changes for a channel (or, with channel "",
	// for the workspace default), newest first (by At, then by the order
	// they were written), at most limit; a limit of 0 or less returns none.
	Audit(ctx context.Context, team, channel string, limit int) ([]Change, error)
	// Channels returns the channels of team that have any setting of their
	// own, sorted bytewise.
	Channels(ctx context.Context, team string) ([]string, error)

	// Snooze silences nudges to user until the given time; a zero until
	// lifts the snooze.
	Snooze(ctx context.Context, team, user string, until time.Time) error
	// SnoozedUntil returns when user's snooze ends, or the zero time when
	// there is none (an expired snooze counts as none).
	SnoozedUntil(ctx context.Context, team, user string, now time.Time) (time.Time, error)

	// MarkEvent claims a Slack event ID until expires and reports whether
	// this caller took it. A mark whose expires is at or before now counts
	// as absent. Of two callers racing with one ID, exactly one gets true.
	// When first is false, held is when the live mark expires (the bot
	// tells a short claim, a lease, from a finished event by it); held
	// may be the zero time if the mark vanished in between.
	MarkEvent(ctx context.Context, eventID string, now, expires time.Time) (first bool, held time.Time, err error)
	// FinishEvent sets the mark of eventID to expire at expires (creating
	// it if it is gone): the bot claims an event with a short lease, and
	// keeps it for a day once the event is dealt with.
	FinishEvent(ctx context.Context, eventID string, expires time.Time) error
	// RenewEvent moves the mark of eventID from held, the caller's own
	// lease, to expires, and reports false when the mark is no longer
	// held (another caller took the event over, or it is gone): a
	// claimant about to wait out a long rate limit keeps its claim, so no
	// other replica takes the event over meanwhile.
	RenewEvent(ctx context.Context, eventID string, held, expires time.Time) (bool, error)

	// ClaimCooldown atomically checks and takes the cooldown of one agent in
	// one channel for the event eventID: it reports true, and records now
	// and eventID, when the agent's last claim there is at least cooldown
	// before now (or there is none), or was taken by the same non-empty
	// eventID (a retry, or another replica taking over a dead one's
	// event). A failed claim changes nothing. A cooldown of 0 always
	// succeeds.
	ClaimCooldown(ctx context.Context, team, channel, user, eventID string, now time.Time, cooldown time.Duration) (bool, error)

	// RecordNudge stores n and returns its ID. It is idempotent per
	// message: a second record with the same non-empty (Team, Channel,
	// MessageTS) updates the first (all but its ID, MessageTS and
	// Escalated) and returns its ID, so a message handled twice counts
	// once.
	RecordNudge(ctx context.Context, n Nudge) (int64, error)
	// RecordCapped is RecordNudge under a daily cap: the record's outcome
	// is Capped instead of n.Outcome when the agent (n.Team, n.User)
	// already has limit records with Outcome Sent at or after from, not
	// counting this message's own; it returns the outcome recorded. The
	// count and the record are one atomic step: of callers racing for
	// the agent's last slot, across processes too, one gets it. A limit
	// of 0 or less caps nothing.
	RecordCapped(ctx context.Context, n Nudge, from time.Time, limit int) (int64, Outcome, error)
	// SetOutcome changes the outcome of one record (Failed, when a nudge's
	// post failed for good), or returns ErrNotFound.
	SetOutcome(ctx context.Context, id int64, outcome Outcome) error
	// Nudge returns one record, or ErrNotFound.
	Nudge(ctx context.Context, id int64) (Nudge, error)
	// ResolveEscalation sets Escalated on every sent or withheld record in
	// that channel and thread (threadTS "" for the channel itself), and on
	// the thread's parent message (a top-level record whose MessageTS is
	// threadTS: the customer answered in its thread), that is still
	// unresolved and at or after since, and returns how many it set.
	ResolveEscalation(ctx context.Context, team, channel, threadTS string, since time.Time, escalated bool) (int, error)

	// AddScored adds n to the count of agent messages scored in a channel
	// on the UTC day of at.
	AddScored(ctx context.Context, team, channel string, at time.Time, n int) error
	// RecordFeedback stores a click. A second click by the same user on the
	// same nudge replaces the first. An unknown nudge is ErrNotFound.
	RecordFeedback(ctx context.Context, f Feedback) error
	// Stats sums the records in the range. Nudges and their feedback count
	// by the nudge's At; Scored counts every UTC day that overlaps
	// [From, To) and ignores q.User (it is kept per channel).
	Stats(ctx context.Context, q Since) (Stats, error)

	// Prune deletes seen event IDs and snoozes that have expired by now,
	// and records (nudges, feedback, cooldown marks, scored counts) older
	// than before; a day's scored count goes once the whole day is before
	// before. Settings and the audit log are kept.
	Prune(ctx context.Context, now, before time.Time) error
}
