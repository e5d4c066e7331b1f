package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/nudgebot/nudgebot/internal/app"
	"github.com/nudgebot/nudgebot/internal/replay"
)

const replayUsage = `usage: nudgebot replay [flags] EXPORT

Scores every agent message of a Slack export (the ZIP, or its unpacked
folder) as the bot would have, and reports the would-be nudges per channel
and agent, per family, a threshold sweep and the top examples. Nothing is
sent to Slack. Message text appears only with --show-text.

flags:
`

// cmdReplay runs the scorer over a Slack export.
func cmdReplay(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, replayUsage)
		fs.PrintDefaults()
	}
	var (
		channels  = fs.String("channels", "", "only these channels, by name or ID, comma-separated")
		since     = fs.String("since", "", "only messages from this UTC day on (YYYY-MM-DD)")
		until     = fs.String("until", "", "only messages up to this UTC day (YYYY-MM-DD)")
		agents    = fs.String("agents", "", "these user IDs are the agents, comma-separated (default: the workspace's own non-bot, non-guest members)")
		threshold = fs.Float64("threshold", replay.DefaultThreshold, "the threshold to report would-be nudges at, 0 < X <= 1")
		format    = fs.String("format", "text", "report format: "+strings.Join(replay.Formats(), ", "))
		out       = fs.String("out", "", "write the report to FILE instead of stdout")
		showText  = fs.Bool("show-text", false, "quote the matched spans of message text in the report")
		rulesFile = fs.String("rules", "", "a file of extra rules, in the rulebook's format (as NUDGE_RULES_FILE)")
		modelFile = fs.String("model", "", "a model file from nudgebot train, or off for the rules alone (as NUDGE_MODEL_FILE)")
		examples  = fs.Int("examples", 10, "how many top examples to show")
	)
	// Flags may come before or after EXPORT.
	var pos []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			return exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "nudgebot replay: want exactly one EXPORT (a Slack export ZIP or folder)")
		fs.Usage()
		return exitUsage
	}
	if !slices.Contains(replay.Formats(), *format) {
		fmt.Fprintf(stderr, "nudgebot replay: --format %q: want one of %s\n", *format, strings.Join(replay.Formats(), ", "))
		return exitUsage
	}
	if *threshold <= 0 || *threshold > 1 {
		fmt.Fprintf(stderr, "nudgebot replay: --threshold %s: want 0 < X <= 1\n", strconv.FormatFloat(*threshold, 'g', -1, 64))
		return exitUsage
	}
	for _, d := range []struct{ name, v string }{{"since", *since}, {"until", *until}} {
		if _, err := time.Parse(time.DateOnly, d.v); d.v != "" && err != nil {
			fmt.Fprintf(stderr, "nudgebot replay: --%s %q: want a date as YYYY-MM-DD\n", d.name, d.v)
			return exitUsage
		}
	}
	if *examples < 1 {
		fmt.Fprintln(stderr, "nudgebot replay: --examples: want at least 1")
		return exitUsage
	}

	rules, err := app.RulesFile(*rulesFile)
	if err != nil {
		fmt.Fprintf(stderr, "nudgebot replay: --rules: %v\n", err)
		return exitUsage
	}
	if rules, err = app.ModelFile(rules, *modelFile); err != nil {
		fmt.Fprintf(stderr, "nudgebot replay: --model: %v\n", err)
		return exitUsage
	}

	opts := replay.Options{
		Channels:  replaySplit(*channels),
		Since:     *since,
		Until:     *until,
		Agents:    replaySplit(*agents),
		Threshold: *threshold,
		ShowText:  *showText,
		Rules:     rules,
		Examples:  *examples,
	}
	var bar *progressbar.ProgressBar
	if replayIsTerminal(stderr) {
		// Only on a terminal: piped, the bar's \r frames would litter logs.
		opts.OnStart = func(total int64) {
			bar = progressbar.NewOptions64(total,
				progressbar.OptionSetWriter(stderr),
				progressbar.OptionSetDescription("replay"),
				progressbar.OptionShowBytes(true),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionClearOnFinish(),
			)
		}
		opts.OnProgress = func(n int64) { bar.Add64(n) }
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	rep, err := replay.Run(ctx, pos[0], opts)
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		fmt.Fprintf(stderr, "nudgebot replay: %v\n", err)
		return exitError
	}
	elapsed := time.Since(start)

	w := stdout
	var file *os.File
	if *out != "" {
		if file, err = os.Create(*out); err != nil {
			fmt.Fprintf(stderr, "nudgebot replay: %v\n", err)
			return exitError
		}
		w = file
	}
	err = replay.Write(w, rep, *format)
	if file != nil {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "nudgebot replay: write report: %v\n", err)
		return exitError
	}

	const maxWarnings = 20
	for i, warn := range rep.Warnings {
		if i == maxWarnings {
			fmt.Fprintf(stderr, "nudgebot replay: warning: and %d more (see the report)\n", len(rep.Warnings)-maxWarnings)
			break
		}
		fmt.Fprintf(stderr, "nudgebot replay: warning: %s\n", warn)
	}
	where := ""
	if *out != "" {
		where = "; report in " + *out
	}
	fmt.Fprintf(stderr, "nudgebot replay: %s %d day files, %d messages read, %d scored, %d would-be nudges at %s, %d files skipped, in %s%s\n",
		rep.Export, rep.Files.Read, rep.Messages.Read, rep.Messages.Scored, rep.Nudges,
		strconv.FormatFloat(rep.Threshold, 'f', 2, 64), len(rep.Files.Skipped), elapsed.Round(time.Millisecond), where)
	return exitOK
}

func replaySplit(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// replayIsTerminal reports whether w is a terminal.
func replayIsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
