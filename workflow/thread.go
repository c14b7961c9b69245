package workflow

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"supportd/mail"
	"supportd/store"
)

// subjectTag finds our ticket tag, "[#123]", anywhere in a subject.
var subjectTag = regexp.MustCompile(`\[#(\d{1,12})\]`)

// plusTag splits a recipient like support+123@example.com or
// support+123-k3j2h@example.com into the ticket number and the token.
func (e *Engine) plusTag(addr string) (ticket int64, token string, ok bool) {
	local, domain, found := strings.Cut(mail.NormalizeAddr(addr), "@")
	sLocal, sDomain, _ := strings.Cut(e.cfg.SupportAddr, "@")
	if !found || domain != sDomain {
		return 0, "", false
	}
	base, tag, found := strings.Cut(local, "+")
	if !found || base != sLocal {
		return 0, "", false
	}
	num, token, _ := strings.Cut(tag, "-")
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return 0, "", false
	}
	return n, token, true
}

// recipients lists every address the message was delivered through: the
// visible To and Cc and the envelope traces MTAs add, since clients and
// MTAs differ in which of them keeps a plus address.
func recipients(m *mail.Message) []string {
	var out []string
	for _, a := range m.To {
		out = append(out, a.Addr)
	}
	for _, a := range m.Cc {
		out = append(out, a.Addr)
	}
	out = append(out, m.DeliveredTo...)
	out = append(out, m.XOriginalTo...)
	return out
}

// thread finds the ticket a message belongs to, in the documented order:
// plus-address tag, then In-Reply-To/References, then the [#N] subject tag.
// Every way in requires the sender to be someone on that ticket (customer,
// a Cc'd colleague or an agent), so a stranger who forwards our mail or
// reuses a subject starts a ticket of their own. It returns nil when the
// message starts a new ticket, and how it matched otherwise.
func (e *Engine) thread(tx *store.Tx, a *Analysis) (*store.Ticket, string, error) {
	m := a.Msg
	from := mail.NormalizeAddr(m.From.Addr)

	member := func(id int64) (*store.Ticket, bool, error) {
		tk, err := tx.Ticket(id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		if _, ok := e.isAgent(from); ok || from == tk.CustomerAddr {
			return tk, true, nil
		}
		ps, err := tx.Participants(id)
		if err != nil {
			return nil, false, err
		}
		for _, p := range ps {
			if p.Addr == from {
				return tk, true, nil
			}
		}
		return tk, false, nil
	}

	// Bounces and auto-replies come from a robot, not a participant; they
	// may still attach to the ticket whose mail caused them.
	robot := a.Class == mail.ClassBounce || a.Class == mail.ClassAutoReply

	for _, rcpt := range recipients(m) {
		id, _, ok := e.plusTag(rcpt)
		if !ok {
			continue
		}
		tk, isMember, err := member(id)
		if err != nil {
			return nil, "", err
		}
		if tk != nil && (isMember || robot) {
			return tk, fmt.Sprintf("plus address %s", mail.NormalizeAddr(rcpt)), nil
		}
	}

	refs := append(append([]string{}, m.InReplyTo...), reverse(m.References)...)
	if a.Class == mail.ClassBounce {
		refs = append(refs, bouncedMessageIDs(a)...)
	}
	ids, err := tx.TicketsByMessageIDs(refs)
	if err != nil {
		return nil, "", err
	}
	for _, id := range ids {
		tk, isMember, err := member(id)
		if err != nil {
			return nil, "", err
		}
		if tk != nil && (isMember || robot) {
			return tk, "references", nil
		}
	}

	if mm := subjectTag.FindStringSubmatch(m.Subject); mm != nil {
		id, _ := strconv.ParseInt(mm[1], 10, 64)
		tk, isMember, err := member(id)
		if err != nil {
			return nil, "", err
		}
		if tk != nil && isMember {
			return tk, "subject tag", nil
		}
	}
	return nil, "", nil
}

// reverse returns ids newest first: the nearest ancestor is the best match.
func reverse(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[len(ids)-1-i] = id
	}
	return out
}

// msgIDHeader finds Message-ID lines in the returned headers a delivery
// report carries (RFC 3464 §2: the original message or its header is
// attached), since most DSNs set no References of their own.
var msgIDHeader = regexp.MustCompile(`(?im)^message-id:\s*<([^>\s]{1,250})>`)

func bouncedMessageIDs(a *Analysis) []string {
	var out []string
	for _, mm := range msgIDHeader.FindAllStringSubmatch(a.Msg.Text+"\n"+a.rawText, -1) {
		if mm[1] != a.Msg.MessageID {
			out = append(out, mm[1])
		}
	}
	return out
}
