package workflow

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strconv"
	"strings"
	"time"

	"supportd/mail"
	"supportd/store"
)

// Outbox kinds for agent-facing mail.
const (
	KindNotify     = "notify"
	KindRelay      = "relay"
	KindCommandErr = "command_error"
)

// Event kinds for agent actions.
const (
	EventNotified    = "notified"
	EventRelayed     = "relayed"
	EventNote        = "note"
	EventAssigned    = "assigned"
	EventCommandErr  = "command_error"
	EventClosed      = "closed"
	EventSpam        = "spam"
	EventAgentReply  = "agent_reply"
	EventForgedAgent = "agent_unverified"
)

// tokenEncoding is lower-case base32 without padding: safe in the local part
// of an address and case-insensitive, as MTAs may fold case.
var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// AgentToken returns the reply token for (ticket, agent): an HMAC-SHA256
// under the server key, truncated to 80 bits (16 base32 characters). Only
// someone who received the notification knows it, so a forged From alone
// never moves a ticket.
func (e *Engine) AgentToken(ticketID int64, agentAddr string) string {
	mac := hmac.New(sha256.New, e.cfg.SecretKey)
	fmt.Fprintf(mac, "supportd-agent-token\x00%d\x00%s", ticketID, mail.NormalizeAddr(agentAddr))
	return tokenEncoding.EncodeToString(mac.Sum(nil)[:10])
}

// AgentReplyAddress is the Reply-To of an agent's notifications for a ticket.
func (e *Engine) AgentReplyAddress(ticketID int64, agentAddr string) string {
	return mail.PlusAddress(e.cfg.SupportAddr, fmt.Sprintf("%d-%s", ticketID, e.AgentToken(ticketID, agentAddr)))
}

// verifyAgent reports whether the message is an action of the agent it
// claims to come from on ticket tk: it must come through that agent's valid
// token for that ticket, or answer a notification sent to that agent.
func (e *Engine) verifyAgent(tx *store.Tx, tk *store.Ticket, a *Analysis, agent Agent) (bool, string, error) {
	m := a.Msg
	want := e.AgentToken(tk.ID, agent.Addr)
	sawToken := false
	for _, rcpt := range recipients(m) {
		id, token, ok := e.plusTag(rcpt)
		if !ok || id != tk.ID || token == "" {
			continue
		}
		sawToken = true
		if hmac.Equal([]byte(token), []byte(want)) {
			return e.checkAuthResults(a, agent)
		}
	}
	for _, id := range m.InReplyTo {
		o, err := tx.OutboxByMessageID(id)
		if err != nil {
			continue
		}
		if o.Kind == KindNotify && o.TicketID == tk.ID && o.Rcpt == agent.Addr {
			return e.checkAuthResults(a, agent)
		}
	}
	if sawToken {
		return false, "the reply token is not this agent's token for this ticket", nil
	}
	return false, "no reply token for this ticket and not an answer to this agent's notification", nil
}

// checkAuthResults applies require_authenticated_agents: the receiving MTA
// must have recorded dkim=pass or spf=pass for the From domain.
func (e *Engine) checkAuthResults(a *Analysis, agent Agent) (bool, string, error) {
	if !e.cfg.RequireAuthenticatedAgents {
		return true, "", nil
	}
	if ok, why := mail.AuthenticatedFor(a.Msg.Loop.AuthenticationRes, mail.Domain(agent.Addr), e.cfg.AuthServID); !ok {
		return false, "Authentication-Results: " + why, nil
	}
	return true, "", nil
}

// notifyAgents mails the assignee (every agent while unassigned) about the
// customer's new message. Each agent's notifications for one ticket thread
// under one root Message-ID, so their client shows one conversation.
func (e *Engine) notifyAgents(tx *store.Tx, tk *store.Ticket, a *Analysis, first bool, now time.Time) error {
	targets := e.cfg.Agents
	if tk.Assignee != "" {
		if ag, ok := e.isAgent(tk.Assignee); ok {
			targets = []Agent{ag}
		}
	}
	if len(targets) == 0 {
		return nil
	}
	m := a.Msg
	var names []string
	for _, at := range m.Attachments {
		names = append(names, fmt.Sprintf("%s (%s, %s)", at.Filename, at.ContentType, humanSize(at.Size)))
	}
	what := "New ticket"
	if !first {
		what = "The customer wrote again"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s from %s.\n\n", what, mail.Address{Name: tk.CustomerName, Addr: tk.CustomerAddr})
	b.WriteString(strings.TrimSpace(a.ReplyText))
	b.WriteString("\n\n")
	fmt.Fprintf(&b, "-- \nTicket #%d · %s · %s\n", tk.ID, tk.Status, assigneeText(tk))
	if tk.Restatement != "" {
		fmt.Fprintf(&b, "Restated: It sounds like %s.\n", tk.Restatement)
	}
	if len(names) > 0 {
		fmt.Fprintf(&b, "Attachments: %s\n", strings.Join(names, "; "))
	}
	b.WriteString(commandFooter)
	if full := strings.TrimSpace(m.Text); full != strings.TrimSpace(a.ReplyText) && full != "" {
		b.WriteString("\n---------- full message ----------\n")
		b.WriteString(excerpt(full, 20000))
		b.WriteString("\n")
	}
	text := b.String()
	domain := mail.Domain(e.cfg.SupportAddr)
	for _, ag := range targets {
		root := fmt.Sprintf("ticket-%d-%s@%s", tk.ID, e.AgentToken(tk.ID, ag.Addr)[:8], domain)
		o := &mail.Outgoing{
			From:    mail.Address{Name: e.cfg.SupportName, Addr: e.cfg.SupportAddr},
			To:      []mail.Address{{Name: ag.Name, Addr: ag.Addr}},
			ReplyTo: []mail.Address{{Name: e.cfg.SupportName, Addr: e.AgentReplyAddress(tk.ID, ag.Addr)}},
			Subject: fmt.Sprintf("[#%d] %s", tk.ID, tk.Subject),
			Date:    now,
			Text:    text,
			Headers: map[string]string{"X-Supportd-Ticket": strconv.FormatInt(tk.ID, 10)},
		}
		if first {
			o.MessageID = root
		} else {
			o.InReplyTo, o.References = []string{root}, []string{root}
		}
		if err := e.enqueueOne(tx, tk.ID, o, KindNotify, ag.Addr, now); err != nil {
			return err
		}
	}
	return tx.AddEvent(tk.ID, now, EventNotified, "system", fmt.Sprintf("%d agent(s)", len(targets)))
}

const commandFooter = `
Reply to this mail to answer the customer; only your new text is relayed,
from the support address. Commands, each on its own line at the top:
  #note      keep the whole mail as an internal note (nothing is sent)
  #close     close the ticket        #pending  wait on the customer
  #active    back to waiting on us   #spam     close as spam, no follow-ups
  #assign me | #assign <agent>
`

func assigneeText(tk *store.Ticket) string {
	if tk.Assignee == "" {
		return "unassigned"
	}
	return "assigned to " + tk.Assignee
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// enqueueOne composes o for exactly one recipient (a notification or an
// agent-facing reply) and writes it to the outbox, not to the ticket's
// conversation: the customer never sees it.
func (e *Engine) enqueueOne(tx *store.Tx, ticketID int64, o *mail.Outgoing, kind, rcpt string, now time.Time) error {
	if o.MessageID == "" {
		o.MessageID = mail.NewMessageID(mail.Domain(e.cfg.SupportAddr))
	}
	raw, err := mail.Compose(*o)
	if err != nil {
		return fmt.Errorf("compose %s: %w", kind, err)
	}
	id := o.MessageID
	// A stable root id may already have been used for this agent (an
	// unassigned ticket notifies everyone); keep the row key unique.
	for i := 1; ; i++ {
		err = tx.Enqueue(&store.Outbound{TicketID: ticketID, MessageID: id, Kind: kind, EnvFrom: e.cfg.SupportAddr,
			Rcpt: mail.NormalizeAddr(rcpt), Raw: raw, CreatedAt: now, GiveUpAt: now.Add(e.cfg.RetryFor)})
		if err == nil || i > 3 || !isDuplicate(err) {
			return err
		}
		id = fmt.Sprintf("%s#r%d", o.MessageID, i)
	}
}
