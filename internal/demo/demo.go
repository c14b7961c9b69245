// Package demo runs supportd's whole loop in one process on loopback: an
// embedded IMAP server with mailboxes for the support address, two agents
// and two customers; an embedded SMTP server that delivers every accepted
// message into the right mailbox; and a real supportd between them, on a
// scaled clock. A guided scenario plays a customer and prints what happens.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"supportd/internal/clock"
	"supportd/internal/daemon"
	"supportd/mail"
	"supportd/mail/imaptest"
	"supportd/mail/smtptest"
	"supportd/store"
	"supportd/workflow"
)

// Options configure a demo run.
type Options struct {
	Speed     float64 // clock speed-up; 43200 = a day every two seconds
	StorePath string  // "" = a temporary directory
	Script    bool    // run the guided scenario
	Exit      bool    // end after the scenario
	Out       io.Writer
	Log       *slog.Logger
	// StepTimeout bounds how long (wall time) each scene waits for its mail.
	StepTimeout time.Duration
}

// The demo's cast. Every mailbox's password is Password.
const (
	Domain       = "demo.test"
	SupportAddr  = "support@demo.test"
	SupportName  = "Demo Support"
	AgentAlex    = "alex@demo.test"
	AgentSam     = "sam@demo.test"
	CustomerJane = "jane@customer.test"
	CustomerOmar = "omar@customer.test"
	Password     = "demo"
)

// Demo is a running demo.
type Demo struct {
	opts    Options
	imap    *imaptest.Server
	smtp    *smtptest.Server
	d       *daemon.Daemon
	clk     clock.Clock
	tmpDir  string
	out     io.Writer
	mu      sync.Mutex // serialises transcript lines
	users   map[string]bool
	started time.Time
	firstID string // Message-ID of the scenario's first customer mail
}

// Run starts the demo and blocks until the scenario ends (with Exit) or ctx
// is cancelled. With Exit, an error means a step did not happen.
func Run(ctx context.Context, o Options) error {
	if o.Speed <= 0 {
		o.Speed = 43200
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.StepTimeout <= 0 {
		o.StepTimeout = 20 * time.Second
	}
	dm := &Demo{opts: o, out: o.Out, users: map[string]bool{}, started: time.Now()}
	if err := dm.start(ctx); err != nil {
		dm.close()
		return err
	}
	defer dm.close()

	runCtx, cancel := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() { runDone <- dm.d.Run(runCtx) }()
	stop := func() error {
		cancel()
		return <-runDone
	}

	dm.banner()
	var scriptErr error
	if o.Script {
		scriptErr = dm.script(ctx)
		if scriptErr != nil {
			dm.say("✗ scenario failed: %v", scriptErr)
		} else {
			dm.say("✓ scenario complete: every step happened")
		}
	}
	if o.Exit {
		return errors.Join(scriptErr, stop())
	}
	dm.instructions()
	<-ctx.Done()
	dm.say("stopping…")
	return stop()
}

func (dm *Demo) start(ctx context.Context) error {
	var err error
	dm.imap, err = imaptest.NewServer("127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("start IMAP server: %w", err)
	}
	for _, u := range []string{SupportAddr, AgentAlex, AgentSam, CustomerJane, CustomerOmar} {
		folders := []string{}
		if u == SupportAddr {
			folders = append(folders, "Sent")
		}
		if err := dm.imap.AddUser(u, Password, folders...); err != nil {
			return err
		}
		dm.users[u] = true
	}
	dm.smtp, err = smtptest.NewServer("127.0.0.1:0", smtptest.WithDelivery(dm.deliver))
	if err != nil {
		return fmt.Errorf("start SMTP server: %w", err)
	}
	storePath := dm.opts.StorePath
	if storePath == "" {
		dm.tmpDir, err = os.MkdirTemp("", "supportd-demo-")
		if err != nil {
			return err
		}
		storePath = filepath.Join(dm.tmpDir, "supportd.db")
	}
	dm.clk = clock.NewScaled(dm.opts.Speed)
	dm.d, err = daemon.Open(ctx, daemon.Options{
		Workflow: workflow.Config{
			SupportAddr: SupportAddr, SupportName: SupportName, PlusAddressing: true,
			Agents: []workflow.Agent{{Name: "Alex", Addr: AgentAlex}, {Name: "Sam", Addr: AgentSam}},
		},
		IMAP: mail.IMAPConfig{Host: dm.imap.Host(), Port: dm.imap.Port(), TLS: "none", Username: SupportAddr, Password: Password,
			Folder: "INBOX", MinBackoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second, CheckInterval: 30 * time.Second},
		SMTP:       mail.SMTPConfig{Host: dm.smtp.Host(), Port: dm.smtp.Port(), TLS: "none", Timeout: 10 * time.Second},
		SentFolder: "Sent",
		StorePath:  storePath,
		Clock:      dm.clk,
		Log:        dm.opts.Log,
	})
	return err
}

func (dm *Demo) close() {
	if dm.d != nil {
		dm.d.Close()
	}
	if dm.smtp != nil {
		dm.smtp.Close()
	}
	if dm.imap != nil {
		dm.imap.Close()
	}
	if dm.tmpDir != "" {
		os.RemoveAll(dm.tmpDir)
	}
}

// deliver is the embedded MTA: each recipient's mail goes into the INBOX
// of the mailbox it names, plus-address tag and all, with Delivered-To set
// as a real MTA would.
func (dm *Demo) deliver(from string, rcpts []string, raw []byte) error {
	for _, rcpt := range rcpts {
		box := baseAddr(rcpt)
		if !dm.users[box] {
			dm.say("  (embedded MTA: no mailbox for %s; dropped)", rcpt)
			continue
		}
		withTrace := append([]byte("Delivered-To: "+rcpt+"\r\n"), raw...)
		if _, err := dm.imap.Append(box, "INBOX", withTrace); err != nil {
			return err
		}
		dm.transcript(rcpt, raw)
	}
	return nil
}

func baseAddr(addr string) string {
	addr = mail.NormalizeAddr(addr)
	local, domain, ok := strings.Cut(addr, "@")
	if !ok {
		return addr
	}
	local, _, _ = strings.Cut(local, "+")
	return local + "@" + domain
}

// say prints one line of the transcript.
func (dm *Demo) say(format string, args ...any) {
	dm.mu.Lock()
	defer dm.mu.Unlock()
	fmt.Fprintf(dm.out, format+"\n", args...)
}

func (dm *Demo) now() string {
	return dm.clk.Now().Local().Format("Mon 15:04")
}

// transcript prints who wrote to whom, the subject and the first lines.
func (dm *Demo) transcript(rcpt string, raw []byte) {
	m := mail.Parse(raw)
	var lines []string
	for _, l := range strings.Split(m.Text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
		if len(lines) == 4 {
			break
		}
	}
	dm.mu.Lock()
	defer dm.mu.Unlock()
	fmt.Fprintf(dm.out, "\n  ✉ [%s] %s → %s\n", dm.now(), m.From, rcpt)
	fmt.Fprintf(dm.out, "    Subject: %s\n", m.Subject)
	for _, l := range lines {
		fmt.Fprintf(dm.out, "    │ %s\n", clip(l, 100))
	}
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func (dm *Demo) banner() {
	dm.say("supportd demo — everything on loopback, clock ×%.0f (one day every %s)\n", dm.opts.Speed,
		(time.Duration(float64(24*time.Hour) / dm.opts.Speed)).Round(time.Millisecond))
	dm.say("  IMAP  %s   (users below, password %q, no TLS)", dm.imap.Addr(), Password)
	dm.say("  SMTP  %s   (no auth needed; delivers into the IMAP mailboxes)", dm.smtp.Addr())
	dm.say("  support %s · agents %s, %s · customers %s, %s", SupportAddr, AgentAlex, AgentSam, CustomerJane, CustomerOmar)
}

func (dm *Demo) instructions() {
	dm.say("\nsupportd is running. Play customer or agent yourself, e.g.:")
	dm.say("  swaks --server %s --from %s --to %s --header 'Subject: My invoice is wrong' --body 'I was charged twice this month.'", dm.smtp.Addr(), CustomerOmar, SupportAddr)
	dm.say("  then read %s's INBOX with any IMAP client at %s (user %s, password %s).", CustomerOmar, dm.imap.Addr(), CustomerOmar, Password)
	dm.say("Ctrl-C ends the demo.")
}

// send submits a customer's or agent's mail through the embedded SMTP
// server, like a mail client would.
func (dm *Demo) send(ctx context.Context, o mail.Outgoing) error {
	if o.MessageID == "" {
		o.MessageID = mail.NewMessageID(mail.Domain(o.From.Addr))
	}
	if o.Date.IsZero() {
		o.Date = dm.clk.Now()
	}
	raw, err := mail.Compose(o)
	if err != nil {
		return err
	}
	var rcpts []string
	for _, a := range append(append([]mail.Address{}, o.To...), o.Cc...) {
		rcpts = append(rcpts, a.Addr)
	}
	s := mail.NewSender(mail.SMTPConfig{Host: dm.smtp.Host(), Port: dm.smtp.Port(), TLS: "none", Timeout: 10 * time.Second})
	return s.Send(ctx, o.From.Addr, rcpts, raw)
}

// waitMail waits (bounded) until user's INBOX holds a message matching
// match, and returns it parsed.
func (dm *Demo) waitMail(ctx context.Context, user string, match func(*mail.Message) bool) (*mail.Message, error) {
	deadline := time.Now().Add(dm.opts.StepTimeout)
	for {
		msgs, err := dm.imap.Messages(user, "INBOX")
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			if pm := mail.Parse(m.Raw); match(pm) {
				return pm, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no matching mail in %s's INBOX after %s", user, dm.opts.StepTimeout)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitTicket waits (bounded) until cond holds for the ticket with a message
// whose Message-ID is msgID, and returns that ticket.
func (dm *Demo) waitTicket(ctx context.Context, msgID string, cond func(*store.Ticket) bool) (*store.Ticket, error) {
	deadline := time.Now().Add(dm.opts.StepTimeout)
	for {
		var tk *store.Ticket
		err := dm.d.DB.View(ctx, func(tx *store.Tx) error {
			ids, err := tx.TicketsByMessageIDs([]string{msgID})
			if err != nil || len(ids) == 0 {
				return err
			}
			tk, err = tx.Ticket(ids[0])
			return err
		})
		if err != nil {
			return nil, err
		}
		if tk != nil && cond(tk) {
			return tk, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("ticket for %s not as expected after %s", msgID, dm.opts.StepTimeout)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (dm *Demo) status(tk *store.Ticket) {
	dm.say("\n  ▸ ticket #%d %q is %s (%d messages)", tk.ID, tk.Subject, strings.ToUpper(tk.Status), tk.Messages)
}

func (dm *Demo) scene(n int, title string) {
	dm.say("\n── Scene %d: %s", n, title)
}
