package mail

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Reply extraction works on lines. A first pass marks each line once with
// cheap tests (quoted, header field, rule, separator, footer), running a
// regexp only where a byte-level filter lets a line through; reply headers
// ("On … wrote:", possibly wrapped) are found from the lines that can end
// one. The classifying pass then walks forward: ">" lines are history but
// the author may answer between them, so they do not end the reply; the
// first terminal mark (a reply header over unquoted history, an Outlook
// header block, an "Original Message" or forward rule, a "-- " signature, a
// phone footer, a mailing-list rule) sends everything after it to history.
// When that leaves nothing of the author's, a second pass reads the body as
// bottom-posted: headers and quotes are history, the rest is the author's.
//
// The patterns are compiled once and never mutated, so the functions are
// safe for concurrent use. Go's regexp runs in linear time but has no DFA:
// a large alternation costs per byte scanned, so end-anchored patterns only
// see the tail of a line, and no regexp sees a line longer than
// replyMaxHeaderLen. Every look-ahead is bounded or precomputed, so the
// work is linear in the analysed prefix, which replyScanLimit caps.

const (
	// replyScanLimit bounds the bytes analysed. The author's words are at
	// the top; a body past this size is a pasted log or a long thread, and
	// what lies beyond the limit joins whichever part the analysed prefix
	// ended in.
	replyScanLimit = 256 << 10
	// replyMaxHeaderLen is the longest line (or wrapped line group) that can
	// be a reply header, separator or footer. Longer lines are prose or data.
	replyMaxHeaderLen = 600
	// replySigMaxLines is how many non-blank lines a "--" signature or a
	// mailing-list footer may have. More than that is content that happens
	// to follow a rule.
	replySigMaxLines = 30
)

var (
	// Evidence that a line ending in a verb or an address is a header: a
	// time of day ("10:00", "17.50", "10h30") and a date (a year, "5/1/26",
	// "2026年").
	replyTime = regexp.MustCompile(`\d{1,2}[:.h]\d{2}`)
	replyDate = regexp.MustCompile(`\b(?:19|20)\d{2}\b|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{2,4}年`)
	// Words that open a reply header; a wrapped header whose first line
	// starts with one of these (or a digit) is preferred over a shorter one.
	replyIntro = regexp.MustCompile(`(?i)^(?:[-–—]+\s*)?(?:on|le|am|el|em|il|in data|op|den|på|w dniu|dnia|dne|dňa|在)\s`)

	// "-----Original Message-----", forwarded-message rules and Apple
	// Mail's "Begin forwarded message:", in the client languages.
	replySeparator = regexp.MustCompile(`(?i)^\s*(?:[-_=*~]{2,}\s*(?:original message|ursprüngliche nachricht|originalnachricht|message d'origine|message original|mensaje original|messaggio originale|oorspronkelijk bericht|origineel bericht|opprinnelig melding|ursprungligt meddelande|originalmeddelelse|oprindelig besked|oprindelig meddelelse|wiadomość oryginalna|oryginalna wiadomość|původní zpráva|исходное сообщение|оригинальное сообщение|mensagem original|alkuperäinen viesti|eredeti üzenet|forwarded message|weitergeleitete nachricht|message transféré|mensaje reenviado|messaggio inoltrato|doorgestuurd bericht|vidarebefordrat meddelande|videresendt meddelelse|videresendt melding|wiadomość przekazana|přeposlaná zpráva|пересылаемое сообщение|mensagem encaminhada|原始邮件|转发的邮件|元のメッセージ|転送されたメッセージ|원본 메시지|전달된 메시지)\s*[-_=*~]*|(?:begin forwarded message|anfang der weitergeleiteten nachricht|début du message réexpédié|début du message transféré|inicio del mensaje reenviado|inizio messaggio inoltrato|begin doorgestuurd bericht)\s*[:：])\s*$`)

	// Phone and app footers that clients append under the author's text.
	// "Sent from my …" needs the possessive, a known device or app, or the
	// app's link, so that "Sent from my desk, is much easier…" and "Sent
	// via the web form" stay: the tail allows no sentence punctuation.
	replyFooter = regexp.MustCompile(`(?i)^(?:(?:sent|envoyé|enviado|inviato|verzonden|verstuurd|skickat|sendt|wysłane|wysłano|odesláno|отправлено|lähetetty|gesendet)\s+(?:from|with|via|de|depuis|à partir de|desde|do|da|dal|vanaf|met|från|fra|z|ze|с|von)\s+(?:(?:my|mon|ma|mi|meu|il mio|mijn|min|mitt|mojego|mého|моего|meinem)\s+[^,.;!?]{1,60}|(?:[^,.;!?<(]{0,40}\b(?:iphone|ipad|ipod|android|blackberry|outlook|mail|gmail|yahoo|aol|samsung|galaxy|mobile|phone|smartphone|tablet|ios|windows|typeapp|spark|airmail|bluemail|proton\s?mail|handy)\b[^,.;!?<(]{0,30}))|get outlook for (?:ios|android)|von meinem\s+[^,.;!?]{1,40}\s+gesendet|[^\s]{0,20}から送信|(?:从|發自|发自)我的\s?[^\s]{1,20}(?:发送)?|나의\s[^\s]{1,20}에서 보냄)\s*(?:<[^<>\s]*>|\([^()\s]*\))?$`)
)

// The tables below are read-only after package initialisation.

// replyVerbs end a reply header: "… wrote:", "… a écrit :", "… escribió:",
// "… napisał(a):", "… написал:", "… 写道：", "… 작성:" (lower case). They
// are tested as suffixes, not with a regexp: the header always ends in
// one, and a case-folding alternation costs tens of microseconds per line.
var replyVerbs = []string{
	"wrote", "writes", "a écrit", "a\u00a0écrit", "a ecrit", "schrieb", "schreef", "escribió", "escribio",
	"ha escrit", "escreveu", "ha scritto", "scrisse", "skrev", "skriver",
	"napisał", "napisała", "napisał(a)", "napisal", "pisze", "napsal", "napsala", "napsal(a)",
	"написал", "написала", "написал(а)", "пишет", "kirjoitti", "írta",
	"写道", "寫道", "작성", "のメッセージ",
}

// replyVerbsMid put the sender after the verb, Germanic style:
// "Am 05.01.2026 um 10:00 schrieb Jane:", "Den … skrev Jane <j@x>:".
var replyVerbsMid = []string{" schrieb ", " schreef ", " skrev ", " skriver "}

// Per-line marks, computed once before classification.
const (
	markBlank uint16 = 1 << iota
	markQuoted
	markKeyFrom // "From:", "De :", "Von:", … — a header field name
	markKeyDate // "Sent:", "Date:", "Envoyé :", "Gesendet:", …
	markKeyTo
	markKeyCc
	markKeySubject
	markSeparator   // "-----Original Message-----", forward rules
	markDashSig     // "-- " (RFC 3676 §4.3) or "--"
	markUnderscore  // "____": Outlook web's rule, mailing-list footers
	markFooter      // "Sent from my iPhone" and kin
	markHeaderBlock // a From line that opens an Outlook header block
	markAttribution // first line of a reply header ("On … wrote:")

	markKeys = markKeyFrom | markKeyDate | markKeyTo | markKeyCc | markKeySubject
	// markHistoryStart: lines where quoted history certainly begins.
	markHistoryStart = markQuoted | markSeparator | markHeaderBlock | markAttribution
)

// replyFooterLead holds the first words of the footers replyFooter knows.
var replyFooterLead = map[string]bool{
	"sent": true, "envoyé": true, "enviado": true, "inviato": true, "verzonden": true,
	"verstuurd": true, "skickat": true, "sendt": true, "wysłane": true, "wysłano": true,
	"odesláno": true, "отправлено": true, "lähetetty": true, "gesendet": true,
	"get": true, "von": true,
}

// replySignOffs are closings that open a signature block ("Regards,\nJohn
// Doe\nCEO"), lower case. Only the greeting family: "Thanks" and
// "Sincerely" often carry meaning or belong to the message (the fixtures
// keep "Sincerely,\nSuper Domain Name Manager").
var replySignOffs = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range strings.Split(`regards|best regards|kind regards|kindest regards|warm regards|warmest regards|many regards|with kind regards|with best regards|best wishes|yours sincerely|yours faithfully|yours truly|`+
		`cordialement|bien cordialement|bien à vous|sincères salutations|meilleures salutations|`+
		`mit freundlichen grüßen|mit freundlichen grüssen|freundliche grüße|freundliche grüsse|viele grüße|viele grüsse|beste grüße|beste grüsse|liebe grüße|liebe grüsse|herzliche grüße|herzliche grüsse|schöne grüße|schöne grüsse|mfg|`+
		`saludos|un saludo|saludos cordiales|atentamente|cordiali saluti|distinti saluti|atenciosamente|cumprimentos|com os melhores cumprimentos|`+
		`met vriendelijke groet|met vriendelijke groeten|vriendelijke groet|vriendelijke groeten|med vänlig hälsning|med vänliga hälsningar|vänliga hälsningar|med venlig hilsen|venlig hilsen|med vennlig hilsen|vennlig hilsen|`+
		`pozdrawiam|pozdrawiam serdecznie|z poważaniem|s pozdravem|s přátelským pozdravem|с уважением|ystävällisin terveisin|terveisin`, "|") {
		m[p] = true
	}
	return m
}()

// replyHeaderKeys maps lower-cased header field names, as mail clients
// write them above quoted messages in the supported languages, to marks.
var replyHeaderKeys = func() map[string]uint16 {
	m := map[string]uint16{}
	add := func(mark uint16, keys string) {
		for _, k := range strings.Split(keys, "|") {
			m[k] = mark
		}
	}
	add(markKeyFrom, "from|de|von|van|da|fra|från|od|от|lähettäjä|feladó|expéditeur|remitente|差出人|发件人|寄件者|보낸 사람|보낸사람")
	add(markKeyDate, "sent|sent at|date|datum|dato|data|fecha|gesendet|envoyé le|envoyé|enviado el|enviado|enviada|inviato|verzonden|verstuurd|skickat|sendt|wysłano|wysłane|odesláno|отправлено|дата|lähetetty|päivämäärä|päiväys|elküldve|dátum|message du|送信日時|日付|发送时间|發送時間|日期|보낸 날짜")
	add(markKeyTo, "to|an|à|a|para|aan|till|til|do|komu|кому|vastaanottaja|címzett|destinataire|destinatario|宛先|收件人|받는 사람")
	add(markKeyCc, "cc|kopie|kopia|copie à|copie|cópia|копия|kopio|másolat|抄送|참조")
	add(markKeySubject, "subject|betreff|objet|sujet|asunto|oggetto|onderwerp|ämne|emne|temat|předmět|тема|aihe|tárgy|assunto|件名|主题|主旨|제목")
	return m
}()

// ExtractReply returns the new text an author wrote in a plain-text mail
// body: without quoted history (">" lines, and everything under a reply
// header such as "On … wrote:" in many languages, an Outlook "From: … Sent:
// …" block or "-----Original Message-----", including headers wrapped over
// two or three lines), and without the signature ("-- " block at the end,
// "Sent from my iPhone"-style phone footers, "Get Outlook for iOS", a
// closing "Regards," block). Answers interleaved between ">" quotes are
// kept, joined by blank lines. When nothing of the author's precedes the
// history — a reply bottom-posted under its header, or a forward without
// comment — the unquoted text below the headers is returned instead; the
// result is empty only when everything is quoted. The body should use LF
// line endings (CRLF and CR are tolerated). It does no I/O and is safe for
// concurrent use.
func ExtractReply(text string) string {
	reply, _ := SplitReply(text)
	return reply
}

// SplitReply is ExtractReply that also returns what it removed — quoted
// history, reply headers and the signature, in their original order — so
// that agents can expand it. Both parts are trimmed of surrounding blank
// lines; rest is empty when nothing was removed. Only the first 256 KiB are
// analysed; the remainder goes with whichever part the analysed text ended
// in.
func SplitReply(text string) (reply, rest string) {
	if strings.IndexByte(text, '\r') >= 0 {
		text = strings.ReplaceAll(text, "\r\n", "\n")
		text = strings.ReplaceAll(text, "\r", "\n")
	}
	head, tail := text, ""
	if len(head) > replyScanLimit {
		cut := strings.LastIndexByte(head[:replyScanLimit], '\n')
		if cut < 0 {
			cut = replyScanLimit
		}
		head, tail = text[:cut], text[cut:]
	}
	sc := newReplyScan(head)
	kinds := sc.classify(false)
	if !hasKind(kinds, lineAuthor) && hasKind(kinds, lineHistory) {
		// Nothing of the author's above the history: they bottom-posted
		// (under an "On … wrote:" with odd quote marks, or under an
		// "Original Message" block) or forwarded without a word. Either
		// way the unquoted text below the headers is what they want read.
		kinds = sc.classify(true)
	}
	reply = joinReplyLines(sc.lines, kinds, lineAuthor, true)
	rest = joinReplyLines(sc.lines, kinds, lineHistory, false)
	if strings.TrimSpace(tail) != "" {
		// Past the analysed prefix: it belongs with whatever came last.
		last := lineAuthor
		for k := len(kinds) - 1; k >= 0; k-- {
			if kinds[k] != lineBlank {
				last = kinds[k]
				break
			}
		}
		if last == lineHistory {
			rest = strings.TrimRight(strings.TrimLeft(rest+tail, "\n"), " \t\n")
		} else {
			reply = strings.TrimRight(strings.TrimLeft(reply+tail, "\n"), " \t\n")
		}
	}
	return reply, rest
}

type lineKind uint8

const (
	lineBlank lineKind = iota
	lineAuthor
	lineHistory
)

// replyScan holds one body's lines and their marks. It lives for one call.
type replyScan struct {
	lines   []string // as in the body
	trimmed []string // strings.TrimSpace of each line
	marks   []uint16
	attrEnd map[int]int // first line of a reply header → its last line
	// room[i] is the number of non-blank lines from i up to the next
	// history start (or the end), saturated at replySigMaxLines+1: it
	// tells in O(1) whether a rule at i-1 heads a signature-sized block.
	room []uint8
}

// newReplyScan splits text into lines and computes every per-line fact
// the classifying pass needs, so that pass never looks ahead.
func newReplyScan(text string) *replyScan {
	lines := strings.Split(text, "\n")
	sc := &replyScan{
		lines:   lines,
		trimmed: make([]string, len(lines)),
		marks:   make([]uint16, len(lines)),
		room:    make([]uint8, len(lines)+1),
	}
	for i, l := range lines {
		t := strings.TrimSpace(l)
		sc.trimmed[i] = t
		sc.marks[i] = lineMarks(t)
		if sc.marks[i]&markQuoted != 0 && len(l)-len(strings.TrimLeft(l, " \t")) > 4 {
			// Quote marks sit at the margin or just inside it (" > " from
			// Outlook Express); a deeply indented ">" is centred text.
			sc.marks[i] = 0
		}
	}
	for i := range lines {
		if sc.marks[i]&markKeyFrom != 0 && sc.headerBlockAt(i) {
			sc.marks[i] |= markHeaderBlock
		}
	}
	sc.findAttributions()
	for i := len(lines) - 1; i >= 0; i-- {
		switch {
		case sc.marks[i]&markHistoryStart != 0:
			sc.room[i] = 0
		case sc.marks[i]&markBlank != 0:
			sc.room[i] = sc.room[i+1]
		default:
			sc.room[i] = min(sc.room[i+1]+1, replySigMaxLines+1)
		}
	}
	return sc
}

// lineMarks computes the marks that depend on one trimmed line alone.
func lineMarks(t string) uint16 {
	if t == "" {
		return markBlank
	}
	if t[0] == '>' {
		return markQuoted
	}
	if len(t) > replyMaxHeaderLen {
		return 0
	}
	m := headerKeyMarks(t)
	switch {
	case t == "--":
		m |= markDashSig
	case len(t) >= 2 && strings.Trim(t, "_") == "":
		m |= markUnderscore
	}
	if mayBeSeparator(t) && replySeparator.MatchString(t) {
		m |= markSeparator
	}
	if len(t) <= 160 && mayBeFooter(t) && replyFooter.MatchString(t) {
		m |= markFooter
	}
	return m
}

// headerKeyMarks returns the mark of a "Key: value" line whose key is a
// header field name ("From:", "*Sent:*", "De :" with the French no-break
// space, "Envoyé le :"), or 0.
func headerKeyMarks(t string) uint16 {
	head := t
	if len(head) > 32 {
		head = head[:32]
	}
	c := strings.IndexByte(head, ':')
	if w := strings.Index(head, "："); w >= 0 && (c < 0 || w < c) {
		c = w
	}
	if c <= 0 {
		return 0
	}
	k := strings.Trim(t[:c], " \t*\u00a0\u202f")
	if k == "" || len(k) > 24 || strings.ContainsAny(k, "0123456789") {
		return 0 // not a field name; spare the allocation of ToLower
	}
	if strings.ContainsAny(k, "\u00a0\u202f") {
		k = strings.NewReplacer("\u00a0", " ", "\u202f", " ").Replace(k)
	}
	return replyHeaderKeys[strings.ToLower(k)]
}

// mayBeSeparator lets through the lines that can be a replySeparator: a
// dash rule, or Apple Mail's "Begin forwarded message:" and translations.
func mayBeSeparator(t string) bool {
	if strings.IndexByte("-_=*~", t[0]) >= 0 {
		return true
	}
	for _, w := range [...]string{"begin ", "anfang ", "début ", "inicio ", "inizio "} {
		if len(t) > len(w) && strings.EqualFold(t[:len(w)], w) {
			return true
		}
	}
	return false
}

// mayBeFooter lets through the lines whose first word can start a footer,
// so that prose never reaches the footer regexp.
func mayBeFooter(t string) bool {
	w := t
	if sp := strings.IndexByte(t, ' '); sp >= 0 {
		w = t[:sp]
	}
	if len(w) >= 3 && len(w) <= 12 && replyFooterLead[strings.ToLower(w)] {
		return true
	}
	// Japanese, Chinese and Korean footers have no leading word to test.
	for i := 0; i < len(t); i++ {
		if t[i] >= utf8.RuneSelf {
			return strings.Contains(t, "送信") || strings.Contains(t, "我的") || strings.Contains(t, "보냄")
		}
	}
	return false
}

// headerBlockAt reports whether the From line i is part of an
// Outlook-style header block: at least two of Sent/Date, To, Cc, Subject
// among the field lines right above it (Hotmail and Apple Mail put Date
// and Subject first) and the lines below, allowing a wrapped value or two.
func (sc *replyScan) headerBlockAt(i int) bool {
	const fields = markKeyDate | markKeyTo | markKeyCc | markKeySubject
	var seen uint16
	for j := i - 1; j >= 0 && j >= i-6 && sc.marks[j]&markKeys != 0; j-- {
		seen |= sc.marks[j] & fields
	}
	other := 0
	for j := i + 1; j < len(sc.lines) && j <= i+8; j++ {
		m := sc.marks[j]
		if m&markBlank != 0 {
			break
		}
		if m&markKeys == 0 {
			if other++; other > 2 {
				break
			}
			continue
		}
		seen |= m & fields
	}
	n := 0
	for b := seen; b != 0; b &= b - 1 {
		n++
	}
	return n >= 2
}

// classify marks every line as the author's, history or blank. In
// bottomPost mode reply headers, header blocks and separators do not end
// the author's text: they and the quotes under them are history, and what
// is neither is the author's.
func (sc *replyScan) classify(bottomPost bool) []lineKind {
	kinds := make([]lineKind, len(sc.lines))
	terminal := -1
	prevQuoted := -1 // the last ">" line, for re-wrapped quote continuations
	prefix := ""     // bottomPost: the quote mark under the last header, if not ">"
	for i := 0; i < len(sc.lines); i++ {
		m := sc.marks[i]
		t := sc.trimmed[i]
		if m&markBlank != 0 {
			continue
		}
		if m&markAttribution != 0 {
			end := sc.attrEnd[i]
			for k := i; k <= end; k++ {
				kinds[k] = lineHistory
			}
			if bottomPost {
				prefix = sc.quotePrefixAfter(end + 1)
			} else if !sc.quotedFollows(end + 1) {
				terminal = i
				break
			}
			// A header over ">" lines: the author may answer between them.
			i = end
			continue
		}
		if m&markQuoted != 0 || prefix != "" && strings.HasPrefix(t, prefix) || bottomPost && isSnipLine(t) {
			kinds[i] = lineHistory
			prevQuoted = i
			continue
		}
		if prevQuoted >= 0 && prevQuoted == i-1 && isQuoteContinuation(sc.trimmed[prevQuoted], t) {
			// A quoted line that the sender's client re-wrapped without ">".
			kinds[i] = lineHistory
			prevQuoted = i
			continue
		}
		if bottomPost && (m&(markHeaderBlock|markSeparator) != 0 || m&(markUnderscore|markDashSig) != 0 && sc.historyNext(i+1)) {
			i = sc.skipHeaderLines(i, kinds) - 1
			prefix = sc.quotePrefixAfter(i + 1)
			continue
		}
		if sc.terminalAt(i) {
			terminal = i
			break
		}
		kinds[i] = lineAuthor
	}
	if terminal >= 0 {
		for k := terminal; k < len(sc.lines); k++ {
			if sc.marks[k]&markBlank == 0 {
				kinds[k] = lineHistory
			}
		}
		// Rules just above the cut belong to the history they introduce,
		// and so do header fields above a header block ("Message du : …",
		// a "Date:" that some clients put before "From:").
		block := sc.marks[terminal]&(markHeaderBlock|markSeparator) != 0
		for k := terminal - 1; k >= 0; k-- {
			if sc.marks[k]&markBlank != 0 {
				continue
			}
			field := block && sc.marks[k]&markKeys != 0
			if kinds[k] != lineAuthor || !(isRuleLine(sc.trimmed[k]) || field) {
				break
			}
			kinds[k] = lineHistory
		}
	}
	sc.stripSignOff(kinds)
	return kinds
}

func hasKind(kinds []lineKind, want lineKind) bool {
	for _, k := range kinds {
		if k == want {
			return true
		}
	}
	return false
}

// skipHeaderLines marks as history the header block, separator or rule at
// i and the header lines that follow it (across blank lines, as in
// "-----Original Message-----\n\nSubject: …"), and returns the first line
// after them.
func (sc *replyScan) skipHeaderLines(i int, kinds []lineKind) int {
	kinds[i] = lineHistory
	j := i + 1
	for j < len(sc.lines) {
		m := sc.marks[j]
		switch {
		case m&markBlank != 0:
			k := j
			for k < len(sc.lines) && sc.marks[k]&markBlank != 0 {
				k++
			}
			if k == len(sc.lines) || sc.marks[k]&(markKeys|markHeaderBlock|markSeparator) == 0 {
				return j
			}
			j = k
		case m&(markKeys|markHeaderBlock|markSeparator|markUnderscore) != 0 || j <= i+2 && m&markQuoted == 0:
			// Field lines, and up to two wrapped values right under the
			// opening line ("From: Human Resources\n<long@address>").
			kinds[j] = lineHistory
			j++
		default:
			return j
		}
	}
	return j
}

// historyNext reports whether the next non-blank line from i on starts
// history (a rule over a header block rather than over a signature).
func (sc *replyScan) historyNext(i int) bool {
	for ; i < len(sc.lines); i++ {
		if m := sc.marks[i]; m&markBlank == 0 {
			return m&markHistoryStart != 0
		}
	}
	return false
}

// quotePrefixAfter returns the quote mark of the first non-blank line from
// i on when it is not ">": a short run of punctuation such as "|" or the
// "--]" some list software uses. It returns "" for ordinary text.
func (sc *replyScan) quotePrefixAfter(i int) string {
	for ; i < len(sc.lines); i++ {
		if sc.marks[i]&markBlank != 0 {
			continue
		}
		t := sc.trimmed[i]
		n := 0
		for n < len(t) && n < 3 && strings.IndexByte("|]:-}#%", t[n]) >= 0 {
			n++
		}
		if n == 0 || t == "--" {
			return "" // ordinary text, or a signature rule
		}
		return t[:n]
	}
	return ""
}

// isSnipLine: an elision mark inside quoted text ("<snip>", "[...]").
func isSnipLine(t string) bool {
	switch strings.ToLower(t) {
	case "<snip>", "[snip]", "(snip)", "<snipped>", "[snipped]", "[...]", "<...>", "(...)", "...":
		return true
	}
	return false
}

// terminalAt reports whether line i starts history or a signature that
// runs to the end of the body.
func (sc *replyScan) terminalAt(i int) bool {
	m := sc.marks[i]
	switch {
	case m&(markHeaderBlock|markSeparator|markFooter) != 0:
		return true
	case m&(markDashSig|markUnderscore) != 0:
		// "-- " heads a signature and "____" a list footer or an Outlook
		// header block, when what follows is that small or is history.
		return int(sc.room[i+1]) <= replySigMaxLines
	}
	return false
}

// quotedFollows reports whether the next non-blank line from i on is
// quoted: a header over ">" lines rather than over unquoted history.
func (sc *replyScan) quotedFollows(i int) bool {
	for ; i < len(sc.lines); i++ {
		if m := sc.marks[i]; m&markBlank == 0 {
			return m&markQuoted != 0
		}
	}
	return false
}

// findAttributions marks reply headers ("On … wrote:" and its kin), each
// possibly wrapped over up to three lines.
func (sc *replyScan) findAttributions() {
	for j := range sc.lines {
		if !sc.mayEndAttribution(j) {
			continue
		}
		start := sc.attributionStart(j)
		if start < 0 || sc.marks[start]&markAttribution != 0 {
			continue
		}
		if sc.attrEnd == nil {
			sc.attrEnd = make(map[int]int)
		}
		sc.marks[start] |= markAttribution
		sc.attrEnd[start] = j
	}
}

// mayEndAttribution is the cheap filter for lines that could end a header:
// a colon at the end, or Zoho's colon-less "… wrote ----".
func (sc *replyScan) mayEndAttribution(j int) bool {
	m := sc.marks[j]
	if m&markBlank != 0 || len(sc.trimmed[j]) > replyMaxHeaderLen {
		return false
	}
	if m&markQuoted != 0 && !sc.isWrappedAddrTail(j) {
		return false
	}
	t := trimHeaderDashes(sc.trimmed[j])
	last, _ := utf8.DecodeLastRuneInString(t)
	return last == ':' || last == '：' || len(t) >= 5 && strings.EqualFold(t[len(t)-5:], "wrote")
}

// isWrappedAddrTail reports whether line j is ">:" closing an address that
// the previous line opened with "<": Gmail wraps "<test@example.com\n>:",
// and that ">" is not a quote.
func (sc *replyScan) isWrappedAddrTail(j int) bool {
	if j == 0 {
		return false
	}
	if t := sc.trimmed[j]; t != ">:" && t != ">：" {
		return false
	}
	p := sc.trimmed[j-1]
	return strings.Count(p, "<") > strings.Count(p, ">")
}

// attributionStart returns the first line of the reply header ending at
// line j, or -1. Wrapped headers leave fragments that are valid on their
// own ("<j@x> wrote:"), so among the one-, two- and three-line windows it
// prefers the narrowest that opens like a header ("On …", "Le …", a date),
// then the widest that does not open mid-header.
func (sc *replyScan) attributionStart(j int) int {
	var valid [3]bool
	var parts [3]string
	n := 0
	for k := 0; k < 3 && j-k >= 0; k++ {
		i := j - k
		t := sc.trimmed[i]
		if t == "" || len(t) > replyMaxHeaderLen {
			break
		}
		// A line above the end must read as the start or middle of a
		// header, not as a finished sentence or a header of its own.
		if k > 0 && (sc.marks[i]&markQuoted != 0 || endsSentence(t)) {
			break
		}
		parts[k] = trimHeaderDashes(t)
		n = k + 1
		h := joinReversed(parts[:n])
		// "Jane Doe wrote:" alone has no date or address to go by, but
		// right above ">" lines it can only be a reply header.
		valid[k] = isAttribution(h) ||
			k == 0 && len(h) <= 80 && strings.HasSuffix(h, ":") && endsWithVerb(h) && sc.quotedFollows(j+1)
		if valid[k] && strongHeaderStart(t) {
			return i // nothing wider can be preferred
		}
	}
	for k := n - 1; k >= 0; k-- {
		if valid[k] && !weakHeaderStart(sc.trimmed[j-k]) {
			return j - k
		}
	}
	for k := 0; k < n; k++ {
		if valid[k] {
			return j - k
		}
	}
	return -1
}

// joinReversed joins header fragments collected bottom-up.
func joinReversed(parts []string) string {
	switch len(parts) {
	case 1:
		return parts[0]
	case 2:
		return parts[1] + " " + parts[0]
	}
	return parts[2] + " " + parts[1] + " " + parts[0]
}

// isAttribution reports whether s (one header, unwrapped) is a reply
// header. Each form needs evidence beyond its verb — an address, a date or
// a time — so prose ending in "wrote:" stays ("Am I the only one who
// wrote:", "I agree with what you wrote:").
func isAttribution(s string) bool {
	if len(s) > replyMaxHeaderLen {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(s)
	colon := last == ':' || last == '：'
	hasAt := strings.IndexByte(s, '@') >= 0
	if endsWithVerb(s) {
		if !colon {
			// Zoho's "---- On … jane@x wrote ----" and similar.
			return hasAt && replyTime.MatchString(s)
		}
		return hasAt || replyTime.MatchString(s) || replyDate.MatchString(s)
	}
	if !colon {
		return false
	}
	if verbNearEnd(s) {
		return hasAt || replyTime.MatchString(s) || replyDate.MatchString(s)
	}
	// Date-first headers with no verb end in the sender's bracketed address
	// and a colon: "2026年1月5日(月) 10:00 Jane <j@x>:", "30.09.2017, 18.30,
	// "Jane" <j@x>:", "ср, 30 апр. 2025 г. в 15:19, Jane <j@x>:".
	return hasAt && endsInBracketAddr(s) && replyTime.MatchString(s) && replyDate.MatchString(s)
}

// endsWithVerb reports whether s, less a final colon, ends in one of
// replyVerbs as a whole word. It does not allocate: it runs on every line
// that ends in a colon.
func endsWithVerb(s string) bool {
	t := strings.TrimRight(s, " \t:：\u00a0\u202f")
	for _, v := range replyVerbs {
		if len(t) < len(v) || !strings.EqualFold(t[len(t)-len(v):], v) {
			continue
		}
		if r, _ := utf8.DecodeRuneInString(v); r >= 0x3000 {
			return true // CJK and Hangul verbs attach to the name
		}
		before, _ := utf8.DecodeLastRuneInString(t[:len(t)-len(v)])
		if before == utf8.RuneError || !unicode.IsLetter(before) && !unicode.IsDigit(before) {
			return true
		}
	}
	return false
}

// verbNearEnd reports whether one of replyVerbsMid is followed by at most
// 160 bytes (the sender) before the final colon. Clients write these verbs
// in lower case.
func verbNearEnd(s string) bool {
	t := replyTail(s, 200)
	for _, v := range replyVerbsMid {
		if i := strings.LastIndex(t, v); i >= 0 && len(t)-(i+len(v)) <= 160 {
			return true
		}
	}
	return false
}

// endsInBracketAddr reports whether s ends "<local@domain>" followed by at
// most 40 bytes (Japanese "のメッセージ", nothing, spaces) and the colon.
func endsInBracketAddr(s string) bool {
	gt := strings.LastIndexByte(s, '>')
	if gt < 0 || len(s)-gt > 40+len("：") || strings.IndexByte(s[gt:], '<') >= 0 {
		return false
	}
	lt := strings.LastIndexByte(s[:gt], '<')
	if lt < 0 {
		return false
	}
	addr := strings.TrimSpace(s[lt+1 : gt])
	at := strings.IndexByte(addr, '@')
	return at > 0 && at < len(addr)-1 && !strings.ContainsAny(addr, " \t<>")
}

// replyTail returns about the last n bytes of s, starting after a space so
// that a word-boundary pattern is not fooled by a cut word.
func replyTail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	t := s[len(s)-n:]
	if sp := strings.IndexByte(t, ' '); sp >= 0 {
		return t[sp:]
	}
	return t
}

// strongHeaderStart: the line opens the way reply headers open.
func strongHeaderStart(line string) bool {
	t := trimHeaderDashes(line)
	if t == "" {
		return false
	}
	r, _ := utf8.DecodeRuneInString(t)
	return unicode.IsDigit(r) || replyIntro.MatchString(t)
}

// weakHeaderStart: the line looks like the tail of a wrapped header
// ("<j@x> wrote:", "mailto:…>> wrote:", "a écrit :").
func weakHeaderStart(line string) bool {
	t := trimHeaderDashes(line)
	if t == "" {
		return true
	}
	switch t[0] {
	case '<', '(', '[', '>':
		return true
	}
	first := t
	if sp := strings.IndexAny(t, " \t"); sp >= 0 {
		first = t[:sp]
	}
	if strings.IndexByte(first, '@') >= 0 || strings.HasPrefix(strings.ToLower(first), "mailto:") {
		return true
	}
	r, _ := utf8.DecodeRuneInString(t)
	return unicode.IsLower(r) && len(t) < 40 && endsWithVerb(t)
}

// trimHeaderDashes strips blanks and the dash rules some webmails put
// around a header ("---- On … wrote ----", "--- On Wed, … wrote:").
func trimHeaderDashes(s string) string {
	return strings.Trim(s, "-–— \t")
}

// endsSentence reports whether t ends like a sentence or a header line,
// looking through closing brackets and quotes (`… Tibetans.]`).
func endsSentence(t string) bool {
	r, _ := utf8.DecodeLastRuneInString(strings.TrimRight(t, `)]"'”’»`))
	switch r {
	case '.', '!', '?', ':', '：', ';', '。':
		return true
	}
	return false
}

// isQuoteContinuation reports whether t, directly under the quoted line
// prev, is the rest of prev that a client re-wrapped without the ">": a
// long quoted line, then a line that goes on mid-sentence. A short
// question followed by an answer is not one.
func isQuoteContinuation(prev, t string) bool {
	p := strings.TrimSpace(strings.TrimLeft(prev, "> "))
	if len(p) < 50 || utf8.RuneCountInString(p) < 50 {
		return false
	}
	r, _ := utf8.DecodeRuneInString(t)
	return unicode.IsLower(r) || !endsSentence(p)
}

// isRuleLine: a line drawn with punctuation only ("-----", "====", "____").
func isRuleLine(t string) bool {
	if len(t) < 2 {
		return false
	}
	for _, r := range t {
		switch r {
		case '-', '_', '=', '*', '~', '#', '—', '–', ' ', '\t':
		default:
			return false
		}
	}
	return true
}

// stripSignOff moves a closing block at the end of the author's text
// ("Regards,\n\nJohn Doe\nCEO @ Acme") to history, when it is short and
// something of the author's remains above it.
func (sc *replyScan) stripSignOff(kinds []lineKind) {
	seen := 0
	for k := len(kinds) - 1; k >= 0 && seen < 7; k-- {
		if kinds[k] != lineAuthor {
			continue
		}
		seen++
		t := sc.trimmed[k]
		if !isSignOff(t) {
			up := strings.ToUpper(t)
			if len(t) > 80 || strings.HasPrefix(up, "P.S") || strings.HasPrefix(up, "PS") {
				return // a sentence or a postscript below: not a closing block
			}
			continue
		}
		above := false
		for m := k - 1; m >= 0 && !above; m-- {
			above = kinds[m] == lineAuthor
		}
		if !above {
			return // the closing is all there is; keep it
		}
		for m := k; m < len(kinds); m++ {
			if kinds[m] == lineAuthor {
				kinds[m] = lineHistory
			}
		}
		return
	}
}

// isSignOff reports whether t is a closing such as "Best regards," or
// "Mit freundlichen Grüßen", optionally followed on the same line by a
// name of up to three capitalised words ("Regards, Jane Doe").
func isSignOff(t string) bool {
	if len(t) > 80 {
		return false
	}
	words := strings.Fields(t)
	for n := min(len(words), 5); n >= 1; n-- {
		name := words[n:]
		if len(name) > 3 {
			break
		}
		phrase := strings.ToLower(strings.Join(words[:n], " "))
		if !replySignOffs[strings.TrimRight(phrase, ",.!")] {
			continue
		}
		for _, w := range name {
			if r, _ := utf8.DecodeRuneInString(w); !unicode.IsUpper(r) {
				return false
			}
		}
		return true
	}
	return false
}

// joinReplyLines joins the lines of one kind. Blank lines inside a run are
// kept; where lines of the other kind were removed between two runs, a
// single blank line separates them. trim drops trailing blanks per line.
func joinReplyLines(lines []string, kinds []lineKind, want lineKind, trim bool) string {
	var b strings.Builder
	size := 0
	for i, l := range lines {
		if kinds[i] == want {
			size += len(l) + 2
		}
	}
	b.Grow(size)
	started, gap := false, false
	blanks := 0
	for i, l := range lines {
		switch kinds[i] {
		case lineBlank:
			blanks++
			continue
		case want:
			if started {
				if gap {
					b.WriteString("\n\n")
				} else {
					for range blanks + 1 {
						b.WriteByte('\n')
					}
				}
			}
			if trim {
				l = strings.TrimRight(l, " \t")
			}
			b.WriteString(l)
			started, gap = true, false
		default:
			if started {
				gap = true
			}
		}
		blanks = 0
	}
	return strings.TrimRight(b.String(), " \t\n")
}
