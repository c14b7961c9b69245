package restate

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"supportd/internal/testcorpus"
	"supportd/mail"
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

// corpusSamples is how many outputs per directory are logged for a
// reader to judge quality (15 in all, from the directories with
// human-written replies).
var corpusSamples = map[string]int{
	"github-email_reply_parser/test/emails":      3,
	"crisp-oss-email-reply-parser/test/fixtures": 4,
	"mailgun-talon/tests/fixtures":               2,
	"gatherstars-jwz/test/testdata/ham":          6,
}

// TestCorpusProperties runs Restate over every message in the shared
// real-world corpus (every fifth with -short) and asserts the hard
// constraints on each output. Messages are read with supportd's own
// mail.Parse; Restate gets the whole text body (it must cope with quotes
// and signatures itself) and, for a third of them, the reply part as the
// engine passes it.
func TestCorpusProperties(t *testing.T) {
	root := testcorpus.Dir(t)
	samples := make([][]string, len(corpusDirs))
	counts := make([]map[Kind]int, len(corpusDirs))
	total := 0
	t.Run("dirs", func(t *testing.T) {
		for di, d := range corpusDirs {
			files := corpusFiles(t, filepath.Join(root, d))
			total += len(files)
			t.Run(strings.ReplaceAll(d, "/", "_"), func(t *testing.T) {
				t.Parallel()
				kinds := map[Kind]int{}
				stride := max(1, len(files)/(4*max(1, corpusSamples[d])))
				for i, p := range files {
					if testing.Short() && i%5 != 0 {
						continue
					}
					raw, err := os.ReadFile(p)
					if err != nil {
						t.Fatal(err)
					}
					subject, body := extract(raw)
					r := Explain(subject, body)
					rel, _ := filepath.Rel(root, p)
					checkProperties(t, rel, r.Restatement)
					// The production path: the engine restates the reply
					// part that mail.ExtractReply leaves.
					if i%3 == 0 {
						checkProperties(t, rel+" (reply part)", Restate(subject, mail.ExtractReply(body)))
					}
					if i%7 == 0 {
						if again := Restate(subject, body); again != r.Restatement {
							t.Errorf("%s: not deterministic: %q then %q", rel, r.Restatement, again)
						}
						// Pruning is an optimisation only.
						if full := explain(subject, body, false); full != r {
							t.Errorf("%s: pruned %+v, exhaustive %+v", rel, r, full)
						}
					}
					if !utf8.ValidString(r.Source) || strings.ContainsAny(r.Source, "\n\r") {
						t.Errorf("%s: Source not one valid line: %q", rel, r.Source)
					}
					kinds[r.Kind]++
					if r.Kind != KindSubject && r.Restatement != vagueFailureClause && i%stride == 0 && len(samples[di]) < corpusSamples[d] {
						samples[di] = append(samples[di], rel+"\n      subject: "+subject+"\n      source:  "+r.Source+"\n      => "+r.Restatement+" ["+string(r.Kind)+"]")
					}
				}
				counts[di] = kinds
			})
		}
	})
	if total < 100 {
		t.Fatalf("corpus: only %d files found under %s", total, root)
	}
	for di, d := range corpusDirs {
		t.Logf("corpus %s: %v", d, counts[di])
	}
	for _, ss := range samples {
		for _, s := range ss {
			t.Logf("sample %s", s)
		}
	}
}

// corpusFiles lists the message files under dir, sorted.
func corpusFiles(t *testing.T, dir string) []string {
	t.Helper()
	if _, err := os.Stat(dir); err != nil {
		t.Logf("corpus: %s missing, skipped", dir)
		return nil
	}
	var files []string
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
	sort.Strings(files)
	return files
}

// extract returns the subject and text body of raw as supportd's own
// parser reads them (charsets decoded, HTML converted), or the whole file as
// the body when it has no header block (the reply-parser fixtures are bare
// bodies).
func extract(raw []byte) (subject, body string) {
	if !looksLikeMessage(raw) {
		return "", string(raw)
	}
	m := mail.Parse(raw)
	return m.Subject, m.Text
}

// looksLikeMessage reports whether raw starts with a header block that
// names at least one of the fields every real message has.
func looksLikeMessage(raw []byte) bool {
	head := raw[:min(len(raw), 64<<10)]
	if i := bytes.Index(head, []byte("\n\n")); i >= 0 {
		head = head[:i]
	}
	if i := bytes.Index(head, []byte("\r\n\r\n")); i >= 0 {
		head = head[:i]
	}
	first, _, _ := bytes.Cut(head, []byte("\n"))
	if !reHeaderLine.Match(first) && !bytes.HasPrefix(first, []byte("From ")) {
		return false
	}
	return reKnownField.Match(head)
}

var (
	reHeaderLine = regexp.MustCompile(`^[A-Za-z0-9-]+:`)
	reKnownField = regexp.MustCompile(`(?im)^(from|subject|content-type|received|message-id|date):`)
)
