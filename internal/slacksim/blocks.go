package slacksim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Block Kit limits, from Slack's Block Kit reference
// (docs.slack.dev/reference/block-kit/blocks and .../block-elements, and
// .../composition-objects/text-object; the same numbers are in
// api.slack.com/reference/block-kit/blocks). Each constant names its page.
const (
	maxBlocksMessage = 50  // blocks: "up to 50 blocks in each message"
	maxBlocksView    = 100 // blocks: "and 100 blocks in modals or Home tabs"
	maxBlockID       = 255 // every block: block_id "Maximum length ... 255"
	maxSectionText   = 3000
	maxSectionFields = 10   // section: fields "Maximum number of items is 10"
	maxFieldText     = 2000 // section: each field "Maximum length ... 2000"
	maxHeaderText    = 150  // header: text
	maxContextElems  = 10   // context: elements "Maximum number of items is 10"
	maxActionsElems  = 25   // actions: "There is a maximum of 25 elements"
	maxImageURL      = 3000 // image block/element: image_url
	maxAltText       = 2000 // image: alt_text
	maxMarkdownText  = 12000
	maxButtonText    = 75   // button element: text
	maxActionID      = 255  // every interactive element: action_id
	maxButtonValue   = 2000 // button element: value
	maxButtonURL     = 3000 // button element: url
	maxInputLabel    = 2000 // input: label and hint
)

// Surface is where blocks are shown; it sets the block-count limit.
type Surface int

// The surfaces the sim validates for.
const (
	SurfaceMessage Surface = iota // chat.post*, response_url: 50 blocks
	SurfaceHome                   // views.publish: 100 blocks
	SurfaceModal                  // views.open: 100 blocks
)

// BlocksError is why Slack would reject a blocks payload.
type BlocksError struct {
	// Code is "invalid_blocks", or "invalid_blocks_format" when the
	// payload is not a JSON array of objects at all.
	Code string
	// Problems are Slack-style messages ending in a JSON pointer, e.g.
	// "must be less than 3001 characters [json-pointer:/blocks/0/text/text]".
	Problems []string
}

func (e *BlocksError) Error() string {
	return e.Code + ": " + strings.Join(e.Problems, "; ")
}

func (e *BlocksError) apiError() *apiError {
	return &apiError{code: e.Code, details: e.Problems}
}

// knownBlocks are the layout block types Slack accepts in messages, home
// tabs and modals (docs.slack.dev/reference/block-kit/blocks). Newer
// agent-surface blocks (card, carousel, alert, ...) are deliberately absent:
// the bot does not use them, and an unknown type is rejected as Slack
// rejects a typo.
var knownBlocks = map[string]bool{
	"actions": true, "context": true, "divider": true, "file": true,
	"header": true, "image": true, "input": true, "markdown": true,
	"rich_text": true, "section": true, "video": true, "table": true,
}

// knownElements are the block element types
// (docs.slack.dev/reference/block-kit/block-elements).
var knownElements = map[string]bool{
	"button": true, "checkboxes": true, "datepicker": true, "datetimepicker": true,
	"email_text_input": true, "file_input": true, "image": true,
	"multi_static_select": true, "multi_external_select": true, "multi_users_select": true,
	"multi_conversations_select": true, "multi_channels_select": true,
	"number_input": true, "overflow": true, "plain_text_input": true, "radio_buttons": true,
	"rich_text_input": true, "static_select": true, "external_select": true,
	"users_select": true, "conversations_select": true, "channels_select": true,
	"timepicker": true, "url_text_input": true, "workflow_button": true,
}

// ValidateBlocks checks a "blocks" JSON array against Slack's Block Kit
// rules for the given surface. It returns nil when Slack would accept it.
func ValidateBlocks(raw json.RawMessage, surface Surface) *BlocksError {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	var blocks []any
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return &BlocksError{Code: "invalid_blocks_format", Problems: []string{"must be an array [json-pointer:/blocks]"}}
	}
	v := &validator{actionIDs: map[string]bool{}, blockIDs: map[string]bool{}}
	limit := maxBlocksMessage
	if surface != SurfaceMessage {
		limit = maxBlocksView
	}
	if len(blocks) > limit {
		v.addf("/blocks", "no more than %d items allowed", limit)
	}
	for i, b := range blocks {
		v.block(fmt.Sprintf("/blocks/%d", i), b)
	}
	if v.markdown > maxMarkdownText {
		v.addf("/blocks", "markdown blocks must total no more than %d characters", maxMarkdownText)
	}
	if len(v.problems) == 0 {
		return nil
	}
	return &BlocksError{Code: "invalid_blocks", Problems: v.problems}
}

type validator struct {
	problems  []string
	actionIDs map[string]bool
	blockIDs  map[string]bool
	markdown  int // characters across all markdown blocks
}

func (v *validator) addf(ptr, format string, args ...any) {
	v.problems = append(v.problems, fmt.Sprintf(format, args...)+" [json-pointer:"+ptr+"]")
}

func (v *validator) object(ptr string, x any) (map[string]any, bool) {
	m, ok := x.(map[string]any)
	if !ok {
		v.addf(ptr, "must provide an object")
	}
	return m, ok
}

// str checks an optional string field; it reports whether it was present.
func (v *validator) str(ptr string, m map[string]any, key string, maxLen int, required bool) (string, bool) {
	x, ok := m[key]
	if !ok || x == nil {
		if required {
			v.addf(ptr+"/"+key, "missing required field: %s", key)
		}
		return "", false
	}
	s, ok := x.(string)
	if !ok {
		v.addf(ptr+"/"+key, "must be a string")
		return "", false
	}
	n := utf8.RuneCountInString(s)
	if required && n == 0 {
		v.addf(ptr+"/"+key, "must be more than 0 characters")
	}
	if maxLen > 0 && n > maxLen {
		v.addf(ptr+"/"+key, "must be less than %d characters", maxLen+1)
	}
	return s, true
}

// text checks a text composition object; plainOnly restricts it to plain_text.
func (v *validator) text(ptr string, x any, maxLen int, plainOnly bool) {
	m, ok := v.object(ptr, x)
	if !ok {
		return
	}
	switch t, _ := m["type"].(string); t {
	case "plain_text":
	case "mrkdwn":
		if plainOnly {
			v.addf(ptr+"/type", "must be plain_text")
		}
	default:
		v.addf(ptr+"/type", "must be one of plain_text, mrkdwn")
	}
	v.str(ptr, m, "text", maxLen, true)
}

func (v *validator) array(ptr string, m map[string]any, key string, minLen, maxLen int) []any {
	x, ok := m[key]
	if !ok || x == nil {
		if minLen > 0 {
			v.addf(ptr+"/"+key, "missing required field: %s", key)
		}
		return nil
	}
	a, ok := x.([]any)
	if !ok {
		v.addf(ptr+"/"+key, "must be an array")
		return nil
	}
	if len(a) < minLen {
		v.addf(ptr+"/"+key, "must have at least %d items", minLen)
	}
	if maxLen > 0 && len(a) > maxLen {
		v.addf(ptr+"/"+key, "no more than %d items allowed", maxLen)
	}
	return a
}

func (v *validator) block(ptr string, x any) {
	m, ok := v.object(ptr, x)
	if !ok {
		return
	}
	typ, _ := m["type"].(string)
	if !knownBlocks[typ] {
		v.addf(ptr+"/type", "unsupported type: %q", typ)
		return
	}
	if id, ok := v.str(ptr, m, "block_id", maxBlockID, false); ok {
		if v.blockIDs[id] {
			v.addf(ptr+"/block_id", "block_id must be unique within the message: %q", id)
		}
		v.blockIDs[id] = true
	}
	switch typ {
	case "section":
		_, hasText := m["text"]
		_, hasFields := m["fields"]
		if !hasText && !hasFields {
			v.addf(ptr, "must provide either text or fields")
		}
		if hasText {
			v.text(ptr+"/text", m["text"], maxSectionText, false)
		}
		for i, f := range v.array(ptr, m, "fields", 0, maxSectionFields) {
			v.text(fmt.Sprintf("%s/fields/%d", ptr, i), f, maxFieldText, false)
		}
		if acc, ok := m["accessory"]; ok {
			v.element(ptr+"/accessory", acc, true)
		}
	case "header":
		if _, ok := m["text"]; !ok {
			v.addf(ptr+"/text", "missing required field: text")
		} else {
			v.text(ptr+"/text", m["text"], maxHeaderText, true)
		}
	case "context":
		for i, e := range v.array(ptr, m, "elements", 1, maxContextElems) {
			p := fmt.Sprintf("%s/elements/%d", ptr, i)
			em, ok := v.object(p, e)
			if !ok {
				continue
			}
			if t, _ := em["type"].(string); t == "image" {
				v.image(p, em)
			} else {
				v.text(p, em, 0, false)
			}
		}
	case "actions":
		for i, e := range v.array(ptr, m, "elements", 1, maxActionsElems) {
			v.element(fmt.Sprintf("%s/elements/%d", ptr, i), e, false)
		}
	case "image":
		v.image(ptr, m)
		if t, ok := m["title"]; ok {
			v.text(ptr+"/title", t, maxAltText, true)
		}
	case "markdown":
		s, _ := v.str(ptr, m, "text", maxMarkdownText, true)
		v.markdown += utf8.RuneCountInString(s)
	case "rich_text":
		v.array(ptr, m, "elements", 1, 0)
	case "input":
		if _, ok := m["label"]; !ok {
			v.addf(ptr+"/label", "missing required field: label")
		} else {
			v.text(ptr+"/label", m["label"], maxInputLabel, true)
		}
		if h, ok := m["hint"]; ok {
			v.text(ptr+"/hint", h, maxInputLabel, true)
		}
		if e, ok := m["element"]; !ok {
			v.addf(ptr+"/element", "missing required field: element")
		} else {
			v.element(ptr+"/element", e, false)
		}
	case "video":
		for _, k := range []string{"alt_text", "thumbnail_url", "video_url"} {
			v.str(ptr, m, k, 0, true)
		}
		if _, ok := m["title"]; !ok {
			v.addf(ptr+"/title", "missing required field: title")
		}
	case "file":
		v.str(ptr, m, "external_id", 0, true)
		v.str(ptr, m, "source", 0, true)
	case "table":
		v.array(ptr, m, "rows", 1, 100)
	case "divider":
	}
}

func (v *validator) image(ptr string, m map[string]any) {
	_, hasURL := m["image_url"]
	_, hasFile := m["slack_file"]
	switch {
	case hasURL:
		v.str(ptr, m, "image_url", maxImageURL, true)
	case !hasFile:
		v.addf(ptr, "must provide either image_url or slack_file")
	}
	v.str(ptr, m, "alt_text", maxAltText, true)
}

// element checks a block element; image elements are allowed only where
// allowImage says so (section accessories and context blocks).
func (v *validator) element(ptr string, x any, allowImage bool) {
	m, ok := v.object(ptr, x)
	if !ok {
		return
	}
	typ, _ := m["type"].(string)
	if !knownElements[typ] || (typ == "image" && !allowImage) {
		v.addf(ptr+"/type", "unsupported type: %q", typ)
		return
	}
	if typ == "image" {
		v.image(ptr, m)
		return
	}
	if id, ok := v.str(ptr, m, "action_id", maxActionID, false); ok {
		if v.actionIDs[id] {
			v.addf(ptr+"/action_id", "action_id must be unique within the message: %q", id)
		}
		v.actionIDs[id] = true
	}
	if typ != "button" {
		return
	}
	if t, ok := m["text"]; !ok {
		v.addf(ptr+"/text", "missing required field: text")
	} else {
		v.text(ptr+"/text", t, maxButtonText, true)
	}
	v.str(ptr, m, "value", maxButtonValue, false)
	v.str(ptr, m, "url", maxButtonURL, false)
	v.str(ptr, m, "accessibility_label", maxButtonText, false)
	if st, ok := v.str(ptr, m, "style", 0, false); ok && st != "primary" && st != "danger" {
		v.addf(ptr+"/style", "must be one of primary, danger")
	}
}
