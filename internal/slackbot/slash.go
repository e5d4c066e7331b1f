package slackbot

import (
	"context"
	"errors"

	"github.com/nudgebot/nudgebot/internal/slash"
	"github.com/slack-go/slack"
	"go.uber.org/zap"
)

// handleSlash answers a /nudge command, privately, through its
// response_url (the envelope itself was acked at once, empty). It is the
// seam for the command handlers: for now it answers help and usage
// errors, and says the rest is not there yet.
func (b *Bot) handleSlash(ctx context.Context, cmd slack.SlashCommand) {
	var reply string
	c, err := slash.Parse(cmd.Text)
	var ue *slash.UsageError
	switch {
	case errors.As(err, &ue):
		reply = ue.Message()
	case err != nil:
		reply = slash.Help() // Parse promises *UsageError; never show err.Error()
	case c.Kind == slash.KindHelp:
		reply = slash.Help()
	default:
		reply = "`/nudge " + c.Kind.String() + "` is not available yet. `/nudge help` lists the commands."
	}
	b.log.Info("slash command", zap.String("kind", c.Kind.String()), zap.String("channel_id", cmd.ChannelID),
		zap.String("user_id", cmd.UserID), zap.Bool("usage_error", err != nil))
	b.postSlashReply(ctx, cmd, reply)
}

// postSlashReply posts text as an ephemeral answer to cmd through its response_url.
func (b *Bot) postSlashReply(ctx context.Context, cmd slack.SlashCommand, text string) {
	if cmd.ResponseURL == "" {
		return
	}
	b.goPost(ctx, func(ctx context.Context) {
		err := b.respond(ctx, cmd.ResponseURL, &slack.WebhookMessage{ResponseType: slack.ResponseTypeEphemeral, Text: text})
		if err != nil {
			b.log.Warn("slash reply not posted", zap.String("channel_id", cmd.ChannelID), zap.Error(err))
		}
	})
}
