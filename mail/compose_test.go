package mail

import (
	"bytes"
	"io"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
)

// composeFull is an Outgoing that uses every header feature.
func composeFull() Outgoing {
	return Outgoing{
		From:       Address{Name: "Jörg Müller from Example Support", Addr: "support@example.com"},
		To:         []Address{{Name: "Doe, Jane", Addr: "jane@customer.test"}, {Addr: "bob@customer.test"}},
		Cc:         []Address{{Name: "Zoë", Addr: "zoe@customer.test"}},
		ReplyTo:    []Address{{Name: "Example Support", Addr: "support+12@example.com"}},
		Subject:    "Re: Grüße 🎉 — Rechnung falsch [#12]",
		MessageID:  "abc123.1772438400@example.com",
		InReplyTo:  []string{"c2@customer.test"},
		References: []string{"c1@customer.test", "<a1@example.com>", "c2@customer.test"},
		Date:       time.Date(2026, 3, 2, 9, 30, 0, 0, time.FixedZone("CET", 3600)),
		Auto:       true,
		Text:       "Hello Jane,\n\nthanks — we are on it.\n",
		Headers:    map[string]string{"X-Supportd-Ticket": "12"},
	}
}

// composeMust composes o or fails the test.
func composeMust(t *testing.T, o Outgoing) []byte {
	t.Helper()
	raw, err := Compose(o)
	if err != nil {
		t.Fatalf("Compose: %v", err)
	}
	composeCheckWire(t, raw)
	return raw
}

// composeCheckWire asserts what every relay expects of a message: CRLF
// line endings only, 7-bit bytes, lines within 78 characters (RFC 5322
// §2.1.1's SHOULD; QP and base64 keep to 76).
func composeCheckWire(t *testing.T, raw []byte) {
	t.Helper()
	if !bytes.HasSuffix(raw, []byte("\r\n")) {
		t.Errorf("message does not end in CRLF")
	}
	for i, line := range bytes.Split(raw, []byte("\r\n")) {
		if bytes.ContainsAny(line, "\r\n") {
			t.Fatalf("line %d has a bare CR or LF: %q", i+1, line)
		}
		if len(line) > 78 {
			t.Errorf("line %d is %d bytes long: %q", i+1, len(line), line)
		}
		for _, c := range line {
			if c >= 0x80 {
				t.Fatalf("line %d has 8-bit byte 0x%x: %q", i+1, c, line)
			}
		}
	}
}

func TestComposeHeadersRoundTrip(t *testing.T) {
	o := composeFull()
	raw := composeMust(t, o)

	// net/mail: the standard library's view of the same bytes.
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	from, err := msg.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != o.From.Name || from[0].Address != o.From.Addr {
		t.Errorf("From = %v, %v; want %v", from, err, o.From)
	}
	if raw := msg.Header.Get("From"); !strings.Contains(raw, "=?utf-8?q?") {
		t.Errorf("From name not Q-encoded: %q", raw)
	}
	to, err := msg.Header.AddressList("To")
	if err != nil || len(to) != 2 || to[0].Name != "Doe, Jane" || to[0].Address != "jane@customer.test" || to[1].Address != "bob@customer.test" {
		t.Errorf("To = %v, %v", to, err)
	}
	cc, err := msg.Header.AddressList("Cc")
	if err != nil || len(cc) != 1 || cc[0].Name != "Zoë" {
		t.Errorf("Cc = %v, %v", cc, err)
	}
	rt, err := msg.Header.AddressList("Reply-To")
	if err != nil || len(rt) != 1 || rt[0].Address != "support+12@example.com" {
		t.Errorf("Reply-To = %v, %v", rt, err)
	}
	subj, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subj != o.Subject {
		t.Errorf("Subject = %q, %v; want %q", subj, err, o.Subject)
	}
	date, err := msg.Header.Date()
	if err != nil || !date.Equal(o.Date) {
		t.Errorf("Date = %v, %v; want %v", date, err, o.Date)
	}
	for k, want := range map[string]string{
		"Message-Id":                "<abc123.1772438400@example.com>",
		"In-Reply-To":               "<c2@customer.test>",
		"References":                "<c1@customer.test> <a1@example.com> <c2@customer.test>",
		"Auto-Submitted":            "auto-replied",
		"X-Auto-Response-Suppress":  "All",
		"X-Supportd-Ticket":         "12",
		"Mime-Version":              "1.0",
		"Content-Transfer-Encoding": "quoted-printable",
	} {
		if got := msg.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type")); err != nil || mt != "text/plain" || params["charset"] != "utf-8" {
		t.Errorf("Content-Type = %q", msg.Header.Get("Content-Type"))
	}

	// go-message: the parser supportd itself uses.
	r, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if s, err := r.Header.Subject(); err != nil || s != o.Subject {
		t.Errorf("go-message Subject = %q, %v", s, err)
	}
	if id, err := r.Header.MessageID(); err != nil || id != o.MessageID {
		t.Errorf("MessageID = %q, %v", id, err)
	}
	if ids, err := r.Header.MsgIDList("References"); err != nil || strings.Join(ids, " ") != "c1@customer.test a1@example.com c2@customer.test" {
		t.Errorf("References = %v, %v (order must be the caller's)", ids, err)
	}
	if ids, err := r.Header.MsgIDList("In-Reply-To"); err != nil || len(ids) != 1 || ids[0] != "c2@customer.test" {
		t.Errorf("In-Reply-To = %v, %v", ids, err)
	}
	p, err := r.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Header.(*gomail.InlineHeader); !ok {
		t.Errorf("single part is %T, want inline", p.Header)
	}
	body, _ := io.ReadAll(p.Body)
	if got := strings.ReplaceAll(string(body), "\r\n", "\n"); got != o.Text {
		t.Errorf("body = %q, want %q", got, o.Text)
	}
	if _, err := r.NextPart(); err != io.EOF {
		t.Errorf("a text-only mail has more than one part: %v", err)
	}

	// Our own parser agrees too.
	pm := Parse(raw)
	if pm.Subject != o.Subject || pm.MessageID != o.MessageID || pm.From.Name != o.From.Name || pm.Loop.AutoSubmitted != "auto-replied" {
		t.Errorf("Parse: subject %q id %q from %+v auto %q", pm.Subject, pm.MessageID, pm.From, pm.Loop.AutoSubmitted)
	}
}

func TestComposeHeaderOrder(t *testing.T) {
	raw := composeMust(t, composeFull())
	var keys []string
	for _, line := range strings.Split(string(raw[:bytes.Index(raw, []byte("\r\n\r\n"))]), "\r\n") {
		if k, _, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, " ") {
			keys = append(keys, k)
		}
	}
	want := "Date From Reply-To To Cc Subject Message-Id In-Reply-To References Auto-Submitted X-Auto-Response-Suppress X-Supportd-Ticket Mime-Version Content-Type Content-Transfer-Encoding"
	if got := strings.Join(keys, " "); got != want {
		t.Errorf("header order\n got %s\nwant %s", got, want)
	}
}

func TestComposeNotAutoHasNoAutoHeaders(t *testing.T) {
	o := composeFull()
	o.Auto = false
	raw := composeMust(t, o)
	if bytes.Contains(raw, []byte("Auto-Submitted")) || bytes.Contains(raw, []byte("X-Auto-Response-Suppress")) {
		t.Errorf("human mail marked automatic:\n%s", raw)
	}
	o.Auto = true
	o.Headers = map[string]string{"auto-submitted": "auto-generated"}
	raw = composeMust(t, o)
	if msg, _ := netmail.ReadMessage(bytes.NewReader(raw)); msg.Header.Get("Auto-Submitted") != "auto-generated" || strings.Count(string(raw), "Auto-Submitted:") != 1 {
		t.Errorf("Headers did not override Auto's value once:\n%s", raw)
	}
}

// TestComposeLongLine checks that a 2000-character line (umlauts and "="
// included, which QP must escape) is soft-wrapped at 76 columns with CRLF
// and decodes back exactly.
func TestComposeLongLine(t *testing.T) {
	var b strings.Builder
	for b.Len() < 2000 {
		b.WriteString("Lorem ipsum = dolor sit ämet, ")
	}
	long := b.String()[:2000]
	text := "Hi,\n\n" + long + "\n.\nTrailing space here   \nEnd"
	o := composeFull()
	o.Text = text
	raw := composeMust(t, o)
	body := raw[bytes.Index(raw, []byte("\r\n\r\n"))+4:]
	softBreaks := bytes.Count(body, []byte("=\r\n"))
	if softBreaks < 2000/76 {
		t.Errorf("only %d soft line breaks in a 2000-character line", softBreaks)
	}
	dec, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	// Compose ends the text with a line break; nothing else changes.
	if want := strings.ReplaceAll(text+"\n", "\n", "\r\n"); string(dec) != want {
		t.Errorf("decoded body differs\n got %q\nwant %q", dec, want)
	}
	// And through go-message, as the parser will see it.
	r, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(p.Body)
	if strings.ReplaceAll(string(got), "\r\n", "\n") != text+"\n" {
		t.Errorf("go-message decoded a different body")
	}
}

func TestComposeCRLFInputIsNormalised(t *testing.T) {
	o := composeFull()
	o.Text = "one\r\ntwo\rthree\n"
	raw := composeMust(t, o)
	if !bytes.HasSuffix(raw, []byte("\r\n\r\none\r\ntwo\r\nthree\r\n")) {
		t.Errorf("body not normalised to CRLF: %q", raw[len(raw)-30:])
	}
}

// composeTree describes the MIME structure of raw, e.g.
// "multipart/mixed[multipart/alternative[text/plain text/html] application/pdf]".
func composeTree(t *testing.T, e *message.Entity) string {
	t.Helper()
	mt, _, _ := e.Header.ContentType()
	mr := e.MultipartReader()
	if mr == nil {
		return mt
	}
	var kids []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		kids = append(kids, composeTree(t, p))
	}
	return mt + "[" + strings.Join(kids, " ") + "]"
}

func composeParseTree(t *testing.T, raw []byte) string {
	t.Helper()
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return composeTree(t, e)
}

func TestComposeHTMLAlternative(t *testing.T) {
	o := composeFull()
	o.HTML = "<p>Hello Jane,</p>\n<p>thanks — we are on it.</p>\n"
	raw := composeMust(t, o)
	if got, want := composeParseTree(t, raw), "multipart/alternative[text/plain text/html]"; got != want {
		t.Fatalf("structure %s, want %s", got, want)
	}
	r, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct{ typ, body string }{{"text/plain", o.Text}, {"text/html", o.HTML}} {
		p, err := r.NextPart()
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		h, ok := p.Header.(*gomail.InlineHeader)
		if !ok {
			t.Fatalf("part %d is %T", i, p.Header)
		}
		mt, params, _ := h.ContentType()
		if mt != want.typ || params["charset"] != "utf-8" || h.Get("Content-Transfer-Encoding") != "quoted-printable" {
			t.Errorf("part %d: %s %v %s", i, mt, params, h.Get("Content-Transfer-Encoding"))
		}
		body, _ := io.ReadAll(p.Body)
		if got := strings.ReplaceAll(string(body), "\r\n", "\n"); got != want.body {
			t.Errorf("part %d body %q, want %q", i, got, want.body)
		}
	}
	if pm := Parse(raw); !strings.Contains(pm.Text, "we are on it") || pm.TextFromHTML {
		t.Errorf("Parse picked %q (from HTML %v), want the text part", pm.Text, pm.TextFromHTML)
	}
}

func TestComposeAttachments(t *testing.T) {
	bin := make([]byte, 3000)
	for i := range bin {
		bin[i] = byte(i * 7)
	}
	atts := []OutAttachment{
		{Filename: "Rechnung März 2026.pdf", ContentType: "application/pdf", Data: bin},
		{Filename: "notes.txt", ContentType: "text/plain; charset=iso-8859-1", Data: []byte("caf\xe9\n")},
		{ContentType: "not a type", Data: []byte("x")},
	}
	for _, tc := range []struct {
		name, html, tree string
	}{
		{"text", "", "multipart/mixed[text/plain application/pdf text/plain application/octet-stream]"},
		{"html", "<p>hi</p>", "multipart/mixed[multipart/alternative[text/plain text/html] application/pdf text/plain application/octet-stream]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := composeFull()
			o.HTML = tc.html
			o.Attachments = atts
			raw := composeMust(t, o)
			if got := composeParseTree(t, raw); got != tc.tree {
				t.Fatalf("structure %s\nwant      %s", got, tc.tree)
			}
			r, err := gomail.CreateReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			var got []OutAttachment
			var text string
			for {
				p, err := r.NextPart()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(p.Body)
				switch h := p.Header.(type) {
				case *gomail.InlineHeader:
					if mt, _, _ := h.ContentType(); mt == "text/plain" {
						text = string(body)
					}
				case *gomail.AttachmentHeader:
					name, _ := h.Filename()
					mt, _, _ := h.ContentType()
					got = append(got, OutAttachment{Filename: name, ContentType: mt, Data: body})
				}
			}
			if strings.ReplaceAll(text, "\r\n", "\n") != o.Text {
				t.Errorf("text = %q", text)
			}
			if len(got) != 3 {
				t.Fatalf("%d attachments, want 3", len(got))
			}
			if got[0].Filename != atts[0].Filename || got[0].ContentType != "application/pdf" || !bytes.Equal(got[0].Data, bin) {
				t.Errorf("pdf came back as %q %q %d bytes", got[0].Filename, got[0].ContentType, len(got[0].Data))
			}
			if got[1].Filename != "notes.txt" || !bytes.Equal(got[1].Data, atts[1].Data) {
				t.Errorf("notes.txt came back as %q %q", got[1].Filename, got[1].Data)
			}
			if got[2].Filename != "" || got[2].ContentType != "application/octet-stream" {
				t.Errorf("unnamed attachment came back as %q %q", got[2].Filename, got[2].ContentType)
			}
			// The repo's own attachment reader sees the same files.
			if ad := AttachmentsOf(raw, 1<<20); len(ad) != 3 || ad[0].Filename != atts[0].Filename || !bytes.Equal(ad[0].Data, bin) {
				t.Errorf("AttachmentsOf = %d attachments", len(ad))
			}
		})
	}
}

func TestComposeRejects(t *testing.T) {
	for name, mutate := range map[string]func(*Outgoing){
		"no message id":      func(o *Outgoing) { o.MessageID = "" },
		"spaced message id":  func(o *Outgoing) { o.MessageID = "a b@example.com" },
		"no from":            func(o *Outgoing) { o.From = Address{Name: "x"} },
		"from without @":     func(o *Outgoing) { o.From.Addr = "support" },
		"newline in address": func(o *Outgoing) { o.To[0].Addr = "jane@customer.test\r\nBcc: x@evil.test" },
		"reserved header":    func(o *Outgoing) { o.Headers = map[string]string{"message-id": "<x@y>"} },
		"bad header name":    func(o *Outgoing) { o.Headers = map[string]string{"X Bad": "1"} },
	} {
		o := composeFull()
		mutate(&o)
		if raw, err := Compose(o); err == nil {
			t.Errorf("%s: accepted:\n%s", name, raw)
		}
	}
}

// TestComposeNoHeaderInjection: line breaks in a subject, a display name or
// an extra header value must never start a new header field.
func TestComposeNoHeaderInjection(t *testing.T) {
	o := composeFull()
	o.Subject = "Hello\r\nBcc: victim@evil.test"
	o.From.Name = "Support\nX-Injected: 1"
	o.Headers = map[string]string{"X-Note": "a\r\nX-Injected: 2"}
	raw := composeMust(t, o)
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get("Bcc") != "" || msg.Header.Get("X-Injected") != "" {
		t.Errorf("header injected:\n%s", raw)
	}
}

func TestComposeZeroDateIsNow(t *testing.T) {
	o := composeFull()
	o.Date = time.Time{}
	raw := composeMust(t, o)
	msg, _ := netmail.ReadMessage(bytes.NewReader(raw))
	d, err := msg.Header.Date()
	if err != nil || time.Since(d) > time.Minute || time.Until(d) > time.Minute {
		t.Errorf("Date = %v, %v", d, err)
	}
}

func TestComposeEmptyIDsSkipped(t *testing.T) {
	o := composeFull()
	o.InReplyTo = []string{""}
	o.References = []string{"bad id", "<ok@x>"}
	raw := composeMust(t, o)
	msg, _ := netmail.ReadMessage(bytes.NewReader(raw))
	if _, ok := msg.Header["In-Reply-To"]; ok {
		t.Errorf("empty In-Reply-To written")
	}
	if got := msg.Header.Get("References"); got != "<ok@x>" {
		t.Errorf("References = %q", got)
	}
}

func TestReplySubject(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"Can't log in", "Re: Can't log in [#12]"},
		{"Re: Can't log in", "Re: Can't log in [#12]"},
		{"Re: Re: RE: Can't log in", "Re: Can't log in [#12]"},
		{"Aw: AW: Sv: SV: Antw: Réf : Can't log in", "Re: Can't log in [#12]"},
		{"RE[2]: Re(3): re:Can't log in", "Re: Can't log in [#12]"},
		{"回复：Can't log in", "Re: Can't log in [#12]"},
		{"Re: Can't log in [#12]", "Re: Can't log in [#12]"},
		{"[#12] Re: Can't log in", "Re: Can't log in [#12]"},
		{"Re: [#12] RE: Can't log in [#12]", "Re: Can't log in [#12]"},
		{"Re: Can't log in [#7]", "Re: Can't log in [#12]"},
		{"Fwd: Invoice", "Re: Fwd: Invoice [#12]"},
		{"Re: Fwd: Re: Invoice", "Re: Fwd: Re: Invoice [#12]"},
		{"Reset my password", "Re: Reset my password [#12]"},
		{"Resolution: none", "Re: Resolution: none [#12]"},
		{"Area: billing", "Re: Area: billing [#12]"},
		{"  Two\t spaces\n here ", "Re: Two spaces here [#12]"},
		{"", "Re: Your message [#12]"},
		{"Re:", "Re: Your message [#12]"},
		{"[#12]", "Re: Your message [#12]"},
		{"Grüße 🎉", "Re: Grüße 🎉 [#12]"},
	} {
		if got := ReplySubject(tc.in, 12); got != tc.want {
			t.Errorf("ReplySubject(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := ReplySubject("Re: Hello", 0); got != "Re: Hello" {
		t.Errorf("no ticket: %q", got)
	}
	// Replying to our own reply is a fixed point.
	s := ReplySubject("Hello", 5)
	if again := ReplySubject("RE: "+s, 5); again != s {
		t.Errorf("not idempotent: %q then %q", s, again)
	}
}

func TestNewMessageID(t *testing.T) {
	pat := regexp.MustCompile(`^[a-z2-7]{26}\.\d{10}@example\.com$`)
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := NewMessageID("Example.COM")
		if !pat.MatchString(id) {
			t.Fatalf("id %q does not match %s", id, pat)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
	}
	if id := NewMessageID(""); !strings.HasSuffix(id, "@supportd.invalid") {
		t.Errorf("empty domain gave %q", id)
	}
	o := composeFull()
	o.MessageID = NewMessageID("example.com")
	r, err := gomail.CreateReader(bytes.NewReader(composeMust(t, o)))
	if err != nil {
		t.Fatal(err)
	}
	if id, err := r.Header.MessageID(); err != nil || id != o.MessageID {
		t.Errorf("go-message reads %q, %v; want %q", id, err, o.MessageID)
	}
}

func TestDomainAndPlusAddress(t *testing.T) {
	for in, want := range map[string]string{
		"support@Example.COM":   "example.com",
		" <a@b.test> ":          "b.test",
		`"odd@local"@host.test`: "host.test",
		"nodomain":              "",
		"":                      "",
	} {
		if got := Domain(in); got != want {
			t.Errorf("Domain(%q) = %q, want %q", in, got, want)
		}
	}
	for _, tc := range []struct{ addr, tag, want string }{
		{"support@example.com", "123-abcd", "support+123-abcd@example.com"},
		{"support@example.com", "7", "support+7@example.com"},
		{"support+old@example.com", "7", "support+7@example.com"},
		{"support@example.com", "", "support@example.com"},
		{"nodomain", "7", "nodomain"},
	} {
		if got := PlusAddress(tc.addr, tc.tag); got != tc.want {
			t.Errorf("PlusAddress(%q, %q) = %q, want %q", tc.addr, tc.tag, got, tc.want)
		}
	}
}

// TestComposeSubjectRoundTrip: subjects and names of every kind decode back
// exactly, and their encoded-words keep every line within 78 characters
// (composeCheckWire), which go-message's own encoder does not (notes).
func TestComposeSubjectRoundTrip(t *testing.T) {
	for _, subj := range []string{
		"Plain ASCII subject",
		"Grüße aus Köln — Straße, Maß und Öl",
		"🎉🎉 Party 🎉 " + strings.Repeat("ü", 120),
		"請幫我重設密碼，我無法登入我的帳戶已經三天了，這非常緊急，謝謝你們的幫忙" + strings.Repeat("字", 40),
		"Literal =?utf-8?q?not_encoded?= text",
		"Ends with a space ü ",
		strings.Repeat("a", 60) + " " + strings.Repeat("é", 60),
	} {
		o := composeFull()
		o.Subject = subj
		o.From.Name = subj
		raw := composeMust(t, o)
		r, err := gomail.CreateReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		want := composeSpace(subj)
		if got, err := r.Header.Subject(); err != nil || got != want {
			t.Errorf("Subject %q came back as %q, %v", want, got, err)
		}
		from, err := r.Header.AddressList("From")
		if err != nil || len(from) != 1 || from[0].Name != want {
			t.Errorf("From name %q came back as %v, %v", want, from, err)
		}
	}
}
