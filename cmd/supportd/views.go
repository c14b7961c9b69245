package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"supportd/mail"
	"supportd/store"
	"supportd/workflow"
)

const ticketsHelp = `Lists tickets, newest first. --status filters by active, pending or closed.

--json prints an array of objects with the stable fields
  id, subject, customer, status, created_at, updated_at, messages
(times in RFC 3339, messages a count). Fields may be added, never removed.

The store is found through --config (its [store] path) or given with --store.`

const showHelp = `Shows one ticket: its fields, its conversation, its event log and its
pending timers. --json prints the ticket's fields plus
  "messages": [{message_id, direction, from, to, subject, date, text}]
  "events":   [{at, kind, actor, detail}]
  "timers":   [{kind, due_at}]`

const inspectHelp = `Reads one message file (RFC 5322, as saved by a mail client) and prints
what supportd sees in it: addresses, subject, threading headers, the text
body, attachments, the loop-protection class and the restatement the first
response would use. Nothing is stored. --json prints
  {message_id, from, to, cc, subject, date, in_reply_to, references, text,
   attachments: [{filename, content_type, size}], class, class_reason,
   restatement, reply_text, problems}`

// openStoreFromFlags opens the store named by --store, or by the config's
// [store] path.
func openStoreFromFlags(ctx context.Context, e *env, cfgPath, storePath string) (*store.DB, error) {
	if storePath == "" {
		cfg, err := loadConfig(cfgPath, e)
		if err != nil {
			return nil, err
		}
		storePath = cfg.Store.Path
	}
	if _, err := os.Stat(storePath); err != nil {
		return nil, fmt.Errorf("store %s: %w", storePath, err)
	}
	return store.Open(ctx, storePath, store.Options{})
}

type ticketJSON struct {
	ID        int64  `json:"id"`
	Subject   string `json:"subject"`
	Customer  string `json:"customer"`
	Status    string `json:"status"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
	Messages  int    `json:"messages"`
	// Fields beyond the stable set.
	CustomerName    string `json:"customer_name,omitempty"`
	Assignee        string `json:"assignee,omitempty"`
	Restatement     string `json:"restatement,omitempty"`
	FirstResponseAt string `json:"first_response_at,omitempty"`
	ClosedAt        string `json:"closed_at,omitempty"`
	Resolved        bool   `json:"resolved"`
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func toTicketJSON(t *store.Ticket) ticketJSON {
	return ticketJSON{
		ID: t.ID, Subject: t.Subject, Customer: t.CustomerAddr, Status: t.Status,
		CreatedAt: rfc3339(t.CreatedAt), UpdatedAt: rfc3339(t.UpdatedAt), Messages: t.Messages,
		CustomerName: t.CustomerName, Assignee: t.Assignee, Restatement: t.Restatement,
		FirstResponseAt: rfc3339(t.FirstResponseAt), ClosedAt: rfc3339(t.ClosedAt), Resolved: t.Resolved,
	}
}

func cmdTickets(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "tickets")
	cfgPath := fs.String("config", defaultConfigPath, "configuration file")
	storePath := fs.String("store", "", "SQLite store (instead of the config's)")
	status := fs.String("status", "", "only tickets with this status: active, pending or closed")
	asJSON := fs.Bool("json", false, "print JSON")
	limit := fs.Int("limit", 0, "at most this many tickets (0 = all)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	switch *status {
	case "", store.StatusActive, store.StatusPending, store.StatusClosed:
	default:
		return usagef("--status must be active, pending or closed, not %q", *status)
	}
	db, err := openStoreFromFlags(ctx, e, *cfgPath, *storePath)
	if err != nil {
		return err
	}
	defer db.Close()
	var list []*store.Ticket
	if err := db.View(ctx, func(tx *store.Tx) error {
		list, err = tx.ListTickets(*status, *limit)
		return err
	}); err != nil {
		return err
	}
	if *asJSON {
		out := make([]ticketJSON, 0, len(list))
		for _, t := range list {
			out = append(out, toTicketJSON(t))
		}
		return writeJSON(e.stdout, out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tSTATUS\tUPDATED\tMSGS\tCUSTOMER\tSUBJECT")
	for _, t := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\n", t.ID, t.Status, t.UpdatedAt.Local().Format("2006-01-02 15:04"), t.Messages, t.CustomerAddr, clip(t.Subject, 60))
	}
	return tw.Flush()
}

type messageJSON struct {
	MessageID string `json:"message_id"`
	Direction string `json:"direction"`
	From      string `json:"from"`
	To        string `json:"to"`
	Subject   string `json:"subject"`
	Date      string `json:"date"`
	Text      string `json:"text"`
	Class     string `json:"class,omitempty"`
}

type eventJSON struct {
	At     string `json:"at"`
	Kind   string `json:"kind"`
	Actor  string `json:"actor,omitempty"`
	Detail string `json:"detail"`
}

type timerJSON struct {
	Kind  string `json:"kind"`
	DueAt string `json:"due_at"`
}

type showJSON struct {
	ticketJSON
	MessageList []messageJSON `json:"messages"`
	Events      []eventJSON   `json:"events"`
	Timers      []timerJSON   `json:"timers"`
}

func cmdShow(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "show")
	cfgPath := fs.String("config", defaultConfigPath, "configuration file")
	storePath := fs.String("store", "", "SQLite store (instead of the config's)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("show takes one ticket number")
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(pos[0], "#"), 10, 64)
	if err != nil || id <= 0 {
		return usagef("ticket number %q is not a positive number", pos[0])
	}
	db, err := openStoreFromFlags(ctx, e, *cfgPath, *storePath)
	if err != nil {
		return err
	}
	defer db.Close()
	var (
		t      *store.Ticket
		msgs   []*store.Message
		events []store.Event
		timers []*store.Timer
	)
	if err := db.View(ctx, func(tx *store.Tx) error {
		var err error
		if t, err = tx.Ticket(id); err != nil {
			return err
		}
		if msgs, err = tx.Messages(id); err != nil {
			return err
		}
		if events, err = tx.Events(id); err != nil {
			return err
		}
		timers, err = tx.PendingTimers(id, 0)
		return err
	}); err != nil {
		return err
	}
	if *asJSON {
		out := showJSON{ticketJSON: toTicketJSON(t), MessageList: []messageJSON{}, Events: []eventJSON{}, Timers: []timerJSON{}}
		for _, m := range msgs {
			from := m.FromAddr
			if m.FromName != "" {
				from = mail.Address{Name: m.FromName, Addr: m.FromAddr}.String()
			}
			out.MessageList = append(out.MessageList, messageJSON{m.MessageID, m.Direction, from, m.To, m.Subject, rfc3339(m.Date), m.Text, m.Class})
		}
		for _, ev := range events {
			out.Events = append(out.Events, eventJSON{rfc3339(ev.At), ev.Kind, ev.Actor, ev.Detail})
		}
		for _, tm := range timers {
			out.Timers = append(out.Timers, timerJSON{tm.Kind, rfc3339(tm.DueAt)})
		}
		return writeJSON(e.stdout, out)
	}
	w := e.stdout
	fmt.Fprintf(w, "Ticket #%d  %s\n", t.ID, t.Subject)
	fmt.Fprintf(w, "Status:    %s\n", t.Status)
	fmt.Fprintf(w, "Customer:  %s\n", mail.Address{Name: t.CustomerName, Addr: t.CustomerAddr})
	if t.Assignee != "" {
		fmt.Fprintf(w, "Assignee:  %s\n", t.Assignee)
	}
	fmt.Fprintf(w, "Created:   %s\n", t.CreatedAt.Local().Format(time.RFC1123))
	if t.Restatement != "" {
		fmt.Fprintf(w, "Restated:  It sounds like %s.\n", t.Restatement)
	}
	for _, m := range msgs {
		arrow := "<-"
		if m.Direction == "out" {
			arrow = "->"
		}
		fmt.Fprintf(w, "\n%s %s  %s  %s\n", arrow, m.Date.Local().Format("2006-01-02 15:04"), m.FromAddr, m.Subject)
		for _, line := range strings.Split(strings.TrimSpace(clip(m.Text, 2000)), "\n") {
			fmt.Fprintf(w, "   %s\n", line)
		}
	}
	fmt.Fprintf(w, "\nEvents:\n")
	for _, ev := range events {
		fmt.Fprintf(w, "  %s  %-22s %s %s\n", ev.At.Local().Format("2006-01-02 15:04:05"), ev.Kind, ev.Actor, ev.Detail)
	}
	if len(timers) > 0 {
		fmt.Fprintf(w, "\nPending timers:\n")
		for _, tm := range timers {
			fmt.Fprintf(w, "  %s  %s\n", tm.DueAt.Local().Format("2006-01-02 15:04"), tm.Kind)
		}
	}
	return nil
}

type attachmentJSON struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

type inspectJSON struct {
	MessageID   string           `json:"message_id"`
	From        string           `json:"from"`
	To          []string         `json:"to"`
	Cc          []string         `json:"cc"`
	Subject     string           `json:"subject"`
	Date        string           `json:"date"`
	InReplyTo   []string         `json:"in_reply_to"`
	References  []string         `json:"references"`
	Text        string           `json:"text"`
	Attachments []attachmentJSON `json:"attachments"`
	Class       string           `json:"class"`
	ClassReason string           `json:"class_reason"`
	Restatement string           `json:"restatement"`
	ReplyText   string           `json:"reply_text"`
	Problems    []string         `json:"problems"`
}

func addrStrings(as []mail.Address) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, a.String())
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func cmdInspect(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "inspect")
	asJSON := fs.Bool("json", false, "print JSON")
	self := fs.String("support", "", "our support address, to recognise our own mail")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("inspect takes one message file (or - for standard input)")
	}
	var raw []byte
	if pos[0] == "-" {
		raw, err = io.ReadAll(os.Stdin)
	} else {
		raw, err = os.ReadFile(pos[0])
	}
	if err != nil {
		return err
	}
	var selfAddrs []string
	if *self != "" {
		selfAddrs = []string{*self}
	}
	a := workflow.Analyze(raw, selfAddrs)
	m := a.Msg
	out := inspectJSON{
		MessageID: m.MessageID, From: m.From.String(), To: addrStrings(m.To), Cc: addrStrings(m.Cc),
		Subject: m.Subject, Date: rfc3339(m.Date), InReplyTo: nonNil(m.InReplyTo), References: nonNil(m.References),
		Text: m.Text, Attachments: []attachmentJSON{}, Class: string(a.Class), ClassReason: a.ClassReason,
		Restatement: a.Restatement, ReplyText: a.ReplyText, Problems: nonNil(m.Problems),
	}
	for _, at := range m.Attachments {
		out.Attachments = append(out.Attachments, attachmentJSON{at.Filename, at.ContentType, at.Size})
	}
	if *asJSON {
		return writeJSON(e.stdout, out)
	}
	w := e.stdout
	fmt.Fprintf(w, "Message-ID:  %s\nFrom:        %s\nTo:          %s\n", out.MessageID, out.From, strings.Join(out.To, ", "))
	if len(out.Cc) > 0 {
		fmt.Fprintf(w, "Cc:          %s\n", strings.Join(out.Cc, ", "))
	}
	fmt.Fprintf(w, "Subject:     %s\nDate:        %s\n", out.Subject, out.Date)
	if len(out.InReplyTo) > 0 {
		fmt.Fprintf(w, "In-Reply-To: %s\n", strings.Join(out.InReplyTo, " "))
	}
	if len(out.References) > 0 {
		fmt.Fprintf(w, "References:  %s\n", strings.Join(out.References, " "))
	}
	fmt.Fprintf(w, "Class:       %s (%s)\n", out.Class, out.ClassReason)
	fmt.Fprintf(w, "Restatement: It sounds like %s.\n", out.Restatement)
	for _, at := range out.Attachments {
		fmt.Fprintf(w, "Attachment:  %s (%s, %d bytes)\n", at.Filename, at.ContentType, at.Size)
	}
	for _, p := range out.Problems {
		fmt.Fprintf(w, "Problem:     %s\n", p)
	}
	fmt.Fprintf(w, "\n--- reply text ---\n%s\n", out.ReplyText)
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func clip(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

const timersHelp = `Lists the next pending timers (follow-ups, auto-closes, SLA warnings,
reminders), earliest first. --json prints [{ticket, kind, due_at}].`

func cmdTimers(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "timers")
	cfgPath := fs.String("config", defaultConfigPath, "configuration file")
	storePath := fs.String("store", "", "SQLite store (instead of the config's)")
	asJSON := fs.Bool("json", false, "print JSON")
	limit := fs.Int("limit", 50, "at most this many timers")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	db, err := openStoreFromFlags(ctx, e, *cfgPath, *storePath)
	if err != nil {
		return err
	}
	defer db.Close()
	var list []*store.Timer
	if err := db.View(ctx, func(tx *store.Tx) error {
		list, err = tx.PendingTimers(0, *limit)
		return err
	}); err != nil {
		return err
	}
	if *asJSON {
		type timer struct {
			Ticket int64  `json:"ticket"`
			Kind   string `json:"kind"`
			DueAt  string `json:"due_at"`
		}
		out := []timer{}
		for _, t := range list {
			out = append(out, timer{t.TicketID, t.Kind, rfc3339(t.DueAt)})
		}
		return writeJSON(e.stdout, out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DUE\tTICKET\tKIND")
	for _, t := range list {
		fmt.Fprintf(tw, "%s\t#%d\t%s\n", t.DueAt.Local().Format("2006-01-02 15:04"), t.TicketID, t.Kind)
	}
	return tw.Flush()
}
