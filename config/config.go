// Package config reads and validates supportd's one TOML file.
//
// Validation happens once, at start, and is strict: an unknown key, a value
// of the wrong type, a duration without a unit or a missing required value
// fails with FILE:LINE: key: reason, so a typo never becomes a silent default
// (the classic 10 that quietly means 10 ns). Every problem is reported at once,
// sorted by line, so an operator can fix the file in one pass; the errors are
// *Error values, so the caller can tell a bad file (exit 2, no restart loop)
// from a failure of ours.
//
// Nothing here reads the process environment: the lookup is passed in, and
// only $CREDENTIALS_DIRECTORY is expanded, in *_file paths, because that is
// how systemd's LoadCredential= hands secrets to a service.
package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"net/mail"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// Example is the documented example configuration, every key with its
// default, for `supportd` to print and for operators to start from. A test
// keeps it valid and complete.
//
//go:embed supportd.example.toml
var Example []byte

// The TLS modes of [imap] tls and [smtp] tls.
const (
	TLSImplicit = "implicit" // TLS from the first byte (IMAPS 993, submissions 465)
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS
	TLSNone     = "none"     // no TLS at all: loopback and test servers only
)

// Config is a validated configuration. After Load or Parse every default is
// applied, relative paths are made relative to the file's directory, and
// the password and key fields hold the secrets themselves (read from their
// *_file when one is named).
type Config struct {
	Support  Support  `toml:"support"`
	IMAP     IMAP     `toml:"imap"`
	SMTP     SMTP     `toml:"smtp"`
	Store    Store    `toml:"store"`
	Log      Log      `toml:"log"`
	Workflow Workflow `toml:"workflow"`
	Agents   []Agent  `toml:"agents"`
}

// Workflow is the [workflow] table: when we follow up, close and remind.
type Workflow struct {
	// FollowupAfter is when a ticket waiting on the customer gets a kind check-in.
	FollowupAfter Duration `toml:"followup_after"`
	// CloseFollowupAfter is when it gets the "we'll close this" follow-up.
	CloseFollowupAfter Duration `toml:"close_followup_after"`
	// AutocloseAfter is when it closes without a third mail.
	AutocloseAfter Duration `toml:"autoclose_after"`
	// FirstResponseSLA is the first-response target: agents are alerted
	// at 75% and at the breach. "0s" turns the alerts off.
	FirstResponseSLA Duration `toml:"first_response_sla"`
	// AgentReminderAfter reminds the assignee of an unanswered customer reply.
	AgentReminderAfter Duration `toml:"agent_reminder_after"`
	// BusinessDays counts whole days in the follow-up durations as
	// Monday to Friday in TimeZone.
	BusinessDays bool `toml:"business_days"`
	// TimeZone is the IANA zone day counts follow, e.g. "Europe/Berlin".
	TimeZone string `toml:"time_zone"`
}

// Location returns the configured time zone (UTC when unset or unknown;
// Load refuses an unknown one).
func (w Workflow) Location() *time.Location {
	if w.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(w.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Support is the [support] table: who we are to customers.
type Support struct {
	// Address is the mailbox customers write to and the From of our mail.
	Address string `toml:"address"`
	// Name is the display name of our From and signs our replies.
	Name string `toml:"name"`
	// PlusAddressing sets Reply-To support+N@domain on customer mail, so a
	// reply threads even when the customer's client drops the headers.
	PlusAddressing bool `toml:"plus_addressing"`
	// TemplatesDir holds files that replace embedded templates of the same
	// name; "" means the embedded ones only.
	TemplatesDir string `toml:"templates_dir"`
	// AutoReplyLimit caps automatic mails to one sender per 24 hours, so a
	// misbehaving autoresponder cannot keep us in a loop.
	AutoReplyLimit int `toml:"auto_reply_limit"`
	// SecretKey keys the HMAC of agents' reply tokens; see Key.
	SecretKey Secret `toml:"secret_key"`
	// SecretKeyFile names a file holding SecretKey.
	SecretKeyFile string `toml:"secret_key_file"`
	// NextSteps is the "what happens next" text of the first response; ""
	// leaves the choice to the templates.
	NextSteps string `toml:"next_steps"`
	// RequireAuthenticatedAgents also demands dkim=pass or spf=pass for
	// the agent's domain before an agent action is accepted.
	RequireAuthenticatedAgents bool `toml:"require_authenticated_agents"`
	// AuthServID names the receiving MTA whose Authentication-Results
	// header is trusted (RFC 8601 §5); "" trusts only the topmost one.
	AuthServID string `toml:"authserv_id"`
}

// Key returns the server's HMAC key, or nil when the file names none (the
// caller then keeps one of its own, e.g. in the store).
func (s Support) Key() []byte {
	if s.SecretKey == "" {
		return nil
	}
	return []byte(s.SecretKey)
}

// IMAP is the [imap] table: the mailbox we watch.
type IMAP struct {
	Host         string `toml:"host"`
	Port         int    `toml:"port"` // default by TLS: 993 implicit, 143 otherwise
	TLS          string `toml:"tls"`  // TLSImplicit, TLSStartTLS or TLSNone
	Username     string `toml:"username"`
	Password     Secret `toml:"password"`
	PasswordFile string `toml:"password_file"`
	Folder       string `toml:"folder"`
	// PollInterval is how often to look for new mail when the server
	// lacks IDLE (or ForcePoll is set).
	PollInterval Duration `toml:"poll_interval"`
	ForcePoll    bool     `toml:"force_poll"`
	// InsecureSkipVerify accepts any certificate: test servers only.
	InsecureSkipVerify bool `toml:"insecure_skip_verify"`
	// SentFolder receives a copy of every mail we send; "" files none.
	SentFolder string `toml:"sent_folder"`
	// WatchSent also reads SentFolder for replies agents wrote directly
	// from the support mailbox, so they count as responses.
	WatchSent bool `toml:"watch_sent"`
	// UnreachableAlertAfter is how long the mailbox may be unreachable
	// before supportd says so loudly.
	UnreachableAlertAfter Duration `toml:"unreachable_alert_after"`
	// IdleRestart re-issues IDLE this often; RFC 2177 §3 has servers drop
	// an IDLE after 30 minutes.
	IdleRestart Duration `toml:"idle_restart"`
}

// SMTP is the [smtp] table: the server we submit mail through.
type SMTP struct {
	Host string `toml:"host"`
	Port int    `toml:"port"` // default by TLS: 465 implicit, 587 starttls, 25 none
	TLS  string `toml:"tls"`
	// Username "" means no AUTH (a relay that trusts our address).
	Username           string `toml:"username"`
	Password           Secret `toml:"password"`
	PasswordFile       string `toml:"password_file"`
	InsecureSkipVerify bool   `toml:"insecure_skip_verify"`
	// Helo is the name in EHLO; "" lets the client choose.
	Helo string `toml:"helo"`
	// Timeout bounds each step of a delivery.
	Timeout Duration `toml:"timeout"`
	// RetryFor is how long a message that fails temporarily is retried
	// before it fails for good and the agents are told.
	RetryFor Duration `toml:"retry_for"`
	// RetryBase is the wait before the first retry; it doubles with each
	// attempt up to RetryMax, so a short outage costs little delay and a
	// long one few connections.
	RetryBase Duration `toml:"retry_base"`
	RetryMax  Duration `toml:"retry_max"`
}

// Store is the [store] table.
type Store struct {
	Path string `toml:"path"`
	// MaxRawSize caps the raw message kept per mail; larger messages are
	// stored truncated, so one huge attachment cannot fill the disk.
	MaxRawSize Size `toml:"max_raw_size"`
}

// Log is the [log] table.
type Log struct {
	Level  string `toml:"level"`  // debug, info, warn or error
	Format string `toml:"format"` // text or json
}

// Agent is one [[agents]] entry: a person who answers tickets.
type Agent struct {
	Name    string `toml:"name"`
	Address string `toml:"address"`
}

// Default returns a configuration with every default applied and no
// required value set, for building one in code (the demo, tests). Its ports
// match the default TLS modes; a caller that changes a TLS mode sets the
// port too.
func Default() *Config {
	return &Config{
		Support: Support{Name: "Support", PlusAddressing: true, AutoReplyLimit: 3},
		IMAP: IMAP{
			TLS: TLSImplicit, Port: defaultPort("imap", TLSImplicit), Folder: "INBOX",
			PollInterval:          Duration(time.Minute),
			UnreachableAlertAfter: Duration(10 * time.Minute),
			IdleRestart:           Duration(25 * time.Minute),
		},
		SMTP: SMTP{
			TLS: TLSStartTLS, Port: defaultPort("smtp", TLSStartTLS),
			Timeout:   Duration(time.Minute),
			RetryFor:  Duration(48 * time.Hour),
			RetryBase: Duration(time.Minute),
			RetryMax:  Duration(time.Hour),
		},
		Store: Store{MaxRawSize: 25 * 1000 * 1000},
		Log:   Log{Level: "info", Format: "text"},
		Workflow: Workflow{
			FollowupAfter: Duration(3 * 24 * time.Hour), CloseFollowupAfter: Duration(5 * 24 * time.Hour),
			AutocloseAfter: Duration(7 * 24 * time.Hour), FirstResponseSLA: Duration(4 * time.Hour),
			AgentReminderAfter: Duration(24 * time.Hour), TimeZone: "UTC",
		},
	}
}

// defaultPort is the IANA port of a protocol in a TLS mode.
func defaultPort(proto, tls string) int {
	switch {
	case proto == "imap" && tls == TLSImplicit:
		return 993
	case proto == "imap":
		return 143
	case tls == TLSImplicit:
		return 465 // RFC 8314 submissions
	case tls == TLSStartTLS:
		return 587 // RFC 6409 submission
	default:
		return 25
	}
}

// LogValue summarises the configuration for the log: where we connect and
// as whom, never a secret (only where each one comes from).
func (c *Config) LogValue() slog.Value {
	agents := make([]string, len(c.Agents))
	for i, a := range c.Agents {
		agents[i] = a.Address
	}
	return slog.GroupValue(
		slog.String("support", c.Support.Address),
		slog.String("name", c.Support.Name),
		slog.Group("imap",
			slog.String("server", fmt.Sprintf("%s:%d", c.IMAP.Host, c.IMAP.Port)),
			slog.String("tls", c.IMAP.TLS),
			slog.String("username", c.IMAP.Username),
			slog.String("password", secretSource(c.IMAP.Password, c.IMAP.PasswordFile)),
			slog.String("folder", c.IMAP.Folder),
			slog.Bool("force_poll", c.IMAP.ForcePoll),
			slog.String("sent_folder", c.IMAP.SentFolder)),
		slog.Group("smtp",
			slog.String("server", fmt.Sprintf("%s:%d", c.SMTP.Host, c.SMTP.Port)),
			slog.String("tls", c.SMTP.TLS),
			slog.String("username", c.SMTP.Username),
			slog.String("password", secretSource(c.SMTP.Password, c.SMTP.PasswordFile)),
			slog.String("retry_for", c.SMTP.RetryFor.String())),
		slog.String("store", c.Store.Path),
		slog.String("templates_dir", c.Support.TemplatesDir),
		slog.String("secret_key", secretSource(c.Support.SecretKey, c.Support.SecretKeyFile)),
		slog.Any("agents", agents),
	)
}

// secretSource says where a secret came from without saying what it is.
func secretSource(s Secret, file string) string {
	switch {
	case file != "":
		return "from " + file
	case s != "":
		return "inline"
	default:
		return "none"
	}
}

// Error is one problem in the configuration file. It prints as
// FILE:LINE: key: reason, the line being that of the offending key, or of
// its table's header when the key is missing; Line is 0 (and left out) only
// when no line applies, e.g. a whole table is missing.
type Error struct {
	File   string
	Line   int
	Key    string // dotted, with array indexes: "imap.port", "agents[1].address"
	Reason string
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Secret is a password or key. It prints as [redacted] through fmt (every
// verb), JSON, TOML and slog, so it cannot reach a log by accident; an
// unset secret prints as "" so "is it set?" stays answerable. Reveal gives
// the value to the one place that needs it.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret itself.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) redacted() string {
	if s == "" {
		return ""
	}
	return redacted
}

// String implements fmt.Stringer.
func (s Secret) String() string { return s.redacted() }

// GoString implements fmt.GoStringer, for %#v.
func (s Secret) GoString() string { return strconv.Quote(s.redacted()) }

// Format implements fmt.Formatter, so no verb (%x, %q, %d …) prints the
// underlying string.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	fmt.Fprint(f, s.redacted())
}

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(s.redacted())), nil }

// MarshalText implements encoding.TextMarshaler for TOML and other text
// encoders. The receiver is a pointer on purpose: go-toml skips a
// value-receiver MarshalText on a string type and writes the string itself,
// but honours a pointer-receiver one (and takes the address to use it).
func (s *Secret) MarshalText() ([]byte, error) { return []byte(s.redacted()), nil }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.redacted()) }

// Duration is a time.Duration written as a number and a unit, repeated:
// "90s", "1m", "4h", "3d" (days), "2w" (weeks), "1h30m", "1d12h"; also "ms"
// and decimals ("1.5h"). A bare number is refused: "10" might mean seconds
// or minutes, and guessing is how 10 becomes 10 ns.
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

const (
	day  = 24 * time.Hour
	week = 7 * day
)

// durationUnits is ordered from the largest unit, for String.
func durationUnits() []struct {
	name string
	d    time.Duration
} {
	return []struct {
		name string
		d    time.Duration
	}{{"w", week}, {"d", day}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond}}
}

const durationHelp = `use a number and a unit (ms, s, m, h, d, w), e.g. "90s", "1h30m", "3d"`

// ParseDuration reads the configuration's duration syntax (see Duration).
func ParseDuration(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	if s == "" {
		return 0, fmt.Errorf("empty duration: %s", durationHelp)
	}
	var total float64
	for rest := s; rest != ""; {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		j := i
		for j < len(rest) && (rest[j] >= 'a' && rest[j] <= 'z' || rest[j] >= 'A' && rest[j] <= 'Z') {
			j++
		}
		num, unit := rest[:i], rest[i:j]
		if num == "" || (j == i && j < len(rest)) {
			return 0, fmt.Errorf("%q is not a duration: %s", s, durationHelp)
		}
		if unit == "" && num == s {
			return 0, fmt.Errorf("%q has no unit: %s", s, durationHelp)
		}
		if unit == "" {
			return 0, fmt.Errorf("%q ends in a number without a unit: %s", s, durationHelp)
		}
		n, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration: %s", s, durationHelp)
		}
		var mult time.Duration
		for _, u := range durationUnits() {
			if u.name == unit {
				mult = u.d
			}
		}
		if mult == 0 {
			return 0, fmt.Errorf("%q has an unknown unit %q: %s", s, unit, durationHelp)
		}
		total += n * float64(mult)
		rest = rest[j:]
	}
	if total >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is too long a duration", s)
	}
	return time.Duration(total), nil
}

// String writes d in the configuration's syntax, largest units first
// ("1d12h", "2w"), so what is printed can be pasted back into the file.
func (d Duration) String() string {
	v := time.Duration(d)
	if v == 0 {
		return "0s"
	}
	var b strings.Builder
	if v < 0 {
		b.WriteByte('-')
		v = -v
	}
	for _, u := range durationUnits() {
		if v >= u.d {
			fmt.Fprintf(&b, "%d%s", v/u.d, u.name)
			v %= u.d
		}
	}
	if v > 0 { // below a millisecond: Go's own notation
		b.WriteString(v.String())
	}
	return b.String()
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Size is a number of bytes, written "25MB", "512KiB", "1GB" (decimal units
// KB, MB, GB, TB; binary KiB, MiB, GiB, TiB; case does not matter) or as a
// bare number of bytes, quoted or not.
type Size int64

// sizeUnits is ordered from the largest unit, for String.
func sizeUnits() []struct {
	name string
	n    int64
} {
	return []struct {
		name string
		n    int64
	}{{"TiB", 1 << 40}, {"TB", 1e12}, {"GiB", 1 << 30}, {"GB", 1e9}, {"MiB", 1 << 20}, {"MB", 1e6}, {"KiB", 1 << 10}, {"KB", 1e3}, {"B", 1}}
}

const sizeHelp = `use a number of bytes or a number and a unit (KB, MB, GB, KiB, MiB, GiB), e.g. "25MB", "512KiB"`

// ParseSize reads the configuration's size syntax (see Size).
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("%q is not a size: %s", s, sizeHelp)
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is too large a size", s)
	}
	unit := strings.TrimSpace(t[i:])
	mult := int64(0)
	if unit == "" {
		mult = 1
	}
	for _, u := range sizeUnits() {
		if strings.EqualFold(unit, u.name) {
			mult = u.n
		}
	}
	if mult == 0 {
		return 0, fmt.Errorf("%q has an unknown unit %q: %s", s, unit, sizeHelp)
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is too large a size", s)
	}
	return Size(n * mult), nil
}

// String writes s with the largest unit that divides it exactly ("25MB",
// "512KiB", "100B").
func (s Size) String() string {
	if s <= 0 {
		return strconv.FormatInt(int64(s), 10) + "B"
	}
	for _, u := range sizeUnits() {
		if int64(s)%u.n == 0 {
			return strconv.FormatInt(int64(s)/u.n, 10) + u.name
		}
	}
	return strconv.FormatInt(int64(s), 10) + "B"
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Size) UnmarshalText(b []byte) error {
	v, err := ParseSize(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (s Size) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Load reads and validates the file at path. env looks up environment
// variables (os.Getenv in production); it is consulted only for
// $CREDENTIALS_DIRECTORY. Every error is an *Error, alone or several joined
// with errors.Join, sorted by line.
func Load(path string, env func(string) string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Reason: "cannot read: " + pathErrorReason(err)}
	}
	return Parse(path, data, env)
}

// Parse validates data as the configuration file called name; name appears
// in errors, and relative paths in the file are taken relative to its
// directory (as Load does), so the file means the same whatever the
// working directory. A nil env is an empty environment.
func Parse(name string, data []byte, env func(string) string) (*Config, error) {
	if env == nil {
		env = func(string) string { return "" }
	}
	l := &loader{file: name, dir: filepath.Dir(name), idx: indexDocument(data), env: env, schema: schemaOf(reflect.TypeFor[Config]())}
	c := Default() // the decoder leaves absent keys alone: they keep their defaults
	l.checkTypes()
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		l.decodeError(err)
	}
	if len(l.errs) > 0 {
		// The values are not what the file meant; validating them would
		// only add confusing follow-on errors.
		return nil, l.err()
	}
	l.validate(c)
	if len(l.errs) > 0 {
		return nil, l.err()
	}
	return c, nil
}

// loader carries what a Parse needs to report problems precisely.
type loader struct {
	file   string
	dir    string
	idx    *docIndex
	env    func(string) string
	schema map[string]reflect.Type
	errs   []*Error
}

// fail records a problem with key, at the key's line or, for a key the
// file lacks, at the line of the nearest table header that holds it.
func (l *loader) fail(key, format string, args ...any) {
	l.errs = append(l.errs, &Error{File: l.file, Line: l.idx.lineOf(key), Key: key, Reason: fmt.Sprintf(format, args...)})
}

// err returns the recorded problems sorted by line (then key, so the
// output is the same every run): one *Error alone, so
// the common case is simple to inspect, or all of them joined.
func (l *loader) err() error {
	sort.SliceStable(l.errs, func(i, j int) bool {
		a, b := l.errs[i], l.errs[j]
		return a.Line < b.Line || a.Line == b.Line && a.Key < b.Key
	})
	if len(l.errs) == 1 {
		return l.errs[0]
	}
	list := make([]error, len(l.errs))
	for i, e := range l.errs {
		list[i] = e
	}
	return errors.Join(list...)
}

// checkTypes catches what the decoder would get wrong quietly or without a
// line. Duration and Size are int64 underneath, so the decoder would store
// `poll_interval = 60` as 60 ns without complaint; and a float or boolean
// reaches their UnmarshalText, whose error go-toml returns without any
// position. So those keys' value types are checked here, from the parsed
// document, where the line is known.
func (l *loader) checkTypes() {
	durationType, sizeType := reflect.TypeFor[Duration](), reflect.TypeFor[Size]()
	for key, e := range l.idx.keys {
		switch l.schema[schemaKey(key)] {
		case durationType:
			if e.kind == unstable.Integer || e.kind == unstable.Float {
				l.fail(key, "%s has no unit: write a duration in quotes, e.g. \"90s\", \"1h30m\", \"3d\"", e.text)
			} else if e.kind != unstable.String {
				l.fail(key, "expected %s, got %s", describeType(durationType), describeKind(e.kind))
			}
		case sizeType:
			if e.kind != unstable.String && e.kind != unstable.Integer {
				l.fail(key, "expected %s, got %s", describeType(sizeType), describeKind(e.kind))
			}
		}
	}
}

// decodeError turns go-toml's errors into *Error values with our keys.
func (l *loader) decodeError(err error) {
	// StrictMissingError unwraps to its DecodeErrors, so it goes first.
	var sme *toml.StrictMissingError
	if errors.As(err, &sme) {
		for i := range sme.Errors {
			de := &sme.Errors[i]
			line, col := de.Position()
			key, what := l.idx.keyAt(line, col, de.Key()), "key"
			if strings.Contains(de.Error(), "missing table") {
				// The whole table is unknown, every [[entry]] of it alike.
				key, what = strings.Join(de.Key(), "."), "table"
			}
			l.errs = append(l.errs, &Error{File: l.file, Line: line, Key: key, Reason: "unknown " + what + l.suggest(key)})
		}
		return
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		key := l.idx.keyAt(line, col, de.Key())
		reason := strings.TrimPrefix(de.Error(), "toml: ")
		if strings.HasPrefix(reason, "cannot decode TOML ") && l.schema[schemaKey(key)] != nil {
			// go-toml names Go types ("struct field config.IMAP.Port of
			// type int"); say it in the file's terms instead.
			reason = fmt.Sprintf("expected %s, got %s", describeType(l.schema[schemaKey(key)]), describeKind(l.idx.keys[key].kind))
		}
		l.errs = append(l.errs, &Error{File: l.file, Line: line, Key: key, Reason: reason})
		return
	}
	// Only encoding.TextUnmarshaler errors for non-string values come
	// without a position, and checkTypes has already reported each of
	// those at its line. Should another kind ever come, report it without
	// a line rather than lose it.
	if len(l.errs) == 0 {
		l.errs = append(l.errs, &Error{File: l.file, Reason: err.Error()})
	}
}

// suggest returns a hint for an unknown key: a close spelling among the
// keys its table allows, or the table where a key of that name belongs.
func (l *loader) suggest(key string) string {
	sk := schemaKey(key)
	parent, leaf := "", sk
	if i := strings.LastIndex(sk, "."); i >= 0 {
		parent, leaf = sk[:i], sk[i+1:]
	}
	best, bestDist := "", 3
	var elsewhere []string
	for k := range l.schema {
		kp, kl := "", k
		if i := strings.LastIndex(k, "."); i >= 0 {
			kp, kl = k[:i], k[i+1:]
		}
		if kp != parent {
			if kl == leaf && kp != "" {
				elsewhere = append(elsewhere, kp)
			}
			continue
		}
		if d := editDistance(leaf, kl); d < bestDist || d == bestDist && kl < best {
			best, bestDist = kl, d
		}
	}
	switch {
	case best != "" && bestDist <= len(leaf)/3+1:
		if l.schema[joinKey(parent, best)].Kind() == reflect.Struct {
			return fmt.Sprintf(" (did you mean [%s]?)", joinKey(parent, best))
		}
		if l.schema[joinKey(parent, best)].Kind() == reflect.Slice {
			return fmt.Sprintf(" (did you mean [[%s]]?)", joinKey(parent, best))
		}
		return fmt.Sprintf(" (did you mean %s?)", best)
	case len(elsewhere) > 0:
		sort.Strings(elsewhere)
		return fmt.Sprintf(" (%s belongs in [%s])", leaf, elsewhere[0])
	}
	return ""
}

func joinKey(parent, leaf string) string {
	if parent == "" {
		return leaf
	}
	return parent + "." + leaf
}

// editDistance is the Levenshtein distance, for spelling suggestions.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// validate checks the decoded values, fills the defaults that depend on
// other values, resolves paths and reads the secrets.
func (l *loader) validate(c *Config) {
	l.address("support.address", c.Support.Address)
	l.required("support.name", c.Support.Name) // only when written as "": it has a default
	if c.Support.AutoReplyLimit < 1 {
		l.fail("support.auto_reply_limit", "must be at least 1: the first response to a new sender counts as one")
	}
	if c.Support.TemplatesDir != "" {
		c.Support.TemplatesDir = l.path(c.Support.TemplatesDir)
	}
	l.secret("support", "secret_key", &c.Support.SecretKey, &c.Support.SecretKeyFile, false)
	if n := len(c.Support.SecretKey); n > 0 && n < 16 {
		key := "support.secret_key"
		if c.Support.SecretKeyFile != "" {
			key = "support.secret_key_file"
		}
		l.fail(key, "too short (%d bytes): use at least 16 random bytes, e.g. from `openssl rand -base64 32`", n)
	}

	l.required("imap.host", c.IMAP.Host)
	l.required("imap.username", c.IMAP.Username)
	l.connection("imap", &c.IMAP.TLS, &c.IMAP.Port)
	l.secret("imap", "password", &c.IMAP.Password, &c.IMAP.PasswordFile, true)
	if c.IMAP.Folder == "" {
		l.fail("imap.folder", "must not be empty")
	}
	l.positive("imap.poll_interval", c.IMAP.PollInterval, time.Second)
	l.positive("imap.unreachable_alert_after", c.IMAP.UnreachableAlertAfter, time.Second)
	l.positive("imap.idle_restart", c.IMAP.IdleRestart, time.Second)
	if c.IMAP.IdleRestart.D() > 29*time.Minute {
		// RFC 2177 §3: servers may log a client off after 30 minutes of
		// IDLE, so clients re-issue it "at least every 29 minutes".
		l.fail("imap.idle_restart", "must be at most 29m (RFC 2177: servers may drop an IDLE after 30 minutes)")
	}
	if c.IMAP.WatchSent && c.IMAP.SentFolder == "" {
		l.fail("imap.watch_sent", "needs imap.sent_folder: the folder to watch")
	}

	l.required("smtp.host", c.SMTP.Host)
	l.connection("smtp", &c.SMTP.TLS, &c.SMTP.Port)
	// Without a username there is no AUTH, so no password either.
	l.secret("smtp", "password", &c.SMTP.Password, &c.SMTP.PasswordFile, c.SMTP.Username != "")
	if c.SMTP.Username == "" && c.SMTP.Password != "" {
		l.fail("smtp.username", "missing: a password is set, so supportd would log in, but as whom?")
	}
	if strings.ContainsAny(c.SMTP.Helo, " \t\r\n") {
		l.fail("smtp.helo", "%q is not a host name", c.SMTP.Helo)
	}
	l.positive("smtp.timeout", c.SMTP.Timeout, time.Second)
	l.positive("smtp.retry_for", c.SMTP.RetryFor, time.Minute)
	l.positive("smtp.retry_base", c.SMTP.RetryBase, time.Second)
	if c.SMTP.RetryMax < c.SMTP.RetryBase {
		// Point at whichever of the two the file sets.
		if _, given := l.idx.keys["smtp.retry_max"]; given {
			l.fail("smtp.retry_max", "%s is shorter than smtp.retry_base (%s)", c.SMTP.RetryMax, c.SMTP.RetryBase)
		} else {
			l.fail("smtp.retry_base", "%s is longer than smtp.retry_max (%s)", c.SMTP.RetryBase, c.SMTP.RetryMax)
		}
	}

	if l.required("store.path", c.Store.Path) {
		c.Store.Path = l.path(c.Store.Path)
	}
	if c.Store.MaxRawSize <= 0 {
		l.fail("store.max_raw_size", "must be more than 0")
	}

	l.oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	if c.Workflow.TimeZone != "" {
		if _, err := time.LoadLocation(c.Workflow.TimeZone); err != nil {
			l.fail("workflow.time_zone", "%q is not a time zone (use an IANA name such as \"Europe/Berlin\")", c.Workflow.TimeZone)
		}
	}
	w := c.Workflow
	if w.FollowupAfter > 0 && w.CloseFollowupAfter > 0 && w.AutocloseAfter > 0 &&
		!(w.FollowupAfter < w.CloseFollowupAfter && w.CloseFollowupAfter < w.AutocloseAfter) {
		l.fail("workflow.close_followup_after", "the follow-ups must come in order: followup_after < close_followup_after < autoclose_after")
	}
	l.oneOf("log.format", c.Log.Format, "text", "json")

	if len(c.Agents) == 0 {
		l.fail("agents", "missing: at least one [[agents]] entry (name and address) is required")
	}
	seen := map[string]int{}
	for i, a := range c.Agents {
		prefix := fmt.Sprintf("agents[%d]", i)
		l.required(prefix+".name", a.Name)
		if !l.address(prefix+".address", a.Address) {
			continue
		}
		norm := strings.ToLower(a.Address)
		if j, dup := seen[norm]; dup {
			l.fail(prefix+".address", "%s is already agents[%d]", a.Address, j)
		}
		seen[norm] = i
		if strings.EqualFold(a.Address, c.Support.Address) {
			l.fail(prefix+".address", "is the support address itself; an agent needs a mailbox of their own")
		}
	}
}

// required fails when a required value is absent or empty, and reports
// whether it was there.
func (l *loader) required(key, v string) bool {
	if v != "" {
		return true
	}
	if _, given := l.idx.keys[key]; given {
		l.fail(key, "must not be empty")
	} else {
		l.fail(key, "missing")
	}
	return false
}

// address checks a required bare email address, and reports whether it is
// one.
func (l *loader) address(key, v string) bool {
	if !l.required(key, v) {
		return false
	}
	a, err := mail.ParseAddress(v)
	switch {
	case err != nil:
		l.fail(key, "%q is not an email address", v)
		return false
	case a.Address != v:
		l.fail(key, "write only the address (%s), without a display name", a.Address)
		return false
	}
	return true
}

// connection checks tls and port, and picks the port by TLS mode when the
// file gives none.
func (l *loader) connection(table string, tls *string, port *int) {
	if !l.oneOf(table+".tls", *tls, TLSImplicit, TLSStartTLS, TLSNone) {
		return
	}
	if _, given := l.idx.keys[table+".port"]; !given {
		*port = defaultPort(table, *tls)
	}
	if *port < 1 || *port > 65535 {
		l.fail(table+".port", "%d is not a port (1-65535)", *port)
	}
}

func (l *loader) oneOf(key, v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	l.fail(key, "%q is not one of %s", v, strings.Join(allowed, ", "))
	return false
}

func (l *loader) positive(key string, d Duration, least time.Duration) {
	if d.D() < least {
		l.fail(key, "must be at least %s", Duration(least))
	}
}

// path makes a relative path relative to the configuration file.
func (l *loader) path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(l.dir, p)
}

// secret resolves an inline secret or a *_file one (never both), leaving
// the value in *inline and the resolved path in *file.
func (l *loader) secret(table, name string, inline *Secret, file *string, required bool) {
	fileKey := table + "." + name + "_file"
	switch {
	case *inline != "" && *file != "":
		l.fail(fileKey, "set %s or %s_file, not both", name, name)
	case *file != "":
		p, err := expandCredentials(*file, l.env)
		if err != nil {
			l.fail(fileKey, "%v", err)
			return
		}
		p = l.path(p)
		b, err := os.ReadFile(p)
		if err != nil {
			l.fail(fileKey, "cannot read %s: %s", p, pathErrorReason(err))
			return
		}
		// Exactly one trailing newline goes: editors and `echo` add it,
		// but any other character may be part of the secret.
		v := strings.TrimSuffix(string(b), "\n")
		if len(v) < len(b) {
			v = strings.TrimSuffix(v, "\r")
		}
		if v == "" {
			l.fail(fileKey, "%s is empty", p)
			return
		}
		*inline, *file = Secret(v), p
	case *inline == "" && required:
		l.fail(fileKey, "missing: set %s_file (or %s)", name, name)
	}
}

// expandCredentials expands $CREDENTIALS_DIRECTORY and
// ${CREDENTIALS_DIRECTORY}, and refuses any other variable: a path that
// silently kept "$HOME" would fail later with a more puzzling message.
func expandCredentials(p string, env func(string) string) (string, error) {
	const name = "CREDENTIALS_DIRECTORY"
	var problem error
	out := os.Expand(p, func(v string) string {
		switch {
		case problem != nil:
		case v != name:
			problem = fmt.Errorf("%q names $%s, but only $%s is expanded", p, v, name)
		case env(name) == "":
			problem = fmt.Errorf("%q names $%s, which is not set (systemd sets it for a unit with LoadCredential=)", p, name)
		}
		return env(name)
	})
	return out, problem
}

// pathErrorReason drops the path from an *fs.PathError, which the caller
// has already named.
func pathErrorReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// docIndex records where each key and table of the document is, so
// problems found after decoding still point at a line.
type docIndex struct {
	keys   map[string]docEntry // "imap.port", "agents[1].address"
	tables map[string]int      // "imap", "agents[1]" → line of the header
	byLine map[int][]docSpot   // every key and table written on a line, duplicates too
}

type docEntry struct {
	line int
	kind unstable.Kind
	text string // the value as written, for messages; empty for strings, which may be secrets
}

// docSpot is where a key (or table header) and its value start on a line;
// go-toml's errors point at one or the other.
type docSpot struct {
	path           string
	keyCol, valCol int
}

// indexDocument walks the document with go-toml's own parser, so multi-line
// strings, dotted and quoted keys and inline tables are read exactly as the
// decoder reads them. A syntax error stops the walk; the decoder reports it.
func indexDocument(data []byte) *docIndex {
	ix := &docIndex{keys: map[string]docEntry{}, tables: map[string]int{}, byLine: map[int][]docSpot{}}
	var p unstable.Parser
	p.Reset(data)
	table := ""
	arrays := map[string]int{}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			path, at := ix.keyPath(&p, "", e.Key())
			if e.Kind == unstable.ArrayTable {
				n := arrays[path]
				arrays[path]++
				path = fmt.Sprintf("%s[%d]", path, n)
			}
			table = path
			ix.table(path, at.Line)
			ix.byLine[at.Line] = append(ix.byLine[at.Line], docSpot{path: path, keyCol: at.Column})
		case unstable.KeyValue:
			ix.keyValue(&p, table, e)
		}
	}
	return ix
}

// keyPath joins a (dotted) key under prefix and returns where it starts,
// recording the implicit tables a dotted key creates.
func (ix *docIndex) keyPath(p *unstable.Parser, prefix string, it unstable.Iterator) (string, unstable.Position) {
	path, at := prefix, unstable.Position{}
	for it.Next() {
		n := it.Node()
		if at.Line == 0 {
			at = p.Shape(n.Raw).Start
		}
		ix.table(path, at.Line) // a.b.c = 1 makes the tables a and a.b
		path = joinKey(path, string(n.Data))
	}
	return path, at
}

func (ix *docIndex) table(path string, line int) {
	if _, ok := ix.tables[path]; !ok && path != "" {
		ix.tables[path] = line
	}
}

func (ix *docIndex) keyValue(p *unstable.Parser, prefix string, kv *unstable.Node) {
	path, at := ix.keyPath(p, prefix, kv.Key())
	v := kv.Value()
	e := docEntry{line: at.Line, kind: v.Kind}
	if v.Kind != unstable.String {
		e.text = string(p.Raw(v.Raw))
	}
	if _, dup := ix.keys[path]; !dup {
		ix.keys[path] = e
	}
	valCol := 0
	if v.Raw.Length > 0 { // arrays carry no range of their own
		valCol = p.Shape(v.Raw).Start.Column
	}
	ix.byLine[at.Line] = append(ix.byLine[at.Line], docSpot{path: path, keyCol: at.Column, valCol: valCol})
	switch v.Kind {
	case unstable.InlineTable:
		ix.table(path, at.Line)
		for it := v.Children(); it.Next(); {
			ix.keyValue(p, path, it.Node())
		}
	case unstable.Array:
		i := 0
		for it := v.Children(); it.Next(); i++ {
			if el := it.Node(); el.Kind == unstable.InlineTable {
				ep := fmt.Sprintf("%s[%d]", path, i)
				ix.table(ep, p.Shape(el.Raw).Start.Line)
				for kvs := el.Children(); kvs.Next(); {
					ix.keyValue(p, ep, kvs.Node())
				}
			}
		}
	}
}

// lineOf is the line of key, else of the nearest enclosing table that the
// document has, else 0.
func (ix *docIndex) lineOf(key string) int {
	if e, ok := ix.keys[key]; ok {
		return e.line
	}
	for k := key; k != ""; {
		if line, ok := ix.tables[k]; ok {
			return line
		}
		i := strings.LastIndexAny(k, ".[")
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return 0
}

// keyAt finds the full path (table prefix and array indexes included) of
// the key at line and column that go-toml calls want. go-toml's keys carry
// no array indexes, and for a value inside an inline table only the outer
// key; the column, which points at the key or at its value, settles it.
func (ix *docIndex) keyAt(line, col int, want []string) string {
	w := strings.Join(want, ".")
	for _, s := range ix.byLine[line] {
		if s.keyCol == col || s.valCol == col {
			return s.path
		}
	}
	for _, s := range ix.byLine[line] {
		if sk := schemaKey(s.path); sk == w || strings.HasSuffix(sk, "."+w) {
			return s.path
		}
	}
	return w
}

// schemaKey drops array indexes: "agents[1].address" → "agents.address".
func schemaKey(key string) string {
	if !strings.Contains(key, "[") {
		return key
	}
	var b strings.Builder
	skip := false
	for _, r := range key {
		switch {
		case r == '[':
			skip = true
		case r == ']':
			skip = false
		case !skip:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// schemaOf lists every key Config accepts, with its Go type, from the toml
// tags, so checks and suggestions cannot drift from the struct.
func schemaOf(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			if !f.IsExported() || name == "" || name == "-" {
				continue
			}
			key := joinKey(prefix, name)
			out[key] = f.Type
			switch {
			case f.Type.Kind() == reflect.Struct:
				walk(f.Type, key)
			case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
				walk(f.Type.Elem(), key)
			}
		}
	}
	walk(t, "")
	return out
}

// describeType says what a key of Go type t takes, in the file's terms.
func describeType(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[Duration]():
		return `a duration in quotes, e.g. "90s", "1h30m", "3d"`
	case reflect.TypeFor[Size]():
		return `a size, e.g. "25MB", "512KiB", or a number of bytes`
	}
	switch t.Kind() {
	case reflect.String:
		return "a string in quotes"
	case reflect.Int, reflect.Int64:
		return "a whole number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "[[...]] entries"
	case reflect.Struct:
		return "a [table]"
	}
	return t.String()
}

// describeKind names a TOML value kind for a message.
func describeKind(k unstable.Kind) string {
	switch k {
	case unstable.String:
		return "a string"
	case unstable.Integer:
		return "a whole number"
	case unstable.Float:
		return "a decimal number"
	case unstable.Bool:
		return "a boolean"
	case unstable.Array:
		return "an array"
	case unstable.InlineTable, unstable.Invalid:
		return "a table"
	default:
		return "a date or time"
	}
}
