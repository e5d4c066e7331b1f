package slackbot

import "context"

// isManager reports whether user may change settings in the bot's
// workspace: a user named in NUDGE_MANAGERS, or a workspace admin or owner
// (from users.info, through the user cache). A users.info failure is an
// error, never a yes.
func (b *Bot) isManager(ctx context.Context, user string) (bool, error) {
	if b.managers[user] {
		return true, nil
	}
	u, err := b.users.get(ctx, user)
	if err != nil {
		return false, err
	}
	return u.Admin, nil
}
