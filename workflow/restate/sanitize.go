package restate

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	reGreetWord = regexp.MustCompile(`(?i)^(hi|hello|hey|heya|hiya|dear|good (morning|afternoon|evening|day)|greetings|hallo|bonjour|bonsoir|salut|hola|buenos días|buenas tardes|ciao|buongiorno|guten (morgen|tag|abend)|moin|servus|hej|hei|goedemorgen|beste|geachte|sehr geehrte[rs]?|liebe[rs]?|olá|oi|yo|howdy|to whom it may concern)\b`)
	// greetingNames may follow the greeting word before the comma.
	greetingNames = wordSet(`team there all everyone everybody folks guys people support sir madam sirs or and
	/ friends gang crew y'all again damen herren`)
	// sentenceStarts are words that begin the real sentence when a greeting
	// has no comma: "Hi I can't log in".
	sentenceStarts = wordSet(`i i'm i've i'd we we're we've our my can could would will is are do does
	how what why where when please just i'am im ive since after our the this it it's there`)
)

// stripGreeting removes a greeting at the start of s: "Hi team,", "Dear
// Sir/Madam,", "Hello Zoë -", "Hi I can't…" → "I can't…".
func stripGreeting(s string) string {
	loc := reGreetWord.FindStringIndex(s)
	if loc == nil {
		return s
	}
	rest := s[loc[1]:]
	ts := tokenize(rest)
	// Skip up to four name words (capitalised, or "team", "there"…),
	// then expect punctuation or the end.
	i := 0
	for n := 0; i < len(ts) && n < 4; i++ {
		t := ts[i].text
		lw := strings.ToLower(t)
		if isWord(t) && (greetingNames[lw] || (isCapitalised(t) && !sentenceStarts[lw] && !englishWords[lw])) {
			n++
			continue
		}
		if t == "/" || t == "&" || t == "." {
			continue
		}
		break
	}
	if i == len(ts) {
		return ""
	}
	if p := ts[i].text; p == "," || p == "!" || p == ":" || p == ";" || p == "-" || p == "." || p == "?" {
		j := i
		for j < len(ts) && isPunct(ts[j].text) {
			j++
		}
		return strings.TrimSpace(render(ts[j:]))
	}
	// No punctuation: only strip the bare greeting word when what follows
	// clearly starts a sentence.
	if len(ts) > 0 && sentenceStarts[strings.ToLower(ts[0].text)] {
		return strings.TrimSpace(render(ts))
	}
	return s
}

var (
	reLeadIn = regexp.MustCompile(`(?i)^(` + alternation(leadIns) + `)\s*([,:!\-]+\s*|\.\s+|\s+)`)
	reLabel  = regexp.MustCompile(`(?i)^(` + alternation(labels) + `)\s*([,:!\-]+\s*|\.\s+)`)
)

func alternation(list []string) string {
	alts := make([]string, len(list))
	for i, l := range list {
		alts[i] = regexp.QuoteMeta(l)
	}
	return strings.Join(alts, "|")
}

var (
	reFramingLeadIn = regexp.MustCompile(`(?i)^(indeed|first off|first of all|to start with|in fact|of course|let me (explain|tell you|be clear|say|add|clarify|describe|summari[sz]e)( this| that| what happened)?|(i|we)('m| am| are|'re)? (just )?(writing|emailing|contacting you|reaching out|getting in touch|contacting|messaging|e-?mailing)( you| to you| to ask| to let you know| to inform you| to report| to tell you)?( (because|as|since|that|regarding|about|in regards to|with regards? to|concerning))?|the reason (i'm|i am|we're|we are) (writing|contacting you|reaching out) is( that| because)?|(i|we) (just )?(wanted|want|would like|'d like) to (let you know|inform you|report|tell you|mention|flag|point out|say)( that)?|(just )?(wanted|want) to (let you know|report|tell you|mention|flag|say)( that)?|(i|we)('m| am| are|'re) (sorry|afraid) (to say |to report )?(that )?|(please )?(note|be aware|be advised)( that)?|it seems (that|like|as if)|it looks (like|as if)|it appears (that)?|i (think|believe|guess|suspect|noticed|notice|found|realised|realized|see|saw)( that)?|we (think|believe|noticed|notice|found|realised|realized|see|saw)( that)?|for some reason|all of a sudden|suddenly|recently|lately|as of (today|yesterday|this morning)|since (this morning|yesterday|today))\b[,:]?\s*`)
	// Trailing tails that turn a statement into a vague question.
	reVagueTail = regexp.MustCompile(`(?i)[,;:\- ]+(what (should|can|do) (i|we) do( now| about (it|this))?|any (ideas|suggestions|thoughts|help|advice)|can you (please )?help( me| us)?( with (this|that))?|could you (please )?help( me| us)?( with (this|that))?|please (help|advise)( me| us)?|is this (a bug|normal|expected|known)|why|how come|what's going on|what is going on|what happened|help|thanks|thank you|sorry|please|asap|as soon as possible|urgently)[?!. ]*$`)
)

// leadInFirstWords are the first words of every lead-in, label and
// framing clause: a sentence starting with anything else is left alone
// without running the expressions.
var leadInFirstWords = func() map[string]bool {
	m := wordSet(`indeed first to in of let i we the just wanted want please note be it for all suddenly
	recently lately as since i'm i've we're we've`)
	for _, l := range append(append([]string{}, leadIns...), labels...) {
		m[firstWordLower(l)] = true
	}
	return m
}()

// firstWordLower returns the first run of letters, digits, apostrophes
// and dots of s, lower-cased.
func firstWordLower(s string) string {
	end := strings.IndexFunc(s, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '.')
	})
	if end < 0 {
		end = len(s)
	}
	return strings.TrimRight(strings.ToLower(s[:end]), ".")
}

// stripLeadIns removes discourse markers and framing clauses, repeatedly:
// "So, basically I'm writing because my card was declined" → "my card was
// declined".
func stripLeadIns(s string) string {
	for range 6 {
		t := strings.TrimSpace(s)
		if !leadInFirstWords[firstWordLower(t)] {
			break
		}
		t = reLeadIn.ReplaceAllString(t, "")
		t = reLabel.ReplaceAllString(t, "")
		t = reFramingLeadIn.ReplaceAllString(t, "")
		t = strings.TrimLeft(t, ",;:-.! ")
		if t == s {
			break
		}
		s = t
	}
	return s
}

var rePleasantry = regexp.MustCompile(`(?i)^(` + alternation(pleasantryPrefixes) + `)`)

// disclaimerText marks boilerplate anywhere in a sentence.
var disclaimerText = []string{"confidential", "intended recipient", "intended solely", "intended only for",
	"received this email in error", "received this e-mail in error", "received this message in error",
	"received this communication in error", "unauthorized use", "unauthorised use", "unauthorized disclosure",
	"unauthorised disclosure", "legally privileged", "scanned for viruses", "virus free", "virus-free"}

// isPleasantry reports a sentence that is politeness or boilerplate and
// says nothing about the problem.
func isPleasantry(s string) bool {
	if rePleasantry.MatchString(s) {
		// "Thanks, but it still doesn't work" carries content after the
		// thanks; the caller strips that lead-in separately.
		return !hasStrongFailure(s) || strings.Count(s, " ") < 3
	}
	ls := strings.ToLower(s)
	for _, d := range disclaimerText {
		if strings.Contains(ls, d) {
			return true
		}
	}
	return false
}

var reThanksBut = regexp.MustCompile(`(?i)^(thanks|thank you)( so much| very much)?( for [^,;]{1,80}?)?[,;]?\s+(but|however)\s+`)

// language says whether s reads as English, as another language, or
// gives no evidence either way ("CEO, Acme Inc."). Short sentences with
// no function words count as English only when they hold English problem
// words ("Checkout broken").
func language(s string) lang {
	eng, foreign, latin, other := 0, 0, 0, 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			if unicode.Is(unicode.Latin, r) {
				latin++
			} else {
				other++
			}
		}
	}
	if other > latin/4 {
		return langForeign
	}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsMark(r) && r != '\''
	}) {
		w = strings.Trim(w, "'")
		if englishWords[w] {
			eng++
		}
		if foreignWords[w] {
			foreign++
		}
	}
	switch {
	case eng > foreign && (eng >= 2 || countWords(s) <= 12):
		return langEnglish
	case foreign > eng || foreign > 0 && foreign >= eng:
		return langForeign
	case foreign == 0 && eng == 0 && reEnglishProblem.MatchString(s) && countWords(s) <= 8:
		return langEnglish
	}
	return langNone
}

// isEnglish reports whether s reads as English.
func isEnglish(s string) bool { return language(s) == langEnglish }

var reEnglishProblem = regexp.MustCompile(`(?i)\b(error|broken|not working|crash\w*|fail\w*|refund|login|log in|password|invoice|receipt|account|donation\w*|payment\w*|subscription|cancel\w*|charged|help|stuck|missing|locked|down|invoice|billing|export|import|upgrade|renewal|plugin|form|website|site|email|question)\b`)

// tameProfanity drops swear words used as intensifiers ("this stupid
// plugin is f***ing broken") and rejects sentences where a swear word
// carries the meaning ("this is a joke", "your support sucks").
func tameProfanity(s string) (string, bool) {
	if !strings.ContainsAny(s, "*#@$%&") {
		return tameWords(s)
	}
	s = reMasked.ReplaceAllStringFunc(s, func(m string) string {
		lm := strings.ToLower(m)
		switch {
		case strings.HasSuffix(lm, "ing") || strings.HasSuffix(lm, "in"):
			return "fucking"
		case strings.HasPrefix(lm, "s") && strings.HasSuffix(lm, "t"), strings.HasPrefix(lm, "c") && strings.HasSuffix(lm, "p"),
			strings.HasPrefix(lm, "a") && strings.HasSuffix(lm, "e"), strings.HasPrefix(lm, "b") && strings.HasSuffix(lm, "h"):
			return "shit"
		}
		return "damn"
	})
	return tameWords(s)
}

func tameWords(s string) (string, bool) {
	ts := tokenize(s)
	out := ts[:0:0]
	for i, t := range ts {
		lw := strings.ToLower(t.text)
		// Judge the word without digits glued to it ("2damn", "f4ck" stays
		// caught by the masked rule).
		lw = strings.TrimFunc(lw, unicode.IsDigit)
		parts := strings.FieldsFunc(lw, func(r rune) bool {
			return r == '-' || r == '.' || r == '/' || r == '_' || r == '\'' || r == '&' || unicode.IsDigit(r)
		})
		switch {
		case len(parts) == 1:
			lw = parts[0]
		case len(parts) > 1:
			// A compound cannot lose one part cleanly: "japa-crappers".
			for _, p := range parts {
				if profaneNouns[p] || profanity[p] || hasAnyPrefix(p, profaneNounStems) || hasAnyPrefix(p, profaneStems) {
					return "", false
				}
			}
		}
		masked := strings.Contains(t.text, "*") || strings.Contains(t.text, "#$") || strings.Contains(t.text, "@#") || strings.Contains(t.text, "$%")
		if masked && !isWord(t.text) {
			// Grawlix or masked word: "f***ing", "s**t", "#$%&".
			masked = strings.ContainsFunc(t.text, unicode.IsLetter) || strings.Count(t.text, "*")+strings.Count(t.text, "#") >= 3
		}
		switch {
		case profaneNouns[lw] || hasAnyPrefix(lw, profaneNounStems):
			return "", false
		case profanity[lw] || hasAnyPrefix(lw, profaneStems) || masked:
			// A predicate adjective ("your support is useless") cannot be
			// dropped without leaving "is" dangling.
			if i > 0 && beVerbs[strings.ToLower(ts[i-1].text)] && i+1 < len(ts) && !isWord(ts[i+1].text) {
				return "", false
			}
			if i+1 == len(ts) || (i+1 < len(ts) && !isWord(ts[i+1].text)) {
				if i > 0 && (beVerbs[strings.ToLower(ts[i-1].text)] || ts[i-1].text == "so" || ts[i-1].text == "too") {
					return "", false
				}
			}
			// Keep the spacing of the dropped word's successor sensible.
			continue
		}
		out = append(out, t)
	}
	// Masked runs leave stray asterisks; collapse them.
	return render(out), true
}

// reMasked finds masked swearing: "f***ing", "s**t", "f#@%", "#$%&!".
var reMasked = regexp.MustCompile(`[\p{L}]*[*#@$%&]{2,}[\p{L}]*|[\p{L}]+\*+[\p{L}]*`)

// Stems catch inflections and compounds ("crappers", "damn.Quizzes",
// "fuckwit"); they are matched at the start of a word only, so "scraped"
// and "Scunthorpe" are safe.
var (
	profaneNounStems = []string{"shit", "crap", "bullshit", "bitch", "bastard", "asshole", "arsehole", "cunt", "wank", "motherf", "idiot", "moron"}
	profaneStems     = []string{"fuck", "damn", "dammit", "goddam", "frick", "frig", "stupid", "wtf", "retard"}
)

func hasAnyPrefix(w string, stems []string) bool {
	for _, st := range stems {
		if strings.HasPrefix(w, st) {
			return true
		}
	}
	return false
}

var beVerbs = wordSet(`is are was were be been being am 's 're isn't aren't wasn't weren't so too very really`)

// secretValue reports whether the token at ts[i] looks like the value of a
// secret rather than an ordinary word.
func looksLikeValue(t string, explicit bool) bool {
	lw := strings.ToLower(t)
	if t == "" || isPunct(t) && t != "\"" && t != "'" {
		return false
	}
	if notAValue[lw] {
		return false
	}
	if explicit {
		return true
	}
	hasDigit, hasUpperInside, hasSymbol := false, false, false
	for i, r := range t {
		switch {
		case unicode.IsDigit(r):
			hasDigit = true
		case unicode.IsUpper(r) && i > 0:
			hasUpperInside = true
		case !unicode.IsLetter(r) && r != '\'' && r != '-':
			hasSymbol = true
		}
	}
	if hasDigit || hasUpperInside || hasSymbol || t == "\"" || t == "'" {
		return true
	}
	// An unknown word straight after "password" could be the password
	// itself ("my password hunter"): treat anything not in the allow list
	// as a value. Over-dropping costs a sentence; echoing costs trust.
	return !stopWords[lw] && !englishWords[lw]
}

// cutSecrets finds a secret word followed by a value and cuts the
// sentence before the clause that holds it. It reports false when nothing
// usable is left.
func cutSecrets(s string) (string, bool) {
	ts := tokenize(s)
	for i := range ts {
		if !isSecretWord(ts, i) {
			continue
		}
		j, explicit := valueIndex(ts, i)
		if j >= len(ts) {
			continue
		}
		// For "password" and "PIN" an unknown word right after it is
		// taken as the value ("my password Sunshine"); for "code", "key"
		// and "token" only an explicit marker or a value-shaped word. The
		// value is the whole glued run: "PIN A!#" is one value.
		v := gluedRun(ts, j)
		core := strings.Trim(v, "\"'")
		// A value in quotes is a value whatever it says; a closing quote
		// glued to an ordinary word ("password is incorrect\"") is not.
		quoted := core != "" && (strings.HasPrefix(v, "\"") || strings.HasPrefix(v, "'"))
		strict := secretWords[strings.ToLower(ts[i].text)] && j == i+1
		if !quoted && !looksLikeValue(core, explicit || strict) && !looksLikeValue(core, false) {
			continue
		}
		if !quoted && !explicit && !strict && !valueShaped(core) {
			continue
		}
		// Drop the clause that holds the secret: from the boundary before
		// the secret word to the boundary after its value.
		cut := clauseStart(ts, i)
		end := clauseEnd(ts, j+1)
		kept := trimDangling(strings.TrimSpace(render(ts[:cut])))
		after := ""
		if end < len(ts) {
			k := end
			if isWord(ts[end].text) {
				k++
			}
			for k < len(ts) && isPunct(ts[k].text) {
				k++
			}
			after = strings.TrimSpace(render(ts[k:]))
		}
		switch {
		case kept != "" && after != "":
			sep := ", "
			if isWord(ts[end].text) {
				sep = " " + ts[end].text + " "
			}
			kept += sep + after
		case after != "":
			kept = after
		}
		if countWords(kept) < 2 {
			return "", false
		}
		// The rest may hold another secret ("PIN 1234 and password x").
		return cutSecrets(kept)
	}
	return s, true
}

// gluedRun returns ts[j] with the tokens glued to it (no space between),
// trailing sentence punctuation excluded.
func gluedRun(ts []token, j int) string {
	end := j + 1
	for end < len(ts) && !ts[end].space {
		end++
	}
	for end > j+1 && strings.Contains(".,;:!?", ts[end-1].text) {
		end--
	}
	var b strings.Builder
	for _, t := range ts[j:end] {
		b.WriteString(t.text)
	}
	return b.String()
}

// valueFillers may stand between a secret word and its value; the
// explicit ones announce the value ("password is X", "PIN: X").
var valueFillers = wordSet(`: = - is was be 's reads it's would should will now currently still being set to as
just simply literally`)
var explicitFillers = wordSet(`: = is was be 's reads it's`)

// valueIndex returns the index of the token that would be the value of
// the secret word at ts[i], and whether an explicit marker announced it.
func valueIndex(ts []token, i int) (int, bool) {
	j, explicit := i+1, false
	for j < len(ts) && j <= i+5 {
		lw := strings.ToLower(ts[j].text)
		if !valueFillers[lw] {
			break
		}
		explicit = explicit || explicitFillers[lw]
		j++
	}
	return j, explicit
}

// valueShaped: digits, inner capitals or symbols — how passwords, PINs,
// keys and tokens look.
func valueShaped(t string) bool {
	if t == "\"" || t == "'" {
		return true
	}
	for i, r := range t {
		if unicode.IsDigit(r) || (unicode.IsUpper(r) && i > 0) || (!unicode.IsLetter(r) && r != '\'' && r != '-') {
			return true
		}
	}
	return false
}

func isSecretWord(ts []token, i int) bool {
	lw := strings.ToLower(ts[i].text)
	if secretWords[lw] {
		return true
	}
	// "my username is jose", "member number: A-17": not secret, but an
	// identifier has no place in the restatement either.
	if identifierWords[lw] && i+1 < len(ts) {
		n := strings.ToLower(ts[i+1].text)
		return n == "is" || n == ":" || n == "=" || n == "was"
	}
	if !qualifiedSecretWords[lw] {
		return false
	}
	if i > 0 && secretQualifiers[strings.ToLower(ts[i-1].text)] {
		return true
	}
	// "token 8f3a…", "secret 00": a value-shaped word right after. Not
	// for "code" or "key": "error code 500" is what we want to restate.
	if (lw == "token" || lw == "tokens" || lw == "secret" || lw == "secrets") && i+1 < len(ts) && valueShaped(ts[i+1].text) {
		return true
	}
	// "key: abc", "token = xyz"
	if i+1 < len(ts) && (ts[i+1].text == ":" || ts[i+1].text == "=") {
		return lw != "code" && lw != "codes" || i > 0 && secretQualifiers[strings.ToLower(ts[i-1].text)]
	}
	return false
}

// clauseStart returns the index where the clause containing ts[i] starts.
func clauseStart(ts []token, i int) int {
	for k := i - 1; k >= 0; k-- {
		lw := strings.ToLower(ts[k].text)
		if lw == "," || lw == ";" || lw == ":" || lw == "-" || lw == "(" || clauseWords[lw] {
			return k
		}
	}
	return 0
}

// clauseEnd returns the index of the boundary that ends the clause
// starting at or before ts[i].
func clauseEnd(ts []token, i int) int {
	for k := i; k < len(ts); k++ {
		lw := strings.ToLower(ts[k].text)
		if lw == "," || lw == ";" || lw == "." || lw == "!" || lw == "?" || (clauseWords[lw] && lw != "when" && lw != "after" && lw != "since") {
			return k
		}
	}
	return len(ts)
}

var clauseWords = wordSet(`and but because so which while although though whereas or since when after`)

var (
	// The sanitisers are deliberately broader than what a reader would call
	// a URL or an address: a restatement quoted back to a customer must
	// never carry a link, an address or an identifier.
	reURL    = regexp.MustCompile(`(?i)\b((https?|ftp|sftp|file|mailto|smb|ssh|git|wss?)://|www\d?\.)[^\s<>"]*|\b[a-z][a-z0-9+.\-]*://\S*`)
	reEmail  = regexp.MustCompile(`[\p{L}\p{N}._%+'\-]*[\p{L}\p{N}_%+\-]@[\p{L}\p{N}\-]+(\.[\p{L}\p{N}\-]+)*|\S*@\S+`)
	reDomain = regexp.MustCompile(`(?i)\b[\p{L}\p{N}][\p{L}\p{N}\-]*(\.[\p{L}\p{N}\-]+)*\.(com|org|net|edu|gov|mil|int|io|co|uk|us|ca|au|nz|ie|de|fr|es|it|nl|be|ch|at|dk|se|no|fi|pl|pt|cz|ru|jp|cn|in|br|mx|ar|za|eu|info|biz|me|app|dev|ai|ly|tv|fm|cc|ws|xyz|online|site|website|store|shop|tech|cloud|email|link|live|blog|news|page|ngo|charity|foundation|church|club|community|agency|digital|design|media|network|solutions|services|support|help|global|world|today|life|art|studio|academy|school|health|host|space|works|sh|gg|la|vc)(/\S*)?\b|\b(\d{1,3}\.){3}\d{1,3}(:\d+)?\b|\b[\p{L}\p{N}\-]+(\.[\p{L}\p{N}\-]+){2,}\.[a-z]{2,}\b`)
	// A word holding five digits in a row is an identifier whatever else it
	// holds ("ORD-1234567", "0x80070005", "#123456").
	reDigitWord = regexp.MustCompile(`[^\s,;!?()"]*\d{5,}[^\s,;!?()"]*`)
	// Digit groups split by spaces, dashes or dots: phone and card numbers.
	reDigitGroups = regexp.MustCompile(`\+?\(?\d[\d\-. ()/]*\d`)
	reDate        = regexp.MustCompile(`^(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})$`)
	reMoney       = regexp.MustCompile(`[$€£¥]\s*` + "\uFFFC" + `|` + "\uFFFC" + `\s*(usd|eur|gbp|dollars|euros|pounds)\b`)
)

// removeSensitive replaces URLs, addresses, domain names, IP addresses and
// long numbers (≥ 5 digits, or phone/card-like groups of ≥ 7 digits) with
// a marker, then tidies the words around each marker: a label before an
// identifier keeps a neutral article ("order #1234567" → "the order"), a
// preposition before a removed address goes with it.
func removeSensitive(s string) string {
	mark := string(objReplacement)
	if strings.Contains(s, "://") || containsFold(s, "www") {
		s = reURL.ReplaceAllString(s, mark)
	}
	if strings.Contains(s, "@") {
		s = reEmail.ReplaceAllString(s, mark)
	}
	if innerDot(s) {
		s = reDomain.ReplaceAllString(s, mark)
	}
	run, total := digitRuns(s)
	if run >= 5 {
		s = reDigitWord.ReplaceAllStringFunc(s, func(m string) string {
			if strings.HasSuffix(m, ".") {
				return mark + "."
			}
			return mark
		})
	}
	if total >= 7 {
		s = reDigitGroups.ReplaceAllStringFunc(s, func(m string) string {
			digits := 0
			for _, r := range m {
				if r >= '0' && r <= '9' {
					digits++
				}
			}
			if digits >= 7 && !reDate.MatchString(strings.Trim(m, "+() ")) {
				return mark
			}
			return m
		})
	}
	if !strings.Contains(s, mark) {
		return s
	}
	s = reMoney.ReplaceAllString(s, mark)
	return tidyMarks(s)
}

// containsFold is a case-insensitive strings.Contains for ASCII needles.
func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), sub)
}

// innerDot reports a dot between two word characters, the shape of a
// domain, an IP address or a file name; only then is reDomain worth
// running.
func innerDot(s string) bool {
	dotted := 0
	for i := 1; i+1 < len(s); i++ {
		if s[i] != '.' {
			continue
		}
		a, b := s[i-1], s[i+1]
		if isASCIIAlnum(a) && (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z') {
			return true
		}
		if a >= '0' && a <= '9' && b >= '0' && b <= '9' {
			if dotted++; dotted >= 3 {
				return true
			}
		}
	}
	return false
}

func isASCIIAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// digitRuns returns the longest run of ASCII digits and the total count.
func digitRuns(s string) (longest, total int) {
	run := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			run++
			total++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest, total
}

var (
	idLabels   = wordSet(`order orders invoice invoices transaction transactions ticket receipt receipts account reference ref case id donation donations payment payments subscription card phone number code error booking confirmation member membership customer tracking contract policy license licence serial charge`)
	determiner = wordSet(`the a an my our your this that these those his her their its same another any each every no some which`)
	numberies  = wordSet(`# no no. nr nr. num number numbers`)
	markPreps  = wordSet(`at on to from via for in of with as by under into onto # - =`)
)

// tidyMarks removes the markers left by removeSensitive and repairs the
// phrase around each.
func tidyMarks(s string) string {
	ts := tokenize(s)
	var out []token
	for i := 0; i < len(ts); i++ {
		t := ts[i]
		if t.text != string(objReplacement) {
			out = append(out, t)
			continue
		}
		// Drop "#", "no.", "number" right before the marker.
		for len(out) > 0 && (numberies[strings.ToLower(out[len(out)-1].text)] || out[len(out)-1].text == ".") {
			out = out[:len(out)-1]
		}
		k := len(out) - 1
		if k >= 0 && idLabels[strings.ToLower(out[k].text)] {
			// Walk back over compound labels ("error code", "order
			// confirmation") and add "the" when no determiner precedes.
			start := k
			for start > 0 && idLabels[strings.ToLower(out[start-1].text)] {
				start--
			}
			hasDet := false
			for b := start - 1; b >= 0 && b >= start-2; b-- {
				if determiner[strings.ToLower(out[b].text)] {
					hasDet = true
				}
			}
			if !hasDet {
				sp := out[start].space
				ins := token{text: "the", space: sp}
				out[start].space = true
				if start == 0 {
					out[0].text = strings.ToLower(out[0].text)
				}
				out = append(out[:start], append([]token{ins}, out[start:]...)...)
			}
			continue
		}
		// "an email from: <address>": the label goes with the address.
		if k >= 1 && out[k].text == ":" && markPreps[strings.ToLower(out[k-1].text)] {
			out = out[:k-1]
			continue
		}
		// "my email is <address>", "phone: <number>": the clause exists
		// only to carry the identifier; drop it whole.
		if k >= 0 && (beVerbs[strings.ToLower(out[k].text)] || out[k].text == ":" || out[k].text == "=") {
			cut := clauseStart(out, k)
			out = out[:cut]
			for i+1 < len(ts) && (isPunct(ts[i+1].text) || len(out) == 0 && clauseWords[strings.ToLower(ts[i+1].text)]) {
				i++
			}
			if i+1 < len(ts) && len(out) > 0 && isWord(ts[i+1].text) && !clauseWords[strings.ToLower(ts[i+1].text)] {
				out = append(out, token{text: ",", space: false})
			}
			continue
		}
		// A preposition before a removed address goes with it: "send it to
		// <address>" → "send it".
		if k >= 0 && markPreps[strings.ToLower(out[k].text)] {
			out = out[:k]
		}
		// A preposition left dangling after an opening marker.
		for i+1 < len(ts) && ts[i+1].text == string(objReplacement) {
			i++
		}
	}
	return render(out)
}

var (
	reParen    = regexp.MustCompile(`\s*(\([^()]*\)|\[[^\[\]]*\]|\{[^{}]*\})`)
	reEmoticon = regexp.MustCompile(`(^|\s)([:;=8xX]['\-^o]?[()\[\]DPpOo3/\\|*@$]+|<3|\^_?\^|[()]+[:;]|:'\()(\s|$)`)
	reStars    = regexp.MustCompile(`\*+([^*\s][^*]*?)\*+`)
	reRepeated = regexp.MustCompile(`([!?.])[!?.]+`)
)

// removeAsides drops parenthetical remarks, emoji, emoticons and markdown
// emphasis; they rarely carry the problem and often carry identifiers.
func removeAsides(s string) string {
	for range 3 {
		if !strings.ContainsAny(s, "([{") {
			break
		}
		t := reParen.ReplaceAllString(s, "")
		if t == s {
			break
		}
		s = t
	}
	// An unbalanced bracket from a sentence split.
	s = strings.NewReplacer("(", " ", ")", " ", "[", " ", "]", " ", "{", " ", "}", " ", "<", " ", ">", " ").Replace(s)
	if strings.ContainsAny(s, ":;=^<") {
		s = reEmoticon.ReplaceAllString(s, " ")
	}
	if strings.Contains(s, "*") {
		s = reStars.ReplaceAllString(s, "$1")
	}
	if strings.Contains(s, "!!") || strings.Contains(s, "??") || strings.Contains(s, "..") || strings.Contains(s, "?!") || strings.Contains(s, "!?") {
		s = reRepeated.ReplaceAllString(s, "$1")
	}
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.Is(unicode.So, r), unicode.Is(unicode.Sk, r) && r != '^', unicode.Is(unicode.Co, r),
			r >= 0xFE00 && r <= 0xFE0F, r >= 0x1F000, r == '*' || r == '|' || r == '~' || r == '\\':
			return ' '
		}
		return r
	}, s)
	return collapseSpaces(s)
}

// deshout lowers ALL-CAPS words. When most of the sentence shouts, every
// word is lowered except known acronyms; otherwise only capitalised words
// longer than three letters and shouted function words are.
func deshout(s string) string {
	ts := tokenize(s)
	caps, words := 0, 0
	for _, t := range ts {
		if !isWord(t.text) || !strings.ContainsFunc(t.text, unicode.IsLetter) {
			continue
		}
		words++
		if isAllCaps(t.text) && utf8.RuneCountInString(t.text) > 1 {
			caps++
		}
	}
	shouting := words >= 3 && caps*2 > words
	for i, t := range ts {
		if !isAllCaps(t.text) {
			continue
		}
		up := strings.ToUpper(t.text)
		n := utf8.RuneCountInString(t.text)
		if acronyms[up] && !(shouting && n <= 3 && stopWords[strings.ToLower(t.text)] && up != "US" && up != "IT") {
			continue
		}
		if t.text == "I" {
			continue
		}
		if shouting || n > 3 || stopWords[strings.ToLower(t.text)] || englishWords[strings.ToLower(t.text)] {
			ts[i].text = strings.ToLower(t.text)
		}
	}
	return render(ts)
}

func isAllCaps(w string) bool {
	letters := 0
	for _, r := range w {
		if unicode.IsLetter(r) {
			letters++
			if !unicode.IsUpper(r) {
				return false
			}
		}
	}
	return letters > 0
}

func isCapitalised(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r)
}

func collapseSpaces(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func countWords(s string) int {
	n := 0
	for _, f := range strings.Fields(s) {
		if strings.ContainsFunc(f, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
			n++
		}
	}
	return n
}

// identifierWords introduce a value that identifies the customer; with
// "is" or ":" after them the clause is dropped like a secret.
var identifierWords = wordSet(`username usernames user-name login userid user-id handle account-number
membership-number iban`)
