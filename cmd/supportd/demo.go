package main

import (
	"context"
	"log/slog"

	"supportd/internal/demo"
)

const demoHelp = `Starts, in one process and on loopback only, an embedded IMAP server with
mailboxes for the support address, two agents and two customers; an embedded
SMTP server that delivers every accepted message into those mailboxes; and
supportd itself between them, with its store in a temporary directory (or
--store PATH). A guided scenario plays a customer and prints a transcript:
who wrote to whom, the subject, the first lines, and the ticket's status.

The clock runs --speed times faster (default 43200: a day every two seconds)
so follow-ups are visible within a minute. After the scenario the demo stays
up, with the addresses and credentials printed, so you can use a real mail
client; Ctrl-C ends it. --exit ends it when the scenario completes, with a
non-zero status if any step did not happen.`

func cmdDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "demo")
	speed := fs.Float64("speed", 43200, "clock speed-up (43200 = one day every two seconds)")
	storePath := fs.String("store", "", "keep the SQLite store here instead of a temporary directory")
	noScript := fs.Bool("no-script", false, "skip the guided scenario")
	exit := fs.Bool("exit", false, "end when the scenario completes; non-zero status if a step did not happen")
	verbose := fs.Bool("v", false, "also print supportd's log")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *speed <= 0 {
		return usagef("--speed must be positive")
	}
	log := slog.New(slog.DiscardHandler)
	if *verbose {
		log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return demo.Run(ctx, demo.Options{Speed: *speed, StorePath: *storePath, Script: !*noScript, Exit: *exit, Out: e.stdout, Log: log})
}
