package slacksim

import (
	"encoding/json"
	"io"
	"net/http"
	"unicode/utf8"
)

type responseURL struct {
	url     string
	source  string // "slash_commands" or "interactive"
	channel string
	user    string
}

// newResponseURL hands out a response_url, shaped like Slack's
// hooks.slack.com/commands/... and /actions/... URLs but on the sim.
func (s *Sim) newResponseURL(kind, source, channel, user string) string {
	id := s.nextID(s.TeamID + "-")
	u := s.base + "/" + kind + "/" + id
	s.mu.Lock()
	s.respURLs[id] = &responseURL{url: u, source: source, channel: channel, user: user}
	s.mu.Unlock()
	return u
}

// serveResponseURL takes what slack-go's MsgOptionResponseURL,
// MsgOptionReplaceOriginal and MsgOptionDeleteOriginal post: a JSON
// slack.Msg (chat.go responseURLSender) with no token.
func (s *Sim) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ru, ok := s.respURLs[r.PathValue("id")]
	s.mu.Unlock()
	if !ok || r.Method != http.MethodPost {
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "invalid_url"})
		return
	}
	post := ResponseURLPost{URL: ru.url, Source: ru.source, Channel: ru.channel, User: ru.user, At: s.opts.Now()}
	var body struct {
		Text            string          `json:"text"`
		Blocks          json.RawMessage `json:"blocks"`
		ResponseType    string          `json:"response_type"`
		ReplaceOriginal bool            `json:"replace_original"`
		DeleteOriginal  bool            `json:"delete_original"`
		ThreadTS        string          `json:"thread_ts"`
		Attachments     json.RawMessage `json:"attachments"`
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if err == nil {
		err = json.Unmarshal(data, &body)
	}
	fail := func(e *apiError) {
		post.Error = e.code
		s.recordResponse(post)
		resp := map[string]any{"ok": false, "error": e.code}
		if len(e.details) > 0 {
			resp["errors"] = e.details
		}
		writeJSON(w, http.StatusOK, resp)
	}
	if err != nil {
		fail(&apiError{code: "invalid_payload"})
		return
	}
	post.Text, post.Blocks, post.ResponseType = body.Text, body.Blocks, body.ResponseType
	post.ReplaceOriginal, post.DeleteOriginal, post.ThreadTS = body.ReplaceOriginal, body.DeleteOriginal, body.ThreadTS
	if string(post.Blocks) == "null" {
		post.Blocks = nil
	}
	if post.ResponseType != "" && post.ResponseType != "ephemeral" && post.ResponseType != "in_channel" {
		fail(&apiError{code: "invalid_response_type"})
		return
	}
	if !body.DeleteOriginal && body.Text == "" && len(post.Blocks) == 0 && len(body.Attachments) == 0 {
		fail(&apiError{code: "no_text"})
		return
	}
	if utf8.RuneCountInString(body.Text) > maxMessageText {
		fail(&apiError{code: "msg_too_long"})
		return
	}
	if e := ValidateBlocks(post.Blocks, SurfaceMessage); e != nil {
		fail(e.apiError())
		return
	}
	s.recordResponse(post)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func (s *Sim) recordResponse(p ResponseURLPost) {
	s.mu.Lock()
	s.responses = append(s.responses, p)
	s.notifyLocked()
	s.mu.Unlock()
}
