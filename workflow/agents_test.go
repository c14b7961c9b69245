package workflow

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"supportd/mail"
	"supportd/store"
)

// agentHarness has two agents, so that notes and assignments have someone
// to go to.
func newAgentHarness(t *testing.T) *harness {
	h := newHarness(t)
	h.e.cfg.Agents = append(h.e.cfg.Agents, Agent{Name: "Sam", Addr: "sam@example.com"})
	h.e.cfg.SecretKey = []byte("test-key-test-key-test-key")
	return h
}

// queued returns the parsed outbox mail of a ticket sent to rcpt.
func (h *harness) queued(ticket int64, rcpt, kind string) []*mail.Message {
	var out []*mail.Message
	h.db.View(context.Background(), func(tx *store.Tx) error {
		rows, err := tx.TicketOutbound(ticket)
		for _, r := range rows {
			if r.Rcpt == rcpt && (kind == "" || r.Kind == kind) {
				full, _ := tx.Outbound(r.ID)
				out = append(out, mail.Parse(full.Raw))
			}
		}
		return err
	})
	return out
}

func (h *harness) newCustomerTicket(t *testing.T) (Outcome, *mail.Message) {
	t.Helper()
	out := h.ingest(msg("From: Jane Doe <jane@example.org>", "To: support@example.com", "Subject: Export fails", "Message-ID: <c1@example.org>",
		"Body: Hi,\r\n\r\nThe CSV export fails with error 500 since Monday.\r\n\r\nJane\r\n"))
	notes := h.queued(out.TicketID, h.agent, KindNotify)
	if len(notes) != 1 {
		t.Fatalf("notifications to %s: %d, want 1", h.agent, len(notes))
	}
	return out, notes[0]
}

// agentReply builds an agent's reply to a notification, as a client writes it.
func agentReply(from, to, inReplyTo, body string) []byte {
	return msg("From: Alex <"+from+">", "To: "+to, "Subject: Re: [#1] Export fails", "Message-ID: <"+mail.NewMessageID("example.com")+">",
		"In-Reply-To: <"+inReplyTo+">", "Body: "+strings.ReplaceAll(body, "\n", "\r\n"))
}

func TestNewTicketNotifiesEveryAgentWithTokenedReplyTo(t *testing.T) {
	h := newAgentHarness(t)
	out, n := h.newCustomerTicket(t)
	if n.Subject != fmt.Sprintf("[#%d] Export fails", out.TicketID) {
		t.Errorf("subject = %q", n.Subject)
	}
	want := h.e.AgentReplyAddress(out.TicketID, h.agent)
	if len(n.ReplyTo) != 1 || n.ReplyTo[0].Addr != want {
		t.Errorf("Reply-To = %v, want %s", n.ReplyTo, want)
	}
	tok := h.e.AgentToken(out.TicketID, h.agent)
	if len(tok) < 16 || tok == h.e.AgentToken(out.TicketID, "sam@example.com") || tok == h.e.AgentToken(out.TicketID+1, h.agent) {
		t.Errorf("token %q is not per agent and per ticket, or shorter than 80 bits", tok)
	}
	for _, s := range []string{"CSV export fails with error 500", "Restated: It sounds like", "#close", "jane@example.org"} {
		if !strings.Contains(n.Text, s) {
			t.Errorf("notification lacks %q:\n%s", s, n.Text)
		}
	}
	if len(h.queued(out.TicketID, "sam@example.com", KindNotify)) != 1 {
		t.Error("the second agent was not notified of an unassigned ticket")
	}
}

func TestAgentReplyStylesRelayExactlyTheNewText(t *testing.T) {
	styles := map[string]string{
		"gmail":   "Thanks Jane, I've fixed the export. Please try again.\n\nOn Mon, Mar 2, 2026 at 9:00 AM Example Support <support@example.com> wrote:\n> New ticket from Jane\n> The CSV export fails\n",
		"outlook": "Thanks Jane, I've fixed the export. Please try again.\n\n________________________________\nFrom: Example Support <support@example.com>\nSent: Monday, March 2, 2026 9:00 AM\nTo: Alex <alex@example.com>\nSubject: [#1] Export fails\n\nNew ticket from Jane\n",
		"apple":   "Thanks Jane, I've fixed the export. Please try again.\n\nSent from my iPhone\n\n> On 2 Mar 2026, at 09:00, Example Support <support@example.com> wrote:\n>\n> New ticket from Jane\n",
	}
	for name, body := range styles {
		t.Run(name, func(t *testing.T) {
			h := newAgentHarness(t)
			out, n := h.newCustomerTicket(t)
			h.ingest(agentReply(h.agent, n.ReplyTo[0].Addr, n.MessageID, body))
			relays := h.queued(out.TicketID, "jane@example.org", KindRelay)
			if len(relays) != 1 {
				t.Fatalf("relays = %d, want 1", len(relays))
			}
			r := relays[0]
			if got := strings.TrimSpace(r.Text); got != "Thanks Jane, I've fixed the export. Please try again." {
				t.Errorf("relayed text = %q", got)
			}
			if r.From.Addr != "support@example.com" || r.From.Name != "Alex from Example Support" {
				t.Errorf("From = %v", r.From)
			}
			raw := fmt.Sprint(r.To, r.Cc, r.ReplyTo, r.Text)
			if strings.Contains(raw, h.agent) {
				t.Errorf("the agent's address reached the customer: %s", raw)
			}
			if len(r.InReplyTo) != 1 || r.InReplyTo[0] != "c1@example.org" {
				t.Errorf("In-Reply-To = %v", r.InReplyTo)
			}
			if r.Subject != fmt.Sprintf("Re: Export fails [#%d]", out.TicketID) {
				t.Errorf("subject = %q", r.Subject)
			}
			tk := h.ticket(out.TicketID)
			if tk.Status != store.StatusPending || tk.FirstResponseAt.IsZero() || tk.AgentReplies != 1 {
				t.Errorf("ticket after relay: %+v", tk)
			}
		})
	}
}

func TestAgentCommands(t *testing.T) {
	cases := []struct {
		body       string
		status     string
		assignee   string
		relayed    bool
		wantEvent  string
		noFollowup bool
	}{
		{"#close\nAll sorted, thanks!", store.StatusClosed, "alex@example.com", true, EventClosed, false},
		{"#pending", store.StatusPending, "", false, EventStatus, false},
		{"#active\nLooking into it.", store.StatusActive, "alex@example.com", true, EventStatus, false},
		{"#note\nI think this is the March release.", store.StatusActive, "", false, EventNote, false},
		{"#assign me", store.StatusActive, "alex@example.com", false, EventAssigned, false},
		{"#assign Sam", store.StatusActive, "sam@example.com", false, EventAssigned, false},
		{"#spam", store.StatusClosed, "", false, EventSpam, true},
	}
	for _, c := range cases {
		t.Run(strings.SplitN(c.body, "\n", 2)[0], func(t *testing.T) {
			h := newAgentHarness(t)
			out, n := h.newCustomerTicket(t)
			h.ingest(agentReply(h.agent, n.ReplyTo[0].Addr, n.MessageID, c.body))
			tk := h.ticket(out.TicketID)
			if tk.Status != c.status || tk.Assignee != c.assignee || tk.NoFollowup != c.noFollowup {
				t.Errorf("ticket = status %s assignee %q nofollowup %v; want %s %q %v", tk.Status, tk.Assignee, tk.NoFollowup, c.status, c.assignee, c.noFollowup)
			}
			if got := len(h.queued(out.TicketID, "jane@example.org", KindRelay)) == 1; got != c.relayed {
				t.Errorf("relayed = %v, want %v", got, c.relayed)
			}
			if !contains(h.events(out.TicketID), c.wantEvent) {
				t.Errorf("events %v lack %s", h.events(out.TicketID), c.wantEvent)
			}
		})
	}
}

func TestNoteIsSharedWithOtherAgentsNeverTheCustomer(t *testing.T) {
	h := newAgentHarness(t)
	out, n := h.newCustomerTicket(t)
	h.ingest(agentReply(h.agent, n.ReplyTo[0].Addr, n.MessageID, "#note\nCustomer is on the old plan."))
	if len(h.queued(out.TicketID, "jane@example.org", "")) != 1 { // only the ack
		t.Error("a note reached the customer")
	}
	notes := h.queued(out.TicketID, "sam@example.com", KindNotify)
	if len(notes) != 2 || !strings.Contains(notes[1].Text, "Customer is on the old plan.") {
		t.Errorf("Sam's mail = %d, last %v", len(notes), notes)
	}
}

func TestUnknownCommandIsNotRelayedAndExplained(t *testing.T) {
	h := newAgentHarness(t)
	out, n := h.newCustomerTicket(t)
	h.ingest(agentReply(h.agent, n.ReplyTo[0].Addr, n.MessageID, "#clsoe\nDone here."))
	if len(h.queued(out.TicketID, "jane@example.org", KindRelay)) != 0 {
		t.Fatal("relayed despite an unknown command")
	}
	errs := h.queued(out.TicketID, h.agent, KindCommandErr)
	if len(errs) != 1 || !strings.Contains(errs[0].Text, `"#clsoe" is not a command I know`) {
		t.Fatalf("command error mail = %v", errs)
	}
	if tk := h.ticket(out.TicketID); tk.Status != store.StatusActive || tk.Messages < 2 {
		t.Errorf("ticket moved or lost the mail: %+v", tk)
	}
}

func TestForgedAgentMailMovesNothing(t *testing.T) {
	cases := map[string]func(h *harness, tk int64, n *mail.Message) []byte{
		"From an agent, no token, subject tag": func(h *harness, tk int64, n *mail.Message) []byte {
			return msg("From: Alex <alex@example.com>", "To: support@example.com", fmt.Sprintf("Subject: Re: Export fails [#%d]", tk),
				"Message-ID: <forged1@evil.test>", "Body: #close\r\nPlease send me your password.\r\n")
		},
		"a valid token used by the wrong agent": func(h *harness, tk int64, n *mail.Message) []byte {
			return msg("From: Sam <sam@example.com>", "To: "+n.ReplyTo[0].Addr, "Subject: Re: x",
				"Message-ID: <forged2@evil.test>", "Body: #close\r\nBye.\r\n")
		},
		"a made-up token": func(h *harness, tk int64, n *mail.Message) []byte {
			return msg("From: Alex <alex@example.com>", fmt.Sprintf("To: support+%d-aaaaaaaaaaaaaaaa@example.com", tk), "Subject: Re: x",
				"Message-ID: <forged3@evil.test>", "Body: #close\r\nBye.\r\n")
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			h := newAgentHarness(t)
			out, n := h.newCustomerTicket(t)
			h.ingest(mk(h, out.TicketID, n))
			tk := h.ticket(out.TicketID)
			if tk.Status != store.StatusActive || tk.AgentReplies != 0 {
				t.Errorf("forged mail moved the ticket: %+v", tk)
			}
			if len(h.queued(out.TicketID, "jane@example.org", KindRelay)) != 0 {
				t.Error("forged mail reached the customer")
			}
			if !contains(h.events(out.TicketID), EventForgedAgent) {
				t.Errorf("not flagged: %v", h.events(out.TicketID))
			}
		})
	}
}

func TestCustomerReplyToRelayLandsInTicketAndReactivates(t *testing.T) {
	h := newAgentHarness(t)
	out, n := h.newCustomerTicket(t)
	h.ingest(agentReply(h.agent, n.ReplyTo[0].Addr, n.MessageID, "Fixed, please retry."))
	relay := h.queued(out.TicketID, "jane@example.org", KindRelay)[0]
	back := h.ingest(msg("From: Jane Doe <jane@example.org>", "To: "+relay.ReplyTo[0].Addr, "Subject: Re: "+relay.Subject,
		"Message-ID: <c2@example.org>", "In-Reply-To: <"+relay.MessageID+">", "Body: Works now, thank you!\r\n"))
	if back.TicketID != out.TicketID || back.NewTicket {
		t.Fatalf("reply went to %+v", back)
	}
	if tk := h.ticket(out.TicketID); tk.Status != store.StatusActive || tk.CustomerMsgs != 1 {
		t.Errorf("ticket = %+v", tk)
	}
	// Now assigned, only Alex hears about the customer's answer.
	if got := len(h.queued(out.TicketID, h.agent, KindNotify)); got != 2 {
		t.Errorf("Alex's notifications = %d, want 2", got)
	}
	if got := len(h.queued(out.TicketID, "sam@example.com", KindNotify)); got != 1 {
		t.Errorf("Sam's notifications = %d, want 1 (the ticket is Alex's now)", got)
	}
	// Alex's two notifications thread together.
	notes := h.queued(out.TicketID, h.agent, KindNotify)
	if len(notes[1].References) == 0 || notes[1].References[0] != notes[0].MessageID {
		t.Errorf("second notification References %v, want the first %s", notes[1].References, notes[0].MessageID)
	}
	// Closing after the customer wrote again counts as resolved.
	h.ingest(agentReply(h.agent, n.ReplyTo[0].Addr, n.MessageID, "#close"))
	if tk := h.ticket(out.TicketID); !tk.Resolved || tk.Status != store.StatusClosed {
		t.Errorf("after close: %+v", tk)
	}
}

func TestNotificationListsAttachments(t *testing.T) {
	h := newAgentHarness(t)
	raw := "From: Jane <jane@example.org>\r\nTo: support@example.com\r\nSubject: Screenshot\r\nMessage-ID: <att@example.org>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"X\"\r\n\r\n--X\r\nContent-Type: text/plain\r\n\r\nSee the screenshot.\r\n" +
		"--X\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"error.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--X--\r\n"
	out := h.ingest([]byte(raw))
	n := h.queued(out.TicketID, h.agent, KindNotify)
	if len(n) != 1 || !strings.Contains(n[0].Text, "error.png") {
		t.Fatalf("notification does not name the attachment: %v", n)
	}
}

func TestParseCommands(t *testing.T) {
	cases := []struct {
		in       string
		cmds     int
		body     string
		problems int
	}{
		{"#close\nThanks!", 1, "Thanks!", 0},
		{"\n  #pending  \n\nHello", 1, "Hello", 0},
		{"# Heading is text\nHello", 0, "# Heading is text\nHello", 0},
		{"#assign\nx", 1, "x", 1},
		{"#close now\nx", 1, "x", 1},
		{"#frobnicate\n#close\nx", 2, "x", 1},
		{"Just text #close", 0, "Just text #close", 0},
	}
	for _, c := range cases {
		cmds, body, problems := parseCommands(c.in)
		if len(cmds) != c.cmds || body != c.body || len(problems) != c.problems {
			t.Errorf("parseCommands(%q) = %d cmds, body %q, problems %v", c.in, len(cmds), body, problems)
		}
	}
}
