package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nudgebot/nudgebot/internal/app"
	"github.com/nudgebot/nudgebot/internal/slackbot"
	"github.com/nudgebot/nudgebot/internal/slacksim"
	"github.com/slack-go/slack"
)

// demoWait bounds every wait in the demo; the whole demo takes well under
// a second when all is well.
const demoWait = 10 * time.Second

func cmdDemo(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	// Hidden: play N agent messages and print the load figures, at most
	// -load-rate messages/s (0: as fast as the bot takes them, keeping
	// loadWindow in flight), with -load-workers bot workers.
	load := fs.Int("load", 0, "")
	rate := fs.Int("load-rate", 0, "")
	workers := fs.Int("load-workers", 0, "")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: nudgebot demo")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Runs the whole bot against a built-in Slack simulator on 127.0.0.1 with a")
		fmt.Fprintln(stderr, "temporary SQLite store, plays a short support conversation and prints each")
		fmt.Fprintln(stderr, "message and each private nudge the agent receives. No tokens, no network.")
	}
	if code, done := parseNoArgs(fs, args); done {
		return code
	}
	ctx := context.Background()
	var err error
	if *load > 0 {
		err = runLoad(ctx, *load, *rate, *workers, stdout, stderr)
	} else {
		err = runDemo(ctx, stdout, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "nudgebot demo: %v\n", err)
		return exitError
	}
	return exitOK
}

// The demo's workspace: Northwind's support team, and Acme Corp, a
// customer whose people reach the channel through Slack Connect.
const (
	demoChannel  = "C0ACME"
	demoChanName = "acme-support"
	alex         = "U0ALEX"  // Northwind support agent
	sam          = "U0SAM"   // Northwind support agent
	casey        = "U0CASEY" // Acme Corp, through Slack Connect
	jordan       = "U0JORDAN"
)

var demoPeople = map[string]string{
	alex:   "alex (Northwind support)",
	sam:    "sam (Northwind support)",
	casey:  "casey (Acme Corp, customer)",
	jordan: "jordan (Acme Corp, customer)",
}

// demoStep is one thing that happens in the conversation.
type demoStep struct {
	user   string
	text   string
	thread int // 1-based index of the step whose message starts the thread; 0 for none
	click  string
}

var demoScript = []demoStep{
	{user: casey, text: "Hi team, our nightly CSV export has failed three nights in a row. We need it for our board meeting on Friday."},
	{user: alex, text: "The export works fine for every other customer. As I already said in the ticket, you need to fix your column mappings."},
	{user: alex, click: slackbot.ActionHelpful},
	{user: alex, text: "Sorry, let me look at this properly. Could you send me the job ID of last night's run? I'll check the logs right now."},
	{user: casey, text: "Sure, it's job 48213. Thanks for looking."},
	{user: alex, text: "Found it: the export timed out on your attachments column. I've raised the limit for your workspace, so tonight's run should go through. I'll check in tomorrow morning to confirm."},
	{user: jordan, text: "Will the weekly usage report be fixed too? It has the same problem!!", thread: 0},
	{user: sam, text: "Honestly, what you really need is to migrate everything to the new reporting API.", thread: 7},
	{user: sam, text: "For Friday, though: I can re-run the weekly report by hand today and send it to you. Would that help?", thread: 7},
	{user: jordan, text: "Yes please, that would be great.", thread: 7},
}

// demoClock is the demo's clock: it moves only when the script does, so
// timestamps, and the reminders chosen by them, are the same every run.
type demoClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *demoClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *demoClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// demoBot is a simulator and the whole bot, in this process.
type demoBot struct {
	sim   *slacksim.Sim
	app   *app.App
	obs   *slackbot.Recorder
	clock *demoClock
	dir   string
	stop  context.CancelFunc
	done  chan error
}

// startDemoBot starts the simulator and the bot with a temporary SQLite
// store, and waits for the bot to connect.
func startDemoBot(ctx context.Context, stderr io.Writer, clock *demoClock, cooldown time.Duration, setup func(*slacksim.Sim), opts app.Options) (*demoBot, error) {
	simOpts := slacksim.Options{TeamID: "T0NORTHWIND", TeamName: "Northwind", TeamDomain: "northwind"}
	if clock != nil {
		simOpts.Now = clock.Now
		opts.Now = clock.Now
	}
	sim, err := slacksim.New(simOpts)
	if err != nil {
		return nil, err
	}
	setup(sim)
	dir, err := os.MkdirTemp("", "nudgebot-demo-")
	if err != nil {
		sim.Close()
		return nil, err
	}
	d := &demoBot{sim: sim, obs: slackbot.NewRecorder(), clock: clock, dir: dir, done: make(chan error, 1)}
	opts.Observe = d.obs.Observe
	cfg := app.Config{
		AppToken:  app.Secret(sim.AppToken), // the simulator's tokens are fake
		BotToken:  app.Secret(sim.BotToken),
		APIURL:    sim.APIURL(),
		Store:     filepath.Join(dir, "nudgebot.db"),
		HTTPAddr:  "127.0.0.1:0",
		Threshold: 0.6,
		Cooldown:  cooldown,
		LogLevel:  "error",
	}
	d.app, err = app.New(ctx, cfg, app.NewLogger(cfg.LogLevel, stderr), opts)
	if err != nil {
		d.close()
		return nil, err
	}
	runCtx, stop := context.WithCancel(ctx)
	d.stop = stop
	go func() { d.done <- d.app.Run(runCtx) }()
	wctx, cancel := context.WithTimeout(ctx, demoWait)
	defer cancel()
	if err := sim.WaitConnected(wctx, 1); err != nil {
		d.close()
		return nil, fmt.Errorf("the bot did not connect to the simulator: %w", err)
	}
	return d, nil
}

// close stops the bot, closes the store and the simulator and removes
// the temporary store.
func (d *demoBot) close() error {
	var err error
	if d.stop != nil {
		d.stop()
		err = <-d.done
	}
	if d.app != nil {
		if cerr := d.app.Close(); err == nil {
			err = cerr
		}
	}
	d.sim.Close()
	os.RemoveAll(d.dir)
	return err
}

func runDemo(ctx context.Context, stdout, stderr io.Writer) error {
	clock := &demoClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	d, err := startDemoBot(ctx, stderr, clock, 10*time.Minute, func(sim *slacksim.Sim) {
		sim.AddUser(slacksim.User{ID: alex, Name: "alex", RealName: "Alex Kim"})
		sim.AddUser(slacksim.User{ID: sam, Name: "sam", RealName: "Sam Ortiz"})
		sim.AddUser(slacksim.User{ID: casey, TeamID: "T0ACME", Name: "casey", RealName: "Casey Lee"})
		sim.AddUser(slacksim.User{ID: jordan, TeamID: "T0ACME", Name: "jordan", RealName: "Jordan Park"})
		sim.AddChannel(slacksim.Channel{ID: demoChannel, Name: demoChanName, IsExtShared: true,
			Members: []string{alex, sam, casey, jordan}})
	}, app.Options{Rand: func() float64 { return 1 }})
	if err != nil {
		return err
	}
	playErr := d.play(ctx, stdout)
	if err := d.close(); playErr == nil {
		playErr = err
	}
	return playErr
}

func (d *demoBot) play(ctx context.Context, w io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, demoWait)
	defer cancel()
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }

	p("nudgebot demo: the whole bot against a Slack simulator on 127.0.0.1, with a")
	p("temporary SQLite store. No tokens, no network. Workspace: Northwind (support).")
	p("")
	p("#%s is shared with the customer, Acme Corp, through Slack Connect.", demoChanName)
	p("Agents are Northwind members; Acme's people are customers and are never scored.")
	p("")

	// alex invites the bot; it answers alex alone.
	inv := d.sim.MemberJoined(demoChannel, d.sim.BotUserID, alex, slacksim.EventOpts{})
	if _, err := d.obs.Wait(ctx, inv.EventID, 1); err != nil {
		return err
	}
	p("» alex invites @nudgebot to #%s", demoChanName)
	if err := d.printEphemerals(w, 0, "only alex sees"); err != nil {
		return err
	}

	var ts []string
	seen := len(d.sim.Ephemerals())
	scored, sent := 0, 0
	for i, st := range demoScript {
		d.clock.advance(2 * time.Minute)
		if st.click != "" {
			if err := d.click(ctx, w, st); err != nil {
				return err
			}
			ts = append(ts, "")
			continue
		}
		m := slacksim.Msg{Channel: demoChannel, User: st.user, Text: st.text}
		indent := ""
		if st.thread > 0 {
			m.ThreadTS = ts[st.thread-1]
			indent = "    ↳ "
		}
		dl := d.sim.Post(m)
		ts = append(ts, dl.TS)
		reps, err := d.obs.Wait(ctx, dl.EventID, 1)
		if err != nil {
			return err
		}
		h := reps[0]
		if h.Err != nil {
			return fmt.Errorf("step %d: %w", i+1, h.Err)
		}
		p("")
		p("%s%s:", indent, demoPeople[st.user])
		for _, l := range wrap(st.text, 72) {
			p("%s  %s", indent, l)
		}
		if h.Outcome != "customer" {
			scored++
		}
		if h.Outcome == "sent" {
			sent++
			if err := d.printEphemerals(w, seen, "nudge, only "+d.name(st.user)+" sees it"); err != nil {
				return err
			}
		}
		seen = len(d.sim.Ephemerals())
	}
	p("")
	nudges := "nudges, each"
	if sent == 1 {
		nudges = "nudge,"
	}
	p("%d messages, %d of them by agents and scored; %d %s seen only by its agent.", len(demoScript)-1, scored, sent, nudges)
	p("Nothing was posted in the channel. Try: nudgebot score \"As I already said, read the docs.\"")
	return nil
}

func (d *demoBot) name(user string) string {
	n, _, _ := strings.Cut(demoPeople[user], " ")
	return n
}

// click presses a button of the last nudge and prints what replaces it.
func (d *demoBot) click(ctx context.Context, w io.Writer, st demoStep) error {
	eph := d.sim.Ephemerals()
	if len(eph) == 0 {
		return nil // the engine did not nudge: nothing to click
	}
	e := eph[len(eph)-1]
	btn, ok := findButton(e.Blocks, st.click)
	if !ok {
		return fmt.Errorf("no %s button in the nudge", st.click)
	}
	before := len(d.sim.ResponseURLPosts())
	dl := d.sim.Click(slacksim.Click{User: e.User, Channel: e.Channel, MessageTS: e.MessageTS, ThreadTS: e.ThreadTS,
		Ephemeral: true, ActionID: btn.ActionID, BlockID: btn.blockID, Value: btn.Value, Text: btn.Text.Text})
	if _, err := d.obs.Wait(ctx, dl.EnvelopeID(), 1); err != nil {
		return err
	}
	posts, err := d.sim.WaitResponseURLPosts(ctx, before+1)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n» %s clicks [%s]; the nudge is replaced by:\n", d.name(e.User), btn.Text.Text)
	fmt.Fprintf(w, "    ┆ %s\n", mrkdwnText(posts[len(posts)-1].Text))
	return nil
}

type button struct {
	*slack.ButtonBlockElement
	blockID string
}

func findButton(raw json.RawMessage, actionID string) (button, bool) {
	var blocks slack.Blocks
	if json.Unmarshal(raw, &blocks) != nil {
		return button{}, false
	}
	for _, b := range blocks.BlockSet {
		if ab, ok := b.(*slack.ActionBlock); ok {
			for _, el := range ab.Elements.ElementSet {
				if btn, ok := el.(*slack.ButtonBlockElement); ok && btn.ActionID == actionID {
					return button{btn, ab.BlockID}, true
				}
			}
		}
	}
	return button{}, false
}

// printEphemerals prints the ephemerals after the first skip, rendered.
func (d *demoBot) printEphemerals(w io.Writer, skip int, title string) error {
	eph := d.sim.Ephemerals()
	for _, e := range eph[min(skip, len(eph)):] {
		fmt.Fprintf(w, "    ┌ %s\n", title)
		lines, err := renderBlocks(e)
		if err != nil {
			return err
		}
		for _, l := range lines {
			fmt.Fprintf(w, "    ┆ %s\n", l)
		}
		fmt.Fprintln(w, "    └")
	}
	return nil
}

// renderBlocks shows an ephemeral as its reader would see it: each block
// as lines of text, buttons in brackets; the fallback text when there are
// no blocks.
func renderBlocks(e slacksim.Ephemeral) ([]string, error) {
	if len(e.Blocks) == 0 {
		return wrap(mrkdwnText(e.Text), 76), nil
	}
	var blocks slack.Blocks
	if err := json.Unmarshal(e.Blocks, &blocks); err != nil {
		return nil, fmt.Errorf("reading the nudge's blocks: %w", err)
	}
	var out []string
	for _, b := range blocks.BlockSet {
		switch b := b.(type) {
		case *slack.SectionBlock:
			if b.Text != nil {
				out = append(out, wrap(mrkdwnText(b.Text.Text), 76)...)
			}
		case *slack.ContextBlock:
			var parts []string
			for _, el := range b.ContextElements.Elements {
				if t, ok := el.(*slack.TextBlockObject); ok {
					parts = append(parts, mrkdwnText(t.Text))
				}
			}
			out = append(out, wrap(strings.Join(parts, " "), 76)...)
		case *slack.ActionBlock:
			var btns []string
			for _, el := range b.Elements.ElementSet {
				if btn, ok := el.(*slack.ButtonBlockElement); ok {
					btns = append(btns, "["+btn.Text.Text+"]")
				}
			}
			out = append(out, strings.Join(btns, " "))
		}
	}
	return out, nil
}

// mrkdwnText turns the bot's mrkdwn into plain reading text.
func mrkdwnText(s string) string {
	s = strings.NewReplacer(":bulb:", "💡", ":raised_hands:", "🙌", "<#"+demoChannel+">", "#"+demoChanName,
		"*", "", "`", "", "&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
	return s
}

// wrap breaks s into lines of at most width runes, at spaces; newlines in
// s are kept.
func wrap(s string, width int) []string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			if line != "" && len([]rune(line))+1+len([]rune(word)) > width {
				out = append(out, line)
				line = word
			} else if line == "" {
				line = word
			} else {
				line += " " + word
			}
		}
		out = append(out, line)
	}
	return out
}

// runLoad is the hidden `nudgebot demo -load N`: N agent messages (every
// fourth argumentative, the rest polite) through one Socket Mode
// connection, then the figures: acks, nudges, ack latency, message-to-
// nudge latency, throughput and the process's peak RSS (simulator and bot
// together, so an upper bound for the bot).
func runLoad(ctx context.Context, n, rate, workers int, stdout, stderr io.Writer) error {
	const agents = 50
	d, err := startDemoBot(ctx, stderr, nil, 0, func(sim *slacksim.Sim) {
		members := []string{}
		for i := range agents {
			id := fmt.Sprintf("U0AGENT%03d", i)
			sim.AddUser(slacksim.User{ID: id})
			members = append(members, id)
		}
		sim.AddUser(slacksim.User{ID: casey, TeamID: "T0ACME"})
		for c := range 10 {
			sim.AddChannel(slacksim.Channel{ID: fmt.Sprintf("C0LOAD%02d", c), Members: append(members, casey, sim.BotUserID)})
		}
	}, app.Options{Workers: workers})
	if err != nil {
		return err
	}
	defer d.close()
	return loadRun(ctx, d, n, agents, rate, stdout)
}

// loadWindow is how many messages the load run keeps in flight (posted,
// not yet dealt with): a closed loop that measures the bot's capacity
// without piling an unbounded backlog onto the socket.
const loadWindow = 64

func loadRun(ctx context.Context, d *demoBot, n, agents, rate int, w io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	const (
		argue  = "As I already said, the export works as designed: you need to read the docs."
		polite = "Thanks for the details, let me check the logs for you right now."
	)
	base := d.obs.Count()
	arguing := 0
	var tick *time.Ticker
	if rate > 0 {
		tick = time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
	}
	start := time.Now()
	for i := range n {
		if tick != nil {
			<-tick.C
		} else if err := d.obs.WaitCount(ctx, base+i-loadWindow+1); err != nil {
			return err
		}
		text := polite
		if i%4 == 0 {
			text = argue
			arguing++
		}
		d.sim.Post(slacksim.Msg{Channel: fmt.Sprintf("C0LOAD%02d", i%10), User: fmt.Sprintf("U0AGENT%03d", i%agents), Text: text})
	}
	if err := d.obs.WaitCount(ctx, base+n); err != nil {
		return err
	}
	elapsed := time.Since(start)
	if _, err := d.sim.WaitAcks(ctx, n); err != nil {
		return fmt.Errorf("acks: %w", err)
	}

	// Message to nudge: from the simulator writing the envelope to the bot
	// having its chat.postEphemeral answered.
	sentAt := map[string]time.Time{}
	for _, e := range d.sim.Delivered() {
		sentAt[e.EventID] = e.At
	}
	var e2e []time.Duration
	sent, other := 0, 0
	for id, h := range d.obs.Events() {
		if h.Kind != "message" {
			continue
		}
		switch h.Outcome {
		case "sent":
			if h.Err != nil {
				other++
				continue
			}
			sent++
			e2e = append(e2e, h.At.Sub(sentAt[id]))
		case "scored":
		default:
			other++
		}
	}
	ephemerals := len(d.sim.Ephemerals())
	acks := d.sim.AckLatencies()

	pacing := fmt.Sprintf("%d in flight at most", loadWindow)
	if rate > 0 {
		pacing = fmt.Sprintf("paced at %d/s", rate)
	}
	fmt.Fprintf(w, "load: %d agent messages through one Socket Mode connection, %s\n", n, pacing)
	fmt.Fprintf(w, "acked: %d of %d\n", len(acks), n)
	fmt.Fprintf(w, "argumentative: %d; nudged: %d; ephemerals posted: %d; other outcomes: %d\n", arguing, sent, ephemerals, other)
	fmt.Fprintf(w, "ack latency: p50 %v p99 %v max %v\n", pct(acks, 50), pct(acks, 99), pct(acks, 100))
	fmt.Fprintf(w, "message to nudge: p50 %v p99 %v max %v\n", pct(e2e, 50), pct(e2e, 99), pct(e2e, 100))
	fmt.Fprintf(w, "throughput: %.0f messages/s over %v\n", float64(n)/elapsed.Seconds(), elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "peak RSS: %.1f MB (simulator and bot in one process)\n", float64(peakRSS())/(1<<20))
	if len(acks) != n || sent != arguing || ephemerals != arguing || other != 0 {
		return fmt.Errorf("load: %d acks, %d nudges for %d argumentative messages, %d other outcomes", len(acks), sent, arguing, other)
	}
	return nil
}

// pct returns the p-th percentile of ds (p in 0..100), or 0.
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)].Round(time.Microsecond)
}
