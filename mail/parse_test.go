package mail

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"supportd/internal/testcorpus"
)

// corpusMail reports whether a corpus file (path relative to the corpus)
// is mail or a mail body worth parsing. The licence texts, expectation
// files, TNEF streams and the files extracted from them, and bare HTML
// snippets are not.
func corpusMail(rel string) bool {
	base := filepath.Base(rel)
	switch base {
	case "LICENSE", "SOURCE.md", "README.md", "COPYING", ".gitattributes":
		return false
	}
	if strings.Contains(rel, "/tnef/") {
		return strings.HasSuffix(base, ".eml")
	}
	switch strings.ToLower(filepath.Ext(base)) {
	case ".json", ".list", ".html", ".htm":
		return false
	}
	return true
}

// walkCorpus calls fn with every mail-like corpus file, once.
func walkCorpus(t *testing.T, fn func(rel string, raw []byte)) {
	t.Helper()
	dir := testcorpus.Dir(t)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if !corpusMail(rel) {
			return nil
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fn(rel, raw)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func readCorpus(t *testing.T, rel string) []byte {
	t.Helper()
	raw, err := os.ReadFile(testcorpus.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// checkInvariants asserts what Parse promises for any input.
func checkInvariants(t testing.TB, name string, m *Message) {
	t.Helper()
	if m == nil {
		t.Fatalf("%s: Parse returned nil", name)
	}
	if m.MessageID == "" {
		t.Errorf("%s: empty MessageID", name)
	}
	strs := []string{m.MessageID, m.Subject, m.Text, m.From.Name, m.From.Addr, m.Sender.Addr}
	for _, a := range m.Attachments {
		strs = append(strs, a.Filename, a.ContentType)
	}
	for _, list := range [][]Address{m.To, m.Cc, m.ReplyTo} {
		for _, a := range list {
			strs = append(strs, a.Name, a.Addr)
		}
	}
	l := m.Loop
	strs = append(strs, l.AutoSubmitted, l.Precedence, l.ListID, l.ListUnsubscribe, l.ListPost, l.ListOther,
		l.ReturnPath, l.XAutoreply, l.XAutorespond, l.XAutoResponseSupp, l.XSpamFlag, l.XSpamStatus,
		l.ContentType, l.ReportType, l.FeedbackType, l.ReportPart, l.XFailedRecipients)
	strs = append(strs, l.AuthenticationRes...)
	strs = append(strs, m.DeliveredTo...)
	strs = append(strs, m.XOriginalTo...)
	strs = append(strs, m.InReplyTo...)
	strs = append(strs, m.References...)
	strs = append(strs, m.Problems...)
	for _, s := range strs {
		if !utf8.ValidString(s) {
			t.Errorf("%s: invalid UTF-8 in %q", name, s)
		}
	}
	if strings.Contains(m.Text, "\r") {
		t.Errorf("%s: CR in Text", name)
	}
	for _, l := range strings.Split(m.Text, "\n") {
		if strings.TrimRight(l, " \t") != l {
			t.Errorf("%s: trailing white space in Text line %q", name, l)
			break
		}
	}
	if len(m.Text) > maxTextKept {
		t.Errorf("%s: Text is %d bytes, over the %d cap", name, len(m.Text), maxTextKept)
	}
	if len(m.Attachments) > maxParts {
		t.Errorf("%s: %d attachments, over the part limit", name, len(m.Attachments))
	}
	for _, p := range m.Problems {
		if strings.HasPrefix(p, internalErrorProblem) {
			t.Errorf("%s: %s", name, p)
		}
	}
}

// TestParseCorpus parses every message of the shared corpus: no panic, a
// Message-ID, valid UTF-8, normalised text.
func TestParseCorpus(t *testing.T) {
	var n, synth, html, withAtt, withProblems int
	walkCorpus(t, func(rel string, raw []byte) {
		m := Parse(raw)
		checkInvariants(t, rel, m)
		n++
		if m.SynthesizedID {
			synth++
		}
		if m.TextFromHTML {
			html++
		}
		if len(m.Attachments) > 0 {
			withAtt++
		}
		if len(m.Problems) > 0 {
			withProblems++
		}
	})
	t.Logf("parsed %d corpus files: %d synthesized Message-IDs, %d texts from HTML, %d with attachments, %d with problems",
		n, synth, html, withAtt, withProblems)
	if n < 3500 {
		t.Errorf("parsed only %d corpus files; is the corpus complete?", n)
	}
}

// TestParseSpotChecks pins decoded subjects, senders and bodies on the hard
// charset and structure cases of the corpus.
func TestParseSpotChecks(t *testing.T) {
	cases := []struct {
		file        string
		subject     string
		from        Address
		text        string   // exact, when set
		contains    []string // substrings of Text
		attachments []Attachment
	}{
		{
			// ISO-2022-JP subject split over two encoded words, 7bit
			// ISO-2022-JP body (MimeKit TestJapaneseMessage).
			file:    "jstedfast-mimekit/UnitTests/TestData/messages/japanese.txt",
			subject: "日本語メールテスト (testing Japanese emails)",
			text:    "Let's see if both subject and body works fine...\n\n日本語が\n正常に\n送れているか\nテスト.",
		},
		{
			file:    "mikel-mail/spec/fixtures/emails/multi_charset/japanese_iso_2022.eml",
			subject: "まみむめも",
			text:    "すみません。",
		},
		{
			file:     "mikel-mail/spec/fixtures/emails/multi_charset/japanese_shift_jis.eml",
			subject:  "test",
			contains: []string{"あいうえお", "このメールはテスト用のメールです。", "今後ともよろしくお願い申し上げます！"},
		},
		{
			// Outlook's ks_c_5601-1987 label, decoded as EUC-KR/UHC.
			file: "mikel-mail/spec/fixtures/emails/multi_charset/ks_c_5601-1987.eml",
			text: "스티해",
		},
		{
			// KOI8-R quoted-printable body beside a TNEF winmail.dat.
			file:        "jstedfast-mimekit/UnitTests/TestData/tnef/ukr.eml",
			subject:     "rr test 7",
			from:        Address{Name: "RR Tester 1", Addr: "rrtest1@xink.io"},
			contains:    []string{"шостий", "RR Test 1"},
			attachments: []Attachment{{Filename: "winmail.dat", ContentType: "application/ms-tnef", Size: 9566}},
		},
		{
			// Raw 8-bit Latin-1 in the Subject; a Windows-1252 encoded word
			// inside a quoted display name.
			file:    "mikel-mail/spec/fixtures/emails/error_emails/invalid_subject_characters.eml",
			subject: "Formação FrenetikPolis: Mega Campanha Final Verão | Cursos de Setembro",
			from:    Address{Name: "Formação Frenetikpolis", Addr: "info@formacaofrenetik.info"},
			text:    "TEST",
		},
		{
			// windows-1252 quoted-printable text beside an HTML alternative.
			file:    "stalwartlabs-mail-parser/resources/eml/thirdparty/019.eml",
			subject: "30 plaintext + (HTML + embedded image) + attachment",
			text:    "Search for hähä",
		},
		{
			// RFC 6532: UTF-8 straight in the header.
			file:    "mikel-mail/spec/fixtures/emails/rfc6532/utf8_headers.eml",
			subject: "Säying Hello",
			from:    Address{Name: "Jöhn Doe", Addr: "jdöe@mächine.example"},
		},
		{
			// An encoded word with an unknown charset and bad padding.
			file:    "mikel-mail/spec/fixtures/emails/error_emails/bad_encoded_subject.eml",
			subject: "TEST",
		},
		{
			// Obsolete RFC 822 syntax: spaces before colons, comments, a
			// folded field that lost its indentation.
			file:    "mikel-mail/spec/fixtures/emails/rfc2822/example13.eml",
			subject: "Saying Hello",
			text:    "This is a message just to say hello.\nSo, \"Hello\".",
		},
		{
			// An RFC 2047 file name.
			file:        "mikel-mail/spec/fixtures/emails/multi_charset/japanese_attachment.eml",
			subject:     "testing",
			contains:    []string{"testing"},
			attachments: []Attachment{{Filename: "てすと.txt", ContentType: "text/plain", Size: 33}},
		},
		{
			// Content-Type without a subtype (MimeKit TestMissingSubtype).
			file:        "jstedfast-mimekit/UnitTests/TestData/messages/missing-subtype.txt",
			attachments: []Attachment{{Filename: "document.xml.gz", ContentType: "application/octet-stream", Size: 15}},
		},
		{
			// An empty nested multipart/alternative beside the text.
			file: "jstedfast-mimekit/UnitTests/TestData/messages/empty-multipart.txt",
			text: "This part should be on the same level as the multipart/alternative and not a child.",
		},
		{
			// A CR-only copy whose UTF-8 body is labelled ISO-2022-JP.
			file:     "sisimai-set-of-emails/maildir/mac/lhost-mfilter-01.eml",
			contains: []string{"このメールは「m-FILTER」が自動的に生成して送信しています。"},
		},
		{
			// Bounce whose multipart header lost its fold indentation
			// ("boundary=…" at the start of a line).
			file:     "sisimai-set-of-emails/maildir/bsd/lhost-apachejames-01.eml",
			contains: []string{"550 - Requested action not taken: no such user here"},
		},
		{
			// The TNEF body is not decoded (no maintained Go TNEF library
			// is available), but the text part before it is read.
			file:        "jstedfast-mimekit/UnitTests/TestData/tnef/rich-text.eml",
			subject:     "Rich Text",
			contains:    []string{"You've made this a Christmas to remember"},
			attachments: []Attachment{{Filename: "winmail.dat", ContentType: "application/ms-tnef", Size: 821421}},
		},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			m := Parse(readCorpus(t, c.file))
			checkInvariants(t, c.file, m)
			if c.subject != "" && m.Subject != c.subject {
				t.Errorf("Subject = %q, want %q", m.Subject, c.subject)
			}
			if c.from != (Address{}) && m.From != c.from {
				t.Errorf("From = %#v, want %#v", m.From, c.from)
			}
			if c.text != "" && m.Text != c.text {
				t.Errorf("Text = %q, want %q", m.Text, c.text)
			}
			for _, s := range c.contains {
				if !strings.Contains(m.Text, s) {
					t.Errorf("Text lacks %q; it is %q", s, truncateUTF8(m.Text, 300))
				}
			}
			if c.attachments != nil && fmt.Sprint(m.Attachments) != fmt.Sprint(c.attachments) {
				t.Errorf("Attachments = %v, want %v", m.Attachments, c.attachments)
			}
		})
	}
}

// TestParseStalwartSubjects compares decoded subjects with the
// stalwartlabs/mail-parser expected results.
func TestParseStalwartSubjects(t *testing.T) {
	dir := testcorpus.Path(t, "stalwartlabs-mail-parser", "resources", "eml")
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".crlf.json") {
			continue
		}
		var exp struct {
			Parts []struct {
				Headers []struct {
					Name  json.RawMessage // "subject", or {"other": "X-Name"}
					Value json.RawMessage // {"Text": "…"} for unstructured fields
				}
			}
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &exp); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(exp.Parts) == 0 {
			continue
		}
		for _, h := range exp.Parts[0].Headers {
			var v struct{ Text *string }
			if string(h.Name) != `"subject"` || json.Unmarshal(h.Value, &v) != nil || v.Text == nil {
				continue
			}
			raw, err := os.ReadFile(strings.TrimSuffix(f, ".json") + ".eml")
			if err != nil {
				t.Fatal(err)
			}
			if got := Parse(raw).Subject; got != *v.Text {
				t.Errorf("%s: Subject = %q, want %q", f, got, *v.Text)
			}
			checked++
			break
		}
	}
	if checked < 20 {
		t.Errorf("compared only %d subjects", checked)
	}
}

// TestParseReferences checks the threading fields on broken headers.
func TestParseReferences(t *testing.T) {
	t.Run("one invalid id", func(t *testing.T) {
		// Two References fields; the second has an id broken by a fold
		// that lost its indentation.
		m := Parse(readCorpus(t, "mikel-mail/spec/fixtures/emails/error_emails/multiple_references_with_one_invalid.eml"))
		if want := []string{"foo@bar.net", "baz@bar.net"}; fmt.Sprint(m.References) != fmt.Sprint(want) {
			t.Errorf("References = %q, want %q", m.References, want)
		}
		if m.MessageID != "105647271315.NCV17523@x263.net" || m.Text != "foo" {
			t.Errorf("MessageID %q, Text %q", m.MessageID, m.Text)
		}
	})
	t.Run("empty In-Reply-To", func(t *testing.T) {
		m := Parse(readCorpus(t, "mikel-mail/spec/fixtures/emails/error_emails/empty_in_reply_to.eml"))
		if len(m.InReplyTo) != 0 {
			t.Errorf("InReplyTo = %q, want none", m.InReplyTo)
		}
		if m.MessageID != "F194F88AF3E341A6B2B135CC17912811@articondell" || m.SynthesizedID {
			t.Errorf("MessageID = %q (synthesized %v)", m.MessageID, m.SynthesizedID)
		}
		if m.Subject != "illegal copy of our patient education software" {
			t.Errorf("Subject = %q", m.Subject)
		}
	})
	t.Run("junk between ids", func(t *testing.T) {
		raw := "From: a@example.com\n" +
			"Message-ID: <x@example.com> (a comment)\n" +
			"In-Reply-To: <p1@example.com> (Jane's message of \"Mon, 1 Jan\")\n" +
			"References: <r1@example.com> \"quoted text\" <r2@example.com><r3@example.com>\n" +
			"  bob@example.com <bad id@example.com> <r2@example.com>\n" +
			"  <r4@example.com>\n\nbody\n"
		m := Parse([]byte(raw))
		if m.MessageID != "x@example.com" {
			t.Errorf("MessageID = %q", m.MessageID)
		}
		if fmt.Sprint(m.InReplyTo) != "[p1@example.com]" {
			t.Errorf("InReplyTo = %q", m.InReplyTo)
		}
		if want := "[r1@example.com r2@example.com r3@example.com r4@example.com]"; fmt.Sprint(m.References) != want {
			t.Errorf("References = %q, want %s", m.References, want)
		}
	})
	t.Run("bare ids", func(t *testing.T) {
		m := Parse([]byte("From: a@example.com\nMessage-ID: abc@example.com\nIn-Reply-To: def@example.com\n\nhi\n"))
		if m.MessageID != "abc@example.com" || fmt.Sprint(m.InReplyTo) != "[def@example.com]" {
			t.Errorf("MessageID %q, InReplyTo %q", m.MessageID, m.InReplyTo)
		}
	})
}

var synthesizedIDRE = regexp.MustCompile(`^[0-9a-f]{32}@synthesized\.supportd$`)

// TestParseSynthesizedID checks that a message without a Message-ID gets a
// stable one (same bytes, same id) and one with an id keeps it.
func TestParseSynthesizedID(t *testing.T) {
	files := []string{
		"mikel-mail/spec/fixtures/emails/error_emails/bad_date_header.eml",
		"mikel-mail/spec/fixtures/emails/multi_charset/japanese.eml",
		"stalwartlabs-mail-parser/resources/eml/malformed/000.eml",
		"stalwartlabs-mail-parser/resources/eml/rfc/000.eml",
	}
	seen := map[string]string{}
	for _, f := range files {
		raw := readCorpus(t, f)
		m1, m2 := Parse(raw), Parse(bytes.Clone(raw))
		if !m1.SynthesizedID || !synthesizedIDRE.MatchString(m1.MessageID) {
			t.Errorf("%s: MessageID %q (synthesized %v), want a synthesized one", f, m1.MessageID, m1.SynthesizedID)
		}
		if m1.MessageID != m2.MessageID {
			t.Errorf("%s: ids differ between parses: %q, %q", f, m1.MessageID, m2.MessageID)
		}
		if m1.MessageID != SynthesizeMessageID(raw) {
			t.Errorf("%s: MessageID %q, SynthesizeMessageID %q", f, m1.MessageID, SynthesizeMessageID(raw))
		}
		if other, dup := seen[m1.MessageID]; dup {
			t.Errorf("%s and %s share id %q", f, other, m1.MessageID)
		}
		seen[m1.MessageID] = f
	}
	for _, raw := range []string{"", "\n", "Subject: x\n\n", "Message-ID: <>\n\nbody", "Message-ID:   \n\nbody"} {
		m := Parse([]byte(raw))
		if !m.SynthesizedID || !synthesizedIDRE.MatchString(m.MessageID) {
			t.Errorf("%q: MessageID %q (synthesized %v)", raw, m.MessageID, m.SynthesizedID)
		}
	}
	m := Parse([]byte("Message-ID: <keep@example.com>\n\nx"))
	if m.SynthesizedID || m.MessageID != "keep@example.com" {
		t.Errorf("MessageID %q (synthesized %v)", m.MessageID, m.SynthesizedID)
	}
}

// TestParseHeaders covers address, subject and date decoding on small
// messages written here.
func TestParseHeaders(t *testing.T) {
	raw := "From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <Juergen@Example.COM>\n" +
		"Sender: secretary@example.com\n" +
		"To: \"Doe, Jane\" <jane@example.com>, bob@example.com\n" +
		"Cc: Undisclosed recipients:;\n" +
		"To: carol@example.com\n" +
		"Reply-To: =?iso-8859-1?q?Andr=E9?= <andre@example.org>\n" +
		"Subject: =?UTF-8?B?5pel5pys6Kqe44Gu?=\n =?UTF-8?B?5Lu25ZCN?= and =?iso-8859-1?Q?caf=E9?=\n" +
		"Date: Mon, 2 Feb 2026 09:30:00 +0100 (CET)\n" +
		"Delivered-To: support@example.com\n" +
		"Delivered-To: <alias@example.com>\n" +
		"X-Original-To: support+7@example.com\n" +
		"Authentication-Results: mx.example.com; dkim=pass header.d=example.com\n" +
		"Authentication-Results: other.example; spf=fail\n" +
		"Message-ID: <1@example.com>\n\nHello\n"
	m := Parse([]byte(raw))
	checkInvariants(t, "headers", m)
	if want := (Address{Name: "Jürgen Müller", Addr: "Juergen@example.com"}); m.From != want {
		t.Errorf("From = %#v, want %#v", m.From, want)
	}
	if m.Sender.Addr != "secretary@example.com" {
		t.Errorf("Sender = %#v", m.Sender)
	}
	if want := "[Doe, Jane <jane@example.com> bob@example.com carol@example.com]"; fmt.Sprint(m.To) != want {
		t.Errorf("To = %v, want %s", m.To, want)
	}
	if len(m.Cc) != 0 {
		t.Errorf("Cc = %v, want none", m.Cc)
	}
	if want := "[André <andre@example.org>]"; fmt.Sprint(m.ReplyTo) != want {
		t.Errorf("ReplyTo = %v, want %s", m.ReplyTo, want)
	}
	if want := "日本語の件名 and café"; m.Subject != want {
		t.Errorf("Subject = %q, want %q", m.Subject, want)
	}
	if want := time.Date(2026, 2, 2, 8, 30, 0, 0, time.UTC); !m.Date.Equal(want) {
		t.Errorf("Date = %v, want %v", m.Date, want)
	}
	if fmt.Sprint(m.DeliveredTo) != "[support@example.com alias@example.com]" || fmt.Sprint(m.XOriginalTo) != "[support+7@example.com]" {
		t.Errorf("DeliveredTo %q, XOriginalTo %q", m.DeliveredTo, m.XOriginalTo)
	}
	if len(m.Loop.AuthenticationRes) != 2 || !strings.HasPrefix(m.Loop.AuthenticationRes[0], "mx.example.com;") {
		t.Errorf("AuthenticationRes = %q", m.Loop.AuthenticationRes)
	}
	if len(m.Problems) != 0 {
		t.Errorf("Problems = %q", m.Problems)
	}
}

// TestParseLenientHeaders: a bad header still yields what it holds.
func TestParseLenientHeaders(t *testing.T) {
	cases := []struct {
		name, raw string
		from      Address
		subject   string
		text      string
		date      bool
		problem   bool
	}{
		{"display name with @ unquoted", "From: jane@example.com <jane@example.com>, \n\nhi", Address{Addr: "jane@example.com"}, "", "hi", false, true},
		{"no angle brackets", "From: Jane Doe jane@example.com\n\nhi", Address{Name: "Jane Doe", Addr: "jane@example.com"}, "", "hi", false, true},
		{"unclosed angle", "From: Jane <jane@example.com\n\nhi", Address{Name: "Jane", Addr: "jane@example.com"}, "", "hi", false, true},
		{"mailer-daemon without domain", "From: MAILER-DAEMON (Mail Delivery System)\n\nhi", Address{Name: "Mail Delivery System", Addr: "MAILER-DAEMON"}, "", "hi", false, true},
		{"mbox From_ line", "From jane@example.com Mon Jan  1 00:00:00 2024\nFrom: jane@example.com\nSubject: s\n\nhi", Address{Addr: "jane@example.com"}, "s", "hi", false, false},
		{"UTF-8 BOM", "\xEF\xBB\xBFFrom: jane@example.com\n\nhi", Address{Addr: "jane@example.com"}, "", "hi", false, false},
		{"no header at all", "Hi there,\n\nmy printer is broken.\n", Address{}, "", "Hi there,\n\nmy printer is broken.", false, false},
		{"no blank line after header", "From: jane@example.com\nSubject: s\nThis is the body\nmore body\n", Address{Addr: "jane@example.com"}, "s", "This is the body\nmore body", false, true},
		{"raw 8-bit subject", "Subject: caf\xe9 cr\xe8me\n\nx", Address{}, "café crème", "x", false, false},
		{"raw ISO-2022-JP subject", "Subject: \x1b$B$3$s$K$A$O\x1b(B\n\nx", Address{}, "こんにちは", "x", false, false},
		{"unknown charset word", "Subject: =?x-unknown-thing?Q?caf=C3=A9?=\n\nx", Address{}, "café", "x", false, false},
		{"multi-byte split across words", "Subject: =?UTF-8?B?5pel?= =?UTF-8?B?5pys6Kqe?=\n\nx", Address{}, "日本語", "x", false, false},
		{"bad date", "Date: yesterday-ish\n\nx", Address{}, "", "x", false, true},
		{"obsolete date", "Date: Thu 29 Apr 2010 23:34:45 +0900\n\nx", Address{}, "", "x", true, false},
		{"two-digit year", "Date: Fri, 21 Nov 97 09:55:06 GMT\n\nx", Address{}, "", "x", true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := Parse([]byte(c.raw))
			checkInvariants(t, c.name, m)
			if m.From != c.from {
				t.Errorf("From = %#v, want %#v", m.From, c.from)
			}
			if m.Subject != c.subject {
				t.Errorf("Subject = %q, want %q", m.Subject, c.subject)
			}
			if m.Text != c.text {
				t.Errorf("Text = %q, want %q", m.Text, c.text)
			}
			if !m.Date.IsZero() != c.date {
				t.Errorf("Date = %v, want set=%v", m.Date, c.date)
			}
			if (len(m.Problems) > 0) != c.problem {
				t.Errorf("Problems = %q, want some=%v", m.Problems, c.problem)
			}
		})
	}
}

// TestParseCharsets checks body charset handling on messages written here.
func TestParseCharsets(t *testing.T) {
	msg := func(ct, cte string, body []byte) []byte {
		h := "From: a@example.com\nContent-Type: " + ct + "\n"
		if cte != "" {
			h += "Content-Transfer-Encoding: " + cte + "\n"
		}
		return append([]byte(h+"\n"), body...)
	}
	cases := []struct {
		name string
		raw  []byte
		text string
	}{
		// Windows-1252 quotes, dash and euro under an ISO-8859-1 label.
		{"latin1 label, cp1252 bytes", msg("text/plain; charset=iso-8859-1", "8bit", []byte("\x93Hi\x94 \x96 5\x80")), "“Hi” – 5€"},
		{"windows-1252 QP", msg("text/plain; charset=windows-1252", "quoted-printable", []byte("Gr=FC=DFe")), "Grüße"},
		{"UTF-8 labelled latin1", msg("text/plain; charset=iso-8859-1", "8bit", []byte("Grüße")), "Grüße"},
		{"koi8-r", msg("text/plain; charset=koi8-r", "8bit", []byte("\xf0\xd2\xc9\xd7\xc5\xd4")), "Привет"},
		{"windows-1251 base64", msg("text/plain; charset=windows-1251", "base64", []byte(base64.StdEncoding.EncodeToString([]byte("\xcf\xf0\xe8\xe2\xe5\xf2")))), "Привет"},
		// GB2312 label, a character only GBK/GB18030 has (镕, 0xE946).
		{"gb2312 as gb18030", msg("text/plain; charset=gb2312", "8bit", []byte("\xc4\xe3\xba\xc3\xe9\x46")), "你好镕"},
		{"big5", msg("text/plain; charset=big5", "8bit", []byte("\xa4\xa4\xa4\xe5")), "中文"},
		{"euc-kr", msg("text/plain; charset=euc-kr", "8bit", []byte("\xc7\xd1\xb1\xb9")), "한국"},
		{"unknown charset, UTF-8 bytes", msg("text/plain; charset=x-martian", "8bit", []byte("naïve")), "naïve"},
		{"unknown charset, 8-bit bytes", msg("text/plain; charset=x-martian", "8bit", []byte("na\xefve")), "naïve"},
		{"no charset, 8-bit bytes", msg("text/plain", "8bit", []byte("caf\xe9")), "café"},
		{"UTF-7 (RFC 2152 example)", msg("text/plain; charset=utf-7", "7bit", []byte("Hi Mom -+Jjo--!")), "Hi Mom -☺-!"},
		{"UTF-8 with one bad byte", msg("text/plain; charset=utf-8", "8bit", []byte("日本\xff語")), "日本\uFFFD語"},
		{"unknown transfer encoding", msg("text/plain", "x-strange", []byte("plain words")), "plain words"},
		{"CTE with junk", msg("text/plain", "Quoted-Printable;", []byte("a=3Db")), "a=b"},
		// RFC 3676: soft breaks joined, stuffing removed, quotes kept per
		// level, the signature separator left alone.
		{"format=flowed", msg("text/plain; charset=utf-8; format=flowed", "", []byte(
			"This is one \nparagraph.\n From stuffed\n> quoted \n> more\n>> deeper\n\n-- \nJane")),
			"This is one paragraph.\nFrom stuffed\n> quoted more\n>> deeper\n\n--\nJane"},
		{"format=flowed delsp", msg("text/plain; format=flowed; delsp=yes", "", []byte("日本語の \n文章")), "日本語の文章"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := Parse(c.raw)
			checkInvariants(t, c.name, m)
			if m.Text != c.text {
				t.Errorf("Text = %q, want %q", m.Text, c.text)
			}
		})
	}
}

// TestParseLineEndings: LF, CRLF and CR-only copies of a message parse
// the same, on a message written here and on the sisimai bsd/dos/mac
// triples.
func TestParseLineEndings(t *testing.T) {
	lf := "From: Jane <jane@example.com>\nSubject: line\n endings\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\n\npreamble\n--b1\n" +
		"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n" +
		"First line   \nsecond =\nline\n\n--b1\nContent-Type: application/pdf; name=\"a.pdf\"\n" +
		"Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--b1--\n"
	variants := map[string]string{
		"LF":   lf,
		"CRLF": strings.ReplaceAll(lf, "\n", "\r\n"),
		"CR":   strings.ReplaceAll(lf, "\n", "\r"),
	}
	for name, raw := range variants {
		m := Parse([]byte(raw))
		checkInvariants(t, name, m)
		if m.Subject != "line endings" || m.Text != "First line\nsecond line" || m.From.Addr != "jane@example.com" {
			t.Errorf("%s: Subject %q, Text %q, From %v", name, m.Subject, m.Text, m.From)
		}
		if want := "[{a.pdf application/pdf 9}]"; fmt.Sprint(m.Attachments) != want {
			t.Errorf("%s: Attachments %v, want %s", name, m.Attachments, want)
		}
	}

	dir := testcorpus.Path(t, "sisimai-set-of-emails", "maildir")
	macs, err := filepath.Glob(filepath.Join(dir, "mac", "*.eml"))
	if err != nil || len(macs) == 0 {
		t.Fatalf("no mac files: %v", err)
	}
	for _, mac := range macs {
		base := filepath.Base(mac)
		bsd, err := os.ReadFile(filepath.Join(dir, "bsd", base))
		if err != nil {
			continue // a few mac/dos files have no LF twin
		}
		want := Parse(bsd)
		for _, dir := range []string{"mac", "dos"} {
			got := Parse(readCorpus(t, "sisimai-set-of-emails/maildir/"+dir+"/"+base))
			if got.Subject != want.Subject || got.From != want.From || !got.Date.Equal(want.Date) || !sameTextStart(got.Text, want.Text) {
				t.Errorf("%s/%s differs from bsd: subject %q/%q, from %v/%v, text %q/%q", dir, base,
					got.Subject, want.Subject, got.From, want.From, truncateUTF8(got.Text, 80), truncateUTF8(want.Text, 80))
			}
		}
	}
}

// sameTextStart compares two texts over their first lines, which is where
// the sisimai copies agree (some differ further down in their own bytes).
func sameTextStart(a, b string) bool {
	first := func(s string) string {
		lines := strings.SplitN(s, "\n", 4)
		return strings.Join(lines[:min(3, len(lines))], "\n")
	}
	return first(a) == first(b)
}

// TestParseHTMLOnly: a message with only HTML gets readable text.
func TestParseHTMLOnly(t *testing.T) {
	m := Parse(readCorpus(t, "stalwartlabs-mail-parser/resources/eml/thirdparty/016.eml"))
	if !m.TextFromHTML || m.Text != "Search for höhö" {
		t.Errorf("TextFromHTML %v, Text %q", m.TextFromHTML, m.Text)
	}
	if want := "[{kigaaldcbanejcbi.png image/png 242}]"; fmt.Sprint(m.Attachments) != want {
		t.Errorf("Attachments = %v, want %s (the inline image)", m.Attachments, want)
	}

	raw := "From: a@example.com\nContent-Type: text/html; charset=utf-8\n\n" +
		"<html><head><title>T</title><style>p{color:red}</style></head><body>" +
		"<p>Hello&nbsp;there &amp; welcome,</p><p>Line one<br>Line two</p>" +
		"<ul><li>first</li><li>second <a href=\"https://example.com/x\">link text</a></li></ul>" +
		"<script>alert(1)</script><div>Caf&eacute; &#8364;5</div></body></html>"
	m = Parse([]byte(raw))
	want := "Hello there & welcome,\n\nLine one\nLine two\n\n- first\n- second link text\n\nCafé €5"
	if !m.TextFromHTML || m.Text != want {
		t.Errorf("TextFromHTML %v, Text %q, want %q", m.TextFromHTML, m.Text, want)
	}

	// text/plain wins over HTML in an alternative.
	alt := "From: a@example.com\nContent-Type: multipart/alternative; boundary=x\n\n--x\n" +
		"Content-Type: text/html\n\n<p>html version</p>\n--x\nContent-Type: text/plain\n\nplain version\n--x--\n"
	m = Parse([]byte(alt))
	if m.TextFromHTML || m.Text != "plain version" {
		t.Errorf("alternative: TextFromHTML %v, Text %q", m.TextFromHTML, m.Text)
	}
}

// TestParseAttachments lists every non-body part with its decoded size.
func TestParseAttachments(t *testing.T) {
	png := bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 100)
	big := bytes.Repeat([]byte("0123456789abcdef"), 100_000) // 1.6 MB
	raw := "From: a@example.com\nSubject: files\nContent-Type: multipart/mixed; boundary=\"outer\"\n\n" +
		"--outer\nContent-Type: multipart/related; boundary=\"rel\"\n\n" +
		"--rel\nContent-Type: text/html; charset=utf-8\n\n<p>see <img src=\"cid:logo\"></p>\n" +
		"--rel\nContent-Type: image/png\nContent-ID: <logo>\nContent-Disposition: inline\nContent-Transfer-Encoding: base64\n\n" +
		wrap76(base64.StdEncoding.EncodeToString(png)) + "\n--rel--\n" +
		"--outer\nContent-Type: application/octet-stream\n" +
		"Content-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.bin\nContent-Transfer-Encoding: base64\n\n" +
		wrap76(base64.StdEncoding.EncodeToString(big)) + "\n" +
		"--outer\nContent-Type: text/plain; name=\"notes.txt\"\nContent-Disposition: attachment\n\nnot the body\n" +
		"--outer\nContent-Type: message/rfc822\n\nFrom: b@example.com\nSubject: Forwarded one\n\ninner\n" +
		"--outer\nContent-Type: application/pdf; name=\"=?UTF-8?B?w6l0w6kucGRm?=\"\nContent-Transfer-Encoding: quoted-printable\n\n%PDF=3D1\n" +
		"--outer--\n"
	m := Parse([]byte(raw))
	checkInvariants(t, "attachments", m)
	want := []Attachment{
		{Filename: "part4.png", ContentType: "image/png", Size: int64(len(png))},
		{Filename: "résumé.bin", ContentType: "application/octet-stream", Size: int64(len(big))},
		{Filename: "notes.txt", ContentType: "text/plain", Size: int64(len("not the body"))},
		{Filename: "Forwarded one.eml", ContentType: "message/rfc822", Size: int64(len("From: b@example.com\nSubject: Forwarded one\n\ninner"))},
		{Filename: "été.pdf", ContentType: "application/pdf", Size: 6},
	}
	if fmt.Sprint(m.Attachments) != fmt.Sprint(want) {
		t.Errorf("Attachments =\n%v\nwant\n%v", m.Attachments, want)
	}
	if !m.TextFromHTML || m.Text != "see" {
		t.Errorf("TextFromHTML %v, Text %q", m.TextFromHTML, m.Text)
	}
}

func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\n")
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}

// TestParseReports records the machine-readable parts of reports.
func TestParseReports(t *testing.T) {
	m := Parse(readCorpus(t, "jstedfast-mimekit/UnitTests/TestData/messages/feedback-report.txt"))
	if m.Loop.ContentType != "multipart/report" || m.Loop.ReportType != "feedback-report" ||
		m.Loop.ReportPart != "message/feedback-report" || m.Loop.FeedbackType != "abuse" {
		t.Errorf("Loop = %+v", m.Loop)
	}
	m = Parse(readCorpus(t, "jstedfast-mimekit/UnitTests/TestData/messages/bounce.txt"))
	if m.Loop.ReportType != "delivery-status" || m.Loop.ReportPart != "message/delivery-status" ||
		m.Loop.AutoSubmitted != "auto-replied" || m.From.Addr == "" {
		t.Errorf("Loop = %+v, From %v", m.Loop, m.From)
	}
	// A message/rfc822 attachment is not searched: the negative in
	// sisimai's maildir/not/ attaches an ordinary message.
	m = Parse(readCorpus(t, "sisimai-set-of-emails/maildir/not/is-not-bounce-02.eml"))
	if m.Loop.ReportPart != "" || m.Text != "it shouldn't be considered as bounce" {
		t.Errorf("Loop %+v, Text %q", m.Loop, m.Text)
	}
}

// TestParseLimits: hostile structure costs bounded work and says so.
func TestParseLimits(t *testing.T) {
	t.Run("deep nesting", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("From: a@example.com\n")
		for i := range 200 {
			fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i)
		}
		b.WriteString("Content-Type: text/plain\n\ndeep text\n")
		m := Parse([]byte(b.String()))
		checkInvariants(t, "deep", m)
		if !hasProblem(m, "nested deeper") {
			t.Errorf("Problems = %q, want the nesting limit", m.Problems)
		}
		// The corpus case: MimeKit's stack-overflow.txt.
		m = Parse(readCorpus(t, "jstedfast-mimekit/UnitTests/TestData/messages/stack-overflow.txt"))
		checkInvariants(t, "stack-overflow.txt", m)
	})
	t.Run("many parts", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("From: a@example.com\nContent-Type: multipart/mixed; boundary=\"z\"\n\n--z\nContent-Type: text/plain\n\nbody\n")
		for i := range 1500 {
			fmt.Fprintf(&b, "--z\nContent-Type: application/octet-stream; name=\"f%d\"\n\nx\n", i)
		}
		b.WriteString("--z--\n")
		m := Parse([]byte(b.String()))
		checkInvariants(t, "many", m)
		if len(m.Attachments) >= maxParts || len(m.Attachments) < maxParts-10 || !hasProblem(m, "MIME parts") || m.Text != "body" {
			t.Errorf("%d attachments, Text %q, Problems %q", len(m.Attachments), m.Text, m.Problems)
		}
	})
	t.Run("long text", func(t *testing.T) {
		body := strings.Repeat("ünïcödé text line\n", maxTextKept/15)
		m := Parse([]byte("From: a@example.com\nContent-Type: text/plain; charset=utf-8\n\n" + body))
		checkInvariants(t, "long", m)
		if len(m.Text) < maxTextKept-100 || !hasProblem(m, "body text longer") {
			t.Errorf("Text %d bytes, Problems %q", len(m.Text), m.Problems)
		}
	})
	t.Run("huge header", func(t *testing.T) {
		raw := "From: a@example.com\nX-Big: " + strings.Repeat("x", maxHeaderBytes+10) + "\nSubject: after\n\nbody"
		m := Parse([]byte(raw))
		checkInvariants(t, "huge header", m)
		if m.Text != "body" || m.From.Addr != "a@example.com" || !hasProblem(m, "header larger") {
			t.Errorf("Text %q, From %v, Problems %q", m.Text, m.From, m.Problems)
		}
	})
}

func hasProblem(m *Message, sub string) bool {
	for _, p := range m.Problems {
		if strings.Contains(p, sub) {
			return true
		}
	}
	return false
}

// benchMessage is a realistic ~4 KB reply from a mail client:
// multipart/alternative, quoted-printable text and HTML, a quoted history.
func benchMessage() []byte {
	para := "Thanks for getting back to me so quickly. I tried the steps you sent =E2=80=93 " +
		"clearing the cache and\nsigning in again =E2=80=93 but the export still stops at 90 %. " +
		"The error says =E2=80=9Cquota\nexceeded=E2=80=9D although we only use a fraction of our plan.=20\n"
	var text, html strings.Builder
	for range 5 {
		text.WriteString(para + "\n")
		html.WriteString("<p>" + strings.ReplaceAll(para, "\n", " ") + "</p>\n")
	}
	text.WriteString("On Mon, 2 Feb 2026 at 09:30, Support <support@example.com> wrote:\n> Please try clearing the cache.\n> Kind regards\n")
	html.WriteString("<blockquote><p>Please try clearing the cache.</p><p>Kind regards</p></blockquote>\n")
	return []byte("Return-Path: <jane@example.org>\r\n" +
		"Received: from mail.example.org (mail.example.org [192.0.2.1])\r\n\tby mx.example.com with ESMTPS id 4A1B2C3D\r\n\tfor <support@example.com>; Mon, 2 Feb 2026 10:00:00 +0100\r\n" +
		"Authentication-Results: mx.example.com; dkim=pass header.d=example.org; spf=pass smtp.mailfrom=example.org\r\n" +
		"From: =?UTF-8?Q?Jane_M=C3=BCller?= <jane@example.org>\r\n" +
		"To: Support <support@example.com>\r\n" +
		"Subject: Re: [#123] Export stops at 90 %\r\n" +
		"Date: Mon, 2 Feb 2026 10:00:00 +0100\r\n" +
		"Message-ID: <CAF=abc123@mail.example.org>\r\n" +
		"In-Reply-To: <ticket-123-1@example.com>\r\n" +
		"References: <ticket-123-0@example.com> <ticket-123-1@example.com>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/alternative; boundary=\"000000000000abcdef\"\r\n\r\n" +
		"--000000000000abcdef\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		strings.ReplaceAll(text.String(), "\n", "\r\n") +
		"\r\n--000000000000abcdef\r\nContent-Type: text/html; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		strings.ReplaceAll(html.String(), "\n", "\r\n") +
		"\r\n--000000000000abcdef--\r\n")
}

func BenchmarkParse(b *testing.B) {
	raw := benchMessage()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if m := Parse(raw); m.Text == "" || len(m.Problems) > 0 {
			b.Fatalf("Text %q, Problems %q", m.Text, m.Problems)
		}
	}
}

// TestParseTNEFOnly: an Outlook message whose body is only in winmail.dat
// keeps the attachment and says why the text is empty (TNEF is not decoded:
// no maintained Go decoder is available).
func TestParseTNEFOnly(t *testing.T) {
	raw := "From: a@example.com\nContent-Type: multipart/mixed; boundary=t\n\n--t\n" +
		"Content-Type: application/ms-tnef; name=\"winmail.dat\"\nContent-Transfer-Encoding: base64\n\neJ8+IhFRAQaQCAAEAAAAAAABAAEAAQeQBgAIAAAA5AQAAAAAAADoAAEIgAcAGAAAAElQTS5NaWNy\n--t--\n"
	m := Parse([]byte(raw))
	if m.Text != "" || len(m.Attachments) != 1 || m.Attachments[0].Filename != "winmail.dat" || !hasProblem(m, "TNEF") {
		t.Errorf("Text %q, Attachments %v, Problems %q", m.Text, m.Attachments, m.Problems)
	}
}
