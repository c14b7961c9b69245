package restate

import (
	"html"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// objReplacement marks a span removed by the sanitiser (a URL, an address,
// a long number) until the words around it are tidied. Input never
// contains it: normalize deletes it.
const objReplacement = '\uFFFC'

var (
	reHTMLBreak = regexp.MustCompile(`(?i)<\s*(br|/p|/div|/li|/tr|/h[1-6]|p|div|li|tr|hr)\b[^>]*>`)
	reHTMLTag   = regexp.MustCompile(`(?s)<[a-zA-Z/!][^<>]{0,1000}>`)
	reHTMLHint  = regexp.MustCompile(`(?i)<\s*(br|p|div|span|a|b|i|strong|em|li|ul|ol|table|td|tr|html|body|font|img|hr|h[1-6])\b[^>]*>|&(nbsp|amp|lt|gt|quot|#\d+|#x[0-9a-f]+);`)
)

// htmlHints prefilter reHTMLHint: a tag or entity a converter left.
var htmlHints = []string{"<br", "<p", "<div", "</", "<span", "<a ", "<b>", "<i>", "<strong", "<em", "<li", "<ul",
	"<ol", "<table", "<td", "<tr", "<html", "<body", "<font", "<img", "<hr", "<h1", "<h2", "<h3", "&nbsp;",
	"&amp;", "&lt;", "&gt;", "&quot;", "&#"}

func looksHTML(s string) bool {
	if !strings.ContainsAny(s, "<&") {
		return false
	}
	ls := strings.ToLower(s)
	for _, h := range htmlHints {
		if strings.Contains(ls, h) {
			return true
		}
	}
	return false
}

// normalize makes body safe to scan: valid UTF-8, at most max bytes, LF
// line ends, HTML remnants and entities decoded, invisible and control
// characters removed, typographic quotes made plain.
func normalize(s string, max int) string {
	if len(s) > max {
		s = s[:max]
	}
	s = strings.ToValidUTF8(s, "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	// Bodies converted from HTML by a careless client still carry tags and
	// entities; a restatement must not echo "&nbsp;" or "<br>".
	if looksHTML(s) && reHTMLHint.MatchString(s) {
		s = reHTMLBreak.ReplaceAllString(s, "\n")
		s = reHTMLTag.ReplaceAllString(s, " ")
		s = html.UnescapeString(s)
		// Escaped markup ("&lt;script&gt;") is markup once unescaped.
		s = reHTMLTag.ReplaceAllString(s, " ")
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteByte('\n')
		case r == '\u2028' || r == '\u2029':
			b.WriteByte('\n')
		case r == '\u2018' || r == '\u2019' || r == '\u02BC' || r == '\u2032' || r == '`' || r == '\u00B4':
			b.WriteByte('\'')
		case r == '\u201C' || r == '\u201D' || r == '\u201E' || r == '\u00AB' || r == '\u00BB' || r == '\u2033':
			b.WriteByte('"')
		case r == '\u2013' || r == '\u2014' || r == '\u2212':
			b.WriteString(" - ")
		case r == '\u2026':
			b.WriteString("...")
		case r == objReplacement || r == '\uFFFD' || r == '\u00AD':
			// Our own marker must never come from input; replacement
			// characters and soft hyphens are noise.
		case unicode.Is(unicode.Cf, r) || r == '\u200B':
			// zero-width spaces, joiners, BOM, bidi controls
		case unicode.IsSpace(r) || unicode.IsControl(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

var (
	// An attribution line: "On Tue, 1 Mar 2011, Jane <jane@x> wrote:" and
	// its translations. It may be wrapped over two lines.
	reAttribution = regexp.MustCompile(`(?i)(?:(\b(wrote|writes|schrieb|schreef|a écrit|escribió|escreveu|ha scritto|skrev|kirjoitti|napisał|napisała|napísal|írta|yazdı|написал|написала|пишет)\b[^:]{0,80}:\s*$)|^(on|am|le|el|op|il|den|em|w dniu)\s.{0,200}\s(wrote|schrieb|a écrit|escribió|schreef|ha scritto|skrev|escreveu)\s*:?\s*$)`)
	reAttribStart = regexp.MustCompile(`(?i)^(on|am|le|el|op|il|den|em|w dniu)\s.*\d`)

	reSeparator = regexp.MustCompile(`(?i)^(?:(-{2,}\s*)?(original message|forwarded message|weitergeleitete nachricht|ursprüngliche nachricht|message d'origine|message transféré|mensaje original|mensaje reenviado|messaggio originale|oorspronkelijk bericht|doorgestuurd bericht|opprinnelig melding|ursprungligt meddelande|alkuperäinen viesti)\s*(-{2,})?\s*:?$|begin forwarded message\s*:?$|(-- ?|-{2,}|_{5,}|={5,}|\*{5,}|~{3,})$|-{3,}\s*\S.*\S\s*-{3,}$)`)

	// "From: x" followed by other header fields is a quoted or forwarded
	// message (Outlook, Gmail forward) whose body follows without ">".
	reHeaderField = regexp.MustCompile(`(?i)^\*?(from|von|de|van|da|från|fra|od|от|sent|gesendet|envoyé|enviado|inviato|verzonden|to|an|à|para|a|aan|cc|date|datum|fecha|subject|betreff|objet|asunto|oggetto|onderwerp|ämne|emne)\s*:\*?\s*\S`)
	reFromField   = regexp.MustCompile(`(?i)^\*?(from|von|de|van|da|från|fra|od|от)\s*:\*?\s*\S`)

	reMobileFooter = regexp.MustCompile(`(?i)^(sent from|sent via|sent with|sent using|get outlook for|envoyé de|envoyé depuis|von meinem|gesendet von|enviado desde|enviado do|inviato da|verzonden met|verstuurd vanaf|skickat från|sendt fra|wysłane z|отправлено с)\b`)

	reDisclaimer = regexp.MustCompile(`(?i)^(\[?external\]?|caution|warning|notice|confidentiality|disclaimer|important notice|privileged|this (e-?mail|message|communication|transmission)( and any (files|attachments)| (is|may|contains|and)| was sent| originated)|the (information|content|contents) (contained|in|of) this|if you (are not|have received|received)|this email has been (scanned|checked)|please consider the environment|think before you print|save a tree|before printing|nothing in this (e-?mail|message))\b`)

	reSignOff = regexp.MustCompile(`(?i)^(thanks|thank you|thank-you|thanks so much|thank you so much|thanks a lot|thanks again|many thanks|much thanks|thanks in advance|thank you in advance|thanks for your help|thank you for your help|thanks for any help|thx|ty|tia|cheers|best|all best|best wishes|best regards|kind regards|kindest regards|warm regards|warmest regards|warm wishes|regards|rgds|br|sincerely|sincerely yours|yours sincerely|yours truly|yours faithfully|faithfully|respectfully|cordially|take care|talk soon|speak soon|all the best|with thanks|with gratitude|with best wishes|love|xoxo|mfg|mit freundlichen grüßen|mit freundlichen grüssen|freundliche grüße|freundliche grüsse|viele grüße|viele grüsse|liebe grüße|liebe grüsse|beste grüße|herzliche grüße|grüße|grüsse|gruß|gruss|lg|vg|cordialement|bien cordialement|bien à vous|merci|merci beaucoup|merci d'avance|salutations|bonne journée|saludos|un saludo|saludos cordiales|atentamente|gracias|muchas gracias|saluti|cordiali saluti|distinti saluti|grazie|grazie mille|met vriendelijke groet|vriendelijke groet|groeten|groetjes|hälsningar|med vänlig hälsning|vänliga hälsningar|mvh|med venlig hilsen|hilsen|pozdrawiam|obrigado|obrigada|atenciosamente|abraços)\b`)

	reContactLine = regexp.MustCompile(`(?i)^(?:(tel|tél|phone|ph|mobile|mob|cell|fax|web|website|www|e-?mail|skype|address|addr|twitter|linkedin|office|direct|m|t|f|w|e)\s*[.:]\s*\S|(www\.|https?://)\S+$|\S+@\S+\.\S+$|[+(]?\d[\d\s().\-/]{6,}$)`)
)

// contentLines returns the customer's own lines: quoted history,
// attributions, forwarded blocks, signatures, sign-offs, disclaimers,
// mobile footers and contact details removed. Greetings are left for the
// sentence stage, which also sees a greeting that shares a line with text.
func contentLines(text string) []string {
	raw := strings.Split(text, "\n")
	out := make([]string, 0, len(raw))
	hasContent := func() bool {
		for _, l := range out {
			if l != "" {
				return true
			}
		}
		return false
	}
	skipPara := false
	for i := 0; i < len(raw); i++ {
		l := strings.TrimSpace(raw[i])
		if skipPara {
			if l == "" {
				skipPara = false
			}
			continue
		}
		if l == "" {
			out = append(out, "")
			continue
		}
		if strings.HasPrefix(l, ">") || strings.HasPrefix(l, "|>") {
			continue
		}
		// Attribution lines: drop them and keep reading when the quote
		// that follows is marked with ">"; otherwise everything after is
		// the quoted message itself.
		if att, n := attribution(raw, i); att {
			if nextStartsQuote(raw, i+n) {
				i += n - 1
				continue
			}
			break
		}
		fw := firstWordLower(l)
		if maybeSeparator(l) && reSeparator.MatchString(l) || footerWords[fw] && reMobileFooter.MatchString(l) {
			break
		}
		if colonEarly(l) && reFromField.MatchString(l) && headerBlock(raw, i) {
			break
		}
		if (disclaimerWords[fw] || strings.HasPrefix(l, "[")) && reDisclaimer.MatchString(l) {
			if hasContent() {
				break
			}
			skipPara = true
			continue
		}
		if len(l) <= 60 && signOffWords[fw] && isSignOff(l) {
			if hasContent() {
				break
			}
			continue
		}
		if isDashName(l) && hasContent() {
			break
		}
		if strings.ContainsAny(l, ":.@+(0123456789") && reContactLine.MatchString(l) {
			continue
		}
		out = append(out, l)
	}
	// A bare name on the last line ("Zoë", "José García") is a signature
	// even without a sign-off.
	for len(out) > 0 {
		last := out[len(out)-1]
		if last == "" || isNameLine(last) {
			out = out[:len(out)-1]
			continue
		}
		break
	}
	return out
}

// Cheap prefilters for the line expressions above: most lines are plain
// text and need none of them.
var (
	footerWords     = wordSet(`sent get envoyé von gesendet enviado inviato verzonden verstuurd skickat sendt wysłane отправлено`)
	disclaimerWords = wordSet(`external caution warning notice confidentiality disclaimer important privileged this the if nothing please think save before`)
	separatorWords  = []string{"message", "nachricht", "origine", "transféré", "mensaje", "messaggio", "bericht", "melding", "meddelande", "viesti", "forwarded"}
)

// signOffWords are the first words of the sign-offs reSignOff knows.
var signOffWords = wordSet(`thanks thank thank-you many much thx ty tia cheers best all kind kindest warm warmest
regards rgds br sincerely yours faithfully respectfully cordially take talk speak with love xoxo mfg mit
freundliche viele liebe beste herzliche grüße grüsse gruß gruss lg vg cordialement bien merci salutations
bonne saludos un atentamente gracias muchas saluti cordiali distinti grazie met vriendelijke groeten
groetjes hälsningar med vänliga mvh hilsen pozdrawiam obrigado obrigada atenciosamente abraços`)

func maybeSeparator(l string) bool {
	if strings.IndexByte("-_=*~", l[0]) >= 0 {
		return true
	}
	ll := strings.ToLower(l)
	for _, w := range separatorWords {
		if strings.Contains(ll, w) {
			return true
		}
	}
	return false
}

func colonEarly(l string) bool {
	i := strings.IndexAny(l, ":：")
	return i > 0 && i <= 20
}

// signOffTails may follow a sign-off phrase on its line.
var signOffTails = []string{"for your help", "for all your help", "for any help", "for your time",
	"for your assistance", "for your support", "for your patience", "in advance", "again", "so much",
	"very much", "a lot", "and regards", "and best regards"}

// isSignOff reports a closing line: a sign-off phrase followed by nothing,
// a stock tail or a name ("Thanks,", "Best regards - Zoë", "Thanks for
// your help!"). "Thanks, but it still fails" is not one.
func isSignOff(l string) bool {
	loc := reSignOff.FindStringIndex(l)
	if loc == nil {
		return false
	}
	rest := strings.Trim(l[loc[1]:], " ,.!:;-~")
	for _, tail := range signOffTails {
		if strings.HasPrefix(strings.ToLower(rest), tail) {
			rest = strings.Trim(rest[len(tail):], " ,.!:;-~")
			break
		}
	}
	return rest == "" || isNameLine(rest)
}

// attribution reports whether raw[i] (possibly wrapped onto raw[i+1])
// is an "On … wrote:" line, and how many lines it spans.
func attribution(raw []string, i int) (bool, int) {
	l := strings.TrimSpace(raw[i])
	if len(l) > 300 {
		return false, 0
	}
	if maybeAttribution(l) && reAttribution.MatchString(l) {
		return true, 1
	}
	if i+1 < len(raw) && reAttribStart.MatchString(l) {
		two := l + " " + strings.TrimSpace(raw[i+1])
		if len(two) <= 300 && maybeAttribution(two) && reAttribution.MatchString(two) {
			return true, 2
		}
	}
	return false, 0
}

// attributionVerbs prefilter reAttribution, which is costly to run on
// every line.
var attributionVerbs = []string{"wrote", "writes", "schrieb", "schreef", "écrit", "escribió", "escreveu",
	"scritto", "skrev", "kirjoitti", "napisał", "napísal", "írta", "yazdı", "писал", "пишет"}

func maybeAttribution(l string) bool {
	ll := strings.ToLower(l)
	for _, v := range attributionVerbs {
		if strings.Contains(ll, v) {
			return true
		}
	}
	return false
}

func nextStartsQuote(raw []string, i int) bool {
	for ; i < len(raw); i++ {
		l := strings.TrimSpace(raw[i])
		if l == "" {
			continue
		}
		return strings.HasPrefix(l, ">")
	}
	return true
}

// headerBlock reports whether a "From:" line at raw[i] is followed by
// further header fields, as in a forwarded or Outlook-quoted message.
func headerBlock(raw []string, i int) bool {
	for j := i + 1; j < len(raw) && j <= i+4; j++ {
		if reHeaderField.MatchString(strings.TrimSpace(raw[j])) {
			return true
		}
	}
	return false
}

// isDashName matches "-- Zoë", "- José", "~Bob": a signature without the
// standard "-- " delimiter line.
func isDashName(l string) bool {
	if !strings.HasPrefix(l, "-") && !strings.HasPrefix(l, "~") {
		return false
	}
	rest := strings.TrimLeft(l, "-~ ")
	return rest != "" && isNameLine(rest)
}

// isNameLine: one to four capitalised words and nothing else.
func isNameLine(l string) bool {
	f := strings.Fields(l)
	if len(f) == 0 || len(f) > 4 {
		return false
	}
	for _, w := range f {
		w = strings.Trim(w, ",.")
		r, _ := utf8.DecodeRuneInString(w)
		if w == "" || !unicode.IsUpper(r) {
			return false
		}
		for _, c := range w {
			if !unicode.IsLetter(c) && c != '-' && c != '\'' && c != '.' {
				return false
			}
		}
		if englishWords[strings.ToLower(w)] {
			return false
		}
	}
	return true
}

var reBullet = regexp.MustCompile(`^([-*•·▪◦+]|\d{1,2}[.)]|[a-z][.)])\s+`)

// segments joins hard-wrapped lines back into paragraphs' sentences while
// keeping separate lines that were meant as separate: short lines followed
// by a capitalised line (a greeting, a heading), list items, lines ending
// in sentence punctuation or a colon.
func segments(lines []string) []string {
	var segs []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			segs = append(segs, cur.String())
			cur.Reset()
		}
	}
	prevLen := 0
	prevEnd := true
	for _, l := range lines {
		l = collapseSpaces(l)
		if l == "" {
			flush()
			prevEnd = true
			continue
		}
		bullet := reBullet.MatchString(l)
		if bullet {
			l = reBullet.ReplaceAllString(l, "")
		}
		r, _ := utf8.DecodeRuneInString(l)
		breakHere := prevEnd || bullet || (prevLen < 50 && !unicode.IsLower(r))
		if breakHere {
			flush()
		} else {
			cur.WriteByte(' ')
		}
		cur.WriteString(l)
		prevLen = utf8.RuneCountInString(l)
		last, _ := utf8.DecodeLastRuneInString(l)
		prevEnd = strings.ContainsRune(".!?:", last)
	}
	flush()
	return segs
}

var abbreviations = wordSet(`e.g i.e etc mr mrs ms dr st vs approx no nr inc ltd co corp jan feb mar apr
jun jul aug sep sept oct nov dec ca cf fig min max dept est tel ph p.s ps a.m p.m u.s`)

// sentences splits text segments into sentences at ., ! and ? (not in
// abbreviations, decimals or initials). At most limit sentences.
func sentences(lines []string, limit int) []string {
	var out []string
	for _, seg := range segments(lines) {
		start := 0
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if c != '.' && c != '!' && c != '?' {
				continue
			}
			j := i
			for j+1 < len(seg) && strings.IndexByte(".!?\"')]", seg[j+1]) >= 0 {
				j++
			}
			if j+1 < len(seg) && seg[j+1] != ' ' {
				i = j
				continue
			}
			if c == '.' && j == i {
				// A single full stop ends a sentence only before a capital,
				// a digit or a quote, and not after an abbreviation or an
				// initial.
				if j+2 < len(seg) {
					r, _ := utf8.DecodeRuneInString(seg[j+2:])
					if !unicode.IsUpper(r) && !unicode.IsDigit(r) && r != '"' && r != '\'' {
						i = j
						continue
					}
				}
				w := lastWord(seg[start:i])
				lw := strings.ToLower(w)
				if abbreviations[lw] || (utf8.RuneCountInString(w) == 1 && unicode.IsUpper([]rune(w)[0])) {
					i = j
					continue
				}
			}
			if s := strings.TrimSpace(seg[start : j+1]); s != "" {
				out = append(out, s)
			}
			start = j + 1
			i = j
			if len(out) >= limit {
				return out
			}
		}
		if s := strings.TrimSpace(seg[start:]); s != "" {
			out = append(out, s)
		}
		if len(out) >= limit {
			return out[:limit]
		}
	}
	return out
}

func lastWord(s string) string {
	s = strings.TrimRight(s, " ")
	i := strings.LastIndexAny(s, " (\"")
	return s[i+1:]
}
