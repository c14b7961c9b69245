package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"supportd/mail"
	"supportd/store"
)

// script plays the guided scenario. Each scene waits for what supportd
// should do and fails when it does not happen in time.
func (dm *Demo) script(ctx context.Context) error {
	jane := mail.Address{Name: "Jane Doe", Addr: CustomerJane}
	omar := mail.Address{Name: "Omar Haddad", Addr: CustomerOmar}
	support := mail.Address{Name: SupportName, Addr: SupportAddr}

	dm.scene(1, "a customer writes in and gets a kind, specific acknowledgement")
	first := mail.Outgoing{
		From: jane, To: []mail.Address{support},
		Subject: "Donation form stuck on the payment step",
		Text: "Hi there,\n\nSince this morning our donation form won't go past the payment step. " +
			"Donors click \"Donate\" and the page just reloads with no error.\n\n" +
			"We have a campaign going out tomorrow, so any help is appreciated!\n\nThanks,\nJane\n\nSent from my iPhone\n",
	}
	first.MessageID = mail.NewMessageID("customer.test")
	if err := dm.send(ctx, first); err != nil {
		return fmt.Errorf("scene 1: send: %w", err)
	}
	ack, err := dm.waitMail(ctx, CustomerJane, func(m *mail.Message) bool {
		return len(m.InReplyTo) > 0 && m.InReplyTo[0] == first.MessageID
	})
	if err != nil {
		return fmt.Errorf("scene 1: acknowledgement: %w", err)
	}
	tk, err := dm.waitTicket(ctx, first.MessageID, func(*store.Ticket) bool { return true })
	if err != nil {
		return fmt.Errorf("scene 1: %w", err)
	}
	dm.firstID = first.MessageID
	if !strings.Contains(ack.Text, "It sounds like") {
		return errors.New("scene 1: the acknowledgement does not restate the problem")
	}
	if ack.Loop.AutoSubmitted != "auto-replied" {
		return errors.New("scene 1: the acknowledgement lacks Auto-Submitted: auto-replied")
	}
	dm.say("\n  ✓ acknowledged, threaded under Jane's mail (In-Reply-To %s)", first.MessageID)
	dm.say("  ✓ restatement: \"It sounds like %s.\"", tk.Restatement)
	dm.status(tk)

	dm.scene(2, "an out-of-office reply gets no answer (no mail loops)")
	ooo := mail.Outgoing{
		From: omar, To: []mail.Address{support}, Subject: "Automatic reply: Out of office until Monday",
		Text: "I am out of the office until Monday with limited access to email.\n", Auto: true,
	}
	ooo.MessageID = mail.NewMessageID("customer.test")
	if err := dm.send(ctx, ooo); err != nil {
		return fmt.Errorf("scene 2: send: %w", err)
	}
	otk, err := dm.waitTicket(ctx, ooo.MessageID, func(*store.Ticket) bool { return true })
	if err != nil {
		return fmt.Errorf("scene 2: %w", err)
	}
	// Give the outbox a moment in which a wrong reply would have gone out.
	time.Sleep(300 * time.Millisecond)
	if msgs, err := dm.imap.Messages(CustomerOmar, "INBOX"); err != nil || len(msgs) != 0 {
		return fmt.Errorf("scene 2: Omar's auto-reply was answered (%d mails, %v)", len(msgs), err)
	}
	dm.say("\n  ✓ stored as ticket #%d (class %s), no reply sent", otk.ID, otk.Class)
	dm.status(otk)

	dm.scene(3, "the customer answers the acknowledgement; it joins the same ticket")
	reply := mail.Outgoing{
		From: jane, To: []mail.Address{{Addr: firstOr(ack.ReplyTo, support).Addr}},
		Subject:   replySubject(ack.Subject),
		InReplyTo: []string{ack.MessageID}, References: append(append([]string{}, ack.References...), ack.MessageID),
		Text: "One more detail: it only happens with the credit card option, PayPal works.\n\n" +
			"On " + time.Now().Format("Mon, Jan 2, 2006") + ", Demo Support <support@demo.test> wrote:\n> " +
			strings.ReplaceAll(strings.TrimSpace(ack.Text), "\n", "\n> ") + "\n",
	}
	reply.MessageID = mail.NewMessageID("customer.test")
	if err := dm.send(ctx, reply); err != nil {
		return fmt.Errorf("scene 3: send: %w", err)
	}
	rtk, err := dm.waitTicket(ctx, reply.MessageID, func(*store.Ticket) bool { return true })
	if err != nil {
		return fmt.Errorf("scene 3: %w", err)
	}
	if rtk.ID != tk.ID {
		return fmt.Errorf("scene 3: the reply started ticket #%d instead of joining #%d", rtk.ID, tk.ID)
	}
	time.Sleep(300 * time.Millisecond)
	msgs, err := dm.imap.Messages(CustomerJane, "INBOX")
	if err != nil {
		return err
	}
	if len(msgs) != 1 {
		return fmt.Errorf("scene 3: Jane has %d mails; a reply must not be acknowledged again", len(msgs))
	}
	dm.say("\n  ✓ threaded into ticket #%d by its In-Reply-To; no second acknowledgement", rtk.ID)
	dm.status(rtk)

	if err := dm.agentScenes(ctx, tk, jane); err != nil {
		return err
	}
	if err := dm.followupScene(ctx, omar); err != nil {
		return err
	}
	dm.say("\n── Tickets now")
	return dm.printTickets(ctx)
}

// agentScenes: the agent answers from their own mail client, a forged
// "agent" mail moves nothing, and the agent closes the ticket.
func (dm *Demo) agentScenes(ctx context.Context, tk *store.Ticket, jane mail.Address) error {
	dm.scene(4, "agent Alex is notified and answers from his own mail client")
	note, err := dm.waitMail(ctx, AgentAlex, func(m *mail.Message) bool {
		return strings.HasPrefix(m.Subject, fmt.Sprintf("[#%d]", tk.ID)) && len(m.References) > 0
	})
	if err != nil {
		// The first notification has no References; the customer's second
		// mail produced one that does. Either proves notification.
		note, err = dm.waitMail(ctx, AgentAlex, func(m *mail.Message) bool { return strings.HasPrefix(m.Subject, fmt.Sprintf("[#%d]", tk.ID)) })
		if err != nil {
			return fmt.Errorf("scene 4: notification: %w", err)
		}
	}
	if len(note.ReplyTo) == 0 || !strings.Contains(note.ReplyTo[0].Addr, fmt.Sprintf("+%d-", tk.ID)) {
		return fmt.Errorf("scene 4: the notification has no tokened Reply-To (%v)", note.ReplyTo)
	}
	dm.say("\n  ✓ Alex's notification replies to %s (a per-agent, per-ticket token)", note.ReplyTo[0].Addr)
	alex := mail.Address{Name: "Alex", Addr: AgentAlex}
	answer := mail.Outgoing{
		From: alex, To: []mail.Address{note.ReplyTo[0]}, Subject: replySubject(note.Subject),
		InReplyTo: []string{note.MessageID}, References: []string{note.MessageID},
		Text: "Hi Jane, thanks for the detail about the card option: that pointed straight at it. Your payment gateway's " +
			"API key expired yesterday; I've renewed it on our side. Could you try a test donation and let me know?\n\n" +
			"On " + time.Now().Format("Mon, Jan 2, 2006") + ", Demo Support <support@demo.test> wrote:\n> " +
			strings.ReplaceAll(strings.TrimSpace(note.Text), "\n", "\n> ") + "\n",
	}
	if err := dm.send(ctx, answer); err != nil {
		return fmt.Errorf("scene 4: send: %w", err)
	}
	relay, err := dm.waitMail(ctx, CustomerJane, func(m *mail.Message) bool { return strings.HasPrefix(m.From.Name, "Alex from") })
	if err != nil {
		return fmt.Errorf("scene 4: relay to Jane: %w", err)
	}
	if strings.Contains(string(relay.Text), "wrote:") || relay.From.Addr != SupportAddr {
		return fmt.Errorf("scene 4: relay carried quoted history or came from %s", relay.From.Addr)
	}
	ptk, err := dm.waitTicket(ctx, dm.firstID, func(t *store.Ticket) bool { return t.Status == store.StatusPending })
	if err != nil {
		return fmt.Errorf("scene 4: %w", err)
	}
	dm.say("\n  ✓ Jane got only Alex's new text, from %s; the ticket waits on her now", SupportAddr)
	dm.status(ptk)

	dm.scene(5, "someone forges Alex's address; nothing moves")
	forged := mail.Outgoing{
		From: alex, To: []mail.Address{{Addr: SupportAddr}}, Subject: fmt.Sprintf("Re: [#%d] close this", tk.ID),
		Text: "#close\nAlso, please send me the customer's card details.\n",
	}
	forged.MessageID = mail.NewMessageID("evil.test")
	if err := dm.send(ctx, forged); err != nil {
		return fmt.Errorf("scene 5: send: %w", err)
	}
	ftk, err := dm.waitTicket(ctx, forged.MessageID, func(*store.Ticket) bool { return true })
	if err != nil {
		return fmt.Errorf("scene 5: %w", err)
	}
	if ftk.ID == tk.ID && ftk.Status != store.StatusPending {
		return fmt.Errorf("scene 5: the forged mail moved ticket #%d to %s", tk.ID, ftk.Status)
	}
	dm.say("\n  ✓ kept and flagged on ticket #%d, not acted on: no token, no action", ftk.ID)

	dm.scene(6, "Jane confirms; Alex closes the ticket with #close")
	thanks := mail.Outgoing{
		From: jane, To: []mail.Address{firstOr(relay.ReplyTo, mail.Address{Addr: SupportAddr})}, Subject: replySubject(relay.Subject),
		InReplyTo: []string{relay.MessageID}, References: append(append([]string{}, relay.References...), relay.MessageID),
		Text: "It works! Two test donations went through. Thank you so much.\n",
	}
	thanks.MessageID = mail.NewMessageID("customer.test")
	if err := dm.send(ctx, thanks); err != nil {
		return fmt.Errorf("scene 6: send: %w", err)
	}
	if _, err := dm.waitTicket(ctx, thanks.MessageID, func(t *store.Ticket) bool { return t.Status == store.StatusActive }); err != nil {
		return fmt.Errorf("scene 6: %w", err)
	}
	closing := mail.Outgoing{
		From: alex, To: []mail.Address{note.ReplyTo[0]}, Subject: replySubject(note.Subject), InReplyTo: []string{note.MessageID},
		Text: "#close\nWonderful, glad it's working. Good luck with the campaign tomorrow!\n",
	}
	closing.MessageID = mail.NewMessageID("demo.test")
	if err := dm.send(ctx, closing); err != nil {
		return fmt.Errorf("scene 6: send: %w", err)
	}
	ctk, err := dm.waitTicket(ctx, thanks.MessageID, func(t *store.Ticket) bool { return t.Status == store.StatusClosed })
	if err != nil {
		return fmt.Errorf("scene 6: %w", err)
	}
	dm.say("\n  ✓ closed by %s; resolved: %v (Jane wrote back before it closed)", ctk.ClosedBy, ctk.Resolved)
	dm.status(ctk)
	return nil
}

// followupScene: a customer goes quiet after our answer; supportd checks
// back twice and then closes, on the scaled clock.
func (dm *Demo) followupScene(ctx context.Context, omar mail.Address) error {
	dm.scene(7, "Omar asks a question, Sam answers, Omar goes quiet: two follow-ups, then closed")
	q := mail.Outgoing{
		From: omar, To: []mail.Address{{Name: SupportName, Addr: SupportAddr}}, Subject: "Exporting donors",
		Text: "Hello,\n\nHow do I export my donor list to a spreadsheet?\n\nBest,\nOmar\n",
	}
	q.MessageID = mail.NewMessageID("customer.test")
	if err := dm.send(ctx, q); err != nil {
		return fmt.Errorf("scene 7: send: %w", err)
	}
	note, err := dm.waitMail(ctx, AgentSam, func(m *mail.Message) bool { return strings.Contains(m.Subject, "Exporting donors") })
	if err != nil {
		return fmt.Errorf("scene 7: notification: %w", err)
	}
	answer := mail.Outgoing{
		From: mail.Address{Name: "Sam", Addr: AgentSam}, To: []mail.Address{note.ReplyTo[0]}, Subject: replySubject(note.Subject),
		InReplyTo: []string{note.MessageID},
		Text:      "Hi Omar, go to Donors → Export, pick \"CSV\" and press Download. The file opens in any spreadsheet program.\n",
	}
	answer.MessageID = mail.NewMessageID("demo.test")
	if err := dm.send(ctx, answer); err != nil {
		return fmt.Errorf("scene 7: send: %w", err)
	}
	tk, err := dm.waitTicket(ctx, q.MessageID, func(t *store.Ticket) bool { return t.Status == store.StatusPending })
	if err != nil {
		return fmt.Errorf("scene 7: %w", err)
	}
	dm.say("\n  ▸ ticket #%d is PENDING; follow-ups are due in 3 and 5 days, closing in 7 (clock ×%.0f)", tk.ID, dm.opts.Speed)
	deadline := dm.opts.StepTimeout + time.Duration(float64(8*24*time.Hour)/dm.opts.Speed)
	old := dm.opts.StepTimeout
	dm.opts.StepTimeout = deadline
	defer func() { dm.opts.StepTimeout = old }()
	closed, err := dm.waitTicket(ctx, q.MessageID, func(t *store.Ticket) bool { return t.Status == store.StatusClosed })
	if err != nil {
		return fmt.Errorf("scene 7: auto-close: %w", err)
	}
	msgs, err := dm.imap.Messages(CustomerOmar, "INBOX")
	if err != nil {
		return err
	}
	followups := 0
	for _, m := range msgs {
		if pm := mail.Parse(m.Raw); strings.Contains(pm.Text, "check in") || strings.Contains(pm.Text, "close this request") {
			followups++
		}
	}
	if followups != 2 {
		return fmt.Errorf("scene 7: Omar got %d follow-ups, want exactly 2", followups)
	}
	dm.say("\n  ✓ two kind follow-ups, then closed by %s without a third mail (resolved: %v)", closed.ClosedBy, closed.Resolved)
	dm.status(closed)
	return nil
}

// replySubject is what a mail client puts in a reply's subject.
func replySubject(s string) string {
	if strings.HasPrefix(strings.ToLower(s), "re:") {
		return s
	}
	return "Re: " + s
}

func firstOr(list []mail.Address, def mail.Address) mail.Address {
	if len(list) > 0 {
		return list[0]
	}
	return def
}

func (dm *Demo) printTickets(ctx context.Context) error {
	return dm.d.DB.View(ctx, func(tx *store.Tx) error {
		list, err := tx.ListTickets("", 0)
		if err != nil {
			return err
		}
		for _, t := range list {
			dm.say("  #%-3d %-8s %-22s %s", t.ID, t.Status, t.CustomerAddr, t.Subject)
		}
		return nil
	})
}
