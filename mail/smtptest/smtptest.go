// Package smtptest runs a real SMTP server in process, for tests and for
// `supportd demo`: go-smtp's server on a TCP address of your choice
// (127.0.0.1:0 in tests), capturing every accepted message.
//
// Beyond capturing it can require AUTH (PLAIN and LOGIN), offer STARTTLS or
// speak implicit TLS with a generated self-signed certificate, answer the
// next commands with scripted failures (FailNext, FailNextAt, RejectRcpt)
// and hand each message to a delivery hook (WithDelivery), which the demo
// uses to drop mail into IMAP mailboxes. Silent is a listener that accepts
// connections and never answers, for timeout tests.
//
// Start is the one-liner for tests; NewServer and Close serve everything else.
package smtptest

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"supportd/mail/internal/selfsigned"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one accepted message.
type Message struct {
	From     string    // envelope sender (MAIL FROM), "" for the null sender
	Rcpts    []string  // envelope recipients (RCPT TO), in order
	Data     []byte    // the message as received: CRLF line endings, dot-unstuffed
	At       time.Time // when DATA completed
	Helo     string    // the client's EHLO/HELO name
	AuthUser string    // the authenticated user, "" without AUTH
	TLS      bool      // whether the session was encrypted
}

// Command names an SMTP command that FailNextAt can script.
type Command string

// The commands FailNextAt can script.
const (
	CmdMail Command = "MAIL"
	CmdRcpt Command = "RCPT"
	CmdData Command = "DATA"
)

// Option changes how NewServer and Start set the server up.
type Option func(*options)

type options struct {
	deliver     func(from string, rcpts []string, raw []byte) error
	user, pass  string
	mechs       []string
	startTLS    bool
	implicitTLS bool
	tlsConfig   *tls.Config
	logger      *slog.Logger
}

// WithDelivery calls f for each message before it is accepted; the demo
// uses it to deliver into IMAP mailboxes. If f fails, the message is not
// captured and the client gets f's error when it is an *smtp.SMTPError
// (so a hook can answer 550 for an unknown mailbox), 451 otherwise. f may
// run on several connections at once; Close waits for calls in progress.
func WithDelivery(f func(from string, rcpts []string, raw []byte) error) Option {
	return func(o *options) { o.deliver = f }
}

// WithAuth requires AUTH with these credentials before MAIL (530
// otherwise). PLAIN and LOGIN are offered unless WithAuthMechanisms says
// otherwise. AUTH is allowed without TLS, as on a test server.
func WithAuth(username, password string) Option {
	return func(o *options) { o.user, o.pass = username, password }
}

// WithAuthMechanisms limits the advertised AUTH mechanisms to mechs
// ("PLAIN", "LOGIN"), e.g. to test a client's fallback to LOGIN.
func WithAuthMechanisms(mechs ...string) Option {
	return func(o *options) { o.mechs = mechs }
}

// WithStartTLS offers STARTTLS (RFC 3207) with the server's certificate.
// Plain sessions stay allowed, as on a test server.
func WithStartTLS() Option { return func(o *options) { o.startTLS = true } }

// WithImplicitTLS speaks TLS from the first byte, like port 465 (RFC 8314).
func WithImplicitTLS() Option { return func(o *options) { o.implicitTLS = true } }

// WithTLSConfig uses cfg (which must hold a certificate) instead of a
// generated self-signed one. ClientTLSConfig then returns nil.
func WithTLSConfig(cfg *tls.Config) Option { return func(o *options) { o.tlsConfig = cfg } }

// WithLogger sends the server's own error messages (failed reads and the
// like) to l at Debug level. By default they are discarded.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// Server is a running in-process SMTP server. Its methods are safe for
// concurrent use.
type Server struct {
	opts      options
	srv       *smtp.Server
	addr      string
	tlsClient *tls.Config // trusts the generated certificate
	served    chan struct{}

	mu       sync.Mutex
	msgs     []Message
	changed  chan struct{} // closed and replaced on every accepted message
	notify   chan struct{} // Accepted: one coalesced token
	fails    map[Command][]*smtp.SMTPError
	rejects  map[string]*smtp.SMTPError
	closed   bool
	inflight sync.WaitGroup // Data calls running the delivery hook
}

// NewServer starts a server listening on addr ("127.0.0.1:0" picks a free
// port; Addr tells which).
func NewServer(addr string, opts ...Option) (*Server, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if o.startTLS && o.implicitTLS {
		return nil, errors.New("smtptest: STARTTLS and implicit TLS exclude each other")
	}
	if o.mechs == nil {
		o.mechs = []string{sasl.Plain, sasl.Login}
	}
	s := &Server{
		opts:    o,
		served:  make(chan struct{}),
		changed: make(chan struct{}),
		notify:  make(chan struct{}, 1),
		fails:   map[Command][]*smtp.SMTPError{},
		rejects: map[string]*smtp.SMTPError{},
	}
	var tlsServer *tls.Config
	if o.startTLS || o.implicitTLS {
		tlsServer = o.tlsConfig
		if tlsServer == nil {
			host, _, _ := net.SplitHostPort(addr)
			hosts := []string{"127.0.0.1", "::1", "localhost"}
			if host != "" && host != "127.0.0.1" && host != "localhost" {
				hosts = append(hosts, host)
			}
			var err error
			if tlsServer, s.tlsClient, err = SelfSignedTLS(hosts...); err != nil {
				return nil, err
			}
		}
	}

	s.srv = smtp.NewServer(backend{s})
	s.srv.Domain = "smtptest.localhost"
	// Generous per-line timeouts: a test that stalls on purpose uses
	// Silent, and a slow CI machine must not see spurious 421s.
	s.srv.ReadTimeout = time.Minute
	s.srv.WriteTimeout = time.Minute
	s.srv.MaxMessageBytes = 64 << 20
	s.srv.AllowInsecureAuth = true
	s.srv.ErrorLog = serverLogger{o.logger}
	if o.startTLS {
		s.srv.TLSConfig = tlsServer
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s.addr = ln.Addr().String()
	if o.implicitTLS {
		// go-smtp completes the handshake itself for a *tls.Conn.
		ln = tls.NewListener(ln, tlsServer)
	}
	go func() {
		defer close(s.served)
		s.srv.Serve(ln)
	}()
	return s, nil
}

// Start is NewServer on 127.0.0.1:0 for a test: it fails the test if the
// server cannot start and closes it when the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := NewServer("127.0.0.1:0", opts...)
	if err != nil {
		t.Fatalf("smtptest: start server: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Addr returns the address the server listens on, as host:port.
func (s *Server) Addr() string { return s.addr }

// Host returns the host part of Addr.
func (s *Server) Host() string {
	h, _, _ := net.SplitHostPort(s.addr)
	return h
}

// Port returns the port part of Addr.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.addr)
	n, _ := strconv.Atoi(p)
	return n
}

// ClientTLSConfig returns a client configuration that trusts the
// generated certificate, or nil when the server has no TLS or uses
// WithTLSConfig. Each call returns a fresh copy.
func (s *Server) ClientTLSConfig() *tls.Config {
	if s.tlsClient == nil {
		return nil
	}
	return s.tlsClient.Clone()
}

// Close stops the server: it closes the listener and every connection,
// then waits until the accept loop and any delivery hook in progress have
// returned, so no hook runs after Close. It is safe to call twice.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	err := s.srv.Close()
	<-s.served
	s.inflight.Wait()
	return err
}

// Messages returns a copy of every accepted message, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.msgs))
	for i, m := range s.msgs {
		m.Rcpts = append([]string(nil), m.Rcpts...)
		m.Data = bytes.Clone(m.Data)
		out[i] = m
	}
	return out
}

// WaitFor waits until at least n messages have been accepted, or ctx ends.
// It returns the messages accepted so far either way, and ctx's error if
// it ended first. Give ctx a deadline: WaitFor itself waits forever.
func (s *Server) WaitFor(ctx context.Context, n int) ([]Message, error) {
	for {
		s.mu.Lock()
		have, changed := len(s.msgs), s.changed
		s.mu.Unlock()
		if have >= n {
			return s.Messages(), nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return s.Messages(), ctx.Err()
		}
	}
}

// Accepted returns a channel that holds a token after a message is
// accepted. Tokens coalesce (the channel holds at most one), so use it to
// wake up and then look at Messages, or use WaitFor to count.
func (s *Server) Accepted() <-chan struct{} { return s.notify }

// FailNext answers the next count DATA commands (after the data has been
// read) with the reply code, enhanced status code ("4.3.2", "" for none)
// and message, e.g. FailNext(421, "4.3.2", "try again later", 1).
func (s *Server) FailNext(code int, enhanced, msg string, count int) {
	s.FailNextAt(CmdData, code, enhanced, msg, count)
}

// FailNextAt answers the next count cmd commands with the reply, e.g.
// FailNextAt(CmdRcpt, 450, "4.2.1", "mailbox busy", 1). Scripts for one
// command are used in the order given. The connection stays open even for
// a 421, so the client decides what to do next.
func (s *Server) FailNextAt(cmd Command, code int, enhanced, msg string, count int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < count; i++ {
		s.fails[cmd] = append(s.fails[cmd], smtpError(code, enhanced, msg))
	}
}

// RejectRcpt answers every RCPT TO for addr (compared case-insensitively)
// with the reply, until cleared with code 0. It applies after scripts from
// FailNextAt.
func (s *Server) RejectRcpt(addr string, code int, enhanced, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == 0 {
		delete(s.rejects, strings.ToLower(addr))
		return
	}
	s.rejects[strings.ToLower(addr)] = smtpError(code, enhanced, msg)
}

// scripted pops the next scripted failure for cmd, if any.
func (s *Server) scripted(cmd Command) *smtp.SMTPError {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.fails[cmd]
	if len(q) == 0 {
		return nil
	}
	s.fails[cmd] = q[1:]
	return q[0]
}

func smtpError(code int, enhanced, msg string) *smtp.SMTPError {
	ec := smtp.NoEnhancedCode
	if p := strings.Split(enhanced, "."); len(p) == 3 {
		for i := range p {
			ec[i], _ = strconv.Atoi(p[i])
		}
	}
	return &smtp.SMTPError{Code: code, EnhancedCode: ec, Message: msg}
}

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s, c: c}, nil
}

// session is one SMTP session. go-smtp calls its methods from the
// connection's goroutine only, so its own fields need no lock.
type session struct {
	s        *Server
	c        *smtp.Conn
	from     string
	rcpts    []string
	authUser string
}

func (se *session) AuthMechanisms() []string {
	if se.s.opts.user == "" {
		return nil
	}
	return se.s.opts.mechs
}

func (se *session) Auth(mech string) (sasl.Server, error) {
	check := func(username, password string) error {
		if username != se.s.opts.user || password != se.s.opts.pass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		se.authUser = username
		return nil
	}
	for _, m := range se.AuthMechanisms() {
		if !strings.EqualFold(m, mech) {
			continue
		}
		switch strings.ToUpper(mech) {
		case sasl.Plain:
			return sasl.NewPlainServer(func(_, username, password string) error { return check(username, password) }), nil
		case sasl.Login:
			return &loginServer{check: check}, nil
		}
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.s.opts.user != "" && se.authUser == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	if err := se.s.scripted(CmdMail); err != nil {
		return err
	}
	se.from, se.rcpts = from, nil
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := se.s.scripted(CmdRcpt); err != nil {
		return err
	}
	se.s.mu.Lock()
	rej := se.s.rejects[strings.ToLower(to)]
	se.s.mu.Unlock()
	if rej != nil {
		return rej
	}
	se.rcpts = append(se.rcpts, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	// go-smtp requires the data to be read whatever the answer.
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := se.s.scripted(CmdData); err != nil {
		return err
	}
	se.s.mu.Lock()
	if se.s.closed {
		se.s.mu.Unlock()
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Server shutting down"}
	}
	se.s.inflight.Add(1)
	se.s.mu.Unlock()
	defer se.s.inflight.Done()

	rcpts := append([]string(nil), se.rcpts...)
	if f := se.s.opts.deliver; f != nil {
		if err := f(se.from, rcpts, bytes.Clone(data)); err != nil {
			var smtpErr *smtp.SMTPError
			if errors.As(err, &smtpErr) {
				return smtpErr // go-smtp keeps the code only for an unwrapped *SMTPError
			}
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Delivery failed: " + err.Error()}
		}
	}
	_, isTLS := se.c.TLSConnectionState()
	m := Message{From: se.from, Rcpts: rcpts, Data: data, At: time.Now(), Helo: se.c.Hostname(), AuthUser: se.authUser, TLS: isTLS}
	se.s.mu.Lock()
	se.s.msgs = append(se.s.msgs, m)
	close(se.s.changed)
	se.s.changed = make(chan struct{})
	se.s.mu.Unlock()
	select {
	case se.s.notify <- struct{}{}:
	default:
	}
	return nil
}

func (se *session) Reset()        { se.from, se.rcpts = "", nil }
func (se *session) Logout() error { return nil }

// loginServer is the server side of the obsolete but widespread LOGIN
// mechanism (draft-murchison-sasl-login), which go-sasl only has a client
// for: "Username:" and "Password:" challenges, or straight to "Password:"
// when the client sent the user name as its initial response.
type loginServer struct {
	step     int
	username string
	check    func(username, password string) error
}

func (l *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch l.step {
	case 0:
		if response == nil {
			l.step = 1
			return []byte("Username:"), false, nil
		}
		l.username, l.step = string(response), 2
		return []byte("Password:"), false, nil
	case 1:
		l.username, l.step = string(response), 2
		return []byte("Password:"), false, nil
	case 2:
		l.step = 3
		return nil, true, l.check(l.username, string(response))
	}
	return nil, true, sasl.ErrUnexpectedClientResponse
}

// serverLogger adapts go-smtp's Logger to slog, or discards.
type serverLogger struct{ l *slog.Logger }

func (s serverLogger) Printf(format string, v ...interface{}) {
	if s.l != nil {
		s.l.Debug("smtptest: " + fmt.Sprintf(format, v...))
	}
}

func (s serverLogger) Println(v ...interface{}) {
	if s.l != nil {
		s.l.Debug("smtptest: " + strings.TrimSuffix(fmt.Sprintln(v...), "\n"))
	}
}

var _ smtp.Logger = serverLogger{}

// SelfSignedTLS makes a fresh ECDSA certificate for hosts (names or IP
// addresses), valid from an hour ago for a year. It returns a server
// configuration holding it and a client configuration that trusts it.
func SelfSignedTLS(hosts ...string) (server, client *tls.Config, err error) {
	return selfsigned.New(hosts...)
}

// Silent is a TCP listener that accepts connections and never sends a
// byte: a server that hangs before its greeting, to test client timeouts
// and cancellation.
type Silent struct {
	ln   net.Listener
	done chan struct{}

	mu       sync.Mutex
	conns    []net.Conn
	accepted int
	closed   bool
}

// NewSilent starts a Silent listener on addr ("127.0.0.1:0").
func NewSilent(addr string) (*Silent, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Silent{ln: ln, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.accepted++
			if s.closed {
				c.Close()
			} else {
				s.conns = append(s.conns, c)
			}
			s.mu.Unlock()
		}
	}()
	return s, nil
}

// Addr returns the listening address, host:port.
func (s *Silent) Addr() string { return s.ln.Addr().String() }

// Host returns the host part of Addr.
func (s *Silent) Host() string {
	h, _, _ := net.SplitHostPort(s.Addr())
	return h
}

// Port returns the port part of Addr.
func (s *Silent) Port() int {
	_, p, _ := net.SplitHostPort(s.Addr())
	n, _ := strconv.Atoi(p)
	return n
}

// Accepted returns how many connections have been accepted.
func (s *Silent) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// Close stops listening, closes every held connection and waits for the
// accept loop.
func (s *Silent) Close() error {
	s.mu.Lock()
	s.closed = true
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()
	err := s.ln.Close()
	for _, c := range conns {
		c.Close()
	}
	<-s.done
	return err
}
