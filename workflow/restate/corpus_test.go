package restate

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"supportd/internal/testcorpus"
)

// corpusDirs are the parts of the shared corpus with human-written text:
// replies with quotes and signatures, list mail, HTML replies, odd MIME.
// Bounces and malformed MIME are included too: Restate must survive
// whatever the parser hands it.
var corpusDirs = []string{
	"github-email_reply_parser/test/emails",
	"crisp-oss-email-reply-parser/test/fixtures",
	"mailgun-talon/tests/fixtures",
	"gatherstars-jwz/test/testdata/ham",
	"mikel-mail/spec/fixtures/emails",
	"stalwartlabs-mail-parser/resources/eml",
	"jstedfast-mimekit/UnitTests/TestData/messages",
	"sisimai-set-of-emails/maildir/bsd",
}

// TestCorpusProperties runs Restate over every message in the shared
// real-world corpus and asserts the hard constraints on each output. The
// body extraction here is deliberately minimal (net/mail and the first
// text part); the point is to feed Restate real text, not to test MIME.
func TestCorpusProperties(t *testing.T) {
	root := testcorpus.Dir(t)
	var files []string
	for _, d := range corpusDirs {
		dir := filepath.Join(root, d)
		if _, err := os.Stat(dir); err != nil {
			t.Logf("corpus: %s missing, skipped", d)
			continue
		}
		err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			switch strings.ToLower(filepath.Ext(p)) {
			case ".json", ".md", ".list", ".py", ".rb", ".js", ".go", ".dat", ".png", ".jpg", ".gif", ".pdf", ".zip", ".gz":
				return nil
			}
			if base := filepath.Base(p); base == "LICENSE" || strings.HasSuffix(base, "_signature") {
				return nil
			}
			files = append(files, p)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(files)
	if len(files) < 100 {
		t.Fatalf("corpus: only %d files found under %s", len(files), root)
	}
	kinds := map[Kind]int{}
	var samples []string
	for i, p := range files {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		subject, body := extract(raw)
		r := Explain(subject, body)
		rel, _ := filepath.Rel(root, p)
		checkProperties(t, rel, r.Restatement)
		if again := Restate(subject, body); again != r.Restatement {
			t.Errorf("%s: not deterministic: %q then %q", rel, r.Restatement, again)
		}
		if !utf8.ValidString(r.Source) || strings.ContainsAny(r.Source, "\n\r") {
			t.Errorf("%s: Source not one valid line: %q", rel, r.Source)
		}
		kinds[r.Kind]++
		// A spread of samples from across the corpus, for a reader to
		// judge quality.
		if r.Kind != KindSubject && i%37 == 0 && len(samples) < 15 {
			samples = append(samples, rel+"\n      subject: "+subject+"\n      source:  "+r.Source+"\n      => "+r.Restatement+" ["+string(r.Kind)+"]")
		}
	}
	t.Logf("corpus: %d messages, kinds %v", len(files), kinds)
	for _, s := range samples {
		t.Logf("sample %s", s)
	}
}

// extract returns the decoded subject and first text part of raw, or the
// whole file as the body when it has no header (the reply-parser fixtures
// are bare bodies).
func extract(raw []byte) (subject, body string) {
	m, err := mail.ReadMessage(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil || len(m.Header) == 0 || (m.Header.Get("From") == "" && m.Header.Get("Subject") == "" && m.Header.Get("Content-Type") == "") {
		return "", string(raw)
	}
	dec := new(mime.WordDecoder)
	subject = m.Header.Get("Subject")
	if s, err := dec.DecodeHeader(subject); err == nil {
		subject = s
	}
	text, _ := textPart(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Body, 0)
	return subject, text
}

func textPart(ctype, cte string, r io.Reader, depth int) (string, bool) {
	if depth > 10 {
		return "", false
	}
	media, params, err := mime.ParseMediaType(ctype)
	if err != nil || ctype == "" {
		media = "text/plain"
	}
	if strings.HasPrefix(media, "multipart/") {
		mr := multipart.NewReader(r, params["boundary"])
		var html string
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			txt, ok := textPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, depth+1)
			if ok {
				return txt, true
			}
			if html == "" {
				html = txt
			}
		}
		return html, false
	}
	if !strings.HasPrefix(media, "text/") {
		return "", false
	}
	b, _ := io.ReadAll(io.LimitReader(decodeCTE(cte, r), 1<<20))
	s := toUTF8(b, params["charset"])
	return s, media == "text/plain"
}

func decodeCTE(cte string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, newlineStripper{r})
	}
	return r
}

// newlineStripper drops line breaks so base64.NewDecoder sees one run.
type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	j := 0
	for _, c := range p[:k] {
		if c != '\r' && c != '\n' {
			p[j] = c
			j++
		}
	}
	return j, err
}

// toUTF8 converts Latin-1 and Windows-1252 text byte by byte (close
// enough for a test); anything else is passed through as is, invalid
// UTF-8 and all — Restate must cope with that.
func toUTF8(b []byte, charset string) string {
	switch strings.ToLower(charset) {
	case "iso-8859-1", "latin1", "windows-1252", "cp1252", "iso-8859-15":
		rs := make([]rune, len(b))
		for i, c := range b {
			rs[i] = rune(c)
		}
		return string(rs)
	}
	return string(b)
}
