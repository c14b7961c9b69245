package workflow

import (
	"context"
	"fmt"
	"strings"
	"time"

	"supportd/mail"
	"supportd/store"
)

// EventOutsideReply records an agent's reply written outside supportd: from
// the shared mailbox itself (found in its Sent folder) or directly to the
// customer with the support address in Cc.
const EventOutsideReply = "outside_reply"

// SentSink feeds the shared mailbox's Sent folder to the engine: a reply an
// agent wrote from the support account counts as the ticket's agent reply
// (and first response) without being relayed again. It implements
// mail.IngestSink.
type SentSink struct{ e *Engine }

// SentSink returns the sink for the Sent folder watcher.
func (e *Engine) SentSink() *SentSink { return &SentSink{e: e} }

// Checkpoint implements mail.IngestSink.
func (s *SentSink) Checkpoint(ctx context.Context, mailbox string) (mail.Checkpoint, error) {
	return s.e.Checkpoint(ctx, "sent:"+mailbox)
}

// UIDValidityChanged implements mail.IngestSink.
func (s *SentSink) UIDValidityChanged(ctx context.Context, mailbox string, old, new uint32) error {
	return s.e.UIDValidityChanged(ctx, "sent:"+mailbox, old, new)
}

// Deliver implements mail.IngestSink.
func (s *SentSink) Deliver(ctx context.Context, f mail.Fetched) error {
	return s.e.IngestSent(ctx, Source{Mailbox: "sent:" + f.Mailbox, UIDValidity: f.UIDValidity, UID: f.UID}, f.Raw)
}

// IngestSent records one message from the Sent folder. Our own mail (the
// copies the outbox files there) is recognised by Message-ID and skipped;
// a reply an agent wrote from the support account to a ticket's customer
// becomes that ticket's agent reply.
func (e *Engine) IngestSent(ctx context.Context, src Source, raw []byte) error {
	a := e.Analyze(raw)
	m := a.Msg
	now := e.clock.Now()
	return e.db.Update(ctx, func(tx *store.Tx) error {
		if seen, err := tx.MessageSeen(src.Mailbox, src.UIDValidity, src.UID); err != nil || seen {
			if err != nil {
				return err
			}
			return e.advance(tx, src)
		}
		if ids, err := tx.TicketsByMessageIDs([]string{m.MessageID}); err != nil {
			return err
		} else if len(ids) > 0 {
			return e.advance(tx, src) // ours, or already recorded
		}
		tk, err := e.threadOutside(tx, a)
		if err != nil {
			return err
		}
		if tk == nil {
			return e.advance(tx, src) // not about a ticket: none of our business
		}
		if err := e.recordOutsideReply(tx, tk, a, src, raw, "sent from the support mailbox", now); err != nil {
			return err
		}
		return e.advance(tx, src)
	})
}

// threadOutside finds the ticket a reply written outside supportd belongs
// to: its references, then its subject tag, provided it goes to the
// ticket's customer.
func (e *Engine) threadOutside(tx *store.Tx, a *Analysis) (*store.Ticket, error) {
	m := a.Msg
	ids, err := tx.TicketsByMessageIDs(append(append([]string{}, m.InReplyTo...), reverse(m.References)...))
	if err != nil {
		return nil, err
	}
	if mm := subjectTag.FindStringSubmatch(m.Subject); mm != nil {
		var id int64
		fmt.Sscan(mm[1], &id)
		ids = append(ids, id)
	}
	for _, id := range ids {
		tk, err := tx.Ticket(id)
		if err != nil {
			continue
		}
		for _, r := range append(append([]mail.Address{}, m.To...), m.Cc...) {
			if mail.NormalizeAddr(r.Addr) == tk.CustomerAddr {
				return tk, nil
			}
		}
	}
	return nil, nil
}

// recordOutsideReply stores an agent's reply that already reached the
// customer: it counts as an agent reply (and the first response) and sets
// the ticket pending, but nothing is relayed.
func (e *Engine) recordOutsideReply(tx *store.Tx, tk *store.Ticket, a *Analysis, src Source, raw []byte, how string, now time.Time) error {
	m := a.Msg
	var to []string
	for _, x := range append(append([]mail.Address{}, m.To...), m.Cc...) {
		to = append(to, mail.NormalizeAddr(x.Addr))
	}
	row := &store.Message{TicketID: tk.ID, MessageID: m.MessageID, Direction: "out", FromAddr: mail.NormalizeAddr(m.From.Addr),
		FromName: m.From.Name, To: strings.Join(to, ", "), Subject: m.Subject, Date: now, Text: m.Text, Class: KindRelay, Raw: raw, CreatedAt: now}
	if src.Mailbox != "" {
		row.Mailbox, row.UIDValidity, row.UID = src.Mailbox, src.UIDValidity, src.UID
	}
	if err := tx.InsertMessage(row); err != nil {
		return err
	}
	before := *tk
	tk.AgentReplies++
	if tk.FirstResponseAt.IsZero() {
		tk.FirstResponseAt = now
	}
	actor := mail.NormalizeAddr(m.From.Addr)
	if err := tx.AddEvent(tk.ID, now, EventOutsideReply, actor, how+": "+m.MessageID); err != nil {
		return err
	}
	if err := e.setStatus(tx, tk, store.StatusPending, actor, now); err != nil {
		return err
	}
	if err := e.syncTimers(tx, &before, tk, nil, now); err != nil {
		return err
	}
	return tx.SaveTicket(tk)
}

// ccStyleReply recognises an agent who answered the customer directly with
// the support address in Cc: the mail goes to the ticket's customer, copies
// the plain support address, and continues the ticket's thread by its
// References (which only people in the conversation know). It is recorded,
// never relayed a second time.
func (e *Engine) ccStyleReply(tx *store.Tx, tk *store.Ticket, a *Analysis, agent Agent) (bool, error) {
	m := a.Msg
	toCustomer, ccSupport := false, false
	for _, r := range m.To {
		if mail.NormalizeAddr(r.Addr) == tk.CustomerAddr {
			toCustomer = true
		}
	}
	for _, r := range append(append([]mail.Address{}, m.Cc...), m.To...) {
		if mail.NormalizeAddr(r.Addr) == e.cfg.SupportAddr {
			ccSupport = true
		}
	}
	if !toCustomer || !ccSupport {
		return false, nil
	}
	ids, err := tx.TicketsByMessageIDs(append(append([]string{}, m.InReplyTo...), m.References...))
	if err != nil {
		return false, err
	}
	threaded := false
	for _, id := range ids {
		if id == tk.ID {
			threaded = true
		}
	}
	if !threaded {
		return false, nil
	}
	ok, _, err := e.checkAuthResults(a, agent)
	return ok, err
}

// recordCcReply turns the already-stored inbound copy of a Cc-style reply
// into the ticket's agent reply.
func (e *Engine) recordCcReply(tx *store.Tx, tk *store.Ticket, a *Analysis, agent Agent, now time.Time) error {
	tk.AgentReplies++
	if tk.FirstResponseAt.IsZero() {
		tk.FirstResponseAt = now
	}
	if tk.Assignee == "" {
		tk.Assignee = agent.Addr
	}
	if err := tx.AddEvent(tk.ID, now, EventOutsideReply, agent.Addr, "answered the customer directly, support in Cc: "+a.Msg.MessageID); err != nil {
		return err
	}
	return e.setStatus(tx, tk, store.StatusPending, agent.Addr, now)
}
