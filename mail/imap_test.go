package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"supportd/mail/imaptest"
)

const (
	imapTestUser = "support@example.com"
	imapTestPass = "pw-never-in-logs-7f3a"
)

// imapTestServer starts an in-process IMAP server with the support user.
func imapTestServer(t *testing.T, opts ...imaptest.Option) *imaptest.Server {
	t.Helper()
	s := imaptest.Start(t, opts...)
	if err := s.AddUser(imapTestUser, imapTestPass); err != nil {
		t.Fatal(err)
	}
	return s
}

// imapTestConfig is a config for s with every wait scaled down for tests.
func imapTestConfig(s *imaptest.Server) IMAPConfig {
	return IMAPConfig{
		Host: s.Host(), Port: s.Port(), TLS: "none",
		Username: imapTestUser, Password: imapTestPass,
		Folder:           "INBOX",
		PollInterval:     50 * time.Millisecond,
		CheckInterval:    300 * time.Millisecond,
		BatchSize:        7,
		UnreachableAfter: time.Minute,
		Timeout:          5 * time.Second,
		MinBackoff:       20 * time.Millisecond,
		MaxBackoff:       200 * time.Millisecond,
	}
}

func imapTestMsg(i int) []byte {
	return []byte(fmt.Sprintf("From: Customer %d <c%d@example.net>\r\nTo: support@example.com\r\nSubject: Problem %d\r\nMessage-ID: <msg-%d@example.net>\r\nDate: Mon, 02 Jan 2006 15:04:05 +0000\r\n\r\nHello, problem number %d.\r\n", i, i, i, i, i))
}

func imapAppend(t *testing.T, s *imaptest.Server, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		if _, err := s.Append(imapTestUser, "INBOX", imapTestMsg(i)); err != nil {
			t.Errorf("append %d: %v", i, err)
		}
	}
}

// imapFakeSink is an IngestSink in memory. It dedupes by Message-ID like the
// real ingester and records every breach of the watcher's contract.
type imapFakeSink struct {
	mu         sync.Mutex
	cp         Checkpoint
	delivered  []Fetched          // every successful Deliver, in order
	stored     map[string]Fetched // by Message-ID
	attempts   map[uint32]int
	failures   map[uint32]int // UID -> how many more Deliver calls fail
	changes    [][2]uint32
	violations []string
	onDeliver  func(n int) // called after the n-th successful Deliver
}

func newIMAPFakeSink() *imapFakeSink {
	return &imapFakeSink{stored: map[string]Fetched{}, attempts: map[uint32]int{}, failures: map[uint32]int{}}
}

func (s *imapFakeSink) Checkpoint(ctx context.Context, mailbox string) (Checkpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if mailbox != "INBOX" {
		s.violations = append(s.violations, "checkpoint for "+mailbox)
	}
	return s.cp, nil
}

func (s *imapFakeSink) Deliver(ctx context.Context, f Fetched) error {
	if err := ctx.Err(); err != nil {
		return err // a real transaction would fail too
	}
	s.mu.Lock()
	s.attempts[f.UID]++
	if s.failures[f.UID] > 0 {
		s.failures[f.UID]--
		s.mu.Unlock()
		return errors.New("database is locked")
	}
	if s.cp.UIDValidity != 0 && f.UIDValidity != s.cp.UIDValidity {
		s.violations = append(s.violations, fmt.Sprintf("uid %d delivered under UIDVALIDITY %d, checkpoint has %d", f.UID, f.UIDValidity, s.cp.UIDValidity))
	}
	if f.UID <= s.cp.LastUID {
		s.violations = append(s.violations, fmt.Sprintf("uid %d delivered at checkpoint %d", f.UID, s.cp.LastUID))
	}
	if f.InternalDate.IsZero() {
		s.violations = append(s.violations, fmt.Sprintf("uid %d has no internal date", f.UID))
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(f.Raw))
	if err != nil {
		s.violations = append(s.violations, fmt.Sprintf("uid %d unreadable: %v", f.UID, err))
	} else if id := msg.Header.Get("Message-Id"); id != "" {
		if _, dup := s.stored[id]; !dup {
			s.stored[id] = f
		}
	}
	s.cp = Checkpoint{UIDValidity: f.UIDValidity, LastUID: f.UID}
	s.delivered = append(s.delivered, f)
	n, hook := len(s.delivered), s.onDeliver
	s.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	return nil
}

func (s *imapFakeSink) UIDValidityChanged(ctx context.Context, mailbox string, old, new uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old != s.cp.UIDValidity {
		s.violations = append(s.violations, fmt.Sprintf("UIDValidityChanged old=%d, checkpoint has %d", old, s.cp.UIDValidity))
	}
	s.changes = append(s.changes, [2]uint32{old, new})
	s.cp = Checkpoint{UIDValidity: new}
	return nil
}

func (s *imapFakeSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.delivered)
}

func (s *imapFakeSink) uids() []uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []uint32
	for _, f := range s.delivered {
		out = append(out, f.UID)
	}
	return out
}

// check fails the test on any contract breach seen by the sink.
func (s *imapFakeSink) check(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.violations {
		t.Error(v)
	}
}

// imapWantUIDs checks that exactly UIDs from..to were delivered, in order.
func imapWantUIDs(t *testing.T, got []uint32, from, to uint32) {
	t.Helper()
	if len(got) != int(to-from+1) {
		t.Fatalf("delivered %d messages %v, want UIDs %d..%d", len(got), got, from, to)
	}
	for i, uid := range got {
		if uid != from+uint32(i) {
			t.Fatalf("delivery %d has UID %d, want %d (all: %v)", i, uid, from+uint32(i), got)
		}
	}
}

// imapWaitFor polls cond until it holds or 10 s pass.
func imapWaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// imapLog collects log output for assertions.
type imapLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *imapLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *imapLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *imapLog) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// imapRunning is a watcher running in the background.
type imapRunning struct {
	w      *Watcher
	cancel context.CancelFunc
	done   chan error
}

func imapStart(t *testing.T, w *Watcher) *imapRunning {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &imapRunning{w: w, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- w.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels Run and checks that it returns nil promptly. It may be
// called more than once.
func (r *imapRunning) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	r.wait(t)
}

// wait waits for Run to return (after a cancel from elsewhere).
func (r *imapRunning) wait(t *testing.T) {
	t.Helper()
	select {
	case err, ok := <-r.done:
		if ok && err != nil {
			t.Errorf("Run returned %v after cancel, want nil", err)
		}
		if ok {
			close(r.done)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s")
	}
}

func TestWatcherIdleDeliversInOrderExactlyOnce(t *testing.T) {
	s := imapTestServer(t)
	sink := newIMAPFakeSink()
	var logs imapLog
	cfg := imapTestConfig(s)
	// Long enough that most mail must come through EXISTS; short enough
	// to catch the memserver's occasional unannounced append (see notes).
	cfg.CheckInterval = time.Second
	w := NewWatcher(cfg, sink, logs.logger())
	imapStart(t, w)
	imapWaitFor(t, "IDLE", func() bool { return w.idling.Load() })

	imapAppend(t, s, 1, 50)
	imapWaitFor(t, "50 deliveries", func() bool { return sink.count() >= 50 })

	imapWantUIDs(t, sink.uids(), 1, 50)
	sink.check(t)
	if h := w.Health(); h.Mode != "idle" || h.LastUID != 50 || h.Unhealthy {
		t.Errorf("health = %+v", h)
	}
	if w.wakeups.Load() == 0 {
		t.Error("no delivery was triggered by an EXISTS during IDLE")
	}
	msgs, err := s.Messages(imapTestUser, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.HasFlag(imap.FlagSeen) {
			t.Errorf("uid %d has \\Seen after the watcher fetched it", m.UID)
		}
	}
	if got, want := string(sink.delivered[9].Raw), string(imapTestMsg(10)); got != want {
		t.Errorf("uid 10 raw = %q, want %q", got, want)
	}
	if strings.Contains(logs.String(), imapTestPass) {
		t.Error("the password appears in the log")
	}
}

func TestWatcherInitialSyncInBatches(t *testing.T) {
	s := imapTestServer(t)
	imapAppend(t, s, 1, 30)
	sink := newIMAPFakeSink()
	cfg := imapTestConfig(s)
	cfg.BatchSize = 4
	cfg.MaxBatchBytes = 400 // about two test messages: batches split by size too
	w := NewWatcher(cfg, sink, nil)
	imapStart(t, w)
	imapWaitFor(t, "30 deliveries", func() bool { return sink.count() >= 30 })
	imapWantUIDs(t, sink.uids(), 1, 30)
	sink.check(t)
}

func TestWatcherRestartLosesAndRepeatsNothing(t *testing.T) {
	s := imapTestServer(t)
	imapAppend(t, s, 1, 50)
	sink := newIMAPFakeSink()
	cfg := imapTestConfig(s)

	w1 := NewWatcher(cfg, sink, nil)
	var r1 *imapRunning
	started := make(chan struct{})
	sink.onDeliver = func(n int) {
		if n == 20 {
			<-started
			r1.cancel() // stop mid-batch, as SIGTERM would
		}
	}
	r1 = imapStart(t, w1)
	close(started)
	r1.wait(t)
	if n := sink.count(); n != 20 {
		t.Fatalf("first watcher delivered %d, want 20 (stops before the next message)", n)
	}
	sink.mu.Lock()
	sink.onDeliver = nil
	sink.mu.Unlock()

	imapAppend(t, s, 51, 60) // arrives while no watcher runs
	w2 := NewWatcher(cfg, sink, nil)
	imapStart(t, w2)
	imapWaitFor(t, "60 deliveries", func() bool { return sink.count() >= 60 })
	imapAppend(t, s, 61, 65)
	imapWaitFor(t, "65 deliveries", func() bool { return sink.count() >= 65 })
	imapWantUIDs(t, sink.uids(), 1, 65)
	sink.check(t)
}

func TestWatcherStartsAfterCheckpoint(t *testing.T) {
	s := imapTestServer(t)
	imapAppend(t, s, 1, 5)
	st, err := s.Status(imapTestUser, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	sink := newIMAPFakeSink()
	sink.cp = Checkpoint{UIDValidity: st.UIDValidity, LastUID: 5}
	w := NewWatcher(imapTestConfig(s), sink, nil)
	imapStart(t, w)
	// "6:*" matches UID 5 when nothing is above it: several syncs must
	// still deliver nothing.
	imapWaitFor(t, "three syncs", func() bool { return w.syncs.Load() >= 3 })
	if n := sink.count(); n != 0 {
		t.Fatalf("delivered %v from an up-to-date checkpoint", sink.uids())
	}
	imapAppend(t, s, 6, 6)
	imapWaitFor(t, "uid 6", func() bool { return sink.count() >= 1 })
	imapWantUIDs(t, sink.uids(), 6, 6)
	sink.check(t)
}

func TestWatcherReconnectsAndMissesNothing(t *testing.T) {
	s := imapTestServer(t)
	sink := newIMAPFakeSink()
	w := NewWatcher(imapTestConfig(s), sink, nil)
	imapStart(t, w)
	imapAppend(t, s, 1, 5)
	imapWaitFor(t, "5 deliveries", func() bool { return sink.count() >= 5 })

	// Dropped connections, mail right behind.
	if n := s.DropConnections(); n == 0 {
		t.Fatal("the watcher had no connection to drop")
	}
	imapAppend(t, s, 6, 10)
	imapWaitFor(t, "10 deliveries", func() bool { return sink.count() >= 10 })

	// An outage, mail arriving during it.
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	imapWaitFor(t, "disconnected", func() bool { return !w.Health().Connected })
	imapAppend(t, s, 11, 15)
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	imapWaitFor(t, "15 deliveries", func() bool { return sink.count() >= 15 })

	imapWantUIDs(t, sink.uids(), 1, 15)
	sink.check(t)
	if h := w.Health(); h.Reconnects < 2 || h.LastError == "" {
		t.Errorf("health after two outages = %+v", h)
	}
}

func TestWatcherUIDValidityChange(t *testing.T) {
	s := imapTestServer(t)
	sink := newIMAPFakeSink()
	w := NewWatcher(imapTestConfig(s), sink, nil)
	imapStart(t, w)
	imapAppend(t, s, 1, 5)
	imapWaitFor(t, "5 deliveries", func() bool { return sink.count() >= 5 })
	oldUV := w.Health().UIDValidity

	newUV, err := s.RecreateFolder(imapTestUser, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	imapAppend(t, s, 1, 5) // the same mail again, new UIDs 1..5
	// The idling session is not told; the periodic re-SELECT notices.
	imapWaitFor(t, "refetch", func() bool { return sink.count() >= 10 })
	syncs := w.syncs.Load()
	imapWaitFor(t, "three more syncs", func() bool { return w.syncs.Load() >= syncs+3 })

	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.changes) != 1 || sink.changes[0] != [2]uint32{oldUV, newUV} {
		t.Errorf("UIDValidityChanged calls = %v, want [[%d %d]]", sink.changes, oldUV, newUV)
	}
	if len(sink.delivered) != 10 {
		t.Errorf("%d deliveries, want 10 (5, then the same 5 again)", len(sink.delivered))
	}
	for i, f := range sink.delivered[5:] {
		if f.UIDValidity != newUV || f.UID != uint32(i+1) {
			t.Errorf("refetch %d: uidvalidity %d uid %d, want %d and %d", i, f.UIDValidity, f.UID, newUV, i+1)
		}
	}
	if len(sink.stored) != 5 {
		t.Errorf("sink stores %d distinct messages, want 5", len(sink.stored))
	}
	for _, v := range sink.violations {
		t.Error(v)
	}
}

func TestWatcherPolls(t *testing.T) {
	cases := map[string]struct {
		opts      []imaptest.Option
		forcePoll bool
	}{
		"server without IDLE": {opts: []imaptest.Option{imaptest.WithoutIdle()}},
		"ForcePoll":           {forcePoll: true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			s := imapTestServer(t, c.opts...)
			sink := newIMAPFakeSink()
			cfg := imapTestConfig(s)
			cfg.ForcePoll = c.forcePoll
			w := NewWatcher(cfg, sink, nil)
			imapStart(t, w)
			imapWaitFor(t, "connected", func() bool { return w.Health().Connected })
			imapAppend(t, s, 1, 10)
			imapWaitFor(t, "10 deliveries", func() bool { return sink.count() >= 10 })
			imapWantUIDs(t, sink.uids(), 1, 10)
			sink.check(t)
			if h := w.Health(); h.Mode != "poll" {
				t.Errorf("mode = %q, want poll", h.Mode)
			}
		})
	}
}

func TestWatcherTLS(t *testing.T) {
	cases := map[string]imaptest.Option{"starttls": imaptest.WithStartTLS(), "implicit": imaptest.WithImplicitTLS()}
	for mode, opt := range cases {
		t.Run(mode, func(t *testing.T) {
			s := imapTestServer(t, opt)
			sink := newIMAPFakeSink()
			cfg := imapTestConfig(s)
			cfg.TLS = mode
			cfg.TLSConfig = s.ClientTLSConfig()
			w := NewWatcher(cfg, sink, nil)
			imapStart(t, w)
			imapAppend(t, s, 1, 3)
			imapWaitFor(t, "3 deliveries", func() bool { return sink.count() >= 3 })
			imapWantUIDs(t, sink.uids(), 1, 3)
			sink.check(t)

			// Without the test CA the certificate is refused.
			cfg.TLSConfig = nil
			_, _, _, err := CheckMailbox(context.Background(), cfg)
			if err == nil || !imapLooksLikeConfigError(err) {
				t.Errorf("CheckMailbox with an untrusted certificate: %v", err)
			}
			cfg.InsecureSkipVerify = true
			if _, _, _, err := CheckMailbox(context.Background(), cfg); err != nil {
				t.Errorf("CheckMailbox with InsecureSkipVerify: %v", err)
			}
		})
	}
	t.Run("starttls refused", func(t *testing.T) {
		s := imapTestServer(t) // offers no STARTTLS
		cfg := imapTestConfig(s)
		cfg.TLS = "starttls"
		cfg.InsecureSkipVerify = true
		if _, _, _, err := CheckMailbox(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "starttls") {
			t.Errorf("STARTTLS against a server without it: err = %v, want a starttls error", err)
		}
	})
}

func TestWatcherRetriesDeliver(t *testing.T) {
	s := imapTestServer(t)
	imapAppend(t, s, 1, 5)
	sink := newIMAPFakeSink()
	sink.failures[3] = 2 // within the retry budget
	w := NewWatcher(imapTestConfig(s), sink, nil)
	imapStart(t, w)
	imapWaitFor(t, "5 deliveries", func() bool { return sink.count() >= 5 })
	imapWantUIDs(t, sink.uids(), 1, 5)
	sink.check(t)
	sink.mu.Lock()
	attempts := sink.attempts[3]
	sink.mu.Unlock()
	if attempts != 3 {
		t.Errorf("uid 3 attempted %d times, want 3", attempts)
	}
	if h := w.Health(); h.Reconnects != 0 {
		t.Errorf("reconnected %d times for a retried Deliver", h.Reconnects)
	}
}

func TestWatcherDeliverFailureReconnectsWithoutSkipping(t *testing.T) {
	s := imapTestServer(t)
	imapAppend(t, s, 1, 5)
	sink := newIMAPFakeSink()
	sink.failures[3] = 7 // more than one session's budget of 3
	w := NewWatcher(imapTestConfig(s), sink, nil)
	imapStart(t, w)
	imapWaitFor(t, "5 deliveries", func() bool { return sink.count() >= 5 })
	imapWantUIDs(t, sink.uids(), 1, 5)
	sink.check(t)
	h := w.Health()
	if h.Reconnects < 2 || !strings.Contains(h.LastError, "deliver uid 3") {
		t.Errorf("health = %+v, want reconnects ≥ 2 and a deliver error", h)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if sink.attempts[4] != 1 {
		t.Errorf("uid 4 attempted %d times, want once, after uid 3 succeeded", sink.attempts[4])
	}
}

func TestWatcherUnhealthyDuringOutage(t *testing.T) {
	s := imapTestServer(t)
	sink := newIMAPFakeSink()
	var logs imapLog
	cfg := imapTestConfig(s)
	cfg.UnreachableAfter = 200 * time.Millisecond
	w := NewWatcher(cfg, sink, logs.logger())
	imapStart(t, w)
	imapWaitFor(t, "connected", func() bool { return w.Health().Connected })
	if h := w.Health(); h.Unhealthy {
		t.Fatalf("unhealthy while connected: %+v", h)
	}

	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	imapWaitFor(t, "unhealthy", func() bool { return w.Health().Unhealthy })
	imapWaitFor(t, "unreachable logged", func() bool { return strings.Contains(logs.String(), "imap mailbox unreachable") })
	imapAppend(t, s, 1, 3)
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	imapWaitFor(t, "3 deliveries", func() bool { return sink.count() >= 3 })
	if h := w.Health(); !h.Connected || h.Unhealthy {
		t.Errorf("health after recovery = %+v", h)
	}
	out := logs.String()
	if n := strings.Count(out, "imap mailbox unreachable"); n != 1 {
		t.Errorf("logged unreachable %d times in one outage, want once", n)
	}
	if !strings.Contains(out, "level=ERROR msg=\"imap mailbox unreachable\"") {
		t.Error("unreachable not logged at Error")
	}
	if !strings.Contains(out, "imap mailbox reachable again") {
		t.Error("recovery not logged")
	}
	if strings.Contains(out, imapTestPass) {
		t.Error("the password appears in the log")
	}
}

func TestWatcherTimesOutSilentServer(t *testing.T) {
	// A server that accepts and then says nothing, not even a greeting.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	addr := ln.Addr().(*net.TCPAddr)
	cfg := IMAPConfig{Host: "127.0.0.1", Port: addr.Port, TLS: "none", Username: "u", Password: "p",
		Timeout: 100 * time.Millisecond, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}
	w := NewWatcher(cfg, newIMAPFakeSink(), nil)
	r := imapStart(t, w)
	imapWaitFor(t, "a timeout error", func() bool { return strings.Contains(w.Health().LastError, "no answer within") })
	r.stop(t)

	// With a long timeout, cancel alone must unblock the wait.
	cfg.Timeout = time.Hour
	w = NewWatcher(cfg, newIMAPFakeSink(), nil)
	r = imapStart(t, w)
	imapWaitFor(t, "a connection", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(conns) > 0
	})
	r.stop(t)
}

func TestWatcherStopsCleanly(t *testing.T) {
	s := imapTestServer(t)
	imapAppend(t, s, 1, 3)
	base := runtime.NumGoroutine()

	sink := newIMAPFakeSink()
	w := NewWatcher(imapTestConfig(s), sink, nil)
	r := imapStart(t, w)
	imapWaitFor(t, "3 deliveries", func() bool { return sink.count() >= 3 })
	w.Kick() // make sure a kick arriving around cancel does no harm
	r.stop(t)

	imapWaitFor(t, "server connections closed", func() bool { return s.Connections() == 0 })
	imapWaitFor(t, "goroutines back to the baseline", func() bool { return runtime.NumGoroutine() <= base })
	if h := w.Health(); h.Connected {
		t.Errorf("still connected after Run returned: %+v", h)
	}

	// Cancel during the reconnect backoff returns at once too.
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	cfg := imapTestConfig(s)
	cfg.MinBackoff, cfg.MaxBackoff = time.Hour, time.Hour
	w = NewWatcher(cfg, sink, nil)
	r = imapStart(t, w)
	imapWaitFor(t, "a failed attempt", func() bool { return w.Health().LastError != "" })
	r.stop(t)

	// A second concurrent Run is refused.
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	w = NewWatcher(imapTestConfig(s), sink, nil)
	imapStart(t, w)
	imapWaitFor(t, "running", func() bool { return w.running.Load() })
	if err := w.Run(context.Background()); err == nil {
		t.Error("a second Run was accepted")
	}
}

func TestWatcherKick(t *testing.T) {
	s := imapTestServer(t)
	sink := newIMAPFakeSink()
	cfg := imapTestConfig(s)
	cfg.ForcePoll = true
	cfg.PollInterval = time.Hour // only Kick can make it look
	w := NewWatcher(cfg, sink, nil)
	imapStart(t, w)
	imapWaitFor(t, "first sync", func() bool { return w.syncs.Load() >= 1 })
	imapAppend(t, s, 1, 2)
	w.Kick()
	imapWaitFor(t, "2 deliveries", func() bool { return sink.count() >= 2 })
	imapWantUIDs(t, sink.uids(), 1, 2)
}

func TestWatcherRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]IMAPConfig{
		"no host":  {Username: "u"},
		"no user":  {Host: "h"},
		"bad tls":  {Host: "h", Username: "u", TLS: "ssl"},
		"bad port": {Host: "h", Username: "u", Port: 70000},
	} {
		if err := NewWatcher(cfg, newIMAPFakeSink(), nil).Run(context.Background()); err == nil {
			t.Errorf("%s: Run accepted %+v", name, cfg)
		}
	}
}

func TestAppendMessage(t *testing.T) {
	s := imapTestServer(t)
	cfg := imapTestConfig(s)
	ctx := context.Background()
	small := imapTestMsg(1)
	// Over 4096 bytes the client waits for the server's "+" (no LITERAL-).
	big := append(append([]byte{}, small...), bytes.Repeat([]byte("0123456789abcdef\r\n"), 20000)...)

	// "Sent" does not exist: NO [TRYCREATE], create, append again.
	if err := AppendMessage(ctx, cfg, "Sent", small, []imap.Flag{imap.FlagSeen}); err != nil {
		t.Fatal(err)
	}
	if err := AppendMessage(ctx, cfg, "Sent", big, nil); err != nil {
		t.Fatal(err)
	}
	if err := AppendMessage(ctx, cfg, "Big new folder", big, nil); err != nil {
		t.Fatal(err)
	}
	msgs, err := s.Messages(imapTestUser, "Sent")
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("Sent holds %d messages, want 2", len(msgs))
	}
	if !bytes.Equal(msgs[0].Raw, small) || !bytes.Equal(msgs[1].Raw, big) {
		t.Error("stored messages differ from what was appended")
	}
	if !msgs[0].HasFlag(imap.FlagSeen) || msgs[1].HasFlag(imap.FlagSeen) {
		t.Errorf("flags = %v and %v, want \\Seen only on the first", msgs[0].Flags, msgs[1].Flags)
	}
	if msgs, err := s.Messages(imapTestUser, "Big new folder"); err != nil || len(msgs) != 1 || !bytes.Equal(msgs[0].Raw, big) {
		t.Errorf("big append into a new folder: %d messages, %v", len(msgs), err)
	}
	imapWaitFor(t, "append connections closed", func() bool { return s.Connections() == 0 })

	bad := cfg
	bad.Password = "wrong"
	var ie *imap.Error
	if err := AppendMessage(ctx, bad, "Sent", small, nil); !errors.As(err, &ie) || ie.Code != imap.ResponseCodeAuthenticationFailed {
		t.Errorf("append with a wrong password: %v", err)
	}
}

func TestCheckMailbox(t *testing.T) {
	s := imapTestServer(t)
	imapAppend(t, s, 1, 3)
	st, err := s.Status(imapTestUser, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	cfg := imapTestConfig(s)
	cfg.Folder = "" // defaults to INBOX
	folder, n, uv, err := CheckMailbox(context.Background(), cfg)
	if err != nil || folder != "INBOX" || n != 3 || uv != st.UIDValidity {
		t.Errorf("CheckMailbox = %q, %d, %d, %v; want INBOX, 3, %d", folder, n, uv, err, st.UIDValidity)
	}
	cfg.Folder = "Nope"
	if _, _, _, err := CheckMailbox(context.Background(), cfg); err == nil {
		t.Error("CheckMailbox of a missing folder succeeded")
	}
	cfg.Folder, cfg.Password = "INBOX", "wrong"
	_, _, _, err = CheckMailbox(context.Background(), cfg)
	if err == nil || !imapLooksLikeConfigError(err) || strings.Contains(err.Error(), "wrong") {
		t.Errorf("CheckMailbox with a wrong password: %v", err)
	}
}

func TestIMAPConfigHidesPassword(t *testing.T) {
	cfg := IMAPConfig{Host: "imap.example.com", Username: "u", Password: "hunter2"}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("cfg", "imap", cfg)
	for _, s := range []string{buf.String(), fmt.Sprint(cfg), fmt.Sprintf("%v %+v", cfg, cfg)} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("password shown in %q", s)
		}
	}
}

func TestIMAPTakeBatch(t *testing.T) {
	list := []imapUIDSize{{1, 10}, {2, 10}, {3, 100}, {4, 10}}
	if got := imapTakeBatch(list, 10, 25); len(got) != 2 {
		t.Errorf("by bytes: %v", got)
	}
	if got := imapTakeBatch(list, 3, 1000); len(got) != 3 {
		t.Errorf("by count: %v", got)
	}
	if got := imapTakeBatch(list[2:], 10, 5); len(got) != 1 {
		t.Errorf("oversized head must still go alone: %v", got)
	}
}

func TestIMAPBackoff(t *testing.T) {
	lo, hi := time.Second, 2*time.Minute
	for n := 0; n < 100; n++ {
		d := imapBackoff(lo, hi, n)
		want := min(lo<<min(n, 20), hi)
		if d < want/2 || d > want {
			t.Errorf("attempt %d: %v outside [%v, %v]", n, d, want/2, want)
		}
	}
}

// imapCountSink counts deliveries and does nothing else, so that the
// benchmark measures the protocol side alone.
type imapCountSink struct {
	mu   sync.Mutex
	n    int64
	want int64
	done chan struct{}
}

func (s *imapCountSink) Checkpoint(context.Context, string) (Checkpoint, error) {
	return Checkpoint{}, nil
}
func (s *imapCountSink) UIDValidityChanged(context.Context, string, uint32, uint32) error {
	return nil
}
func (s *imapCountSink) Deliver(_ context.Context, f Fetched) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	if s.n == s.want {
		close(s.done)
	}
	return nil
}

// BenchmarkWatcherInitialSync measures fetching a backlog of 4 KiB messages
// over loopback into a sink that stores nothing.
func BenchmarkWatcherInitialSync(b *testing.B) {
	s := imaptest.Start(b)
	if err := s.AddUser(imapTestUser, imapTestPass); err != nil {
		b.Fatal(err)
	}
	raw := append(imapTestMsg(1), bytes.Repeat([]byte("x123456789abcdef\r\n"), 4096/18)...)
	for i := 0; i < b.N; i++ {
		if _, err := s.Append(imapTestUser, "INBOX", raw); err != nil {
			b.Fatal(err)
		}
	}
	sink := &imapCountSink{want: int64(b.N), done: make(chan struct{})}
	cfg := imapTestConfig(s)
	cfg.BatchSize = 100
	w := NewWatcher(cfg, sink, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	select {
	case <-sink.done:
	case <-time.After(5 * time.Minute):
		b.Fatal("backlog not delivered")
	}
	b.StopTimer()
	cancel()
	<-done
}
