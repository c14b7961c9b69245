package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// base is the configuration from the operators' documentation, line for
// line; the error cases below name its line numbers. @DIR@ is replaced by a
// directory holding the password files.
const base = `[support]
address = "support@example.com"
name = "Example Support"
[imap]
host = "imap.example.com"
port = 993
tls = "implicit"
username = "support@example.com"
password_file = "@DIR@/imap-password"
folder = "INBOX"
poll_interval = "1m"
[smtp]
host = "smtp.example.com"
port = 587
tls = "starttls"
username = "support@example.com"
password_file = "@DIR@/smtp-password"
[store]
path = "/var/lib/supportd/supportd.db"
[[agents]]
name = "Alex"
address = "alex@example.com"
`

// secrets writes the password files into a fresh directory.
func secrets(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "imap-password"), "imap-s3cret\n")
	write(t, filepath.Join(dir, "smtp-password"), "smtp-s3cret\n")
	return dir
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func envWith(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestBaseConfigLoadsWithDefaults(t *testing.T) {
	dir := secrets(t)
	c, err := Parse("supportd.toml", []byte(strings.ReplaceAll(base, "@DIR@", dir)), nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"support.address", c.Support.Address, "support@example.com"},
		{"support.plus_addressing", c.Support.PlusAddressing, true},
		{"support.auto_reply_limit", c.Support.AutoReplyLimit, 3},
		{"support.templates_dir", c.Support.TemplatesDir, ""},
		{"support.next_steps", c.Support.NextSteps, ""},
		{"support.Key()", c.Support.Key() == nil, true},
		{"imap.password", c.IMAP.Password.Reveal(), "imap-s3cret"},
		{"imap.password_file", c.IMAP.PasswordFile, dir + "/imap-password"},
		{"imap.insecure_skip_verify", c.IMAP.InsecureSkipVerify, false},
		{"imap.force_poll", c.IMAP.ForcePoll, false},
		{"imap.sent_folder", c.IMAP.SentFolder, ""},
		{"imap.unreachable_alert_after", c.IMAP.UnreachableAlertAfter.D(), 10 * time.Minute},
		{"imap.idle_restart", c.IMAP.IdleRestart.D(), 25 * time.Minute},
		{"smtp.password", c.SMTP.Password.Reveal(), "smtp-s3cret"},
		{"smtp.helo", c.SMTP.Helo, ""},
		{"smtp.timeout", c.SMTP.Timeout.D(), time.Minute},
		{"smtp.retry_for", c.SMTP.RetryFor.D(), 48 * time.Hour},
		{"smtp.retry_base", c.SMTP.RetryBase.D(), time.Minute},
		{"smtp.retry_max", c.SMTP.RetryMax.D(), time.Hour},
		{"store.max_raw_size", c.Store.MaxRawSize, Size(25_000_000)},
		{"log.level", c.Log.Level, "info"},
		{"log.format", c.Log.Format, "text"},
		{"agents", len(c.Agents), 1},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestRequiredOnlyGetsPortsFromTLS(t *testing.T) {
	dir := secrets(t)
	doc := func(imapTLS, smtpTLS string) string {
		return fmt.Sprintf(`[support]
address = "support@example.com"
[imap]
host = "imap.example.com"
username = "support@example.com"
password = "inline"
%s
[smtp]
host = "smtp.example.com"
%s
[store]
path = "%s/supportd.db"
[[agents]]
name = "Alex"
address = "alex@example.com"
`, imapTLS, smtpTLS, dir)
	}
	cases := []struct {
		imapTLS, smtpTLS   string
		imapPort, smtpPort int
	}{
		{"", "", 993, 587},
		{`tls = "starttls"`, `tls = "implicit"`, 143, 465},
		{`tls = "none"`, `tls = "none"`, 143, 25},
		{"tls = \"none\"\nport = 1143", "tls = \"none\"\nport = 2525", 1143, 2525},
	}
	for _, tc := range cases {
		c, err := Parse("s.toml", []byte(doc(tc.imapTLS, tc.smtpTLS)), nil)
		if err != nil {
			t.Fatalf("%q/%q: %v", tc.imapTLS, tc.smtpTLS, err)
		}
		if c.IMAP.Port != tc.imapPort || c.SMTP.Port != tc.smtpPort {
			t.Errorf("%q/%q: ports %d/%d, want %d/%d", tc.imapTLS, tc.smtpTLS, c.IMAP.Port, c.SMTP.Port, tc.imapPort, tc.smtpPort)
		}
		if c.Support.Name != "Support" || c.IMAP.Folder != "INBOX" || c.IMAP.PollInterval.D() != time.Minute {
			t.Errorf("defaults: name %q folder %q poll %v", c.Support.Name, c.IMAP.Folder, c.IMAP.PollInterval)
		}
		if c.SMTP.Password != "" || c.SMTP.Username != "" {
			t.Errorf("smtp without username should have no password: %+v", c.SMTP)
		}
	}
}

func TestDefault(t *testing.T) {
	c := Default()
	if c.IMAP.Port != 993 || c.IMAP.TLS != TLSImplicit || c.SMTP.Port != 587 || c.SMTP.TLS != TLSStartTLS ||
		!c.Support.PlusAddressing || c.Support.AutoReplyLimit != 3 || c.Store.MaxRawSize != 25_000_000 ||
		c.SMTP.RetryFor.D() != 48*time.Hour || c.Log.Level != "info" {
		t.Errorf("Default() = %+v", c)
	}
	if Default() == c {
		t.Error("Default returns a shared value")
	}
}

// TestExampleIsValidAndComplete keeps the example honest: it loads; every
// key it shows commented out is a real key (uncommented, the file still
// loads); and every key supportd accepts is shown.
func TestExampleIsValidAndComplete(t *testing.T) {
	dir := secrets(t)
	write(t, filepath.Join(dir, "secret-key"), "0123456789abcdef0123456789abcdef\n")
	env := envWith(map[string]string{"CREDENTIALS_DIRECTORY": dir})
	example := strings.ReplaceAll(string(Example), "/run/credentials/supportd.service", dir)
	if _, err := Parse("example.toml", []byte(example), env); err != nil {
		t.Fatalf("example: %v", err)
	}

	uncommented := regexp.MustCompile(`(?m)^# (\[[a-z]+\]|[a-z_]+ = )`).ReplaceAllString(example, "$1")
	c, err := Parse("example.toml", []byte(uncommented), env)
	if err != nil {
		t.Fatalf("example with every key uncommented: %v\n%s", err, uncommented)
	}
	if string(c.Support.Key()) != "0123456789abcdef0123456789abcdef" {
		t.Errorf("secret_key_file: Key() = %q", c.Support.Key())
	}

	idx := indexDocument([]byte(uncommented))
	for key := range schemaOf(reflect.TypeFor[Config]()) {
		if key == "agents" {
			key = "agents[0]"
		}
		if strings.HasPrefix(key, "agents.") {
			key = "agents[0]" + strings.TrimPrefix(key, "agents")
		}
		_, asKey := idx.keys[key]
		_, asTable := idx.tables[key]
		leaf := key[strings.LastIndex(key, ".")+1:]
		inProse := strings.Contains(example, "or "+leaf+" = ")
		if !asKey && !asTable && !inProse {
			t.Errorf("example does not document %s", key)
		}
	}
}

func TestErrorsNameFileLineKeyAndReason(t *testing.T) {
	type edit struct{ old, new string }
	cases := []struct {
		name  string
		edits []edit
		env   map[string]string
		want  string
	}{
		{"unknown key in a table", []edit{{`folder = "INBOX"`, `folders = "INBOX"`}},
			nil, `s.toml:10: imap.folders: unknown key (did you mean folder?)`},
		{"unknown key in the wrong table", []edit{{`host = "smtp.example.com"`, `folder = "x"`}},
			nil, `s.toml:13: smtp.folder: unknown key (folder belongs in [imap])`},
		{"unknown key in an agent", []edit{{`name = "Alex"`, `role = "lead"`}},
			nil, `s.toml:21: agents[0].role: unknown key`},
		{"unknown table", []edit{{`[store]`, "[web]\nlisten = \":8080\"\n[store]"}},
			nil, `s.toml:18: web: unknown table`},
		{"misspelt array table", []edit{{`[[agents]]`, `[[agent]]`}},
			nil, `s.toml:20: agent: unknown table (did you mean [[agents]]?)`},
		{"bad duration", []edit{{`poll_interval = "1m"`, `poll_interval = "3x"`}},
			nil, `s.toml:11: imap.poll_interval: "3x" has an unknown unit "x": use a number and a unit (ms, s, m, h, d, w), e.g. "90s", "1h30m", "3d"`},
		{"duration without a unit", []edit{{`poll_interval = "1m"`, `poll_interval = 60`}},
			nil, `s.toml:11: imap.poll_interval: 60 has no unit: write a duration in quotes, e.g. "90s", "1h30m", "3d"`},
		{"duration as a boolean", []edit{{`poll_interval = "1m"`, `poll_interval = true`}},
			nil, `s.toml:11: imap.poll_interval: expected a duration in quotes, e.g. "90s", "1h30m", "3d", got a boolean`},
		{"duration too short", []edit{{`poll_interval = "1m"`, `poll_interval = "0s"`}},
			nil, `s.toml:11: imap.poll_interval: must be at least 1s`},
		{"idle_restart beyond RFC 2177", []edit{{`poll_interval = "1m"`, `idle_restart = "45m"`}},
			nil, `s.toml:11: imap.idle_restart: must be at most 29m (RFC 2177: servers may drop an IDLE after 30 minutes)`},
		{"bad size", []edit{{`path = "/var/lib/supportd/supportd.db"`, "path = \"/x.db\"\nmax_raw_size = \"25XB\""}},
			nil, `s.toml:20: store.max_raw_size: "25XB" has an unknown unit "XB": use a number of bytes or a number and a unit (KB, MB, GB, KiB, MiB, GiB), e.g. "25MB", "512KiB"`},
		{"size as a float", []edit{{`path = "/var/lib/supportd/supportd.db"`, "path = \"/x.db\"\nmax_raw_size = 1.5"}},
			nil, `s.toml:20: store.max_raw_size: expected a size, e.g. "25MB", "512KiB", or a number of bytes, got a decimal number`},
		{"negative size", []edit{{`path = "/var/lib/supportd/supportd.db"`, "path = \"/x.db\"\nmax_raw_size = -1"}},
			nil, `s.toml:20: store.max_raw_size: must be more than 0`},
		{"port as a string", []edit{{`port = 993`, `port = "993"`}},
			nil, `s.toml:6: imap.port: expected a whole number, got a string`},
		{"port out of range", []edit{{`port = 993`, `port = 70000`}},
			nil, `s.toml:6: imap.port: 70000 is not a port (1-65535)`},
		{"port zero", []edit{{`port = 587`, `port = 0`}},
			nil, `s.toml:14: smtp.port: 0 is not a port (1-65535)`},
		{"boolean as a string", []edit{{`folder = "INBOX"`, `force_poll = "yes"`}},
			nil, `s.toml:10: imap.force_poll: expected true or false, got a string`},
		{"tls not allowed", []edit{{`tls = "implicit"`, `tls = "ssl"`}},
			nil, `s.toml:7: imap.tls: "ssl" is not one of implicit, starttls, none`},
		{"missing imap host", []edit{{`host = "imap.example.com"`, `# no host`}},
			nil, `s.toml:4: imap.host: missing`},
		{"empty imap host", []edit{{`host = "imap.example.com"`, `host = ""`}},
			nil, `s.toml:5: imap.host: must not be empty`},
		{"missing imap username", []edit{{`username = "support@example.com"` + "\npassword_file = \"@DIR@/imap", `#` + "\npassword_file = \"@DIR@/imap"}},
			nil, `s.toml:4: imap.username: missing`},
		{"missing imap password", []edit{{`password_file = "@DIR@/imap-password"`, `#`}},
			nil, `s.toml:4: imap.password_file: missing: set password_file (or password)`},
		{"both password and password_file", []edit{{`folder = "INBOX"`, `password = "inline"`}},
			nil, `s.toml:9: imap.password_file: set password or password_file, not both`},
		{"unreadable password_file", []edit{{`@DIR@/imap-password`, `@DIR@/nope`}},
			nil, `s.toml:9: imap.password_file: cannot read @DIR@/nope: no such file or directory`},
		{"empty password_file", []edit{{`@DIR@/imap-password`, `@DIR@/empty`}},
			nil, `s.toml:9: imap.password_file: @DIR@/empty is empty`},
		{"credentials directory unset", []edit{{`@DIR@/imap-password`, `$CREDENTIALS_DIRECTORY/imap-password`}},
			nil, `s.toml:9: imap.password_file: "$CREDENTIALS_DIRECTORY/imap-password" names $CREDENTIALS_DIRECTORY, which is not set (systemd sets it for a unit with LoadCredential=)`},
		{"other variables are not expanded", []edit{{`@DIR@/imap-password`, `$HOME/imap-password`}},
			nil, `s.toml:9: imap.password_file: "$HOME/imap-password" names $HOME, but only $CREDENTIALS_DIRECTORY is expanded`},
		{"smtp username without a password", []edit{{`password_file = "@DIR@/smtp-password"`, `#`}},
			nil, `s.toml:12: smtp.password_file: missing: set password_file (or password)`},
		{"smtp password without a username", []edit{{`username = "support@example.com"` + "\npassword_file = \"@DIR@/smtp", `#` + "\npassword_file = \"@DIR@/smtp"}},
			nil, `s.toml:12: smtp.username: missing: a password is set, so supportd would log in, but as whom?`},
		{"missing smtp host", []edit{{`host = "smtp.example.com"`, `#`}},
			nil, `s.toml:12: smtp.host: missing`},
		{"missing support address", []edit{{`address = "support@example.com"`, `#`}},
			nil, `s.toml:1: support.address: missing`},
		{"support address with a display name", []edit{{`address = "support@example.com"`, `address = "Support <support@example.com>"`}},
			nil, `s.toml:2: support.address: write only the address (support@example.com), without a display name`},
		{"support address not an address", []edit{{`address = "support@example.com"`, `address = "support"`}},
			nil, `s.toml:2: support.address: "support" is not an email address`},
		{"auto_reply_limit zero", []edit{{`name = "Example Support"`, `auto_reply_limit = 0`}},
			nil, `s.toml:3: support.auto_reply_limit: must be at least 1: the first response to a new sender counts as one`},
		{"short secret key", []edit{{`name = "Example Support"`, `secret_key = "short"`}},
			nil, "s.toml:3: support.secret_key: too short (5 bytes): use at least 16 random bytes, e.g. from `openssl rand -base64 32`"},
		{"missing store path", []edit{{`path = "/var/lib/supportd/supportd.db"`, `#`}},
			nil, `s.toml:18: store.path: missing`},
		{"missing store table", []edit{{"[store]\npath = \"/var/lib/supportd/supportd.db\"", "#\n#"}},
			nil, `s.toml: store.path: missing`},
		{"no agents", []edit{{"[[agents]]\nname = \"Alex\"\naddress = \"alex@example.com\"", "#\n#\n#"}},
			nil, `s.toml: agents: missing: at least one [[agents]] entry (name and address) is required`},
		{"agent address not an address", []edit{{`address = "alex@example.com"`, `address = "alex"`}},
			nil, `s.toml:22: agents[0].address: "alex" is not an email address`},
		{"agent without a name", []edit{{`name = "Alex"`, `#`}},
			nil, `s.toml:20: agents[0].name: missing`},
		{"agent is the support address", []edit{{`address = "alex@example.com"`, `address = "Support@example.com"`}},
			nil, `s.toml:22: agents[0].address: is the support address itself; an agent needs a mailbox of their own`},
		{"duplicate agent", []edit{{`address = "alex@example.com"`, "address = \"alex@example.com\"\n[[agents]]\nname = \"Alex again\"\naddress = \"ALEX@example.com\""}},
			nil, `s.toml:25: agents[1].address: ALEX@example.com is already agents[0]`},
		{"retry_max below retry_base", []edit{{`password_file = "@DIR@/smtp-password"`, "password_file = \"@DIR@/smtp-password\"\nretry_base = \"2h\""}},
			nil, `s.toml:18: smtp.retry_base: 2h is longer than smtp.retry_max (1h)`},
		{"retry_max below retry_base, both set", []edit{{`password_file = "@DIR@/smtp-password"`, "password_file = \"@DIR@/smtp-password\"\nretry_base = \"2h\"\nretry_max = \"30m\""}},
			nil, `s.toml:19: smtp.retry_max: 30m is shorter than smtp.retry_base (2h)`},
		{"log level", []edit{{`[[agents]]`, "[log]\nlevel = \"verbose\"\n[[agents]]"}},
			nil, `s.toml:21: log.level: "verbose" is not one of debug, info, warn, error`},
		{"log format", []edit{{`[[agents]]`, "[log]\nformat = \"xml\"\n[[agents]]"}},
			nil, `s.toml:21: log.format: "xml" is not one of text, json`},
		{"watch_sent without sent_folder", []edit{{`folder = "INBOX"`, `watch_sent = true`}},
			nil, `s.toml:10: imap.watch_sent: needs imap.sent_folder: the folder to watch`},
		{"duplicate key", []edit{{`port = 993`, `host = "again"`}},
			nil, `s.toml:6: imap.host: key host is already defined`},
		{"syntax error", []edit{{`port = 993`, `port = `}},
			nil, `s.toml:6: unexpected character U+000A at start of value`},
		{"several problems, sorted by line", []edit{
			{`path = "/var/lib/supportd/supportd.db"`, `#`},
			{`tls = "implicit"`, `tls = "ssl"`},
			{`address = "support@example.com"`, `address = "support"`},
		}, nil, `s.toml:2: support.address: "support" is not an email address` + "\n" +
			`s.toml:7: imap.tls: "ssl" is not one of implicit, starttls, none` + "\n" +
			`s.toml:18: store.path: missing`},
		{"several unknown keys at once", []edit{{`folder = "INBOX"`, `folders = "INBOX"`}, {`path = "/var/lib`, `paht = "/var/lib`}},
			nil, `s.toml:10: imap.folders: unknown key (did you mean folder?)` + "\n" +
				`s.toml:19: store.paht: unknown key (did you mean path?)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := secrets(t)
			write(t, filepath.Join(dir, "empty"), "\n")
			doc := base
			for _, e := range tc.edits {
				if !strings.Contains(doc, e.old) {
					t.Fatalf("edit %q does not apply", e.old)
				}
				doc = strings.Replace(doc, e.old, e.new, 1)
			}
			doc = strings.ReplaceAll(doc, "@DIR@", dir)
			want := strings.ReplaceAll(tc.want, "@DIR@", dir)
			_, err := Parse("s.toml", []byte(doc), envWith(tc.env))
			if err == nil {
				t.Fatalf("no error, want %s\n%s", want, numbered(doc))
			}
			if err.Error() != want {
				t.Fatalf("error:\n%s\nwant:\n%s\n%s", err, want, numbered(doc))
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.File != "s.toml" {
				t.Fatalf("not a *config.Error: %#v", err)
			}
		})
	}
}

func numbered(doc string) string {
	var b strings.Builder
	for i, l := range strings.Split(doc, "\n") {
		fmt.Fprintf(&b, "%3d| %s\n", i+1, l)
	}
	return b.String()
}

func TestErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		e    Error
		want string
	}{
		{Error{"f.toml", 3, "imap.port", "bad"}, "f.toml:3: imap.port: bad"},
		{Error{"f.toml", 0, "agents", "missing"}, "f.toml: agents: missing"},
		{Error{"f.toml", 7, "", "syntax"}, "f.toml:7: syntax"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("%+v = %q, want %q", tc.e, got, tc.want)
		}
	}
}

func TestDurations(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"90s": 90 * time.Second, "1m": time.Minute, "4h": 4 * time.Hour, "3d": 72 * time.Hour,
		"2w": 14 * 24 * time.Hour, "1h30m": 90 * time.Minute, "1d12h": 36 * time.Hour,
		"500ms": 500 * time.Millisecond, "1.5h": 90 * time.Minute, "0": 0, "1w2d3h4m5s": 9*24*time.Hour + 3*time.Hour + 4*time.Minute + 5*time.Second,
	} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
		var d Duration
		if err := d.UnmarshalText([]byte(in)); err != nil || d.D() != want {
			t.Errorf("UnmarshalText(%q) = %v, %v", in, d, err)
		}
		// What String prints can be pasted back into the file.
		back, err := ParseDuration(Duration(want).String())
		if err != nil || back != want {
			t.Errorf("round trip of %v via %q = %v, %v", want, Duration(want).String(), back, err)
		}
	}
	for _, bad := range []string{"", "3", "3x", "h", "1h30", "-1h", "3 d", "1.2.3s", "1H", "99999999999w"} {
		if got, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", bad, got)
		}
	}
	for d, want := range map[time.Duration]string{36 * time.Hour: "1d12h", 14 * 24 * time.Hour: "2w", 90 * time.Second: "1m30s", 0: "0s"} {
		if got := Duration(d).String(); got != want {
			t.Errorf("Duration(%v).String() = %q, want %q", d, got, want)
		}
	}
}

func TestSizes(t *testing.T) {
	for in, want := range map[string]Size{
		"25MB": 25_000_000, "512KiB": 512 << 10, "1GB": 1_000_000_000, "1GiB": 1 << 30, "100": 100,
		"100B": 100, "25 MB": 25_000_000, "25mb": 25_000_000, "2TiB": 2 << 40, "0": 0,
	} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
		if back, err := ParseSize(want.String()); err != nil || back != want {
			t.Errorf("round trip of %d via %q = %d, %v", want, want.String(), back, err)
		}
	}
	for _, bad := range []string{"", "MB", "25XB", "-1", "1.5GB", "99999999999999TB"} {
		if got, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", bad, got)
		}
	}
	if s := Size(25_000_000).String(); s != "25MB" {
		t.Errorf("25MB prints as %q", s)
	}
	// A TOML integer is a number of bytes, and a quoted size works too.
	for _, v := range []string{`1048576`, `"1MiB"`, `"1048576"`} {
		doc := strings.Replace(strings.ReplaceAll(base, "@DIR@", secrets(t)), "[store]\n", "[store]\nmax_raw_size = "+v+"\n", 1)
		c, err := Parse("s.toml", []byte(doc), nil)
		if err != nil || c.Store.MaxRawSize != 1<<20 {
			t.Errorf("max_raw_size = %s: %v, %v", v, c, err)
		}
	}
}

func TestCredentialsDirectory(t *testing.T) {
	creds := t.TempDir()
	write(t, filepath.Join(creds, "imap-password"), "from-creds\n")
	write(t, filepath.Join(creds, "smtp-password"), "two lines\n\n") // only one newline goes
	write(t, filepath.Join(creds, "secret-key"), "0123456789abcdef\r\n")
	doc := strings.NewReplacer(
		"@DIR@/imap-password", "$CREDENTIALS_DIRECTORY/imap-password",
		"@DIR@/smtp-password", "${CREDENTIALS_DIRECTORY}/smtp-password",
		`name = "Example Support"`, `secret_key_file = "$CREDENTIALS_DIRECTORY/secret-key"`,
	).Replace(base)
	c, err := Parse("s.toml", []byte(doc), envWith(map[string]string{"CREDENTIALS_DIRECTORY": creds}))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.IMAP.Password.Reveal(); got != "from-creds" {
		t.Errorf("imap password = %q", got)
	}
	if got := c.SMTP.Password.Reveal(); got != "two lines\n" {
		t.Errorf("smtp password = %q", got)
	}
	if got := string(c.Support.Key()); got != "0123456789abcdef" {
		t.Errorf("Key() = %q", got)
	}
	if c.IMAP.PasswordFile != filepath.Join(creds, "imap-password") {
		t.Errorf("password_file = %q, want the expanded path", c.IMAP.PasswordFile)
	}
	_, err = Parse("s.toml", []byte(doc), nil)
	if err == nil || !strings.Contains(err.Error(), "s.toml:9: imap.password_file: \"$CREDENTIALS_DIRECTORY/imap-password\" names $CREDENTIALS_DIRECTORY, which is not set") {
		t.Errorf("unset $CREDENTIALS_DIRECTORY: %v", err)
	}
}

func TestLoadResolvesPathsFromTheFile(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "imap-password"), "pw\n")
	write(t, filepath.Join(dir, "smtp-password"), "pw\n")
	doc := strings.NewReplacer("@DIR@/", "", `"/var/lib/supportd/supportd.db"`, `"state/supportd.db"`).Replace(base)
	path := filepath.Join(dir, "supportd.toml")
	write(t, path, doc)
	c, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Store.Path != filepath.Join(dir, "state/supportd.db") || c.IMAP.Password.Reveal() != "pw" {
		t.Errorf("store %q, password %q", c.Store.Path, c.IMAP.Password.Reveal())
	}

	_, err = Load(filepath.Join(dir, "missing.toml"), nil)
	var ce *Error
	if !errors.As(err, &ce) || err.Error() != filepath.Join(dir, "missing.toml")+": cannot read: no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	dir := secrets(t)
	doc := strings.Replace(strings.ReplaceAll(base, "@DIR@", dir), `name = "Example Support"`, `secret_key = "key-s3cret-0123456789"`, 1)
	c, err := Parse("s.toml", []byte(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	var text, js strings.Builder
	for _, h := range []slog.Handler{slog.NewTextHandler(&text, nil), slog.NewJSONHandler(&js, nil)} {
		slog.New(h).Info("loaded", "config", c, "value", *c, "imap", c.IMAP, "smtp", &c.SMTP, "pw", c.IMAP.Password)
	}
	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := toml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c),
		"%v value": fmt.Sprintf("%v", *c), "%+v value": fmt.Sprintf("%+v", *c), "%#v value": fmt.Sprintf("%#v", *c),
		"%s": fmt.Sprintf("%s", c.IMAP.Password), "%q": fmt.Sprintf("%q", c.IMAP.Password), "%x": fmt.Sprintf("%x", c.IMAP.Password),
		"%#v imap": fmt.Sprintf("%#v", c.IMAP),
		"json":     string(j), "toml": string(tm), "slog text": text.String(), "slog json": js.String(),
	}
	for name, out := range outputs {
		for _, secret := range []string{"imap-s3cret", "smtp-s3cret", "key-s3cret"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s prints %s:\n%s", name, secret, out)
			}
		}
	}
	for _, name := range []string{"%+v", "%#v", "json", "slog text"} {
		if !strings.Contains(outputs[name], "[redacted]") && !strings.Contains(outputs[name], "from "+dir) {
			t.Errorf("%s shows neither [redacted] nor the secret's source:\n%s", name, outputs[name])
		}
	}
	if !strings.Contains(text.String(), "imap.server=imap.example.com:993") {
		t.Errorf("LogValue summary missing from the log:\n%s", text.String())
	}
	if c.IMAP.Password.Reveal() != "imap-s3cret" {
		t.Error("Reveal")
	}
	if Secret("").String() != "" {
		t.Error("an unset secret should print empty")
	}
}

// TestErrorsInOtherShapes covers TOML's other ways of writing the same
// keys: inline tables, arrays of inline tables, dotted keys.
func TestErrorsInOtherShapes(t *testing.T) {
	const head = `support.address = "support@example.com"
imap = { host = "imap.example.com", username = "u", password = "p" }
smtp.host = "smtp.example.com"
store = { path = "/x.db" }
`
	cases := []struct{ name, doc, want string }{
		{"valid", head + `agents = [
  { name = "Alex", address = "alex@example.com" },
  { name = "Sam", address = "sam@example.com" },
]
`, ""},
		{"type error in an inline table", strings.Replace(head, `password = "p"`, `password = "p", port = "x"`, 1) + "[[agents]]\nname = \"A\"\naddress = \"a@example.com\"\n",
			`s.toml:2: imap.port: expected a whole number, got a string`},
		{"type error in an array of inline tables", head + `agents = [
  { name = "Alex", address = "alex@example.com" },
  { name = 5, address = "sam@example.com" },
]
`, `s.toml:7: agents[1].name: expected a string in quotes, got a whole number`},
		{"unknown key in an array of inline tables", head + `agents = [
  { name = "Alex", address = "alex@example.com" },
  { name = "Sam", addres = "sam@example.com" },
]
`, `s.toml:7: agents[1].addres: unknown key (did you mean address?)`},
		{"validation error in an array of inline tables", head + `agents = [
  { name = "Alex", address = "alex@example.com" },
  { name = "Sam", address = "sam" },
]
`, `s.toml:7: agents[1].address: "sam" is not an email address`},
		{"missing key in a dotted table", strings.Replace(head, `smtp.host = "smtp.example.com"`, `smtp.helo = "me"`, 1) + "[[agents]]\nname = \"A\"\naddress = \"a@example.com\"\n",
			`s.toml:3: smtp.host: missing`},
		// go-toml reads [agents] as a one-entry [[agents]]: harmless, and
		// what is missing is still reported at the right line.
		{"a table where entries belong", head + "[agents]\nname = \"A\"\n",
			`s.toml:5: agents[0].address: missing`},
		{"multi-line strings do not confuse lines", head + "[log]\nformat = \"\"\"\nx\n\"\"\"\nlevel = \"loud\"\n[[agents]]\nname = \"A\"\naddress = \"a@example.com\"\n",
			`s.toml:6: log.format: "x\n" is not one of text, json` + "\n" + `s.toml:9: log.level: "loud" is not one of debug, info, warn, error`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("s.toml", []byte(tc.doc), nil)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("%v\n%s", err, numbered(tc.doc))
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Fatalf("error:\n%v\nwant:\n%s\n%s", err, tc.want, numbered(tc.doc))
			}
		})
	}
}
