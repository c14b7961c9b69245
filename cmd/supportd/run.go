package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"supportd/config"
	"supportd/internal/daemon"
	"supportd/internal/sdnotify"
	"supportd/mail"
	"supportd/workflow"
)

const defaultConfigPath = "/etc/supportd/supportd.toml"

const runHelp = `Watches the configured IMAP folder and runs the support desk: every message
becomes (part of) a ticket, new tickets are acknowledged, the outbox is
delivered over SMTP. Runs until SIGINT or SIGTERM, then finishes the
transaction in progress and exits 0. A bad configuration exits 2.

Under systemd (Type=notify) it sends READY=1 once the store is open and the
parts are started, WATCHDOG=1 pings while healthy, and STOPPING=1 on shutdown.`

const checkHelp = `Validates the configuration file (exit 2 with FILE:LINE: key: reason on
error), then connects to the IMAP server, logs in, and prints the folder
and its message count; then connects to the SMTP server and says hello.
--offline only validates the file.`

func isConfigError(err error) bool {
	var ce *config.Error
	return errors.As(err, &ce)
}

func loadConfig(path string, e *env) (*config.Config, error) {
	return config.Load(path, e.getenv)
}

// newLogger builds the process logger from the config. Secrets never reach
// it: the config's password fields print as [redacted].
func newLogger(e *env, cfg *config.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}

// daemonOptions turns the validated configuration into the daemon's options.
func daemonOptions(cfg *config.Config, log *slog.Logger) daemon.Options {
	agents := make([]workflow.Agent, 0, len(cfg.Agents))
	for _, a := range cfg.Agents {
		agents = append(agents, workflow.Agent{Name: a.Name, Addr: a.Address})
	}
	return daemon.Options{
		Workflow: workflow.Config{
			SupportAddr:    cfg.Support.Address,
			SupportName:    cfg.Support.Name,
			PlusAddressing: cfg.Support.PlusAddressing,
			Agents:         agents,
			AutoReplyLimit: cfg.Support.AutoReplyLimit,
			RetryFor:       cfg.SMTP.RetryFor.D(),
			NextSteps:      cfg.Support.NextSteps,
			SecretKey:      cfg.Support.Key(),
			AuthServID:     cfg.Support.AuthServID,

			RequireAuthenticatedAgents: cfg.Support.RequireAuthenticatedAgents,
			Followups: workflow.FollowupPolicy{
				FollowupAfter:      cfg.Workflow.FollowupAfter.D(),
				CloseFollowupAfter: cfg.Workflow.CloseFollowupAfter.D(),
				AutocloseAfter:     cfg.Workflow.AutocloseAfter.D(),
				FirstResponseSLA:   slaOrOff(cfg.Workflow.FirstResponseSLA.D()),
				AgentReminderAfter: cfg.Workflow.AgentReminderAfter.D(),
				BusinessDays:       cfg.Workflow.BusinessDays,
				Location:           cfg.Workflow.Location(),
			},
		},
		IMAP: mail.IMAPConfig{
			Host: cfg.IMAP.Host, Port: cfg.IMAP.Port, TLS: cfg.IMAP.TLS,
			Username: cfg.IMAP.Username, Password: cfg.IMAP.Password.Reveal(),
			Folder: cfg.IMAP.Folder, PollInterval: cfg.IMAP.PollInterval.D(), ForcePoll: cfg.IMAP.ForcePoll,
			IdleRestart: cfg.IMAP.IdleRestart.D(), UnreachableAfter: cfg.IMAP.UnreachableAlertAfter.D(),
			InsecureSkipVerify: cfg.IMAP.InsecureSkipVerify,
		},
		SMTP: mail.SMTPConfig{
			Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, TLS: cfg.SMTP.TLS,
			Username: cfg.SMTP.Username, Password: cfg.SMTP.Password.Reveal(),
			HeloName: cfg.SMTP.Helo, Timeout: cfg.SMTP.Timeout.D(),
			InsecureSkipVerify: cfg.SMTP.InsecureSkipVerify,
		},
		RetryBase:    cfg.SMTP.RetryBase.D(),
		RetryMax:     cfg.SMTP.RetryMax.D(),
		SentFolder:   cfg.IMAP.SentFolder,
		WatchSent:    cfg.IMAP.WatchSent,
		StorePath:    cfg.Store.Path,
		MaxRawSize:   int64(cfg.Store.MaxRawSize),
		TemplatesDir: cfg.Support.TemplatesDir,
		Log:          log,
	}
}

// slaOrOff maps the config's "0s" (off) to the workflow's negative (off).
func slaOrOff(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

func cmdRun(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "run")
	cfgPath := fs.String("config", defaultConfigPath, "configuration file")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath, e)
	if err != nil {
		return err
	}
	log := newLogger(e, cfg)
	log.Info("starting supportd", "version", version, "config", *cfgPath, "settings", cfg)
	d, err := daemon.Open(ctx, daemonOptions(cfg, log))
	if err != nil {
		return err
	}
	defer d.Close()

	notify := sdnotify.New(e.getenv("NOTIFY_SOCKET"))
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- d.Run(runCtx) }()
	if err := notify.Notify("READY=1\nSTATUS=watching " + cfg.IMAP.Folder); err != nil {
		log.Warn("systemd notification failed", "err", err)
	}
	wdCtx, wdCancel := context.WithCancel(runCtx)
	wdDone := make(chan struct{})
	go func() {
		defer close(wdDone)
		notify.Watchdog(wdCtx, sdnotify.WatchdogInterval(e.getenv("WATCHDOG_USEC"), e.getenv("WATCHDOG_PID"), os.Getpid()), nil)
	}()
	var runErr error
	select {
	case <-ctx.Done():
		log.Info("stopping: finishing the current transaction")
		notify.Notify("STOPPING=1")
		cancel()
		select {
		case runErr = <-done:
		case <-time.After(25 * time.Second):
			runErr = errors.New("parts did not stop within 25s")
		}
	case runErr = <-done:
		notify.Notify("STOPPING=1")
	}
	wdCancel()
	<-wdDone
	if runErr != nil {
		return fmt.Errorf("run: %w", runErr)
	}
	log.Info("stopped")
	return nil
}

func cmdCheck(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "check")
	cfgPath := fs.String("config", defaultConfigPath, "configuration file")
	offline := fs.Bool("offline", false, "only validate the file; do not connect")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath, e)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: configuration is valid (%d agents)\n", *cfgPath, len(cfg.Agents))
	if *offline {
		return nil
	}
	opts := daemonOptions(cfg, nil)
	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	folder, n, uv, err := mail.CheckMailbox(cctx, opts.IMAP)
	if err != nil {
		return fmt.Errorf("imap %s:%d: %w", cfg.IMAP.Host, cfg.IMAP.Port, err)
	}
	fmt.Fprintf(e.stdout, "imap %s:%d: folder %q holds %d messages (UIDVALIDITY %d)\n", cfg.IMAP.Host, cfg.IMAP.Port, folder, n, uv)
	if err := mail.NewSender(opts.SMTP).Check(cctx); err != nil {
		return fmt.Errorf("smtp %s:%d: %w", cfg.SMTP.Host, cfg.SMTP.Port, err)
	}
	fmt.Fprintf(e.stdout, "smtp %s:%d: connected and authenticated\n", cfg.SMTP.Host, cfg.SMTP.Port)
	return nil
}
