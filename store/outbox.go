package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Outbox statuses.
const (
	OutboxQueued = "queued"
	OutboxSent   = "sent"
	OutboxFailed = "failed"
)

// Outbound is one mail waiting in, or done with, the outbox. One recipient
// per row, so a failure for one address never re-sends to another.
type Outbound struct {
	ID            int64
	TicketID      int64 // 0 when the mail belongs to no ticket
	MessageID     string
	Kind          string
	EnvFrom       string
	Rcpt          string
	Auto          bool
	Raw           []byte
	Status        string
	Attempts      int
	LastError     string
	CreatedAt     time.Time
	NextAttemptAt time.Time
	GiveUpAt      time.Time
	SentAt        time.Time
	CopiedAt      time.Time
}

// Enqueue adds o to the outbox and sets its ID. Status defaults to queued
// and NextAttemptAt to CreatedAt.
func (t *Tx) Enqueue(o *Outbound) error {
	if o.Status == "" {
		o.Status = OutboxQueued
	}
	if o.NextAttemptAt.IsZero() {
		o.NextAttemptAt = o.CreatedAt
	}
	var ticket any
	if o.TicketID != 0 {
		ticket = o.TicketID
	}
	res, err := t.exec(`INSERT INTO outbox (ticket_id, message_id, kind, env_from, rcpt, auto, raw, status, attempts, created_at, next_attempt_at, give_up_at)
		VALUES (?,?,?,?,?,?,?,?,0,?,?,?)`, ticket, o.MessageID, o.Kind, o.EnvFrom, o.Rcpt, o.Auto, o.Raw, o.Status,
		ms(o.CreatedAt), ms(o.NextAttemptAt), ms(o.GiveUpAt))
	if isUnique(err) {
		return fmt.Errorf("enqueue %s: %w", o.MessageID, ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", o.MessageID, err)
	}
	o.ID, err = res.LastInsertId()
	return err
}

const outboxCols = `id, COALESCE(ticket_id,0), message_id, kind, env_from, rcpt, auto, raw, status, attempts, last_error,
	created_at, next_attempt_at, give_up_at, sent_at, copied_at`

func scanOutbound(sc interface{ Scan(...any) error }) (*Outbound, error) {
	var o Outbound
	var created, next, giveUp int64
	var sent, copied sql.NullInt64
	if err := sc.Scan(&o.ID, &o.TicketID, &o.MessageID, &o.Kind, &o.EnvFrom, &o.Rcpt, &o.Auto, &o.Raw, &o.Status,
		&o.Attempts, &o.LastError, &created, &next, &giveUp, &sent, &copied); err != nil {
		return nil, err
	}
	o.CreatedAt, o.NextAttemptAt, o.GiveUpAt = fromMS(created), fromMS(next), fromMS(giveUp)
	o.SentAt, o.CopiedAt = fromNullMS(sent), fromNullMS(copied)
	return &o, nil
}

// DueOutbound returns up to limit queued mails whose next attempt is due at now.
func (t *Tx) DueOutbound(now time.Time, limit int) ([]*Outbound, error) {
	rows, err := t.query(`SELECT `+outboxCols+` FROM outbox WHERE status = 'queued' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`, ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("due outbox: %w", err)
	}
	defer rows.Close()
	var out []*Outbound
	for rows.Next() {
		o, err := scanOutbound(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// Outbound loads one outbox row.
func (t *Tx) Outbound(id int64) (*Outbound, error) {
	o, err := scanOutbound(t.row(`SELECT `+outboxCols+` FROM outbox WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("outbox %d: %w", id, ErrNotFound)
	}
	return o, err
}

// NextOutboundDue returns when the earliest queued mail is due.
func (t *Tx) NextOutboundDue() (time.Time, bool, error) {
	var v sql.NullInt64
	if err := t.row(`SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'queued'`).Scan(&v); err != nil {
		return time.Time{}, false, err
	}
	return fromNullMS(v), v.Valid, nil
}

// RecordAttempt notes a failed attempt and when to try again.
func (t *Tx) RecordAttempt(id int64, errText string, next time.Time) error {
	_, err := t.exec(`UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?`, errText, ms(next), id)
	return err
}

// MarkSent records a delivered mail.
func (t *Tx) MarkSent(id int64, at time.Time) error {
	_, err := t.exec(`UPDATE outbox SET status = 'sent', attempts = attempts + 1, last_error = '', sent_at = ? WHERE id = ?`, ms(at), id)
	return err
}

// MarkFailed gives up on a mail for good.
func (t *Tx) MarkFailed(id int64, errText string) error {
	_, err := t.exec(`UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?`, errText, id)
	return err
}

// MarkCopied records that a copy was appended to the Sent folder.
func (t *Tx) MarkCopied(id int64, at time.Time) error {
	_, err := t.exec(`UPDATE outbox SET copied_at = ? WHERE id = ?`, ms(at), id)
	return err
}

// OutboxCounts returns the number of outbox rows per status.
func (t *Tx) OutboxCounts() (map[string]int, error) {
	rows, err := t.query(`SELECT status, COUNT(*) FROM outbox GROUP BY status`)
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

// TicketOutbound lists a ticket's outbox rows in order (without raw bytes).
func (t *Tx) TicketOutbound(ticketID int64) ([]*Outbound, error) {
	rows, err := t.query(`SELECT `+outboxCols+` FROM outbox WHERE ticket_id = ? ORDER BY id`, ticketID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Outbound
	for rows.Next() {
		o, err := scanOutbound(rows)
		if err != nil {
			return nil, err
		}
		o.Raw = nil
		out = append(out, o)
	}
	return out, rows.Err()
}

// OutboxByMessageID finds the outbox row that sent a Message-ID.
func (t *Tx) OutboxByMessageID(messageID string) (*Outbound, error) {
	o, err := scanOutbound(t.row(`SELECT `+outboxCols+` FROM outbox WHERE message_id = ?`, messageID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("outbox %s: %w", messageID, ErrNotFound)
	}
	return o, err
}

// AutoMailSince counts automatic mails to rcpt enqueued since t0; the
// per-sender limit on automatic mail is computed from it.
func (t *Tx) AutoMailSince(rcpt string, t0 time.Time) (int, error) {
	var n int
	err := t.row(`SELECT COUNT(*) FROM outbox WHERE auto = 1 AND rcpt = ? AND created_at >= ?`, rcpt, ms(t0)).Scan(&n)
	return n, err
}

// Suppress stops automatic mail to addr until the given time.
func (t *Tx) Suppress(addr string, until time.Time, reason string) error {
	_, err := t.exec(`INSERT INTO suppressions (addr, until, reason) VALUES (?,?,?)
		ON CONFLICT (addr) DO UPDATE SET until = MAX(until, excluded.until), reason = excluded.reason`, addr, ms(until), reason)
	return err
}

// Suppressed reports whether automatic mail to addr is stopped at now.
func (t *Tx) Suppressed(addr string, now time.Time) (bool, error) {
	var n int
	err := t.row(`SELECT COUNT(*) FROM suppressions WHERE addr = ? AND until > ?`, addr, ms(now)).Scan(&n)
	return n > 0, err
}
