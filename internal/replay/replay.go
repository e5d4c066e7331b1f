// Package replay runs the scorer over a Slack workspace export (a ZIP or
// its unpacked folder) and reports what the bot would have said: per
// channel and per agent, the would-be nudges at a threshold, the families,
// a threshold sweep and the top examples. It lets a support manager pick a
// threshold with evidence before switching the bot on.
//
// The export is streamed one day file at a time, so memory stays flat
// however large it is. Day files are decoded in parallel; the customer
// context is then attached in each channel's time order and the messages
// are scored in parallel again. Every figure of the Report is a sum or a
// fully ordered pick, so the output does not depend on scheduling.
package replay

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/nudgebot/nudgebot/internal/score"
)

// DefaultThreshold is the threshold the live bot starts with.
const DefaultThreshold = 0.6

// Options says what to replay and how.
type Options struct {
	// Channels keeps only these channels, by name (with or without '#')
	// or ID; empty keeps all.
	Channels []string
	// Since and Until keep messages from these UTC days (YYYY-MM-DD),
	// both inclusive; "" leaves that end open.
	Since, Until string
	// Agents, when set, are the agents, instead of the workspace's own
	// non-bot, non-guest members from users.json.
	Agents []string
	// Threshold is the chosen threshold; 0 means DefaultThreshold.
	Threshold float64
	// ShowText puts message text (the quoted spans) in the report.
	ShowText bool
	// Rules is the rulebook; nil means score.DefaultRules().
	Rules *score.Rules
	// Examples is how many top examples to keep; 0 means 10.
	Examples int
	// Workers bounds the parallel decoders and scorers; 0 means GOMAXPROCS.
	Workers int
	// OnStart, when set, is called once with the total size in bytes of
	// the day files to read; OnProgress then with each file's size as it
	// is done, from one goroutine.
	OnStart    func(totalBytes int64)
	OnProgress func(bytes int64)

	// evaluate replaces score.Evaluate in tests, to see what was scored
	// with which context.
	evaluate func(score.Message, *score.Rules) score.Result
}

// Run replays the export at path (a ZIP file or a folder).
func Run(ctx context.Context, path string, opts Options) (*Report, error) {
	if opts.Threshold == 0 {
		opts.Threshold = DefaultThreshold
	}
	if opts.Threshold < 0 || opts.Threshold > 1 {
		return nil, fmt.Errorf("threshold %v: want 0 < X <= 1", opts.Threshold)
	}
	for _, d := range []string{opts.Since, opts.Until} {
		if d != "" && !validDay(d) {
			return nil, fmt.Errorf("date %q: want YYYY-MM-DD", d)
		}
	}
	if opts.Since != "" && opts.Until != "" && opts.Since > opts.Until {
		return nil, fmt.Errorf("since %s is after until %s", opts.Since, opts.Until)
	}
	if opts.Rules == nil {
		opts.Rules = score.DefaultRules()
	}
	if opts.Examples == 0 {
		opts.Examples = 10
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}

	src, err := openSource(path)
	if err != nil {
		return nil, err
	}
	defer src.close()
	lay, err := readLayout(src, len(opts.Agents) > 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	dir := newDirectory(lay.users, opts.Agents)

	r := &run{opts: opts, src: src, dir: dir}
	r.rep = newReport(opts, lay, dir)
	r.rep.Export = filepath.Base(filepath.Clean(path))
	if err := r.selectFiles(lay); err != nil {
		return nil, err
	}
	if err := r.pipeline(ctx); err != nil {
		return nil, err
	}
	r.rep.finish(r.parts)
	return r.rep, nil
}

// run is one replay in progress.
type run struct {
	opts  Options
	src   source
	dir   *directory
	rep   *Report
	jobs  []job
	parts []*tally
}

// job is one day file to read.
type job struct {
	seq     int
	channel int // index into rep.Channels
	file    fileInfo
}

// selectFiles picks the channels and day files to read, in channel then
// time order. Day files one day either side of --since/--until are read
// too, for the context they give and because file days and UTC days may
// differ by the export's timezone.
func (r *run) selectFiles(lay *layout) error {
	want := map[string]bool{}
	for _, c := range r.opts.Channels {
		want[strings.TrimPrefix(strings.TrimSpace(c), "#")] = true
	}
	found := map[string]bool{}
	lo, hi := shiftDay(r.opts.Since, -1), shiftDay(r.opts.Until, 1)
	var total int64
	for _, f := range lay.folders {
		if len(want) > 0 && !want[f.meta.Name] && !want[f.meta.ID] {
			continue
		}
		found[f.meta.Name], found[f.meta.ID] = true, true
		ci := r.rep.addChannel(f.meta)
		for _, d := range f.days {
			day := strings.TrimSuffix(d.name[strings.LastIndexByte(d.name, '/')+1:], ".json")
			if (lo != "" && day < lo) || (hi != "" && day > hi) {
				continue
			}
			r.jobs = append(r.jobs, job{seq: len(r.jobs), channel: ci, file: d})
			total += d.size
		}
	}
	var missing []string
	for c := range want {
		if !found[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("--channels: no channel folder named %s in the export", strings.Join(missing, ", "))
	}
	r.rep.Files.Read = len(r.jobs)
	if r.opts.OnStart != nil {
		r.opts.OnStart(total)
	}
	return nil
}

func shiftDay(day string, n int) string {
	if day == "" {
		return ""
	}
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return t.AddDate(0, 0, n).Format(time.DateOnly)
}

// role is who sent a message, for replay's purposes.
type role uint8

const (
	customer role = iota
	agent
)

// message is one kept message of a day file.
type message struct {
	micros    int64 // ts in microseconds since the epoch
	channel   int   // index into Report.Channels
	ts        string
	user      string
	text      string
	threadTS  string // "" outside threads; == ts on a thread's parent
	role      role
	broadcast bool   // a thread reply also sent to the channel
	context   string // set for agents, in channel order
}

// decoded is one day file's messages, sorted by ts.
type decoded struct {
	job
	msgs  []message
	skips map[string]int
	read  int
	err   error
}

// pipeline decodes day files in parallel, attaches context in order and
// scores in parallel. At most window files are in flight, so memory is
// bounded by the largest day files, not the export.
func (r *run) pipeline(ctx context.Context) error {
	workers := r.opts.Workers
	window := 4 * workers
	g, ctx := errgroup.WithContext(ctx)

	jobs := make(chan job)
	done := make(chan decoded, window)
	batches := make(chan []message, window)
	slots := make(chan struct{}, window)

	g.Go(func() error { // feeder
		defer close(jobs)
		for _, j := range r.jobs {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})

	var decoders sync.WaitGroup
	for range workers {
		decoders.Add(1)
		g.Go(func() error {
			defer decoders.Done()
			var buf bytes.Buffer
			var raw []rawMessage
			for j := range jobs {
				d := r.decode(j, &buf, &raw)
				select {
				case done <- d:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		})
	}
	go func() { decoders.Wait(); close(done) }()

	g.Go(func() error { // orderer: context in time order, per channel
		defer close(batches)
		pending := map[int]decoded{}
		next := 0
		var cc contextState
		for d := range done {
			pending[d.seq] = d
			for {
				d, ok := pending[next]
				if !ok {
					break
				}
				delete(pending, next)
				next++
				<-slots
				batch := r.order(&cc, d)
				if r.opts.OnProgress != nil {
					r.opts.OnProgress(d.file.size)
				}
				if len(batch) == 0 {
					continue
				}
				select {
				case batches <- batch:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
		return ctx.Err()
	})

	evaluate := r.opts.evaluate
	if evaluate == nil {
		evaluate = score.Evaluate
	}
	r.parts = make([]*tally, workers)
	for w := range workers {
		t := newTally(r.rep, r.opts)
		r.parts[w] = t
		g.Go(func() error {
			for batch := range batches {
				for i := range batch {
					m := &batch[i]
					res := evaluate(score.Message{Text: m.text, Context: m.context, At: time.UnixMicro(m.micros).UTC()}, r.opts.Rules)
					t.add(m, res)
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// decode reads and decodes one day file and keeps the messages replay
// cares about: agents' to score, customers' for context.
func (r *run) decode(j job, buf *bytes.Buffer, raw *[]rawMessage) decoded {
	d := decoded{job: j, skips: map[string]int{}}
	rc, err := r.src.open(j.file.name)
	if err != nil {
		d.err = err
		return d
	}
	data, err := readAll(rc, buf, j.file.size)
	rc.Close()
	if err != nil {
		d.err = err
		return d
	}
	*raw, err = decodeDay(data, (*raw)[:0])
	if err != nil {
		d.err = err
		return d
	}
	d.read = len(*raw)
	seen := make(map[string]struct{}, len(*raw))
	d.msgs = make([]message, 0, len(*raw))
	for i := range *raw {
		m := &(*raw)[i]
		reason := r.dir.skipReason(m)
		if reason == "" {
			if _, dup := seen[m.TS]; dup {
				reason = "duplicate ts in its day file"
			}
		}
		micros, ok := parseTS(m.TS)
		if reason == "" && !ok {
			reason = "no valid ts"
		}
		if reason != "" {
			d.skips[reason]++
			continue
		}
		seen[m.TS] = struct{}{}
		rl := customer
		if r.dir.isAgent(m.User) {
			rl = agent
		}
		d.msgs = append(d.msgs, message{micros: micros, channel: j.channel, ts: m.TS, user: m.User, text: m.Text, threadTS: m.ThreadTS, role: rl, broadcast: m.Subtype == "thread_broadcast"})
	}
	slices.SortStableFunc(d.msgs, func(a, b message) int { return cmp.Compare(a.micros, b.micros) })
	return d
}

// parseTS turns a Slack ts ("1355517523.000005") into microseconds.
func parseTS(ts string) (int64, bool) {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || s < 0 || s > 1<<40 {
		return 0, false
	}
	var us int64
	if frac != "" {
		if len(frac) > 6 {
			frac = frac[:6]
		}
		f, err := strconv.ParseInt(frac, 10, 64)
		if err != nil || f < 0 {
			return 0, false
		}
		for range 6 - len(frac) {
			f *= 10
		}
		us = f
	}
	return s*1_000_000 + us, true
}

// contextState is the customers' last messages of the channel being read:
// at the top level and per thread.
type contextState struct {
	channel int
	top     string
	threads map[string]threadContext
	lastDay int64
	started bool
}

type threadContext struct {
	text   string
	micros int64
}

// threadTTL is how long a thread's customer context is kept after its
// last customer message; older threads are forgotten so memory stays flat
// on a channel with years of threads.
const threadTTL = 30 * 24 * time.Hour

// order attaches context to one day file's agent messages, in time order,
// and returns those to score. It records the file's counts in rep.
func (r *run) order(cc *contextState, d decoded) []message {
	rep := r.rep
	if d.err != nil {
		rep.skipFile(d.file.name, d.err)
		return nil
	}
	rep.Messages.Read += d.read
	for k, n := range d.skips {
		rep.Messages.Skipped[k] += n
	}
	if !cc.started || cc.channel != d.channel {
		*cc = contextState{channel: d.channel, started: true, threads: map[string]threadContext{}}
	}
	if len(d.msgs) > 0 {
		day := d.msgs[0].micros / (24 * 3600 * 1_000_000)
		if day != cc.lastDay && len(cc.threads) > 0 {
			cutoff := d.msgs[0].micros - threadTTL.Microseconds()
			for k, v := range cc.threads {
				if v.micros < cutoff {
					delete(cc.threads, k)
				}
			}
		}
		cc.lastDay = day
	}
	out := d.msgs[:0]
	for _, m := range d.msgs {
		inThread := m.threadTS != "" && m.threadTS != m.ts
		if m.role == customer {
			rep.Messages.Customer++
			if !inThread || m.broadcast {
				cc.top = m.text
			}
			if m.threadTS != "" {
				// A parent starts its thread's context; a reply (also one
				// broadcast to the channel) continues it.
				cc.threads[m.threadTS] = threadContext{text: m.text, micros: m.micros}
			}
			continue
		}
		day := dayOf(m.micros)
		if (r.opts.Since != "" && day < r.opts.Since) || (r.opts.Until != "" && day > r.opts.Until) {
			rep.Messages.Skipped["outside --since/--until"]++
			continue
		}
		if inThread {
			m.context = cc.threads[m.threadTS].text
		} else {
			m.context = cc.top
		}
		out = append(out, m)
	}
	return out
}

func dayOf(micros int64) string {
	return time.UnixMicro(micros).UTC().Format(time.DateOnly)
}

// directory knows who is an agent and who is a bot.
type directory struct {
	agents map[string]bool
	bots   map[string]bool
	home   string
}

// newDirectory decides agents as the live bot does: members of the home
// team (the most common team_id in users.json, since an export has no
// auth.test), not bots, not guests, not external. Deleted members keep
// their role for their old messages. override, when set, names the agents.
func newDirectory(users []user, override []string) *directory {
	d := &directory{agents: map[string]bool{}, bots: map[string]bool{slackbotID: true}}
	teams := map[string]int{}
	for _, u := range users {
		if u.TeamID != "" && !u.IsBot && !u.IsAppUser && u.ID != slackbotID {
			teams[u.TeamID]++
		}
		if u.IsBot || u.IsAppUser {
			d.bots[u.ID] = true
		}
	}
	for t, n := range teams {
		if n > teams[d.home] || (n == teams[d.home] && t < d.home) {
			d.home = t
		}
	}
	if len(override) > 0 {
		for _, a := range override {
			if a = strings.TrimSpace(a); a != "" {
				d.agents[a] = true
			}
		}
		return d
	}
	for _, u := range users {
		if u.TeamID == d.home && !d.bots[u.ID] && !u.IsRestricted && !u.IsUltraRestricted && !u.IsStranger {
			d.agents[u.ID] = true
		}
	}
	return d
}

func (d *directory) isAgent(id string) bool { return d.agents[id] }

// skipReason says why a message is neither scored nor context, or "".
func (d *directory) skipReason(m *rawMessage) string {
	switch {
	case m.Type != "" && m.Type != "message":
		return "not a message"
	case m.Subtype == "bot_message" || m.BotID != "":
		return "bot message"
	case m.User == slackbotID:
		return "Slackbot"
	case m.Subtype != "" && m.Subtype != "thread_broadcast":
		return "subtype " + m.Subtype
	case m.User == "":
		return "no user"
	case d.bots[m.User]:
		return "bot message"
	case strings.TrimSpace(m.Text) == "":
		return "no text"
	}
	return ""
}
