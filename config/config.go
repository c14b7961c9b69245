// Package config reads supportd's one TOML file and validates it at start:
// an unknown key, a missing value or a bad duration fails with the file,
// the line and the reason, so a typo never becomes a silent default.
//
// Nothing here reads the environment directly: the lookup function is
// passed in, and only $CREDENTIALS_DIRECTORY is ever expanded (in *_file
// paths, as systemd's LoadCredential= provides it).
package config

import (
	"bufio"
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// Example is the documented example configuration.
//
//go:embed supportd.example.toml
var Example []byte

// Config is the validated configuration.
type Config struct {
	Support Support  `toml:"support"`
	IMAP    IMAP     `toml:"imap"`
	SMTP    SMTP     `toml:"smtp"`
	Store   Store    `toml:"store"`
	Log     Log      `toml:"log"`
	Agents  []Agent  `toml:"agents"`
	Web     Web      `toml:"web"`
	file    string   // where it was read from
	lines   lineInfo // key → line, for errors found after decoding
}

// Support is the [support] table.
type Support struct {
	Address        string `toml:"address"`
	Name           string `toml:"name"`
	PlusAddressing *bool  `toml:"plus_addressing"`
	TemplatesDir   string `toml:"templates_dir"`
	AutoReplyLimit int    `toml:"auto_reply_limit"`
	SecretKey      Secret `toml:"secret_key"`
	SecretKeyFile  string `toml:"secret_key_file"`
	NextSteps      string `toml:"next_steps"`
	// RequireAuthenticatedAgents demands dkim=pass or spf=pass in the
	// receiving MTA's Authentication-Results for agent actions.
	RequireAuthenticatedAgents bool   `toml:"require_authenticated_agents"`
	AuthServID                 string `toml:"authserv_id"`
}

// PlusAddressingOn reports the plus_addressing setting (default true).
func (s Support) PlusAddressingOn() bool { return s.PlusAddressing == nil || *s.PlusAddressing }

// IMAP is the [imap] table.
type IMAP struct {
	Host                  string   `toml:"host"`
	Port                  int      `toml:"port"`
	TLS                   string   `toml:"tls"`
	Username              string   `toml:"username"`
	Password              Secret   `toml:"password"`
	PasswordFile          string   `toml:"password_file"`
	Folder                string   `toml:"folder"`
	PollInterval          Duration `toml:"poll_interval"`
	ForcePoll             bool     `toml:"force_poll"`
	InsecureSkipVerify    bool     `toml:"insecure_skip_verify"`
	SentFolder            string   `toml:"sent_folder"`
	WatchSent             bool     `toml:"watch_sent"`
	UnreachableAlertAfter Duration `toml:"unreachable_alert_after"`
	IdleRestart           Duration `toml:"idle_restart"`
}

// SMTP is the [smtp] table.
type SMTP struct {
	Host               string   `toml:"host"`
	Port               int      `toml:"port"`
	TLS                string   `toml:"tls"`
	Username           string   `toml:"username"`
	Password           Secret   `toml:"password"`
	PasswordFile       string   `toml:"password_file"`
	InsecureSkipVerify bool     `toml:"insecure_skip_verify"`
	Helo               string   `toml:"helo"`
	Timeout            Duration `toml:"timeout"`
	RetryFor           Duration `toml:"retry_for"`
	RetryBase          Duration `toml:"retry_base"`
	RetryMax           Duration `toml:"retry_max"`
}

// Store is the [store] table.
type Store struct {
	Path       string `toml:"path"`
	MaxRawSize Size   `toml:"max_raw_size"`
}

// Log is the [log] table.
type Log struct {
	Level  string `toml:"level"`
	Format string `toml:"format"`
}

// Web is the [web] table (used by later features; validated already).
type Web struct {
	Listen    string `toml:"listen"`
	PublicURL string `toml:"public_url"`
}

// Agent is one [[agents]] entry.
type Agent struct {
	Name    string `toml:"name"`
	Address string `toml:"address"`
}

// Error is one problem in the file.
type Error struct {
	File   string
	Line   int // 0 when no line applies
	Key    string
	Reason string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Secret is a password or key: it prints as [redacted] everywhere (fmt,
// JSON, slog), so it cannot leak into a log by accident.
type Secret string

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer.
func (s Secret) String() string { return redact(s) }

// GoString implements fmt.GoStringer.
func (s Secret) GoString() string { return redact(s) }

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(redact(s))), nil }

// MarshalText implements encoding.TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redact(s)), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Secret) UnmarshalText(b []byte) error { *s = Secret(b); return nil }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redact(s)) }

// Format implements fmt.Formatter, covering %v, %+v, %s, %q and the rest.
func (s Secret) Format(f fmt.State, verb rune) { fmt.Fprint(f, redact(s)) }

func redact(s Secret) string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// Duration is a time.Duration written as "90s", "1m", "4h", "3d", "2w",
// "1h30m" or "1d12h".
type Duration time.Duration

// D returns the duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

var durationPart = regexp.MustCompile(`^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)`)

// ParseDuration reads the duration syntax of the configuration.
func ParseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, errors.New("empty duration")
	}
	if in == "0" {
		return 0, nil
	}
	units := map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}
	var total time.Duration
	rest := in
	for rest != "" {
		m := durationPart.FindStringSubmatch(rest)
		if m == nil {
			return 0, fmt.Errorf("bad duration %q (use a number and a unit: ms, s, m, h, d, w; e.g. \"90s\", \"3d\", \"1h30m\")", s)
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		total += time.Duration(v * float64(units[m[2]]))
		rest = rest[len(m[0]):]
	}
	return total, nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	*d = Duration(v)
	return err
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Size is a byte count written as "25MB", "512KiB", "1GB" or a bare number.
type Size int64

var sizePattern = regexp.MustCompile(`^(\d+)\s*([KMGT]i?B|B)?$`)

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Size) UnmarshalText(b []byte) error {
	m := sizePattern.FindStringSubmatch(strings.TrimSpace(string(b)))
	if m == nil {
		return fmt.Errorf("bad size %q (e.g. \"25MB\", \"512KiB\", or a number of bytes)", b)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	mult := map[string]int64{"": 1, "B": 1, "KB": 1000, "MB": 1000 * 1000, "GB": 1000 * 1000 * 1000, "TB": 1e12,
		"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}[m[2]]
	*s = Size(n * mult)
	return nil
}

// Default returns a configuration with every default applied and nothing
// else set, for building one in code (the demo, tests).
func Default() *Config {
	c := &Config{}
	c.applyDefaults()
	return c
}

func (c *Config) applyDefaults() {
	if c.IMAP.TLS == "" {
		c.IMAP.TLS = "implicit"
	}
	if c.IMAP.Port == 0 {
		c.IMAP.Port = map[string]int{"implicit": 993}[c.IMAP.TLS]
		if c.IMAP.Port == 0 {
			c.IMAP.Port = 143
		}
	}
	if c.IMAP.Folder == "" {
		c.IMAP.Folder = "INBOX"
	}
	if c.IMAP.PollInterval == 0 {
		c.IMAP.PollInterval = Duration(time.Minute)
	}
	if c.IMAP.UnreachableAlertAfter == 0 {
		c.IMAP.UnreachableAlertAfter = Duration(10 * time.Minute)
	}
	if c.IMAP.IdleRestart == 0 {
		c.IMAP.IdleRestart = Duration(25 * time.Minute)
	}
	if c.SMTP.TLS == "" {
		c.SMTP.TLS = "starttls"
	}
	if c.SMTP.Port == 0 {
		c.SMTP.Port = map[string]int{"implicit": 465, "starttls": 587, "none": 25}[c.SMTP.TLS]
	}
	if c.SMTP.Timeout == 0 {
		c.SMTP.Timeout = Duration(time.Minute)
	}
	if c.SMTP.RetryFor == 0 {
		c.SMTP.RetryFor = Duration(48 * time.Hour)
	}
	if c.SMTP.RetryBase == 0 {
		c.SMTP.RetryBase = Duration(time.Minute)
	}
	if c.SMTP.RetryMax == 0 {
		c.SMTP.RetryMax = Duration(time.Hour)
	}
	if c.Store.MaxRawSize == 0 {
		c.Store.MaxRawSize = 25 << 20
	}
	if c.Support.AutoReplyLimit == 0 {
		c.Support.AutoReplyLimit = 3
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "text"
	}
}

// Load reads and validates the file at path. env looks up environment
// variables (os.Getenv in production).
func Load(path string, env func(string) string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Reason: err.Error()}
	}
	return Parse(path, data, env)
}

// Parse validates data as the configuration file called name.
func Parse(name string, data []byte, env func(string) string) (*Config, error) {
	if env == nil {
		env = func(string) string { return "" }
	}
	c := &Config{file: name, lines: scanLines(data)}
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return nil, c.decodeError(err)
	}
	c.applyDefaults()
	var errs []*Error
	c.validate(&errs, env)
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
		list := make([]error, len(errs))
		for i, e := range errs {
			list[i] = e
		}
		return nil, errors.Join(list...)
	}
	return c, nil
}

func (c *Config) decodeError(err error) error {
	var sme *toml.StrictMissingError
	if errors.As(err, &sme) {
		var list []error
		for i := range sme.Errors {
			de := &sme.Errors[i]
			row, _ := de.Position()
			list = append(list, &Error{File: c.file, Line: row, Key: strings.Join(de.Key(), "."), Reason: "unknown key"})
		}
		return errors.Join(list...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, _ := de.Position()
		key := strings.Join(de.Key(), ".")
		return &Error{File: c.file, Line: row, Key: key, Reason: cleanTOMLError(de.Error())}
	}
	// Type errors (a string where a number belongs, a bad duration) come
	// without a position; find the key's line ourselves.
	msg := err.Error()
	key := ""
	if m := regexp.MustCompile(`toml: cannot decode TOML \S+ into struct field config\.\w+\.(\w+)`).FindStringSubmatch(msg); m != nil {
		key = c.lines.findField(m[1])
	}
	return &Error{File: c.file, Line: c.lines.keys[key], Key: key, Reason: cleanTOMLError(msg)}
}

func cleanTOMLError(s string) string {
	s = strings.TrimPrefix(s, "toml: ")
	return s
}

func (c *Config) problem(errs *[]*Error, key, format string, args ...any) {
	line := c.lines.keys[key]
	if line == 0 {
		// A missing key: point at its table's header.
		if i := strings.LastIndex(key, "."); i > 0 {
			line = c.lines.tables[key[:i]]
		}
	}
	*errs = append(*errs, &Error{File: c.file, Line: line, Key: key, Reason: fmt.Sprintf(format, args...)})
}

func (c *Config) validate(errs *[]*Error, env func(string) string) {
	checkAddr := func(key, v string) {
		if v == "" {
			c.problem(errs, key, "missing (an email address is required)")
			return
		}
		if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
			c.problem(errs, key, "%q is not a plain email address", v)
		}
	}
	checkAddr("support.address", c.Support.Address)
	if c.Support.Name == "" {
		c.Support.Name = "Support"
	}
	checkTLS := func(key, v string) {
		switch v {
		case "implicit", "starttls", "none":
		default:
			c.problem(errs, key, "%q is not one of implicit, starttls, none", v)
		}
	}
	checkPort := func(key string, p int) {
		if p < 1 || p > 65535 {
			c.problem(errs, key, "%d is not a port (1-65535)", p)
		}
	}
	if c.IMAP.Host == "" {
		c.problem(errs, "imap.host", "missing")
	}
	if c.IMAP.Username == "" {
		c.problem(errs, "imap.username", "missing")
	}
	checkTLS("imap.tls", c.IMAP.TLS)
	checkPort("imap.port", c.IMAP.Port)
	c.IMAP.Password = c.secret(errs, "imap", c.IMAP.Password, c.IMAP.PasswordFile, true, env)
	if c.SMTP.Host == "" {
		c.problem(errs, "smtp.host", "missing")
	}
	checkTLS("smtp.tls", c.SMTP.TLS)
	checkPort("smtp.port", c.SMTP.Port)
	c.SMTP.Password = c.secret(errs, "smtp", c.SMTP.Password, c.SMTP.PasswordFile, c.SMTP.Username != "", env)
	if c.Support.SecretKeyFile != "" || c.Support.SecretKey != "" {
		c.Support.SecretKey = c.secretNamed(errs, "support", "secret_key", c.Support.SecretKey, c.Support.SecretKeyFile, false, env)
		if len(c.Support.SecretKey) > 0 && len(c.Support.SecretKey) < 16 {
			c.problem(errs, "support.secret_key", "too short: use at least 16 random characters")
		}
	}
	if c.Store.Path == "" {
		c.problem(errs, "store.path", "missing")
	}
	if c.Support.AutoReplyLimit < 0 {
		c.problem(errs, "support.auto_reply_limit", "must not be negative")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		c.problem(errs, "log.level", "%q is not one of debug, info, warn, error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		c.problem(errs, "log.format", "%q is not one of text, json", c.Log.Format)
	}
	for _, d := range []struct {
		key string
		v   Duration
	}{{"imap.poll_interval", c.IMAP.PollInterval}, {"smtp.timeout", c.SMTP.Timeout}, {"smtp.retry_for", c.SMTP.RetryFor}} {
		if d.v < 0 {
			c.problem(errs, d.key, "must be positive")
		}
	}
	if len(c.Agents) == 0 {
		*errs = append(*errs, &Error{File: c.file, Key: "agents", Reason: "at least one [[agents]] entry (name, address) is required"})
	}
	for i, a := range c.Agents {
		key := fmt.Sprintf("agents[%d].address", i)
		if a.Address == "" {
			*errs = append(*errs, &Error{File: c.file, Line: c.lines.agents[i], Key: key, Reason: "missing"})
			continue
		}
		if p, err := mail.ParseAddress(a.Address); err != nil || p.Address != a.Address {
			line := c.lines.keys[fmt.Sprintf("agents.%d.address", i)]
			*errs = append(*errs, &Error{File: c.file, Line: line, Key: key, Reason: fmt.Sprintf("%q is not a plain email address", a.Address)})
		}
	}
}

func (c *Config) secret(errs *[]*Error, table string, inline Secret, file string, required bool, env func(string) string) Secret {
	return c.secretNamed(errs, table, "password", inline, file, required, env)
}

// secretNamed resolves an inline secret or a *_file one (never both).
func (c *Config) secretNamed(errs *[]*Error, table, name string, inline Secret, file string, required bool, env func(string) string) Secret {
	key, fileKey := table+"."+name, table+"."+name+"_file"
	switch {
	case inline != "" && file != "":
		c.problem(errs, fileKey, "set %s or %s, not both", name, name+"_file")
		return ""
	case inline != "":
		return inline
	case file == "":
		if required {
			c.problem(errs, key, "missing (set %s_file, or %s)", name, name)
		}
		return ""
	}
	path, err := expandCredentials(file, env)
	if err != nil {
		c.problem(errs, fileKey, "%v", err)
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		c.problem(errs, fileKey, "cannot read: %v", err)
		return ""
	}
	v := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if v == "" {
		c.problem(errs, fileKey, "%s is empty", path)
	}
	return Secret(v)
}

// expandCredentials expands $CREDENTIALS_DIRECTORY (and only it) in path.
func expandCredentials(path string, env func(string) string) (string, error) {
	if !strings.Contains(path, "CREDENTIALS_DIRECTORY") {
		return path, nil
	}
	dir := env("CREDENTIALS_DIRECTORY")
	if dir == "" {
		return "", fmt.Errorf("%q names $CREDENTIALS_DIRECTORY, which is not set (systemd sets it for LoadCredential=)", path)
	}
	path = strings.ReplaceAll(path, "${CREDENTIALS_DIRECTORY}", dir)
	return strings.ReplaceAll(path, "$CREDENTIALS_DIRECTORY", dir), nil
}

// LogValue summarises the configuration for the log, without secrets.
func (c *Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("support", c.Support.Address),
		slog.String("imap", fmt.Sprintf("%s:%d (%s) %s", c.IMAP.Host, c.IMAP.Port, c.IMAP.TLS, c.IMAP.Folder)),
		slog.String("smtp", fmt.Sprintf("%s:%d (%s)", c.SMTP.Host, c.SMTP.Port, c.SMTP.TLS)),
		slog.String("store", c.Store.Path),
		slog.Int("agents", len(c.Agents)),
	)
}

// lineInfo maps dotted keys ("imap.port", "agents.0.address") and table
// headers to their line numbers, for precise errors.
type lineInfo struct {
	keys   map[string]int
	tables map[string]int
	agents []int // the line of each [[agents]] header
}

var (
	tableHeader      = regexp.MustCompile(`^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]\s*(#.*)?$`)
	arrayTableHeader = regexp.MustCompile(`^\s*\[\[\s*([A-Za-z0-9_.-]+)\s*\]\]\s*(#.*)?$`)
	keyLine          = regexp.MustCompile(`^\s*([A-Za-z0-9_-]+)\s*=`)
)

// scanLines is a light line scanner: it need not understand all of TOML,
// only where keys of this file's simple shape are.
func scanLines(data []byte) lineInfo {
	li := lineInfo{keys: map[string]int{}, tables: map[string]int{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	prefix := ""
	n := 0
	counts := map[string]int{}
	for sc.Scan() {
		n++
		l := sc.Text()
		if m := arrayTableHeader.FindStringSubmatch(l); m != nil {
			idx := counts[m[1]]
			counts[m[1]]++
			prefix = fmt.Sprintf("%s.%d", m[1], idx)
			li.tables[prefix] = n
			if m[1] == "agents" {
				li.agents = append(li.agents, n)
			}
			continue
		}
		if m := tableHeader.FindStringSubmatch(l); m != nil {
			prefix = m[1]
			li.tables[prefix] = n
			continue
		}
		if m := keyLine.FindStringSubmatch(l); m != nil {
			k := m[1]
			if prefix != "" {
				k = prefix + "." + k
			}
			if _, dup := li.keys[k]; !dup {
				li.keys[k] = n
			}
		}
	}
	return li
}

// findField maps a Go field name from a decoder message back to a key.
func (li lineInfo) findField(field string) string {
	want := strings.ToLower(field)
	for k := range li.keys {
		last := k[strings.LastIndex(k, ".")+1:]
		if strings.ReplaceAll(last, "_", "") == want {
			return k
		}
	}
	return ""
}
