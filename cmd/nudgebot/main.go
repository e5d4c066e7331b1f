// Command nudgebot is a Slack bot that privately nudges support agents who
// have started to argue with a customer instead of helping them.
//
// Usage:
//
//	nudgebot run                 the bot (Socket Mode, health and metrics)
//	nudgebot demo                the bot against a local Slack simulator
//	nudgebot score [TEXT]        score one message, or each line of stdin
//	nudgebot eval FILE.jsonl     measure the scorer on a labeled corpus
//	nudgebot replay EXPORT       what the bot would have said on a Slack export
//	nudgebot healthcheck         probe a running bot's /healthz
//	nudgebot version             version and build info
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command ran and failed
	exitUsage = 2 // bad flags, arguments or configuration
)

// command is one subcommand. It returns the process's exit code.
type command struct {
	name    string
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"run", "run the bot: Socket Mode, nudges, /nudge, health and metrics", cmdRun},
		{"demo", "play a support conversation against a built-in Slack simulator", cmdDemo},
		{"score", "score TEXT (or each line of stdin) and explain the hits", cmdScore},
		{"eval", "measure the scorer on a labeled JSONL corpus", cmdEval},
		{"train", "learn the scorer's model from labeled corpora and measure it", cmdTrain},
		{"replay", "score a Slack export to see what the bot would have said", cmdReplay},
		{"healthcheck", "probe a running bot's /healthz (for container health checks)", cmdHealthcheck},
		{"version", "print version and build info", cmdVersion},
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdin, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "nudgebot: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: nudgebot COMMAND [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'nudgebot COMMAND -h' for a command's flags.")
}

// parseNoArgs parses the flags of a command that takes no positional
// arguments. When the command should stop there it reports done with the
// exit code: exitOK for -h, exitUsage for a bad flag or a stray argument.
func parseNoArgs(fs *flag.FlagSet, args []string) (code int, done bool) {
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return exitOK, true
	} else if err != nil {
		return exitUsage, true
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return exitUsage, true
	}
	return 0, false
}
