package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"supportd/mail/smtptest"
)

const (
	smtpTestUser = "relay-user"
	smtpTestPass = "relay-pw-never-in-errors-91c2"
)

// smtpTestConfig points at s with plain TCP and a short step timeout.
func smtpTestConfig(s *smtptest.Server) SMTPConfig {
	return SMTPConfig{Host: s.Host(), Port: s.Port(), TLS: "none", Timeout: 5 * time.Second}
}

// smtpTestCtx bounds a test's waits.
func smtpTestCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// smtpTestRaw composes a realistic mail whose text has what SMTP must
// carry unchanged: a 2000-character line, lines starting with dots, a
// lone dot, and non-ASCII text.
func smtpTestRaw(t *testing.T) []byte {
	t.Helper()
	o := composeFull()
	o.Text = "Hi Jane,\n.\n..two dots\n.leading dot\n" + strings.Repeat("Grüße, ", 300) + "\n\nBye\n"
	o.Attachments = []OutAttachment{{Filename: "a.bin", ContentType: "application/octet-stream", Data: bytes.Repeat([]byte{0, '.', '\r', '\n'}, 5000)}}
	raw, err := Compose(o)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte("\r\n.\r\n")) || !bytes.Contains(raw, []byte("\r\n..two")) {
		t.Fatal("test mail lost its dot lines; dot-stuffing would go untested")
	}
	return raw
}

// smtpWant asserts that err is a *SendError at stage with the given
// permanence and returns it.
func smtpWant(t *testing.T, err error, stage string, permanent bool) *SendError {
	t.Helper()
	var se *SendError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *SendError", err, err)
	}
	if se.Stage != stage || se.Permanent != permanent || IsPermanent(err) != permanent {
		t.Fatalf("got %q: stage %q permanent %v; want stage %q permanent %v", err, se.Stage, se.Permanent, stage, permanent)
	}
	if strings.Contains(err.Error(), smtpTestPass) {
		t.Fatalf("error text holds the password: %q", err)
	}
	return se
}

// smtpNoWatchers fails if a connection watcher of Send is still running:
// Send must reap it before returning, whatever happened.
func smtpNoWatchers(t *testing.T) {
	t.Helper()
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	if bytes.Contains(buf, []byte("mail.(*Sender).open.func")) {
		t.Fatalf("a connection watcher outlived Send:\n%s", buf)
	}
}

func TestSendPlainDeliversByteIdentical(t *testing.T) {
	s := smtptest.Start(t)
	raw := smtpTestRaw(t)
	cfg := smtpTestConfig(s)
	cfg.HeloName = "desk.example.com"
	if err := NewSender(cfg).Send(smtpTestCtx(t), "support@example.com", []string{"jane@customer.test", "bob@customer.test"}, raw); err != nil {
		t.Fatal(err)
	}
	smtpNoWatchers(t)
	msgs, err := s.WaitFor(smtpTestCtx(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	m := msgs[0]
	if m.From != "support@example.com" || strings.Join(m.Rcpts, ",") != "jane@customer.test,bob@customer.test" || m.Helo != "desk.example.com" || m.TLS || m.AuthUser != "" {
		t.Errorf("envelope: %+v", m)
	}
	if !bytes.Equal(m.Data, raw) {
		t.Errorf("data differs: sent %d bytes, received %d", len(raw), len(m.Data))
	}
}

func TestSendNormalisesLFAndDots(t *testing.T) {
	s := smtptest.Start(t)
	raw := []byte("Subject: x\n\n.\n..\n.x\nlast line without break")
	if err := NewSender(smtpTestConfig(s)).Send(smtpTestCtx(t), "a@b.test", []string{"c@d.test"}, raw); err != nil {
		t.Fatal(err)
	}
	msgs, _ := s.WaitFor(smtpTestCtx(t), 1)
	if want := "Subject: x\r\n\r\n.\r\n..\r\n.x\r\nlast line without break\r\n"; string(msgs[0].Data) != want {
		t.Errorf("received %q, want %q", msgs[0].Data, want)
	}
}

func TestSendAuth(t *testing.T) {
	for _, mechs := range [][]string{nil, {"LOGIN"}} {
		t.Run(fmt.Sprint(mechs), func(t *testing.T) {
			opts := []smtptest.Option{smtptest.WithAuth(smtpTestUser, smtpTestPass)}
			if mechs != nil {
				opts = append(opts, smtptest.WithAuthMechanisms(mechs...))
			}
			s := smtptest.Start(t, opts...)
			cfg := smtpTestConfig(s)
			cfg.Username, cfg.Password = smtpTestUser, smtpTestPass
			if err := NewSender(cfg).Send(smtpTestCtx(t), "support@example.com", []string{"jane@customer.test"}, []byte("Subject: x\r\n\r\nhi\r\n")); err != nil {
				t.Fatal(err)
			}
			msgs, _ := s.WaitFor(smtpTestCtx(t), 1)
			if msgs[0].AuthUser != smtpTestUser {
				t.Errorf("AuthUser = %q", msgs[0].AuthUser)
			}
			if err := NewSender(cfg).Check(smtpTestCtx(t)); err != nil {
				t.Errorf("Check: %v", err)
			}

			// A wrong password is the operator's to fix: the mail waits.
			cfg.Password = "wrong"
			err := NewSender(cfg).Send(smtpTestCtx(t), "support@example.com", []string{"jane@customer.test"}, []byte("x\r\n"))
			if se := smtpWant(t, err, StageAuth, false); se.Code != 535 || se.Enhanced != "5.7.8" {
				t.Errorf("wrong password: %v", err)
			}
			smtpWant(t, NewSender(cfg).Check(smtpTestCtx(t)), StageAuth, false)

			// No credentials at all: 530 at MAIL is a configuration
			// problem too, not a verdict on the mail.
			cfg.Username = ""
			err = NewSender(cfg).Send(smtpTestCtx(t), "support@example.com", []string{"jane@customer.test"}, []byte("x\r\n"))
			if se := smtpWant(t, err, StageMail, false); se.Code != 530 {
				t.Errorf("no credentials: %v", err)
			}
			if n := len(s.Messages()); n != 1 {
				t.Errorf("%d messages accepted, want 1", n)
			}
		})
	}
}

func TestSendAuthNeedsOfferedMechanism(t *testing.T) {
	s := smtptest.Start(t) // no AUTH offered
	cfg := smtpTestConfig(s)
	cfg.Username, cfg.Password = smtpTestUser, smtpTestPass
	err := NewSender(cfg).Send(smtpTestCtx(t), "a@b.test", []string{"c@d.test"}, []byte("x\r\n"))
	if se := smtpWant(t, err, StageAuth, false); !strings.Contains(se.Msg, "no AUTH") {
		t.Errorf("got %v", err)
	}
}

func TestSendStartTLS(t *testing.T) {
	s := smtptest.Start(t, smtptest.WithStartTLS(), smtptest.WithAuth(smtpTestUser, smtpTestPass))
	cfg := smtpTestConfig(s)
	cfg.TLS, cfg.TLSConfig = "starttls", s.ClientTLSConfig()
	cfg.Username, cfg.Password = smtpTestUser, smtpTestPass
	if err := NewSender(cfg).Send(smtpTestCtx(t), "a@b.test", []string{"c@d.test"}, []byte("Subject: tls\r\n\r\nhi\r\n")); err != nil {
		t.Fatal(err)
	}
	msgs, _ := s.WaitFor(smtpTestCtx(t), 1)
	if !msgs[0].TLS || msgs[0].AuthUser != smtpTestUser {
		t.Errorf("message went over TLS=%v as %q", msgs[0].TLS, msgs[0].AuthUser)
	}

	// A certificate we do not trust stops the mail before anything is sent.
	cfg.TLSConfig = nil
	err := NewSender(cfg).Send(smtpTestCtx(t), "a@b.test", []string{"c@d.test"}, []byte("x\r\n"))
	smtpWant(t, err, StageTLS, false)
	var certErr *tls.CertificateVerificationError
	if !errors.As(err, &certErr) {
		t.Errorf("cause %v is not a certificate error", errors.Unwrap(err))
	}
	// InsecureSkipVerify is the explicit escape hatch.
	cfg.InsecureSkipVerify = true
	if err := NewSender(cfg).Check(smtpTestCtx(t)); err != nil {
		t.Errorf("InsecureSkipVerify: %v", err)
	}
	smtpNoWatchers(t)
}

func TestSendStartTLSNotOfferedNoDowngrade(t *testing.T) {
	s := smtptest.Start(t)
	cfg := smtpTestConfig(s)
	cfg.TLS = "starttls"
	err := NewSender(cfg).Send(smtpTestCtx(t), "a@b.test", []string{"c@d.test"}, []byte("x\r\n"))
	smtpWant(t, err, StageTLS, false)
	if n := len(s.Messages()); n != 0 {
		t.Errorf("mail sent in clear after STARTTLS was missing")
	}
}

func TestSendImplicitTLS(t *testing.T) {
	s := smtptest.Start(t, smtptest.WithImplicitTLS())
	cfg := smtpTestConfig(s)
	cfg.TLS, cfg.TLSConfig = "implicit", s.ClientTLSConfig()
	raw := smtpTestRaw(t)
	if err := NewSender(cfg).Send(smtpTestCtx(t), "a@b.test", []string{"c@d.test"}, raw); err != nil {
		t.Fatal(err)
	}
	msgs, _ := s.WaitFor(smtpTestCtx(t), 1)
	if !msgs[0].TLS || !bytes.Equal(msgs[0].Data, raw) {
		t.Errorf("TLS=%v, data equal=%v", msgs[0].TLS, bytes.Equal(msgs[0].Data, raw))
	}
	// Plain SMTP against a TLS port fails as temporary, never hangs.
	cfg.TLS = "none"
	cfg.Timeout = time.Second
	smtpWant(t, NewSender(cfg).Send(smtpTestCtx(t), "a@b.test", []string{"c@d.test"}, raw), StageHello, false)
}

func TestSendReplyClassification(t *testing.T) {
	for _, tc := range []struct {
		name      string
		script    func(s *smtptest.Server)
		stage     string
		code      int
		enhanced  string
		permanent bool
	}{
		{"421 at DATA", func(s *smtptest.Server) { s.FailNext(421, "4.3.2", "try again later", 1) }, StageData, 421, "4.3.2", false},
		{"450 at RCPT", func(s *smtptest.Server) { s.FailNextAt(smtptest.CmdRcpt, 450, "4.2.1", "mailbox busy", 1) }, StageRcpt, 450, "4.2.1", false},
		{"550 at RCPT", func(s *smtptest.Server) { s.RejectRcpt("jane@customer.test", 550, "5.1.1", "no such user") }, StageRcpt, 550, "5.1.1", true},
		{"554 at DATA", func(s *smtptest.Server) { s.FailNext(554, "5.7.1", "message refused as spam", 1) }, StageData, 554, "5.7.1", true},
		{"552 at DATA", func(s *smtptest.Server) { s.FailNext(552, "5.3.4", "too big", 1) }, StageData, 552, "5.3.4", true},
		{"451 at MAIL", func(s *smtptest.Server) { s.FailNextAt(smtptest.CmdMail, 451, "4.3.0", "local error", 1) }, StageMail, 451, "4.3.0", false},
		{"553 at MAIL", func(s *smtptest.Server) { s.FailNextAt(smtptest.CmdMail, 553, "5.7.1", "sender not owned by user", 1) }, StageMail, 553, "5.7.1", true},
		{"530 at MAIL", func(s *smtptest.Server) { s.FailNextAt(smtptest.CmdMail, 530, "5.7.0", "authentication required", 1) }, StageMail, 530, "5.7.0", false},
		{"no enhanced code", func(s *smtptest.Server) { s.FailNext(550, "", "rejected", 1) }, StageData, 550, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := smtptest.Start(t)
			tc.script(s)
			snd := NewSender(smtpTestConfig(s))
			err := snd.Send(smtpTestCtx(t), "support@example.com", []string{"jane@customer.test"}, []byte("Subject: x\r\n\r\nhi\r\n"))
			se := smtpWant(t, err, tc.stage, tc.permanent)
			if se.Code != tc.code || se.Enhanced != tc.enhanced {
				t.Errorf("got %d %q, want %d %q (%v)", se.Code, se.Enhanced, tc.code, tc.enhanced, err)
			}
			if tc.stage == StageRcpt && se.Rcpt != "jane@customer.test" {
				t.Errorf("Rcpt = %q", se.Rcpt)
			}
			if len(s.Messages()) != 0 {
				t.Errorf("a refused message was captured")
			}
			smtpNoWatchers(t)
			// A script is used up; a permanent RejectRcpt is not.
			s.RejectRcpt("jane@customer.test", 0, "", "")
			if err := snd.Send(smtpTestCtx(t), "support@example.com", []string{"jane@customer.test"}, []byte("Subject: x\r\n\r\nhi\r\n")); err != nil {
				t.Errorf("next send: %v", err)
			}
		})
	}
}

// TestSendAllOrNoRecipients: one refused recipient stops the whole mail,
// and a permanent refusal outranks a temporary one.
func TestSendAllOrNoRecipients(t *testing.T) {
	s := smtptest.Start(t)
	s.FailNextAt(smtptest.CmdRcpt, 450, "4.2.1", "busy", 1)
	s.RejectRcpt("gone@customer.test", 550, "5.1.1", "no such user")
	err := NewSender(smtpTestConfig(s)).Send(smtpTestCtx(t), "support@example.com",
		[]string{"busy@customer.test", "ok@customer.test", "gone@customer.test"}, []byte("x\r\n"))
	se := smtpWant(t, err, StageRcpt, true)
	if se.Rcpt != "gone@customer.test" || se.Code != 550 {
		t.Errorf("got %v", err)
	}
	if got := err.Error(); got != "smtp rcpt <gone@customer.test>: 550 5.1.1 no such user" {
		t.Errorf("Error() = %q", got)
	}
	if len(s.Messages()) != 0 {
		t.Errorf("mail went to a subset of the recipients")
	}
}

func TestSendConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close()
	err = NewSender(SMTPConfig{Host: "127.0.0.1", Port: addr.Port, TLS: "none", Timeout: 5 * time.Second}).
		Send(smtpTestCtx(t), "a@b.test", []string{"c@d.test"}, []byte("x\r\n"))
	smtpWant(t, err, StageDial, false)
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("cause is %T, want *net.OpError", errors.Unwrap(err))
	}
}

// TestSendSilentServer: a server that accepts and never says a word. The
// step timeout, a ctx deadline and a ctx cancel each end Send promptly as
// a temporary failure.
func TestSendSilentServer(t *testing.T) {
	silent, err := smtptest.NewSilent("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	base := SMTPConfig{Host: silent.Host(), Port: silent.Port(), TLS: "none"}
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		ctx     func() (context.Context, context.CancelFunc)
		cause   error
	}{
		{"step timeout", 300 * time.Millisecond, func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }, nil},
		{"ctx deadline", time.Minute, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 300*time.Millisecond)
		}, context.DeadlineExceeded},
		{"ctx cancel", time.Minute, func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(300*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
	} {
		for _, mode := range []string{"none", "starttls", "implicit"} {
			t.Run(tc.name+"/"+mode, func(t *testing.T) {
				cfg := base
				cfg.Timeout, cfg.TLS = tc.timeout, mode
				ctx, cancel := tc.ctx()
				defer cancel()
				start := time.Now()
				done := make(chan error, 1)
				go func() { done <- NewSender(cfg).Send(ctx, "a@b.test", []string{"c@d.test"}, []byte("x\r\n")) }()
				select {
				case err := <-done:
					var se *SendError
					if !errors.As(err, &se) || se.Permanent {
						t.Fatalf("got %v, want a temporary *SendError", err)
					}
					if tc.cause != nil && !errors.Is(err, tc.cause) {
						t.Errorf("got %v, want cause %v", err, tc.cause)
					}
					if d := time.Since(start); d > 10*time.Second {
						t.Errorf("took %v", d)
					}
				case <-time.After(15 * time.Second):
					t.Fatal("Send did not return")
				}
				smtpNoWatchers(t)
			})
		}
	}
}

// TestSendTimeoutAfterDot: the server takes the data and then never
// answers. Send gives up after one step and reports a temporary failure
// (the mail may or may not have been delivered; retrying is the safe side).
func TestSendTimeoutAfterDot(t *testing.T) {
	release := make(chan struct{})
	s := smtptest.Start(t, smtptest.WithDelivery(func(string, []string, []byte) error {
		<-release
		return nil
	}))
	t.Cleanup(func() { close(release) }) // runs before s.Close, which waits for the hook
	cfg := smtpTestConfig(s)
	cfg.Timeout = 300 * time.Millisecond
	err := NewSender(cfg).Send(smtpTestCtx(t), "a@b.test", []string{"c@d.test"}, []byte("x\r\n"))
	if se := smtpWant(t, err, StageData, false); se.Msg != "timed out" {
		t.Errorf("got %v", err)
	}
	smtpNoWatchers(t)
}

func TestSendRejectsBadEnvelopeWithoutDialling(t *testing.T) {
	snd := NewSender(SMTPConfig{Host: "192.0.2.1", Port: 25, TLS: "none", Timeout: time.Second}) // TEST-NET-1: never dialled
	ctx := smtpTestCtx(t)
	smtpWant(t, snd.Send(ctx, "a@b.test", nil, []byte("x")), StageRcpt, true)
	smtpWant(t, snd.Send(ctx, "a@b.test\r\nRCPT TO:<x@evil.test>", []string{"c@d.test"}, []byte("x")), StageMail, true)
	smtpWant(t, snd.Send(ctx, "a@b.test", []string{"c@d.test>"}, []byte("x")), StageRcpt, true)
}

func TestSendNonASCIIAddressNeedsSMTPUTF8(t *testing.T) {
	s := smtptest.Start(t)
	err := NewSender(smtpTestConfig(s)).Send(smtpTestCtx(t), "support@example.com", []string{"jörg@müller.test"}, []byte("x\r\n"))
	smtpWant(t, err, StageMail, true)
}

func TestSendConfigProblemsAreTemporary(t *testing.T) {
	ctx := smtpTestCtx(t)
	smtpWant(t, NewSender(SMTPConfig{}).Send(ctx, "a@b.test", []string{"c@d.test"}, []byte("x")), StageDial, false)
	smtpWant(t, NewSender(SMTPConfig{Host: "127.0.0.1", TLS: "ssl"}).Send(ctx, "a@b.test", []string{"c@d.test"}, []byte("x")), StageDial, false)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	err := NewSender(SMTPConfig{Host: "127.0.0.1"}).Send(cancelled, "a@b.test", []string{"c@d.test"}, []byte("x"))
	smtpWant(t, err, StageDial, false)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v", err)
	}
}

func TestSendConcurrent(t *testing.T) {
	s := smtptest.Start(t)
	snd := NewSender(smtpTestConfig(s))
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- snd.Send(smtpTestCtx(t), "a@b.test", []string{fmt.Sprintf("c%d@d.test", i)}, []byte(fmt.Sprintf("Subject: %d\r\n\r\nhi\r\n", i)))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if msgs, err := s.WaitFor(smtpTestCtx(t), 10); err != nil || len(msgs) != 10 {
		t.Errorf("%d messages, %v", len(msgs), err)
	}
}

func TestSendErrorAndIsPermanent(t *testing.T) {
	for _, tc := range []struct {
		err  error
		perm bool
		text string
	}{
		{nil, false, ""},
		{errors.New("boom"), false, ""},
		{&SendError{Stage: StageData, Code: 554, Enhanced: "5.7.1", Msg: "spam\nreally", Permanent: true}, true, "smtp data: 554 5.7.1 spam really"},
		{fmt.Errorf("outbox: %w", &SendError{Stage: StageRcpt, Code: 550, Permanent: true}), true, "outbox: smtp rcpt: 550"},
		{&SendError{Stage: StageDial, Err: errors.New("connection refused")}, false, "smtp dial: connection refused"},
		{&SendError{Stage: StageData, Msg: "timed out", Err: errors.New("i/o timeout")}, false, "smtp data: timed out: i/o timeout"},
		{&smtp.SMTPError{Code: 550, Message: "no"}, true, ""},
		{&smtp.SMTPError{Code: 450, Message: "later"}, false, ""},
	} {
		if got := IsPermanent(tc.err); got != tc.perm {
			t.Errorf("IsPermanent(%v) = %v", tc.err, got)
		}
		if tc.text != "" && tc.err.Error() != tc.text {
			t.Errorf("Error() = %q, want %q", tc.err.Error(), tc.text)
		}
	}
	se := &SendError{Permanent: true}
	if se.Temporary() {
		t.Error("a permanent error is Temporary")
	}
}

func TestSMTPConfigNeverShowsPassword(t *testing.T) {
	cfg := SMTPConfig{Host: "smtp.example.com", Port: 587, TLS: "starttls", Username: "u", Password: smtpTestPass}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "smtp", cfg)
	for _, s := range []string{buf.String(), fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), cfg.String()} {
		if strings.Contains(s, smtpTestPass) {
			t.Errorf("password shown: %s", s)
		}
	}
	if !strings.Contains(buf.String(), "smtp.host=smtp.example.com") {
		t.Errorf("log lacks the host: %s", buf.String())
	}
}

func TestBackoff(t *testing.T) {
	none := func() float64 { return 0 }
	most := func() float64 { return 0.999999 }
	m := time.Minute
	for _, tc := range []struct {
		attempt   int
		base, max time.Duration
		jitter    func() float64
		want      time.Duration
	}{
		{1, m, time.Hour, none, m},
		{2, m, time.Hour, none, 2 * m},
		{3, m, time.Hour, none, 4 * m},
		{6, m, time.Hour, none, 32 * m},
		{7, m, time.Hour, none, time.Hour},
		{8, m, time.Hour, none, time.Hour},
		{1000, m, time.Hour, none, time.Hour},
		{1000, time.Second, time.Duration(1<<63 - 1), none, time.Duration(1<<63 - 1)},
		{0, m, time.Hour, none, m},
		{-5, m, time.Hour, none, m},
		{1, 0, 0, none, m},
		{3, 10 * m, m, none, 10 * m},
		{1, m, time.Hour, most, 48 * time.Second},
		{7, m, time.Hour, most, 48 * m},
		{1, m, time.Hour, func() float64 { return 7 }, 48 * time.Second},
		{1, m, time.Hour, func() float64 { return -1 }, m},
	} {
		got := Backoff(tc.attempt, tc.base, tc.max, tc.jitter)
		if diff := got - tc.want; diff < -time.Millisecond || diff > time.Millisecond {
			t.Errorf("Backoff(%d, %v, %v) = %v, want %v", tc.attempt, tc.base, tc.max, got, tc.want)
		}
	}
	for i := 0; i < 1000; i++ {
		if d := Backoff(7, m, time.Hour, nil); d < 48*m || d > time.Hour {
			t.Fatalf("jittered %v outside [48m, 1h]", d)
		}
	}
}
