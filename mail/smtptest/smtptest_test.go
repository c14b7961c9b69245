package smtptest

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// send delivers one message with go-smtp's client and returns its error.
func send(t *testing.T, s *Server, auth sasl.Client, from string, rcpts []string, body string) error {
	t.Helper()
	return sendErr(s, auth, from, rcpts, body)
}

// sendErr is send without a *testing.T, for use from other goroutines.
func sendErr(s *Server, auth sasl.Client, from string, rcpts []string, body string) error {
	c, err := smtp.Dial(s.Addr())
	if err != nil {
		return err
	}
	defer c.Close()
	c.CommandTimeout = 5 * time.Second
	c.SubmissionTimeout = 5 * time.Second
	if auth != nil {
		if err := c.Auth(auth); err != nil {
			return err
		}
	}
	return c.SendMail(from, rcpts, strings.NewReader(body))
}

func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestCaptureAndWaitFor(t *testing.T) {
	s := Start(t)
	got := make(chan []Message, 1)
	go func() {
		msgs, _ := s.WaitFor(waitCtx(t), 2)
		got <- msgs
	}()
	for _, r := range []string{"a@x.test", "b@x.test"} {
		if err := send(t, s, nil, "from@x.test", []string{r}, "Subject: hi\r\n\r\n.dot\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	msgs := <-got
	if len(msgs) != 2 || msgs[1].Rcpts[0] != "b@x.test" || string(msgs[0].Data) != "Subject: hi\r\n\r\n.dot\r\n" {
		t.Fatalf("captured %+v", msgs)
	}
	select {
	case <-s.Accepted():
	default:
		t.Error("no Accepted token")
	}
	// Callers get copies.
	msgs[0].Data[0] = 'X'
	if s.Messages()[0].Data[0] != 'S' {
		t.Error("Messages shares memory with the server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if msgs, err := s.WaitFor(ctx, 3); !errors.Is(err, context.DeadlineExceeded) || len(msgs) != 2 {
		t.Errorf("WaitFor past the count: %d, %v", len(msgs), err)
	}
}

func TestDeliveryHookErrors(t *testing.T) {
	s := Start(t, WithDelivery(func(from string, rcpts []string, raw []byte) error {
		switch rcpts[0] {
		case "unknown@x.test":
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no mailbox"}
		case "broken@x.test":
			return errors.New("disk full")
		}
		return nil
	}))
	var smtpErr *smtp.SMTPError
	if err := send(t, s, nil, "f@x.test", []string{"unknown@x.test"}, "x\r\n"); !errors.As(err, &smtpErr) || smtpErr.Code != 550 {
		t.Errorf("hook's SMTPError: %v", err)
	}
	if err := send(t, s, nil, "f@x.test", []string{"broken@x.test"}, "x\r\n"); !errors.As(err, &smtpErr) || smtpErr.Code != 451 {
		t.Errorf("hook's plain error: %v", err)
	}
	if err := send(t, s, nil, "f@x.test", []string{"ok@x.test"}, "x\r\n"); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Messages()); n != 1 {
		t.Errorf("%d captured; refused mail must not be", n)
	}
}

func TestScriptsAreUsedInOrder(t *testing.T) {
	s := Start(t)
	s.FailNextAt(CmdRcpt, 450, "4.2.1", "busy", 1)
	s.FailNext(421, "4.3.2", "later", 1)
	s.FailNext(554, "5.7.1", "no", 1)
	var codes []int
	for i := 0; i < 4; i++ {
		err := send(t, s, nil, "f@x.test", []string{"r@x.test"}, "x\r\n")
		var smtpErr *smtp.SMTPError
		if errors.As(err, &smtpErr) {
			codes = append(codes, smtpErr.Code)
		} else if err != nil {
			t.Fatal(err)
		} else {
			codes = append(codes, 250)
		}
	}
	if got := fmt.Sprint(codes); got != "[450 421 554 250]" {
		t.Errorf("replies %s", got)
	}
}

// TestLoginWithoutInitialResponse speaks AUTH LOGIN the way swaks and
// older clients do: no initial response, both challenges.
func TestLoginWithoutInitialResponse(t *testing.T) {
	s := Start(t, WithAuth("u", "p"), WithAuthMechanisms("LOGIN"))
	conn, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	tc := textproto.NewConn(conn)
	expect := func(code int, cmd string, args ...any) string {
		t.Helper()
		if cmd != "" {
			if err := tc.PrintfLine(cmd, args...); err != nil {
				t.Fatal(err)
			}
		}
		_, msg, err := tc.ReadResponse(code)
		if err != nil {
			t.Fatalf("%q: %v", cmd, err)
		}
		return msg
	}
	b64 := base64.StdEncoding.EncodeToString
	expect(220, "")
	if msg := expect(250, "EHLO client.test"); !strings.Contains(msg, "AUTH LOGIN") {
		t.Fatalf("EHLO: %q", msg)
	}
	if c := expect(334, "AUTH LOGIN"); c != b64([]byte("Username:")) {
		t.Fatalf("first challenge %q", c)
	}
	if c := expect(334, "%s", b64([]byte("u"))); c != b64([]byte("Password:")) {
		t.Fatalf("second challenge %q", c)
	}
	expect(235, "%s", b64([]byte("p")))
	expect(250, "MAIL FROM:<f@x.test>")
}

func TestAuthRequiredAndWrongPassword(t *testing.T) {
	s := Start(t, WithAuth("u", "p"))
	var smtpErr *smtp.SMTPError
	if err := send(t, s, nil, "f@x.test", []string{"r@x.test"}, "x\r\n"); !errors.As(err, &smtpErr) || smtpErr.Code != 530 {
		t.Errorf("without AUTH: %v", err)
	}
	if err := send(t, s, sasl.NewPlainClient("", "u", "bad"), "f@x.test", []string{"r@x.test"}, "x\r\n"); !errors.As(err, &smtpErr) || smtpErr.Code != 535 {
		t.Errorf("wrong password: %v", err)
	}
	if err := send(t, s, sasl.NewLoginClient("u", "p"), "f@x.test", []string{"r@x.test"}, "x\r\n"); err != nil {
		t.Errorf("LOGIN: %v", err)
	}
	if m := s.Messages(); len(m) != 1 || m[0].AuthUser != "u" {
		t.Errorf("captured %+v", m)
	}
}

func TestCloseWaitsForHookAndIsIdempotent(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	s, err := NewServer("127.0.0.1:0", WithDelivery(func(string, []string, []byte) error {
		close(entered)
		<-release
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	sent := make(chan error, 1)
	go func() { sent <- sendErr(s, nil, "f@x.test", []string{"r@x.test"}, "x\r\n") }()
	select {
	case <-entered:
	case err := <-sent:
		t.Fatalf("send ended before the hook ran: %v", err)
	}
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("Close returned while the delivery hook was running")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	<-sent
}

func TestSilent(t *testing.T) {
	s, err := NewSilent("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	var b [1]byte
	if _, err := conn.Read(b[:]); err == nil {
		t.Fatal("Silent said something")
	}
	s.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(b[:]); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("connection not closed by Close: %v", err)
	}
	if s.Accepted() != 1 {
		t.Errorf("Accepted = %d", s.Accepted())
	}
}
