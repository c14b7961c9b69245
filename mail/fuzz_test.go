package mail

import (
	"os"
	"path/filepath"
	"testing"

	"supportd/internal/testcorpus"
)

// fuzzSeeds are small messages that reach the parser's branches: folding,
// encoded words, multipart nesting, transfer encodings, charsets, broken
// headers and boundaries, reports.
var fuzzSeeds = []string{
	"",
	"\n",
	"From: a@example.com\nSubject: hi\n\nbody\n",
	"From: =?UTF-8?B?w6k=?= <a@example.com>\r\nSubject: =?iso-2022-jp?B?GyRCRnxLXDhsGyhC?=\r\n\r\nx\r\n",
	"From a@example.com Mon Jan  1 00:00:00 2024\nFrom: a\nTo: b, \"c, d\" <e@f>\nMessage-ID: <1@x>\nReferences: <a@x> junk <b@x>\n\nx",
	"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: quoted-printable\n\n=F0=D2=C9\n--b\nContent-Type: image/png; name=a.png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--b--\n",
	"Content-Type: multipart/alternative; boundary=----=_x\n\n------=_x\nContent-Type: text/html\n\n<p>hi<br>there</p>\n------=_x\n",
	"Content-Type: multipart/report; report-type=delivery-status; boundary=r\nFrom: MAILER-DAEMON\n\n--r\n\nfailed\n--r\nContent-Type: message/delivery-status\n\nStatus: 5.1.1\n--r\nContent-Type: message/rfc822\n\nSubject: orig\n\nx\n--r--",
	"Content-Type: text/plain; charset=\"utf-7\"\nContent-Transfer-Encoding: x-weird\n\nHi +Jjo-",
	"Subject: broken\nno colon here\n continued\n\n",
	"Content-Type: multipart/mixed\n\n--guess\nContent-Type: text/plain\n\nfound\n--guess--\n",
	"Content-Type: message/rfc822\n\nSubject: inner\n\ninner body",
	"Date: Thu 29 Apr 2010 23:34:45 +0900\nContent-Disposition: attachment; filename*0*=UTF-8''a%C3; filename*1=b.txt\n\n",
	"Subject: \x1b$B$3$s\x1b(B \xe9\xff\n\n\x00\r\r\n",
}

// FuzzParse checks Parse's promises on any input: no panic (a recovered
// one is reported as a Problem and fails here), a non-nil message, a
// Message-ID, valid UTF-8 and normalised text.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	// A few real messages, when the corpus is there (it is not on a fresh
	// clone, and fuzzing must still work).
	if dir := corpusDirForFuzz(f); dir != "" {
		for _, rel := range []string{
			"jstedfast-mimekit/UnitTests/TestData/messages/japanese.txt",
			"jstedfast-mimekit/UnitTests/TestData/messages/bounce.txt",
			"mikel-mail/spec/fixtures/emails/error_emails/multiple_references_with_one_invalid.eml",
			"stalwartlabs-mail-parser/resources/eml/malformed/016.eml",
			"sisimai-set-of-emails/maildir/mac/lhost-postfix-01.eml",
		} {
			if b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel))); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m := Parse(raw)
		checkInvariants(t, "fuzz input", m)
		_, reason := Classify(m, []string{"support@example.com"})
		if reason == "" {
			t.Error("Classify gave no reason")
		}
	})
}

// quietTB lets testcorpus.Dir report a missing corpus without skipping or
// failing the fuzz target: the inline seeds are enough to fuzz with.
type quietTB struct {
	testing.TB
	missing bool
}

func (q *quietTB) Skipf(string, ...any)  { q.missing = true }
func (q *quietTB) Fatalf(string, ...any) { q.missing = true }

func corpusDirForFuzz(f *testing.F) string {
	q := &quietTB{TB: f}
	dir := testcorpus.Dir(q)
	if q.missing {
		return ""
	}
	return dir
}
