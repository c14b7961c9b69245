// Package restate is supportd's offline, deterministic restater: it turns a
// customer's first message into a short clause that the first response
// puts after "It sounds like " — "you can't log in to your account",
// "you'd like to know how to export your donors".
//
// The working practices ask us to restate the problem as we understood it:
// it surfaces misunderstandings early and tells the customer someone read
// their words. A wrong restatement does the opposite, so this package
// prefers a modest one ("you're writing about your invoice") over a clever
// guess, and never echoes anything that should not travel back in a mail:
// links, addresses, long numbers, passwords, swearing or shouting.
//
// Restate does no I/O and keeps no state; the same input always gives the
// same output.
package restate

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind says how a restatement was made.
type Kind string

// The kinds of restatement, for `supportd inspect`.
const (
	// KindQuestion restates a question: "you'd like to know how to …".
	KindQuestion Kind = "question"
	// KindFailure restates a report that something fails: "the checkout
	// page isn't working as expected", "you were charged twice".
	KindFailure Kind = "failure"
	// KindRequest restates a request: "you'd like us to cancel your
	// subscription", "you need an invoice".
	KindRequest Kind = "request"
	// KindStatement restates a plain first-person statement.
	KindStatement Kind = "statement"
	// KindSubject is the fallback built from the subject line, or the
	// generic clause when the subject says nothing either.
	KindSubject Kind = "subject"
)

// Result is a restatement and how it was made.
type Result struct {
	// Restatement reads naturally after "It sounds like ": no leading
	// capital (unless it starts with a name), no trailing punctuation, one
	// line, at most MaxWords words.
	Restatement string `json:"restatement"`
	// Kind says which rule produced it.
	Kind Kind `json:"kind"`
	// Source is the sentence (or subject) it was made from, on one line,
	// with any secret value masked. Empty for the generic clause.
	Source string `json:"source"`
}

// MaxWords bounds a restatement; longer clauses are cut at a clause
// boundary.
const MaxWords = 30

const (
	// softWords: a clause longer than this is cut at a clause boundary if
	// one exists; a restatement should be read at a glance.
	softWords = 24
	// maxBody bounds the work per message. A customer's new text is rarely
	// more than a few kilobytes; the rest is quoted history or logs.
	maxBody      = 64 << 10
	maxSubject   = 1000
	maxSentences = 200
	// maxSentenceBytes skips pasted logs and run-on paragraphs.
	maxSentenceBytes = 1200
)

// GenericClause is used when neither the body nor the subject gives
// anything we can restate with confidence.
const GenericClause = "you need a hand with something"

// vagueFailureClause restates "it doesn't work" when nothing says what
// "it" is.
const vagueFailureClause = "something isn't working as expected"

// Restate returns a short clause that reads naturally after "It sounds
// like " (no leading capital unless it starts with a name, no trailing
// period), built from the subject and the customer's own words. body is
// the customer's new text; greetings, sign-offs, signatures, disclaimers,
// mobile footers, quoted lines and attributions are dropped here too.
func Restate(subject, body string) string {
	return Explain(subject, body).Restatement
}

// candidate is one sentence's restatement with its ranking.
type candidate struct {
	kind   Kind
	clause string
	source string
	score  int
	vague  bool
	idx    int // sentence index, for document order among equals
}

// message holds what Explain learns about one message while ranking its
// sentences. It lives for one call only.
type message struct {
	names map[string]bool // words written capitalised mid-sentence: names
}

// Explain is Restate with the reasoning: which kind of sentence the
// restatement came from, and the sentence itself.
//
// The choice, in order: the body sentence with the strongest sign of a
// problem or a clear question or request (first one wins a tie); the
// subject line restated the same way; the subject line as a topic ("you're
// writing about …"); a plain first-person statement from the body; a vague
// report of failure ("something isn't working as expected"); the generic
// clause.
func Explain(subject, body string) Result {
	return explain(subject, body, true)
}

// explain is Explain; prune=false analyses every sentence, which tests use
// to show that pruning never changes the answer.
func explain(subject, body string, prune bool) Result {
	if len(subject) > maxSubject {
		subject = subject[:maxSubject]
	}
	subj := cleanSubject(normalize(subject, maxSubject))
	text := normalize(body, maxBody)
	sents := sentences(contentLines(text), maxSentences)
	msg := &message{names: midSentenceNames(sents, subj)}

	// Rank sentences by the best score they could reach (cheap to
	// compute) and analyse them fully in that order, stopping once the
	// leader cannot be beaten. The choice is the same as when analysing
	// every sentence; the common message costs two or three full analyses.
	// The language count, which decides whether a bare subject word is
	// English, is taken here over all sentences for the same reason.
	order := make([]int, len(sents))
	pot := make([]int, len(sents))
	foreign, english := 0, 0
	for i, s := range sents {
		order[i] = i
		pot[i] = potential(s)
		switch language(s) {
		case langForeign:
			foreign++
		case langEnglish:
			english++
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return pot[b] - pot[a] })

	var best, statement, vague *candidate
	bestIdx := -1
	for _, i := range order {
		if prune && best != nil && (best.score > pot[i] || best.score == pot[i] && bestIdx < i) {
			break
		}
		// Without a leader, the rest only matters for the earliest
		// statement; sentences that cannot lead come in document order.
		if prune && best == nil && pot[i] < 2 && statement != nil && i > statement.idx {
			break
		}
		s := sents[i]
		// A sentence that starts in lower case is usually the tail of a
		// wrapped one; "was, say, a story" must not become "you were".
		r, _ := utf8.DecodeRuneInString(s)
		c, _ := msg.analyze(s, i == 0 || !unicode.IsLower(r))
		if c == nil {
			continue
		}
		c.idx = i
		switch {
		case c.vague:
			if c.kind == KindFailure && (vague == nil || i < vague.idx) {
				vague = c
			}
		case c.score >= 2:
			if best == nil || c.score > best.score || c.score == best.score && i < bestIdx {
				best, bestIdx = c, i
			}
		case c.kind == KindStatement:
			if statement == nil || i < statement.idx {
				statement = c
			}
		}
	}
	if best != nil {
		return best.result()
	}
	// The subject line: restated as a sentence if it is one ("Can't log
	// in"), else as a topic. A foreign body makes a bare subject word
	// ("Rechnung") foreign too.
	bodyForeign := foreign > english
	if subj != "" {
		if c, lang := msg.analyze(subj, true); c != nil && !c.vague && lang == langEnglish &&
			(c.kind == KindQuestion || c.kind == KindRequest || (c.score >= 4 || c.kind == KindStatement && firstPersonStart(subj)) && hasVerb(c.clause)) {
			// A subject that is a sentence ("Can't log in", "We moved to a
			// new host") is restated like one.
			c.source = subj
			c.clause = articleFor(c.clause)
			return c.result()
		}
		if clause, ok := msg.topic(subj, bodyForeign); ok {
			return Result{Restatement: clause, Kind: KindSubject, Source: maskSecrets(subj)}
		}
	}
	if statement != nil {
		return statement.result()
	}
	if vague != nil {
		return Result{Restatement: vagueFailureClause, Kind: KindFailure, Source: vague.source}
	}
	return Result{Restatement: GenericClause, Kind: KindSubject}
}

// vagueTailWords end the tails reVagueTail removes; other sentences skip
// the expression.
var vagueTailWords = wordSet(`do now it this that ideas suggestions thoughts help advice advise me us normal
bug expected known why come on happened thanks you sorry please asap possible urgently`)

// lastWordLower returns the last word of s, lower-cased.
func lastWordLower(s string) string {
	s = strings.TrimRight(s, "?!. ")
	i := strings.LastIndexAny(s, " ,;:-")
	return strings.ToLower(s[i+1:])
}

// askWords start questions and requests (or the lead-ins before them);
// a sentence with none in its first words cannot score as one.
var askWords = wordSet(`can could would will please kindly i i'd i'm i've we we'd we're how what where why
when which who whom is are am do does did have has should shall may might must any anyone it feature
suggestion request idea enhancement cancel refund delete remove close unsubscribe update change reset stop
resend re-send send add reactivate restore issue fix upgrade downgrade transfer merge disable enable
reverse deactivate terminate end pause correct email provide give credit void waive extend renew move
unlock verify approve confirm investigate check tell let show advise a quick question query enquiry
inquiry just wondering was still need needed want wanted got have had received tried cannot getting
having trying waiting seeing receiving unable not locked stuck being looking hoping experiencing facing
running struggling writing contacting reaching double charged billed`)

// potential is an upper bound of the score analyze can give s: failure
// signals plus 2 if it might be a question or request.
func potential(s string) int {
	if len(s) > maxSentenceBytes {
		return -1
	}
	n := normalizeWords(s)
	p, _ := failureScore(n)
	if strings.Contains(s, "?") {
		return p + 2
	}
	// Rules match at the start of the sentence once greetings, lead-ins
	// and polite clauses are gone, so look at the first words of every
	// clause.
	words := 0
	for _, t := range tokenize(n) {
		lw := strings.ToLower(t.text)
		if t.text == "," || t.text == ";" || t.text == ":" || lw == "but" {
			words = 0
			continue
		}
		if !isWord(t.text) || words >= 8 {
			continue
		}
		if askWords[lw] {
			return p + 2
		}
		words++
	}
	return p
}

// hasVerb reports whether a clause reads as a sentence rather than a
// heading: "the payment failed" does, "WordPress plugin conflict" does
// not (it becomes a topic instead).
func hasVerb(clause string) bool {
	for _, t := range tokenize(clause) {
		w := strings.ToLower(t.text)
		switch {
		case beAux[w] || modals[w] || strings.HasSuffix(w, "n't"),
			len(w) > 3 && strings.HasSuffix(w, "ed"), len(w) > 4 && strings.HasSuffix(w, "ing"),
			strings.HasSuffix(w, "s") && (commonVerbs[strings.TrimSuffix(w, "s")] || commonVerbs[strings.TrimSuffix(w, "es")]),
			w == "you're" || w == "you've" || w == "you'd" || w == "you'll":
			return true
		}
	}
	return false
}

// articleFor gives a telegraphic subject its article back: "Payment
// failed" → "the payment failed", "Checkout isn't working as expected" →
// "the checkout isn't working as expected".
func articleFor(clause string) string {
	f := strings.Fields(clause)
	if len(f) < 2 {
		return clause
	}
	w, next := f[0], strings.ToLower(f[1])
	lw := strings.ToLower(w)
	if w != lw || stopWords[lw] || firstPerson[lw] || secondPerson[lw] || plural(lw) || !isWord(w) {
		return clause
	}
	if beAux[next] || strings.HasSuffix(next, "n't") || strings.HasSuffix(next, "ed") && len(next) > 3 || next == "keeps" || next == "shows" {
		return "the " + clause
	}
	return clause
}

func (c *candidate) result() Result {
	return Result{Restatement: c.clause, Kind: c.kind, Source: c.source}
}

type lang int

const (
	langNone lang = iota
	langEnglish
	langForeign
)

var ()

// analyze turns one sentence into a candidate restatement, or nil when
// the sentence carries nothing we can restate with confidence.
func (msg *message) analyze(raw string, allowProDrop bool) (*candidate, lang) {
	if len(raw) > maxSentenceBytes {
		return nil, langNone
	}
	s := stripGreeting(raw)
	if reFooter.MatchString(s) {
		return nil, langNone
	}
	s = reThanksBut.ReplaceAllString(s, "")
	s = stripLeadIns(s)
	s = dropPoliteClauses(s)
	s = strings.TrimSpace(s)
	if countWords(s) < 2 || isPleasantry(s) || isGreetingOnly(s) || !isProse(s) {
		return nil, langNone
	}
	if l := language(s); l != langEnglish {
		return nil, l
	}
	source := maskSecrets(collapseSpaces(raw))
	question := strings.HasSuffix(strings.TrimSpace(raw), "?")
	s, ok := tameProfanity(s)
	if !ok {
		return nil, langEnglish
	}
	s, ok = cutSecrets(s)
	if !ok {
		return nil, langEnglish
	}
	s = removeSensitive(s)
	s = removeAsides(s)
	s = deshout(s)
	s = normalizeWords(s)
	// "can you help me my receipt has the wrong name": a run-on whose
	// real sentence follows the plea for help.
	s = reHelpMeThen.ReplaceAllString(s, "$1")
	if vagueTailWords[lastWordLower(s)] {
		s = reVagueTail.ReplaceAllString(s, "")
	}
	s = strings.TrimSpace(strings.TrimRight(s, "?!.,;: "))
	s = stripLeadIns(s)
	if countWords(s) < 2 {
		return nil, langEnglish
	}

	kind, clause, ok := applyRules(s, question)
	if !ok {
		p := s
		if allowProDrop {
			p = proDrop(s)
		}
		if p != s {
			kind, clause, ok = applyRules(p, question)
		}
		if !ok {
			clause = swapPerson(p)
			kind = KindStatement
			if question {
				// A question we could not restructure: restating it as a
				// statement would turn "My receipt shows the wrong date?"
				// into a claim. Keep it only when it reads as a statement.
				if !hasStrongFailure(s) {
					return nil, langEnglish
				}
			}
		}
	}
	clause = failureForms(clause)
	clause = msg.finish(clause)
	if countWords(clause) < 2 {
		return nil, langEnglish
	}
	c := &candidate{kind: kind, clause: clause, source: source}
	switch fs, negated := failureScore(s); {
	case fs == 4 && !notReallyFailure(s):
		c.score += 4
		if kind == KindStatement {
			c.kind = KindFailure
		}
	case fs >= 2:
		c.score += 2
		if kind == KindStatement && negated && !strings.HasPrefix(strings.ToLower(s), "you ") {
			c.kind = KindFailure
		}
	}
	if kind == KindQuestion || kind == KindRequest {
		c.score += 2
	}
	if kind == KindStatement && c.score < 2 {
		// A third-person statement with no sign of a problem ("The
		// website was built in 2019") is context, not the problem; so is
		// advice with a generic "you" ("You can list the keys…"). A plain
		// statement must also say enough to be worth repeating.
		we := strings.HasPrefix(clause, "we ")
		if !firstPersonStart(s) && !we || countWords(clause) < 4 {
			return nil, langEnglish
		}
	}
	c.vague = isVague(clause)
	return c, langEnglish
}

// reFooter matches list and newsletter footers that survive in a body:
// the whole sentence is boilerplate, not only its first clause.
var reFooter = regexp.MustCompile(`(?i)^(?:to unsubscribe|unsubscribe here|you are receiving this|you're receiving this|you received this (?:message|email|e-mail) because|this (?:message|email|e-mail) was sent|click here to|view this email|to stop receiving|manage your (?:subscription|preferences)|if you no longer wish|you are subscribed|you're subscribed)`)

var reHelpMeThen = regexp.MustCompile(`(?i)^(?:(?:can|could|would|will) you )?(?:please )?help (?:me|us)(?: please| out| asap)?[,:;!]* +((?:my|our|the|i|we|i'm|we're|it|it's|this|there)\b.*)$`)

var reNotReallyFailure = regexp.MustCompile(`(?i)^(?:(i|we)('m| am| are|'re) not (very |really |too |that |a |an |the )?(technical|tech[- ]savvy|sure|an expert|expert|familiar|good|great)\b|(i|we) (don't|didn't) (want|mean|wish|think)\b)`)

func notReallyFailure(s string) bool { return reNotReallyFailure.MatchString(s) }

func firstPersonStart(s string) bool {
	f := strings.Fields(strings.ToLower(s))
	return len(f) > 0 && (firstPerson[f[0]] || f[0] == "i'm")
}

var reGreetingOnly = regexp.MustCompile(`(?i)^(hi|hello|hey|dear|good (morning|afternoon|evening)|greetings|hallo|bonjour|hola|ciao|guten tag|moin|hej|to whom it may concern|how are you|how's it going|how are things|hope you're well|hope you are well)\b`)

func isGreetingOnly(s string) bool {
	if !reGreetingOnly.MatchString(s) {
		return false
	}
	return countWords(s) <= 6
}

func applyRules(s string, question bool) (Kind, string, bool) {
	for _, ru := range rules {
		if ru.needQ && !question {
			continue
		}
		m := ru.re.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		if clause, ok := ru.build(m); ok {
			// Some rules hand over to another shape: "Could you tell me
			// how…" is a question, "I'd like to know if you could…" a
			// request.
			switch {
			case strings.HasPrefix(clause, "you'd like to know "):
				return KindQuestion, clause, true
			case strings.HasPrefix(clause, "you'd like us to "):
				return KindRequest, clause, true
			}
			return ru.kind, clause, true
		}
	}
	return "", "", false
}

// isProse rejects log lines, code and tables: a sentence we restate is
// mostly letters and starts with a word or a quote.
func isProse(s string) bool {
	letters, other := 0, 0
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsMark(r):
			letters++
		case strings.ContainsRune("{}[]<>=|\\`~^;:_/%&*", r):
			other++
		}
	}
	if letters == 0 || other*8 > letters {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '"' || r == '\'' || r == '$' || r == '£' || r == '€'
}

// dropPoliteClauses removes leading clauses that are politeness or
// contact details: "Please call me back about my donation, the receipt
// shows the wrong amount" → "the receipt shows the wrong amount".
func dropPoliteClauses(s string) string {
	for range 3 {
		i, n := strings.IndexAny(s, ",;"), 1
		if b := strings.Index(strings.ToLower(s), " but "); b >= 0 && (i < 0 || b < i) {
			i, n = b, len(" but ")
		}
		if i < 0 {
			return s
		}
		head, tail := s[:i], strings.TrimSpace(s[i+n:])
		if countWords(tail) < 3 || !rePleasantry.MatchString(strings.TrimSpace(head)) || hasStrongFailure(head) {
			return s
		}
		s = stripLeadIns(tail)
	}
	return s
}

// isVague reports a clause that says there is a problem but not which:
// all its words are function words or generic ones ("it isn't working as
// expected", "you'd like us to look into this").
func isVague(clause string) bool {
	content := 0
	for _, t := range tokenize(clause) {
		if !isWord(t.text) {
			continue
		}
		lw := strings.ToLower(t.text)
		if stopWords[lw] || genericWords[lw] || secondPerson[lw] || firstPerson[lw] {
			continue
		}
		content++
	}
	return content == 0
}

// finish shapes a clause for "It sounds like …": no framing punctuation,
// a determiner instead of a pointing "this", the right case for the first
// word, at most MaxWords words, nothing dangling at the end.
func (msg *message) finish(s string) string {
	s = collapseSpaces(normalizeWords(s))
	s = strings.Trim(s, " ,;:-.!?")
	ts := tokenize(s)

	// "This stupid plugin isn't working" → "the plugin isn't working":
	// the customer's "this" points at something we cannot see.
	if len(ts) > 1 {
		switch strings.ToLower(ts[0].text) {
		case "this", "that", "these", "those":
			if n := strings.ToLower(ts[1].text); isWord(ts[1].text) && !beAux[n] && !stopWords[n] && !commonVerbs[n] && !strings.HasSuffix(n, "n't") && !strings.HasSuffix(n, "s") || plural(n) && !beAux[n] {
				ts[0].text = "the"
			}
		}
	}
	if len(ts) > 0 && !keepCase(ts[0].text, msg.names) {
		ts[0].text = strings.ToLower(ts[0].text)
	}
	s = render(ts)
	if cut := limitWords(s); cut != s {
		s = trimDangling(cut)
	}
	return finalGuard(s)
}

// keepCase reports whether a clause-initial word keeps its capital: "I",
// acronyms, names with inner capitals ("WordPress", "iPhone"), known
// product names, and words the customer capitalised mid-sentence.
func keepCase(w string, names map[string]bool) bool {
	if w == "I" || strings.HasPrefix(w, "I'") {
		return true
	}
	if !strings.ContainsFunc(w, unicode.IsUpper) {
		return true
	}
	if isAllCaps(w) {
		return utf8.RuneCountInString(w) <= 5 && !stopWords[strings.ToLower(w)]
	}
	rs := []rune(w)
	for _, r := range rs[1:] {
		if unicode.IsUpper(r) {
			return true
		}
	}
	lw := strings.ToLower(w)
	if stopWords[lw] || englishWords[lw] {
		return false
	}
	return properNouns[lw] || names[lw]
}

// midSentenceNames collects words written with a capital in the middle of
// a sentence: those are names ("Stripe", "Zoë"), which keep their capital
// when they start a restatement.
func midSentenceNames(sents []string, subject string) map[string]bool {
	names := make(map[string]bool)
	add := func(s string) {
		ts := tokenize(s)
		for i := 1; i < len(ts); i++ {
			t := ts[i].text
			if !isWord(t) || !isCapitalised(t) || isAllCaps(t) {
				continue
			}
			if p := ts[i-1].text; p == "." || p == "!" || p == "?" || p == ":" || p == "\"" || p == "-" {
				continue
			}
			lw := strings.ToLower(t)
			if !stopWords[lw] && !englishWords[lw] {
				names[lw] = true
			}
		}
	}
	for _, s := range sents {
		add(s)
	}
	add(subject)
	return names
}

// limitWords cuts a clause longer than softWords at a clause boundary, and
// any clause at MaxWords words, never in the middle of a word.
func limitWords(s string) string {
	ts := tokenize(s)
	words := 0
	var wordEnd []int // wordEnd[n] = token index just after the n+1th word
	for i, t := range ts {
		if isWord(t.text) {
			words++
			wordEnd = append(wordEnd, i+1)
		}
	}
	if words <= softWords {
		return s
	}
	// Candidate cut points: before a comma, semicolon, dash or a
	// conjunction that starts a new clause.
	best := -1
	limit := softWords
	if words <= MaxWords {
		limit = softWords
	}
	count := 0
	for i, t := range ts {
		if isWord(t.text) {
			count++
		}
		lw := strings.ToLower(t.text)
		boundary := t.text == "," || t.text == ";" || t.text == ":" || t.text == "-" || (isWord(t.text) && clauseWords[lw] && i > 0)
		if !boundary {
			continue
		}
		before := count
		if isWord(t.text) {
			before--
		}
		if before >= 5 && before <= limit {
			best = i
		}
	}
	if best < 0 && words > MaxWords {
		// No boundary early enough: look up to MaxWords.
		count = 0
		for i, t := range ts {
			if isWord(t.text) {
				count++
			}
			lw := strings.ToLower(t.text)
			boundary := t.text == "," || t.text == ";" || t.text == "-" || (isWord(t.text) && clauseWords[lw])
			if boundary && count-1 >= 5 && count-1 <= MaxWords {
				best = i
			}
		}
	}
	if best >= 0 {
		return render(ts[:best])
	}
	if words <= MaxWords {
		return s
	}
	return render(ts[:wordEnd[MaxWords-1]])
}

var (
	reGuardURL = regexp.MustCompile(`(?i)https?:|www\.|://`)
)

// finalGuard re-checks the hard constraints on the finished clause,
// whatever path built it: one line, valid UTF-8, no address, link or long
// number, no trailing punctuation.
func finalGuard(s string) string {
	s = strings.ToValidUTF8(s, "")
	// Each step can bring two pieces together (removing a quote between
	// "92." and "00.00.00" makes an address), so repeat until nothing
	// changes; three rounds are plenty.
	for range 3 {
		before := s
		s = guardOnce(s)
		if s == "" || s == before {
			break
		}
	}
	// The word limit counts what a reader counts: every space-separated
	// run, "--" included.
	for f := strings.Fields(s); len(f) > MaxWords; f = strings.Fields(s) {
		s = trimEnd(strings.Join(f[:MaxWords], " "))
	}
	return trimEnd(s)
}

func guardOnce(s string) string {
	s = deshoutFields(deshout(softenMarks(balanceQuotes(s))))
	if strings.ContainsAny(s, "@\uFFFC") || strings.Contains(s, "://") || containsFold(s, "www.") || innerDot(s) && reDomain.MatchString(s) {
		s = removeSensitive(s)
		s = strings.ReplaceAll(s, "@", " ")
		s = strings.ReplaceAll(s, "\uFFFC", " ")
		s = reGuardURL.ReplaceAllString(s, " ")
	}
	if run, total := digitRuns(s); run >= 5 || total >= 7 {
		s = removeSensitive(s)
	}
	// Defence in depth: whatever slipped past the secret rules, a word
	// that looks like a key or token is not echoed.
	ts := tokenize(s)
	out := make([]token, 0, len(ts))
	for i, t := range ts {
		if keyShaped(t.text) || (i > 0 && isSecretWord(ts, i-1) && valueShaped(t.text)) || gluedSecret(t.text) {
			if i+1 < len(ts) && t.space {
				ts[i+1].space = true
			}
			continue
		}
		out = append(out, t)
	}
	s = collapseSpaces(render(out))
	// Removing a token can bring a secret word next to a value
	// ("token <path>:313" → "token:313"); check again.
	cut, ok := cutSecrets(s)
	if !ok {
		return ""
	}
	return cut
}

// deshoutFields lowers a space-separated run that still shouts as a whole
// after token-level lowering ("AA#AA", "AAA\"B"): what a reader sees is
// the run, not our tokens.
func deshoutFields(s string) string {
	f := strings.Fields(s)
	changed := false
	for i, w := range f {
		core := strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		letters := 0
		for _, r := range core {
			if unicode.IsLetter(r) {
				letters++
			}
		}
		if letters > 3 && isAllCaps(core) && !acronyms[core] {
			f[i] = strings.ToLower(w)
			changed = true
		}
	}
	if !changed {
		return s
	}
	return strings.Join(f, " ")
}

// softenMarks turns a "!" or "?" inside the clause (an unsplit "Help!Nothing
// works") into a comma: after "It sounds like" it would read as shouting.
func softenMarks(s string) string {
	if !strings.ContainsAny(s, "!?") {
		return s
	}
	ts := tokenize(s)
	for i := range ts {
		if (ts[i].text == "!" || ts[i].text == "?") && i+1 < len(ts) && ts[i+1].text != "\"" && ts[i+1].text != "'" {
			ts[i].text = ","
			if isWord(ts[i+1].text) {
				ts[i+1].space = true
			}
		}
	}
	return render(ts)
}

// balanceQuotes removes quotation marks that lost their partner when the
// sentence was cut: "'that's a software problem" → "that's a software
// problem".
func balanceQuotes(s string) string {
	ts := tokenize(s)
	for _, q := range []string{"\"", "'"} {
		n := 0
		for _, t := range ts {
			if t.text == q {
				n++
			}
		}
		if n%2 == 0 {
			continue
		}
		out := ts[:0]
		for i, t := range ts {
			if t.text == q {
				// The next word takes the quote's place, space and all, so
				// that "0000 '00AA" does not become "000000AA".
				if i+1 < len(ts) && (t.space || isWord(ts[i+1].text) && len(out) > 0 && isWord(out[len(out)-1].text)) {
					ts[i+1].space = true
				}
				continue
			}
			out = append(out, t)
		}
		ts = out
	}
	return render(ts)
}

// keyShaped: a long word mixing letters and digits, or an identifier with
// underscores and digits — API keys, tokens, session ids.
func keyShaped(w string) bool {
	letters, digits := 0, 0
	for _, r := range w {
		switch {
		case unicode.IsDigit(r):
			digits++
		case unicode.IsLetter(r):
			letters++
		}
	}
	if digits == 0 || letters == 0 {
		return false
	}
	return utf8.RuneCountInString(w) >= 12 || strings.Contains(w, "_") || digits >= 3 && letters >= 3 && utf8.RuneCountInString(w) >= 8
}

// gluedSecret: a secret word with its value glued on ("password123",
// "PIN4821").
func gluedSecret(w string) bool {
	lw := strings.ToLower(w)
	for sw := range secretWords {
		if len(lw) > len(sw) && strings.HasPrefix(lw, sw) && !unicode.IsLetter(rune(lw[len(sw)])) {
			return true
		}
	}
	return false
}

// maskSecrets hides a secret value in the Source shown by `supportd
// inspect`.
func maskSecrets(s string) string {
	ts := tokenize(s)
	for i := range ts {
		if !isSecretWord(ts, i) {
			continue
		}
		for j := i + 1; j < len(ts) && j <= i+4; j++ {
			lw := strings.ToLower(ts[j].text)
			if lw == ":" || lw == "=" || lw == "is" || lw == "was" || lw == "-" {
				continue
			}
			if looksLikeValue(ts[j].text, true) {
				ts[j].text = "[redacted]"
			}
			break
		}
	}
	return render(ts)
}
