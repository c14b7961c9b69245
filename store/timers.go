package store

import (
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Timer is a durable due time: a row set in the same transaction as the
// decision that causes it, so a restart loses none.
type Timer struct {
	ID          int64
	TicketID    int64
	Kind        string
	DueAt       time.Time
	CreatedAt   time.Time
	FiredAt     time.Time
	CancelledAt time.Time
	Payload     string
}

// AddTimer inserts a timer and sets its ID.
func (t *Tx) AddTimer(tm *Timer) error {
	var ticket any
	if tm.TicketID != 0 {
		ticket = tm.TicketID
	}
	res, err := t.exec(`INSERT INTO timers (ticket_id, kind, due_at, created_at, payload) VALUES (?,?,?,?,?)`,
		ticket, tm.Kind, ms(tm.DueAt), ms(tm.CreatedAt), tm.Payload)
	if err != nil {
		return fmt.Errorf("add timer %s: %w", tm.Kind, err)
	}
	tm.ID, err = res.LastInsertId()
	return err
}

// CancelTimers cancels a ticket's pending timers of the given kinds (all
// kinds when none are given) and returns how many it cancelled.
func (t *Tx) CancelTimers(ticketID int64, at time.Time, kinds ...string) (int, error) {
	q := `UPDATE timers SET cancelled_at = ? WHERE ticket_id = ? AND fired_at IS NULL AND cancelled_at IS NULL`
	args := []any{ms(at), ticketID}
	if len(kinds) > 0 {
		q += ` AND kind IN (?` + strings.Repeat(",?", len(kinds)-1) + `)`
		for _, k := range kinds {
			args = append(args, k)
		}
	}
	res, err := t.exec(q, args...)
	if err != nil {
		return 0, fmt.Errorf("cancel timers of ticket %d: %w", ticketID, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

const timerCols = `id, COALESCE(ticket_id,0), kind, due_at, created_at, fired_at, cancelled_at, payload`

func scanTimer(sc interface{ Scan(...any) error }) (*Timer, error) {
	var tm Timer
	var due, created int64
	var fired, cancelled sql.NullInt64
	if err := sc.Scan(&tm.ID, &tm.TicketID, &tm.Kind, &due, &created, &fired, &cancelled, &tm.Payload); err != nil {
		return nil, err
	}
	tm.DueAt, tm.CreatedAt = fromMS(due), fromMS(created)
	tm.FiredAt, tm.CancelledAt = fromNullMS(fired), fromNullMS(cancelled)
	return &tm, nil
}

func (t *Tx) timers(q string, args ...any) ([]*Timer, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Timer
	for rows.Next() {
		tm, err := scanTimer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, tm)
	}
	return out, rows.Err()
}

// DueTimers returns up to limit pending timers due at now, earliest first.
func (t *Tx) DueTimers(now time.Time, limit int) ([]*Timer, error) {
	return t.timers(`SELECT `+timerCols+` FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?`, ms(now), limit)
}

// PendingTimers returns pending timers, earliest first: a ticket's when
// ticketID is non-zero, else the next limit of all.
func (t *Tx) PendingTimers(ticketID int64, limit int) ([]*Timer, error) {
	if ticketID != 0 {
		return t.timers(`SELECT `+timerCols+` FROM timers WHERE ticket_id = ? AND fired_at IS NULL AND cancelled_at IS NULL ORDER BY due_at, id`, ticketID)
	}
	return t.timers(`SELECT `+timerCols+` FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL ORDER BY due_at, id LIMIT ?`, limit)
}

// NextTimerDue returns the earliest pending due time.
func (t *Tx) NextTimerDue() (time.Time, bool, error) {
	var v sql.NullInt64
	if err := t.row(`SELECT MIN(due_at) FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL`).Scan(&v); err != nil {
		return time.Time{}, false, err
	}
	return fromNullMS(v), v.Valid, nil
}

// MarkFired records that a timer fired; it reports false when the timer had
// already fired or been cancelled, so a timer's work is done once.
func (t *Tx) MarkFired(id int64, at time.Time) (bool, error) {
	res, err := t.exec(`UPDATE timers SET fired_at = ? WHERE id = ? AND fired_at IS NULL AND cancelled_at IS NULL`, ms(at), id)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
