package mail

// The IMAP side of supportd: a watcher that keeps one session on the support
// folder and hands every new message to an IngestSink, plus two short-lived
// helpers (AppendMessage for the Sent copy, CheckMailbox for `supportd
// check`).
//
// The UID checkpoint kept by the sink is the only record of progress. The
// watcher never sets flags (it fetches with BODY.PEEK[], RFC 9051 §6.4.5), so
// a person reading the mailbox first changes nothing, and after any failure it
// simply starts again from the checkpoint.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// IMAP transport security modes for IMAPConfig.TLS.
const (
	imapTLSImplicit = "implicit" // TLS from the first byte, port 993 (RFC 8314 §3.3)
	imapTLSStartTLS = "starttls" // plain connect, then STARTTLS (RFC 9051 §6.2.1)
	imapTLSNone     = "none"     // no TLS at all: loopback and tests only
)

// IMAPConfig says how to reach the support mailbox. The zero values of the
// tuning fields mean the documented defaults.
type IMAPConfig struct {
	Host string
	// Port defaults to 993 with implicit TLS and 143 otherwise.
	Port int
	// TLS is "implicit" (the default), "starttls" or "none". STARTTLS is
	// required when asked for: a server that refuses it is an error, never a
	// silent downgrade.
	TLS      string
	Username string
	// Password is sent only in LOGIN; it is never logged (see LogValue).
	Password string
	// Folder is the watched folder, "INBOX" by default. It is also the
	// mailbox name the IngestSink keys its checkpoint by.
	Folder string

	// PollInterval is how often a server without IDLE (or ForcePoll) is
	// asked for new mail. Default 1m.
	PollInterval time.Duration
	// ForcePoll polls even when the server offers IDLE.
	ForcePoll bool
	// CheckInterval is how often an idling watcher leaves IDLE to re-SELECT
	// the folder and fetch. The client library sets no read deadline while it
	// waits for unsolicited data, so this is what notices a dead connection,
	// a missed EXISTS or a recreated folder. Default 2m.
	CheckInterval time.Duration
	// IdleRestart bounds how long one IDLE command runs; servers may drop a
	// connection idle for 30 minutes (RFC 9051 §5.4), so it is capped at 29m.
	// The effective IDLE period is the smaller of this and CheckInterval.
	// Default 25m.
	IdleRestart time.Duration
	// BatchSize is the most UIDs fetched by one UID FETCH. Default 100.
	BatchSize int
	// MaxBatchBytes also caps a batch by the messages' RFC822.SIZE, so a
	// batch of large mails does not sit in memory at once. A single message
	// larger than this is still fetched, alone. Default 32 MiB.
	MaxBatchBytes int64
	// UnreachableAfter is how long the watcher may go without a session
	// before it logs "imap mailbox unreachable" at Error and Health reports
	// Unhealthy. Default 10m.
	UnreachableAfter time.Duration
	// Timeout bounds the connect, the TLS handshake and each command: when
	// the server does not answer in time the connection is closed and the
	// watcher reconnects. Default 1m.
	Timeout time.Duration
	// MinBackoff and MaxBackoff bound the reconnect delay, which doubles
	// per failed attempt with jitter. MinBackoff also spaces the retries of
	// a failed Deliver. Defaults 1s and 2m.
	MinBackoff time.Duration
	MaxBackoff time.Duration

	// TLSConfig, if set, is cloned and used for the connection (custom
	// roots, client certificates). ServerName defaults to Host.
	TLSConfig *tls.Config
	// InsecureSkipVerify accepts any server certificate. For test servers.
	InsecureSkipVerify bool
}

// LogValue logs the configuration without the password.
func (c IMAPConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("host", c.Host),
		slog.Int("port", c.Port),
		slog.String("tls", c.TLS),
		slog.String("username", c.Username),
		slog.Bool("password_set", c.Password != ""),
		slog.String("folder", c.Folder),
		slog.Bool("force_poll", c.ForcePoll),
	)
}

// String formats the configuration without the password, so that a stray
// %v cannot print it.
func (c IMAPConfig) String() string {
	return fmt.Sprintf("imap://%s@%s/%s (tls=%s)", c.Username, net.JoinHostPort(c.Host, strconv.Itoa(c.Port)), c.Folder, c.TLS)
}

// withDefaults fills in every zero tuning field.
func (c IMAPConfig) withDefaults() IMAPConfig {
	c.TLS = strings.ToLower(strings.TrimSpace(c.TLS))
	if c.TLS == "" {
		c.TLS = imapTLSImplicit
	}
	if c.Port == 0 {
		c.Port = 143
		if c.TLS == imapTLSImplicit {
			c.Port = 993
		}
	}
	if c.Folder == "" {
		c.Folder = "INBOX"
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Minute
	}
	if c.CheckInterval <= 0 {
		c.CheckInterval = 2 * time.Minute
	}
	if c.IdleRestart <= 0 {
		c.IdleRestart = 25 * time.Minute
	}
	if c.IdleRestart > 29*time.Minute {
		c.IdleRestart = 29 * time.Minute
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 100
	}
	if c.MaxBatchBytes <= 0 {
		c.MaxBatchBytes = 32 << 20
	}
	if c.UnreachableAfter <= 0 {
		c.UnreachableAfter = 10 * time.Minute
	}
	if c.Timeout <= 0 {
		c.Timeout = time.Minute
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 2 * time.Minute
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = time.Second
	}
	if c.MinBackoff > c.MaxBackoff {
		c.MinBackoff = c.MaxBackoff
	}
	return c
}

func (c IMAPConfig) validate() error {
	var problems []string
	if c.Host == "" {
		problems = append(problems, "no host")
	}
	if c.Username == "" {
		problems = append(problems, "no username")
	}
	switch c.TLS {
	case imapTLSImplicit, imapTLSStartTLS, imapTLSNone:
	default:
		problems = append(problems, fmt.Sprintf("tls %q is not one of implicit, starttls, none", c.TLS))
	}
	if c.Port < 0 || c.Port > 65535 {
		problems = append(problems, fmt.Sprintf("port %d out of range", c.Port))
	}
	if len(problems) > 0 {
		return fmt.Errorf("mail: imap config: %s", strings.Join(problems, "; "))
	}
	return nil
}

func (c IMAPConfig) tlsConfig() *tls.Config {
	tc := &tls.Config{}
	if c.TLSConfig != nil {
		tc = c.TLSConfig.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = c.Host
	}
	if c.InsecureSkipVerify {
		tc.InsecureSkipVerify = true
	}
	if tc.MinVersion == 0 {
		tc.MinVersion = tls.VersionTLS12
	}
	return tc
}

// Checkpoint is how far a mailbox has been ingested: every message with a UID
// up to LastUID under UIDVALIDITY UIDValidity is stored. UIDValidity 0 means
// "not known yet"; LastUID is then taken as is.
type Checkpoint struct {
	UIDValidity uint32
	LastUID     uint32
}

// Fetched is one message as read from the server, unparsed.
type Fetched struct {
	Mailbox      string
	UIDValidity  uint32
	UID          uint32
	Raw          []byte
	InternalDate time.Time
}

// IngestSink is where the watcher hands messages. It is implemented by the
// store-backed ingester; the watcher knows nothing of tickets.
type IngestSink interface {
	// Checkpoint returns the stored checkpoint of mailbox, the zero value
	// if there is none.
	Checkpoint(ctx context.Context, mailbox string) (Checkpoint, error)
	// Deliver stores the message and advances the checkpoint to f.UID in
	// one transaction. It must be idempotent, and advance the checkpoint
	// for a message it already has. An error means the store is in trouble:
	// the watcher retries and then reconnects, and never goes past f.UID
	// until Deliver succeeds. Mail the sink cannot parse is not an error.
	Deliver(ctx context.Context, f Fetched) error
	// UIDValidityChanged is called when the server's UIDVALIDITY differs
	// from the stored one: every UID the sink holds for mailbox is now
	// meaningless (RFC 9051 §2.3.1.1). It must reset the checkpoint to
	// {new, 0}. The watcher then fetches the folder again from UID 1 and
	// the sink recognises the messages it already has by Message-ID.
	UIDValidityChanged(ctx context.Context, mailbox string, old, new uint32) error
}

// WatcherHealth is a snapshot of a watcher's state for /healthz and logs.
type WatcherHealth struct {
	Connected   bool      // a session is logged in with the folder selected
	Since       time.Time // when Connected last changed
	Mode        string    // "idle" or "poll" for the current or last session
	LastError   string    // why the last session or attempt failed
	LastErrorAt time.Time
	Reconnects  int       // connection attempts after the first
	LastSync    time.Time // when the watcher last caught up with the folder
	UIDValidity uint32
	LastUID     uint32 // last UID delivered by this watcher
	// Unhealthy is true when there has been no session for longer than
	// UnreachableAfter.
	Unhealthy bool
}

// Watcher keeps the support folder under watch and delivers each new
// message, in UID order and exactly as the server has it, to an IngestSink.
// It has no state of its own worth keeping: the sink's checkpoint is the
// truth, so a watcher can be stopped and a new one started at any time.
type Watcher struct {
	cfg  IMAPConfig
	sink IngestSink
	log  *slog.Logger
	kick chan struct{}

	running atomic.Bool
	// idling is true while an IDLE command runs, wakeups counts how often
	// one ended for an EXISTS and syncs how often a sync finished; tests
	// read them to tell IDLE from periodic checks without timing anything.
	idling  atomic.Bool
	wakeups atomic.Int64
	syncs   atomic.Int64

	mu        sync.Mutex
	h         WatcherHealth
	downSince time.Time // start of the current stretch without a session
	alerted   bool      // "unreachable" logged for the current stretch
	lastAlert time.Time
}

// NewWatcher returns a watcher for cfg delivering to sink. A nil log
// discards. Nothing happens until Run.
func NewWatcher(cfg IMAPConfig, sink IngestSink, log *slog.Logger) *Watcher {
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Watcher{
		cfg:  cfg,
		sink: sink,
		log:  log.With("host", cfg.Host, "folder", cfg.Folder),
		kick: make(chan struct{}, 1),
	}
}

// Kick asks for an immediate re-SELECT and fetch, e.g. after we appended mail
// ourselves. It never blocks; kicks while one is pending merge.
func (w *Watcher) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Health returns a snapshot of the watcher's state.
func (w *Watcher) Health() WatcherHealth {
	w.mu.Lock()
	defer w.mu.Unlock()
	h := w.h
	h.Unhealthy = !h.Connected && !w.downSince.IsZero() && time.Since(w.downSince) >= w.cfg.UnreachableAfter
	return h
}

// Run watches the folder until ctx is done, reconnecting after every failure,
// and then returns nil. It returns an error only for an invalid configuration
// or a second concurrent Run. When Run returns, its connection is closed and
// all its goroutines have ended.
func (w *Watcher) Run(ctx context.Context) error {
	if err := w.cfg.validate(); err != nil {
		return err
	}
	if w.sink == nil {
		return errors.New("mail: imap watcher has no sink")
	}
	if !w.running.CompareAndSwap(false, true) {
		return errors.New("mail: imap watcher is already running")
	}
	defer w.running.Store(false)
	if w.cfg.TLS == imapTLSNone && !imapIsLoopback(w.cfg.Host) {
		w.log.Warn("imap password is sent without TLS", "tls", w.cfg.TLS)
	}

	w.mu.Lock()
	w.downSince = time.Now()
	w.mu.Unlock()

	monCtx, stopMon := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		w.watchReachability(monCtx)
	}()
	defer func() {
		stopMon()
		wg.Wait()
	}()

	// Reconnect schedule: attempt n waits a random time in [d/2, d] with
	// d = MinBackoff·2^n capped at MaxBackoff (1s, 2s, 4s … 2m by default),
	// so a fleet does not reconnect in step. A session that caught up with
	// the folder resets n, so a single dropped connection costs about 1s.
	attempt := 0
	for first := true; ; first = false {
		if !first {
			w.mu.Lock()
			w.h.Reconnects++
			w.mu.Unlock()
		}
		caughtUp, err := w.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if caughtUp {
			attempt = 0
		}
		delay := imapBackoff(w.cfg.MinBackoff, w.cfg.MaxBackoff, attempt)
		attempt++
		prev := w.noteError(err)
		level := slog.LevelWarn
		switch {
		case imapLooksLikeConfigError(err) && err.Error() != prev:
			// A wrong password or an untrusted certificate will not
			// fix itself: say so loudly from the first attempt, once.
			level = slog.LevelError
		case w.isAlerted():
			// The periodic "still unreachable" Error covers it.
			level = slog.LevelDebug
		}
		w.log.Log(ctx, level, "imap session failed; reconnecting", "err", err, "retry_in", delay.Round(time.Millisecond), "attempt", attempt)
		if !imapSleep(ctx, delay) {
			return nil
		}
	}
}

// imapWake says why a session stopped waiting.
type imapWake int

const (
	imapWakeClosed imapWake = iota // the connection went away
	imapWakeStop                   // ctx done
	imapWakeExists                 // the server announced new mail
	imapWakeCheck                  // periodic check or Kick: re-SELECT, then fetch
)

// imapSyncState is a session's view of the checkpoint. It is read from the
// sink once per session and then advanced by each successful Deliver, so a
// sink that is slow to show its own writes cannot make the watcher loop.
type imapSyncState struct {
	uidValidity uint32
	lastUID     uint32
}

// session runs one connection from dial to failure or ctx done. caughtUp
// reports whether it ever finished a full sync, which resets the backoff.
func (w *Watcher) session(ctx context.Context) (caughtUp bool, err error) {
	updates := make(chan struct{}, 1)
	handler := &imapclient.UnilateralDataHandler{
		// This runs on the client's reader goroutine: waiting on anything
		// there, a command above all, deadlocks the client. So it only
		// leaves a note for the session loop; one pending note is enough.
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				select {
				case updates <- struct{}{}:
				default:
				}
			}
		},
	}
	ic, err := imapDial(ctx, w.cfg, handler)
	if err != nil {
		return false, err
	}
	defer ic.close()

	// The capabilities are reset by LOGIN (RFC 9051 §6.2.3) and some
	// servers list IDLE only once authenticated, so ask now.
	var caps imap.CapSet
	if err := ic.do("CAPABILITY", func() error {
		if caps = ic.c.Caps(); caps == nil {
			return errors.New("no capability list")
		}
		return nil
	}); err != nil {
		return false, err
	}
	mode := "poll"
	if !w.cfg.ForcePoll && caps.Has(imap.CapIdle) {
		mode = "idle"
	}

	cp, err := w.sink.Checkpoint(ctx, w.cfg.Folder)
	if err != nil {
		return false, fmt.Errorf("read checkpoint: %w", err)
	}
	st := imapSyncState{uidValidity: cp.UIDValidity, lastUID: cp.LastUID}

	sel, err := ic.selectFolder(w.cfg.Folder)
	if err != nil {
		return false, err
	}
	w.setConnected(mode, sel)
	defer w.setDisconnected()

	if err := w.checkValidity(ctx, &st, sel.UIDValidity); err != nil {
		return false, err
	}
	if err := w.sync(ctx, ic, &st); err != nil {
		return false, err
	}
	caughtUp = true

	for {
		wake, err := w.wait(ctx, ic, mode, updates)
		if err != nil {
			return caughtUp, err
		}
		switch wake {
		case imapWakeStop:
			return caughtUp, ctx.Err()
		case imapWakeCheck:
			// Re-SELECT rather than NOOP: it proves the connection
			// alive and returns the current UIDVALIDITY, which the
			// client otherwise only reports for SELECT (STATUS on
			// the selected folder is discouraged by RFC 9051 §6.3.11).
			sel, err := ic.selectFolder(w.cfg.Folder)
			if err != nil {
				return caughtUp, err
			}
			if err := w.checkValidity(ctx, &st, sel.UIDValidity); err != nil {
				return caughtUp, err
			}
		}
		if err := w.sync(ctx, ic, &st); err != nil {
			return caughtUp, err
		}
	}
}

// checkValidity compares the server's UIDVALIDITY with the session's and
// tells the sink when it changed.
func (w *Watcher) checkValidity(ctx context.Context, st *imapSyncState, server uint32) error {
	if server == 0 {
		// RFC 9051 §7.1 requires it; without it no UID can be trusted.
		return errors.New("server sent no UIDVALIDITY for the folder")
	}
	if st.uidValidity == server {
		return nil
	}
	if st.uidValidity != 0 {
		w.log.Warn("imap UIDVALIDITY changed; fetching the whole folder again", "old", st.uidValidity, "new", server)
		if err := w.sink.UIDValidityChanged(ctx, w.cfg.Folder, st.uidValidity, server); err != nil {
			return fmt.Errorf("reset checkpoint for new UIDVALIDITY %d: %w", server, err)
		}
		st.lastUID = 0
	}
	st.uidValidity = server
	w.mu.Lock()
	w.h.UIDValidity = server
	w.mu.Unlock()
	return nil
}

// wait blocks until there is something to do: new mail, the periodic check,
// a Kick, or ctx done. In idle mode it runs IDLE meanwhile (RFC 2177).
func (w *Watcher) wait(ctx context.Context, ic *imapConn, mode string, updates <-chan struct{}) (imapWake, error) {
	period := w.cfg.PollInterval
	if mode == "idle" {
		period = min(w.cfg.CheckInterval, w.cfg.IdleRestart)
	}
	t := time.NewTimer(period)
	defer t.Stop()

	var idle *imapclient.IdleCommand
	if mode == "idle" {
		// EXISTS that came with the last command's responses: fetch
		// now instead of starting an IDLE only to stop it at once.
		select {
		case <-updates:
			return imapWakeExists, nil
		default:
		}
		if err := ic.do("IDLE", func() (err error) {
			idle, err = ic.c.Idle()
			return err
		}); err != nil {
			return 0, err
		}
		w.idling.Store(true)
		defer w.idling.Store(false)
	}

	var wake imapWake // imapWakeClosed unless a case below says otherwise
	select {
	case <-ctx.Done():
		wake = imapWakeStop
	case <-updates:
		wake = imapWakeExists
		if idle != nil {
			w.wakeups.Add(1)
		}
	case <-w.kick:
		wake = imapWakeCheck
	case <-t.C:
		wake = imapWakeCheck
	case <-ic.c.Closed():
	}

	var stopErr error
	if idle != nil {
		// DONE, then the tagged OK: only then may the next command go out.
		stopErr = ic.do("IDLE DONE", func() error {
			if err := idle.Close(); err != nil {
				return err
			}
			return idle.Wait()
		})
	}
	switch {
	case wake == imapWakeStop:
		return wake, nil
	case wake == imapWakeClosed:
		return wake, errors.New("connection closed by the server")
	case stopErr != nil:
		return wake, stopErr
	}
	return wake, nil
}

// sync fetches and delivers everything after st.lastUID.
func (w *Watcher) sync(ctx context.Context, ic *imapConn, st *imapSyncState) error {
	n, err := w.fetchNew(ctx, ic, st)
	if n > 0 {
		w.log.Info("imap messages delivered", "count", n, "last_uid", st.lastUID, "uidvalidity", st.uidValidity)
	}
	if err != nil {
		return err
	}
	w.syncs.Add(1)
	w.mu.Lock()
	w.h.LastSync = time.Now()
	w.mu.Unlock()
	return nil
}

// imapMaxMisses is how often in a row the server may list a UID and then
// return no body for it before the session gives up on it (and reconnects,
// and tries again): a message is never skipped while it exists.
const imapMaxMisses = 3

// fetchNew lists the UIDs after st.lastUID, fetches them in batches and
// delivers them in UID order. It repeats until a listing finds nothing new,
// so mail that arrives meanwhile is picked up too.
func (w *Watcher) fetchNew(ctx context.Context, ic *imapConn, st *imapSyncState) (delivered int, err error) {
	var missUID uint32
	misses := 0
relist:
	for {
		list, err := ic.listAfter(st.lastUID)
		if err != nil {
			return delivered, err
		}
		if len(list) == 0 {
			return delivered, nil
		}
		for len(list) > 0 {
			batch := imapTakeBatch(list, w.cfg.BatchSize, w.cfg.MaxBatchBytes)
			list = list[len(batch):]
			msgs, err := ic.fetchBodies(batch)
			if err != nil {
				return delivered, err
			}
			for _, u := range batch {
				m, ok := msgs[u.uid]
				if !ok {
					// Expunged since the listing, or left out by
					// the server. A new listing tells which: an
					// expunged UID is no longer in it.
					if u.uid == missUID {
						misses++
					} else {
						missUID, misses = u.uid, 1
					}
					if misses >= imapMaxMisses {
						return delivered, fmt.Errorf("server lists uid %d but returned no body for it %d times", u.uid, misses)
					}
					w.log.Debug("imap message missing from fetch; listing again", "uid", u.uid)
					continue relist
				}
				f := Fetched{Mailbox: w.cfg.Folder, UIDValidity: st.uidValidity, UID: u.uid, Raw: m.raw, InternalDate: m.date}
				if err := w.deliver(ctx, f); err != nil {
					return delivered, err
				}
				st.lastUID = u.uid
				delivered++
				w.mu.Lock()
				w.h.LastUID = u.uid
				w.mu.Unlock()
				w.log.Debug("imap message delivered", "uid", u.uid, "size", len(m.raw))
			}
		}
	}
}

// deliver hands f to the sink, retrying a failure twice (after MinBackoff/2
// and MinBackoff) before giving up on the session: a Deliver error is storage
// trouble, and the message must not be passed over.
//
// A Deliver that has begun runs to its end even if ctx is cancelled meanwhile,
// so that shutdown lets the current transaction commit; none starts after.
func (w *Watcher) deliver(ctx context.Context, f Fetched) error {
	delays := []time.Duration{w.cfg.MinBackoff / 2, w.cfg.MinBackoff}
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := w.sink.Deliver(context.WithoutCancel(ctx), f)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if attempt == len(delays) {
			return fmt.Errorf("deliver uid %d failed %d times: %w", f.UID, attempt+1, err)
		}
		w.log.Warn("imap deliver failed; retrying", "uid", f.UID, "err", err, "attempt", attempt+1)
		if !imapSleep(ctx, delays[attempt]) {
			return ctx.Err()
		}
	}
}

func (w *Watcher) setConnected(mode string, sel *imap.SelectData) {
	now := time.Now()
	w.mu.Lock()
	wasAlerted, down := w.alerted, now.Sub(w.downSince)
	w.h.Connected, w.h.Since, w.h.Mode = true, now, mode
	w.alerted = false
	w.downSince = time.Time{}
	w.mu.Unlock()
	if wasAlerted {
		w.log.Info("imap mailbox reachable again", "down_for", down.Round(time.Second))
	}
	w.log.Info("imap connected", "mode", mode, "messages", sel.NumMessages, "uidvalidity", sel.UIDValidity, "uidnext", uint32(sel.UIDNext))
}

func (w *Watcher) setDisconnected() {
	now := time.Now()
	w.mu.Lock()
	w.h.Connected, w.h.Since = false, now
	w.downSince = now
	w.mu.Unlock()
}

// noteError records err as the last error and returns the one before.
func (w *Watcher) noteError(err error) (prev string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	prev = w.h.LastError
	if err != nil {
		w.h.LastError, w.h.LastErrorAt = err.Error(), time.Now()
	}
	return prev
}

func (w *Watcher) isAlerted() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.alerted
}

// imapRemindEvery spaces the "still unreachable" reminders of one outage.
const imapRemindEvery = 10 * time.Minute

// watchReachability logs the start of an outage longer than UnreachableAfter
// once, at Error, and then a reminder every imapRemindEvery. It runs beside
// the session loop because a connect may itself hang for up to Timeout.
func (w *Watcher) watchReachability(ctx context.Context) {
	tick := min(max(w.cfg.UnreachableAfter/4, 10*time.Millisecond), 30*time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			w.checkReachability(ctx, now)
		}
	}
}

func (w *Watcher) checkReachability(ctx context.Context, now time.Time) {
	w.mu.Lock()
	if w.h.Connected || w.downSince.IsZero() {
		w.mu.Unlock()
		return
	}
	down := now.Sub(w.downSince)
	first := !w.alerted
	if down < w.cfg.UnreachableAfter || (!first && now.Sub(w.lastAlert) < imapRemindEvery) {
		w.mu.Unlock()
		return
	}
	w.alerted, w.lastAlert = true, now
	lastErr := w.h.LastError
	w.mu.Unlock()
	msg := "imap mailbox unreachable"
	if !first {
		msg = "imap mailbox still unreachable"
	}
	w.log.Log(ctx, slog.LevelError, msg, "down_for", down.Round(time.Second), "err", lastErr)
}

// AppendMessage files raw in folder over a short connection of its own, e.g.
// the copy of a sent mail in the Sent folder. The folder is created if the
// server answers NO [TRYCREATE] (RFC 9051 §6.3.12), then the append is tried
// once more. flags may be nil; the server's arrival time is used.
func AppendMessage(ctx context.Context, cfg IMAPConfig, folder string, raw []byte, flags []imap.Flag) error {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return err
	}
	if folder == "" {
		return errors.New("mail: imap append: no folder")
	}
	err := imapAppendOnce(ctx, cfg, folder, raw, flags, false)
	var ie *imap.Error
	if errors.As(err, &ie) && ie.Code == imap.ResponseCodeTryCreate {
		// A fresh connection: when a server refuses before taking the
		// literal, the client library closes the one it was using.
		err = imapAppendOnce(ctx, cfg, folder, raw, flags, true)
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("imap append to %q: %w", folder, err)
	}
	return nil
}

func imapAppendOnce(ctx context.Context, cfg IMAPConfig, folder string, raw []byte, flags []imap.Flag, create bool) error {
	ic, err := imapDial(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer ic.close()
	if create {
		err := ic.do("CREATE", func() error { return ic.c.Create(folder, nil).Wait() })
		var ie *imap.Error
		if err != nil && !(errors.As(err, &ie) && ie.Code == imap.ResponseCodeAlreadyExists) {
			return err
		}
	}
	err = ic.doStream("APPEND", func(touch func()) error {
		// The literal must be exactly len(raw) bytes: more or fewer
		// leaves the connection out of step, and it is then only closed.
		cmd := ic.c.Append(folder, int64(len(raw)), &imap.AppendOptions{Flags: flags})
		const chunk = 256 << 10
		for off := 0; off < len(raw); off += chunk {
			if _, err := cmd.Write(raw[off:min(off+chunk, len(raw))]); err != nil {
				// When the server refused before the literal, err is
				// its *imap.Error (e.g. TRYCREATE).
				cmd.Close()
				return err
			}
			touch()
		}
		if err := cmd.Close(); err != nil {
			return err
		}
		_, err := cmd.Wait()
		return err
	})
	if err != nil {
		return err
	}
	ic.logout()
	return nil
}

// CheckMailbox logs in and asks for the folder's STATUS, for `supportd
// check`. It returns the folder checked, its message count and UIDVALIDITY.
func CheckMailbox(ctx context.Context, cfg IMAPConfig) (folder string, messages uint32, uidValidity uint32, err error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return cfg.Folder, 0, 0, err
	}
	ic, err := imapDial(ctx, cfg, nil)
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return cfg.Folder, 0, 0, err
	}
	defer ic.close()
	var data *imap.StatusData
	err = ic.do("STATUS "+cfg.Folder, func() (err error) {
		data, err = ic.c.Status(cfg.Folder, &imap.StatusOptions{NumMessages: true, UIDValidity: true}).Wait()
		return err
	})
	if err != nil {
		return cfg.Folder, 0, 0, err
	}
	ic.logout()
	if data.NumMessages != nil {
		messages = *data.NumMessages
	}
	return cfg.Folder, messages, data.UIDValidity, nil
}

// imapConn is one client connection plus what the client library lacks: a
// deadline on every wait for the server, and a close when ctx ends.
type imapConn struct {
	c       *imapclient.Client
	raw     net.Conn // the TCP connection under TLS and the client
	timeout time.Duration
	expired atomic.Bool
	stopCtx func() bool
}

// imapDial connects, sets up TLS as configured, waits for the greeting and
// logs in. The connection is closed as soon as ctx is done, which unblocks
// whatever waits on it.
func imapDial(ctx context.Context, cfg IMAPConfig, handler *imapclient.UnilateralDataHandler) (*imapConn, error) {
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	d := net.Dialer{Timeout: cfg.Timeout}
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	ic := &imapConn{raw: raw, timeout: cfg.Timeout}
	ic.stopCtx = context.AfterFunc(ctx, func() { raw.Close() })

	// Never set DebugWriter here: it would record the LOGIN password.
	opts := &imapclient.Options{UnilateralDataHandler: handler}
	// One deadline from the first byte to the end of LOGIN: the client
	// bounds the greeting (30 s) but not the STARTTLS or LOGIN answers.
	err = ic.doStream("connect", func(func()) error {
		switch cfg.TLS {
		case imapTLSImplicit:
			tc := cfg.tlsConfig()
			if tc.NextProtos == nil {
				tc.NextProtos = []string{"imap"} // as imapclient.DialTLS does
			}
			conn := tls.Client(raw, tc)
			if err := conn.HandshakeContext(ctx); err != nil {
				return fmt.Errorf("tls: %w", err)
			}
			ic.c = imapclient.New(conn, opts)
		case imapTLSStartTLS:
			// NewStartTLS fails when the server refuses STARTTLS:
			// there is no fallback to plain text.
			opts.TLSConfig = cfg.tlsConfig()
			c, err := imapclient.NewStartTLS(raw, opts)
			if err != nil {
				return fmt.Errorf("starttls: %w", err)
			}
			ic.c = c
		default:
			ic.c = imapclient.New(raw, opts)
		}
		if err := ic.c.WaitGreeting(); err != nil {
			return fmt.Errorf("greeting: %w", err)
		}
		if err := ic.c.Login(cfg.Username, cfg.Password).Wait(); err != nil {
			return fmt.Errorf("login as %q: %w", cfg.Username, err)
		}
		return nil
	})
	if err != nil {
		ic.close()
		return nil, err
	}
	return ic, nil
}

// doStream runs f under a watchdog that closes the connection when the
// server stays silent for longer than the timeout; f calls touch whenever
// it makes progress. The client library has no read deadline between
// responses, so without this a dead peer would block f forever.
func (ic *imapConn) doStream(what string, f func(touch func()) error) error {
	t := time.AfterFunc(ic.timeout, func() {
		ic.expired.Store(true)
		ic.raw.Close()
	})
	err := f(func() { t.Reset(ic.timeout) })
	t.Stop()
	if err == nil {
		return nil
	}
	if ic.expired.Load() {
		return fmt.Errorf("%s: no answer within %s: %w", what, ic.timeout, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// do is doStream for a command that answers in one go.
func (ic *imapConn) do(what string, f func() error) error {
	return ic.doStream(what, func(func()) error { return f() })
}

func (ic *imapConn) selectFolder(folder string) (*imap.SelectData, error) {
	var data *imap.SelectData
	err := ic.do("SELECT "+folder, func() (err error) {
		data, err = ic.c.Select(folder, nil).Wait()
		return err
	})
	return data, err
}

// imapUIDSize is one listed message.
type imapUIDSize struct {
	uid  uint32
	size int64
}

// listAfter returns the UIDs above last with their sizes, ascending.
func (ic *imapConn) listAfter(last uint32) ([]imapUIDSize, error) {
	if last == math.MaxUint32 {
		return nil, nil
	}
	set := imap.UIDSet{{Start: imap.UID(last + 1), Stop: 0}} // last+1:*
	var out []imapUIDSize
	err := ic.doStream("UID FETCH (list)", func(touch func()) error {
		cmd := ic.c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true})
		defer cmd.Close()
		for m := cmd.Next(); m != nil; m = cmd.Next() {
			touch()
			buf, err := m.Collect()
			if err != nil {
				return err
			}
			// "last+1:*" also matches the highest message when no UID
			// above last exists (RFC 9051 §6.4.8: "*" is the largest
			// UID in use), so anything at or below last is dropped.
			if uid := uint32(buf.UID); uid > last {
				out = append(out, imapUIDSize{uid: uid, size: buf.RFC822Size})
			}
		}
		return cmd.Close()
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b imapUIDSize) int { return int(int64(a.uid) - int64(b.uid)) })
	out = slices.CompactFunc(out, func(a, b imapUIDSize) bool { return a.uid == b.uid })
	return out, nil
}

// imapTakeBatch returns the head of list that fits in n messages and max
// bytes; at least one message, however large.
func imapTakeBatch(list []imapUIDSize, n int, maxBytes int64) []imapUIDSize {
	var total int64
	for i, u := range list {
		if i == n || (i > 0 && total+u.size > maxBytes) {
			return list[:i]
		}
		total += u.size
	}
	return list
}

type imapBody struct {
	raw  []byte
	date time.Time
}

// fetchBodies fetches the whole messages of batch with BODY.PEEK[], which
// unlike BODY[] leaves \Seen alone (RFC 9051 §6.4.5).
func (ic *imapConn) fetchBodies(batch []imapUIDSize) (map[uint32]imapBody, error) {
	var set imap.UIDSet
	for _, u := range batch {
		set.AddNum(imap.UID(u.uid))
	}
	section := &imap.FetchItemBodySection{Peek: true}
	opts := &imap.FetchOptions{UID: true, InternalDate: true, BodySection: []*imap.FetchItemBodySection{section}}
	out := make(map[uint32]imapBody, len(batch))
	err := ic.doStream("UID FETCH (bodies)", func(touch func()) error {
		cmd := ic.c.Fetch(set, opts)
		defer cmd.Close()
		for m := cmd.Next(); m != nil; m = cmd.Next() {
			touch()
			buf, err := m.Collect()
			if err != nil {
				return err
			}
			for _, b := range buf.BodySection {
				// A NIL body stays missing: the caller lists again
				// rather than deliver an empty message.
				if b.Bytes != nil && buf.UID != 0 {
					out[uint32(buf.UID)] = imapBody{raw: b.Bytes, date: buf.InternalDate}
				}
			}
		}
		return cmd.Close()
	})
	return out, err
}

// logout says goodbye politely, within the timeout; errors do not matter
// any more at that point.
func (ic *imapConn) logout() {
	_ = ic.do("LOGOUT", func() error { return ic.c.Logout().Wait() })
}

// close closes the connection and waits for the client's reader goroutine
// to end, so no goroutine outlives the session.
func (ic *imapConn) close() {
	ic.stopCtx()
	ic.raw.Close()
	if ic.c != nil {
		ic.c.Close()
	}
}

// imapBackoff returns the delay before reconnect attempt n (from 0): a
// random time in [d/2, d] with d = lo·2^n capped at hi.
func imapBackoff(lo, hi time.Duration, n int) time.Duration {
	d := hi
	if n < 32 {
		if x := lo << n; x > 0 && x < hi {
			d = x
		}
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// imapSleep waits for d or ctx, and reports whether d passed.
func imapSleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// imapLooksLikeConfigError reports errors that retrying will not cure:
// rejected credentials and untrusted certificates.
func imapLooksLikeConfigError(err error) bool {
	var ie *imap.Error
	if errors.As(err, &ie) {
		switch ie.Code {
		case imap.ResponseCodeAuthenticationFailed, imap.ResponseCodeAuthorizationFailed, imap.ResponseCodeNonExistent:
			return true
		}
	}
	var unknown x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certErr *tls.CertificateVerificationError
	return errors.As(err, &unknown) || errors.As(err, &hostErr) || errors.As(err, &certErr)
}

func imapIsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
