// Command supportd is an email-native support desk: it watches a support
// mailbox, threads every message into a ticket, acknowledges new tickets
// with a restatement of the customer's problem, and lets agents work from
// their own mail client.
//
// This file is the composition root: a table of subcommands, each with its
// help text. Nothing below cmd/ reads flags or the environment.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// exitUsage is the status for a bad command line or a bad configuration;
// the systemd unit does not restart on it (RestartPreventExitStatus=2).
const exitUsage = 2

// usageError marks an error as the caller's fault (exit status 2).
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// command is one subcommand.
type command struct {
	name    string
	args    string // synopsis of the arguments
	summary string
	help    string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what a subcommand may touch of the process.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

func commands() []command {
	return []command{
		{"run", "--config FILE", "watch the mailbox and run the support desk until SIGINT/SIGTERM", runHelp, cmdRun},
		{"check", "--config FILE", "validate the configuration, connect to IMAP and SMTP, print the folder and its message count", checkHelp, cmdCheck},
		{"tickets", "[--config FILE | --store PATH] [--status S] [--json]", "list tickets, newest first", ticketsHelp, cmdTickets},
		{"show", "[--config FILE | --store PATH] [--json] N", "show one ticket: its conversation, events and pending timers", showHelp, cmdShow},
		{"timers", "[--config FILE | --store PATH] [--json]", "list the next pending timers: follow-ups, auto-closes, SLA warnings", timersHelp, cmdTimers},
		{"inspect", "[--json] FILE.eml", "show what supportd reads from one message", inspectHelp, cmdInspect},
		{"templates", "list | render NAME --ticket N [--config FILE | --store PATH]", "list the saved replies or render one as it would be sent", templatesHelp, cmdTemplates},
		{"demo", "[--speed N] [--store PATH] [--no-script] [--exit]", "run the whole loop on loopback with embedded mail servers", demoHelp, cmdDemo},
		{"version", "", "print the version", "", cmdVersion},
	}
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := realMain(ctx, os.Args[1:], &env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}

func realMain(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return helpFor(e, args[1])
		}
		usage(e.stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		if err == nil {
			return 0
		}
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(e.stderr, "supportd %s: %v\n", c.name, err)
		var ue usageError
		if errors.As(err, &ue) || isConfigError(err) {
			return exitUsage
		}
		return 1
	}
	fmt.Fprintf(e.stderr, "supportd: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "supportd — an email-native support desk\n\nUsage:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  supportd %-10s %s\n", c.name, c.args)
		fmt.Fprintf(w, "             %s\n", c.summary)
	}
	fmt.Fprintf(w, "\nRun 'supportd help COMMAND' for details.\n")
}

func helpFor(e *env, name string) int {
	for _, c := range commands() {
		if c.name == name {
			fmt.Fprintf(e.stdout, "supportd %s %s\n\n%s\n", c.name, c.args, c.summary)
			if c.help != "" {
				fmt.Fprintf(e.stdout, "\n%s\n", strings.TrimSpace(c.help))
			}
			return 0
		}
	}
	fmt.Fprintf(e.stderr, "supportd: unknown command %q\n", name)
	return exitUsage
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("supportd "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parseFlags parses args, allowing flags after positional arguments
// ("show 12 --json") as people type them.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func cmdVersion(_ context.Context, e *env, _ []string) error {
	fmt.Fprintf(e.stdout, "supportd %s\n", version)
	return nil
}
