// Package daemon wires supportd's parts into one running service: the store,
// the workflow engine, the IMAP watcher feeding it and the outbox sender
// draining it. `supportd run` and `supportd demo` both start one, so the demo
// exercises exactly the production path.
package daemon

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"

	"supportd/internal/clock"
	"supportd/mail"
	"supportd/store"
	"supportd/templates"
	"supportd/workflow"
)

// Options is everything a daemon needs, already validated.
type Options struct {
	Workflow   workflow.Config
	IMAP       mail.IMAPConfig
	SMTP       mail.SMTPConfig
	SentFolder string // "" = do not file copies of sent mail
	// WatchSent also watches SentFolder for replies agents wrote from the
	// support account itself.
	WatchSent bool
	StorePath string
	// RetryBase and RetryMax shape the outbox's retry schedule (0 = 1m, 1h).
	RetryBase, RetryMax time.Duration
	MaxRawSize          int64
	TemplatesDir        string
	Clock               clock.Clock
	Log                 *slog.Logger
}

// Daemon is a running supportd.
type Daemon struct {
	DB      *store.DB
	Engine  *workflow.Engine
	Watcher *mail.Watcher
	Outbox  *workflow.Outbox
	// Scheduler fires the durable timers (follow-ups, SLA, reminders).
	Scheduler *workflow.Scheduler
	// SentWatcher watches the Sent folder; nil unless Options.WatchSent.
	SentWatcher *mail.Watcher
	log         *slog.Logger
}

// Open opens the store (running migrations), loads the templates and builds
// the parts. Nothing talks to the network until Run.
func Open(ctx context.Context, o Options) (*Daemon, error) {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	tmpl, err := templates.Load(o.TemplatesDir)
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	db, err := store.Open(ctx, o.StorePath, store.Options{MaxRawSize: o.MaxRawSize})
	if err != nil {
		return nil, err
	}
	if len(o.Workflow.SecretKey) == 0 {
		if o.Workflow.SecretKey, err = storedKey(ctx, db); err != nil {
			db.Close()
			return nil, err
		}
	}
	eng := workflow.NewEngine(db, o.Clock, tmpl, o.Workflow, o.Log.With("part", "workflow"))
	var copier workflow.Copier
	if o.SentFolder != "" {
		copier = sentCopier{cfg: o.IMAP, folder: o.SentFolder}
	}
	ob := workflow.NewOutbox(eng, mail.NewSender(o.SMTP), copier, o.Log.With("part", "outbox"))
	if o.RetryBase > 0 {
		ob.BaseBackoff = o.RetryBase
	}
	if o.RetryMax > 0 {
		ob.MaxBackoff = o.RetryMax
	}
	eng.OnEnqueue(ob.Kick)
	sched := workflow.NewScheduler(eng, o.Log.With("part", "timers"))
	eng.OnTimer(sched.Kick)
	w := mail.NewWatcher(o.IMAP, eng, o.Log.With("part", "imap"))
	d := &Daemon{DB: db, Engine: eng, Watcher: w, Outbox: ob, Scheduler: sched, log: o.Log}
	if o.WatchSent && o.SentFolder != "" {
		sc := o.IMAP
		sc.Folder = o.SentFolder
		d.SentWatcher = mail.NewWatcher(sc, eng.SentSink(), o.Log.With("part", "imap-sent"))
	}
	return d, nil
}

// Run watches the mailbox and delivers the outbox until ctx is cancelled.
// Each part finishes its current transaction before Run returns.
func (d *Daemon) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	parts := []func(context.Context) error{d.Watcher.Run, d.Outbox.Run, d.Scheduler.Run}
	if d.SentWatcher != nil {
		parts = append(parts, d.SentWatcher.Run)
	}
	errs := make([]error, len(parts))
	for i, run := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				errs[i] = err
				cancel() // one part failing stops the other: systemd restarts us
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// storedKey returns the agent-token key kept in the store, making one on
// first start: tokens must survive restarts, and an operator who names no
// key should still get an unguessable one.
func storedKey(ctx context.Context, db *store.DB) ([]byte, error) {
	var key []byte
	err := db.Update(ctx, func(tx *store.Tx) error {
		k, err := tx.Setting("agent_token_key")
		if err == nil {
			key = k
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return err
		}
		return tx.PutSetting("agent_token_key", key)
	})
	if err != nil {
		return nil, fmt.Errorf("agent token key: %w", err)
	}
	return key, nil
}

// Close closes the store.
func (d *Daemon) Close() error { return d.DB.Close() }

// sentCopier files a copy of each sent mail in the shared mailbox's Sent
// folder over a short IMAP connection of its own (APPEND holds a connection,
// and the watcher's is busy idling).
type sentCopier struct {
	cfg    mail.IMAPConfig
	folder string
}

func (s sentCopier) Copy(ctx context.Context, raw []byte) error {
	return mail.AppendMessage(ctx, s.cfg, s.folder, raw, []imap.Flag{imap.FlagSeen})
}
