package workflow

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"supportd/internal/clock"
	"supportd/store"
	"supportd/templates"
)

// realisticMessage is a ~4 KB customer mail: multipart/alternative with a
// quoted-printable text part, an HTML part, a quoted history and a signature.
func realisticMessage(i int) []byte {
	para := "I set up the donation form last week and it worked fine, but since yesterday's update the payment step " +
		"shows an error and the donor is sent back to the first page. I tried clearing the cache and another browser. "
	var b strings.Builder
	fmt.Fprintf(&b, "From: Customer %d <customer%d@example.org>\r\nTo: support@example.com\r\n", i, i%5000)
	fmt.Fprintf(&b, "Subject: Donation form error after update (%d)\r\nMessage-ID: <bench-%d@example.org>\r\n", i, i)
	b.WriteString("Date: Mon, 02 Mar 2026 08:00:00 +0000\r\nMIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\n")
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	b.WriteString("Hi team,\r\n\r\n")
	for j := 0; j < 4; j++ {
		b.WriteString(para + "=\r\n\r\n")
	}
	b.WriteString("Thanks,\r\nCustomer\r\n\r\nOn Sun, Mar 1, 2026 at 10:00 AM Support <support@example.com> wrote:\r\n> earlier text\r\n> more earlier text\r\n")
	b.WriteString("\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>")
	for j := 0; j < 4; j++ {
		b.WriteString("<p>" + para + "</p>")
	}
	b.WriteString("</body></html>\r\n--b1--\r\n")
	return []byte(b.String())
}

// seedTickets fills the store with n tickets quickly, in batches.
func seedTickets(b *testing.B, db *store.DB, n int) {
	ctx := context.Background()
	for done := 0; done < n; {
		err := db.Update(ctx, func(tx *store.Tx) error {
			for k := 0; k < 2000 && done < n; k++ {
				tk := &store.Ticket{Subject: "seed", CustomerAddr: fmt.Sprintf("seed%d@example.net", done), Status: store.StatusActive,
					CreatedAt: start, UpdatedAt: start}
				if err := tx.CreateTicket(tk); err != nil {
					return err
				}
				if err := tx.InsertMessage(&store.Message{TicketID: tk.ID, MessageID: fmt.Sprintf("seed-%d@example.net", done), Direction: "in",
					Date: start, CreatedAt: start, Raw: []byte("seed"), Mailbox: "Seed", UIDValidity: 1, UID: uint32(done + 1)}); err != nil {
					return err
				}
				done++
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIngest measures parse + classify + restate + thread + store (and
// the acknowledgement's compose and enqueue) of realistic 4 KB messages, with
// 1k and 100k tickets already stored: the cost per message must not grow with
// the store.
func BenchmarkIngest(b *testing.B) {
	for _, stored := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("stored=%d", stored), func(b *testing.B) {
			db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			seedTickets(b, db, stored)
			tmpl, _ := templates.Load("")
			e := NewEngine(db, clock.NewFake(start), tmpl, Config{SupportAddr: "support@example.com", SupportName: "Example Support",
				PlusAddressing: true, AutoReplyLimit: 1 << 30}, nil)
			msgs := make([][]byte, 1024)
			for i := range msgs {
				msgs[i] = realisticMessage(i)
			}
			b.SetBytes(int64(len(msgs[0])))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				raw := msgs[i%len(msgs)]
				if i >= len(msgs) {
					// Fresh Message-IDs so every iteration is a new ticket.
					raw = []byte(strings.Replace(string(raw), "<bench-", fmt.Sprintf("<bench-%d-", i), 1))
				}
				if _, err := e.Ingest(context.Background(), Source{Mailbox: "INBOX", UIDValidity: 1, UID: uint32(i + 1)}, raw); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
