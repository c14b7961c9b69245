// Package workflow decides what happens to tickets: threading, first
// responses, loop protection and the outbox's retry policy. It never opens a
// socket or speaks SQL; it is given a store, a clock and templates.
package workflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"supportd/internal/clock"
	"supportd/mail"
	"supportd/store"
	"supportd/templates"
	"supportd/workflow/restate"
)

// Agent is a member of the support team.
type Agent struct {
	Name string
	Addr string
}

// Config is the policy the engine applies.
type Config struct {
	SupportAddr    string // the mailbox customers write to
	SupportName    string
	PlusAddressing bool // Reply-To support+N@domain on customer mail
	Agents         []Agent
	// AutoReplyLimit caps automatic mails to one address per 24 hours.
	AutoReplyLimit int
	// RetryFor is how long the outbox keeps retrying a temporary failure.
	RetryFor time.Duration
	// NextSteps is the "what happens next" text of the first response.
	NextSteps string
	// BounceSuppression is how long a hard-bouncing address gets no automatic mail.
	BounceSuppression time.Duration
	// SecretKey keys the HMAC of agents' reply tokens. It must stay the
	// same across restarts, or tokens in mail already sent stop working.
	SecretKey []byte
	// RequireAuthenticatedAgents also demands dkim=pass or spf=pass for the
	// agent's domain in Authentication-Results stamped by AuthServID.
	RequireAuthenticatedAgents bool
	AuthServID                 string
	// MaxRelayAttachments caps the bytes of an agent's attachments relayed.
	MaxRelayAttachments int64
	// Followups is when we check back, close, and remind ourselves.
	Followups FollowupPolicy
}

func (c *Config) setDefaults() {
	if c.AutoReplyLimit <= 0 {
		c.AutoReplyLimit = 3
	}
	if c.RetryFor <= 0 {
		c.RetryFor = 48 * time.Hour
	}
	if c.BounceSuppression <= 0 {
		c.BounceSuppression = 30 * 24 * time.Hour
	}
	c.Followups.setDefaults()
	if c.MaxRelayAttachments <= 0 {
		c.MaxRelayAttachments = 20 << 20
	}
	if c.NextSteps == "" {
		c.NextSteps = templates.DefaultNextSteps()
	}
	c.SupportAddr = mail.NormalizeAddr(c.SupportAddr)
	for i := range c.Agents {
		c.Agents[i].Addr = mail.NormalizeAddr(c.Agents[i].Addr)
	}
}

// Event kinds written to a ticket's log.
const (
	EventCreated      = "created"
	EventReceived     = "received"
	EventAcknowledged = "acknowledged"
	EventNoAck        = "no_ack"
	EventReopened     = "reopened"
	EventStatus       = "status"
	EventAutoReply    = "auto_reply"
	EventBounce       = "bounce"
	EventSent         = "sent"
	EventSendFailed   = "send_failed"
	EventParseProblem = "parse_problem"
	EventAutoClosed   = "auto_closed"
)

// Outbox kinds.
const (
	KindAck   = "ack"
	KindAlert = "alert"
)

// Engine turns inbound mail into ticket decisions, each in one store
// transaction together with the mail it causes.
type Engine struct {
	db    *store.DB
	clock clock.Clock
	tmpl  *templates.Set
	cfg   Config
	log   *slog.Logger
	// onEnqueue is called after a transaction that enqueued mail commits,
	// to wake the outbox sender.
	onEnqueue func()
	// onTimer is called after a transaction that may have set timers, to
	// wake the scheduler.
	onTimer func()
}

// OnTimer sets the function called after timers may have changed (the
// scheduler's Kick). Set it before ingest starts.
func (e *Engine) OnTimer(f func()) { e.onTimer = f }

// NewEngine returns an engine. onEnqueue may be nil.
func NewEngine(db *store.DB, clk clock.Clock, tmpl *templates.Set, cfg Config, log *slog.Logger) *Engine {
	cfg.setDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Engine{db: db, clock: clk, tmpl: tmpl, cfg: cfg, log: log}
}

// OnEnqueue sets the function called after mail was enqueued (the outbox
// sender's Kick). Set it before ingest starts.
func (e *Engine) OnEnqueue(f func()) { e.onEnqueue = f }

// Config returns the engine's policy, defaults applied.
func (e *Engine) Config() Config { return e.cfg }

// Outcome says what Ingest did with a message.
type Outcome struct {
	TicketID  int64
	NewTicket bool
	Duplicate bool
	Acked     bool
	Class     mail.Class
	Reason    string // why no acknowledgement was sent, or the class reason
}

// Checkpoint implements mail.IngestSink.
func (e *Engine) Checkpoint(ctx context.Context, mailbox string) (mail.Checkpoint, error) {
	var c store.Checkpoint
	err := e.db.View(ctx, func(tx *store.Tx) error {
		var err error
		c, err = tx.Checkpoint(mailbox)
		return err
	})
	return mail.Checkpoint{UIDValidity: c.UIDValidity, LastUID: c.LastUID}, err
}

// UIDValidityChanged implements mail.IngestSink: the mailbox starts over and
// every message is fetched again; ingest recognises them by Message-ID.
func (e *Engine) UIDValidityChanged(ctx context.Context, mailbox string, old, new uint32) error {
	e.log.Warn("mailbox UIDVALIDITY changed; re-syncing by Message-ID", "mailbox", mailbox, "old", old, "new", new)
	return e.db.Update(ctx, func(tx *store.Tx) error { return tx.ResetCheckpoint(mailbox, new) })
}

// Deliver implements mail.IngestSink.
func (e *Engine) Deliver(ctx context.Context, f mail.Fetched) error {
	_, err := e.Ingest(ctx, Source{Mailbox: f.Mailbox, UIDValidity: f.UIDValidity, UID: f.UID}, f.Raw)
	return err
}

// Source is where a raw message came from; the zero value means "not from a
// mailbox" (e.g. a file given on the command line).
type Source struct {
	Mailbox     string
	UIDValidity uint32
	UID         uint32
}

// Analysis is everything the engine reads from one message before deciding.
type Analysis struct {
	Msg         *mail.Message
	Class       mail.Class
	ClassReason string
	ReplyText   string
	Restatement string
	// Attachments holds the content of the attachments, loaded only for an
	// agent's reply that is relayed.
	Attachments []mail.AttachmentData
	// rawText is the start of the raw message, kept for delivery reports
	// whose machine-readable parts are not in the text body.
	rawText string
	raw     []byte
}

// Analyze parses and classifies raw without touching the store.
func (e *Engine) Analyze(raw []byte) *Analysis {
	return Analyze(raw, e.selfAddrs())
}

// Analyze parses and classifies raw. selfAddrs are our own addresses.
func Analyze(raw []byte, selfAddrs []string) *Analysis {
	m := mail.Parse(raw)
	cls, reason := mail.Classify(m, selfAddrs)
	reply := mail.ExtractReply(m.Text)
	a := &Analysis{Msg: m, Class: cls, ClassReason: reason, ReplyText: reply, Restatement: restate.Restate(m.Subject, reply), raw: raw}
	if cls == mail.ClassBounce {
		a.rawText = string(raw[:min(len(raw), 256<<10)])
	}
	return a
}

func (e *Engine) selfAddrs() []string { return []string{e.cfg.SupportAddr} }

func (e *Engine) isAgent(addr string) (Agent, bool) {
	addr = mail.NormalizeAddr(addr)
	for _, a := range e.cfg.Agents {
		if a.Addr == addr {
			return a, true
		}
	}
	return Agent{}, false
}

// Ingest stores one raw message and makes the decisions it causes, all in one
// transaction that also advances the mailbox checkpoint. It is idempotent on
// the source UID and on the Message-ID. A malformed message still becomes a
// ticket with what could be read; an error means the store failed and the
// message must be fetched again.
func (e *Engine) Ingest(ctx context.Context, src Source, raw []byte) (Outcome, error) {
	a := e.Analyze(raw)
	m := a.Msg
	now := e.clock.Now()
	var out Outcome
	out.Class = a.Class
	enqueued := false
	err := e.db.Update(ctx, func(tx *store.Tx) error {
		out = Outcome{Class: a.Class}
		enqueued = false
		if src.Mailbox != "" {
			seen, err := tx.MessageSeen(src.Mailbox, src.UIDValidity, src.UID)
			if err != nil {
				return err
			}
			if seen {
				out.Duplicate = true
				return tx.AdvanceCheckpoint(src.Mailbox, src.UIDValidity, src.UID)
			}
		}
		if tid, ok, err := tx.InboundExists(m.MessageID); err != nil {
			return err
		} else if ok {
			out.Duplicate, out.TicketID = true, tid
			return e.advance(tx, src)
		}
		// Our own mail coming back (a Cc to the support address, a copy in a
		// watched folder) is already on its ticket as outbound.
		if a.Class == mail.ClassSelf {
			if tids, err := tx.TicketsByMessageIDs([]string{m.MessageID}); err == nil && len(tids) > 0 {
				out.Duplicate, out.TicketID = true, tids[0]
				return e.advance(tx, src)
			}
		}
		tk, how, err := e.thread(tx, a)
		if err != nil {
			return err
		}
		var before store.Ticket
		if tk != nil {
			before = *tk
		}
		if tk == nil {
			tk, err = e.newTicket(tx, a, now)
			if err != nil {
				return err
			}
			out.NewTicket = true
			how = "new ticket"
		}
		out.TicketID = tk.ID
		if err := e.storeInbound(tx, tk, a, src, raw, now); err != nil {
			return err
		}
		if err := tx.AddEvent(tk.ID, now, EventReceived, m.From.Addr, fmt.Sprintf("%s (%s; %s)", m.MessageID, a.Class, how)); err != nil {
			return err
		}
		for _, p := range m.Problems {
			if err := tx.AddEvent(tk.ID, now, EventParseProblem, "", p); err != nil {
				return err
			}
		}
		var sent bool
		if out.NewTicket {
			sent, out.Reason, err = e.firstResponse(tx, tk, a, now)
			if err == nil && e.wantsNotification(tk, a) {
				err = e.notifyAgents(tx, tk, a, true, now)
			}
		} else {
			err = e.followOn(tx, tk, a, now)
		}
		if err != nil {
			return err
		}
		out.Acked = sent
		enqueued = true // a notification, relay or alert may be queued
		if err := e.syncTimers(tx, &before, tk, a, now); err != nil {
			return err
		}
		if err := tx.SaveTicket(tk); err != nil {
			return err
		}
		return e.advance(tx, src)
	})
	if err != nil {
		return out, fmt.Errorf("ingest %s: %w", m.MessageID, err)
	}
	if len(m.Problems) > 0 {
		e.log.Warn("malformed message stored with what could be read", "ticket", out.TicketID, "message_id", m.MessageID, "problems", len(m.Problems))
	}
	if !out.Duplicate {
		e.log.Info("ingested", "ticket", out.TicketID, "new", out.NewTicket, "class", string(a.Class), "acked", out.Acked, "uid", src.UID)
	}
	if enqueued && e.onEnqueue != nil {
		e.onEnqueue()
	}
	if !out.Duplicate && e.onTimer != nil {
		e.onTimer()
	}
	return out, nil
}

func (e *Engine) advance(tx *store.Tx, src Source) error {
	if src.Mailbox == "" {
		return nil
	}
	return tx.AdvanceCheckpoint(src.Mailbox, src.UIDValidity, src.UID)
}

func (e *Engine) newTicket(tx *store.Tx, a *Analysis, now time.Time) (*store.Ticket, error) {
	m := a.Msg
	tk := &store.Ticket{
		Subject:      strings.TrimSpace(m.Subject),
		CustomerAddr: mail.NormalizeAddr(m.From.Addr),
		CustomerName: m.From.Name,
		Status:       store.StatusActive,
		Restatement:  a.Restatement,
		Class:        string(a.Class),
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	// Mail no person wrote is kept, but it is nobody's work: it starts closed
	// so it never sits in the queue, and a human reply would reopen it.
	if a.Class != mail.ClassHuman && a.Class != mail.ClassBulk {
		tk.Status = store.StatusClosed
		tk.ClosedAt = now
		tk.ClosedBy = "system:" + string(a.Class)
		tk.NoFollowup = true
	}
	if err := tx.CreateTicket(tk); err != nil {
		return nil, err
	}
	if err := tx.AddEvent(tk.ID, now, EventCreated, tk.CustomerAddr, tk.Subject); err != nil {
		return nil, err
	}
	if leaveMeAlone.MatchString(a.ReplyText) {
		tk.NoFollowup = true
	}
	if tk.Status == store.StatusClosed {
		if err := tx.AddEvent(tk.ID, now, EventAutoClosed, "system", fmt.Sprintf("%s: %s", a.Class, a.ClassReason)); err != nil {
			return nil, err
		}
	}
	if err := tx.AddParticipant(tk.ID, tk.CustomerAddr, tk.CustomerName, "customer"); err != nil {
		return nil, err
	}
	for _, c := range append(append([]mail.Address{}, m.To...), m.Cc...) {
		addr := mail.NormalizeAddr(c.Addr)
		if addr == "" || addr == tk.CustomerAddr || e.isSupportAddr(addr) {
			continue
		}
		if err := tx.AddParticipant(tk.ID, addr, c.Name, "cc"); err != nil {
			return nil, err
		}
	}
	return tk, nil
}

func (e *Engine) storeInbound(tx *store.Tx, tk *store.Ticket, a *Analysis, src Source, raw []byte, now time.Time) error {
	m := a.Msg
	date := m.Date
	if date.IsZero() {
		date = now
	}
	var to []string
	for _, x := range m.To {
		to = append(to, x.Addr)
	}
	row := &store.Message{
		TicketID:  tk.ID,
		MessageID: m.MessageID,
		Direction: "in",
		FromAddr:  mail.NormalizeAddr(m.From.Addr),
		FromName:  m.From.Name,
		To:        strings.Join(to, ", "),
		Subject:   m.Subject,
		Date:      date,
		Text:      m.Text,
		Class:     string(a.Class),
		Raw:       raw,
		CreatedAt: now,
	}
	if src.Mailbox != "" {
		row.Mailbox, row.UIDValidity, row.UID = src.Mailbox, src.UIDValidity, src.UID
	}
	return tx.InsertMessage(row)
}

// followOn handles a message threaded into an existing ticket.
func (e *Engine) followOn(tx *store.Tx, tk *store.Ticket, a *Analysis, now time.Time) error {
	m := a.Msg
	from := mail.NormalizeAddr(m.From.Addr)
	tk.UpdatedAt = now
	switch a.Class {
	case mail.ClassBounce:
		return e.bounce(tx, tk, a, now)
	case mail.ClassAutoReply:
		return tx.AddEvent(tk.ID, now, EventAutoReply, from, a.ClassReason)
	case mail.ClassSelf, mail.ClassSpam:
		return nil
	}
	if agent, ok := e.isAgent(from); ok {
		verified, why, err := e.verifyAgent(tx, tk, a, agent)
		if err != nil {
			return err
		}
		if verified {
			a.Attachments = mail.AttachmentsOf(a.raw, e.cfg.MaxRelayAttachments)
			return e.agentAction(tx, tk, a, agent, now)
		}
		if ok, err := e.ccStyleReply(tx, tk, a, agent); err != nil {
			return err
		} else if ok {
			return e.recordCcReply(tx, tk, a, agent, now)
		}
		// A forged From must never move a ticket or reach the customer
		// as us: the mail is kept and flagged, nothing else.
		return tx.AddEvent(tk.ID, now, EventForgedAgent, from, "mail from an agent's address not accepted as an agent action: "+why)
	}
	if from == tk.CustomerAddr {
		tk.CustomerMsgs++
		if leaveMeAlone.MatchString(a.ReplyText) && !tk.NoFollowup {
			tk.NoFollowup = true
			if err := tx.AddEvent(tk.ID, now, EventStatus, from, "customer asked for no more mail: no follow-ups"); err != nil {
				return err
			}
		}
	}
	switch tk.Status {
	case store.StatusClosed:
		tk.Status = store.StatusActive
		tk.ClosedAt, tk.ClosedBy, tk.Resolved = time.Time{}, "", false
		if err := tx.AddEvent(tk.ID, now, EventReopened, from, "customer wrote to a closed ticket"); err != nil {
			return err
		}
	case store.StatusPending:
		tk.Status = store.StatusActive
		if err := tx.AddEvent(tk.ID, now, EventStatus, from, "pending -> active: customer replied"); err != nil {
			return err
		}
	}
	return e.notifyAgents(tx, tk, a, false, now)
}

// wantsNotification says whether agents hear about a new ticket: only mail
// a person wrote, and not the agents' own.
func (e *Engine) wantsNotification(tk *store.Ticket, a *Analysis) bool {
	if a.Class != mail.ClassHuman && a.Class != mail.ClassBulk {
		return false
	}
	_, agent := e.isAgent(tk.CustomerAddr)
	return !agent
}

func (e *Engine) isSupportAddr(addr string) bool {
	addr = mail.NormalizeAddr(addr)
	if addr == e.cfg.SupportAddr {
		return true
	}
	_, _, ok := e.plusTag(addr)
	return ok
}

// syncTimers keeps a ticket's timers in step with what a decision did to
// it, in the decision's own transaction: closing cancels everything; the
// first response ends the SLA clock; an agent reply (or pending) starts the
// follow-ups afresh; a customer reply cancels them and starts the wait on us.
func (e *Engine) syncTimers(tx *store.Tx, before, after *store.Ticket, a *Analysis, now time.Time) error {
	if after.Status == store.StatusClosed {
		if before.Status != store.StatusClosed {
			_, err := tx.CancelTimers(after.ID, now)
			return err
		}
		return nil
	}
	if before.ID == 0 {
		if a != nil && a.Class == mail.ClassHuman && after.Status == store.StatusActive {
			return e.scheduleSLA(tx, after, now)
		}
		return nil
	}
	if !after.FirstResponseAt.IsZero() && before.FirstResponseAt.IsZero() {
		if _, err := tx.CancelTimers(after.ID, now, TimerSLAWarn, TimerSLABreach); err != nil {
			return err
		}
	}
	if after.CustomerMsgs > before.CustomerMsgs {
		if _, err := tx.CancelTimers(after.ID, now, followupKinds...); err != nil {
			return err
		}
		if after.Status == store.StatusActive {
			if err := e.scheduleAgentReminder(tx, after, now); err != nil {
				return err
			}
		}
	}
	agentReplied := after.AgentReplies > before.AgentReplies
	if agentReplied || (after.Status == store.StatusPending && before.Status != store.StatusPending) {
		if _, err := tx.CancelTimers(after.ID, now, TimerAgentReminder); err != nil {
			return err
		}
		if after.Status == store.StatusPending {
			if err := e.scheduleFollowups(tx, after, now); err != nil {
				return err
			}
		}
	}
	if after.Status == store.StatusActive && before.Status == store.StatusPending && after.CustomerMsgs == before.CustomerMsgs {
		// An agent set the ticket back to active: nothing to follow up.
		if _, err := tx.CancelTimers(after.ID, now, followupKinds...); err != nil {
			return err
		}
	}
	if after.NoFollowup && !before.NoFollowup {
		if _, err := tx.CancelTimers(after.ID, now, followupKinds...); err != nil {
			return err
		}
	}
	return nil
}

// ErrNoTicket is returned by lookups of tickets that do not exist.
var ErrNoTicket = errors.New("no such ticket")
