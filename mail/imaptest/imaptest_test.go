package imaptest

import (
	"net"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

func TestStripIdle(t *testing.T) {
	cases := []struct{ in, want string }{
		{"* CAPABILITY IMAP4rev1 IDLE UNSELECT\r\n", "* CAPABILITY IMAP4rev1 UNSELECT\r\n"},
		{"* CAPABILITY IMAP4rev1 UNSELECT IDLE\r\n", "* CAPABILITY IMAP4rev1 UNSELECT\r\n"},
		{"T1 OK [CAPABILITY IMAP4rev1 idle ENABLE] Logged in\r\n", "T1 OK [CAPABILITY IMAP4rev1 ENABLE] Logged in\r\n"},
		{"* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n", "* OK [CAPABILITY IMAP4rev1] ready\r\n"},
		// Not capability lines: left alone.
		{"* 3 EXISTS\r\n", "* 3 EXISTS\r\n"},
		{"Subject: * CAPABILITY talk about IDLE\r\n", "Subject: * CAPABILITY talk about IDLE\r\n"},
		{"* CAPABILITY IMAP4rev1 XIDLE\r\n", "* CAPABILITY IMAP4rev1 XIDLE\r\n"},
	}
	for _, c := range cases {
		if got := string(stripIdle([]byte(c.in))); got != c.want {
			t.Errorf("stripIdle(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func login(t *testing.T, s *Server) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(s.Addr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login("u", "p").Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestWithoutIdleHidesIdle(t *testing.T) {
	for _, noIdle := range []bool{false, true} {
		var opts []Option
		if noIdle {
			opts = append(opts, WithoutIdle())
		}
		s := Start(t, opts...)
		if err := s.AddUser("u", "p"); err != nil {
			t.Fatal(err)
		}
		c := login(t, s)
		if got := c.Caps().Has(imap.CapIdle); got == noIdle {
			t.Errorf("noIdle=%v: caps have IDLE = %v", noIdle, got)
		}
	}
}

func TestAppendMessagesRecreate(t *testing.T) {
	s := Start(t)
	if err := s.AddUser("u", "p", "Archive"); err != nil {
		t.Fatal(err)
	}
	raw := []byte("Subject: hi\r\n\r\nbody\r\n")
	uid, err := s.Append("u", "INBOX", raw)
	if err != nil || uid != 1 {
		t.Fatalf("Append = %d, %v", uid, err)
	}
	before, err := s.Status("u", "INBOX")
	if err != nil || before.Messages != 1 || before.UIDNext != 2 {
		t.Fatalf("Status = %+v, %v", before, err)
	}
	msgs, err := s.Messages("u", "INBOX")
	if err != nil || len(msgs) != 1 || string(msgs[0].Raw) != string(raw) || msgs[0].HasFlag(imap.FlagSeen) {
		t.Fatalf("Messages = %+v, %v", msgs, err)
	}
	uv, err := s.RecreateFolder("u", "INBOX")
	if err != nil || uv == before.UIDValidity {
		t.Fatalf("RecreateFolder = %d (was %d), %v", uv, before.UIDValidity, err)
	}
	if st, _ := s.Status("u", "INBOX"); st.Messages != 0 {
		t.Fatalf("recreated folder holds %d messages", st.Messages)
	}
}

func TestPauseResumeDrop(t *testing.T) {
	s := Start(t)
	if err := s.AddUser("u", "p"); err != nil {
		t.Fatal(err)
	}
	c := login(t, s)
	if n := s.DropConnections(); n != 1 {
		t.Fatalf("DropConnections = %d, want 1", n)
	}
	if err := c.Noop().Wait(); err == nil {
		t.Fatal("NOOP succeeded on a dropped connection")
	}
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	if conn, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second); err == nil {
		conn.Close()
		t.Fatal("dial succeeded while paused")
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	login(t, s)
}

func TestTLSModes(t *testing.T) {
	for name, opt := range map[string]Option{"starttls": WithStartTLS(), "implicit": WithImplicitTLS()} {
		t.Run(name, func(t *testing.T) {
			s := Start(t, opt)
			if err := s.AddUser("u", "p"); err != nil {
				t.Fatal(err)
			}
			opts := &imapclient.Options{TLSConfig: s.ClientTLSConfig()}
			var c *imapclient.Client
			var err error
			if name == "starttls" {
				c, err = imapclient.DialStartTLS(s.Addr(), opts)
			} else {
				c, err = imapclient.DialTLS(s.Addr(), opts)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.Login("u", "p").Wait(); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Messages("u", "INBOX"); err != nil {
				t.Fatal(err)
			}
		})
	}
}
