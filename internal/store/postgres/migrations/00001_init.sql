-- nudgebot's PostgreSQL schema.
--
-- Times are timestamptz (microseconds, UTC); scored.day is the UTC date.
-- Nothing here holds message text: only Slack IDs, timestamps, rule IDs,
-- families, scores and flags. Tables live in the connection's
-- search_path, so one database can hold several nudgebots (or tests) in
-- separate schemas.
--
-- The file keeps goose's annotations so it can move to goose unchanged.

-- +goose Up

-- settings: one value per (team, channel, key); channel '' is the
-- workspace default. A removed setting is a deleted row.
CREATE TABLE settings (
	team    text NOT NULL,
	channel text NOT NULL,
	key     text NOT NULL,
	value   text NOT NULL,
	PRIMARY KEY (team, channel, key)
);

-- audit: every settings change, old and new value, who and when. Read
-- newest first per (team, channel).
CREATE TABLE audit (
	id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	team    text        NOT NULL,
	channel text        NOT NULL,
	key     text        NOT NULL,
	old     text        NOT NULL,
	new     text        NOT NULL,
	by_user text        NOT NULL,
	at      timestamptz NOT NULL
);
CREATE INDEX audit_team_channel_at ON audit (team, channel, at DESC, id DESC);

-- snoozes: an agent's snooze end.
CREATE TABLE snoozes (
	team    text        NOT NULL,
	user_id text        NOT NULL,
	until   timestamptz NOT NULL,
	PRIMARY KEY (team, user_id)
);

-- cooldown_marks: the last claimed nudge per agent per channel.
CREATE TABLE cooldown_marks (
	team    text        NOT NULL,
	channel text        NOT NULL,
	user_id text        NOT NULL,
	last    timestamptz NOT NULL,
	PRIMARY KEY (team, channel, user_id)
);
CREATE INDEX cooldown_marks_last ON cooldown_marks (last);

-- seen_events: Slack event IDs already handled, until they expire.
CREATE TABLE seen_events (
	event_id text        PRIMARY KEY,
	expires  timestamptz NOT NULL
);
CREATE INDEX seen_events_expires ON seen_events (expires);

-- nudges: one row per message that passed its threshold. escalated is
-- NULL until the customer's next message resolves it.
CREATE TABLE nudges (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	team       text             NOT NULL,
	channel    text             NOT NULL,
	user_id    text             NOT NULL,
	message_ts text             NOT NULL,
	thread_ts  text             NOT NULL,
	rule_id    text             NOT NULL,
	family     text             NOT NULL,
	score      double precision NOT NULL,
	outcome    text             NOT NULL CHECK (outcome IN ('sent', 'shadowed', 'withheld', 'capped')),
	at         timestamptz      NOT NULL,
	escalated  boolean
);
-- Stats and Prune scan by time within a team.
CREATE INDEX nudges_team_at ON nudges (team, at);
CREATE INDEX nudges_at ON nudges (at);
-- CountSent (the daily cap).
CREATE INDEX nudges_sent ON nudges (team, user_id, at) WHERE outcome = 'sent';
-- ResolveEscalation: only unresolved rows are ever looked up.
CREATE INDEX nudges_unresolved ON nudges (team, channel, thread_ts, at) WHERE escalated IS NULL;

-- feedback: one click per agent per nudge; a second click replaces it.
CREATE TABLE feedback (
	nudge_id bigint      NOT NULL REFERENCES nudges (id) ON DELETE CASCADE,
	user_id  text        NOT NULL,
	helpful  boolean     NOT NULL,
	at       timestamptz NOT NULL,
	PRIMARY KEY (nudge_id, user_id)
);

-- scored: agent messages scored per channel per UTC day.
CREATE TABLE scored (
	team    text    NOT NULL,
	channel text    NOT NULL,
	day     date    NOT NULL,
	n       integer NOT NULL,
	PRIMARY KEY (team, channel, day)
);
CREATE INDEX scored_day ON scored (day);

-- +goose Down
DROP TABLE scored;
DROP TABLE feedback;
DROP TABLE nudges;
DROP TABLE seen_events;
DROP TABLE cooldown_marks;
DROP TABLE snoozes;
DROP TABLE audit;
DROP TABLE settings;
