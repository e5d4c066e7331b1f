package slacksim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Delivery is what the sim sent for one Post, Slash, Click or SendEvent.
type Delivery struct {
	// EnvelopeIDs are the envelopes written (one per connection with
	// ToAll, none when ToConn names a closed connection).
	EnvelopeIDs []string
	// EventID is the Events API event_id (events_api only).
	EventID string
	// TS is the message's ts (Post only).
	TS string
	// ResponseURL and TriggerID are those handed out (Slash, Click).
	ResponseURL string
	TriggerID   string
}

// EnvelopeID returns the first envelope ID, or "".
func (d Delivery) EnvelopeID() string {
	if len(d.EnvelopeIDs) == 0 {
		return ""
	}
	return d.EnvelopeIDs[0]
}

// EventOpts are the envelope and outer-event fields common to Events API
// deliveries.
type EventOpts struct {
	// EventID defaults to a fresh unique one. Give the same one twice to
	// test de-duplication.
	EventID string
	// RetryAttempt and RetryReason go on the envelope ("timeout",
	// "http_timeout", ...), as Slack sets them on a retry.
	RetryAttempt int
	RetryReason  string
	// To picks the connection(s); default ToAny.
	To Target
}

// Msg is a message event, as a user posting in a channel produces.
type Msg struct {
	Channel  string
	User     string
	Text     string
	ThreadTS string
	// TS defaults to a fresh monotonic timestamp.
	TS string
	// Subtype: "" for a plain message, "thread_broadcast", "bot_message",
	// "channel_join", "message_changed", "message_deleted", ...
	Subtype string
	BotID   string
	// Edited marks the message as edited ("edited": {user, ts}).
	Edited bool
	EventOpts
}

// Post delivers a message event and returns its ts and IDs.
func (s *Sim) Post(m Msg) Delivery {
	s.mu.Lock()
	ts := m.TS
	if ts == "" {
		ts = s.nextTSLocked()
	}
	eventTS := ts
	if m.Subtype == "message_changed" || m.Subtype == "message_deleted" {
		eventTS = s.nextTSLocked()
	}
	chType, extShared, host := "channel", false, ""
	if ch, ok := s.channels[m.Channel]; ok {
		chType, extShared, host = ch.channelType(), ch.IsExtShared, ch.HostTeamID
	}
	userTeam := s.TeamID
	if u, ok := s.users[m.User]; ok {
		userTeam = u.TeamID
	}
	s.mu.Unlock()

	msg := map[string]any{
		"type": "message",
		"text": m.Text,
		"ts":   ts,
	}
	if m.User != "" {
		msg["user"] = m.User
		msg["team"] = userTeam
		msg["user_team"] = userTeam
		msg["source_team"] = s.TeamID
	}
	if m.Subtype == "" || m.Subtype == "thread_broadcast" {
		msg["client_msg_id"] = fmt.Sprintf("00000000-0000-4000-8000-%012d", s.seq.Add(1))
		msg["blocks"] = []any{map[string]any{
			"type": "rich_text", "block_id": s.nextID("b"),
			"elements": []any{map[string]any{
				"type":     "rich_text_section",
				"elements": []any{map[string]any{"type": "text", "text": m.Text}},
			}},
		}}
	}
	if m.ThreadTS != "" {
		msg["thread_ts"] = m.ThreadTS
	}
	if m.BotID != "" {
		msg["bot_id"] = m.BotID
	}
	if m.Edited {
		msg["edited"] = map[string]any{"user": m.User, "ts": eventTS}
	}

	ev := msg
	switch m.Subtype {
	case "":
	case "message_changed":
		// The new message is nested; the outer event carries its own ts.
		msg["edited"] = map[string]any{"user": m.User, "ts": eventTS}
		ev = map[string]any{
			"type": "message", "subtype": "message_changed", "hidden": true,
			"message": msg, "previous_message": map[string]any{"type": "message", "user": m.User, "ts": ts},
			"ts": eventTS,
		}
	case "message_deleted":
		ev = map[string]any{
			"type": "message", "subtype": "message_deleted", "hidden": true,
			"deleted_ts": ts, "previous_message": msg, "ts": eventTS,
		}
	default:
		msg["subtype"] = m.Subtype
	}
	ev["channel"] = m.Channel
	ev["channel_type"] = chType
	ev["event_ts"] = eventTS

	d := s.sendEvent(ev, extShared, host, m.EventOpts)
	d.TS = ts
	return d
}

// MemberJoined adds user to channel and delivers member_joined_channel, as
// Slack does when someone (inviter) adds a user, or the bot, to a channel.
func (s *Sim) MemberJoined(channel, user, inviter string, o EventOpts) Delivery {
	s.Join(channel, user)
	s.mu.Lock()
	chType, extShared, host := "C", false, ""
	if ch, ok := s.channels[channel]; ok {
		extShared, host = ch.IsExtShared, ch.HostTeamID
		if ch.IsPrivate {
			chType = "G"
		}
	}
	ts := s.nextTSLocked()
	s.mu.Unlock()
	ev := map[string]any{
		"type":         "member_joined_channel",
		"user":         user,
		"channel":      channel,
		"channel_type": chType, // Slack sends "C" or "G" here, not "channel"
		"team":         s.TeamID,
		"event_ts":     ts,
	}
	if inviter != "" {
		ev["inviter"] = inviter
	}
	return s.sendEvent(ev, extShared, host, o)
}

// AppHomeOpened delivers app_home_opened for user's Home tab.
func (s *Sim) AppHomeOpened(user string, o EventOpts) Delivery {
	ev := map[string]any{
		"type":     "app_home_opened",
		"user":     user,
		"channel":  "D" + strings.TrimPrefix(user, "U"),
		"tab":      "home",
		"event_ts": s.NextTS(),
	}
	return s.sendEvent(ev, false, "", o)
}

// SendEvent delivers any inner event (it must have a "type") wrapped in an
// event_callback, for events the helpers above do not cover.
func (s *Sim) SendEvent(inner map[string]any, o EventOpts) Delivery {
	if _, ok := inner["event_ts"]; !ok {
		inner["event_ts"] = s.NextTS()
	}
	return s.sendEvent(inner, false, "", o)
}

// sendEvent wraps inner in an event_callback envelope; host, when set, is
// the envelope's team_id (a shared channel's creator).
func (s *Sim) sendEvent(inner map[string]any, extShared bool, host string, o EventOpts) Delivery {
	if host == "" {
		host = s.TeamID
	}
	eventID := o.EventID
	if eventID == "" {
		eventID = s.nextID("Ev0SIM")
	}
	typ, _ := inner["type"].(string)
	outer := map[string]any{
		"token":      "slacksim-verification-token",
		"team_id":    host,
		"api_app_id": s.AppID,
		"event":      inner,
		"type":       "event_callback",
		"event_id":   eventID,
		"event_time": s.opts.Now().Unix(),
		"authorizations": []any{map[string]any{
			"enterprise_id":         nil,
			"team_id":               s.TeamID,
			"user_id":               s.BotUserID,
			"is_bot":                true,
			"is_enterprise_install": false,
		}},
		"is_ext_shared_channel": extShared,
		"event_context":         "4-" + typ + "-" + s.TeamID + "-" + eventID,
	}
	payload, err := json.Marshal(outer)
	if err != nil {
		panic(fmt.Sprintf("slacksim: marshal event: %v", err)) // only sim-built or test-given maps
	}
	ids := s.deliver(envelopeSpec{
		typ: "events_api", eventID: eventID, payload: payload,
		attempt: o.RetryAttempt, reason: o.RetryReason,
	}, o.To)
	return Delivery{EnvelopeIDs: ids, EventID: eventID}
}

// Slash is a slash command invocation.
type Slash struct {
	User    string
	Channel string
	// Command defaults to "/nudge".
	Command string
	Text    string
	To      Target
	// ResponseURL, when set, is sent instead of one on the sim (a forged
	// payload pointing elsewhere).
	ResponseURL string
}

// SlashCommand delivers a slash_commands envelope with the fields Slack
// sends (decoded by socketmode into slack.SlashCommand) and a response_url
// the sim records posts to.
func (s *Sim) SlashCommand(c Slash) Delivery {
	if c.Command == "" {
		c.Command = "/nudge"
	}
	s.mu.Lock()
	userName := strings.ToLower(c.User)
	if u, ok := s.users[c.User]; ok {
		userName = u.Name
	}
	chName := strings.ToLower(c.Channel)
	if ch, ok := s.channels[c.Channel]; ok {
		chName = ch.Name
	}
	s.mu.Unlock()
	respURL := c.ResponseURL
	if respURL == "" {
		respURL = s.newResponseURL("commands", "slash_commands", c.Channel, c.User)
	}
	trigger := s.nextTrigger()
	payload, _ := json.Marshal(map[string]any{
		"token":                 "slacksim-verification-token",
		"team_id":               s.TeamID,
		"team_domain":           s.opts.TeamDomain,
		"channel_id":            c.Channel,
		"channel_name":          chName,
		"user_id":               c.User,
		"user_name":             userName,
		"command":               c.Command,
		"text":                  c.Text,
		"api_app_id":            s.AppID,
		"is_enterprise_install": false,
		"response_url":          respURL,
		"trigger_id":            trigger,
	})
	ids := s.deliver(envelopeSpec{typ: "slash_commands", payload: payload, accepts: true}, c.To)
	return Delivery{EnvelopeIDs: ids, ResponseURL: respURL, TriggerID: trigger}
}

// Slash is shorthand for SlashCommand(Slash{User: user, Channel: channel, Text: text}).
func (s *Sim) Slash(user, channel, text string) Delivery {
	return s.SlashCommand(Slash{User: user, Channel: channel, Text: text})
}

// Click is a button press in a message.
type Click struct {
	User    string
	Channel string
	// MessageTS and ThreadTS identify the message holding the button.
	MessageTS string
	ThreadTS  string
	// Ephemeral is true for a button in an ephemeral message.
	Ephemeral bool
	ActionID  string
	BlockID   string
	Value     string
	// Text is the button's label.
	Text string
	// Blocks are the message's blocks, sent back as "message" for
	// non-ephemeral messages, as Slack does.
	Blocks json.RawMessage
	To     Target
}

// ClickEphemeral presses the button with actionID in an ephemeral the sim
// accepted, filling block_id, value and the label from its blocks. It
// reports false when e has no such button.
func (s *Sim) ClickEphemeral(e Ephemeral, actionID string) (Delivery, bool) {
	c := Click{User: e.User, Channel: e.Channel, MessageTS: e.MessageTS, ThreadTS: e.ThreadTS, Ephemeral: true, ActionID: actionID}
	type element struct {
		Type     string          `json:"type"`
		ActionID string          `json:"action_id"`
		Value    string          `json:"value"`
		Text     json.RawMessage `json:"text"` // a text object on buttons, a string elsewhere
	}
	var blocks []struct {
		BlockID   string          `json:"block_id"`
		Elements  json.RawMessage `json:"elements"`
		Accessory *element        `json:"accessory"`
	}
	if json.Unmarshal(e.Blocks, &blocks) != nil {
		return Delivery{}, false
	}
	press := func(blockID string, el element) (Delivery, bool) {
		var label struct {
			Text string `json:"text"`
		}
		_ = json.Unmarshal(el.Text, &label)
		c.BlockID, c.Value, c.Text = blockID, el.Value, label.Text
		return s.Click(c), true
	}
	for _, b := range blocks {
		var els []element
		_ = json.Unmarshal(b.Elements, &els) // rich_text elements are not buttons
		for _, el := range els {
			if el.Type == "button" && el.ActionID == actionID {
				return press(b.BlockID, el)
			}
		}
		if a := b.Accessory; a != nil && a.Type == "button" && a.ActionID == actionID {
			return press(b.BlockID, *a)
		}
	}
	return Delivery{}, false
}

// Click delivers an interactive block_actions envelope (decoded by
// socketmode into slack.InteractionCallback) with a response_url.
func (s *Sim) Click(c Click) Delivery {
	s.mu.Lock()
	user := map[string]any{"id": c.User, "team_id": s.TeamID}
	if u, ok := s.users[c.User]; ok {
		user["username"], user["name"], user["team_id"] = u.Name, u.Name, u.TeamID
	}
	chName := strings.ToLower(c.Channel)
	if ch, ok := s.channels[c.Channel]; ok {
		chName = ch.Name
	}
	actionTS := s.nextTSLocked()
	s.mu.Unlock()
	respURL := s.newResponseURL("actions", "interactive", c.Channel, c.User)
	trigger := s.nextTrigger()
	container := map[string]any{
		"type":         "message",
		"message_ts":   c.MessageTS,
		"channel_id":   c.Channel,
		"is_ephemeral": c.Ephemeral,
	}
	if c.ThreadTS != "" {
		container["thread_ts"] = c.ThreadTS
	}
	cb := map[string]any{
		"type":                  "block_actions",
		"user":                  user,
		"api_app_id":            s.AppID,
		"token":                 "slacksim-verification-token",
		"container":             container,
		"trigger_id":            trigger,
		"team":                  map[string]any{"id": s.TeamID, "domain": s.opts.TeamDomain},
		"enterprise":            nil,
		"is_enterprise_install": false,
		"channel":               map[string]any{"id": c.Channel, "name": chName},
		"state":                 map[string]any{"values": map[string]any{}},
		"response_url":          respURL,
		"actions": []any{map[string]any{
			"action_id": c.ActionID,
			"block_id":  c.BlockID,
			"text":      map[string]any{"type": "plain_text", "text": c.Text, "emoji": true},
			"value":     c.Value,
			"type":      "button",
			"action_ts": actionTS,
		}},
	}
	if !c.Ephemeral {
		m := map[string]any{"type": "message", "user": s.BotUserID, "bot_id": s.BotID, "ts": c.MessageTS}
		if len(c.Blocks) > 0 {
			m["blocks"] = c.Blocks
		}
		cb["message"] = m
	}
	payload, _ := json.Marshal(cb)
	ids := s.deliver(envelopeSpec{typ: "interactive", payload: payload, accepts: false}, c.To)
	return Delivery{EnvelopeIDs: ids, ResponseURL: respURL, TriggerID: trigger}
}

func (s *Sim) nextTrigger() string {
	n := s.seq.Add(1)
	return strconv.FormatInt(n, 10) + ".1700000000.slacksimtrigger"
}
