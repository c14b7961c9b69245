package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"supportd/internal/clock"
	"supportd/store"
	"supportd/templates"
	"supportd/workflow"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := realMain(context.Background(), args, &env{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }})
	return code, out.String(), errOut.String()
}

func TestBadConfigExitsTwoWithFileAndLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "supportd.toml")
	os.WriteFile(path, []byte("[support]\naddress = \"support@example.com\"\n[imap]\npoll_interval = \"3x\"\n"), 0o600)
	for _, cmd := range []string{"run", "check"} {
		code, _, stderr := run(t, cmd, "--config", path)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2", cmd, code)
		}
		if !strings.Contains(stderr, path+":4: imap.poll_interval:") {
			t.Errorf("%s: stderr lacks file:line:key:\n%s", cmd, stderr)
		}
	}
	if code, _, _ := run(t, "nosuchcommand"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
}

// seed makes a store with one acknowledged ticket and a reply.
func seed(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tmpl, _ := templates.Load("")
	e := workflow.NewEngine(db, clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)), tmpl,
		workflow.Config{SupportAddr: "support@example.com", SupportName: "Example Support"}, nil)
	for i, raw := range []string{
		"From: Jane <jane@example.org>\r\nSubject: Login broken\r\nMessage-ID: <a@x>\r\n\r\nI can't log in to my account.\r\n",
		"From: Jane <jane@example.org>\r\nSubject: Re: Login broken\r\nMessage-ID: <b@x>\r\nIn-Reply-To: <a@x>\r\n\r\nStill broken.\r\n",
	} {
		if _, err := e.Ingest(context.Background(), workflow.Source{Mailbox: "INBOX", UIDValidity: 1, UID: uint32(i + 1)}, []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func hasKeys(t *testing.T, what string, m map[string]any, want ...string) {
	t.Helper()
	for _, k := range want {
		if _, ok := m[k]; !ok {
			t.Errorf("%s lacks %q (has %v)", what, k, keys(m))
		}
	}
}

func TestTicketsAndShowJSONShapes(t *testing.T) {
	path := seed(t)
	code, out, stderr := run(t, "tickets", "--store", path, "--json")
	if code != 0 {
		t.Fatalf("tickets: %d %s", code, stderr)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 {
		t.Fatalf("tickets --json = %s (%v)", out, err)
	}
	hasKeys(t, "ticket", list[0], "id", "subject", "customer", "status", "created_at", "updated_at", "messages")
	if list[0]["messages"] != float64(3) || list[0]["status"] != "active" || list[0]["created_at"] != "2026-03-02T09:00:00Z" {
		t.Errorf("ticket = %v", list[0])
	}
	code, out, stderr = run(t, "show", "1", "--store", path, "--json")
	if code != 0 {
		t.Fatalf("show: %d %s", code, stderr)
	}
	var show map[string]any
	if err := json.Unmarshal([]byte(out), &show); err != nil {
		t.Fatal(err)
	}
	hasKeys(t, "show", show, "id", "subject", "customer", "status", "created_at", "updated_at", "messages", "events")
	msgs, _ := show["messages"].([]any)
	if len(msgs) != 3 {
		t.Fatalf("show messages = %v", show["messages"])
	}
	hasKeys(t, "message", msgs[0].(map[string]any), "message_id", "direction", "from", "to", "subject", "date", "text")
	evs, _ := show["events"].([]any)
	if len(evs) == 0 {
		t.Fatal("no events")
	}
	hasKeys(t, "event", evs[0].(map[string]any), "at", "kind", "detail")
	if code, _, _ := run(t, "show", "99", "--store", path); code != 1 {
		t.Errorf("show of a missing ticket: exit %d, want 1", code)
	}
}

func TestInspectJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.eml")
	os.WriteFile(path, []byte("From: Jane Doe <jane@example.org>\r\nTo: support@example.com\r\nSubject: Refund\r\nMessage-ID: <r@x>\r\n"+
		"Auto-Submitted: auto-replied\r\n\r\nI am out of the office.\r\n"), 0o600)
	code, out, stderr := run(t, "inspect", "--json", path)
	if code != 0 {
		t.Fatalf("inspect: %d %s", code, stderr)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	hasKeys(t, "inspect", m, "message_id", "from", "to", "cc", "subject", "date", "in_reply_to", "references", "text", "attachments",
		"class", "class_reason", "restatement", "reply_text")
	if m["class"] != "auto_reply" || m["message_id"] != "r@x" {
		t.Errorf("inspect = %v", m)
	}
}
