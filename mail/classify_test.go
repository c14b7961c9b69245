package mail

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"supportd/internal/testcorpus"
)

var self = []string{"Support@Example.com"}

// TestClassifyRules checks each signal, and the order between them, on
// small messages written here.
func TestClassifyRules(t *testing.T) {
	const human = "From: Jane Doe <jane@example.org>\nTo: support@example.com\nSubject: Printer broken\n"
	cases := []struct {
		name   string
		header string // prepended to a plain human message
		body   string
		want   Class
		reason string // substring of the reason
	}{
		{"plain human", "", "My printer is broken.", ClassHuman, "no automatic-mail signals"},
		{"our own address", "From: support@example.com\n", "", ClassSelf, "our own address"},
		{"our plus address", "From: Support+123-abc@EXAMPLE.com\n", "", ClassSelf, "our own address"},

		{"Auto-Submitted auto-replied", "Auto-Submitted: auto-replied\n", "", ClassAutoReply, "RFC 3834"},
		{"Auto-Submitted auto-generated", "Auto-Submitted: Auto-Generated (vacation)\n", "", ClassAutoReply, "auto-generated"},
		{"Auto-Submitted no", "Auto-Submitted: no\n", "", ClassHuman, ""},
		{"X-Autoreply", "X-Autoreply: yes\n", "", ClassAutoReply, "X-Autoreply"},
		{"X-Autorespond", "X-Autorespond: 1\n", "", ClassAutoReply, "X-Autorespond"},
		{"Precedence auto_reply", "Precedence: auto_reply\n", "", ClassAutoReply, "auto_reply"},
		{"X-Auto-Response-Suppress alone", "X-Auto-Response-Suppress: All\n", "", ClassHuman, ""},
		{"Automatic reply subject", "Subject: Automatic reply: Printer broken\n", "Thanks.", ClassAutoReply, "auto-reply subject"},
		{"Abwesenheitsnotiz", "Subject: Abwesenheitsnotiz: Drucker\n", "", ClassAutoReply, "auto-reply subject"},
		{"Réponse automatique", "Subject: =?UTF-8?Q?R=C3=A9ponse_automatique_:_Imprimante?=\n", "", ClassAutoReply, "auto-reply subject"},
		{"Respuesta automática", "Subject: =?UTF-8?Q?Respuesta_autom=C3=A1tica:_Impresora?=\n", "", ClassAutoReply, "auto-reply subject"},
		{"Out of Office with vacation wording", "Subject: Out of Office: Printer broken\n", "I am out of the office until Monday with limited access to email.", ClassAutoReply, "vacation wording"},
		{"Out of Office without vacation wording", "Subject: Out of office setting does not work\n", "Outlook will not save my rule.", ClassHuman, ""},
		{"Auto: with wording", "Subject: Auto: Printer\n", "Ich bin bis 5. Mai im Urlaub.", ClassAutoReply, "vacation wording"},

		{"multipart/report DSN", "Content-Type: multipart/report; report-type=delivery-status; boundary=x\n", "", ClassBounce, "RFC 3464"},
		{"multipart/report MDN", "Content-Type: multipart/report; report-type=disposition-notification; boundary=x\n", "", ClassBounce, "RFC 8098"},
		{"ARF", "Content-Type: multipart/report; report-type=feedback-report; boundary=x\n", "", ClassBounce, "RFC 5965"},
		{"MAILER-DAEMON", "From: MAILER-DAEMON@mx.example.org\n", "", ClassBounce, "mail system"},
		{"postmaster", "From: Postmaster <postmaster@example.org>\n", "", ClassBounce, "mail system"},
		{"Mail Delivery Subsystem", "From: Mail Delivery Subsystem <bounces@example.org>\n", "", ClassBounce, "mail system"},
		{"X-Failed-Recipients", "X-Failed-Recipients: x@example.net\n", "", ClassBounce, "X-Failed-Recipients"},
		{"empty Return-Path", "Return-Path: <>\n", "", ClassBounce, "null reverse-path"},
		{"empty Return-Path with auto-reply marker", "Return-Path: <>\nAuto-Submitted: auto-replied\n", "", ClassAutoReply, "RFC 3834"},
		{"bounce subject from a robot", "From: noreply@example.org\nSubject: Undeliverable: Printer broken\n", "", ClassBounce, "delivery-failure subject"},
		{"person forwarding a bounce", "Subject: Fwd: Undelivered Mail Returned to Sender\n", "What does this mean?", ClassHuman, ""},

		{"X-Spam-Flag", "X-Spam-Flag: YES\n", "", ClassSpam, "X-Spam-Flag"},
		{"X-Spam-Status yes", "X-Spam-Status: Yes, score=9.1 required=5.0\n", "", ClassSpam, "X-Spam-Status"},
		{"X-Spam-Status no", "X-Spam-Status: No, score=0.1 required=5.0\n", "", ClassHuman, ""},
		{"spam beats auto-reply", "X-Spam-Flag: YES\nAuto-Submitted: auto-replied\n", "", ClassSpam, ""},
		{"bounce beats spam", "X-Spam-Flag: YES\nFrom: MAILER-DAEMON@example.org\n", "", ClassBounce, ""},
		{"self beats everything", "From: support@example.com\nAuto-Submitted: auto-replied\n", "", ClassSelf, ""},

		{"Precedence bulk", "Precedence: bulk\n", "", ClassBulk, "Precedence: bulk"},
		{"Precedence list", "Precedence: list\n", "", ClassBulk, "Precedence: list"},
		{"Precedence junk", "Precedence: junk\n", "", ClassBulk, "Precedence: junk"},
		{"List-Id", "List-Id: Users <users.lists.example.org>\n", "", ClassBulk, "RFC 2919"},
		{"List-Unsubscribe", "List-Unsubscribe: <mailto:u@example.org>\n", "", ClassBulk, "RFC 2369"},
		{"List-Post", "List-Post: <mailto:l@example.org>\n", "", ClassBulk, "RFC 2369"},
		{"ezmlm Mailing-List", "Mailing-List: contact users-help@example.org; run by ezmlm\n", "", ClassBulk, "Mailing-List"},
		{"auto-reply beats list", "List-Id: <l.example.org>\nAuto-Submitted: auto-replied\n", "", ClassAutoReply, ""},

		{"noreply", "From: Shop <noreply@shop.example>\n", "", ClassBulk, "no-reply"},
		{"no-reply with tag", "From: no-reply+orders@shop.example\n", "", ClassBulk, "no-reply"},
		{"donotreply", "From: DoNotReply@bank.example\n", "", ClassBulk, "no-reply"},
		{"do-not-reply", "From: do-not-reply@bank.example\n", "", ClassBulk, "no-reply"},
		{"notifications", "From: GitHub <notifications@github.com>\n", "", ClassBulk, "no-reply"},
		{"reply-like local part is human", "From: replyguy@example.org\n", "", ClassHuman, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Header fields given here come first; From and Subject
			// override the plain message's because the first one counts.
			raw := c.header + human + "\n" + c.body + "\n"
			m := Parse([]byte(raw))
			got, reason := Classify(m, self)
			if got != c.want || !strings.Contains(reason, c.reason) {
				t.Errorf("Classify = %s (%s), want %s (…%s…)", got, reason, c.want, c.reason)
			}
			if IsAutomated(got) != (c.want != ClassHuman) {
				t.Errorf("IsAutomated(%s) = %v", got, IsAutomated(got))
			}
			if reason == "" {
				t.Error("empty reason")
			}
		})
	}
}

func TestClassifyNoFrom(t *testing.T) {
	m := Parse([]byte("To: support@example.com\nSubject: hello\n\nwho am I?\n"))
	if c, reason := Classify(m, self); c != ClassBulk || !strings.Contains(reason, "no From") {
		t.Errorf("Classify = %s (%s), want bulk (no From)", c, reason)
	}
}

func TestIsAutomated(t *testing.T) {
	for _, c := range []Class{ClassAutoReply, ClassBounce, ClassBulk, ClassSpam, ClassSelf} {
		if !IsAutomated(c) {
			t.Errorf("IsAutomated(%s) = false", c)
		}
	}
	if IsAutomated(ClassHuman) {
		t.Error("IsAutomated(human) = true")
	}
}

func classifyFile(t *testing.T, rel string) (Class, string) {
	t.Helper()
	return Classify(Parse(readCorpus(t, rel)), self)
}

// forwardedBounces are sisimai bounces that a person forwarded
// ("Fwd: Returned mail: …" from their own mailbox). sisimai digs the
// bounce out; for a support desk the forwarder is a customer asking for
// help, so they are human on purpose.
var forwardedBounces = map[string]bool{
	"lhost-sendmail-14.eml": true,
	"make-test-36.eml":      true,
}

// TestClassifySisimai runs the sisimai set: bounces from ~70 MTAs, RFC 3834
// auto-replies, ARF reports, and the negatives of maildir/not/.
func TestClassifySisimai(t *testing.T) {
	dir := testcorpus.Path(t, "sisimai-set-of-emails", "maildir")
	var total, caught, autoReplies, rfc3834 int
	var misses []string
	for _, sub := range []string{"bsd", "dos", "mac", "err", "tmp"} {
		files, err := filepath.Glob(filepath.Join(dir, sub, "*.eml"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no files (%v)", sub, err)
		}
		for _, f := range files {
			base := filepath.Base(f)
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c, reason := Classify(Parse(raw), self)
			switch {
			case strings.HasPrefix(base, "rfc3834-"):
				// RFC 3834 responses: vacation notices (auto_reply), some
				// with a null Return-Path.
				if c != ClassAutoReply && c != ClassBounce {
					t.Errorf("%s/%s: %s (%s), want auto_reply or bounce", sub, base, c, reason)
				}
				if sub == "bsd" {
					rfc3834++
					if c == ClassAutoReply {
						autoReplies++
					}
				}
				continue
			case strings.HasPrefix(base, "arf-"):
				if c == ClassHuman {
					t.Errorf("%s/%s: human (%s), want not human", sub, base, reason)
				}
				continue
			}
			// lhost-*, rhost-*, rfc3464-*, err/make-test-*: bounces.
			total++
			if c != ClassHuman {
				caught++
				continue
			}
			misses = append(misses, sub+"/"+base)
			if !forwardedBounces[base] {
				t.Errorf("%s/%s: human (%s), want a bounce", sub, base, reason)
			}
		}
	}
	t.Logf("bounces classified not-human: %d/%d (%.1f%%); deliberate misses (forwarded by a person): %v",
		caught, total, 100*float64(caught)/float64(total), misses)
	t.Logf("rfc3834-*.eml in maildir/bsd: %d/%d auto_reply, the rest bounce", autoReplies, rfc3834)
	if rfc3834 != 6 || autoReplies != 6 {
		t.Errorf("rfc3834: %d auto_reply of %d, want 6 of 6", autoReplies, rfc3834)
	}

	// maildir/not/ (README: "is not a bounce mail"). The first two are
	// ordinary mail, one of them carrying an attached message that must
	// not be mistaken for a report. The third is sisimai's bug-report
	// sample of a bounce it failed to parse (issue 368): postmaster sender,
	// null Return-Path, Auto-Submitted — for us it must not be answered.
	for file, want := range map[string]Class{
		"is-not-bounce-01.eml": ClassHuman,
		"is-not-bounce-02.eml": ClassHuman,
		"rb-issue-368-bug.eml": ClassBounce,
	} {
		if c, reason := classifyFile(t, "sisimai-set-of-emails/maildir/not/"+file); c != want {
			t.Errorf("not/%s: %s (%s), want %s", file, c, reason, want)
		}
	}
}

// TestClassifyReports: the DSN, MDN and ARF samples of MimeKit and the
// mail gem.
func TestClassifyReports(t *testing.T) {
	files := []string{
		"jstedfast-mimekit/UnitTests/TestData/messages/bounce.txt",
		"jstedfast-mimekit/UnitTests/TestData/messages/delivery-status.txt",
		"jstedfast-mimekit/UnitTests/TestData/messages/delivery-status2.txt",
		"jstedfast-mimekit/UnitTests/TestData/messages/delivery-status-multiple-blank-lines.txt",
		"jstedfast-mimekit/UnitTests/TestData/messages/delivery-status-no-blank-line.txt",
		"jstedfast-mimekit/UnitTests/TestData/messages/disposition-notification.txt",
		"jstedfast-mimekit/UnitTests/TestData/messages/feedback-report.txt",
		// Anonymised copies: every header value is x's, so only the
		// report parts themselves can tell.
		"jstedfast-mimekit/UnitTests/TestData/messages/delivery-status.anonymized.eml",
		"jstedfast-mimekit/UnitTests/TestData/messages/disposition-notification.anonymized.eml",
	}
	reports, err := filepath.Glob(testcorpus.Path(t, "mikel-mail", "spec", "fixtures", "emails", "multipart_report_emails", "*.eml"))
	if err != nil || len(reports) == 0 {
		t.Fatalf("no multipart_report_emails: %v", err)
	}
	dir := testcorpus.Dir(t)
	for _, r := range reports {
		rel, _ := filepath.Rel(dir, r)
		files = append(files, filepath.ToSlash(rel))
	}
	for _, f := range files {
		if c, reason := classifyFile(t, f); c != ClassBounce {
			t.Errorf("%s: %s (%s), want bounce", f, c, reason)
		}
	}
}

var listHeaderRE = regexp.MustCompile(`(?im)^(list-id:|precedence:[ \t]*(bulk|list|junk))`)

// TestClassifyListMail: every jwz ham message with List-Id or a bulk
// Precedence is bulk, or a bounce when it is a delivery report that a list
// relayed (three are); none of the 2002 list traffic is flagged spam.
func TestClassifyListMail(t *testing.T) {
	dir := testcorpus.Path(t, "gatherstars-jwz", "test", "testdata", "ham")
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil || len(files) < 2000 {
		t.Fatalf("ham: %d files (%v)", len(files), err)
	}
	lists, bulk := 0, 0
	other := map[Class]int{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		head := raw
		if i := strings.Index(string(raw), "\n\n"); i >= 0 {
			head = raw[:i]
		}
		c, reason := Classify(Parse(raw), self)
		other[c]++
		if c == ClassSpam || c == ClassSelf {
			t.Errorf("%s: %s (%s)", filepath.Base(f), c, reason)
		}
		if !listHeaderRE.Match(head) {
			continue
		}
		lists++
		switch c {
		case ClassBulk:
			bulk++
		case ClassBounce:
			t.Logf("%s: %s (%s)", filepath.Base(f), c, reason)
		default:
			t.Errorf("%s: %s (%s), want bulk", filepath.Base(f), c, reason)
		}
	}
	t.Logf("%d of %d list messages bulk; all %d: %v", bulk, lists, len(files), other)
}

// TestClassifySpamFlags: the corpus README names three files with
// "X-Spam-Status: Yes". Two carry it in their header. The third
// (stalwartlabs thirdparty/015.eml) is a person's reply whose attached
// copy of another message has it: the reply itself is human.
func TestClassifySpamFlags(t *testing.T) {
	for f, want := range map[string]Class{
		"mikel-mail/spec/fixtures/emails/error_emails/empty_group_lists.eml":     ClassSpam,
		"mikel-mail/spec/fixtures/emails/plain_emails/raw_email_bad_time.eml":    ClassSpam,
		"stalwartlabs-mail-parser/resources/eml/thirdparty/015.eml":              ClassHuman,
		"mailgun-talon/tests/fixtures/standard_replies/apple_mail_2.eml":         ClassHuman,
		"mikel-mail/spec/fixtures/emails/multi_charset/japanese_attachment.eml":  ClassHuman,
		"jstedfast-mimekit/UnitTests/TestData/messages/japanese.txt":             ClassHuman,
		"github-email_reply_parser/test/emails/email_1_1.txt":                    ClassBulk, // a bare body: no From to answer
		"crisp-oss-email-reply-parser/test/fixtures/email_1.txt":                 ClassBulk,
		"sisimai-set-of-emails/maildir/not/is-not-bounce-01.eml":                 ClassHuman,
		"jstedfast-mimekit/UnitTests/TestData/messages/simple-multipart.eml":     ClassHuman,
		"mikel-mail/spec/fixtures/emails/plain_emails/raw_email_simple.eml":      ClassHuman,
		"mikel-mail/spec/fixtures/emails/multipart_report_emails/report_422.eml": ClassBounce,
	} {
		if _, err := os.Stat(testcorpus.Path(t, f)); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if c, reason := classifyFile(t, f); c != want {
			t.Errorf("%s: %s (%s), want %s", f, c, reason, want)
		}
	}
}

// TestClassifyHumanReplies: the real client replies of talon are human.
func TestClassifyHumanReplies(t *testing.T) {
	files, err := filepath.Glob(testcorpus.Path(t, "mailgun-talon", "tests", "fixtures", "standard_replies", "*.eml"))
	if err != nil || len(files) < 10 {
		t.Fatalf("standard_replies: %d (%v)", len(files), err)
	}
	sort.Strings(files)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if c, reason := Classify(Parse(raw), self); c != ClassHuman {
			t.Errorf("%s: %s (%s), want human", filepath.Base(f), c, reason)
		}
	}
}
