package slacksim

import (
	"encoding/json"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxMessageText is Slack's limit on a message's text, 40,000 characters
// (api.slack.com/changelog/2018-04-truncating-really-long-messages). Slack
// truncates longer text on some paths and answers msg_too_long (an error
// code chat.postMessage documents) on others; the sim always rejects, so a
// bot that would lose text is caught in tests, not in production.
const maxMessageText = 40000

type rateLimit struct {
	remaining  int
	retryAfter time.Duration
}

// RateLimit makes the next n calls to method answer HTTP 429 with a
// Retry-After header, as Slack does when a method's tier is exceeded.
//
// slack-go parses Retry-After with strconv.ParseInt into whole seconds
// (misc.go checkStatusCode) and returns *slack.RateLimitedError, so
// retryAfter is sent rounded up to whole seconds. Slack itself never sends
// less than 1, but a zero retryAfter sends "Retry-After: 0", which slack-go
// accepts and turns into RateLimitedError{RetryAfter: 0}; tests use that to
// stay fast. A fractional header such as "0.5" would make slack-go return a
// *strconv.NumError instead, so the sim never sends one.
func (s *Sim) RateLimit(method string, n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 {
		delete(s.limits, method)
		return
	}
	s.limits[method] = &rateLimit{remaining: n, retryAfter: retryAfter}
}

// takeRateLimit reports whether this call must be rate limited, and for how long.
func (s *Sim) takeRateLimit(method string) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.limits[method]
	if !ok {
		return 0, false
	}
	l.remaining--
	if l.remaining <= 0 {
		delete(s.limits, method)
	}
	return l.retryAfter, true
}

// apiRequest is one decoded Web API request.
type apiRequest struct {
	method string
	token  string
	params url.Values
	// json holds the raw top-level fields of a JSON body.
	json map[string]json.RawMessage
}

// apiError is a Slack error answer: {"ok":false,"error":code,...}.
type apiError struct {
	code    string
	details []string
}

type apiHandler struct {
	// token is the kind of token the method takes: "bot" or "app".
	token string
	fn    func(s *Sim, req *apiRequest, call *Call) (map[string]any, *apiError)
}

var apiMethods = map[string]apiHandler{
	"auth.test":             {"bot", (*Sim).authTest},
	"apps.connections.open": {"app", (*Sim).appsConnectionsOpen},
	"users.info":            {"bot", (*Sim).usersInfo},
	"conversations.info":    {"bot", (*Sim).conversationsInfo},
	"chat.postEphemeral":    {"bot", (*Sim).chatPostEphemeral},
	"chat.postMessage":      {"bot", (*Sim).chatPostMessage},
	"views.publish":         {"bot", (*Sim).viewsPublish},
}

func (s *Sim) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	call := Call{Method: method, At: s.opts.Now(), Status: http.StatusOK}
	req, err := decodeAPIRequest(r, method)
	if err != nil {
		call.Error = "invalid_form_data"
		s.recordCall(call)
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": call.Error})
		return
	}
	call.Params = req.params
	if b := req.params.Get("blocks"); b != "" {
		call.Blocks = json.RawMessage(b)
	}

	fail := func(e *apiError) {
		call.Error = e.code
		call.Details = e.details
		s.recordCall(call)
		body := map[string]any{"ok": false, "error": e.code}
		if len(e.details) > 0 {
			// Slack's shape for invalid_blocks: "errors" holds strings, which
			// slack-go decodes into SlackResponseErrors.Message, and
			// response_metadata.messages holds the same, "[ERROR] "-prefixed.
			body["errors"] = e.details
			msgs := make([]string, len(e.details))
			for i, d := range e.details {
				msgs[i] = "[ERROR] " + d
			}
			body["response_metadata"] = map[string]any{"messages": msgs}
		}
		writeJSON(w, http.StatusOK, body)
	}

	h, ok := apiMethods[method]
	if !ok {
		fail(&apiError{code: "unknown_method"})
		return
	}
	if after, limited := s.takeRateLimit(method); limited {
		call.Error = "ratelimited"
		call.Status = http.StatusTooManyRequests
		s.recordCall(call)
		w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(after.Seconds())), 10))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
		return
	}

	switch {
	case req.token == "":
		fail(&apiError{code: "not_authed"})
		return
	case req.token == s.BotToken:
		call.TokenKind = "bot"
	case req.token == s.AppToken:
		call.TokenKind = "app"
	default:
		fail(&apiError{code: "invalid_auth"})
		return
	}
	if call.TokenKind != h.token {
		// Slack answers a valid token of the wrong kind (a bot token on
		// apps.connections.open, an app-level token on chat.*) with
		// not_allowed_token_type.
		fail(&apiError{code: "not_allowed_token_type"})
		return
	}

	resp, apiErr := h.fn(s, req, &call)
	if apiErr != nil {
		fail(apiErr)
		return
	}
	s.recordCall(call)
	resp["ok"] = true
	writeJSON(w, http.StatusOK, resp)
}

// decodeAPIRequest reads the token and parameters the way slack-go sends
// them: form-encoded POSTs with a "token" field (postMethod, formSender),
// JSON POSTs with "Authorization: Bearer" (postJSONMethod), and GETs with
// the query string and a Bearer header (getMethod).
func decodeAPIRequest(r *http.Request, method string) (*apiRequest, error) {
	req := &apiRequest{method: method, params: url.Values{}}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		req.token = strings.TrimSpace(tok)
	}
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Method == http.MethodPost && ctype == "application/json" {
		body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
		if err != nil {
			return nil, err
		}
		if len(strings.TrimSpace(string(body))) > 0 && string(body) != "null" {
			if err := json.Unmarshal(body, &req.json); err != nil {
				return nil, err
			}
		}
		for k, v := range req.json {
			var str string
			if json.Unmarshal(v, &str) == nil {
				req.params.Set(k, str)
			} else {
				req.params.Set(k, string(v))
			}
		}
	} else {
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		for k, v := range r.Form {
			req.params[k] = v
		}
	}
	if t := req.params.Get("token"); t != "" && req.token == "" {
		req.token = t
	}
	req.params.Del("token")
	return req, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Sim) authTest(_ *apiRequest, _ *Call) (map[string]any, *apiError) {
	return map[string]any{
		"url":                   "https://" + s.opts.TeamDomain + ".slack.com/",
		"team":                  s.opts.TeamName,
		"user":                  s.opts.BotName,
		"team_id":               s.TeamID,
		"user_id":               s.BotUserID,
		"bot_id":                s.BotID,
		"is_enterprise_install": false,
	}, nil
}

func (s *Sim) appsConnectionsOpen(_ *apiRequest, _ *Call) (map[string]any, *apiError) {
	ticket := s.nextID("tk-")
	s.mu.Lock()
	s.tickets[ticket] = true
	s.mu.Unlock()
	ws := "ws" + strings.TrimPrefix(s.base, "http") + "/link/?ticket=" + ticket + "&app_id=" + s.AppID
	return map[string]any{"url": ws}, nil
}

func (s *Sim) usersInfo(req *apiRequest, _ *Call) (map[string]any, *apiError) {
	id := req.params.Get("user")
	s.mu.Lock()
	u, ok := s.users[id]
	s.mu.Unlock()
	if !ok {
		return nil, &apiError{code: "user_not_found"}
	}
	return map[string]any{"user": s.userJSON(u)}, nil
}

func (s *Sim) userJSON(u User) map[string]any {
	real := u.RealName
	if real == "" {
		real = u.Name
	}
	profile := map[string]any{
		"real_name":               real,
		"real_name_normalized":    real,
		"display_name":            u.Name,
		"display_name_normalized": u.Name,
		"team":                    u.TeamID,
		"avatar_hash":             "g0000000000",
		"image_24":                "https://a.slack-edge.com/sim_24.png",
		"image_48":                "https://a.slack-edge.com/sim_48.png",
	}
	if u.Email != "" {
		profile["email"] = u.Email
	}
	out := map[string]any{
		"id":                  u.ID,
		"team_id":             u.TeamID,
		"name":                u.Name,
		"deleted":             u.Deleted,
		"color":               "9f69e7",
		"real_name":           real,
		"tz":                  "Europe/London",
		"tz_label":            "Greenwich Mean Time",
		"tz_offset":           0,
		"profile":             profile,
		"is_admin":            u.IsAdmin,
		"is_owner":            u.IsOwner,
		"is_primary_owner":    false,
		"is_restricted":       u.IsRestricted,
		"is_ultra_restricted": u.IsUltraRestricted,
		"is_bot":              u.IsBot,
		"is_app_user":         false,
		"updated":             1700000000,
		"is_email_confirmed":  !u.IsBot,
	}
	if u.IsStranger {
		// Slack includes is_stranger only for users outside the workspace.
		out["is_stranger"] = true
	}
	if u.ID == s.BotUserID {
		profile["bot_id"] = s.BotID
		profile["api_app_id"] = s.AppID
	}
	return out
}

func (s *Sim) conversationsInfo(req *apiRequest, _ *Call) (map[string]any, *apiError) {
	id := req.params.Get("channel")
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[id]
	if !ok {
		return nil, &apiError{code: "channel_not_found"}
	}
	member := s.isMember(ch, s.BotUserID)
	if ch.IsPrivate && !member {
		// Private channels are invisible to a bot that is not in them.
		return nil, &apiError{code: "channel_not_found"}
	}
	out := map[string]any{
		"id":                    ch.ID,
		"name":                  ch.Name,
		"name_normalized":       ch.Name,
		"is_channel":            !ch.IsPrivate && !ch.IsIM && !ch.IsMpIM,
		"is_group":              ch.IsPrivate && !ch.IsIM && !ch.IsMpIM,
		"is_im":                 ch.IsIM,
		"is_mpim":               ch.IsMpIM,
		"is_private":            ch.IsPrivate || ch.IsIM || ch.IsMpIM,
		"is_archived":           false,
		"is_general":            false,
		"is_shared":             ch.IsExtShared,
		"is_ext_shared":         ch.IsExtShared,
		"is_org_shared":         false,
		"is_pending_ext_shared": false,
		"is_member":             member,
		"created":               1700000000,
		"context_team_id":       s.TeamID,
		"shared_team_ids":       []string{s.TeamID},
	}
	if req.params.Get("include_num_members") == "true" {
		out["num_members"] = len(ch.Members)
	}
	return map[string]any{"channel": out}, nil
}

func (s *Sim) chatPostEphemeral(req *apiRequest, call *Call) (map[string]any, *apiError) {
	chID, userID := req.params.Get("channel"), req.params.Get("user")
	s.mu.Lock()
	ch, chOK := s.channels[chID]
	_, userOK := s.users[userID]
	var botIn, userIn bool
	if chOK {
		botIn, userIn = s.isMember(ch, s.BotUserID), s.isMember(ch, userID)
	}
	s.mu.Unlock()
	switch {
	case !chOK:
		return nil, &apiError{code: "channel_not_found"}
	case !userOK:
		return nil, &apiError{code: "user_not_found"}
	case !botIn:
		return nil, &apiError{code: "not_in_channel"}
	case !userIn:
		return nil, &apiError{code: "user_not_in_channel"}
	}
	if e := checkMessageContent(req.params); e != nil {
		return nil, e
	}
	s.mu.Lock()
	call.TS = s.nextTSLocked()
	s.mu.Unlock()
	return map[string]any{"message_ts": call.TS}, nil
}

func (s *Sim) chatPostMessage(req *apiRequest, call *Call) (map[string]any, *apiError) {
	chID := req.params.Get("channel")
	s.mu.Lock()
	ch, chOK := s.channels[chID]
	botIn := chOK && s.isMember(ch, s.BotUserID)
	s.mu.Unlock()
	switch {
	case !chOK:
		return nil, &apiError{code: "channel_not_found"}
	case !botIn:
		return nil, &apiError{code: "not_in_channel"}
	}
	if e := checkMessageContent(req.params); e != nil {
		return nil, e
	}
	s.mu.Lock()
	call.TS = s.nextTSLocked()
	s.mu.Unlock()
	msg := map[string]any{
		"type":    "message",
		"user":    s.BotUserID,
		"bot_id":  s.BotID,
		"app_id":  s.AppID,
		"text":    req.params.Get("text"),
		"ts":      call.TS,
		"team":    s.TeamID,
		"channel": chID,
	}
	if t := req.params.Get("thread_ts"); t != "" {
		msg["thread_ts"] = t
	}
	if len(call.Blocks) > 0 {
		msg["blocks"] = call.Blocks
	}
	return map[string]any{"channel": chID, "ts": call.TS, "message": msg}, nil
}

// checkMessageContent applies chat.post*'s rules for text and blocks.
func checkMessageContent(p url.Values) *apiError {
	text, blocks := p.Get("text"), p.Get("blocks")
	if text == "" && blocks == "" && p.Get("attachments") == "" {
		return &apiError{code: "no_text"}
	}
	if len([]rune(text)) > maxMessageText {
		return &apiError{code: "msg_too_long"}
	}
	if blocks != "" {
		if e := ValidateBlocks(json.RawMessage(blocks), SurfaceMessage); e != nil {
			return e.apiError()
		}
	}
	return nil
}

func (s *Sim) viewsPublish(req *apiRequest, call *Call) (map[string]any, *apiError) {
	userID := req.params.Get("user_id")
	s.mu.Lock()
	_, userOK := s.users[userID]
	s.mu.Unlock()
	if userID == "" {
		return nil, &apiError{code: "invalid_arguments", details: []string{"missing required field: user_id"}}
	}
	if !userOK {
		return nil, &apiError{code: "user_not_found"}
	}
	var view struct {
		Type   string          `json:"type"`
		Blocks json.RawMessage `json:"blocks"`
	}
	if raw, ok := req.json["view"]; !ok || json.Unmarshal(raw, &view) != nil {
		return nil, &apiError{code: "invalid_arguments", details: []string{"missing required field: view"}}
	}
	if view.Type != "home" {
		return nil, &apiError{code: "invalid_arguments", details: []string{"views.publish only publishes home views [json-pointer:/view/type]"}}
	}
	call.Blocks = view.Blocks
	if e := ValidateBlocks(view.Blocks, SurfaceHome); e != nil {
		return nil, e.apiError()
	}
	id := s.nextID("V0")
	return map[string]any{"view": map[string]any{
		"id":      id,
		"team_id": s.TeamID,
		"type":    "home",
		"blocks":  view.Blocks,
		"app_id":  s.AppID,
		"bot_id":  s.BotID,
		"hash":    strconv.FormatInt(s.opts.Now().Unix(), 10) + "." + id,
	}}, nil
}
