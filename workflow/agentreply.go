package workflow

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"supportd/mail"
	"supportd/store"
)

// command is one "#word args" line at the top of an agent's reply.
type command struct {
	name string
	arg  string
	line string
}

// commandLine matches a command line: a hash, a word, optional arguments.
// Markdown headings ("# Title") have a space after the hash and are text.
var commandLine = regexp.MustCompile(`^#([A-Za-z][A-Za-z0-9_-]*)(?:\s+(.*))?$`)

// knownCommands lists the commands and whether they take an argument.
var knownCommands = map[string]bool{
	"close": false, "pending": false, "active": false, "note": false, "spam": false,
	"assign": true, "nofollowup": false,
}

// parseCommands splits an agent's new text into the commands on its first
// lines and the text to relay. It reports every malformed or unknown
// command, so the agent learns all the mistakes at once.
func parseCommands(text string) (cmds []command, body string, problems []string) {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	i := 0
	for ; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			continue
		}
		m := commandLine.FindStringSubmatch(l)
		if m == nil {
			break
		}
		name, arg := strings.ToLower(m[1]), strings.TrimSpace(m[2])
		takesArg, ok := knownCommands[name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%q is not a command I know", "#"+name))
		case takesArg && arg == "":
			problems = append(problems, fmt.Sprintf("%q needs an argument, e.g. \"#%s me\"", "#"+name, name))
		case !takesArg && arg != "":
			problems = append(problems, fmt.Sprintf("%q takes no argument (got %q)", "#"+name, arg))
		}
		cmds = append(cmds, command{name: name, arg: arg, line: l})
	}
	body = strings.TrimSpace(strings.Join(lines[i:], "\n"))
	return cmds, body, problems
}

// agentAction carries out a verified agent's mail: its commands and the
// relay of its new text to the customer, in the current transaction.
func (e *Engine) agentAction(tx *store.Tx, tk *store.Ticket, a *Analysis, agent Agent, now time.Time) error {
	cmds, body, problems := parseCommands(a.ReplyText)
	note := false
	for _, c := range cmds {
		if c.name == "note" {
			note = true
		}
		if c.name == "assign" && len(problems) == 0 {
			if _, ok := e.resolveAgent(c.arg, agent); !ok {
				problems = append(problems, fmt.Sprintf("%q: no agent called %q (use an agent's name or address, or \"me\")", c.line, c.arg))
			}
		}
	}
	if len(problems) > 0 {
		return e.commandError(tx, tk, a, agent, problems, now)
	}
	if note {
		return e.shareNote(tx, tk, a, agent, now)
	}
	// Relay first, so that "#close" after a final answer records the
	// reply and then closes.
	if body != "" {
		if err := e.relay(tx, tk, a, agent, body, now); err != nil {
			return err
		}
	}
	for _, c := range cmds {
		if err := e.applyCommand(tx, tk, c, agent, now); err != nil {
			return err
		}
	}
	if body == "" && len(cmds) == 0 {
		return tx.AddEvent(tk.ID, now, EventAgentReply, agent.Addr, "empty reply: nothing relayed")
	}
	return nil
}

func (e *Engine) resolveAgent(arg string, self Agent) (Agent, bool) {
	arg = strings.TrimSpace(arg)
	if strings.EqualFold(arg, "me") {
		return self, true
	}
	for _, ag := range e.cfg.Agents {
		if strings.EqualFold(ag.Name, arg) || ag.Addr == mail.NormalizeAddr(arg) {
			return ag, true
		}
	}
	return Agent{}, false
}

func (e *Engine) applyCommand(tx *store.Tx, tk *store.Ticket, c command, agent Agent, now time.Time) error {
	switch c.name {
	case "close":
		return e.close(tx, tk, agent.Addr, now)
	case "pending":
		return e.setStatus(tx, tk, store.StatusPending, agent.Addr, now)
	case "active":
		return e.setStatus(tx, tk, store.StatusActive, agent.Addr, now)
	case "assign":
		ag, _ := e.resolveAgent(c.arg, agent)
		tk.Assignee = ag.Addr
		return tx.AddEvent(tk.ID, now, EventAssigned, agent.Addr, ag.Addr)
	case "nofollowup":
		tk.NoFollowup = true
		return tx.AddEvent(tk.ID, now, EventStatus, agent.Addr, "no follow-ups for this ticket")
	case "spam":
		tk.NoFollowup = true
		tk.Class = string(mail.ClassSpam)
		if err := tx.Suppress(tk.CustomerAddr, now.Add(365*24*time.Hour), "marked as spam on ticket "+fmt.Sprint(tk.ID)); err != nil {
			return err
		}
		if err := tx.AddEvent(tk.ID, now, EventSpam, agent.Addr, "sender marked as spam: no automatic mail for a year"); err != nil {
			return err
		}
		return e.close(tx, tk, agent.Addr, now)
	}
	return nil
}

func (e *Engine) setStatus(tx *store.Tx, tk *store.Ticket, status, actor string, now time.Time) error {
	if tk.Status == status {
		return nil
	}
	old := tk.Status
	tk.Status = status
	if status != store.StatusClosed {
		tk.ClosedAt, tk.ClosedBy, tk.Resolved = time.Time{}, "", false
	}
	tk.UpdatedAt = now
	return tx.AddEvent(tk.ID, now, EventStatus, actor, old+" -> "+status)
}

// close closes a ticket. It counts as resolved when the customer wrote
// after the first contact (Help Scout's definition).
func (e *Engine) close(tx *store.Tx, tk *store.Ticket, actor string, now time.Time) error {
	resolved := tk.CustomerMsgs > 0
	detail := "closed, not resolved"
	if resolved {
		detail = "resolved"
	}
	return e.closeAs(tx, tk, actor, resolved, detail, now)
}

// closeAs closes a ticket with the given resolution, recording one event.
func (e *Engine) closeAs(tx *store.Tx, tk *store.Ticket, actor string, resolved bool, detail string, now time.Time) error {
	if tk.Status == store.StatusClosed {
		return nil
	}
	if err := e.setStatus(tx, tk, store.StatusClosed, actor, now); err != nil {
		return err
	}
	tk.ClosedAt, tk.ClosedBy, tk.Resolved = now, actor, resolved
	return tx.AddEvent(tk.ID, now, EventClosed, actor, detail)
}

// relay sends the agent's new text to the customer from the support
// address, threaded under the customer's conversation. The agent's own
// address never reaches the customer.
func (e *Engine) relay(tx *store.Tx, tk *store.Ticket, a *Analysis, agent Agent, body string, now time.Time) error {
	refs, lastCustomer, err := e.customerThread(tx, tk)
	if err != nil {
		return err
	}
	name := agent.Name
	if name == "" {
		name = "Support"
	}
	o := &mail.Outgoing{
		From:       mail.Address{Name: name + " from " + e.cfg.SupportName, Addr: e.cfg.SupportAddr},
		To:         []mail.Address{{Name: tk.CustomerName, Addr: tk.CustomerAddr}},
		Subject:    mail.ReplySubject(tk.Subject, tk.ID),
		References: refs,
		Date:       now,
		Text:       body + "\n",
		Headers:    map[string]string{"X-Supportd-Ticket": fmt.Sprint(tk.ID)},
	}
	if lastCustomer != "" {
		o.InReplyTo = []string{lastCustomer}
	}
	for _, at := range a.Attachments {
		o.Attachments = append(o.Attachments, mail.OutAttachment{Filename: at.Filename, ContentType: at.ContentType, Data: at.Data})
	}
	if err := e.enqueueCustomerMail(tx, tk, o, KindRelay, now); err != nil {
		return err
	}
	tk.AgentReplies++
	if tk.FirstResponseAt.IsZero() {
		tk.FirstResponseAt = now
	}
	if tk.Assignee == "" {
		tk.Assignee = agent.Addr
	}
	if err := tx.AddEvent(tk.ID, now, EventRelayed, agent.Addr, o.MessageID); err != nil {
		return err
	}
	// The first response is always pending: we want the customer to
	// confirm the fix.
	return e.setStatus(tx, tk, store.StatusPending, agent.Addr, now)
}

// shareNote keeps the agent's whole mail as an internal note and forwards
// it to the other agents; nothing reaches the customer.
func (e *Engine) shareNote(tx *store.Tx, tk *store.Ticket, a *Analysis, agent Agent, now time.Time) error {
	_, body, _ := parseCommands(a.ReplyText)
	if err := tx.AddEvent(tk.ID, now, EventNote, agent.Addr, excerpt(body, 2000)); err != nil {
		return err
	}
	for _, ag := range e.cfg.Agents {
		if ag.Addr == agent.Addr {
			continue
		}
		o := &mail.Outgoing{
			From:    mail.Address{Name: e.cfg.SupportName, Addr: e.cfg.SupportAddr},
			To:      []mail.Address{{Name: ag.Name, Addr: ag.Addr}},
			ReplyTo: []mail.Address{{Name: e.cfg.SupportName, Addr: e.AgentReplyAddress(tk.ID, ag.Addr)}},
			Subject: fmt.Sprintf("[#%d] Note from %s: %s", tk.ID, agent.Name, tk.Subject),
			Date:    now,
			Text:    fmt.Sprintf("%s left an internal note on ticket #%d (not sent to the customer):\n\n%s\n", agent.Name, tk.ID, body),
		}
		if err := e.enqueueOne(tx, tk.ID, o, KindNotify, ag.Addr, now); err != nil {
			return err
		}
	}
	return nil
}

// commandError tells the agent why their mail was not relayed. The mail
// itself stays on the ticket.
func (e *Engine) commandError(tx *store.Tx, tk *store.Ticket, a *Analysis, agent Agent, problems []string, now time.Time) error {
	if err := tx.AddEvent(tk.ID, now, EventCommandErr, agent.Addr, strings.Join(problems, "; ")); err != nil {
		return err
	}
	o := &mail.Outgoing{
		From:      mail.Address{Name: e.cfg.SupportName, Addr: e.cfg.SupportAddr},
		To:        []mail.Address{{Name: agent.Name, Addr: agent.Addr}},
		ReplyTo:   []mail.Address{{Name: e.cfg.SupportName, Addr: e.AgentReplyAddress(tk.ID, agent.Addr)}},
		Subject:   fmt.Sprintf("[#%d] Not sent: %s", tk.ID, tk.Subject),
		InReplyTo: []string{a.Msg.MessageID},
		Date:      now,
		Auto:      true,
		Text: fmt.Sprintf("Your reply on ticket #%d was NOT sent to the customer:\n\n  - %s\n\nNothing was changed on the ticket. Fix the command lines and send your reply again.\n%s",
			tk.ID, strings.Join(problems, "\n  - "), commandFooter),
	}
	return e.enqueueOne(tx, tk.ID, o, KindCommandErr, agent.Addr, now)
}

func isDuplicate(err error) bool { return errors.Is(err, store.ErrDuplicate) }
