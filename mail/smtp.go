package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// The TLS modes of SMTPConfig.TLS.
const (
	smtpTLSImplicit = "implicit" // TLS from the first byte, port 465 (RFC 8314 §3.3)
	smtpTLSStartTLS = "starttls" // plain, then STARTTLS (RFC 3207), port 587
	smtpTLSNone     = "none"     // no encryption: loopback relays and tests only
)

// smtpDefaultTimeout bounds each step when SMTPConfig.Timeout is zero.
const smtpDefaultTimeout = time.Minute

// smtpQuitTimeout bounds the QUIT after the outcome is known: it is a
// courtesy to the server and must not hold up the outbox.
const smtpQuitTimeout = 10 * time.Second

// SMTPConfig says how to reach the submission server that relays our mail.
type SMTPConfig struct {
	Host string
	Port int    // 0 picks the mode's port: 465 implicit, 587 starttls, 25 none
	TLS  string // "implicit", "starttls" (the default) or "none"
	// Username enables AUTH: PLAIN, or LOGIN when the server offers only
	// that. With TLS "none" the password crosses the network in clear.
	Username string
	Password string
	HeloName string // EHLO name; "" says "localhost", which strict servers may refuse
	// Timeout bounds each step: the dial, the TLS handshake, each command,
	// each chunk of the message data and the reply after it. Default 1m.
	Timeout time.Duration
	// TLSConfig is cloned for each connection; ServerName defaults to Host.
	TLSConfig          *tls.Config
	InsecureSkipVerify bool // accept any certificate: for self-signed test servers only
}

// String describes the server without the password, so that printing the
// config with %v cannot leak it.
func (c SMTPConfig) String() string {
	s := fmt.Sprintf("%s (tls %s)", net.JoinHostPort(c.Host, strconv.Itoa(c.Port)), c.TLS)
	if c.Username != "" {
		s += " as " + c.Username
	}
	return s
}

// LogValue implements slog.LogValuer and leaves the password out.
func (c SMTPConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("host", c.Host),
		slog.Int("port", c.Port),
		slog.String("tls", c.TLS),
		slog.String("username", c.Username),
		slog.Bool("password_set", c.Password != ""),
		slog.String("helo", c.HeloName),
		slog.Duration("timeout", c.Timeout),
		slog.Bool("insecure_skip_verify", c.InsecureSkipVerify),
	)
}

// The stages of a delivery, as SendError.Stage names them.
const (
	StageDial  = "dial"  // resolving and connecting
	StageTLS   = "tls"   // implicit TLS handshake, or STARTTLS and its handshake
	StageHello = "hello" // greeting and EHLO
	StageAuth  = "auth"  // AUTH
	StageMail  = "mail"  // MAIL FROM
	StageRcpt  = "rcpt"  // RCPT TO
	StageData  = "data"  // DATA, the message and the reply after it
)

// SendError is a failed delivery attempt, classified for the outbox.
type SendError struct {
	Stage    string // StageDial … StageData
	Code     int    // SMTP reply code; 0 when the failure was not a reply
	Enhanced string // enhanced status code (RFC 3463), e.g. "5.1.1"
	Msg      string // the server's reply text, or what went wrong
	Rcpt     string // the recipient a RCPT failure is about
	// Permanent is true for a 5xx reply to MAIL, RCPT or DATA: sending
	// the same mail again will fail again (RFC 5321 §4.2.1). Everything
	// else is worth retrying: 4xx, network errors, timeouts, and failures
	// before MAIL (TLS, AUTH, a server refusing us at EHLO), which are
	// about our configuration or the server, not about this mail: the
	// mail should wait while an operator fixes them.
	Permanent bool
	Err       error // the underlying error: *smtp.SMTPError, a net.Error, ctx.Err() …
}

// Error reads like "smtp rcpt <gone@example.com>: 550 5.1.1 no such user".
func (e *SendError) Error() string {
	var b strings.Builder
	b.WriteString("smtp ")
	b.WriteString(e.Stage)
	if e.Rcpt != "" {
		b.WriteString(" <" + e.Rcpt + ">")
	}
	b.WriteString(":")
	if e.Code != 0 {
		fmt.Fprintf(&b, " %d", e.Code)
		if e.Enhanced != "" {
			b.WriteString(" " + e.Enhanced)
		}
	}
	if e.Msg != "" {
		// Multi-line replies come joined by "\n"; keep the error one line.
		b.WriteString(" " + strings.Join(strings.Fields(e.Msg), " "))
	}
	if e.Code == 0 && e.Err != nil {
		if e.Msg != "" {
			b.WriteString(":")
		}
		b.WriteString(" " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *SendError) Unwrap() error { return e.Err }

// Temporary reports whether retrying may succeed: the opposite of
// Permanent, under the name net.Error and go-smtp use.
func (e *SendError) Temporary() bool { return !e.Permanent }

// IsPermanent reports whether err says that retrying cannot succeed: a
// *SendError with Permanent set, or a bare 5xx *smtp.SMTPError. Any other
// error, nil included, is not permanent.
func IsPermanent(err error) bool {
	var se *SendError
	if errors.As(err, &se) {
		return se.Permanent
	}
	var smtpErr *smtp.SMTPError
	return errors.As(err, &smtpErr) && smtpErr.Code/100 == 5
}

// smtpClassify turns an error at stage into a *SendError. When ctx has
// ended, the error is whatever closing the connection caused, so the
// context's error is reported instead.
func smtpClassify(ctx context.Context, stage string, err error) *SendError {
	var se *SendError
	if errors.As(err, &se) {
		return se
	}
	se = &SendError{Stage: stage, Err: err}
	if cerr := ctx.Err(); cerr != nil {
		se.Err, se.Msg = cerr, "aborted"
		return se
	}
	var smtpErr *smtp.SMTPError
	if errors.As(err, &smtpErr) {
		se.Code, se.Msg = smtpErr.Code, smtpErr.Message
		if ec := smtpErr.EnhancedCode; ec != (smtp.EnhancedCode{}) && ec != smtp.NoEnhancedCode {
			se.Enhanced = fmt.Sprintf("%d.%d.%d", ec[0], ec[1], ec[2])
		}
		se.Permanent = smtpPermanent(stage, smtpErr.Code)
		return se
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		se.Msg = "timed out"
	}
	return se
}

// smtpPermanent decides whether a reply code at stage condemns the mail.
// Only replies about the mail itself count. 530, 534, 535 and 538 (RFC
// 4954 §6) are about our credentials, whatever command drew them: an
// operator fixes those, and the mail should wait.
func smtpPermanent(stage string, code int) bool {
	if code/100 != 5 {
		return false
	}
	switch stage {
	case StageMail, StageRcpt, StageData:
	default:
		return false
	}
	switch code {
	case 530, 534, 535, 538:
		return false
	}
	return true
}

// Sender delivers mail over SMTP, one connection per message: a support
// desk sends little, and a fresh connection never inherits a broken state.
// It is safe for concurrent use. It logs nothing; errors carry the detail
// and never the password.
type Sender struct {
	cfg SMTPConfig
}

// NewSender returns a sender for cfg, with the defaults filled in. It does
// not connect.
func NewSender(cfg SMTPConfig) *Sender {
	if cfg.Timeout <= 0 {
		cfg.Timeout = smtpDefaultTimeout
	}
	if cfg.TLS == "" {
		cfg.TLS = smtpTLSStartTLS
	}
	cfg.TLS = strings.ToLower(cfg.TLS)
	if cfg.Port == 0 {
		cfg.Port = map[string]int{smtpTLSImplicit: 465, smtpTLSStartTLS: 587, smtpTLSNone: 25}[cfg.TLS]
	}
	if cfg.HeloName == "" {
		cfg.HeloName = "localhost"
	}
	return &Sender{cfg: cfg}
}

// Send delivers one message: MAIL FROM envelopeFrom, RCPT TO each of
// rcpts, then raw (CRLF or LF line endings; dot-stuffing is done here).
// It returns nil once the server has accepted the message, or a
// *SendError whose Permanent field tells a 5xx rejection (give up) from
// everything else (retry later).
//
// The mail goes to all of rcpts or to none: if any RCPT is refused, no
// DATA is sent, and the error is the first permanent refusal, else the
// first temporary one.
//
// Each step is bounded by the configured Timeout, and the whole by ctx: a
// cancelled ctx closes the connection at once. A failure after the final
// dot (a timeout waiting for the reply) may hide a delivery that did
// happen, so a retry can duplicate the mail: the window DESIGN.md
// accepts, one SMTP transaction.
func (s *Sender) Send(ctx context.Context, envelopeFrom string, rcpts []string, raw []byte) error {
	if len(rcpts) == 0 {
		return &SendError{Stage: StageRcpt, Msg: "no recipients", Permanent: true}
	}
	// A line break in an address would inject a command; nothing sent
	// again will fix it, so it is permanent.
	if smtpBadAddr(envelopeFrom) {
		return &SendError{Stage: StageMail, Msg: fmt.Sprintf("invalid envelope sender %q", envelopeFrom), Permanent: true}
	}
	for _, r := range rcpts {
		if r == "" || smtpBadAddr(r) {
			return &SendError{Stage: StageRcpt, Rcpt: r, Msg: "invalid recipient address", Permanent: true}
		}
	}
	ss, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer ss.close()

	opts := &smtp.MailOptions{Size: int64(len(raw))}
	if !smtpASCII(envelopeFrom) || !smtpASCII(rcpts...) {
		if ok, _ := ss.c.Extension("SMTPUTF8"); !ok {
			ss.quit()
			return &SendError{Stage: StageMail, Msg: "a non-ASCII address needs SMTPUTF8, which the server does not offer", Permanent: true}
		}
		opts.UTF8 = true
	}
	if err := ss.c.Mail(envelopeFrom, opts); err != nil {
		return ss.fail(StageMail, err)
	}
	var refused *SendError
	for _, r := range rcpts {
		err := ss.c.Rcpt(r, nil)
		if err == nil {
			continue
		}
		se := smtpClassify(ctx, StageRcpt, err)
		se.Rcpt = r
		if se.Code == 0 {
			ss.abandon()
			return se // the connection is gone
		}
		if refused == nil || (se.Permanent && !refused.Permanent) {
			refused = se
		}
	}
	if refused != nil {
		ss.quit()
		return refused
	}
	w, err := ss.c.Data()
	if err != nil {
		return ss.fail(StageData, err)
	}
	if err := ss.writeBody(w, raw); err != nil {
		return ss.fail(StageData, err)
	}
	if _, err := w.CloseWithResponse(); err != nil {
		return ss.fail(StageData, err)
	}
	ss.quit()
	return nil
}

// Check connects, says hello, authenticates and quits, for `supportd
// check`: it proves the configuration without sending anything.
func (s *Sender) Check(ctx context.Context) error {
	ss, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer ss.close()
	if err := ss.c.Noop(); err != nil {
		return ss.fail(StageHello, err)
	}
	ss.quit()
	return nil
}

// smtpSession is one connection: the client, the deadline-clamping conn
// under it, and the goroutine that closes it when ctx ends.
type smtpSession struct {
	ctx     context.Context
	timeout time.Duration
	conn    *smtpConn
	c       *smtp.Client
	done    chan struct{} // closed by close: the watcher may exit
	exited  chan struct{} // closed by the watcher when it exits
	once    sync.Once
}

// open dials, sets up TLS, says hello and authenticates.
func (s *Sender) open(ctx context.Context) (*smtpSession, error) {
	cfg := s.cfg
	if err := ctx.Err(); err != nil {
		return nil, &SendError{Stage: StageDial, Msg: "aborted", Err: err}
	}
	if cfg.Host == "" {
		return nil, &SendError{Stage: StageDial, Msg: "no SMTP host configured"}
	}
	switch cfg.TLS {
	case smtpTLSImplicit, smtpTLSStartTLS, smtpTLSNone:
	default:
		return nil, &SendError{Stage: StageDial, Msg: fmt.Sprintf("unknown TLS mode %q (want implicit, starttls or none)", cfg.TLS)}
	}
	d := net.Dialer{Timeout: cfg.Timeout}
	raw, err := d.DialContext(ctx, "tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)))
	if err != nil {
		return nil, smtpClassify(ctx, StageDial, err)
	}
	ss := &smtpSession{
		ctx:     ctx,
		timeout: cfg.Timeout,
		conn:    &smtpConn{Conn: raw, step: cfg.Timeout},
		done:    make(chan struct{}),
		exited:  make(chan struct{}),
	}
	go func() {
		// Closing the socket is the one way to interrupt go-smtp in the
		// middle of a command. close() always reaps this goroutine.
		defer close(ss.exited)
		select {
		case <-ctx.Done():
			raw.Close()
		case <-ss.done:
		}
	}()
	fail := func(stage string, err error) (*smtpSession, error) {
		se := smtpClassify(ctx, stage, err)
		ss.close()
		return nil, se
	}

	tlsCfg := s.tlsConfig()
	switch cfg.TLS {
	case smtpTLSImplicit:
		tc := tls.Client(ss.conn, tlsCfg)
		ss.conn.SetDeadline(time.Now().Add(cfg.Timeout))
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail(StageTLS, err)
		}
		ss.conn.SetDeadline(time.Time{})
		ss.c = smtp.NewClient(tc)
	case smtpTLSStartTLS:
		// Greeting, EHLO and STARTTLS happen in here, under go-smtp's
		// default 5-minute CommandTimeout, which smtpConn cuts to ours.
		// There is no fallback to plain text: a server that stops
		// offering STARTTLS gets no mail (no downgrade attack).
		c, err := smtp.NewClientStartTLS(ss.conn, tlsCfg)
		if err != nil {
			return fail(StageTLS, err)
		}
		ss.c = c
	default:
		ss.c = smtp.NewClient(ss.conn)
	}
	ss.c.CommandTimeout = cfg.Timeout
	ss.c.SubmissionTimeout = cfg.Timeout

	// EHLO (again, after STARTTLS, as RFC 3207 §4.2 requires). With
	// STARTTLS this is also the first encrypted exchange, so a certificate
	// problem surfaces here: a failure that is not a reply is a TLS one.
	if err := ss.c.Hello(cfg.HeloName); err != nil {
		stage := StageHello
		var smtpErr *smtp.SMTPError
		if cfg.TLS == smtpTLSStartTLS && !errors.As(err, &smtpErr) {
			stage = StageTLS
		}
		// No QUIT: go-smtp refuses every command, QUIT included, once
		// the greeting or EHLO has failed.
		return fail(stage, err)
	}
	if cfg.Username != "" {
		if err := ss.auth(cfg.Username, cfg.Password); err != nil {
			return fail(StageAuth, err)
		}
	}
	return ss, nil
}

// auth authenticates with PLAIN (RFC 4616), or LOGIN when the server
// offers only that (older Exchange and some hosted relays do).
func (ss *smtpSession) auth(username, password string) error {
	ok, params := ss.c.Extension("AUTH")
	if !ok {
		ss.quit()
		return &SendError{Stage: StageAuth, Msg: "the server offers no AUTH (does it want TLS first?)"}
	}
	offered := strings.Fields(strings.ToUpper(params))
	has := func(m string) bool {
		for _, o := range offered {
			if o == m {
				return true
			}
		}
		return false
	}
	var client sasl.Client
	switch {
	case has(sasl.Plain):
		client = sasl.NewPlainClient("", username, password)
	case has(sasl.Login):
		client = sasl.NewLoginClient(username, password)
	default:
		ss.quit()
		return &SendError{Stage: StageAuth, Msg: "no supported AUTH mechanism; the server offers " + params}
	}
	if err := ss.c.Auth(client); err != nil {
		var smtpErr *smtp.SMTPError
		if errors.As(err, &smtpErr) {
			ss.quit()
		}
		return err
	}
	return nil
}

// writeBody writes raw in chunks, each under a fresh write deadline: go-smtp
// sets none for the message data, and a server that stops reading would
// otherwise hold the outbox until ctx ends.
func (ss *smtpSession) writeBody(w interface{ Write([]byte) (int, error) }, raw []byte) error {
	const chunk = 64 << 10
	for len(raw) > 0 {
		n := min(len(raw), chunk)
		ss.conn.SetWriteDeadline(time.Now().Add(ss.timeout))
		if _, err := w.Write(raw[:n]); err != nil {
			return err
		}
		raw = raw[n:]
	}
	return nil
}

// fail classifies err and ends the session politely when the server is
// still talking (a reply), or just drops it when it is not.
func (ss *smtpSession) fail(stage string, err error) *SendError {
	se := smtpClassify(ss.ctx, stage, err)
	if se.Code != 0 {
		ss.quit()
	} else {
		ss.abandon()
	}
	return se
}

// quit sends QUIT, best effort and briefly, and closes the connection.
func (ss *smtpSession) quit() {
	if ss.c == nil || ss.ctx.Err() != nil {
		return
	}
	ss.c.CommandTimeout = min(ss.timeout, smtpQuitTimeout)
	_ = ss.c.Quit()
	ss.abandon()
}

// abandon closes the connection without a word: after a network error or
// a timeout the client is unusable (notes: go-smtp client).
func (ss *smtpSession) abandon() {
	if ss.c != nil {
		ss.c.Close()
	}
	ss.conn.Close()
}

// close releases everything and reaps the watcher goroutine. It is safe
// to call more than once.
func (ss *smtpSession) close() {
	ss.once.Do(func() {
		close(ss.done)
		<-ss.exited
		ss.abandon()
	})
}

func (s *Sender) tlsConfig() *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.cfg.TLSConfig != nil {
		c = s.cfg.TLSConfig.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = s.cfg.Host
	}
	if s.cfg.InsecureSkipVerify {
		c.InsecureSkipVerify = true
	}
	return c
}

// smtpConn caps every deadline go-smtp sets at one step from now. go-smtp
// sets its own (CommandTimeout) for each command, but the greeting, EHLO
// and STARTTLS inside NewClientStartTLS run before we can lower it.
type smtpConn struct {
	net.Conn
	step time.Duration
}

func (c *smtpConn) clamp(t time.Time) time.Time {
	if max := time.Now().Add(c.step); !t.IsZero() && t.After(max) {
		return max
	}
	return t
}

func (c *smtpConn) SetDeadline(t time.Time) error      { return c.Conn.SetDeadline(c.clamp(t)) }
func (c *smtpConn) SetReadDeadline(t time.Time) error  { return c.Conn.SetReadDeadline(c.clamp(t)) }
func (c *smtpConn) SetWriteDeadline(t time.Time) error { return c.Conn.SetWriteDeadline(c.clamp(t)) }

// smtpBadAddr reports whether an envelope address would break the command
// line it goes into.
func smtpBadAddr(addr string) bool {
	return strings.ContainsAny(addr, "\r\n<> \t")
}

func smtpASCII(ss ...string) bool {
	for _, s := range ss {
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return false
			}
		}
	}
	return true
}

// Backoff returns how long to wait after the attempt-th failed delivery of
// a mail (attempt 1 is the first failure): base, doubled for each further
// attempt, capped at max, then shortened by up to 20% at random so that
// mails which failed together (a relay outage) do not retry in lock-step.
// The jitter only ever shortens, so max stays a true ceiling.
//
// With base 1m and max 1h the schedule is
//
//	1m, 2m, 4m, 8m, 16m, 32m, 1h, 1h, 1h, …   (each within [0.8d, d])
//
// until the outbox's give-up time. jitter returns a number in [0, 1) (it
// is clamped); nil uses math/rand/v2. base ≤ 0 means 1m, and max < base
// means base.
func Backoff(attempt int, base, max time.Duration, jitter func() float64) time.Duration {
	if base <= 0 {
		base = time.Minute
	}
	if max < base {
		max = base
	}
	d := base
	for i := 1; i < attempt && d < max; i++ {
		if d > max/2 {
			d = max // also keeps the doubling from overflowing
			break
		}
		d *= 2
	}
	d = min(d, max)
	var j float64
	if jitter != nil {
		j = jitter()
	} else {
		j = rand.Float64()
	}
	j = min(1, j)
	if !(j > 0) { // also catches NaN
		j = 0
	}
	return d - time.Duration(float64(d)*0.2*j)
}
