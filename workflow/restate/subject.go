package restate

import (
	"regexp"
	"strings"
)

var (
	// Reply and forward prefixes in the languages mail clients use (RFC
	// 5322 §3.6.5 only names "Re:"; clients invented the rest).
	reSubjPrefix = regexp.MustCompile(`(?i)^\s*((re|fw|fwd|aw|wg|tr|rv|sv|vs|antw|antwort|odp|ynt|res|enc|r|ref|rif|réf|vb|vl|doorst|forward|reply)\s*(\[\d+\]|\(\d+\))?\s*[:：]\s*|\[[^\]]{0,60}\]\s*|\(fwd\)\s*|(urgent|important|asap|help|please help|help needed|question|query|issue|problem|request|support|support request|help request|attention|action required|reminder|follow[- ]up)\s*[:!\-]+\s*|(ticket|case|request|ref|reference)\s*#?\s*\d+\s*[:\-]?\s*)`)
	reSubjTag    = regexp.MustCompile(`\s*(\[[^\]]{0,60}\]|\(#?\d+\)|#\d+\b)\s*`)
	reSubjTrail  = regexp.MustCompile(`(?i)\s*(\(fwd\)|\[(fwd|ext|external)\])\s*$`)
)

// cleanSubject removes reply and forward prefixes, ticket tags ("[#123]",
// "[Ticket #45]"), list tags and shouted urgency labels, and trailing
// punctuation.
func cleanSubject(s string) string {
	s = collapseSpaces(s)
	for range 10 {
		t := reSubjPrefix.ReplaceAllString(s, "")
		t = reSubjTrail.ReplaceAllString(t, "")
		if t == s {
			break
		}
		s = t
	}
	s = reSubjTag.ReplaceAllString(s, " ")
	s = collapseSpaces(s)
	s = strings.Trim(s, " .,;:!?-*_~")
	return s
}

// uselessSubjects say nothing about the problem.
var uselessSubjects = wordSet(`help question questions query enquiry inquiry urgent asap hi hello hey support
issue issues problem problems request please important info information contact message test testing
feedback ticket hello? help! subject none untitled fyi quick re fw fwd a an the my our some hiya thanks
thank you urgently need assistance assist sos attention misc general other enquiries inquiries website
web site contact-form form submission new from`)

// topicNouns get "your" in front when the subject is a bare noun phrase:
// "Invoice for March" → "you're writing about your invoice for March".
var topicNouns = wordSet(`invoice invoices receipt receipts account subscription order orders donation
donations refund payment payments password login membership renewal card plan billing profile email form
website site export import data report license licence booking registration certificate settings
recurring monthly annual tax statement statements campaign campaigns event events ticket tickets
newsletter list contacts donor donors page pages domain bill bills charge charges purchase purchases
trial upgrade downgrade cancellation application`)

var reSubjectLead = regexp.MustCompile(`(?i)^(?:problems?|issues?|trouble|difficult(?:y|ies)|error|errors) (?:with|on|in|when|while|regarding|about) (.+)$`)
var reSubjectHelp = regexp.MustCompile(`(?i)^(?:need )?(?:help|assistance|support) (?:with|on|regarding|for|please with|needed with|needed for|needed on) (.+)$`)
var reSubjectQuestion = regexp.MustCompile(`(?i)^(?:a )?(?:quick |small |billing |general )?(?:question|query|enquiry|inquiry|questions) (?:about|regarding|re|on|concerning|for|with) (.+)$`)

// topic restates the subject line as what the message is about. It
// reports false when the subject says nothing ("Help!!!") or is not
// English.
func (msg *message) topic(subj string, bodyForeign bool) (string, bool) {
	if subj == "" {
		return "", false
	}
	s := strings.TrimSpace(subj)
	if !isEnglish(s) {
		// Bare subjects ("Invoice", "Donation form") have no function words;
		// they count as English unless they hold foreign words, non-Latin
		// script, or the body around them was foreign.
		if bodyForeign || !plainEnglishTopic(s) {
			return "", false
		}
	}
	s, ok := tameProfanity(s)
	if !ok {
		return "", false
	}
	s, ok = cutSecrets(s)
	if !ok {
		return "", false
	}
	s = removeSensitive(s)
	s = removeAsides(s)
	s = deshout(s)
	s = normalizeWords(s)
	s = strings.Trim(collapseSpaces(s), " .,;:!?-")
	// "Question: X client behind a firewall" → "X client behind a firewall"
	s = stripLeadIns(s)
	if useless(s) {
		return "", false
	}
	lead := "you're writing about "
	if m := reSubjectLead.FindStringSubmatch(s); m != nil {
		lead, s = "you're having trouble with ", m[1]
	} else if m := reSubjectHelp.FindStringSubmatch(s); m != nil {
		lead, s = "you'd like a hand with ", m[1]
	} else if m := reSubjectQuestion.FindStringSubmatch(s); m != nil {
		lead, s = "you have a question about ", m[1]
	}
	if useless(s) {
		return "", false
	}
	s = swapPerson(s)
	ts := tokenize(s)
	if len(ts) > 0 && !keepCase(ts[0].text, msg.names) {
		ts[0].text = strings.ToLower(ts[0].text)
	}
	if len(ts) > 0 && topicNouns[strings.ToLower(ts[0].text)] && isWord(ts[0].text) {
		s = "your " + render(ts)
	} else {
		s = render(ts)
	}
	clause := finalGuard(trimDangling(limitWords(lead + s)))
	if countWords(clause) <= countWords(lead) {
		return "", false
	}
	return clause, true
}

// plainEnglishTopic accepts a short subject without function words when
// it is written in plain Latin letters and holds no foreign function word.
func plainEnglishTopic(s string) bool {
	for _, r := range s {
		if r > 0x24F {
			return false
		}
	}
	for _, w := range strings.Fields(strings.ToLower(s)) {
		if foreignWords[strings.Trim(w, ".,:;!?")] {
			return false
		}
	}
	return countWords(s) <= 8
}

func useless(s string) bool {
	for _, w := range strings.Fields(strings.ToLower(s)) {
		w = strings.Trim(w, ".,:;!?-'\"")
		if w == "" {
			continue
		}
		if !uselessSubjects[w] && !stopWords[w] {
			return false
		}
	}
	return true
}
