package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"supportd/mail"
	"supportd/mail/imaptest"
	"supportd/mail/smtptest"
	"supportd/store"
	"supportd/workflow"
)

const (
	support = "support@example.test"
	agent   = "agent@example.test"
)

// stack is a real IMAP server, a real SMTP server and a daemon between them.
type stack struct {
	t    testing.TB
	imap *imaptest.Server
	smtp *smtptest.Server
	d    *Daemon
	path string
	stop func()
}

func startStack(t testing.TB, opts ...smtptest.Option) *stack {
	t.Helper()
	s := &stack{t: t, path: filepath.Join(t.TempDir(), "supportd.db")}
	s.imap = imaptest.Start(t)
	if err := s.imap.AddUser(support, "pw", "Sent"); err != nil {
		t.Fatal(err)
	}
	var err error
	s.smtp, err = smtptest.NewServer("127.0.0.1:0", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.smtp.Close() })
	s.run()
	return s
}

func (s *stack) options() Options {
	return Options{
		Workflow: workflow.Config{SupportAddr: support, SupportName: "Example Support", PlusAddressing: true,
			Agents: []workflow.Agent{{Name: "Agent", Addr: agent}}},
		IMAP: mail.IMAPConfig{Host: s.imap.Host(), Port: s.imap.Port(), TLS: "none", Username: support, Password: "pw",
			Folder: "INBOX", MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, CheckInterval: time.Second},
		SMTP:       mail.SMTPConfig{Host: s.smtp.Host(), Port: s.smtp.Port(), TLS: "none", Timeout: 5 * time.Second},
		SentFolder: "Sent",
		StorePath:  s.path,
		Log:        slog.New(slog.DiscardHandler),
	}
}

// run starts (or restarts) the daemon on the same store.
func (s *stack) run() {
	s.t.Helper()
	d, err := Open(context.Background(), s.options())
	if err != nil {
		s.t.Fatal(err)
	}
	d.Outbox.BaseBackoff = 50 * time.Millisecond
	d.Outbox.MaxBackoff = 200 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	s.d = d
	s.stop = func() { cancel(); <-done; d.Close() }
	s.t.Cleanup(func() {
		if s.stop != nil {
			s.stop()
		}
	})
}

func (s *stack) restart() {
	s.stop()
	s.stop = nil
	s.run()
}

func customerMail(from, subject, id string, extra ...string) []byte {
	return []byte(fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: Mon, 02 Mar 2026 08:00:00 +0000\r\n%sMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello,\r\n\r\nI can't reset my password: the reset link says it has expired.\r\n\r\nThanks,\r\nSam\r\n",
		from, support, subject, id, strings.Join(extra, "")))
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *stack) delivered(rcpt string) []smtptest.Message {
	var out []smtptest.Message
	for _, m := range s.smtp.Messages() {
		for _, r := range m.Rcpts {
			if mail.NormalizeAddr(r) == rcpt {
				out = append(out, m)
			}
		}
	}
	return out
}

func (s *stack) ticketCount() int {
	var n int
	s.d.DB.View(context.Background(), func(tx *store.Tx) error {
		l, err := tx.ListTickets("", 0)
		n = len(l)
		return err
	})
	return n
}

func TestCustomerMailGetsExactlyOneThreadedAck(t *testing.T) {
	s := startStack(t)
	if _, err := s.imap.Append(support, "INBOX", customerMail("Sam Lee <sam@customer.test>", "Password reset link expired", "p1@customer.test")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the acknowledgement", func() bool { return len(s.delivered("sam@customer.test")) == 1 })
	m := s.delivered("sam@customer.test")[0]
	ack := mail.Parse(m.Data)
	checks := []struct {
		what string
		ok   bool
	}{
		{"From is the support address", ack.From.Addr == support && ack.From.Name == "Example Support"},
		{"envelope from is the support address", m.From == support},
		{"In-Reply-To names the customer's mail", len(ack.InReplyTo) == 1 && ack.InReplyTo[0] == "p1@customer.test"},
		{"References end with the customer's mail", len(ack.References) > 0 && ack.References[len(ack.References)-1] == "p1@customer.test"},
		{"Subject is Re: … [#1]", ack.Subject == "Re: Password reset link expired [#1]"},
		{"Auto-Submitted: auto-replied", ack.Loop.AutoSubmitted == "auto-replied"},
		{"Reply-To is the ticket's plus address", len(ack.ReplyTo) == 1 && ack.ReplyTo[0].Addr == "support+1@example.test"},
		{"restates the problem", strings.Contains(ack.Text, "It sounds like")},
		{"Message-ID on the support domain", strings.HasSuffix(ack.MessageID, "@example.test")},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: got %+v", c.what, ack)
		}
	}
	// A copy lands in the Sent folder, marked read.
	eventually(t, "the Sent copy", func() bool {
		msgs, _ := s.imap.Messages(support, "Sent")
		return len(msgs) >= 1
	})
	// Nothing more is sent afterwards (the agent's notification aside).
	time.Sleep(200 * time.Millisecond)
	if n := len(s.delivered("sam@customer.test")); n != 1 {
		t.Errorf("customer got %d mails, want 1", n)
	}
}

func TestAutomatedMailGetsNoReply(t *testing.T) {
	s := startStack(t)
	mails := [][]byte{
		customerMail("Sam <sam@customer.test>", "Out of Office", "o1@customer.test", "Auto-Submitted: auto-replied\r\n"),
		customerMail("MAILER-DAEMON@mx.customer.test", "Undelivered Mail Returned to Sender", "b1@customer.test", "Return-Path: <>\r\n"),
		customerMail("news@list.test", "Weekly news", "l1@list.test", "List-Id: <news.list.test>\r\nPrecedence: list\r\n"),
	}
	for _, raw := range mails {
		if _, err := s.imap.Append(support, "INBOX", raw); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "three tickets", func() bool { return s.ticketCount() == 3 })
	time.Sleep(300 * time.Millisecond)
	for _, m := range s.smtp.Messages() {
		for _, r := range m.Rcpts {
			if r != agent {
				t.Errorf("automated mail answered: mail to %s", r)
			}
		}
	}
}

func TestTemporaryFailureIsRetriedAndPermanentFailureAlertsAgents(t *testing.T) {
	s := startStack(t)
	s.smtp.FailNext(421, "4.3.2", "try again later", 1)
	s.imap.Append(support, "INBOX", customerMail("sam@customer.test", "First", "f1@customer.test"))
	eventually(t, "the ack after a 421", func() bool { return len(s.delivered("sam@customer.test")) == 1 })

	s.smtp.RejectRcpt("gone@customer.test", 550, "5.1.1", "no such user")
	s.imap.Append(support, "INBOX", customerMail("gone@customer.test", "Second", "f2@customer.test"))
	eventually(t, "the agent alert", func() bool {
		for _, m := range s.delivered(agent) {
			if strings.Contains(mail.Parse(m.Data).Subject, "Could not deliver") {
				return true
			}
		}
		return false
	})
	var kinds []string
	s.d.DB.View(context.Background(), func(tx *store.Tx) error {
		evs, err := tx.Events(2)
		for _, e := range evs {
			kinds = append(kinds, e.Kind)
		}
		return err
	})
	if !strings.Contains(strings.Join(kinds, " "), workflow.EventSendFailed) {
		t.Errorf("ticket 2 events %v lack %s", kinds, workflow.EventSendFailed)
	}
}

func TestRestartMidStreamLosesAndDuplicatesNothing(t *testing.T) {
	s := startStack(t)
	const n = 40
	for i := 0; i < n; i++ {
		s.imap.Append(support, "INBOX", customerMail(fmt.Sprintf("c%d@customer.test", i), fmt.Sprintf("Question %d", i), fmt.Sprintf("q%d@customer.test", i)))
		if i == n/2 {
			s.restart()
		}
	}
	eventually(t, "every ack", func() bool {
		got := 0
		for i := 0; i < n; i++ {
			if len(s.delivered(fmt.Sprintf("c%d@customer.test", i))) > 0 {
				got++
			}
		}
		return got == n
	})
	if c := s.ticketCount(); c != n {
		t.Errorf("tickets = %d, want %d", c, n)
	}
	for i := 0; i < n; i++ {
		if k := len(s.delivered(fmt.Sprintf("c%d@customer.test", i))); k != 1 {
			t.Errorf("customer %d got %d acks, want 1", i, k)
		}
	}
}

// TestTwoInstancesDoNotLoop points two supportd instances at each other:
// each one's acknowledgement reaches the other as a new mail, which must be
// recognised as automatic and never answered.
func TestTwoInstancesDoNotLoop(t *testing.T) {
	imapSrv := imaptest.Start(t)
	const a, b = "help@a.test", "help@b.test"
	for _, u := range []string{a, b} {
		imapSrv.AddUser(u, "pw")
	}
	var mu sync.Mutex
	delivered := 0
	smtpSrv, err := smtptest.NewServer("127.0.0.1:0", smtptest.WithDelivery(func(from string, rcpts []string, raw []byte) error {
		mu.Lock()
		delivered++
		mu.Unlock()
		for _, r := range rcpts {
			if r == a || r == b {
				imapSrv.Append(r, "INBOX", raw)
			}
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer smtpSrv.Close()
	for _, addr := range []string{a, b} {
		d, err := Open(context.Background(), Options{
			Workflow: workflow.Config{SupportAddr: addr, SupportName: "Desk " + addr},
			IMAP: mail.IMAPConfig{Host: imapSrv.Host(), Port: imapSrv.Port(), TLS: "none", Username: addr, Password: "pw", Folder: "INBOX",
				CheckInterval: time.Second, MinBackoff: 20 * time.Millisecond},
			SMTP:      mail.SMTPConfig{Host: smtpSrv.Host(), Port: smtpSrv.Port(), TLS: "none", Timeout: 5 * time.Second},
			StorePath: filepath.Join(t.TempDir(), "s.db"),
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { d.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done; d.Close() })
	}
	// Desk A's customer is desk B: a human mail from B to A starts it.
	imapSrv.Append(a, "INBOX", customerMail("Desk B <"+b+">", "Hello from B", "start@b.test"))
	eventually(t, "A's ack to reach B", func() bool {
		msgs, _ := imapSrv.Messages(b, "INBOX")
		return len(msgs) == 1
	})
	time.Sleep(time.Second)
	mu.Lock()
	defer mu.Unlock()
	if delivered != 1 {
		t.Fatalf("%d mails exchanged; want exactly the one acknowledgement (a loop?)", delivered)
	}
}

// BenchmarkAckLatency measures, over 200 customer mails appended to the
// IMAP server while supportd idles, the time from the APPEND to the SMTP
// server accepting the acknowledgement, at two offered rates: a mail every
// 5 ms (200/s, near saturation: it measures queueing) and every 20 ms
// (50/s, a very busy help desk). It reports p50 and p99.
func BenchmarkAckLatency(b *testing.B) {
	for _, gap := range []time.Duration{20 * time.Millisecond, 5 * time.Millisecond} {
		b.Run("every="+gap.String(), func(b *testing.B) { benchAckLatency(b, gap) })
	}
}

func benchAckLatency(b *testing.B, gap time.Duration) {
	var mu sync.Mutex
	accepted := map[string]time.Time{}
	s := startStack(b, smtptest.WithDelivery(func(from string, rcpts []string, raw []byte) error {
		mu.Lock()
		accepted[rcpts[0]] = time.Now()
		mu.Unlock()
		return nil
	}))
	const n = 200
	var lat []time.Duration
	b.ResetTimer()
	for iter := 0; iter < b.N; iter++ {
		sent := map[string]time.Time{}
		for i := 0; i < n; i++ {
			rcpt := fmt.Sprintf("lat%d-%d@customer.test", iter, i)
			sent[rcpt] = time.Now()
			s.imap.Append(support, "INBOX", customerMail(rcpt, "Latency", fmt.Sprintf("lat%d-%d@customer.test", iter, i)))
			time.Sleep(gap)
		}
		eventually(b, "every ack", func() bool {
			mu.Lock()
			defer mu.Unlock()
			for r := range sent {
				if _, ok := accepted[r]; !ok {
					return false
				}
			}
			return true
		})
		mu.Lock()
		for r, t0 := range sent {
			lat = append(lat, accepted[r].Sub(t0))
		}
		mu.Unlock()
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
