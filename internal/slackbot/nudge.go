package slackbot

import (
	"strconv"
	"strings"

	"github.com/nudgebot/nudgebot/internal/score"
	"github.com/slack-go/slack"
)

// Action IDs of the nudge's buttons; the value of each is the nudge
// record's ID.
const (
	ActionHelpful    = "nudge_helpful"
	ActionNotHelpful = "nudge_not_helpful"
)

// maxQuote bounds the quoted span, in bytes, so a long message never
// turns a nudge into a wall of text (Slack's section limit is 3,000).
const maxQuote = 200

// trigger returns the hit that chose the result's family: the heaviest
// hit of that family, the first of equals.
func trigger(res score.Result) (score.Hit, bool) {
	var best score.Hit
	found := false
	for _, h := range res.Hits {
		if h.Family == res.Family && (!found || h.Weight > best.Weight) {
			best, found = h, true
		}
	}
	return best, found
}

// quote returns text[h.Start:h.End], trimmed of space, cut to maxQuote
// and escaped for mrkdwn; "" if the span is not inside text.
func quote(text string, h score.Hit) string {
	if h.Start < 0 || h.End > len(text) || h.Start >= h.End {
		return ""
	}
	q := strings.Join(strings.Fields(text[h.Start:h.End]), " ")
	if len(q) > maxQuote {
		q = truncate(q, maxQuote) + "…"
	}
	return escape(q)
}

// escape makes s safe inside mrkdwn, as Slack asks: &, < and >.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// familyLabel is how a family reads to the agent.
func familyLabel(f score.Family) string {
	return strings.ReplaceAll(string(f), "_", " ")
}

// nudgeBlocks is the Block Kit body of a nudge: the reminder, what
// triggered it, a suggested rephrasing and the two feedback buttons.
func nudgeBlocks(res score.Result, text string, id int64) []slack.Block {
	reminder := slack.NewSectionBlock(
		slack.NewTextBlockObject(slack.MarkdownType, ":bulb: *"+escape(res.Reminder)+"*", false, false),
		nil, nil, slack.SectionBlockOptionBlockID("nudge_reminder"))

	why := "Only you can see this."
	if h, ok := trigger(res); ok {
		if q := quote(text, h); q != "" {
			why = "You wrote “" + q + "” (" + familyLabel(res.Family) + "). Only you can see this."
		}
	}
	context := slack.NewContextBlock("nudge_trigger",
		slack.NewTextBlockObject(slack.MarkdownType, why, false, false))

	blocks := []slack.Block{reminder, context}
	if res.Suggestion != "" {
		blocks = append(blocks, slack.NewSectionBlock(
			slack.NewTextBlockObject(slack.MarkdownType, "*Try:* "+escape(res.Suggestion), false, false),
			nil, nil, slack.SectionBlockOptionBlockID("nudge_suggestion")))
	}
	value := strconv.FormatInt(id, 10)
	blocks = append(blocks, slack.NewActionBlock("nudge_feedback",
		slack.NewButtonBlockElement(ActionHelpful, value,
			slack.NewTextBlockObject(slack.PlainTextType, "Helpful", false, false)),
		slack.NewButtonBlockElement(ActionNotHelpful, value,
			slack.NewTextBlockObject(slack.PlainTextType, "Not helpful", false, false)),
	))
	return blocks
}

// inviteText is what the bot tells whoever invited it to a channel.
func inviteText(channel string) string {
	return "Thanks for adding me to <#" + channel + ">. I read agents' messages here and, " +
		"when one starts to argue with a customer instead of helping, I send that agent a " +
		"private reminder. Only the agent sees it: customers, guests and the rest of the " +
		"channel never do, and I never post in the channel.\n" +
		"Tune me with `/nudge threshold 0.7`, `/nudge cooldown 15m`, `/nudge rule FAMILY off` " +
		"or `/nudge shadow on` (a trial that sends nothing), see the settings with " +
		"`/nudge status`, or switch me off here with `/nudge off`. `/nudge help` lists it all."
}

// thanksText replaces a nudge once its agent has answered.
func thanksText(helpful bool) string {
	if helpful {
		return "Thanks, glad it helped. :raised_hands:"
	}
	return "Thanks for the feedback: it helps us tune the reminders."
}
