package slackbot

import (
	"context"

	"github.com/slack-go/slack"
	"go.uber.org/zap"
)

// handleSlash answers a /nudge command through its response_url. It is
// the seam for the command handlers: for now it knows help and usage
// errors only.
func (b *Bot) handleSlash(ctx context.Context, cmd slack.SlashCommand) {
	text := "`/nudge` commands are coming soon. Try `/nudge help`."
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
