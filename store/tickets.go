package store

import (
	"bytes"
	"compress/flate"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"time"
)

// Ticket statuses, with Help Scout's meaning.
const (
	StatusActive  = "active"  // waiting on us
	StatusPending = "pending" // waiting on the customer
	StatusClosed  = "closed"
)

// Ticket is one support conversation.
type Ticket struct {
	ID              int64
	Subject         string
	CustomerAddr    string
	CustomerName    string
	Status          string
	Assignee        string
	Restatement     string
	Class           string
	CreatedAt       time.Time
	UpdatedAt       time.Time
	AckedAt         time.Time
	FirstResponseAt time.Time
	ClosedAt        time.Time
	ClosedBy        string
	Resolved        bool
	CustomerMsgs    int
	AgentReplies    int
	NoFollowup      bool
	// Messages is filled by ListTickets: how many messages the ticket holds.
	Messages int
}

const ticketCols = `id, subject, customer_addr, customer_name, status, assignee, restatement, class,
	created_at, updated_at, acked_at, first_response_at, closed_at, closed_by, resolved,
	customer_msgs, agent_replies, no_followup`

func scanTicket(sc interface{ Scan(...any) error }, extra ...any) (*Ticket, error) {
	var t Ticket
	var created, updated int64
	var acked, first, closed sql.NullInt64
	dest := []any{&t.ID, &t.Subject, &t.CustomerAddr, &t.CustomerName, &t.Status, &t.Assignee,
		&t.Restatement, &t.Class, &created, &updated, &acked, &first, &closed, &t.ClosedBy,
		&t.Resolved, &t.CustomerMsgs, &t.AgentReplies, &t.NoFollowup}
	if err := sc.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	t.CreatedAt, t.UpdatedAt = fromMS(created), fromMS(updated)
	t.AckedAt, t.FirstResponseAt, t.ClosedAt = fromNullMS(acked), fromNullMS(first), fromNullMS(closed)
	return &t, nil
}

// CreateTicket inserts t and sets its ID.
func (t *Tx) CreateTicket(tk *Ticket) error {
	res, err := t.exec(`INSERT INTO tickets (subject, customer_addr, customer_name, status, assignee, restatement, class,
		created_at, updated_at, acked_at, first_response_at, closed_at, closed_by, resolved, customer_msgs, agent_replies, no_followup)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		tk.Subject, tk.CustomerAddr, tk.CustomerName, tk.Status, tk.Assignee, tk.Restatement, tk.Class,
		ms(tk.CreatedAt), ms(tk.UpdatedAt), nullMS(tk.AckedAt), nullMS(tk.FirstResponseAt), nullMS(tk.ClosedAt),
		tk.ClosedBy, tk.Resolved, tk.CustomerMsgs, tk.AgentReplies, tk.NoFollowup)
	if err != nil {
		return fmt.Errorf("create ticket: %w", err)
	}
	tk.ID, err = res.LastInsertId()
	return err
}

// SaveTicket writes every field of tk back.
func (t *Tx) SaveTicket(tk *Ticket) error {
	_, err := t.exec(`UPDATE tickets SET subject=?, customer_addr=?, customer_name=?, status=?, assignee=?, restatement=?, class=?,
		updated_at=?, acked_at=?, first_response_at=?, closed_at=?, closed_by=?, resolved=?, customer_msgs=?, agent_replies=?, no_followup=?
		WHERE id=?`,
		tk.Subject, tk.CustomerAddr, tk.CustomerName, tk.Status, tk.Assignee, tk.Restatement, tk.Class,
		ms(tk.UpdatedAt), nullMS(tk.AckedAt), nullMS(tk.FirstResponseAt), nullMS(tk.ClosedAt), tk.ClosedBy,
		tk.Resolved, tk.CustomerMsgs, tk.AgentReplies, tk.NoFollowup, tk.ID)
	if err != nil {
		return fmt.Errorf("save ticket %d: %w", tk.ID, err)
	}
	return nil
}

// Ticket loads one ticket.
func (t *Tx) Ticket(id int64) (*Ticket, error) {
	var n int
	tk, err := scanTicket(t.row(`SELECT `+ticketCols+`, (SELECT COUNT(*) FROM messages m WHERE m.ticket_id = tickets.id) FROM tickets WHERE id = ?`, id), &n)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("ticket %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("ticket %d: %w", id, err)
	}
	tk.Messages = n
	return tk, nil
}

// ListTickets returns tickets, newest first, optionally only one status.
// limit <= 0 means no limit.
func (t *Tx) ListTickets(status string, limit int) ([]*Ticket, error) {
	q := `SELECT ` + ticketCols + `, (SELECT COUNT(*) FROM messages m WHERE m.ticket_id = tickets.id) FROM tickets`
	var args []any
	if status != "" {
		q += ` WHERE status = ?`
		args = append(args, status)
	}
	q += ` ORDER BY id DESC`
	if limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, limit)
	}
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("list tickets: %w", err)
	}
	defer rows.Close()
	var out []*Ticket
	for rows.Next() {
		var n int
		tk, err := scanTicket(rows, &n)
		if err != nil {
			return nil, fmt.Errorf("list tickets: %w", err)
		}
		tk.Messages = n
		out = append(out, tk)
	}
	return out, rows.Err()
}

// CountTickets returns the number of tickets per status.
func (t *Tx) CountTickets() (map[string]int, error) {
	rows, err := t.query(`SELECT status, COUNT(*) FROM tickets GROUP BY status`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// Message is one stored mail, inbound or outbound.
type Message struct {
	ID        int64
	TicketID  int64
	MessageID string
	Direction string // "in" or "out"
	FromAddr  string
	FromName  string
	To        string
	Subject   string
	Date      time.Time
	Text      string
	Class     string
	Raw       []byte // uncompressed; InsertMessage compresses, Messages leaves it nil
	RawSize   int64
	Truncated bool
	// Where it came from, for idempotent ingest. Empty for outbound mail.
	Mailbox     string
	UIDValidity uint32
	UID         uint32
	CreatedAt   time.Time
}

// MessageSeen reports whether the server message (mailbox, uidvalidity, uid)
// is already stored.
func (t *Tx) MessageSeen(mailbox string, uidValidity, uid uint32) (bool, error) {
	var n int
	err := t.row(`SELECT COUNT(*) FROM messages WHERE mailbox = ? AND uidvalidity = ? AND uid = ?`, mailbox, uidValidity, uid).Scan(&n)
	return n > 0, err
}

// InboundExists reports whether an inbound message with this Message-ID is
// stored, and in which ticket.
func (t *Tx) InboundExists(messageID string) (int64, bool, error) {
	var id int64
	err := t.row(`SELECT ticket_id FROM messages WHERE message_id = ? AND direction = 'in'`, messageID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

// TicketsByMessageIDs returns, for each of ids that is stored (in or out),
// the ticket it belongs to. The result keeps the order of ids.
func (t *Tx) TicketsByMessageIDs(ids []string) ([]int64, error) {
	var out []int64
	for _, id := range ids {
		if id == "" {
			continue
		}
		rows, err := t.query(`SELECT ticket_id FROM messages WHERE message_id = ?`, id)
		if err != nil {
			return nil, fmt.Errorf("lookup message id: %w", err)
		}
		for rows.Next() {
			var tid int64
			if err := rows.Scan(&tid); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, tid)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// InsertMessage stores m (compressing Raw) and sets its ID. It returns
// ErrDuplicate when the same Message-ID and direction, or the same server
// UID, is already stored.
func (t *Tx) InsertMessage(m *Message) error {
	raw := m.Raw
	m.RawSize = int64(len(raw))
	if int64(len(raw)) > t.maxRaw {
		raw = raw[:t.maxRaw]
		m.Truncated = true
	}
	var comp []byte
	if raw != nil {
		var err error
		if comp, err = t.db.compress(raw); err != nil {
			return fmt.Errorf("compress message: %w", err)
		}
	}
	var mailbox any
	var uv, uid any
	if m.Mailbox != "" {
		mailbox, uv, uid = m.Mailbox, m.UIDValidity, m.UID
	}
	res, err := t.exec(`INSERT INTO messages (ticket_id, message_id, direction, from_addr, from_name, to_addrs, subject, date, text, class,
		raw, raw_size, raw_truncated, mailbox, uidvalidity, uid, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		m.TicketID, m.MessageID, m.Direction, m.FromAddr, m.FromName, m.To, m.Subject, ms(m.Date), m.Text, m.Class,
		comp, m.RawSize, m.Truncated, mailbox, uv, uid, ms(m.CreatedAt))
	if isUnique(err) {
		return fmt.Errorf("message %s: %w", m.MessageID, ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("insert message %s: %w", m.MessageID, err)
	}
	m.ID, err = res.LastInsertId()
	return err
}

// Messages returns a ticket's messages in arrival order, without raw bytes.
func (t *Tx) Messages(ticketID int64) ([]*Message, error) {
	rows, err := t.query(`SELECT id, ticket_id, message_id, direction, from_addr, from_name, to_addrs, subject, date, text, class,
		raw_size, raw_truncated, COALESCE(mailbox,''), COALESCE(uidvalidity,0), COALESCE(uid,0), created_at
		FROM messages WHERE ticket_id = ? ORDER BY id`, ticketID)
	if err != nil {
		return nil, fmt.Errorf("messages of ticket %d: %w", ticketID, err)
	}
	defer rows.Close()
	var out []*Message
	for rows.Next() {
		var m Message
		var date, created int64
		if err := rows.Scan(&m.ID, &m.TicketID, &m.MessageID, &m.Direction, &m.FromAddr, &m.FromName, &m.To, &m.Subject,
			&date, &m.Text, &m.Class, &m.RawSize, &m.Truncated, &m.Mailbox, &m.UIDValidity, &m.UID, &created); err != nil {
			return nil, err
		}
		m.Date, m.CreatedAt = fromMS(date), fromMS(created)
		out = append(out, &m)
	}
	return out, rows.Err()
}

// RawMessage returns the stored raw bytes of one message, decompressed.
func (t *Tx) RawMessage(id int64) ([]byte, error) {
	var comp []byte
	err := t.row(`SELECT raw FROM messages WHERE id = ?`, id).Scan(&comp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if comp == nil {
		return nil, nil
	}
	return decompress(comp)
}

// AddParticipant records addr on the ticket; an existing row is kept.
func (t *Tx) AddParticipant(ticketID int64, addr, name, role string) error {
	_, err := t.exec(`INSERT INTO participants (ticket_id, addr, name, role) VALUES (?,?,?,?) ON CONFLICT DO NOTHING`, ticketID, addr, name, role)
	if err != nil {
		return fmt.Errorf("add participant: %w", err)
	}
	return nil
}

// Participant is an address on a ticket.
type Participant struct {
	Addr, Name, Role string
}

// Participants lists a ticket's participants.
func (t *Tx) Participants(ticketID int64) ([]Participant, error) {
	rows, err := t.query(`SELECT addr, name, role FROM participants WHERE ticket_id = ? ORDER BY rowid`, ticketID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Participant
	for rows.Next() {
		var p Participant
		if err := rows.Scan(&p.Addr, &p.Name, &p.Role); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Event is one entry in a ticket's append-only log.
type Event struct {
	ID       int64
	TicketID int64
	At       time.Time
	Kind     string
	Actor    string
	Detail   string
}

// AddEvent appends an event to a ticket's log.
func (t *Tx) AddEvent(ticketID int64, at time.Time, kind, actor, detail string) error {
	_, err := t.exec(`INSERT INTO events (ticket_id, at, kind, actor, detail) VALUES (?,?,?,?,?)`, ticketID, ms(at), kind, actor, detail)
	if err != nil {
		return fmt.Errorf("event %s on ticket %d: %w", kind, ticketID, err)
	}
	return nil
}

// Events returns a ticket's log in order.
func (t *Tx) Events(ticketID int64) ([]Event, error) {
	rows, err := t.query(`SELECT id, ticket_id, at, kind, actor, detail FROM events WHERE ticket_id = ? ORDER BY id`, ticketID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at int64
		if err := rows.Scan(&e.ID, &e.TicketID, &at, &e.Kind, &e.Actor, &e.Detail); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Checkpoint is how far a mailbox has been ingested.
type Checkpoint struct {
	UIDValidity uint32
	LastUID     uint32
}

// Checkpoint returns the stored sync state of a mailbox (zero if none).
func (t *Tx) Checkpoint(mailbox string) (Checkpoint, error) {
	var c Checkpoint
	err := t.row(`SELECT uidvalidity, last_uid FROM mailbox_state WHERE mailbox = ?`, mailbox).Scan(&c.UIDValidity, &c.LastUID)
	if errors.Is(err, sql.ErrNoRows) {
		return Checkpoint{}, nil
	}
	return c, err
}

// AdvanceCheckpoint records uid as ingested. Under a new UIDVALIDITY the
// checkpoint restarts; under the same one it only moves forward.
func (t *Tx) AdvanceCheckpoint(mailbox string, uidValidity, uid uint32) error {
	_, err := t.exec(`INSERT INTO mailbox_state (mailbox, uidvalidity, last_uid) VALUES (?,?,?)
		ON CONFLICT (mailbox) DO UPDATE SET
			last_uid = CASE WHEN uidvalidity = excluded.uidvalidity THEN MAX(last_uid, excluded.last_uid) ELSE excluded.last_uid END,
			uidvalidity = excluded.uidvalidity`, mailbox, uidValidity, uid)
	if err != nil {
		return fmt.Errorf("advance checkpoint %s: %w", mailbox, err)
	}
	return nil
}

// ResetCheckpoint starts a mailbox over under a new UIDVALIDITY.
func (t *Tx) ResetCheckpoint(mailbox string, uidValidity uint32) error {
	_, err := t.exec(`INSERT INTO mailbox_state (mailbox, uidvalidity, last_uid) VALUES (?,?,0)
		ON CONFLICT (mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = 0`, mailbox, uidValidity)
	return err
}

func (d *DB) compress(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(b)/2 + 64)
	w, _ := d.flaters.Get().(*flate.Writer)
	if w == nil {
		var err error
		if w, err = flate.NewWriter(&buf, flate.BestSpeed); err != nil {
			return nil, err
		}
	} else {
		w.Reset(&buf)
	}
	defer d.flaters.Put(w)
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decompress(b []byte) ([]byte, error) {
	r := flate.NewReader(bytes.NewReader(b))
	defer r.Close()
	return io.ReadAll(r)
}
