-- nudgebot's SQLite schema.
--
-- Times are INTEGER microseconds since the Unix epoch, UTC; scored.day is
-- the UTC day number (Unix seconds / 86400). Nothing here holds message
-- text: only Slack IDs, timestamps, rule IDs, families, scores and flags.

-- +goose Up

-- settings: one value per (team, channel, key); channel '' is the
-- workspace default. A removed setting is a deleted row.
CREATE TABLE settings (
	team    TEXT NOT NULL,
	channel TEXT NOT NULL,
	key     TEXT NOT NULL,
	value   TEXT NOT NULL,
	PRIMARY KEY (team, channel, key)
) WITHOUT ROWID;

-- audit: every settings change, old and new value, who and when. Read
-- newest first per (team, channel).
CREATE TABLE audit (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	team    TEXT    NOT NULL,
	channel TEXT    NOT NULL,
	key     TEXT    NOT NULL,
	old     TEXT    NOT NULL,
	new     TEXT    NOT NULL,
	by_user TEXT    NOT NULL,
	at      INTEGER NOT NULL
);
CREATE INDEX audit_team_channel_at ON audit (team, channel, at DESC, id DESC);

-- snoozes: an agent's snooze end.
CREATE TABLE snoozes (
	team    TEXT    NOT NULL,
	user_id TEXT    NOT NULL,
	until   INTEGER NOT NULL,
	PRIMARY KEY (team, user_id)
) WITHOUT ROWID;

-- cooldown_marks: the last claimed nudge per agent per channel.
CREATE TABLE cooldown_marks (
	team    TEXT    NOT NULL,
	channel TEXT    NOT NULL,
	user_id TEXT    NOT NULL,
	last    INTEGER NOT NULL,
	PRIMARY KEY (team, channel, user_id)
) WITHOUT ROWID;
CREATE INDEX cooldown_marks_last ON cooldown_marks (last);

-- seen_events: Slack event IDs already handled, until they expire.
CREATE TABLE seen_events (
	event_id TEXT    NOT NULL PRIMARY KEY,
	expires  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX seen_events_expires ON seen_events (expires);

-- nudges: one row per message that passed its threshold. escalated is
-- NULL until the customer's next message resolves it, then 0 or 1.
CREATE TABLE nudges (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	team       TEXT    NOT NULL,
	channel    TEXT    NOT NULL,
	user_id    TEXT    NOT NULL,
	message_ts TEXT    NOT NULL,
	thread_ts  TEXT    NOT NULL,
	rule_id    TEXT    NOT NULL,
	family     TEXT    NOT NULL,
	score      REAL    NOT NULL,
	outcome    TEXT    NOT NULL CHECK (outcome IN ('sent', 'shadowed', 'withheld', 'capped')),
	at         INTEGER NOT NULL,
	escalated  INTEGER CHECK (escalated IN (0, 1))
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
	nudge_id INTEGER NOT NULL REFERENCES nudges (id) ON DELETE CASCADE,
	user_id  TEXT    NOT NULL,
	helpful  INTEGER NOT NULL CHECK (helpful IN (0, 1)),
	at       INTEGER NOT NULL,
	PRIMARY KEY (nudge_id, user_id)
) WITHOUT ROWID;

-- scored: agent messages scored per channel per UTC day.
CREATE TABLE scored (
	team    TEXT    NOT NULL,
	channel TEXT    NOT NULL,
	day     INTEGER NOT NULL,
	n       INTEGER NOT NULL,
	PRIMARY KEY (team, channel, day)
) WITHOUT ROWID;
CREATE INDEX scored_team_day ON scored (team, day);
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
