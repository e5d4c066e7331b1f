-- Claims that survive a replica dying mid-event, and nudges whose post
-- failed.
--
-- cooldown_marks.event_id: the event that took the cooldown, so the same
-- event may take it again (a retry, or a replica taking over a dead
-- one's event). nudges gets the 'failed' outcome and one row per message
-- (team, channel, message_ts), so a message handled twice counts once.
-- SQLite cannot change a CHECK constraint: nudges (and feedback, which
-- references it) are rebuilt.

-- +goose Up
ALTER TABLE cooldown_marks ADD COLUMN event_id TEXT NOT NULL DEFAULT '';

CREATE TABLE nudges_new (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	team       TEXT    NOT NULL,
	channel    TEXT    NOT NULL,
	user_id    TEXT    NOT NULL,
	message_ts TEXT    NOT NULL,
	thread_ts  TEXT    NOT NULL,
	rule_id    TEXT    NOT NULL,
	family     TEXT    NOT NULL,
	score      REAL    NOT NULL,
	outcome    TEXT    NOT NULL CHECK (outcome IN ('sent', 'shadowed', 'withheld', 'capped', 'failed')),
	at         INTEGER NOT NULL,
	escalated  INTEGER CHECK (escalated IN (0, 1))
);
-- Keep the first record of a message recorded twice before this version.
INSERT INTO nudges_new SELECT * FROM nudges
WHERE message_ts = '' OR id IN (SELECT min(id) FROM nudges WHERE message_ts <> '' GROUP BY team, channel, message_ts);
CREATE TABLE feedback_old AS SELECT * FROM feedback;
DROP TABLE feedback;
DROP TABLE nudges;
ALTER TABLE nudges_new RENAME TO nudges;
CREATE INDEX nudges_team_at ON nudges (team, at);
CREATE INDEX nudges_at ON nudges (at);
CREATE INDEX nudges_sent ON nudges (team, user_id, at) WHERE outcome = 'sent';
CREATE INDEX nudges_unresolved ON nudges (team, channel, thread_ts, at) WHERE escalated IS NULL;
CREATE UNIQUE INDEX nudges_message ON nudges (team, channel, message_ts) WHERE message_ts <> '';

CREATE TABLE feedback (
	nudge_id INTEGER NOT NULL REFERENCES nudges (id) ON DELETE CASCADE,
	user_id  TEXT    NOT NULL,
	helpful  INTEGER NOT NULL CHECK (helpful IN (0, 1)),
	at       INTEGER NOT NULL,
	PRIMARY KEY (nudge_id, user_id)
) WITHOUT ROWID;
INSERT INTO feedback SELECT * FROM feedback_old WHERE nudge_id IN (SELECT id FROM nudges);
DROP TABLE feedback_old;

-- +goose Down
CREATE TABLE nudges_old (
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
INSERT INTO nudges_old SELECT * FROM nudges WHERE outcome <> 'failed';
CREATE TABLE feedback_new AS SELECT * FROM feedback;
DROP TABLE feedback;
DROP TABLE nudges;
ALTER TABLE nudges_old RENAME TO nudges;
CREATE INDEX nudges_team_at ON nudges (team, at);
CREATE INDEX nudges_at ON nudges (at);
CREATE INDEX nudges_sent ON nudges (team, user_id, at) WHERE outcome = 'sent';
CREATE INDEX nudges_unresolved ON nudges (team, channel, thread_ts, at) WHERE escalated IS NULL;
CREATE TABLE feedback (
	nudge_id INTEGER NOT NULL REFERENCES nudges (id) ON DELETE CASCADE,
	user_id  TEXT    NOT NULL,
	helpful  INTEGER NOT NULL CHECK (helpful IN (0, 1)),
	at       INTEGER NOT NULL,
	PRIMARY KEY (nudge_id, user_id)
) WITHOUT ROWID;
INSERT INTO feedback SELECT * FROM feedback_new WHERE nudge_id IN (SELECT id FROM nudges);
DROP TABLE feedback_new;
ALTER TABLE cooldown_marks DROP COLUMN event_id;
