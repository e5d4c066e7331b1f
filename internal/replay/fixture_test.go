package replay

import (
	"fmt"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/nudgebot/nudgebot/internal/replay/gen"
)

// The fixture export: a small workspace in the real Slack export layout,
// with every kind of member and message replay must tell apart.
//
// Members (home team T1): agents U1, U2 (deleted), U3; guests G1
// (is_restricted) and G2 (is_ultra_restricted); B1 an app bot user;
// Slackbot; E2 a member of another team. X9 is a Slack Connect external,
// absent from users.json.

// fxMsg is one fixture message and what replay must do with it.
type fxMsg struct {
	folder string
	m      map[string]any
	// want is "score", "customer" or "skip: REASON".
	want string
	// context is the customer message an agent message must be scored with.
	context string
}

var fxDay0 = time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)

// fxTS is the ts of a message day days and sec seconds after fxDay0.
func fxTS(day, sec int) string {
	t := fxDay0.AddDate(0, 0, day).Add(time.Duration(sec) * time.Second)
	return fmt.Sprintf("%d.%06d", t.Unix(), 100+sec)
}

func msg(user, text, ts string, extra ...any) map[string]any {
	m := map[string]any{"type": "message", "user": user, "text": text, "ts": ts,
		"blocks": []any{map[string]any{"type": "rich_text", "block_id": "b" + ts, "elements": []any{
			map[string]any{"type": "rich_text_section", "elements": []any{map[string]any{"type": "text", "text": text}}}}}},
		"user_profile": map[string]any{"real_name": "Someone " + user, "display_name": user, "team": "T1"},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i].(string)] = extra[i+1]
	}
	return m
}

const (
	txtGuestAsk      = "Hi, my export is broken and I need it today."
	txtExternalAsk   = "That's not what your docs say."
	txtOtherTeamAsk  = "Still waiting, anyone there?"
	txtExternalReply = "Still broken after the restart."
	txtVIPAsk        = "Please help, this is urgent for our launch."
)

var (
	tsParent = fxTS(0, 300)
	tsDup    = fxTS(1, 200)
)

func fixtureMessages() []fxMsg {
	return []fxMsg{
		{"support", msg("G1", txtGuestAsk, fxTS(0, 100)), "customer", ""},
		{"support", msg("U1", "As I already explained three times, the export runs at midnight.", fxTS(0, 200)), "score", txtGuestAsk},
		{"support", msg("X9", txtExternalAsk, tsParent, "thread_ts", tsParent, "reply_count", 3, "reply_users", []string{"U2", "U3", "X9"}, "latest_reply", fxTS(1, 100)), "customer", ""},
		{"support", msg("U2", "Thanks for flagging, I'll check the docs now and come back to you.", fxTS(0, 400), "thread_ts", tsParent, "parent_user_id", "X9"), "score", txtExternalAsk},
		{"support", map[string]any{"type": "message", "subtype": "bot_message", "bot_id": "B9", "username": "deploys", "text": "As I already said, deploy finished.", "ts": fxTS(0, 500),
			"bot_profile": map[string]any{"id": "B9", "name": "deploys", "app_id": "A9"}}, "skip: bot message", ""},
		{"support", msg("B1", "As I already said, standup in five minutes.", fxTS(0, 600), "bot_id", "B1", "bot_profile", map[string]any{"id": "B1", "name": "standup", "app_id": "A1"}), "skip: bot message", ""},
		{"support", msg("USLACKBOT", "As I already mentioned, you asked me to remind you.", fxTS(0, 700)), "skip: Slackbot", ""},
		{"support", msg("U3", "<@U3> has joined the channel", fxTS(0, 800), "subtype", "channel_join"), "skip: subtype channel_join", ""},
		{"support", msg("U1", "As I already said, please restart the app.", fxTS(0, 900), "edited", map[string]any{"user": "U1", "ts": fxTS(0, 950)}), "score", txtExternalAsk},
		{"support", msg("E2", txtOtherTeamAsk, fxTS(0, 1000)), "customer", ""},
		{"support", msg("U3", "As I already told you, check the docs before asking.", fxTS(0, 1100), "subtype", "thread_broadcast", "thread_ts", tsParent, "parent_user_id", "X9"), "score", txtExternalAsk},
		{"support", msg("X9", txtExternalReply, fxTS(1, 100), "thread_ts", tsParent, "parent_user_id", "X9"), "customer", ""},
		{"support", msg("U1", "Sorry about that, let me look at the logs right away.", tsDup, "thread_ts", tsParent, "parent_user_id", "X9"), "score", txtExternalReply},
		{"support", msg("U1", "Sorry about that, let me look at the logs right away.", tsDup, "thread_ts", tsParent, "parent_user_id", "X9"), "skip: duplicate ts in its day file", ""},
		{"support", msg("U1", "Let me look at it for you.", fxTS(1, 300), "files", []any{map[string]any{"id": "F1", "name": "log.txt"}}), "score", txtOtherTeamAsk},
		{"billing", msg("U2", "As I already explained, the invoice is correct.", fxTS(2, 100)), "score", ""},
		{"vip-support", msg("G2", txtVIPAsk, fxTS(2, 200)), "customer", ""},
		{"vip-support", msg("U3", "As I already said twice, we are on it.", fxTS(2, 300)), "score", txtVIPAsk},
	}
}

func fxUser(id, team string, fields ...any) map[string]any {
	u := map[string]any{"id": id, "team_id": team, "name": id, "deleted": false, "real_name": "Someone " + id,
		"is_bot": false, "is_app_user": false, "is_restricted": false, "is_ultra_restricted": false,
		"profile": map[string]any{"real_name": "Someone " + id, "team": team}}
	for i := 0; i+1 < len(fields); i += 2 {
		u[fields[i].(string)] = fields[i+1]
	}
	return u
}

// fixtureFiles lays the fixture out as Slack does: listings at the top,
// one folder per conversation, one YYYY-MM-DD.json per UTC day of ts.
func fixtureFiles() []gen.File {
	files := []gen.File{
		gen.JSON("users.json", []any{
			fxUser("U1", "T1"), fxUser("U2", "T1", "deleted", true), fxUser("U3", "T1"),
			fxUser("G1", "T1", "is_restricted", true), fxUser("G2", "T1", "is_restricted", true, "is_ultra_restricted", true),
			fxUser("B1", "T1", "is_bot", true), fxUser("USLACKBOT", "T1"), fxUser("E2", "T2"),
		}),
		gen.JSON("channels.json", []any{
			map[string]any{"id": "C1", "name": "support", "created": 1700000000, "members": []string{"U1", "U2", "U3"}},
			map[string]any{"id": "C2", "name": "billing", "created": 1700000000, "members": []string{"U2"}},
		}),
		gen.JSON("groups.json", []any{map[string]any{"id": "G100", "name": "vip-support", "created": 1700000000}}),
		gen.JSON("dms.json", []any{map[string]any{"id": "D1", "created": 1700000000, "members": []string{"U1", "G1"}}}),
		gen.JSON("mpims.json", []any{map[string]any{"id": "G200", "name": "mpdm-u1--u2--g1-1", "created": 1700000000}}),
		gen.JSON("integration_logs.json", []any{}),
		gen.JSON("canvases.json", []any{}),
		gen.JSON("D1/2025-03-10.json", []any{msg("U1", "As I already said in the DM, no.", fxTS(0, 50))}),
		gen.JSON("mpdm-u1--u2--g1-1/2025-03-10.json", []any{msg("U2", "As I already said in the group DM, no.", fxTS(0, 60))}),
		gen.JSON("old-unlisted/2025-03-10.json", []any{msg("U1", "As I already said somewhere else.", fxTS(0, 70))}),
		{Name: "support/canvas_F0CANVAS.json", Data: []byte(`{"title":"runbook"}`)},
		// A day file cut short: the rest of the export is still read.
		{Name: "billing/2025-03-10.json", Data: []byte(`[{"type":"message","user":"U1","text":"As I already said","ts":"` + fxTS(0, 10) + `"},{"type":`)},
	}
	byFile := map[string][]any{}
	for _, f := range fixtureMessages() {
		day := dayOf(mustTS(f.m["ts"].(string)))
		name := f.folder + "/" + day + ".json"
		byFile[name] = append(byFile[name], f.m)
	}
	names := make([]string, 0, len(byFile))
	for n := range byFile {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		files = append(files, gen.JSON(n, byFile[n]))
	}
	return files
}

func mustTS(ts string) int64 {
	m, ok := parseTS(ts)
	if !ok {
		panic("bad ts " + ts)
	}
	return m
}

// writeFixture writes files as a folder, a ZIP, or a ZIP whose entries sit
// in one folder (as when someone zips the unpacked export), and returns
// its path.
func writeFixture(t *testing.T, kind string, files []gen.File) string {
	t.Helper()
	dir := t.TempDir()
	var (
		sink gen.Sink
		err  error
		p    string
	)
	switch kind {
	case "folder":
		p = filepath.Join(dir, "export")
		sink = gen.DirSink(p)
	case "zip", "zip-in-folder":
		p = filepath.Join(dir, "export.zip")
		sink, err = gen.ZipSink(p)
		if err != nil {
			t.Fatal(err)
		}
		if kind == "zip-in-folder" {
			wrapped := make([]gen.File, len(files))
			for i, f := range files {
				wrapped[i] = gen.File{Name: "Acme Slack export Mar 10 2025/" + f.Name, Data: f.Data}
			}
			files = wrapped
		}
	default:
		t.Fatalf("unknown fixture kind %q", kind)
	}
	if err := gen.Write(sink, files); err != nil {
		t.Fatal(err)
	}
	return p
}

func timeOf(ts string) time.Time { return time.UnixMicro(mustTS(ts)).UTC() }
