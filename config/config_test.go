package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func minimal(t *testing.T) string {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "imap-password"), []byte("imap-s3cret\n"), 0o600)
	return fmt.Sprintf(`[support]
address = "support@example.com"
name = "Example Support"

[imap]
host = "imap.example.com"
username = "support@example.com"
password_file = "%s/imap-password"

[smtp]
host = "smtp.example.com"

[store]
path = "/var/lib/supportd/supportd.db"

[[agents]]
name = "Alex"
address = "alex@example.com"
`, dir)
}

func TestMinimalConfigGetsDefaults(t *testing.T) {
	c, err := Parse("supportd.toml", []byte(minimal(t)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.IMAP.Port != 993 || c.IMAP.TLS != "implicit" || c.IMAP.Folder != "INBOX" || c.IMAP.PollInterval.D() != time.Minute {
		t.Errorf("imap defaults: %+v", c.IMAP)
	}
	if c.SMTP.Port != 587 || c.SMTP.TLS != "starttls" || c.SMTP.RetryFor.D() != 48*time.Hour {
		t.Errorf("smtp defaults: %+v", c.SMTP)
	}
	if c.IMAP.Password.Reveal() != "imap-s3cret" {
		t.Errorf("password from file = %q", c.IMAP.Password.Reveal())
	}
	if !c.Support.PlusAddressingOn() || c.Support.AutoReplyLimit != 3 {
		t.Errorf("support defaults: %+v", c.Support)
	}
}

func TestExampleFileIsValid(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "imap-password"), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(dir, "smtp-password"), []byte("y"), 0o600)
	data := strings.ReplaceAll(string(Example), "/run/credentials/supportd.service", dir)
	if _, err := Parse("example.toml", []byte(data), nil); err != nil {
		t.Fatal(err)
	}
}

func TestValidationErrorsNameFileLineAndReason(t *testing.T) {
	cases := []struct {
		name, edit, want string
	}{
		{"unknown key", "poll_interval = \"1m\"\nfolders = \"x\"", "supportd.toml:9: imap.folders: unknown key"},
		{"bad duration", "poll_interval = \"3x\"", `supportd.toml:8: imap.poll_interval: bad duration "3x"`},
		{"bad tls", "tls = \"ssl\"", `supportd.toml:8: imap.tls: "ssl" is not one of implicit, starttls, none`},
		{"missing host", "#", "supportd.toml:5: imap.host: missing"},
		{"bad port", "port = 70000", "supportd.toml:8: imap.port: 70000 is not a port (1-65535)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := minimal(t)
			switch c.name {
			case "missing host":
				doc = strings.Replace(doc, "host = \"imap.example.com\"\n", "", 1)
			default:
				doc = strings.Replace(doc, "password_file", c.edit+"\npassword_file", 1)
			}
			_, err := Parse("supportd.toml", []byte(doc), nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v\nwant it to contain %q\n%s", err, c.want, numbered(doc))
			}
		})
	}
}

func numbered(doc string) string {
	var b strings.Builder
	for i, l := range strings.Split(doc, "\n") {
		fmt.Fprintf(&b, "%3d %s\n", i+1, l)
	}
	return b.String()
}

func TestMissingAgentsAndBothPasswords(t *testing.T) {
	doc := minimal(t)
	doc = strings.Replace(doc, "[[agents]]\nname = \"Alex\"\naddress = \"alex@example.com\"\n", "", 1)
	doc = strings.Replace(doc, "password_file", "password = \"inline\"\npassword_file", 1)
	_, err := Parse("s.toml", []byte(doc), nil)
	if err == nil || !strings.Contains(err.Error(), "at least one [[agents]]") || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("error = %v", err)
	}
}

func TestDurations(t *testing.T) {
	for in, want := range map[string]time.Duration{"90s": 90 * time.Second, "3d": 72 * time.Hour, "1h30m": 90 * time.Minute,
		"2w": 14 * 24 * time.Hour, "1d12h": 36 * time.Hour, "500ms": 500 * time.Millisecond} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "3", "3x", "h", "1h30"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) succeeded", bad)
		}
	}
	var s Size
	for in, want := range map[string]Size{"25MB": 25e6, "512KiB": 512 << 10, "100": 100} {
		if err := s.UnmarshalText([]byte(in)); err != nil || s != want {
			t.Errorf("size %q = %d, %v", in, s, err)
		}
	}
}

func TestCredentialsDirectory(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "imap-password"), []byte("from-creds\n"), 0o600)
	doc := strings.Replace(minimal(t), "password_file = \"", "password_file = \"$CREDENTIALS_DIRECTORY/imap-password\"\n#", 1)
	env := func(k string) string {
		if k == "CREDENTIALS_DIRECTORY" {
			return dir
		}
		return ""
	}
	c, err := Parse("s.toml", []byte(doc), env)
	if err != nil || c.IMAP.Password.Reveal() != "from-creds" {
		t.Fatalf("got %v, %v", c, err)
	}
	if _, err := Parse("s.toml", []byte(doc), nil); err == nil || !strings.Contains(err.Error(), "CREDENTIALS_DIRECTORY, which is not set") {
		t.Fatalf("unset CREDENTIALS_DIRECTORY: %v", err)
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	c, err := Parse("s.toml", []byte(minimal(t)), nil)
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("cfg", "config", c, "imap", c.IMAP)
	js, _ := json.Marshal(c)
	for _, s := range []string{fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), string(js), logged.String()} {
		if strings.Contains(s, "imap-s3cret") {
			t.Fatalf("secret printed: %s", s)
		}
	}
}
