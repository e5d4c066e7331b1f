package slacksim_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/nudgebot/nudgebot/internal/slacksim"
)

func section(text string) string {
	return fmt.Sprintf(`{"type":"section","text":{"type":"mrkdwn","text":%q}}`, text)
}

func button(actionID, label string) string {
	return fmt.Sprintf(`{"type":"button","action_id":%q,"text":{"type":"plain_text","text":%q},"value":"v"}`, actionID, label)
}

func repeatJoin(s string, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = s
	}
	return strings.Join(parts, ",")
}

func buttons(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = button(fmt.Sprintf("a%d", i), "ok")
	}
	return strings.Join(parts, ",")
}

func TestValidateBlocks(t *testing.T) {
	textEl := `{"type":"mrkdwn","text":"x"}`
	tests := []struct {
		name    string
		give    string
		surface slacksim.Surface
		want    string // "" = accepted, else a substring of the problem's pointer or message
	}{
		{"empty", `[]`, slacksim.SurfaceMessage, ""},
		{"nudge", `[` + section("*hi*") + `,{"type":"divider"},{"type":"context","elements":[` + textEl + `]},{"type":"actions","elements":[` + button("nudge_helpful", "Helpful") + `,` + button("nudge_not_helpful", "Not helpful") + `]}]`, slacksim.SurfaceMessage, ""},
		{"header", `[{"type":"header","text":{"type":"plain_text","text":"Nudge"}}]`, slacksim.SurfaceMessage, ""},
		{"section with fields only", `[{"type":"section","fields":[` + textEl + `]}]`, slacksim.SurfaceMessage, ""},
		{"section with button accessory", `[{"type":"section","text":{"type":"mrkdwn","text":"x"},"accessory":` + button("a", "b") + `}]`, slacksim.SurfaceMessage, ""},
		{"image", `[{"type":"image","image_url":"https://x/y.png","alt_text":"y"}]`, slacksim.SurfaceMessage, ""},
		{"50 blocks", `[` + repeatJoin(`{"type":"divider"}`, 50) + `]`, slacksim.SurfaceMessage, ""},
		{"100 blocks in a home view", `[` + repeatJoin(`{"type":"divider"}`, 100) + `]`, slacksim.SurfaceHome, ""},
		{"section text of 3000", `[` + section(strings.Repeat("a", 3000)) + `]`, slacksim.SurfaceMessage, ""},
		{"section text of 3000 runes", `[` + section(strings.Repeat("é", 3000)) + `]`, slacksim.SurfaceMessage, ""},
		{"context of 10", `[{"type":"context","elements":[` + repeatJoin(textEl, 10) + `]}]`, slacksim.SurfaceMessage, ""},
		{"actions of 25", `[{"type":"actions","elements":[` + buttons(25) + `]}]`, slacksim.SurfaceMessage, ""},
		{"button text of 75", `[{"type":"actions","elements":[` + button("a", strings.Repeat("b", 75)) + `]}]`, slacksim.SurfaceMessage, ""},
		{"action_id of 255", `[{"type":"actions","elements":[` + button(strings.Repeat("a", 255), "b") + `]}]`, slacksim.SurfaceMessage, ""},

		{"not an array", `{"type":"divider"}`, slacksim.SurfaceMessage, "invalid_blocks_format"},
		{"unknown block type", `[{"type":"sectoin","text":{"type":"mrkdwn","text":"x"}}]`, slacksim.SurfaceMessage, "/blocks/0/type"},
		{"missing block type", `[{"text":{"type":"mrkdwn","text":"x"}}]`, slacksim.SurfaceMessage, "/blocks/0/type"},
		{"unknown element type", `[{"type":"actions","elements":[{"type":"buton","action_id":"a"}]}]`, slacksim.SurfaceMessage, "/blocks/0/elements/0/type"},
		{"image element in actions", `[{"type":"actions","elements":[{"type":"image","image_url":"https://x","alt_text":"x"}]}]`, slacksim.SurfaceMessage, "/blocks/0/elements/0/type"},
		{"51 blocks", `[` + repeatJoin(`{"type":"divider"}`, 51) + `]`, slacksim.SurfaceMessage, "no more than 50 items"},
		{"101 blocks in a home view", `[` + repeatJoin(`{"type":"divider"}`, 101) + `]`, slacksim.SurfaceHome, "no more than 100 items"},
		{"section text of 3001", `[` + section(strings.Repeat("a", 3001)) + `]`, slacksim.SurfaceMessage, "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"},
		{"section without text or fields", `[{"type":"section"}]`, slacksim.SurfaceMessage, "either text or fields"},
		{"section with empty text", `[` + section("") + `]`, slacksim.SurfaceMessage, "more than 0 characters"},
		{"section with 11 fields", `[{"type":"section","fields":[` + repeatJoin(textEl, 11) + `]}]`, slacksim.SurfaceMessage, "/blocks/0/fields"},
		{"field of 2001", `[{"type":"section","fields":[{"type":"mrkdwn","text":"` + strings.Repeat("a", 2001) + `"}]}]`, slacksim.SurfaceMessage, "/blocks/0/fields/0/text"},
		{"bad text object type", `[{"type":"section","text":{"type":"markdown","text":"x"}}]`, slacksim.SurfaceMessage, "/blocks/0/text/type"},
		{"context of 11", `[{"type":"context","elements":[` + repeatJoin(textEl, 11) + `]}]`, slacksim.SurfaceMessage, "/blocks/0/elements"},
		{"empty context", `[{"type":"context","elements":[]}]`, slacksim.SurfaceMessage, "/blocks/0/elements"},
		{"actions of 26", `[{"type":"actions","elements":[` + buttons(26) + `]}]`, slacksim.SurfaceMessage, "no more than 25 items"},
		{"button text of 76", `[{"type":"actions","elements":[` + button("a", strings.Repeat("b", 76)) + `]}]`, slacksim.SurfaceMessage, "/blocks/0/elements/0/text/text"},
		{"mrkdwn button text", `[{"type":"actions","elements":[{"type":"button","action_id":"a","text":{"type":"mrkdwn","text":"b"}}]}]`, slacksim.SurfaceMessage, "must be plain_text"},
		{"button without text", `[{"type":"actions","elements":[{"type":"button","action_id":"a"}]}]`, slacksim.SurfaceMessage, "missing required field: text"},
		{"bad button style", `[{"type":"actions","elements":[{"type":"button","action_id":"a","style":"green","text":{"type":"plain_text","text":"b"}}]}]`, slacksim.SurfaceMessage, "/style"},
		{"action_id of 256", `[{"type":"actions","elements":[` + button(strings.Repeat("a", 256), "b") + `]}]`, slacksim.SurfaceMessage, "/blocks/0/elements/0/action_id"},
		{"duplicate action_id", `[{"type":"actions","elements":[` + button("a", "x") + `]},{"type":"actions","elements":[` + button("a", "y") + `]}]`, slacksim.SurfaceMessage, "must be unique"},
		{"duplicate block_id", `[{"type":"divider","block_id":"b"},{"type":"divider","block_id":"b"}]`, slacksim.SurfaceMessage, "/blocks/1/block_id"},
		{"block_id of 256", `[{"type":"divider","block_id":"` + strings.Repeat("b", 256) + `"}]`, slacksim.SurfaceMessage, "/blocks/0/block_id"},
		{"header in mrkdwn", `[{"type":"header","text":{"type":"mrkdwn","text":"x"}}]`, slacksim.SurfaceMessage, "must be plain_text"},
		{"header of 151", `[{"type":"header","text":{"type":"plain_text","text":"` + strings.Repeat("h", 151) + `"}}]`, slacksim.SurfaceMessage, "/blocks/0/text/text"},
		{"image without alt_text", `[{"type":"image","image_url":"https://x/y.png"}]`, slacksim.SurfaceMessage, "/blocks/0/alt_text"},
		{"block not an object", `["divider"]`, slacksim.SurfaceMessage, "must provide an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := slacksim.ValidateBlocks(json.RawMessage(tt.give), tt.surface)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("ValidateBlocks(%.60s) = %v, want nil", tt.give, err)
			case tt.want != "" && err == nil:
				t.Errorf("ValidateBlocks(%.60s) = nil, want an error containing %q", tt.give, tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("ValidateBlocks(%.60s) = %v, want an error containing %q", tt.give, err, tt.want)
			}
		})
	}
}

// TestPostEphemeralInvalidBlocks sends each broken payload through slack-go's
// own MsgOptionBlocks, as the bot would, and checks Slack's answer.
func TestPostEphemeralInvalidBlocks(t *testing.T) {
	sim, api := fixture(t, slacksim.Options{})
	plain := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
	}
	md := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
	}
	many := func(n int) []slack.Block {
		out := make([]slack.Block, n)
		for i := range out {
			out[i] = slack.NewDividerBlock()
		}
		return out
	}
	ctxEls := func(n int) []slack.MixedElement {
		out := make([]slack.MixedElement, n)
		for i := range out {
			out[i] = md("x")
		}
		return out
	}
	btns := func(n int) []slack.BlockElement {
		out := make([]slack.BlockElement, n)
		for i := range out {
			out[i] = slack.NewButtonBlockElement(fmt.Sprintf("a%d", i), "v", plain("ok"))
		}
		return out
	}
	tests := []struct {
		name string
		give []slack.Block
		want string // "" = accepted
	}{
		{"nudge", nudgeBlocks(), ""},
		{"51 blocks", many(51), "invalid_blocks"},
		{"section of 3001", []slack.Block{slack.NewSectionBlock(md(strings.Repeat("a", 3001)), nil, nil)}, "invalid_blocks"},
		{"section without text", []slack.Block{slack.NewSectionBlock(nil, nil, nil)}, "invalid_blocks"},
		{"context of 11", []slack.Block{slack.NewContextBlock("", ctxEls(11)...)}, "invalid_blocks"},
		{"actions of 26", []slack.Block{slack.NewActionBlock("", btns(26)...)}, "invalid_blocks"},
		{"button of 76", []slack.Block{slack.NewActionBlock("", slack.NewButtonBlockElement("a", "v", plain(strings.Repeat("b", 76))))}, "invalid_blocks"},
		{"action_id of 256", []slack.Block{slack.NewActionBlock("", slack.NewButtonBlockElement(strings.Repeat("a", 256), "v", plain("b")))}, "invalid_blocks"},
		{"duplicate action_id", []slack.Block{slack.NewActionBlock("", slack.NewButtonBlockElement("a", "v", plain("b")), slack.NewButtonBlockElement("a", "w", plain("c")))}, "invalid_blocks"},
		{"unknown block type", []slack.Block{&slack.UnknownBlock{Type: "sectoin"}}, "invalid_blocks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(sim.Ephemerals())
			_, err := api.PostEphemeral("CSUP", "UAGENT", slack.MsgOptionText("fallback", false), slack.MsgOptionBlocks(tt.give...))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("PostEphemeral(%s) error = %v, want nil", tt.name, err)
				}
				if len(sim.Ephemerals()) != before+1 {
					t.Errorf("PostEphemeral(%s) accepted but not recorded", tt.name)
				}
				return
			}
			var serr slack.SlackErrorResponse
			if !errors.As(err, &serr) || serr.Err != tt.want {
				t.Fatalf("PostEphemeral(%s) error = %v, want %s", tt.name, err, tt.want)
			}
			if len(serr.Errors) == 0 || serr.Errors[0].Message == nil || !strings.Contains(*serr.Errors[0].Message, "[json-pointer:/blocks") {
				t.Errorf("PostEphemeral(%s) errors = %+v, want Slack's json-pointer messages", tt.name, serr.Errors)
			}
			if len(sim.Ephemerals()) != before {
				t.Errorf("PostEphemeral(%s) rejected but recorded as an ephemeral", tt.name)
			}
		})
	}
}

func TestPostMessageTextLimit(t *testing.T) {
	sim, api := fixture(t, slacksim.Options{})
	_, _, err := api.PostMessage("CSUP", slack.MsgOptionText(strings.Repeat("a", 40001), false))
	if err == nil || err.Error() != "msg_too_long" {
		t.Errorf("PostMessage(40001 chars) error = %v, want msg_too_long", err)
	}
	ch, ts, err := api.PostMessage("CSUP", slack.MsgOptionText(strings.Repeat("a", 40000), false))
	if err != nil || ch != "CSUP" || ts == "" {
		t.Errorf("PostMessage(40000 chars) = %q, %q, %v; want accepted", ch, ts, err)
	}
	_, _, err = api.PostMessage("CSUP")
	if err == nil || err.Error() != "no_text" {
		t.Errorf("PostMessage(nothing) error = %v, want no_text", err)
	}
	if got := sim.OKCount("chat.postMessage"); got != 1 {
		t.Errorf("OKCount(chat.postMessage) = %d, want 1", got)
	}
}

func TestPublishView(t *testing.T) {
	sim, api := fixture(t, slacksim.Options{})
	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: nudgeBlocks()}}
	resp, err := api.PublishViewContext(t.Context(), slack.PublishViewContextRequest{UserID: "UAGENT", View: home})
	if err != nil {
		t.Fatalf("PublishView() error = %v", err)
	}
	if resp.View.Type != slack.VTHomeTab || resp.View.ID == "" || len(resp.View.Blocks.BlockSet) != 3 {
		t.Errorf("PublishView() view = %+v", resp.View)
	}
	calls := sim.Calls("views.publish")
	if len(calls) != 1 || calls[0].Params.Get("user_id") != "UAGENT" || len(calls[0].Blocks) == 0 {
		t.Errorf("Calls(views.publish) = %+v", calls)
	}

	var blocks []slack.Block
	for range 101 {
		blocks = append(blocks, slack.NewDividerBlock())
	}
	_, err = api.PublishViewContext(t.Context(), slack.PublishViewContextRequest{UserID: "UAGENT", View: slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}})
	if err == nil || err.Error() != "invalid_blocks" {
		t.Errorf("PublishView(101 blocks) error = %v, want invalid_blocks", err)
	}
	_, err = api.PublishViewContext(t.Context(), slack.PublishViewContextRequest{UserID: "UNOBODY", View: home})
	if err == nil || err.Error() != "user_not_found" {
		t.Errorf("PublishView(UNOBODY) error = %v, want user_not_found", err)
	}
}
