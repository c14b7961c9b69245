package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "s.db"), Options{MaxRawSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newTicket(t *testing.T, tx *Tx) *Ticket {
	t.Helper()
	tk := &Ticket{Subject: "Login broken", CustomerAddr: "jane@example.org", Status: StatusActive, CreatedAt: t0, UpdatedAt: t0}
	if err := tx.CreateTicket(tk); err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestMigrationsAreIdempotentAndVersioned(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	for i := 0; i < 2; i++ {
		db, err := Open(context.Background(), path, Options{})
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		v, err := db.SchemaVersion(context.Background())
		if err != nil || v < 1 {
			t.Fatalf("schema version = %d, %v", v, err)
		}
		db.Close()
	}
}

func TestPathsWithURICharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "odd #1 ?x %20")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "s.db")
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not created at the given path: %v", err)
	}
}

func TestMessageRoundTripCompressedAndTruncated(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	small := []byte("Subject: hi\r\n\r\nhello\r\n")
	big := []byte(strings.Repeat("x", 5000))
	var ids []int64
	err := db.Update(ctx, func(tx *Tx) error {
		tk := newTicket(t, tx)
		for i, raw := range [][]byte{small, big} {
			m := &Message{TicketID: tk.ID, MessageID: []string{"a@x", "b@x"}[i], Direction: "in", Date: t0, Raw: raw, CreatedAt: t0,
				Mailbox: "INBOX", UIDValidity: 7, UID: uint32(i + 1)}
			if err := tx.InsertMessage(m); err != nil {
				return err
			}
			ids = append(ids, m.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.View(ctx, func(tx *Tx) error {
		got, err := tx.RawMessage(ids[0])
		if err != nil || string(got) != string(small) {
			t.Errorf("raw round trip = %q, %v", got, err)
		}
		got, _ = tx.RawMessage(ids[1])
		if len(got) != 1024 {
			t.Errorf("truncated raw length = %d, want 1024", len(got))
		}
		msgs, _ := tx.Messages(1)
		if len(msgs) != 2 || !msgs[1].Truncated || msgs[1].RawSize != 5000 {
			t.Errorf("messages = %+v", msgs)
		}
		seen, _ := tx.MessageSeen("INBOX", 7, 2)
		if !seen {
			t.Error("MessageSeen(INBOX,7,2) = false")
		}
		return nil
	})
}

func TestDuplicateMessageIDIsRefused(t *testing.T) {
	db := openTest(t)
	err := db.Update(context.Background(), func(tx *Tx) error {
		tk := newTicket(t, tx)
		m := &Message{TicketID: tk.ID, MessageID: "same@x", Direction: "in", Date: t0, CreatedAt: t0}
		if err := tx.InsertMessage(m); err != nil {
			return err
		}
		m2 := *m
		return tx.InsertMessage(&m2)
	})
	if !errors.Is(err, ErrDuplicate) {
		t.Fatalf("second insert: %v, want ErrDuplicate", err)
	}
}

func TestEventsAreAppendOnly(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	db.Update(ctx, func(tx *Tx) error {
		tk := newTicket(t, tx)
		return tx.AddEvent(tk.ID, t0, "created", "jane@example.org", "")
	})
	err := db.Update(ctx, func(tx *Tx) error {
		_, err := tx.exec(`UPDATE events SET detail = 'rewritten'`)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("update of an event: %v, want append-only refusal", err)
	}
}

func TestCheckpointOnlyMovesForwardUnderOneUIDValidity(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	steps := []struct {
		uv, uid uint32
		want    Checkpoint
	}{
		{5, 10, Checkpoint{5, 10}},
		{5, 7, Checkpoint{5, 10}},
		{5, 11, Checkpoint{5, 11}},
		{6, 2, Checkpoint{6, 2}},
	}
	for _, s := range steps {
		var got Checkpoint
		db.Update(ctx, func(tx *Tx) error {
			if err := tx.AdvanceCheckpoint("INBOX", s.uv, s.uid); err != nil {
				t.Fatal(err)
			}
			got, _ = tx.Checkpoint("INBOX")
			return nil
		})
		if got != s.want {
			t.Errorf("after (%d,%d): %+v, want %+v", s.uv, s.uid, got, s.want)
		}
	}
}

func TestOutboxLifecycle(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	var id int64
	db.Update(ctx, func(tx *Tx) error {
		tk := newTicket(t, tx)
		o := &Outbound{TicketID: tk.ID, MessageID: "m1@support", Kind: "ack", EnvFrom: "s@x", Rcpt: "jane@example.org", Auto: true,
			Raw: []byte("x"), CreatedAt: t0, GiveUpAt: t0.Add(time.Hour)}
		if err := tx.Enqueue(o); err != nil {
			t.Fatal(err)
		}
		id = o.ID
		return nil
	})
	db.Update(ctx, func(tx *Tx) error {
		due, _ := tx.DueOutbound(t0, 10)
		if len(due) != 1 {
			t.Fatalf("due = %d, want 1", len(due))
		}
		n, _ := tx.AutoMailSince("jane@example.org", t0.Add(-time.Hour))
		if n != 1 {
			t.Errorf("AutoMailSince = %d, want 1", n)
		}
		return tx.RecordAttempt(id, "421 try later", t0.Add(time.Minute))
	})
	db.Update(ctx, func(tx *Tx) error {
		if due, _ := tx.DueOutbound(t0, 10); len(due) != 0 {
			t.Errorf("retried mail due before its time")
		}
		next, ok, _ := tx.NextOutboundDue()
		if !ok || !next.Equal(t0.Add(time.Minute)) {
			t.Errorf("next due = %v %v", next, ok)
		}
		return tx.MarkSent(id, t0.Add(time.Minute))
	})
	db.View(ctx, func(tx *Tx) error {
		o, _ := tx.Outbound(id)
		if o.Status != OutboxSent || o.Attempts != 2 {
			t.Errorf("after send: %+v", o)
		}
		return nil
	})
}

func TestTimersFireOnceAndCancel(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	var a, b Timer
	db.Update(ctx, func(tx *Tx) error {
		tk := newTicket(t, tx)
		a = Timer{TicketID: tk.ID, Kind: "followup", DueAt: t0.Add(time.Hour), CreatedAt: t0}
		b = Timer{TicketID: tk.ID, Kind: "close", DueAt: t0.Add(2 * time.Hour), CreatedAt: t0}
		tx.AddTimer(&a)
		return tx.AddTimer(&b)
	})
	db.Update(ctx, func(tx *Tx) error {
		due, _ := tx.DueTimers(t0.Add(90*time.Minute), 10)
		if len(due) != 1 || due[0].ID != a.ID {
			t.Fatalf("due = %+v", due)
		}
		if ok, _ := tx.MarkFired(a.ID, t0); !ok {
			t.Error("first MarkFired = false")
		}
		if ok, _ := tx.MarkFired(a.ID, t0); ok {
			t.Error("second MarkFired = true: a timer fired twice")
		}
		if n, _ := tx.CancelTimers(a.TicketID, t0, "close"); n != 1 {
			t.Errorf("cancelled %d, want 1", n)
		}
		if ok, _ := tx.MarkFired(b.ID, t0); ok {
			t.Error("cancelled timer fired")
		}
		return nil
	})
}

func TestSuppression(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	db.Update(ctx, func(tx *Tx) error { return tx.Suppress("x@y", t0.Add(time.Hour), "bounce") })
	db.View(ctx, func(tx *Tx) error {
		if s, _ := tx.Suppressed("x@y", t0); !s {
			t.Error("not suppressed within the window")
		}
		if s, _ := tx.Suppressed("x@y", t0.Add(2*time.Hour)); s {
			t.Error("still suppressed after the window")
		}
		return nil
	})
}
