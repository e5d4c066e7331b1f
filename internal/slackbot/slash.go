package slackbot

import (
	"context"

	"github.com/slack-go/slack"
	"go.uber.org/zap"
)

// handleSlash answers a /nudge command. The command runs on the worker
// (store reads and writes only); the ephemeral reply goes to the
// command's response_url off the worker, like every post. The envelope
// was acked before, without a payload (bot.go's dispatch). It reports h
// once the reply is posted ("replied", with Err if the post failed).
func (b *Bot) handleSlash(ctx context.Context, h Handled, cmd slack.SlashCommand) {
	// Settings belong to the bot's own workspace (auth.test), whoever
	// types the command: in a Slack Connect channel, a customer's team_id
	// is their own workspace's.
	team := b.self.TeamID
	if team == "" {
		team = cmd.TeamID
	}
	r := b.runCommand(ctx, team, cmd.ChannelID, cmd.UserID, cmd.Text)
	if cmd.ResponseURL == "" {
		b.log.Warn("slash command without a response_url", zap.String("channel_id", cmd.ChannelID), zap.String("user_id", cmd.UserID))
		h.Outcome = "skipped:no_response_url"
		b.done(h)
		return
	}
	msg := &slack.WebhookMessage{ResponseType: slack.ResponseTypeEphemeral, Text: clip(r.Text, maxReplyText)}
	if len(r.Blocks) > 0 {
		msg.Blocks = &slack.Blocks{BlockSet: r.Blocks}
	}
	b.goPost(ctx, func(ctx context.Context) {
		h.Outcome = "replied"
		if err := b.respond(ctx, cmd.ResponseURL, msg); err != nil {
			h.Err = err
			b.log.Warn("slash reply not posted", zap.String("channel_id", cmd.ChannelID), zap.String("user_id", cmd.UserID), zap.Error(err))
		}
		b.done(h)
	})
}

// maxReplyText is Slack's limit on a message's text, in characters.
const maxReplyText = 40000
