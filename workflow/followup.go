package workflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"time"

	"supportd/mail"
	"supportd/store"
)

// Timer kinds.
const (
	TimerFollowup      = "followup"       // a kind check-in while we wait on the customer
	TimerCloseFollowup = "close_followup" // "we'll close this unless we hear back"
	TimerAutoclose     = "autoclose"      // close without a third mail
	TimerSLAWarn       = "sla_warn"       // 75% of the first-response target used
	TimerSLABreach     = "sla_breach"     // first-response target missed
	TimerAgentReminder = "agent_reminder" // a customer's reply is waiting on us
)

// followupKinds are cancelled together when the customer answers.
var followupKinds = []string{TimerFollowup, TimerCloseFollowup, TimerAutoclose}

// Event and outbox kinds for follow-ups.
const (
	EventTimerFired = "timer"
	EventFollowup   = "followup_sent"
	EventSLA        = "sla"
	KindFollowup    = "followup"
	KindReminder    = "reminder"
)

// FollowupPolicy is when we check back and when we close.
type FollowupPolicy struct {
	FollowupAfter      time.Duration // default 3 days after the agent's reply
	CloseFollowupAfter time.Duration // default 5 days after the agent's reply
	AutocloseAfter     time.Duration // default 7 days after the agent's reply
	FirstResponseSLA   time.Duration // default 4h; 0 keeps the default, negative turns it off
	AgentReminderAfter time.Duration // default 1 day; negative turns it off
	// BusinessDays counts whole days in follow-up durations as working
	// days (Monday to Friday) in Location.
	BusinessDays bool
	Location     *time.Location // default UTC
}

func (p *FollowupPolicy) setDefaults() {
	if p.FollowupAfter <= 0 {
		p.FollowupAfter = 3 * 24 * time.Hour
	}
	if p.CloseFollowupAfter <= 0 {
		p.CloseFollowupAfter = 5 * 24 * time.Hour
	}
	if p.AutocloseAfter <= 0 {
		p.AutocloseAfter = 7 * 24 * time.Hour
	}
	if p.FirstResponseSLA == 0 {
		p.FirstResponseSLA = 4 * time.Hour
	}
	if p.AgentReminderAfter == 0 {
		p.AgentReminderAfter = 24 * time.Hour
	}
	if p.Location == nil {
		p.Location = time.UTC
	}
}

// dueAfter adds d to t on the calendar of the configured zone: whole days
// keep the wall-clock time across DST changes ("3 days" after 10:00 is
// 10:00), and with BusinessDays they skip Saturdays and Sundays.
func (p FollowupPolicy) dueAfter(t time.Time, d time.Duration) time.Time {
	days := int(d / (24 * time.Hour))
	rest := d % (24 * time.Hour)
	local := t.In(p.Location)
	if !p.BusinessDays {
		return local.AddDate(0, 0, days).Add(rest).UTC()
	}
	for days > 0 {
		local = local.AddDate(0, 0, 1)
		if wd := local.Weekday(); wd != time.Saturday && wd != time.Sunday {
			days--
		}
	}
	// A due time that lands on a weekend moves to Monday.
	for local.Weekday() == time.Saturday || local.Weekday() == time.Sunday {
		local = local.AddDate(0, 0, 1)
	}
	return local.Add(rest).UTC()
}

// leaveMeAlone recognises customers who want no more mail: no follow-ups
// for them (checking back on someone angrily unsubscribing helps no one).
var leaveMeAlone = regexp.MustCompile(`(?i)\b(unsubscribe|remove me from|take me off|stop (e-?mailing|emailing|sending|contacting) me|leave me alone|do not (contact|email|e-mail) me|don'?t (contact|email|e-mail) me( again)?|no more (e-?mails|emails|messages)|opt[ -]?out)\b`)

// wantsNoFollowup reports whether a ticket must never get follow-ups.
func wantsNoFollowup(tk *store.Ticket) bool {
	return tk.NoFollowup || tk.Class == string(mail.ClassSpam) || tk.Class == string(mail.ClassAutoReply) ||
		tk.Class == string(mail.ClassBounce) || tk.Class == string(mail.ClassSelf)
}

// scheduleFollowups starts the follow-up schedule afresh from now: the
// ticket is waiting on the customer.
func (e *Engine) scheduleFollowups(tx *store.Tx, tk *store.Ticket, now time.Time) error {
	if _, err := tx.CancelTimers(tk.ID, now, followupKinds...); err != nil {
		return err
	}
	if wantsNoFollowup(tk) {
		return nil
	}
	p := e.cfg.Followups
	for _, t := range []struct {
		kind  string
		after time.Duration
	}{{TimerFollowup, p.FollowupAfter}, {TimerCloseFollowup, p.CloseFollowupAfter}, {TimerAutoclose, p.AutocloseAfter}} {
		if err := tx.AddTimer(&store.Timer{TicketID: tk.ID, Kind: t.kind, DueAt: p.dueAfter(now, t.after), CreatedAt: now}); err != nil {
			return err
		}
	}
	return nil
}

// scheduleSLA sets the first-response warnings for a new ticket.
func (e *Engine) scheduleSLA(tx *store.Tx, tk *store.Ticket, now time.Time) error {
	sla := e.cfg.Followups.FirstResponseSLA
	if sla <= 0 {
		return nil
	}
	if err := tx.AddTimer(&store.Timer{TicketID: tk.ID, Kind: TimerSLAWarn, DueAt: now.Add(sla * 3 / 4), CreatedAt: now}); err != nil {
		return err
	}
	return tx.AddTimer(&store.Timer{TicketID: tk.ID, Kind: TimerSLABreach, DueAt: now.Add(sla), CreatedAt: now})
}

// scheduleAgentReminder (re)starts the wait on us after a customer reply.
func (e *Engine) scheduleAgentReminder(tx *store.Tx, tk *store.Ticket, now time.Time) error {
	if _, err := tx.CancelTimers(tk.ID, now, TimerAgentReminder); err != nil {
		return err
	}
	if e.cfg.Followups.AgentReminderAfter <= 0 || tk.FirstResponseAt.IsZero() {
		return nil // before the first response the SLA timers speak
	}
	return tx.AddTimer(&store.Timer{TicketID: tk.ID, Kind: TimerAgentReminder, DueAt: now.Add(e.cfg.Followups.AgentReminderAfter), CreatedAt: now})
}

// Fire does one timer's work in its own transaction. A timer already fired
// or cancelled (by a concurrent decision, or before a restart) does nothing,
// so each fires at most once.
func (e *Engine) Fire(ctx context.Context, tm *store.Timer) error {
	now := e.clock.Now()
	enqueued := false
	err := e.db.Update(ctx, func(tx *store.Tx) error {
		ok, err := tx.MarkFired(tm.ID, now)
		if err != nil || !ok {
			return err
		}
		tk, err := tx.Ticket(tm.TicketID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		late := ""
		if d := now.Sub(tm.DueAt); d > 15*time.Minute {
			// Only downtime makes a timer this late: say so on the ticket.
			late = fmt.Sprintf(" (fired %s after its due time)", d.Round(time.Minute))
		}
		if err := tx.AddEvent(tk.ID, now, EventTimerFired, "system", tm.Kind+late); err != nil {
			return err
		}
		before := *tk
		enqueued, err = e.fire(tx, tk, tm, now)
		if err != nil {
			return err
		}
		if err := e.syncTimers(tx, &before, tk, nil, now); err != nil {
			return err
		}
		return tx.SaveTicket(tk)
	})
	if err == nil && enqueued && e.onEnqueue != nil {
		e.onEnqueue()
	}
	return err
}

func (e *Engine) fire(tx *store.Tx, tk *store.Ticket, tm *store.Timer, now time.Time) (bool, error) {
	switch tm.Kind {
	case TimerFollowup, TimerCloseFollowup:
		if tk.Status != store.StatusPending || wantsNoFollowup(tk) {
			return false, nil
		}
		name := "followup"
		if tm.Kind == TimerCloseFollowup {
			name = "close-followup"
		}
		return true, e.sendFollowup(tx, tk, name, now)
	case TimerAutoclose:
		if tk.Status != store.StatusPending {
			return false, nil
		}
		// Closed without the customer confirming: closed, not resolved.
		return false, e.closeAs(tx, tk, "system:autoclose", false, "no reply after two follow-ups: closed, not resolved", now)
	case TimerSLAWarn, TimerSLABreach:
		if !tk.FirstResponseAt.IsZero() || tk.Status == store.StatusClosed {
			return false, nil
		}
		what := "75% of the first-response target has passed"
		if tm.Kind == TimerSLABreach {
			what = "the first-response target has been missed"
		}
		if err := tx.AddEvent(tk.ID, now, EventSLA, "system", what); err != nil {
			return false, err
		}
		return true, e.remindAgents(tx, tk, now, fmt.Sprintf("[#%d] Waiting on us: %s", tk.ID, tk.Subject),
			fmt.Sprintf("Ticket #%d from %s has had no answer for %s: %s.\n\nIt sounds like %s.\n\nReply to this mail to answer the customer.\n",
				tk.ID, tk.CustomerAddr, now.Sub(tk.CreatedAt).Round(time.Minute), what, tk.Restatement))
	case TimerAgentReminder:
		if tk.Status != store.StatusActive {
			return false, nil
		}
		return true, e.remindAgents(tx, tk, now, fmt.Sprintf("[#%d] The customer is waiting: %s", tk.ID, tk.Subject),
			fmt.Sprintf("%s wrote on ticket #%d %s ago and has no answer yet.\n\nReply to this mail to answer the customer.\n",
				tk.CustomerAddr, tk.ID, now.Sub(tk.UpdatedAt).Round(time.Minute)))
	}
	return false, nil
}

// sendFollowup mails the customer a follow-up template, threaded under
// the conversation like an agent's reply.
func (e *Engine) sendFollowup(tx *store.Tx, tk *store.Ticket, name string, now time.Time) error {
	r, err := e.RenderFor(name, tk)
	if err != nil {
		return fmt.Errorf("render %s for ticket %d: %w", name, tk.ID, err)
	}
	refs, last, err := e.customerThread(tx, tk)
	if err != nil {
		return err
	}
	o := &mail.Outgoing{
		From:       mail.Address{Name: e.cfg.SupportName, Addr: e.cfg.SupportAddr},
		To:         []mail.Address{{Name: tk.CustomerName, Addr: tk.CustomerAddr}},
		Subject:    mail.ReplySubject(tk.Subject, tk.ID),
		References: refs,
		Date:       now,
		Auto:       true,
		Text:       r.Text,
		HTML:       r.HTML,
		Headers:    map[string]string{"X-Supportd-Ticket": strconv.FormatInt(tk.ID, 10)},
	}
	if last != "" {
		o.InReplyTo = []string{last}
	}
	if err := e.enqueueCustomerMail(tx, tk, o, KindFollowup, now); err != nil {
		return err
	}
	return tx.AddEvent(tk.ID, now, EventFollowup, "system", name)
}

// remindAgents mails the assignee, or every agent while unassigned, with
// the tokened Reply-To so that answering the reminder answers the customer.
func (e *Engine) remindAgents(tx *store.Tx, tk *store.Ticket, now time.Time, subject, text string) error {
	targets := e.cfg.Agents
	if ag, ok := e.isAgent(tk.Assignee); ok {
		targets = []Agent{ag}
	}
	for _, ag := range targets {
		o := &mail.Outgoing{
			From:    mail.Address{Name: e.cfg.SupportName, Addr: e.cfg.SupportAddr},
			To:      []mail.Address{{Name: ag.Name, Addr: ag.Addr}},
			ReplyTo: []mail.Address{{Name: e.cfg.SupportName, Addr: e.AgentReplyAddress(tk.ID, ag.Addr)}},
			Subject: subject,
			Date:    now,
			Auto:    true,
			Text:    text,
		}
		if err := e.enqueueOne(tx, tk.ID, o, KindReminder, ag.Addr, now); err != nil {
			return err
		}
	}
	return nil
}

// customerThread returns the ids of the customer-facing conversation (for
// References) and the customer's latest message id (for In-Reply-To).
func (e *Engine) customerThread(tx *store.Tx, tk *store.Ticket) ([]string, string, error) {
	msgs, err := tx.Messages(tk.ID)
	if err != nil {
		return nil, "", err
	}
	var refs []string
	var last string
	for _, m := range msgs {
		if m.Direction == "in" && m.FromAddr != tk.CustomerAddr {
			continue
		}
		if m.Direction == "out" && m.Class != KindAck && m.Class != KindRelay && m.Class != KindFollowup {
			continue
		}
		refs = append(refs, m.MessageID)
		if m.Direction == "in" {
			last = m.MessageID
		}
	}
	if len(refs) > 20 {
		refs = append(refs[:1], refs[len(refs)-19:]...)
	}
	return refs, last, nil
}

// Scheduler fires due timers. It sleeps until the earliest due time on the
// engine's clock (or a Kick after a new timer), never polling.
type Scheduler struct {
	e    *Engine
	log  *slog.Logger
	kick chan struct{}
}

// NewScheduler returns the timer loop for e.
func NewScheduler(e *Engine, log *slog.Logger) *Scheduler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{e: e, log: log, kick: make(chan struct{}, 1)}
}

// Kick wakes the scheduler to recompute its next due time. It never blocks.
func (s *Scheduler) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// FireDue fires every timer due now and returns how many it handled.
func (s *Scheduler) FireDue(ctx context.Context) (int, error) {
	var due []*store.Timer
	err := s.e.db.View(ctx, func(tx *store.Tx) error {
		var err error
		due, err = tx.DueTimers(s.e.clock.Now(), 100)
		return err
	})
	if err != nil {
		return 0, err
	}
	for i, tm := range due {
		if ctx.Err() != nil {
			return i, nil
		}
		if err := s.e.Fire(ctx, tm); err != nil {
			return i, fmt.Errorf("fire timer %d (%s, ticket %d): %w", tm.ID, tm.Kind, tm.TicketID, err)
		}
		s.log.Info("timer fired", "ticket", tm.TicketID, "kind", tm.Kind)
	}
	return len(due), nil
}

// Run fires timers until ctx ends. After a restart it fires, once, every
// timer that fell due while supportd was down.
func (s *Scheduler) Run(ctx context.Context) error {
	for {
		n, err := s.FireDue(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			s.log.Error("scheduler", "err", err)
		}
		if n >= 100 {
			continue
		}
		wait := 24 * time.Hour
		var next time.Time
		var ok bool
		verr := s.e.db.View(ctx, func(tx *store.Tx) error {
			var err error
			next, ok, err = tx.NextTimerDue()
			return err
		})
		switch {
		case verr != nil || err != nil:
			wait = 5 * time.Second
		case ok:
			wait = max(next.Sub(s.e.clock.Now()), 0)
		}
		if wait == 0 {
			continue
		}
		ch, stop := s.e.clock.After(wait)
		select {
		case <-ctx.Done():
			stop()
			return nil
		case <-s.kick:
		case <-ch:
		}
		stop()
	}
}
