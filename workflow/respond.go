package workflow

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"supportd/mail"
	"supportd/store"
	"supportd/templates"
)

// firstResponse decides whether a new ticket gets an acknowledgement and,
// if so, enqueues it in the current transaction. Only a human's new ticket
// is acknowledged (RFC 3834 §2: never answer automatic mail), and never
// more than AutoReplyLimit automatic mails a day go to one address.
func (e *Engine) firstResponse(tx *store.Tx, tk *store.Ticket, a *Analysis, now time.Time) (bool, string, error) {
	rcpt := tk.CustomerAddr
	reason := ""
	switch {
	case a.Class != mail.ClassHuman:
		reason = fmt.Sprintf("%s: %s", a.Class, a.ClassReason)
	case rcpt == "":
		reason = "no sender address to answer"
	default:
		if _, ok := e.isAgent(rcpt); ok {
			reason = "sender is an agent"
		}
	}
	if reason == "" {
		suppressed, err := tx.Suppressed(rcpt, now)
		if err != nil {
			return false, "", err
		}
		if suppressed {
			reason = "address bounced recently; automatic mail suppressed"
		}
	}
	if reason == "" {
		n, err := tx.AutoMailSince(rcpt, now.Add(-24*time.Hour))
		if err != nil {
			return false, "", err
		}
		if n >= e.cfg.AutoReplyLimit {
			reason = fmt.Sprintf("per-sender limit: %d automatic mails in 24h", n)
		}
	}
	if reason != "" {
		return false, reason, tx.AddEvent(tk.ID, now, EventNoAck, "system", reason)
	}
	o, err := e.composeAck(tk, a, now)
	if err != nil {
		return false, "", err
	}
	if err := e.enqueueCustomerMail(tx, tk, o, KindAck, now); err != nil {
		return false, "", err
	}
	tk.AckedAt = now
	return true, "", tx.AddEvent(tk.ID, now, EventAcknowledged, "system", o.MessageID)
}

// TemplateData builds the documented template fields for a ticket.
func (e *Engine) TemplateData(tk *store.Ticket) templates.Data {
	first := templates.FirstName(tk.CustomerName, tk.CustomerAddr)
	return templates.Data{
		Greeting:        templates.Greeting(first),
		FirstName:       first,
		CustomerName:    tk.CustomerName,
		CustomerAddress: tk.CustomerAddr,
		Restatement:     tk.Restatement,
		TicketID:        tk.ID,
		Subject:         tk.Subject,
		SupportName:     e.cfg.SupportName,
		SupportAddress:  e.cfg.SupportAddr,
		NextSteps:       e.cfg.NextSteps,
	}
}

// RenderFor renders a named template for a ticket, as it would be sent.
func (e *Engine) RenderFor(name string, tk *store.Ticket) (templates.Rendered, error) {
	return e.tmpl.Render(name, e.TemplateData(tk))
}

func (e *Engine) composeAck(tk *store.Ticket, a *Analysis, now time.Time) (*mail.Outgoing, error) {
	r, err := e.RenderFor("first-response", tk)
	if err != nil {
		return nil, fmt.Errorf("render first-response for ticket %d: %w", tk.ID, err)
	}
	m := a.Msg
	refs := append(append([]string{}, m.References...), m.MessageID)
	o := &mail.Outgoing{
		From:       mail.Address{Name: e.cfg.SupportName, Addr: e.cfg.SupportAddr},
		To:         []mail.Address{{Name: tk.CustomerName, Addr: tk.CustomerAddr}},
		Subject:    mail.ReplySubject(tk.Subject, tk.ID),
		InReplyTo:  []string{m.MessageID},
		References: refs,
		Date:       now,
		Auto:       true,
		Text:       r.Text,
		HTML:       r.HTML,
		Headers:    map[string]string{"X-Supportd-Ticket": strconv.FormatInt(tk.ID, 10)},
	}
	return o, nil
}

// enqueueCustomerMail assigns the Message-ID, composes, stores the outbound
// copy on the ticket (so replies thread by References) and enqueues it.
func (e *Engine) enqueueCustomerMail(tx *store.Tx, tk *store.Ticket, o *mail.Outgoing, kind string, now time.Time) error {
	if e.cfg.PlusAddressing {
		o.ReplyTo = []mail.Address{{Name: e.cfg.SupportName, Addr: mail.PlusAddress(e.cfg.SupportAddr, strconv.FormatInt(tk.ID, 10))}}
	}
	return e.enqueue(tx, tk.ID, o, kind, now)
}

// enqueue composes o and writes it to the outbox, one row per recipient.
func (e *Engine) enqueue(tx *store.Tx, ticketID int64, o *mail.Outgoing, kind string, now time.Time) error {
	if o.MessageID == "" {
		o.MessageID = mail.NewMessageID(mail.Domain(e.cfg.SupportAddr))
	}
	raw, err := mail.Compose(*o)
	if err != nil {
		return fmt.Errorf("compose %s: %w", kind, err)
	}
	var to []string
	for _, a := range append(append([]mail.Address{}, o.To...), o.Cc...) {
		to = append(to, mail.NormalizeAddr(a.Addr))
	}
	if ticketID != 0 {
		if err := tx.InsertMessage(&store.Message{
			TicketID: ticketID, MessageID: o.MessageID, Direction: "out",
			FromAddr: mail.NormalizeAddr(o.From.Addr), FromName: o.From.Name,
			To: strings.Join(to, ", "), Subject: o.Subject, Date: now, Text: o.Text,
			Class: kind, Raw: raw, CreatedAt: now,
		}); err != nil {
			return err
		}
	}
	for i, rcpt := range to {
		id := o.MessageID
		if i > 0 {
			// One row per recipient keeps retries independent; the
			// Message-ID stays the mail's own, the row key gets a suffix.
			id = fmt.Sprintf("%s#%d", o.MessageID, i)
		}
		if err := tx.Enqueue(&store.Outbound{
			TicketID: ticketID, MessageID: id, Kind: kind,
			EnvFrom: e.cfg.SupportAddr, Rcpt: rcpt, Auto: o.Auto, Raw: raw,
			CreatedAt: now, GiveUpAt: now.Add(e.cfg.RetryFor),
		}); err != nil {
			return err
		}
	}
	return nil
}

// hardBounce recognises a permanent failure in a delivery report
// (RFC 3464 §2.3.3 Action: failed, §2.3.4 Status: 5.x.x).
var hardBounce = regexp.MustCompile(`(?im)^(action:\s*failed|status:\s*5\.\d{1,3}\.\d{1,3})`)

// bounce records a delivery report on the ticket whose mail bounced, stops
// automatic mail to an address that failed for good, and tells the agents.
func (e *Engine) bounce(tx *store.Tx, tk *store.Ticket, a *Analysis, now time.Time) error {
	hard := hardBounce.MatchString(a.Msg.Text + "\n" + a.rawText)
	detail := "delivery report (temporary)"
	if hard {
		detail = "delivery failed for good; automatic mail to " + tk.CustomerAddr + " paused"
		if err := tx.Suppress(tk.CustomerAddr, now.Add(e.cfg.BounceSuppression), "hard bounce on ticket "+strconv.FormatInt(tk.ID, 10)); err != nil {
			return err
		}
	}
	if err := tx.AddEvent(tk.ID, now, EventBounce, mail.NormalizeAddr(a.Msg.From.Addr), detail); err != nil {
		return err
	}
	if !hard {
		return nil
	}
	return e.alertAgents(tx, tk.ID, now, fmt.Sprintf("[#%d] Mail to %s bounced", tk.ID, tk.CustomerAddr),
		fmt.Sprintf("Our mail on ticket #%d (%q) to %s could not be delivered.\n\nThe delivery report said:\n\n%s\n\nsupportd will not send automatic mail to this address for %s. You may want to reach the customer another way.\n",
			tk.ID, tk.Subject, tk.CustomerAddr, excerpt(a.Msg.Text, 1200), e.cfg.BounceSuppression))
}

// alertAgents mails every agent. Alerts are never about alerts: a failed
// alert is recorded but triggers no further mail, so there is no loop.
func (e *Engine) alertAgents(tx *store.Tx, ticketID int64, now time.Time, subject, text string) error {
	if len(e.cfg.Agents) == 0 {
		return nil
	}
	o := &mail.Outgoing{
		From:    mail.Address{Name: e.cfg.SupportName, Addr: e.cfg.SupportAddr},
		Subject: subject,
		Date:    now,
		Auto:    true,
		Text:    text,
		Headers: map[string]string{"X-Supportd-Alert": "yes"},
	}
	for _, ag := range e.cfg.Agents {
		o.To = append(o.To, mail.Address{Name: ag.Name, Addr: ag.Addr})
	}
	// Alerts are not stored as ticket messages: they are for the team only.
	o.MessageID = mail.NewMessageID(mail.Domain(e.cfg.SupportAddr))
	raw, err := mail.Compose(*o)
	if err != nil {
		return fmt.Errorf("compose alert: %w", err)
	}
	for i, ag := range e.cfg.Agents {
		id := o.MessageID
		if i > 0 {
			id = fmt.Sprintf("%s#%d", o.MessageID, i)
		}
		if err := tx.Enqueue(&store.Outbound{
			TicketID: ticketID, MessageID: id, Kind: KindAlert, EnvFrom: e.cfg.SupportAddr, Rcpt: ag.Addr,
			Raw: raw, CreatedAt: now, GiveUpAt: now.Add(e.cfg.RetryFor),
		}); err != nil {
			return err
		}
	}
	return nil
}

func excerpt(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + " …"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
