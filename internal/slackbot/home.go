package slackbot

import (
	"context"

	"github.com/slack-go/slack/slackevents"
)

// handleAppHome is the seam for the App Home tab (app_home_opened). It
// does nothing yet; the App Home's own file will fill it in.
func (b *Bot) handleAppHome(ctx context.Context, team string, ev *slackevents.AppHomeOpenedEvent) {}
