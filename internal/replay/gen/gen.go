// Package gen writes Slack exports for replay's tests and benchmarks: small
// hand-made ones (Files, WriteDir, WriteZip) and large generated ones
// (Generate) whose messages are the size and shape of real ones, with
// blocks and user_profile.
package gen

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// File is one file of an export: a slash-separated name and its bytes.
type File struct {
	Name string
	Data []byte
}

// JSON is a File holding v as JSON.
func JSON(name string, v any) File {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("gen: %s: %v", name, err))
	}
	return File{Name: name, Data: b}
}

// Sink receives an export's files one at a time.
type Sink interface {
	Add(f File) error
	Close() error
}

// DirSink writes files under a folder.
func DirSink(dir string) Sink { return dirSink(dir) }

type dirSink string

func (d dirSink) Add(f File) error {
	p := filepath.Join(string(d), filepath.FromSlash(f.Name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, f.Data, 0o644)
}

func (dirSink) Close() error { return nil }

// ZipSink writes files into a new ZIP file at path, deflated as Slack's are.
func ZipSink(path string) (Sink, error) {
	out, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &zipSink{f: out, w: zip.NewWriter(out)}, nil
}

type zipSink struct {
	f *os.File
	w *zip.Writer
}

func (z *zipSink) Add(f File) error {
	w, err := z.w.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: time.Unix(0, 0)})
	if err != nil {
		return err
	}
	_, err = w.Write(f.Data)
	return err
}

func (z *zipSink) Close() error {
	if err := z.w.Close(); err != nil {
		z.f.Close()
		return err
	}
	return z.f.Close()
}

// Write adds files to sink and closes it.
func Write(sink Sink, files []File) error {
	for _, f := range files {
		if err := sink.Add(f); err != nil {
			sink.Close()
			return fmt.Errorf("gen: %s: %w", f.Name, err)
		}
	}
	return sink.Close()
}

// Config shapes a generated export.
type Config struct {
	// Messages is how many messages to write in all.
	Messages int
	// Channels, Agents and Customers; zero means 40, 30 and 400.
	Channels, Agents, Customers int
	// PerDay is messages per channel per day; zero means 200. The export's
	// span grows with Messages.
	PerDay int
	// Seed makes the export reproducible.
	Seed uint64
}

// Team is the home team of generated exports; customers are in other teams
// (Slack Connect) and absent from users.json, except a few guests.
const Team = "T0HOME"

// Generate writes a generated export to sink and closes it.
func Generate(cfg Config, sink Sink) error {
	if cfg.Channels == 0 {
		cfg.Channels = 40
	}
	if cfg.Agents == 0 {
		cfg.Agents = 30
	}
	if cfg.Customers == 0 {
		cfg.Customers = 400
	}
	if cfg.PerDay == 0 {
		cfg.PerDay = 200
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 7))
	agents := make([]string, cfg.Agents)
	var users []map[string]any
	for i := range agents {
		agents[i] = fmt.Sprintf("UA%05d", i)
		users = append(users, member(agents[i], Team, false))
	}
	customers := make([]string, cfg.Customers)
	for i := range customers {
		customers[i] = fmt.Sprintf("UC%05d", i)
		if i%10 == 0 { // a few customers are guests of the workspace
			u := member(customers[i], Team, false)
			u["is_restricted"] = true
			users = append(users, u)
		}
	}
	users = append(users, member("UBOT0001", Team, true))
	var channels []map[string]any
	for c := range cfg.Channels {
		channels = append(channels, map[string]any{"id": fmt.Sprintf("C%07d", c), "name": fmt.Sprintf("support-%03d", c), "created": 1600000000, "is_archived": false, "members": agents[:3]})
	}
	if err := sink.Add(JSON("users.json", users)); err != nil {
		return err
	}
	if err := sink.Add(JSON("channels.json", channels)); err != nil {
		return err
	}

	days := (cfg.Messages + cfg.Channels*cfg.PerDay - 1) / (cfg.Channels * cfg.PerDay)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	left := cfg.Messages
	var buf []byte
	for c := 0; c < cfg.Channels && left > 0; c++ {
		name := fmt.Sprintf("support-%03d", c)
		var parents []string
		for d := 0; d < days && left > 0; d++ {
			n := min(cfg.PerDay, left)
			left -= n
			day := start.AddDate(0, 0, d)
			step := int64(86_000_000_000) / int64(n) // µs between messages
			buf = append(buf[:0], '[')
			for i := range n {
				at := day.UnixMicro() + int64(i)*step + rng.Int64N(step/2+1)
				ts := fmt.Sprintf("%d.%06d", at/1_000_000, at%1_000_000)
				isAgent := rng.IntN(2) == 0
				var u string
				if isAgent {
					u = agents[rng.IntN(len(agents))]
				} else {
					u = customers[rng.IntN(len(customers))]
				}
				m := message(rng, u, ts, isAgent)
				switch r := rng.IntN(100); {
				case r < 30 && len(parents) > 0:
					m["thread_ts"] = parents[rng.IntN(len(parents))]
					m["parent_user_id"] = customers[0]
				case r < 40:
					m["thread_ts"] = ts
					m["reply_count"] = 3
					m["reply_users"] = []string{u}
					parents = append(parents, ts)
					if len(parents) > 50 {
						parents = parents[1:]
					}
				case r < 42:
					m["bot_id"] = "B0001"
					m["subtype"] = "bot_message"
					delete(m, "user_profile")
				case r < 43:
					m["subtype"] = "channel_join"
				}
				if rng.IntN(20) == 0 {
					m["edited"] = map[string]any{"user": u, "ts": ts}
				}
				if rng.IntN(4) == 0 {
					m["reactions"] = []any{map[string]any{"name": "eyes", "users": []string{agents[0], customers[1]}, "count": 2}}
				}
				if i > 0 {
					buf = append(buf, ',')
				}
				b, err := json.Marshal(m)
				if err != nil {
					return err
				}
				// Slack's exports escape every '/' (it can only occur in strings).
				buf = append(buf, bytes.ReplaceAll(b, []byte("/"), []byte(`\/`))...)
			}
			buf = append(buf, ']')
			if err := sink.Add(File{Name: name + "/" + day.Format(time.DateOnly) + ".json", Data: buf}); err != nil {
				sink.Close()
				return err
			}
		}
	}
	return sink.Close()
}

func member(id, team string, bot bool) map[string]any {
	return map[string]any{
		"id": id, "team_id": team, "name": strings.ToLower(id), "deleted": false,
		"real_name": "Person " + id, "tz": "Europe/London", "is_bot": bot, "is_app_user": false,
		"is_restricted": false, "is_ultra_restricted": false,
		"profile": map[string]any{"real_name": "Person " + id, "display_name": id, "image_72": "https://avatars.example/" + id + "_72.png"},
	}
}

var (
	agentLines = []string{
		"Thanks for the details! I've checked your account and the sync job failed at 09:14 because the token expired. Could you reconnect the integration from Settings, then Integrations, and let me know if the export runs?",
		"As I already explained three times, the report only covers the last 30 days. There is nothing wrong with the product; it works as designed and no one else has this issue.",
		"I understand how frustrating this is. Let me look at the logs for that workspace and come back to you within the hour with what I find and the next step.",
		"Actually, that's not right: you must have changed the settings yourself. What you really need is to migrate everything to the new plan and rebuild the dashboards.",
		"Good catch, and sorry for the trouble. I've raised it with the team as a bug and I'll update this thread as soon as there is a fix; meanwhile the CSV export is a workaround.",
	}
	customerLines = []string{
		"Hi, our nightly export stopped working yesterday and the dashboard shows an error about permissions. Nothing changed on our side as far as I know. Can you help?",
		"This is the third time I'm asking. The numbers in the weekly report don't match what we see in the app and my manager needs them by Friday!!!",
		"Thanks, that worked. One more question: can we schedule the export to run at 6am in our timezone instead of midnight UTC?",
	}
)

func message(rng *rand.Rand, user, ts string, agent bool) map[string]any {
	lines := customerLines
	if agent {
		lines = agentLines
	}
	text := lines[rng.IntN(len(lines))]
	return map[string]any{
		"client_msg_id": fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<12), rng.IntN(1<<12), rng.Int64N(1<<48)),
		"type":          "message",
		"text":          text,
		"user":          user,
		"ts":            ts,
		"team":          Team,
		"user_team":     Team,
		"source_team":   Team,
		"user_profile": map[string]any{
			"avatar_hash": fmt.Sprintf("%012x", rng.Uint64()>>16), "image_72": "https://avatars.slack-edge.example/2025-01-01/" + user + "_72.png",
			"image_original": "https://avatars.slack-edge.example/2025-01-01/" + user + "_original.png", "first_name": "Person", "real_name": "Person " + user, "display_name": user, "team": Team, "name": strings.ToLower(user),
			"is_restricted": false, "is_ultra_restricted": false,
		},
		"blocks": blocks(rng, text),
	}
}

// blocks is the rich_text rendering Slack stores beside text: the words
// split into styled runs, with a link and a mention, as real ones are.
func blocks(rng *rand.Rand, text string) []any {
	words := strings.Fields(text)
	var els []any
	for i := 0; i < len(words); i += 6 {
		run := strings.Join(words[i:min(i+6, len(words))], " ") + " "
		el := map[string]any{"type": "text", "text": run}
		if i%12 == 6 {
			el["style"] = map[string]any{"bold": true}
		}
		els = append(els, el)
	}
	els = append(els,
		map[string]any{"type": "link", "url": "https://help.example.com/articles/" + strconv.Itoa(rng.IntN(9000)+1000) + "-exports-and-sync", "text": "the help article"},
		map[string]any{"type": "user", "user_id": fmt.Sprintf("UC%05d", rng.IntN(400))},
		map[string]any{"type": "emoji", "name": "slightly_smiling_face", "unicode": "1f642"},
	)
	return []any{map[string]any{
		"type": "rich_text", "block_id": strconv.FormatUint(rng.Uint64()%1e9, 36),
		"elements": []any{map[string]any{"type": "rich_text_section", "elements": els}},
	}}
}

// Discard is a Sink that drops everything, for sizing.
var Discard Sink = discard{}

type discard struct{}

func (discard) Add(File) error { return nil }
func (discard) Close() error   { return nil }
