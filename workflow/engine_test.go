package workflow

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"supportd/internal/clock"
	"supportd/mail"
	"supportd/store"
	"supportd/templates"
)

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type harness struct {
	t     *testing.T
	db    *store.DB
	clk   *clock.Fake
	e     *Engine
	path  string
	uid   uint32
	agent string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	path := filepath.Join(t.TempDir(), "supportd.db")
	h := &harness{t: t, path: path, clk: clock.NewFake(start), agent: "alex@example.com"}
	h.open()
	return h
}

func (h *harness) open() {
	h.t.Helper()
	db, err := store.Open(context.Background(), h.path, store.Options{})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { db.Close() })
	tmpl, err := templates.Load("")
	if err != nil {
		h.t.Fatal(err)
	}
	h.db = db
	h.e = NewEngine(db, h.clk, tmpl, Config{
		SupportAddr: "support@example.com", SupportName: "Example Support", PlusAddressing: true,
		Agents: []Agent{{Name: "Alex", Addr: h.agent}},
	}, nil)
}

// msg builds a raw message; headers are "Name: value" lines.
func msg(headers ...string) []byte {
	var b strings.Builder
	body := "Hello,\r\n\r\nI can't log in to my account since this morning.\r\n\r\nThanks,\r\nJane\r\n"
	hasDate := false
	for _, h := range headers {
		if strings.HasPrefix(h, "Body: ") {
			body = strings.TrimPrefix(h, "Body: ")
			continue
		}
		if strings.HasPrefix(h, "Date:") {
			hasDate = true
		}
		b.WriteString(h + "\r\n")
	}
	if !hasDate {
		b.WriteString("Date: Mon, 02 Mar 2026 08:00:00 +0000\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	b.WriteString(body)
	return []byte(b.String())
}

func (h *harness) ingest(raw []byte) Outcome {
	h.t.Helper()
	h.uid++
	out, err := h.e.Ingest(context.Background(), Source{Mailbox: "INBOX", UIDValidity: 1, UID: h.uid}, raw)
	if err != nil {
		h.t.Fatalf("ingest: %v", err)
	}
	return out
}

func (h *harness) ticket(id int64) *store.Ticket {
	h.t.Helper()
	var tk *store.Ticket
	if err := h.db.View(context.Background(), func(tx *store.Tx) error {
		var err error
		tk, err = tx.Ticket(id)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return tk
}

// outbox returns a ticket's outbox rows, leaving out the agents'
// notifications (they have tests of their own).
func (h *harness) outbox(id int64) []*store.Outbound {
	var out []*store.Outbound
	h.db.View(context.Background(), func(tx *store.Tx) error {
		rows, err := tx.TicketOutbound(id)
		for _, r := range rows {
			if r.Kind != KindNotify {
				out = append(out, r)
			}
		}
		return err
	})
	return out
}

func (h *harness) events(id int64) []string {
	var out []string
	h.db.View(context.Background(), func(tx *store.Tx) error {
		evs, err := tx.Events(id)
		for _, e := range evs {
			out = append(out, e.Kind)
		}
		return err
	})
	return out
}

func (h *harness) ticketCount() int {
	var n int
	h.db.View(context.Background(), func(tx *store.Tx) error {
		l, err := tx.ListTickets("", 0)
		n = len(l)
		return err
	})
	return n
}

func TestNewCustomerMailBecomesTicketWithOneAck(t *testing.T) {
	h := newHarness(t)
	out := h.ingest(msg("From: Jane Doe <Jane@Example.org>", "To: support@example.com", "Subject: Can't log in", "Message-ID: <c1@example.org>"))
	if !out.NewTicket || !out.Acked || out.Class != mail.ClassHuman {
		t.Fatalf("outcome = %+v", out)
	}
	tk := h.ticket(out.TicketID)
	if tk.Status != store.StatusActive || tk.CustomerAddr != "jane@example.org" || tk.Restatement == "" {
		t.Errorf("ticket = %+v", tk)
	}
	ob := h.outbox(out.TicketID)
	if len(ob) != 1 || ob[0].Kind != KindAck || ob[0].Rcpt != "jane@example.org" || !ob[0].Auto {
		t.Fatalf("outbox = %+v", ob)
	}
	var raw []byte
	h.db.View(context.Background(), func(tx *store.Tx) error {
		o, err := tx.Outbound(ob[0].ID)
		raw = o.Raw
		return err
	})
	ack := mail.Parse(raw)
	if len(ack.InReplyTo) != 1 || ack.InReplyTo[0] != "c1@example.org" {
		t.Errorf("In-Reply-To = %v", ack.InReplyTo)
	}
	if len(ack.References) == 0 || ack.References[len(ack.References)-1] != "c1@example.org" {
		t.Errorf("References = %v", ack.References)
	}
	wantSubject := fmt.Sprintf("Re: Can't log in [#%d]", tk.ID)
	if ack.Subject != wantSubject {
		t.Errorf("Subject = %q, want %q", ack.Subject, wantSubject)
	}
	if ack.Loop.AutoSubmitted != "auto-replied" {
		t.Errorf("Auto-Submitted = %q", ack.Loop.AutoSubmitted)
	}
	if len(ack.ReplyTo) != 1 || ack.ReplyTo[0].Addr != fmt.Sprintf("support+%d@example.com", tk.ID) {
		t.Errorf("Reply-To = %v", ack.ReplyTo)
	}
	if !strings.Contains(ack.Text, "It sounds like "+tk.Restatement) {
		t.Errorf("ack text lacks the restatement %q:\n%s", tk.Restatement, ack.Text)
	}
	if !strings.HasSuffix(ack.MessageID, "@example.com") {
		t.Errorf("Message-ID %q not on the support domain", ack.MessageID)
	}
}

func TestThreading(t *testing.T) {
	type step struct {
		name      string
		raw       func(first Outcome) []byte
		sameAsOne bool
	}
	jane := "From: Jane <jane@example.org>"
	tag := func(o Outcome) string { return fmt.Sprintf("[#%d]", o.TicketID) }
	steps := []step{
		{"reply with full References", func(o Outcome) []byte {
			return msg(jane, "Subject: Re: Can't log in", "Message-ID: <r1@example.org>", "In-Reply-To: <c1@example.org>", "References: <c1@example.org>")
		}, true},
		{"reply with only In-Reply-To", func(o Outcome) []byte {
			return msg(jane, "Subject: more", "Message-ID: <r2@example.org>", "In-Reply-To: <r1@example.org>")
		}, true},
		{"reply with only the subject tag from the customer", func(o Outcome) []byte {
			return msg(jane, "Subject: Re: Can't log in "+tag(o), "Message-ID: <r3@example.org>")
		}, true},
		{"same subject tag from a stranger", func(o Outcome) []byte {
			return msg("From: Mallory <mallory@evil.test>", "Subject: Re: Can't log in "+tag(o), "Message-ID: <s1@evil.test>")
		}, false},
		{"stranger forwarding with our References", func(o Outcome) []byte {
			return msg("From: Bob <bob@other.test>", "Subject: Fwd: Can't log in", "Message-ID: <s2@other.test>", "References: <c1@example.org>")
		}, false},
		{"references to a message we never saw", func(o Outcome) []byte {
			return msg(jane, "Subject: Re: something else", "Message-ID: <r4@example.org>", "References: <unknown@nowhere.test>")
		}, false},
		{"unknown references but the right tag", func(o Outcome) []byte {
			return msg(jane, "Subject: Re: "+tag(o), "Message-ID: <r5@example.org>", "References: <unknown2@nowhere.test>")
		}, true},
		{"plus address from the customer", func(o Outcome) []byte {
			return msg(jane, fmt.Sprintf("To: support+%d@example.com", o.TicketID), "Subject: new words", "Message-ID: <r6@example.org>")
		}, true},
		{"plus address from a stranger", func(o Outcome) []byte {
			return msg("From: eve@evil.test", fmt.Sprintf("To: support+%d@example.com", o.TicketID), "Subject: hi", "Message-ID: <s3@evil.test>")
		}, false},
	}
	h := newHarness(t)
	first := h.ingest(msg(jane, "To: support@example.com", "Subject: Can't log in", "Message-ID: <c1@example.org>"))
	for _, s := range steps {
		out := h.ingest(s.raw(first))
		if got := out.TicketID == first.TicketID; got != s.sameAsOne {
			t.Errorf("%s: ticket %d (first %d), same = %v, want %v", s.name, out.TicketID, first.TicketID, got, s.sameAsOne)
		}
		if s.sameAsOne && (out.NewTicket || out.Acked) {
			t.Errorf("%s: a reply must not create or acknowledge: %+v", s.name, out)
		}
	}
}

func TestChainOfFiveRepliesStaysInOneTicket(t *testing.T) {
	h := newHarness(t)
	first := h.ingest(msg("From: jane@example.org", "Subject: Export fails", "Message-ID: <m0@x>"))
	refs := "<m0@x>"
	for i := 1; i <= 5; i++ {
		id := fmt.Sprintf("<m%d@x>", i)
		out := h.ingest(msg("From: jane@example.org", "Subject: Re: Export fails", "Message-ID: "+id, "In-Reply-To: <m"+fmt.Sprint(i-1)+"@x>", "References: "+refs))
		if out.TicketID != first.TicketID {
			t.Fatalf("reply %d went to ticket %d", i, out.TicketID)
		}
		refs += " " + id
	}
	if tk := h.ticket(first.TicketID); tk.Messages != 7 { // 6 in + the ack
		t.Errorf("messages = %d, want 7", tk.Messages)
	}
}

func TestIngestIsIdempotent(t *testing.T) {
	h := newHarness(t)
	raw := msg("From: jane@example.org", "Subject: Hello", "Message-ID: <dup@x>")
	a, err := h.e.Ingest(context.Background(), Source{"INBOX", 1, 1}, raw)
	if err != nil {
		t.Fatal(err)
	}
	// The same UID again (a crash before the watcher moved on) and the same
	// Message-ID under a new UIDVALIDITY (a re-sync) are both recognised.
	for _, src := range []Source{{"INBOX", 1, 1}, {"INBOX", 2, 1}} {
		b, err := h.e.Ingest(context.Background(), src, raw)
		if err != nil {
			t.Fatal(err)
		}
		if !b.Duplicate || b.NewTicket {
			t.Errorf("%+v: outcome %+v, want duplicate", src, b)
		}
	}
	if n := h.ticketCount(); n != 1 {
		t.Errorf("tickets = %d, want 1", n)
	}
	if ob := h.outbox(a.TicketID); len(ob) != 1 {
		t.Errorf("acks = %d, want 1", len(ob))
	}
	cp, _ := h.e.Checkpoint(context.Background(), "INBOX")
	if cp.UIDValidity != 2 || cp.LastUID != 1 {
		t.Errorf("checkpoint = %+v", cp)
	}
}

func TestMalformedMailStillBecomesATicket(t *testing.T) {
	h := newHarness(t)
	raw := []byte("From: =?bogus?Q?broken?= <x@example.org\r\nSubject: =?utf-8?B?!!!not-base64?=\r\nContent-Type: multipart/mixed; boundary=\"nope\"\r\n\r\n--wrong\r\nhalf a part")
	out := h.ingest(raw)
	if out.TicketID == 0 {
		t.Fatal("no ticket for a malformed message")
	}
	if h.ticket(out.TicketID).Messages == 0 {
		t.Error("message not stored")
	}
}

func TestNoAckForAutomatedMail(t *testing.T) {
	cases := []struct {
		name  string
		raw   []byte
		class mail.Class
	}{
		{"out of office", msg("From: jane@example.org", "Subject: Out of Office: back Monday", "Message-ID: <o1@x>", "Auto-Submitted: auto-replied"), mail.ClassAutoReply},
		{"mailing list", msg("From: list@lists.example.net", "Subject: [announce] news", "Message-ID: <l1@x>", "List-Id: <announce.lists.example.net>", "Precedence: list"), mail.ClassBulk},
		{"bounce", msg("From: MAILER-DAEMON@mx.example.net", "Subject: Undelivered Mail Returned to Sender", "Message-ID: <b1@x>", "Return-Path: <>"), mail.ClassBounce},
		{"spam flagged", msg("From: win@prizes.test", "Subject: You won", "Message-ID: <sp@x>", "X-Spam-Flag: YES"), mail.ClassSpam},
		{"ourselves", msg("From: support@example.com", "Subject: loop?", "Message-ID: <self@x>"), mail.ClassSelf},
		{"noreply sender", msg("From: no-reply@shop.test", "Subject: Your order", "Message-ID: <nr@x>"), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			out := h.ingest(c.raw)
			if out.Acked {
				t.Fatalf("automated mail acknowledged: %+v", out)
			}
			if c.class != "" && out.Class != c.class {
				t.Errorf("class = %s, want %s", out.Class, c.class)
			}
			for _, o := range h.outbox(out.TicketID) {
				t.Errorf("automatic mail answered: %s to %s", o.Kind, o.Rcpt)
			}
		})
	}
}

func TestPerSenderLimitCapsAcknowledgements(t *testing.T) {
	h := newHarness(t)
	acks := 0
	for i := 0; i < 5; i++ {
		out := h.ingest(msg("From: busy@example.org", fmt.Sprintf("Subject: question %d", i), fmt.Sprintf("Message-ID: <q%d@x>", i)))
		if out.Acked {
			acks++
		}
	}
	if acks != 3 {
		t.Errorf("acks = %d, want 3 (the default daily limit)", acks)
	}
	h.clk.Advance(25 * time.Hour)
	if out := h.ingest(msg("From: busy@example.org", "Subject: next day", "Message-ID: <q9@x>")); !out.Acked {
		t.Error("no ack a day later")
	}
}

func TestCustomerReplyReopensClosedTicket(t *testing.T) {
	h := newHarness(t)
	first := h.ingest(msg("From: jane@example.org", "Subject: Hi", "Message-ID: <a@x>"))
	h.db.Update(context.Background(), func(tx *store.Tx) error {
		tk, _ := tx.Ticket(first.TicketID)
		tk.Status, tk.ClosedAt = store.StatusClosed, h.clk.Now()
		return tx.SaveTicket(tk)
	})
	h.ingest(msg("From: jane@example.org", "Subject: Re: Hi", "Message-ID: <b@x>", "In-Reply-To: <a@x>"))
	if tk := h.ticket(first.TicketID); tk.Status != store.StatusActive || !tk.ClosedAt.IsZero() {
		t.Errorf("after reply: status %s closed %v", tk.Status, tk.ClosedAt)
	}
	if ev := h.events(first.TicketID); !contains(ev, EventReopened) {
		t.Errorf("events %v lack %s", ev, EventReopened)
	}
}

func TestBounceOfOurAckIsRecordedSuppressedAndReported(t *testing.T) {
	h := newHarness(t)
	first := h.ingest(msg("From: gone@example.org", "Subject: Help", "Message-ID: <h@x>"))
	ack := h.outbox(first.TicketID)[0]
	dsn := "From: MAILER-DAEMON@mx.example.org\r\nTo: support@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
		"Message-ID: <dsn1@mx>\r\nDate: Mon, 02 Mar 2026 09:01:00 +0000\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n" +
		"--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n" +
		"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822; gone@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n" +
		"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@example.com\r\nMessage-ID: <" + ack.MessageID + ">\r\n" +
		"--B--\r\n"
	out := h.ingest([]byte(dsn))
	if out.TicketID != first.TicketID || out.Class != mail.ClassBounce {
		t.Fatalf("bounce went to ticket %d as %s, want ticket %d", out.TicketID, out.Class, first.TicketID)
	}
	if !contains(h.events(first.TicketID), EventBounce) {
		t.Error("no bounce event")
	}
	alerts := 0
	for _, o := range h.outbox(first.TicketID) {
		if o.Kind == KindAlert && o.Rcpt == h.agent {
			alerts++
		}
	}
	if alerts != 1 {
		t.Errorf("agent alerts = %d, want 1", alerts)
	}
	// The address now gets no automatic mail for 30 days.
	if again := h.ingest(msg("From: gone@example.org", "Subject: Another", "Message-ID: <h2@x>")); again.Acked {
		t.Error("acknowledged a hard-bouncing address")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// fakeTransport answers each Send from a script of errors, then succeeds.
type fakeTransport struct {
	mu     sync.Mutex
	script []error
	sent   [][]byte
	calls  int
}

func (f *fakeTransport) Send(ctx context.Context, from string, rcpts []string, raw []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if len(f.script) > 0 {
		err := f.script[0]
		f.script = f.script[1:]
		if err != nil {
			return err
		}
	}
	f.sent = append(f.sent, raw)
	return nil
}

func (f *fakeTransport) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sent)
}

func TestOutboxRetriesTemporaryFailures(t *testing.T) {
	h := newHarness(t)
	h.e.cfg.Agents = nil
	tr := &fakeTransport{script: []error{&mail.SendError{Code: 421, Msg: "try later"}}}
	ob := NewOutbox(h.e, tr, nil, nil)
	first := h.ingest(msg("From: jane@example.org", "Subject: Hi", "Message-ID: <a@x>"))
	ctx := context.Background()
	if n, err := ob.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("DeliverDue = %d, %v", n, err)
	}
	if tr.count() != 0 {
		t.Fatal("sent despite 421")
	}
	h.clk.Advance(2 * time.Minute)
	ob.DeliverDue(ctx)
	if tr.count() != 1 {
		t.Fatalf("not retried after backoff: sent %d", tr.count())
	}
	got := h.outbox(first.TicketID)[0]
	if got.Status != store.OutboxSent || got.Attempts != 2 {
		t.Errorf("outbox row = %+v", got)
	}
}

func TestOutboxGivesUpOnPermanentFailureAndAlertsOnce(t *testing.T) {
	h := newHarness(t)
	tr := &fakeTransport{script: []error{&mail.SendError{Code: 550, Msg: "no such user", Permanent: true}}}
	ob := NewOutbox(h.e, tr, nil, nil)
	first := h.ingest(msg("From: jane@example.org", "Subject: Hi", "Message-ID: <a@x>"))
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		ob.DeliverDue(ctx)
		h.clk.Advance(2 * time.Hour)
	}
	rows := h.outbox(first.TicketID)
	var failed, alerts int
	for _, r := range rows {
		if r.Kind == KindAck && r.Status == store.OutboxFailed {
			failed++
		}
		if r.Kind == KindAlert {
			alerts++
			if r.Status != store.OutboxSent {
				t.Errorf("alert not delivered: %+v", r)
			}
		}
	}
	if failed != 1 || alerts != 1 {
		t.Errorf("failed acks %d, alerts %d; want 1 and 1", failed, alerts)
	}
	if !contains(h.events(first.TicketID), EventSendFailed) {
		t.Error("no send_failed event")
	}
}

func TestOutboxGivesUpAfterRetryWindow(t *testing.T) {
	h := newHarness(t)
	h.e.cfg.Agents = nil
	tr := &fakeTransport{}
	for i := 0; i < 200; i++ {
		tr.script = append(tr.script, errors.New("connection refused"))
	}
	ob := NewOutbox(h.e, tr, nil, nil)
	first := h.ingest(msg("From: jane@example.org", "Subject: Hi", "Message-ID: <a@x>"))
	for i := 0; i < 100 && h.outbox(first.TicketID)[0].Status == store.OutboxQueued; i++ {
		ob.DeliverDue(context.Background())
		h.clk.Advance(time.Hour)
	}
	if st := h.outbox(first.TicketID)[0].Status; st != store.OutboxFailed {
		t.Fatalf("status after 100h of refusals = %s, want failed", st)
	}
}

func TestOutboxResumesAfterRestartAndSendsOnce(t *testing.T) {
	h := newHarness(t)
	h.e.cfg.Agents = nil
	first := h.ingest(msg("From: jane@example.org", "Subject: Hi", "Message-ID: <a@x>"))
	// "Crash" between enqueue and send: a new engine and outbox on the same file.
	h.db.Close()
	h.open()
	h.e.cfg.Agents = nil
	tr := &fakeTransport{}
	ob := NewOutbox(h.e, tr, nil, nil)
	ob.DeliverDue(context.Background())
	ob.DeliverDue(context.Background())
	if tr.count() != 1 {
		t.Fatalf("sent %d times, want 1", tr.count())
	}
	if h.outbox(first.TicketID)[0].Status != store.OutboxSent {
		t.Error("not marked sent")
	}
}

func TestOutboxRunSleepsUntilKicked(t *testing.T) {
	h := newHarness(t)
	h.e.cfg.Agents = nil
	tr := &fakeTransport{}
	ob := NewOutbox(h.e, tr, nil, nil)
	h.e.OnEnqueue(ob.Kick)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ob.Run(ctx); close(done) }()
	h.ingest(msg("From: jane@example.org", "Subject: Hi", "Message-ID: <a@x>"))
	deadline := time.Now().Add(10 * time.Second)
	for tr.count() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if tr.count() != 1 {
		t.Fatalf("sent %d, want 1", tr.count())
	}
}
