-- Claims that survive a replica dying mid-event, and nudges whose post
-- failed.
--
-- cooldown_marks.event_id: the event that took the cooldown, so the same
-- event may take it again (a retry, or a replica taking over a dead
-- one's event). nudges gets the 'failed' outcome and one row per message
-- (team, channel, message_ts), so a message handled twice counts once.

-- +goose Up
ALTER TABLE cooldown_marks ADD COLUMN event_id text NOT NULL DEFAULT '';

ALTER TABLE nudges DROP CONSTRAINT nudges_outcome_check;
ALTER TABLE nudges ADD CONSTRAINT nudges_outcome_check
	CHECK (outcome IN ('sent', 'shadowed', 'withheld', 'capped', 'failed'));
-- Keep the first record of a message recorded twice before this version.
DELETE FROM nudges n USING nudges first
WHERE n.message_ts <> '' AND first.team = n.team AND first.channel = n.channel
	AND first.message_ts = n.message_ts AND first.id < n.id;
CREATE UNIQUE INDEX nudges_message ON nudges (team, channel, message_ts) WHERE message_ts <> '';

-- +goose Down
DROP INDEX nudges_message;
DELETE FROM nudges WHERE outcome = 'failed';
ALTER TABLE nudges DROP CONSTRAINT nudges_outcome_check;
ALTER TABLE nudges ADD CONSTRAINT nudges_outcome_check
	CHECK (outcome IN ('sent', 'shadowed', 'withheld', 'capped'));
ALTER TABLE cooldown_marks DROP COLUMN event_id;
