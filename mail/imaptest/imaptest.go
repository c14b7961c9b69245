// Package imaptest runs a real IMAP server in process, for tests and for
// `supportd demo`: go-imap's imapserver over the in-memory imapmemserver
// backend, on a TCP address of your choice (127.0.0.1:0 in tests).
//
// Beyond the plain server it can offer STARTTLS or implicit TLS with a
// generated self-signed certificate, hide IDLE from clients (to exercise
// polling), drop every connection, play an outage (Pause and Resume) and
// recreate a folder so that its UIDVALIDITY changes.
//
// Start is the one-liner for tests; NewServer and Close serve everything else.
package imaptest

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"supportd/mail/internal/selfsigned"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// Option changes how NewServer and Start set the server up.
type Option func(*options)

type options struct {
	startTLS    bool
	implicitTLS bool
	noIdle      bool
	tlsConfig   *tls.Config
	logger      *slog.Logger
}

// WithStartTLS offers STARTTLS (RFC 9051 §6.2.1) with the server's
// certificate. Login stays allowed without it, as on a test server.
func WithStartTLS() Option { return func(o *options) { o.startTLS = true } }

// WithImplicitTLS speaks TLS from the first byte, like port 993.
func WithImplicitTLS() Option { return func(o *options) { o.implicitTLS = true } }

// WithTLSConfig uses cfg (which must hold a certificate) instead of a
// generated self-signed one. ClientTLSConfig then returns nil.
func WithTLSConfig(cfg *tls.Config) Option { return func(o *options) { o.tlsConfig = cfg } }

// WithoutIdle removes IDLE from every CAPABILITY the server sends, so that
// clients fall back to polling. imapserver always adds IDLE after login, so
// this rewrites the server's output; it cannot be combined with STARTTLS,
// whose encryption starts below the rewriting.
func WithoutIdle() Option { return func(o *options) { o.noIdle = true } }

// WithLogger sends the server's own error messages (failed reads and the
// like) to l at Debug level. By default they are discarded.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// Server is a running in-process IMAP server. Its methods are safe for
// concurrent use.
type Server struct {
	opts      options
	mem       *imapmemserver.Server
	srv       *imapserver.Server
	addr      string
	tlsServer *tls.Config // certificate for STARTTLS or implicit TLS
	tlsClient *tls.Config // trusts tlsServer's generated certificate

	mu     sync.Mutex
	ln     net.Listener // nil while paused
	conns  map[net.Conn]struct{}
	users  map[string]*user
	closed bool
	serves sync.WaitGroup
}

type user struct {
	u        *imapmemserver.User
	password string
}

// NewServer starts a server listening on addr ("127.0.0.1:0" picks a free
// port; Addr tells which). It has no users until AddUser.
func NewServer(addr string, opts ...Option) (*Server, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if o.startTLS && o.implicitTLS {
		return nil, errors.New("imaptest: STARTTLS and implicit TLS exclude each other")
	}
	if o.noIdle && o.startTLS {
		return nil, errors.New("imaptest: WithoutIdle cannot rewrite a STARTTLS connection")
	}
	s := &Server{
		opts:  o,
		mem:   imapmemserver.New(),
		conns: make(map[net.Conn]struct{}),
		users: make(map[string]*user),
	}
	if o.startTLS || o.implicitTLS {
		s.tlsServer = o.tlsConfig
		if s.tlsServer == nil {
			host, _, _ := net.SplitHostPort(addr)
			hosts := []string{"127.0.0.1", "::1", "localhost"}
			if host != "" && host != "127.0.0.1" && host != "localhost" {
				hosts = append(hosts, host)
			}
			var err error
			if s.tlsServer, s.tlsClient, err = SelfSignedTLS(hosts...); err != nil {
				return nil, err
			}
		}
	}
	srvOpts := &imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return s.mem.NewSession(), nil, nil
		},
		// IMAP4rev1 plus what imapmemserver implements; IDLE is added
		// by imapserver after login whatever this says.
		Caps: imap.CapSet{
			imap.CapIMAP4rev1: {},
			imap.CapUIDPlus:   {},
			imap.CapMove:      {},
			imap.CapNamespace: {},
		},
		// Tests log in over plain TCP; a real deployment never would.
		InsecureAuth: true,
		Logger:       serverLogger{o.logger},
	}
	if o.startTLS {
		srvOpts.TLSConfig = s.tlsServer
	}
	s.srv = imapserver.New(srvOpts)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	return s, nil
}

// Start is NewServer on 127.0.0.1:0 for a test: it fails the test if the
// server cannot start and closes it when the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := NewServer("127.0.0.1:0", opts...)
	if err != nil {
		t.Fatalf("imaptest: start server: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// serve wraps ln (tracking connections, TLS, IDLE removal) and serves it.
func (s *Server) serve(ln net.Listener) {
	var l net.Listener = &trackingListener{Listener: ln, s: s}
	if s.opts.implicitTLS {
		l = tls.NewListener(l, s.tlsServer)
	}
	if s.opts.noIdle {
		l = noIdleListener{l}
	}
	s.ln = ln
	s.serves.Add(1)
	go func() {
		defer s.serves.Done()
		s.srv.Serve(l)
	}()
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

// ClientTLSConfig returns a client configuration that trusts the server's
// generated certificate, or nil when the server has no TLS or was given its
// certificate with WithTLSConfig.
func (s *Server) ClientTLSConfig() *tls.Config {
	if s.tlsClient == nil {
		return nil
	}
	return s.tlsClient.Clone()
}

// AddUser adds a user with an empty INBOX and the given extra folders.
func (s *Server) AddUser(username, password string, folders ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[username]; ok {
		return fmt.Errorf("imaptest: user %q exists", username)
	}
	u := imapmemserver.NewUser(username, password)
	for _, f := range append([]string{"INBOX"}, folders...) {
		if err := u.Create(f, nil); err != nil {
			return fmt.Errorf("imaptest: create %q: %w", f, err)
		}
	}
	s.mem.AddUser(u)
	s.users[username] = &user{u: u, password: password}
	return nil
}

func (s *Server) user(username string) (*user, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[username]
	if !ok {
		return nil, fmt.Errorf("imaptest: no user %q", username)
	}
	return u, nil
}

// CreateFolder creates a folder for a user.
func (s *Server) CreateFolder(username, folder string) error {
	u, err := s.user(username)
	if err != nil {
		return err
	}
	return u.u.Create(folder, nil)
}

// RecreateFolder deletes a folder with all its mail and creates it again,
// which gives it a new UIDVALIDITY, returned. Sessions that have the folder
// selected are not told: like on some real servers, only a new SELECT or
// STATUS shows the change.
func (s *Server) RecreateFolder(username, folder string) (uidValidity uint32, err error) {
	u, err := s.user(username)
	if err != nil {
		return 0, err
	}
	if err := u.u.Delete(folder); err != nil {
		return 0, err
	}
	if err := u.u.Create(folder, nil); err != nil {
		return 0, err
	}
	st, err := s.Status(username, folder)
	return st.UIDValidity, err
}

// Append adds a message to a folder, as a delivering MTA would, and returns
// its UID. Connected clients hear of it through EXISTS.
func (s *Server) Append(username, folder string, raw []byte, flags ...imap.Flag) (uid uint32, err error) {
	u, err := s.user(username)
	if err != nil {
		return 0, err
	}
	data, err := u.u.Append(folder, bytes.NewReader(raw), &imap.AppendOptions{Flags: flags})
	if err != nil {
		return 0, err
	}
	return uint32(data.UID), nil
}

// Status describes a folder.
type Status struct {
	Messages    uint32
	UIDValidity uint32
	UIDNext     uint32
}

// Status returns a folder's message count, UIDVALIDITY and UIDNEXT.
func (s *Server) Status(username, folder string) (Status, error) {
	u, err := s.user(username)
	if err != nil {
		return Status{}, err
	}
	d, err := u.u.Status(folder, &imap.StatusOptions{NumMessages: true, UIDValidity: true, UIDNext: true})
	if err != nil {
		return Status{}, err
	}
	return Status{Messages: *d.NumMessages, UIDValidity: d.UIDValidity, UIDNext: uint32(d.UIDNext)}, nil
}

// Message is a stored message as Messages returns it.
type Message struct {
	UID          uint32
	Flags        []imap.Flag
	InternalDate time.Time
	Raw          []byte
}

// HasFlag reports whether m carries flag (case-insensitive, RFC 9051 §2.3.2).
func (m Message) HasFlag(flag imap.Flag) bool {
	for _, f := range m.Flags {
		if strings.EqualFold(string(f), string(flag)) {
			return true
		}
	}
	return false
}

// Messages returns every message of a folder in UID order. It reads them
// over a connection of its own, with EXAMINE and BODY.PEEK[], so it changes
// no flag; that connection counts in Connections while it lasts.
func (s *Server) Messages(username, folder string) ([]Message, error) {
	u, err := s.user(username)
	if err != nil {
		return nil, err
	}
	c, err := s.dial()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.Login(username, u.password).Wait(); err != nil {
		return nil, err
	}
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return nil, err
	}
	section := &imap.FetchItemBodySection{Peek: true}
	bufs, err := c.Fetch(imap.UIDSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{
		UID: true, Flags: true, InternalDate: true,
		BodySection: []*imap.FetchItemBodySection{section},
	}).Collect()
	if err != nil {
		return nil, err
	}
	out := make([]Message, 0, len(bufs))
	for _, b := range bufs {
		out = append(out, Message{UID: uint32(b.UID), Flags: b.Flags, InternalDate: b.InternalDate, Raw: b.FindBodySection(section)})
	}
	c.Logout().Wait()
	return out, nil
}

// dial connects to the server itself in whatever mode it speaks.
func (s *Server) dial() (*imapclient.Client, error) {
	// The server checks its own certificate against nothing: it knows
	// whom it is talking to.
	tc := &tls.Config{InsecureSkipVerify: true}
	opts := &imapclient.Options{TLSConfig: tc, Dialer: &net.Dialer{Timeout: 10 * time.Second}}
	switch {
	case s.opts.implicitTLS:
		return imapclient.DialTLS(s.addr, opts)
	case s.opts.startTLS:
		return imapclient.DialStartTLS(s.addr, opts)
	default:
		return imapclient.DialInsecure(s.addr, opts)
	}
}

// Connections returns how many client connections are open.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// DropConnections closes every client connection at once, as a crashing
// server or a broken network would, and returns how many it closed. The
// server keeps listening.
func (s *Server) DropConnections() int {
	s.mu.Lock()
	conns := make([]net.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
	return len(conns)
}

// Pause stops listening and drops every connection: clients now get
// "connection refused". The mailboxes keep their mail, and Append still
// works. Resume ends the outage.
func (s *Server) Pause() error {
	s.mu.Lock()
	ln := s.ln
	s.ln = nil
	s.mu.Unlock()
	if ln == nil {
		return errors.New("imaptest: not listening")
	}
	err := ln.Close()
	s.DropConnections()
	return err
}

// Resume listens again on the same address after Pause.
func (s *Server) Resume() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("imaptest: server closed")
	}
	if s.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return err
	}
	s.serve(ln)
	return nil
}

// Close stops the server, drops every connection and waits for the
// listener to stop. It is safe to call more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	err := s.srv.Close()
	s.DropConnections()
	s.serves.Wait()
	return err
}

// trackingListener remembers accepted connections so that DropConnections
// and Pause can close them.
type trackingListener struct {
	net.Listener
	s *Server
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, s: l.s}
	l.s.mu.Lock()
	l.s.conns[tc] = struct{}{}
	l.s.mu.Unlock()
	return tc, nil
}

type trackedConn struct {
	net.Conn
	s *Server
}

func (c *trackedConn) Close() error {
	c.s.mu.Lock()
	delete(c.s.conns, c)
	c.s.mu.Unlock()
	return c.Conn.Close()
}

// noIdleListener hands out connections that hide IDLE.
type noIdleListener struct{ net.Listener }

func (l noIdleListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return noIdleConn{c}, nil
}

// noIdleConn removes the IDLE token from the server's CAPABILITY lines: the
// untagged "* CAPABILITY …" and the "[CAPABILITY …]" code of a greeting or
// tagged OK. It works line by line within each Write, which holds because
// imapserver flushes a short response in one piece; a message body that
// contained such a line would be rewritten too, which test mail does not.
type noIdleConn struct{ net.Conn }

func (c noIdleConn) Write(b []byte) (int, error) {
	if !bytes.Contains(b, []byte("CAPABILITY")) {
		return c.Conn.Write(b)
	}
	var out bytes.Buffer
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		out.Write(stripIdle(line))
	}
	if _, err := c.Conn.Write(out.Bytes()); err != nil {
		return 0, err
	}
	// The caller wrote len(b) bytes as far as it can tell; anything else
	// would look like a short write to its bufio.Writer.
	return len(b), nil
}

// stripIdle rewrites one response line if it carries capabilities: the
// whole of "* CAPABILITY …", or the "[CAPABILITY …]" code right after the
// status of "* OK", "* PREAUTH" or "tag OK".
func stripIdle(line []byte) []byte {
	upper := bytes.ToUpper(line)
	var from, to int
	if rest, ok := bytes.CutPrefix(upper, []byte("* CAPABILITY ")); ok {
		from = len(line) - len(rest) - 1
		to = len(bytes.TrimRight(line, "\r\n"))
	} else if i := bytes.Index(upper, []byte(" [CAPABILITY ")); i >= 0 {
		head := bytes.Fields(upper[:i])
		if len(head) != 2 || !(bytes.Equal(head[1], []byte("OK")) || bytes.Equal(head[1], []byte("PREAUTH"))) {
			return line
		}
		from = i + len(" [CAPABILITY")
		j := bytes.IndexByte(line[from:], ']')
		if j < 0 {
			return line
		}
		to = from + j
	} else {
		return line
	}
	// line[from:to] is " CAP1 CAP2 …": every token follows a space.
	var kept []string
	for _, tok := range strings.Split(string(line[from:to]), " ") {
		if !strings.EqualFold(tok, "IDLE") {
			kept = append(kept, tok)
		}
	}
	out := append([]byte{}, line[:from]...)
	out = append(out, strings.Join(kept, " ")...)
	return append(out, line[to:]...)
}

// serverLogger adapts imapserver's Printf logging to slog.
type serverLogger struct{ l *slog.Logger }

func (s serverLogger) Printf(format string, args ...any) {
	if s.l != nil {
		s.l.Log(context.Background(), slog.LevelDebug, "imaptest server: "+fmt.Sprintf(format, args...))
	}
}

// SelfSignedTLS makes a fresh ECDSA certificate for hosts (names or IP
// addresses), valid from an hour ago for a year. It returns a server
// configuration holding it and a client configuration that trusts it.
func SelfSignedTLS(hosts ...string) (server, client *tls.Config, err error) {
	return selfsigned.New(hosts...)
}
