package restate

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// The property checks are written independently of the package's own
// sanitisers (different expressions, different word lists) so that a bug
// in one is not mirrored in the other.
var (
	propURL       = regexp.MustCompile(`(?i)\b(https?|ftp|file)://|\bmailto:|://|\bwww\.`)
	propDomain    = regexp.MustCompile(`(?i)[\p{L}\p{N}][\p{L}\p{N}-]*\.(com|org|net|edu|gov|io|co|uk|de|fr|es|nl|be|ch|at|info|biz|me|app|dev|ai|eu|us|ca|au|ly|tv|xyz|online|site|shop|store|email|ngo)\b`)
	propIPv4      = regexp.MustCompile(`\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b`)
	propLongDigit = regexp.MustCompile(`\p{Nd}{5,}`)
	propCard      = regexp.MustCompile(`\d{4}[ -]\d{4}[ -]\d{4}`)
	propPhone     = regexp.MustCompile(`\+?\(?\d{2,4}\)?[ .-]\d{3,4}[ .-]\d{3,4}`)
	propSecretKW  = regexp.MustCompile(`(?i)\b(password|passwd|pw|pwd|passcode|pin|token|api key|secret)\b\s*(is|was|:|=)?\s*(\S+)`)
	propProfane   = regexp.MustCompile(`(?i)(^|[^\p{L}])(fuck|shit|crap|damn|wtf|bullshit|stupid|idiot|asshole|bitch|bastard)|\*`)
	propAcronyms  = map[string]bool{"SMTP": true, "IMAP": true, "HTTPS": true, "HTML": true, "JSON": true, "GDPR": true, "IBAN": true,
		"SEPA": true, "ASAP": true, "JPEG": true, "XLSX": true, "DOCX": true, "SAML": true, "DKIM": true, "DMARC": true, "CNAME": true,
		"AJAX": true, "REST": true, "CORS": true, "BACS": true, "SWIFT": true, "POP3": true, "APIS": true, "URLS": true,
		"HTTP": true, "SFTP": true}
	propDangling = map[string]bool{"and": true, "or": true, "but": true, "the": true, "a": true, "an": true, "to": true, "of": true,
		"with": true, "my": true, "your": true, "our": true, "because": true}
)

// checkProperties asserts the hard constraints every restatement keeps,
// whatever the input.
func checkProperties(t testing.TB, name, out string) {
	t.Helper()
	fail := func(why string) { t.Errorf("%s: %s: %q", name, why, out) }
	if out == "" {
		fail("empty restatement")
		return
	}
	if !utf8.ValidString(out) {
		fail("invalid UTF-8")
	}
	if strings.ContainsFunc(out, func(r rune) bool { return r == '\n' || r == '\r' || unicode.IsControl(r) || r == '\uFFFC' }) {
		fail("line break or control character")
	}
	if strings.TrimSpace(out) != out || strings.Contains(out, "  ") {
		fail("stray whitespace")
	}
	words := strings.Fields(out)
	if len(words) > MaxWords {
		fail("more than 30 words")
	}
	if last, _ := utf8.DecodeLastRuneInString(out); strings.ContainsRune(".,;:!?-", last) {
		fail("trailing punctuation")
	}
	if len(words) > 0 && propDangling[strings.ToLower(words[len(words)-1])] {
		fail("dangling last word")
	}
	if propURL.MatchString(out) || propDomain.MatchString(out) || propIPv4.MatchString(out) {
		fail("URL or domain")
	}
	if strings.Contains(out, "@") {
		fail("email address")
	}
	if propLongDigit.MatchString(out) || propCard.MatchString(out) || propPhone.MatchString(out) {
		fail("long number")
	}
	if m := propSecretKW.FindStringSubmatch(out); m != nil && secretLike(m[3]) {
		fail("secret value after " + m[1])
	}
	if m := propProfane.FindString(out); m != "" {
		fail("profanity " + m)
	}
	for _, w := range words {
		w = strings.Trim(w, `"',.;:!?()`)
		letters := 0
		caps := true
		for _, r := range w {
			if unicode.IsLetter(r) {
				letters++
				caps = caps && unicode.IsUpper(r)
			}
		}
		if letters > 3 && caps && !propAcronyms[w] {
			fail("shouting " + w)
		}
	}
}

// secretLike: how a password or key looks when echoed — digits, inner
// capitals, symbols.
func secretLike(w string) bool {
	w = strings.Trim(w, `"',.;:!?()`)
	for i, r := range w {
		if unicode.IsDigit(r) || (i > 0 && unicode.IsUpper(r)) || (!unicode.IsLetter(r) && r != '-' && r != '\'') {
			return true
		}
	}
	return false
}
