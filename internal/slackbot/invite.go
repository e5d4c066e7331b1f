package slackbot

import (
	"context"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"go.uber.org/zap"
)

// onJoined answers the bot's own arrival in a channel: it tells whoever
// invited it, privately, what it will do there. Without an inviter it says
// nothing: it never posts in the channel.
func (b *Bot) onJoined(ctx context.Context, h Handled, ev *slackevents.MemberJoinedChannelEvent) {
	h.Channel, h.User = ev.Channel, ev.Inviter
	switch {
	case ev.User != b.self.UserID:
		h.Outcome = "skipped:not_the_bot"
	case ev.Inviter == "":
		h.Outcome = "skipped:no_inviter"
	}
	if h.Outcome != "" {
		b.done(h)
		return
	}
	b.log.Info("invited", zap.String("channel_id", ev.Channel), zap.String("inviter_id", ev.Inviter))
	b.goPost(ctx, func(ctx context.Context) {
		h.Err = b.call(ctx, "chat.postEphemeral", func(ctx context.Context) error {
			_, err := b.api.PostEphemeralContext(ctx, ev.Channel, ev.Inviter,
				slack.MsgOptionText(inviteText(ev.Channel), false))
			return err
		})
		if h.Err != nil {
			b.log.Warn("invite message not posted", zap.String("channel_id", ev.Channel), zap.Error(h.Err))
		}
		h.Outcome = "posted"
		b.done(h)
	})
}
