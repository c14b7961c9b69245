//go:build e2e

// Package e2e runs the built supportd binary against a real mail stack:
// Dovecot (IMAP, LMTP) and Postfix from Debian on 127.0.0.1, started by
// run.sh, which passes ports and paths in E2E_* variables. Customers write
// with swaks; every assertion is on what lands in real IMAP mailboxes or on
// supportd's own --json output.
//
// Run it with `make e2e`; `go test -tags e2e ./test/e2e/` alone has no
// stack to talk to and fails at once saying so.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/mail"
)

// stack is the mail stack run.sh started.
type stack struct {
	bin, root, dir               string
	imapPort, lmtpPort, smtpPort int
	dovecotConf, dovecotLog      string
	postfixDir, maillog          string
	supportPassFile, userPass    string
	customers                    int
	pidfile                      string
	runID                        string // makes Message-IDs unique per run
	supportPass                  string
	mu                           sync.Mutex
	instances                    int
}

var theStack *stack

func getStack(t *testing.T) *stack {
	t.Helper()
	if theStack == nil {
		t.Fatal("no mail stack: run the suite with `make e2e` (test/e2e/run.sh), which starts Dovecot and Postfix and sets E2E_*")
	}
	return theStack
}

func loadStack() (*stack, error) {
	get := func(k string) (string, error) {
		v := os.Getenv(k)
		if v == "" {
			return "", fmt.Errorf("%s is not set", k)
		}
		return v, nil
	}
	num := func(k string) (int, error) {
		v, err := get(k)
		if err != nil {
			return 0, err
		}
		return strconv.Atoi(v)
	}
	s := &stack{runID: strconv.FormatInt(time.Now().UnixNano(), 36)}
	var errs []error
	for _, f := range []struct {
		p *string
		k string
	}{
		{&s.bin, "E2E_BIN"}, {&s.root, "E2E_ROOT"}, {&s.dir, "E2E_DIR"},
		{&s.dovecotConf, "E2E_DOVECOT_CONF"}, {&s.dovecotLog, "E2E_DOVECOT_LOG"},
		{&s.postfixDir, "E2E_POSTFIX_DIR"}, {&s.maillog, "E2E_MAILLOG"},
		{&s.supportPassFile, "E2E_SUPPORT_PASSWORD_FILE"}, {&s.userPass, "E2E_USER_PASSWORD"},
		{&s.pidfile, "E2E_PIDFILE"},
	} {
		var err error
		*f.p, err = get(f.k)
		errs = append(errs, err)
	}
	for _, f := range []struct {
		p *int
		k string
	}{{&s.imapPort, "E2E_IMAP_PORT"}, {&s.lmtpPort, "E2E_LMTP_PORT"}, {&s.smtpPort, "E2E_SMTP_PORT"}, {&s.customers, "E2E_CUSTOMERS"}} {
		var err error
		*f.p, err = num(f.k)
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	pw, err := os.ReadFile(s.supportPassFile)
	if err != nil {
		return nil, err
	}
	s.supportPass = strings.TrimSpace(string(pw))
	return s, nil
}

// ---------------------------------------------------------------- summary

type result struct {
	name   string
	passed bool
	took   time.Duration
}

var (
	resultsMu sync.Mutex
	results   []result
	notes     []string
)

// note records something the summary should repeat (e.g. a fallback taken).
func note(s string) {
	resultsMu.Lock()
	notes = append(notes, s)
	resultsMu.Unlock()
	fmt.Println("NOTE: " + s)
}

// scenario runs fn as a subtest and records a summary line for it. On
// failure it dumps the logs that explain most failures.
func scenario(t *testing.T, name string, fn func(t *testing.T)) bool {
	start := time.Now()
	ran := false
	ok := t.Run(name, func(t *testing.T) {
		ran = true
		t.Cleanup(func() {
			if t.Failed() && theStack != nil {
				theStack.dumpLogs(t)
			}
		})
		fn(t)
	})
	if ran { // not filtered out by -run
		resultsMu.Lock()
		results = append(results, result{name, ok, time.Since(start)})
		resultsMu.Unlock()
	}
	return ok
}

func TestMain(m *testing.M) {
	s, err := loadStack()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
	} else {
		theStack = s
	}
	code := m.Run()
	resultsMu.Lock()
	fmt.Println("\n=== e2e summary")
	for _, r := range results {
		status := "PASS"
		if !r.passed {
			status = "FAIL"
		}
		fmt.Printf("SUMMARY %-4s %-34s %6.1fs\n", status, r.name, r.took.Seconds())
	}
	for _, n := range notes {
		fmt.Printf("NOTE    %s\n", n)
	}
	resultsMu.Unlock()
	os.Exit(code)
}

// dumpLogs prints the tails of supportd's newest log, Postfix's maillog and
// Dovecot's log.
func (s *stack) dumpLogs(t *testing.T) {
	logs, _ := filepath.Glob(filepath.Join(s.dir, "supportd-*.log"))
	if n := len(logs); n > 0 {
		newest := logs[0]
		for _, l := range logs {
			if fi, err := os.Stat(l); err == nil {
				if fn, err := os.Stat(newest); err == nil && fi.ModTime().After(fn.ModTime()) {
					newest = l
				}
			}
		}
		t.Logf("--- tail of %s:\n%s", newest, tail(newest, 40))
	}
	t.Logf("--- tail of %s:\n%s", s.maillog, tail(s.maillog, 25))
	t.Logf("--- tail of %s:\n%s", s.dovecotLog, tail(s.dovecotLog, 15))
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// eventually calls cond until it returns true or timeout passes; it returns
// how long that took and whether cond became true. cond's last error is
// reported by the caller through lastErr.
func eventually(timeout, every time.Duration, cond func() (bool, error)) (time.Duration, error) {
	start := time.Now()
	var last error
	for {
		ok, err := cond()
		if ok {
			return time.Since(start), nil
		}
		last = err
		if time.Since(start) > timeout {
			if last == nil {
				last = errors.New("condition not met")
			}
			return time.Since(start), fmt.Errorf("after %v: %w", timeout, last)
		}
		time.Sleep(every)
	}
}

// ---------------------------------------------------------------- daemons

// run runs a command to completion and returns its combined output. The
// output goes through a file, not a pipe: `dovecot` and `postfix start`
// leave daemons behind that inherit it, and a pipe would keep Wait waiting
// for them.
func run(t *testing.T, timeout time.Duration, name string, args ...string) (string, error) {
	t.Helper()
	f, err := os.CreateTemp("", "e2e-out-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = f, f
	err = cmd.Run()
	out, _ := os.ReadFile(f.Name())
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

func listening(port int) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func (s *stack) waitPort(t *testing.T, port int, up bool, what string) {
	t.Helper()
	if _, err := eventually(30*time.Second, 100*time.Millisecond, func() (bool, error) {
		return listening(port) == up, nil
	}); err != nil {
		t.Fatalf("%s: port %d still %v: %v", what, port, map[bool]string{true: "closed", false: "open"}[up], err)
	}
}

func (s *stack) stopDovecot(t *testing.T) {
	t.Helper()
	if _, err := run(t, 30*time.Second, "doveadm", "-c", s.dovecotConf, "stop"); err != nil {
		t.Fatal(err)
	}
	s.waitPort(t, s.imapPort, false, "dovecot stop")
	s.waitPort(t, s.lmtpPort, false, "dovecot stop")
}

func (s *stack) startDovecot(t *testing.T) {
	t.Helper()
	if _, err := run(t, 30*time.Second, "dovecot", "-c", s.dovecotConf); err != nil {
		t.Fatal(err)
	}
	s.waitPort(t, s.imapPort, true, "dovecot start")
	s.waitPort(t, s.lmtpPort, true, "dovecot start")
}

func (s *stack) postfix(t *testing.T, verb string) {
	t.Helper()
	if _, err := run(t, 60*time.Second, "postfix", "-c", s.postfixDir, verb); err != nil {
		t.Fatal(err)
	}
	switch verb {
	case "stop":
		s.waitPort(t, s.smtpPort, false, "postfix stop")
	case "start":
		s.waitPort(t, s.smtpPort, true, "postfix start")
	}
}

// logOffset and logSince let a scenario look only at log lines written
// after a point.
func logOffset(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func logSince(path string, off int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(f)
	return string(b)
}

func grepLines(text, substr string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return out
}

// ---------------------------------------------------------------- mail in

// outMsg is a mail a test user sends.
type outMsg struct {
	from, fromName, to string
	subject, msgID     string
	headers            []string // extra "Name: value" lines
	body               string
}

// send submits m with swaks, over SMTP to Postfix (the normal path) or,
// with lmtp, straight into Dovecot over LMTP (for when Postfix is down).
func (s *stack) send(t *testing.T, m outMsg, lmtp bool) {
	t.Helper()
	if err := s.trySend(m, lmtp); err != nil {
		t.Fatal(err)
	}
}

func (s *stack) trySend(m outMsg, lmtp bool) error {
	port := s.smtpPort
	args := []string{"--server", "127.0.0.1", "--port", strconv.Itoa(port)}
	if lmtp {
		args = []string{"--server", "127.0.0.1", "--port", strconv.Itoa(s.lmtpPort), "--protocol", "LMTP"}
	}
	from := m.from
	if m.fromName != "" {
		from = fmt.Sprintf("%q <%s>", m.fromName, m.from)
	}
	args = append(args,
		"--from", m.from, "--to", m.to,
		"--header", "From: "+from,
		"--header", "Subject: "+m.subject,
		"--header", "Message-Id: <"+m.msgID+">",
		"--timeout", "20", "--silent", "2", "--body", "-")
	for _, h := range m.headers {
		args = append(args, "--add-header", h)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "swaks", args...)
	cmd.Stdin = strings.NewReader(m.body)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("swaks %s → %s: %w: %s", m.from, m.to, err, bytes.TrimSpace(out))
	}
	return nil
}

// ---------------------------------------------------------------- mail out

// gotMsg is one message read from an IMAP mailbox.
type gotMsg struct {
	raw    []byte
	header mail.Header
	text   string // the text/plain part, decoded
}

func (g *gotMsg) get(k string) string { return g.header.Get(k) }

// inReplyTo is the raw In-Reply-To field, brackets included.
func (g *gotMsg) inReplyTo() string { return strings.TrimSpace(g.get("In-Reply-To")) }

func parseMsg(raw []byte) (*gotMsg, error) {
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	g := &gotMsg{raw: raw, header: r.Header}
	for {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return g, err
		}
		if h, ok := p.Header.(*mail.InlineHeader); ok {
			ct, _, _ := h.ContentType()
			b, err := io.ReadAll(p.Body)
			if err != nil {
				return g, err
			}
			if ct == "text/plain" && g.text == "" {
				g.text = string(b)
			}
		}
	}
	return g, nil
}

// imapDial logs in as user. starttls chooses STARTTLS over a plain session.
func (s *stack) imapDial(user, pass string, starttls bool) (*imapclient.Client, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(s.imapPort))
	opts := &imapclient.Options{
		TLSConfig: &tls.Config{InsecureSkipVerify: true}, // the suite's self-signed certificate
		Dialer:    &net.Dialer{Timeout: 10 * time.Second},
	}
	var c *imapclient.Client
	var err error
	if starttls {
		c, err = imapclient.DialStartTLS(addr, opts)
	} else {
		c, err = imapclient.DialInsecure(addr, opts)
	}
	if err != nil {
		return nil, err
	}
	if err := c.Login(user, pass).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("login %s: %w", user, err)
	}
	return c, nil
}

// mailbox reads every message in user's INBOX without setting \Seen.
func (s *stack) mailbox(user string) ([]*gotMsg, error) {
	pass := s.userPass
	if strings.HasPrefix(user, "support@") {
		pass = s.supportPass
	}
	c, err := s.imapDial(user, pass, true)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	defer c.Logout()
	sel, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, fmt.Errorf("select %s INBOX: %w", user, err)
	}
	if sel.NumMessages == 0 {
		return nil, nil
	}
	section := &imap.FetchItemBodySection{Peek: true}
	bufs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		return nil, fmt.Errorf("fetch %s INBOX: %w", user, err)
	}
	var out []*gotMsg
	for _, b := range bufs {
		raw := b.FindBodySection(section)
		g, err := parseMsg(raw)
		if err != nil {
			return nil, fmt.Errorf("%s INBOX uid %d: %w", user, b.UID, err)
		}
		out = append(out, g)
	}
	return out, nil
}

// repliesTo returns the messages in msgs whose In-Reply-To names msgID.
func repliesTo(msgs []*gotMsg, msgID string) []*gotMsg {
	var out []*gotMsg
	for _, m := range msgs {
		if strings.Contains(m.inReplyTo(), "<"+msgID+">") {
			out = append(out, m)
		}
	}
	return out
}

// waitReply waits until user's INBOX holds a reply to msgID and returns it
// and the whole mailbox.
func (s *stack) waitReply(t *testing.T, user, msgID string, timeout time.Duration) (*gotMsg, []*gotMsg, time.Duration) {
	t.Helper()
	var got *gotMsg
	var all []*gotMsg
	took, err := eventually(timeout, 250*time.Millisecond, func() (bool, error) {
		msgs, err := s.mailbox(user)
		if err != nil {
			return false, err
		}
		all = msgs
		if r := repliesTo(msgs, msgID); len(r) > 0 {
			got = r[0]
			return true, nil
		}
		return false, fmt.Errorf("%s's INBOX has %d messages, none In-Reply-To <%s>", user, len(msgs), msgID)
	})
	if err != nil {
		t.Fatalf("no reply to <%s> in %s's INBOX: %v", msgID, user, err)
	}
	return got, all, took
}

// ---------------------------------------------------------------- supportd

type ticket struct {
	ID          int64  `json:"id"`
	Subject     string `json:"subject"`
	Customer    string `json:"customer"`
	Status      string `json:"status"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
	Messages    int    `json:"messages"`
	Restatement string `json:"restatement"`
}

type ticketDetail struct {
	ID       int64  `json:"id"`
	Subject  string `json:"subject"`
	Customer string `json:"customer"`
	Status   string `json:"status"`
	Messages []struct {
		MessageID string `json:"message_id"`
		Direction string `json:"direction"`
		From      string `json:"from"`
		To        string `json:"to"`
		Subject   string `json:"subject"`
		Class     string `json:"class"`
	} `json:"messages"`
	Events []struct {
		At     string `json:"at"`
		Kind   string `json:"kind"`
		Actor  string `json:"actor"`
		Detail string `json:"detail"`
	} `json:"events"`
}

func (s *stack) storePath() string { return filepath.Join(s.dir, "supportd.db") }

func (s *stack) tickets() ([]ticket, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, s.bin, "tickets", "--json", "--store", s.storePath())
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("supportd tickets --json: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	var ts []ticket
	if err := json.Unmarshal(out, &ts); err != nil {
		return nil, fmt.Errorf("supportd tickets --json: %w: %.200s", err, out)
	}
	return ts, nil
}

func (s *stack) show(id int64) (*ticketDetail, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, s.bin, "show", strconv.FormatInt(id, 10), "--json", "--store", s.storePath())
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("supportd show %d --json: %w: %s", id, err, bytes.TrimSpace(stderr.Bytes()))
	}
	var d ticketDetail
	if err := json.Unmarshal(out, &d); err != nil {
		return nil, fmt.Errorf("supportd show --json: %w: %.200s", err, out)
	}
	return &d, nil
}

// waitTicket waits for a ticket from customer whose subject contains subj.
func (s *stack) waitTicket(t *testing.T, customer, subj string, timeout time.Duration) (ticket, time.Duration) {
	t.Helper()
	var found ticket
	took, err := eventually(timeout, 250*time.Millisecond, func() (bool, error) {
		ts, err := s.tickets()
		if err != nil {
			return false, err
		}
		for _, tk := range ts {
			if strings.Contains(strings.ToLower(tk.Customer), customer) && strings.Contains(tk.Subject, subj) {
				found = tk
				return true, nil
			}
		}
		return false, fmt.Errorf("%d tickets, none from %s about %q", len(ts), customer, subj)
	})
	if err != nil {
		t.Fatalf("no ticket: %v", err)
	}
	return found, took
}

func (s *stack) logEvents(t *testing.T, id int64) *ticketDetail {
	t.Helper()
	d, err := s.show(id)
	if err != nil {
		t.Errorf("show: %v", err)
		return nil
	}
	for _, e := range d.Events {
		t.Logf("  ticket #%d event %s %-14s %s %s", id, e.At, e.Kind, e.Actor, e.Detail)
	}
	return d
}

// writeConfig writes the configuration every supportd instance of the run
// shares (same store, same mailbox) and validates it with `check --offline`.
// The outbox's retry schedule is shortened (retry_base/retry_max) so the
// Postfix-outage scenario does not wait the default minute; a build whose
// config does not know those keys yet gets a file without them, and a note.
func (s *stack) writeConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(s.dir, "supportd.toml")
	write := func(retry string) error {
		cfg := fmt.Sprintf(`# supportd e2e configuration (generated)
[support]
address = "support@example.test"
name = "E2E Support"

[imap]
host = "127.0.0.1"
port = %d
tls = "starttls"
username = "support@example.test"
password_file = %q
folder = "INBOX"
insecure_skip_verify = true

[smtp]
host = "127.0.0.1"
port = %d
tls = "none"
retry_for = "1h"
%s
[store]
path = %q

[log]
level = "debug"

[[agents]]
name = "Agent One"
address = "agent1@example.test"

[[agents]]
name = "Agent Two"
address = "agent2@example.test"
`, s.imapPort, s.supportPassFile, s.smtpPort, retry, s.storePath())
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			return err
		}
		_, err := run(t, 30*time.Second, s.bin, "check", "--offline", "--config", path)
		return err
	}
	err := write("retry_base = \"5s\"\nretry_max = \"20s\"\n")
	if err != nil && strings.Contains(err.Error(), "retry_base: unknown key") {
		note("config: smtp.retry_base/retry_max are unknown keys in this build; the outbox retries after its default ~1m")
		err = write("")
	}
	if err != nil {
		t.Fatalf("the generated configuration does not validate: %v", err)
	}
	return path
}

// notifyListener is a socket standing in for systemd's $NOTIFY_SOCKET.
type notifyListener struct {
	path string
	conn *net.UnixConn
	mu   sync.Mutex
	got  []string
}

func newNotifyListener(path string) (*notifyListener, error) {
	os.Remove(path)
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, err
	}
	n := &notifyListener{path: path, conn: conn}
	go func() {
		buf := make([]byte, 4096)
		for {
			k, _, err := conn.ReadFromUnix(buf)
			if err != nil {
				return
			}
			n.mu.Lock()
			n.got = append(n.got, string(buf[:k]))
			n.mu.Unlock()
		}
	}()
	return n, nil
}

// count returns how many datagrams carried the assignment kv (e.g. READY=1)
// on a line of its own.
func (n *notifyListener) count(kv string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for _, d := range n.got {
		for _, l := range strings.Split(d, "\n") {
			if l == kv {
				c++
			}
		}
	}
	return c
}

func (n *notifyListener) all() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.got...)
}

func (n *notifyListener) close() { n.conn.Close(); os.Remove(n.path) }

// supportd is one running `supportd run` subprocess.
type supportd struct {
	cmd     *exec.Cmd
	logPath string
	notify  *notifyListener
	done    chan struct{}
	waitErr error
}

// startSupportd starts `supportd run` with NOTIFY_SOCKET and a 2 s
// watchdog, logs to a file of its own, and waits until it has logged in to
// IMAP. The pid goes to run.sh's pid file so a crashed test leaves nothing
// running.
func (s *stack) startSupportd(t *testing.T, cfg string) *supportd {
	t.Helper()
	s.mu.Lock()
	s.instances++
	n := s.instances
	s.mu.Unlock()
	logPath := filepath.Join(s.dir, fmt.Sprintf("supportd-%d.log", n))
	lf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	nl, err := newNotifyListener(filepath.Join(s.dir, fmt.Sprintf("notify-%d.sock", n)))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(s.bin, "run", "--config", cfg)
	cmd.Stdout = lf
	cmd.Stderr = lf
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+nl.path, "WATCHDOG_USEC=2000000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lf.Close()
	if f, err := os.OpenFile(s.pidfile, os.O_APPEND|os.O_WRONLY, 0); err == nil {
		fmt.Fprintln(f, cmd.Process.Pid)
		f.Close()
	}
	d := &supportd{cmd: cmd, logPath: logPath, notify: nl, done: make(chan struct{})}
	go func() { d.waitErr = cmd.Wait(); close(d.done) }()
	t.Logf("started supportd #%d, pid %d, log %s", n, cmd.Process.Pid, logPath)
	_, err = eventually(30*time.Second, 100*time.Millisecond, func() (bool, error) {
		if d.exited() {
			return false, fmt.Errorf("supportd exited: %v", d.waitErr)
		}
		b, _ := os.ReadFile(logPath)
		return bytes.Contains(b, []byte("imap connected")), errors.New(`no "imap connected" in its log`)
	})
	if err != nil {
		t.Fatalf("supportd did not come up: %v\n%s", err, tail(logPath, 30))
	}
	return d
}

func (d *supportd) exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

func (d *supportd) pid() int { return d.cmd.Process.Pid }

// kill sends SIGKILL and waits for the process to be gone.
func (d *supportd) kill(t *testing.T) {
	t.Helper()
	_ = d.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		t.Fatal("supportd survived SIGKILL for 10s")
	}
	d.notify.close()
}

// term sends SIGTERM and returns the exit error (nil = status 0).
func (d *supportd) term(t *testing.T) error {
	t.Helper()
	if d.exited() {
		return fmt.Errorf("already exited: %v", d.waitErr)
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
		return d.waitErr
	case <-time.After(35 * time.Second):
		_ = d.cmd.Process.Signal(syscall.SIGKILL)
		<-d.done
		return errors.New("did not exit within 35s of SIGTERM (killed)")
	}
}

func (d *supportd) log() string {
	b, _ := os.ReadFile(d.logPath)
	return string(b)
}

// countLines counts lines of a file that contain substr.
func countLines(path, substr string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), substr) {
			n++
		}
	}
	return n
}
