package mail

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	netmail "net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	xunicode "golang.org/x/text/encoding/unicode"

	htmlcharset "golang.org/x/net/html/charset"
)

// Parse works on the whole message in memory (the watcher fetches it whole
// and the store keeps it whole), so it splits the MIME tree itself over
// byte slices instead of streaming it through go-message's reader. That
// reader gives up on the rest of a message at the first malformed part
// header, unparsable boundary parameter or stray line, and refuses a whole
// message whose first line is an mbox "From " line or whose header has one
// bad line; in the shared corpus that cost the parts of 18 messages (mostly
// bounces) and the whole of about 90. go-message still supplies the charset
// tables (github.com/emersion/go-message/charset), extended below.

// Limits that keep one hostile message cheap. Real mail stays far below
// them; a message past them is still parsed up to the limit, with a
// Problem saying what was skipped.
const (
	maxParts       = 1000    // MIME entities visited
	maxDepth       = 50      // multipart nesting
	maxTextKept    = 1 << 20 // bytes of body text kept in Message.Text
	maxHTMLRead    = 4 << 20 // bytes of HTML decoded for the text fallback
	maxHeaderBytes = 1 << 20 // header block of one entity
	maxProblems    = 50      // Problems kept per message
	maxIDs         = 500     // message ids kept per In-Reply-To or References
	maxReportRead  = 64 << 10
)

// SynthesizedIDDomain is the right-hand side of the Message-ID that Parse
// makes up for a message that has none.
const SynthesizedIDDomain = "synthesized.supportd"

func init() {
	// Senders label text with a charset and write its superset (or a
	// near relative); decoding with the superset is what every mail client
	// does and what the WHATWG Encoding Standard specifies. Registering here
	// also fixes these labels for every other go-message user in the
	// process (attachments, the IMAP envelope).
	aliases := []struct {
		enc    encoding.Encoding
		labels []string
	}{
		// Microsoft's CP50220 family: JIS X 0208 plus NEC/IBM extensions and
		// half-width katakana, all sent as "iso-2022-jp".
		{japanese.ISO2022JP, []string{"iso-2022-jp", "csiso2022jp", "iso-2022-jp-ms", "cp50220", "cp50221", "cp50222", "iso-2022-jp-1", "iso-2022-jp-3"}},
		{japanese.ShiftJIS, []string{"shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis", "cp932", "ms932", "windows-31j", "x-ms-cp932"}},
		{japanese.EUCJP, []string{"euc-jp", "x-euc-jp", "cseucpkdfmtjapanese", "eucjp"}},
		// GB2312 mail routinely carries GBK/GB18030 characters.
		{simplifiedchinese.GB18030, []string{"gb2312", "csgb2312", "gb_2312-80", "gbk", "x-gbk", "cp936", "ms936", "windows-936", "euc-cn", "x-euc-cn", "chinese", "gb18030"}},
		// Outlook's "ks_c_5601-1987" is really Windows-949 (UHC), which
		// x/text decodes as EUC-KR.
		{korean.EUCKR, []string{"ks_c_5601-1987", "ks_c_5601-1989", "ks_c_5601", "ksc5601", "ksc_5601", "cp949", "ms949", "windows-949", "x-windows-949", "uhc", "euc-kr", "cseuckr"}},
		{traditionalchinese.Big5, []string{"big5", "big5-hkscs", "x-big5", "cn-big5", "csbig5", "cp950"}},
		// Latin-1 labels hide Windows-1252 quotes, dashes and the euro sign.
		{charmap.Windows1252, []string{"iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "l1", "cp819", "ibm819", "iso-ir-100", "csisolatin1", "windows-1252", "cp1252", "x-ansi", "ansi"}},
		{charmap.Windows1254, []string{"iso-8859-9", "iso8859-9", "latin5", "l5"}},
		{charmap.Windows874, []string{"tis-620", "iso-8859-11", "windows-874", "cp874"}},
		{xunicode.UTF8, []string{"utf8", "unicode-1-1-utf-8", "x-unicode20utf8"}},
	}
	for _, a := range aliases {
		for _, l := range a.labels {
			charset.RegisterEncoding(l, a.enc)
		}
	}
}

// Parse reads a raw RFC 5322 message. It never fails, never panics and never
// returns nil: what cannot be read is described in Problems and the rest is
// kept, so a malformed message still becomes a ticket. MessageID is never
// empty: a message without one gets a stable id made from a hash of raw.
// Parse does not keep raw or any part of it.
func Parse(raw []byte) (m *Message) {
	m = &Message{}
	p := &parser{m: m}
	defer func() {
		// A parser bug must cost one message's details, not the watcher.
		if r := recover(); r != nil {
			p.problem(fmt.Sprintf("%s: %v", internalErrorProblem, r))
		}
		p.finish(raw)
	}()
	p.parse(raw)
	return m
}

// internalErrorProblem starts the Problem recorded when Parse recovers from
// a panic; the fuzz test treats it as a failure.
const internalErrorProblem = "internal parser error"

// parser holds the state of one Parse call.
type parser struct {
	m         *Message
	parts     int
	hint      string // the top-level charset, for raw 8-bit header bytes
	seen      map[string]bool
	textCut   bool
	depthCut  bool
	havePlain bool // a non-blank text/plain body part was found
}

func (p *parser) problem(s string) {
	if p.seen == nil {
		p.seen = make(map[string]bool)
	}
	if p.seen[s] {
		return
	}
	p.seen[s] = true
	if len(p.m.Problems) < maxProblems {
		p.m.Problems = append(p.m.Problems, strings.ToValidUTF8(s, "\uFFFD"))
	}
}

func (p *parser) parse(raw []byte) {
	b := normalizeNewlines(raw)
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF")) // a UTF-8 BOM before the first field
	h, body := p.readHeader(b, true)
	ct, params := parseParams(h.get("Content-Type"))
	if strings.Contains(ct, "/") {
		p.hint = params["charset"]
	}
	p.header(h)
	plain, html := p.entity(h, body, 0, "text/plain")
	switch {
	case strings.TrimSpace(plain) != "":
		p.m.Text = plain
	case strings.TrimSpace(html) != "":
		p.m.Text = HTMLToText(html)
		p.m.TextFromHTML = true
	}
}

// finish enforces the guarantees Parse documents, whatever happened before.
func (p *parser) finish(raw []byte) {
	m := p.m
	m.Text = cleanText(m.Text)
	if len(m.Text) > maxTextKept {
		m.Text = truncateUTF8(m.Text, maxTextKept)
		p.textCut = true
	}
	if p.textCut {
		p.problem(fmt.Sprintf("body text longer than %d bytes; the rest was not kept", maxTextKept))
	}
	if m.Text == "" {
		for _, a := range m.Attachments {
			if a.ContentType == "application/ms-tnef" || a.ContentType == "application/vnd.ms-tnef" || strings.EqualFold(a.Filename, "winmail.dat") {
				// No maintained Go TNEF decoder is available to us; the
				// agent can still open the attachment.
				p.problem("the body is probably inside the TNEF attachment " + a.Filename + ", which is not decoded")
				break
			}
		}
	}
	m.Subject = strings.ToValidUTF8(m.Subject, "\uFFFD")
	if m.MessageID == "" {
		m.MessageID = SynthesizeMessageID(raw)
		m.SynthesizedID = true
	}
}

// SynthesizeMessageID returns the id Parse gives a message that has no
// usable Message-ID: the first 128 bits of the SHA-256 of the raw bytes, so
// the same message fetched twice gets the same id and ingest stays
// idempotent (DESIGN invariant 1). It has no angle brackets.
func SynthesizeMessageID(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])[:32] + "@" + SynthesizedIDDomain
}

// normalizeNewlines turns CRLF into LF, and bare CR into LF too when the
// message uses CR alone as its line ending (classic Mac OS mail). A stray CR
// inside an otherwise LF or CRLF message is data and stays.
func normalizeNewlines(b []byte) []byte {
	if bytes.IndexByte(b, '\r') < 0 {
		return b
	}
	crlf := bytes.Count(b, []byte("\r\n"))
	loneCR := bytes.Count(b, []byte("\r")) - crlf
	loneLF := bytes.Count(b, []byte("\n")) - crlf
	out := b
	if crlf > 0 {
		out = bytes.ReplaceAll(out, []byte("\r\n"), []byte("\n"))
	}
	if loneCR > loneLF {
		if crlf == 0 {
			out = bytes.Clone(out)
		}
		for i, c := range out {
			if c == '\r' {
				out[i] = '\n'
			}
		}
	}
	return out
}

// header is one entity's fields, unfolded, keyed by canonical name, each
// list in message order (topmost first).
type header map[string][]string

func (h header) get(k string) string {
	if v := h[textproto.CanonicalMIMEHeaderKey(k)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (h header) values(k string) []string { return h[textproto.CanonicalMIMEHeaderKey(k)] }

func (h header) has(k string) bool {
	_, ok := h[textproto.CanonicalMIMEHeaderKey(k)]
	return ok
}

// readHeader splits an entity into its header and body. It accepts what
// real mail gets wrong: an mbox "From " line on top, a header key with
// spaces before the colon, a folded line that lost its indentation, a
// header that runs into the body without the blank line (RFC 5322 §2.1),
// and text with no header at all (then everything is body).
func (p *parser) readHeader(b []byte, top bool) (header, []byte) {
	if top && bytes.HasPrefix(b, []byte("From ")) {
		// The mbox envelope line (RFC 4155) is not a header field; a
		// "From  : x" field with spaces before the colon is.
		if _, _, ok := splitField(trimEOL(b[:lineEnd(b, 0)])); !ok {
			b = b[lineEnd(b, 0):]
		}
	}
	// Fields are kept as offsets into b and turned into strings at the end
	// with one conversion of the whole header block: a header is parsed
	// for every message, and this saves most of its allocations.
	type span struct{ from, to int }
	type field struct {
		key, val span
		cont     []span // continuation lines, trimmed
	}
	var fields []field
	size, full := 0, false
	tooBig := func() {
		if !full {
			p.problem(fmt.Sprintf("header larger than %d bytes; the rest of it was skipped", maxHeaderBytes))
		}
		full = true
	}
	appendLine := func(from, to int) {
		for from < to && (b[from] == ' ' || b[from] == '\t') {
			from++
		}
		for to > from && (b[to-1] == ' ' || b[to-1] == '\t') {
			to--
		}
		if len(fields) == 0 || from == to || full {
			return
		}
		if size += to - from + 1; size > maxHeaderBytes {
			tooBig()
			return
		}
		f := &fields[len(fields)-1]
		f.cont = append(f.cont, span{from, to})
	}
	var body []byte
	end, i := len(b), 0
scan:
	for i < len(b) {
		next := lineEnd(b, i)
		line := trimEOL(b[i:next])
		switch {
		case len(line) == 0:
			body, end = b[next:], i
			break scan
		case line[0] == ' ' || line[0] == '\t':
			appendLine(i, i+len(line))
		default:
			if keyEnd, valStart, ok := fieldSpan(line); ok {
				valEnd := len(line)
				for valEnd > valStart && (line[valEnd-1] == ' ' || line[valEnd-1] == '\t') {
					valEnd--
				}
				if size += keyEnd + valEnd - valStart; size > maxHeaderBytes {
					tooBig()
				}
				if !full {
					fields = append(fields, field{key: span{i, i + keyEnd}, val: span{i + valStart, i + valEnd}})
				}
				break
			}
			if !malformedIsContinuation(b, next, len(fields) > 0) {
				if len(fields) > 0 {
					p.problem("header not followed by a blank line")
				}
				body, end = b[i:], i
				break scan
			}
			p.problem(fmt.Sprintf("malformed header line %q kept as a continuation", truncateUTF8(string(line), 60)))
			appendLine(i, i+len(line))
		}
		i = next
	}
	hs := string(b[:end])
	h := make(header, len(fields))
	for _, f := range fields {
		k := textproto.CanonicalMIMEHeaderKey(hs[f.key.from:f.key.to])
		v := hs[f.val.from:f.val.to]
		if len(f.cont) > 0 {
			// Unfolding (RFC 5322 §2.2.3), joining the lines with one
			// space as go-message's textproto does.
			var sb strings.Builder
			sb.WriteString(v)
			for _, c := range f.cont {
				if sb.Len() > 0 {
					sb.WriteByte(' ')
				}
				sb.WriteString(hs[c.from:c.to])
			}
			v = sb.String()
		}
		h[k] = append(h[k], v)
	}
	return h, body
}

// malformedIsContinuation decides what a line that is neither a field nor
// indented is: the rest of the previous field (a fold that lost its
// whitespace) when a field or the end of the header follows it, or the
// start of the body when text follows.
func malformedIsContinuation(b []byte, next int, haveFields bool) bool {
	for next < len(b) {
		end := lineEnd(b, next)
		line := trimEOL(b[next:end])
		switch {
		case len(line) == 0:
			return haveFields
		case line[0] == ' ' || line[0] == '\t':
			next = end
			continue
		}
		_, _, ok := splitField(line)
		return ok
	}
	return false
}

// splitField splits "Key: value". The key must be printable ASCII without
// spaces (RFC 5322 §2.2), but spaces before the colon are tolerated.
func splitField(line []byte) (string, string, bool) {
	keyEnd, valStart, ok := fieldSpan(line)
	if !ok {
		return "", "", false
	}
	return string(line[:keyEnd]), string(bytes.TrimSpace(line[valStart:])), true
}

// fieldSpan finds the key (line[:keyEnd]) and the start of the value of a
// header field line.
func fieldSpan(line []byte) (keyEnd, valStart int, ok bool) {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return 0, 0, false
	}
	keyEnd = colon
	for keyEnd > 0 && (line[keyEnd-1] == ' ' || line[keyEnd-1] == '\t') {
		keyEnd--
	}
	if keyEnd == 0 {
		return 0, 0, false
	}
	for _, c := range line[:keyEnd] {
		if c < 33 || c > 126 {
			return 0, 0, false
		}
	}
	valStart = colon + 1
	for valStart < len(line) && (line[valStart] == ' ' || line[valStart] == '\t') {
		valStart++
	}
	return keyEnd, valStart, true
}

func lineEnd(b []byte, i int) int {
	if j := bytes.IndexByte(b[i:], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(b)
}

func trimEOL(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r"))
}

// listOtherFields are the list headers besides List-Id, List-Unsubscribe
// and List-Post that mark mailing-list traffic: the rest of RFC 2369 and
// the fields of list managers that predate it (ezmlm, fml, Yahoo Groups).
var listOtherFields = []string{"List-Subscribe", "List-Help", "List-Owner", "List-Archive",
	"Mailing-List", "X-Mailing-List", "X-ML-Name", "X-MLServer"}

// header fills the message fields that come from the top-level header.
func (p *parser) header(h header) {
	m := p.m
	if a := p.addresses(h, "From", true); len(a) > 0 {
		m.From = a[0]
	}
	if a := p.addresses(h, "Sender", true); len(a) > 0 {
		m.Sender = a[0]
	}
	m.To = p.addresses(h, "To", false)
	m.Cc = p.addresses(h, "Cc", false)
	m.ReplyTo = p.addresses(h, "Reply-To", false)
	m.Subject = p.text(h.get("Subject"))
	if v := h.get("Date"); v != "" {
		if t, ok := parseDate(v); ok {
			m.Date = t
		} else {
			p.problem(fmt.Sprintf("Date %q not understood", truncateUTF8(v, 80)))
		}
	}
	m.MessageID = messageID(h.get("Message-Id"))
	m.InReplyTo = p.idList(h, "In-Reply-To")
	m.References = p.idList(h, "References")
	m.DeliveredTo = envelopeAddrs(h.values("Delivered-To"))
	m.XOriginalTo = envelopeAddrs(h.values("X-Original-To"))

	// The loop headers are kept verbatim, only made valid UTF-8 so that
	// they can be logged and stored.
	get := func(k string) string { return strings.ToValidUTF8(h.get(k), "\uFFFD") }
	l := &m.Loop
	l.AutoSubmitted = get("Auto-Submitted")
	l.Precedence = get("Precedence")
	l.ListID = get("List-Id")
	l.ListUnsubscribe = get("List-Unsubscribe")
	l.ListPost = get("List-Post")
	for _, k := range listOtherFields {
		if v := get(k); v != "" {
			l.ListOther = k + ": " + v
			break
		}
	}
	l.HasReturnPath = h.has("Return-Path")
	l.ReturnPath = get("Return-Path")
	l.XAutoreply = get("X-Autoreply")
	l.XAutorespond = get("X-Autorespond")
	l.XAutoResponseSupp = get("X-Auto-Response-Suppress")
	l.XSpamFlag = get("X-Spam-Flag")
	l.XSpamStatus = get("X-Spam-Status")
	l.XFailedRecipients = strings.ToValidUTF8(strings.Join(h.values("X-Failed-Recipients"), ", "), "\uFFFD")
	// Topmost first: the one our own MTA added (RFC 8601 §5).
	for _, v := range h.values("Authentication-Results") {
		l.AuthenticationRes = append(l.AuthenticationRes, strings.ToValidUTF8(v, "\uFFFD"))
	}
	if ct, params := parseParams(h.get("Content-Type")); ct != "" {
		l.ContentType = strings.ToValidUTF8(ct, "\uFFFD")
		l.ReportType = strings.ToValidUTF8(strings.ToLower(params["report-type"]), "\uFFFD")
	}
}

// entity walks one MIME entity and returns its readable text: the plain
// text and the HTML it offers as the message body. Everything else is
// recorded in m.Attachments.
func (p *parser) entity(h header, body []byte, depth int, defType string) (plain, html string) {
	p.parts++
	if p.parts > maxParts {
		p.problem(fmt.Sprintf("more than %d MIME parts; the rest were skipped", maxParts))
		return "", ""
	}
	mt, params := mediaType(h.get("Content-Type"), defType)
	if strings.HasPrefix(mt, "multipart/") {
		if depth >= maxDepth {
			if !p.depthCut {
				p.depthCut = true
				p.problem(fmt.Sprintf("MIME parts nested deeper than %d; the inner ones were skipped", maxDepth))
			}
			return "", ""
		}
		boundary := params["boundary"]
		parts, closed := splitMultipart(body, boundary)
		if len(parts) == 0 {
			if g := guessBoundary(body); g != "" && g != boundary {
				p.problem(fmt.Sprintf("%s without a usable boundary; split at %q", mt, truncateUTF8(g, 70)))
				parts, closed = splitMultipart(body, g)
			}
		}
		if len(parts) == 0 {
			if len(bytes.TrimSpace(body)) > 0 {
				// Keep the words: a "multipart" that isn't is read as text.
				p.problem(mt + " without parts; its body was read as text")
				return p.leaf(h, body, depth, "text/plain", nil)
			}
			return "", ""
		}
		if !closed {
			p.problem(mt + " without its closing boundary (truncated?)")
		}
		child := "text/plain"
		if mt == "multipart/digest" {
			child = "message/rfc822" // RFC 2046 §5.1.5
		}
		var plains, htmls []string
		for _, part := range parts {
			ph, pb := p.readHeader(part, false)
			pl, ht := p.entity(ph, pb, depth+1, child)
			plains = append(plains, pl)
			htmls = append(htmls, ht)
			if p.parts > maxParts {
				break
			}
		}
		if mt == "multipart/alternative" {
			// RFC 2046 §5.1.4: each part is the same content; we prefer
			// plain text and keep the HTML only for the fallback.
			return firstNonBlank(plains), firstNonBlank(htmls)
		}
		// Mixed, related, report, signed and unknown multiparts: the body
		// is every inline text part in order (Apple Mail splits text around
		// inline images).
		return joinNonBlank(plains, maxTextKept), joinNonBlank(htmls, maxHTMLRead)
	}
	return p.leaf(h, body, depth, mt, params)
}

// leaf handles a non-multipart entity: a body text or an attachment.
func (p *parser) leaf(h header, body []byte, depth int, mt string, params map[string]string) (plain, html string) {
	disp, dparams := parseParams(h.get("Content-Disposition"))
	filename := p.filename(dparams, params)
	cte := h.get("Content-Transfer-Encoding")
	if mt == "text/plain" || mt == "text/html" {
		// The top-level text is the body whatever it is called; below it a
		// text part is body unless it is an attachment: disposition
		// attachment, or a file name without an explicit "inline"
		// (RFC 2183 §2.1-2.3).
		if depth == 0 || (disp != "attachment" && (filename == "" || disp == "inline")) {
			limit := maxTextKept
			if mt == "text/html" {
				if p.havePlain {
					// Plain text wins wherever it is, so this HTML
					// would be decoded for nothing.
					return "", ""
				}
				limit = maxHTMLRead
			}
			data, cut := p.transferDecode(cte, body, limit)
			if cut {
				p.textCut = true
			}
			cs := params["charset"]
			if mt == "text/html" && cs == "" && !utf8.Valid(data) {
				// An HTML part may name its charset only in a <meta> tag.
				if _, name, _ := htmlcharset.DetermineEncoding(data, "text/html"); name != "" {
					cs = name
				}
			}
			s := p.decodeCharset(data, cs)
			if mt == "text/html" {
				return "", s
			}
			if strings.EqualFold(params["format"], "flowed") {
				s = unflow(s, strings.EqualFold(params["delsp"], "yes"))
			}
			if strings.TrimSpace(s) != "" {
				p.havePlain = true
			}
			return s, ""
		}
	}
	switch mt {
	case "message/delivery-status", "message/global-delivery-status",
		"message/disposition-notification", "message/global-disposition-notification",
		"message/feedback-report":
		// The machine-readable parts of RFC 3464, RFC 8098, RFC 6533 and
		// RFC 5965 reports: proof that this is a report, even when the
		// top-level type says otherwise.
		if p.m.Loop.ReportPart == "" {
			p.m.Loop.ReportPart = mt
		}
		if mt == "message/feedback-report" && p.m.Loop.FeedbackType == "" {
			data, _ := p.transferDecode(cte, body, maxReportRead)
			p.m.Loop.FeedbackType = strings.ToValidUTF8(feedbackType(data), "\uFFFD")
		}
	}
	if filename == "" {
		filename = p.defaultName(mt, cte, body)
	}
	p.m.Attachments = append(p.m.Attachments, Attachment{
		Filename:    filename,
		ContentType: mt,
		Size:        p.decodedSize(cte, body),
	})
	return "", ""
}

// unflow undoes format=flowed (RFC 3676 §4.2): a line ending in a space
// continues on the next line of the same quote depth. Space-stuffing is
// removed (§4.4), "-- " stays a signature separator (§4.3), and with
// DelSp=yes the trailing space itself is deleted (§4.1). Quoted lines keep
// one ">" per level and a space.
func unflow(s string, delsp bool) string {
	var out strings.Builder
	out.Grow(len(s))
	var cur strings.Builder
	depth, open := 0, false
	flush := func() {
		if !open {
			return
		}
		if out.Len() > 0 {
			out.WriteByte('\n')
		}
		if depth > 0 {
			out.WriteString(strings.Repeat(">", depth) + " ")
		}
		out.WriteString(cur.String())
		cur.Reset()
		open = false
	}
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSuffix(l, "\r")
		d := 0
		for d < len(l) && l[d] == '>' {
			d++
		}
		content := strings.TrimPrefix(l[d:], " ")
		if open && d != depth {
			flush() // a change of quote depth ends a paragraph (§4.5)
		}
		flowed := strings.HasSuffix(content, " ") && content != "-- "
		if flowed && delsp {
			content = content[:len(content)-1]
		}
		cur.WriteString(content)
		depth, open = d, true
		if !flowed {
			flush()
		}
	}
	flush()
	return out.String()
}

// feedbackType reads the Feedback-Type field of an RFC 5965 report part.
func feedbackType(b []byte) string {
	for len(b) > 0 {
		end := lineEnd(b, 0)
		if k, v, ok := splitField(trimEOL(b[:end])); ok && strings.EqualFold(k, "Feedback-Type") {
			return strings.ToLower(v)
		}
		b = b[end:]
	}
	return ""
}

// defaultName names an attachment that came without a file name, so agents
// see something meaningful: an attached message by its subject.
func (p *parser) defaultName(mt, cte string, body []byte) string {
	if mt == "message/rfc822" || mt == "message/global" {
		data, _ := p.transferDecode(cte, body, 256<<10)
		q := parser{m: &Message{}} // its Problems are not ours
		h, _ := q.readHeader(data, true)
		if s := strings.Map(safeFilenameRune, q.text(h.get("Subject"))); strings.TrimSpace(s) != "" {
			return truncateUTF8(strings.TrimSpace(s), 100) + ".eml"
		}
		return "message.eml"
	}
	ext := ".bin"
	switch mt {
	case "text/plain", "text/rfc822-headers", "message/delivery-status", "message/global-delivery-status",
		"message/disposition-notification", "message/feedback-report":
		ext = ".txt"
	case "text/html":
		ext = ".html"
	case "text/calendar":
		ext = ".ics"
	case "image/png":
		ext = ".png"
	case "image/jpeg":
		ext = ".jpg"
	case "image/gif":
		ext = ".gif"
	case "application/pdf":
		ext = ".pdf"
	case "application/ms-tnef", "application/vnd.ms-tnef":
		ext = ".dat"
	}
	return fmt.Sprintf("part%d%s", p.parts, ext)
}

// safeFilenameRune drops characters a file name must not carry.
func safeFilenameRune(r rune) rune {
	switch {
	case r == '/' || r == '\\' || r == 0:
		return '_'
	case unicode.IsControl(r):
		return -1
	}
	return r
}

// filename returns an attachment's name: Content-Disposition filename
// (RFC 2183, with RFC 2231 encoding), else the Content-Type name parameter,
// decoded also from the RFC 2047 words that many clients put there.
func (p *parser) filename(dparams, params map[string]string) string {
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	if name == "" {
		return ""
	}
	name = p.text(name)
	// Keep the last path element: some clients send "C:\Users\…\file.doc".
	if i := strings.LastIndexAny(name, `/\`); i >= 0 && i < len(name)-1 {
		name = name[i+1:]
	}
	return strings.TrimSpace(strings.Map(safeFilenameRune, name))
}

// splitMultipart splits a multipart body at its boundary (RFC 2046 §5.1.1).
// The preamble and epilogue are dropped. closed reports whether the closing
// delimiter was found; without it the last part runs to the end.
func splitMultipart(body []byte, boundary string) (parts [][]byte, closed bool) {
	if boundary == "" {
		return nil, false
	}
	delim := []byte("--" + boundary)
	start := -1
	pos := 0
	for pos < len(body) {
		j := bytes.Index(body[pos:], delim)
		if j < 0 {
			break
		}
		idx := pos + j
		if idx > 0 && body[idx-1] != '\n' {
			pos = idx + 1
			continue
		}
		end := lineEnd(body, idx)
		rest := bytes.TrimRight(trimEOL(body[idx+len(delim):end]), " \t")
		isClose := false
		switch {
		case len(rest) == 0:
		case len(bytes.Trim(rest, "-")) == 0:
			// "--boundary--", and the "--boundary-" some generators write.
			isClose = true
		default:
			// A longer boundary that starts with ours (a nested part).
			pos = idx + 1
			continue
		}
		if start >= 0 {
			stop := idx
			if stop > start {
				stop-- // the line break before the delimiter belongs to it
			}
			parts = append(parts, body[start:stop])
			if len(parts) > maxParts {
				return parts, false
			}
		}
		if isClose {
			return parts, true
		}
		start = end
		pos = end
	}
	if start >= 0 {
		parts = append(parts, body[start:])
	}
	return parts, false
}

// guessBoundary finds a delimiter line in a multipart body whose declared
// boundary is missing or wrong: a "--token" line followed by a MIME field.
func guessBoundary(body []byte) string {
	for i := 0; i < len(body); {
		end := lineEnd(body, i)
		line := trimEOL(body[i:end])
		if len(line) > 3 && line[0] == '-' && line[1] == '-' && end < len(body) {
			next := trimEOL(body[end:lineEnd(body, end)])
			if k, _, ok := splitField(next); ok && strings.HasPrefix(strings.ToLower(k), "content-") {
				return string(bytes.TrimRight(line[2:], " \t"))
			}
		}
		i = end
	}
	return ""
}

func firstNonBlank(ss []string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

func joinNonBlank(ss []string, limit int) string {
	var b strings.Builder
	for _, s := range ss {
		if strings.TrimSpace(s) == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		if b.Len()+len(s) > limit {
			b.WriteString(truncateUTF8(s, max(0, limit-b.Len())))
			break
		}
		b.WriteString(s)
	}
	return b.String()
}

// mediaType returns an entity's lower-case media type and parameters,
// applying the RFC 2045 §5.2 default when the field is missing and
// repairing a type without a subtype.
func mediaType(v, def string) (string, map[string]string) {
	mt, params := parseParams(v)
	switch {
	case mt == "":
		return def, params
	case mt == "text":
		mt = "text/plain"
	case !strings.Contains(mt, "/"):
		// "Content-Type: application" and the like (RFC 2045 §5.2 says to
		// treat an invalid type as the default; for non-text data
		// application/octet-stream keeps it an attachment).
		mt = "application/octet-stream"
	}
	return mt, params
}

var paramRE = regexp.MustCompile(`;\s*([^\s=;"]+)\s*=\s*("(?:[^"\\]|\\.)*"?|[^;]*)`)

// parseParams parses a Content-Type or Content-Disposition value into its
// lower-case token and parameters. Go's mime.ParseMediaType (which decodes
// RFC 2231) is tried first; when it refuses the value (an unquoted
// boundary with "=", a stray semicolon, a duplicate parameter) the
// parameters are read leniently instead.
func parseParams(v string) (string, map[string]string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	if mt, params, err := mime.ParseMediaType(v); err == nil {
		return strings.ToLower(mt), params
	}
	token, rest, _ := strings.Cut(v, ";")
	token = strings.ToLower(strings.TrimSpace(token))
	token = strings.Join(strings.Fields(token), "")
	params := map[string]string{}
	ext := map[string]map[int]string{} // RFC 2231 continuations: name -> index -> value
	extEnc := map[string]bool{}
	for _, m := range paramRE.FindAllStringSubmatch(";"+rest, 100) {
		name := strings.ToLower(m[1])
		val := strings.TrimSpace(m[2])
		if strings.HasPrefix(val, `"`) {
			val = strings.TrimSuffix(strings.TrimPrefix(val, `"`), `"`)
			val = strings.ReplaceAll(val, `\"`, `"`)
			val = strings.ReplaceAll(val, `\\`, `\`)
		}
		base, idx, enc := splitRFC2231(name)
		if idx < 0 && !enc {
			if _, dup := params[name]; !dup {
				params[name] = val
			}
			continue
		}
		if ext[base] == nil {
			ext[base] = map[int]string{}
		}
		if idx < 0 {
			idx = 0
		}
		ext[base][idx] = val
		if enc && idx == 0 {
			extEnc[base] = true
		}
	}
	for base, pieces := range ext {
		var sb strings.Builder
		for i := 0; i < len(pieces) && i < 100; i++ {
			sb.WriteString(pieces[i])
		}
		val := sb.String()
		if extEnc[base] {
			val = decodeRFC2231(val)
		}
		params[base] = val
	}
	return token, params
}

// splitRFC2231 splits "name*1*" into its base name, index (-1 if none) and
// whether the value is charset-encoded (RFC 2231 §3-4).
func splitRFC2231(name string) (string, int, bool) {
	base, rest, ok := strings.Cut(name, "*")
	if !ok {
		return name, -1, false
	}
	enc := strings.HasSuffix(rest, "*") || rest == ""
	rest = strings.TrimSuffix(rest, "*")
	idx := -1
	if rest != "" {
		n := 0
		for _, c := range rest {
			if c < '0' || c > '9' {
				return name, -1, false
			}
			n = n*10 + int(c-'0')
			if n > 1000 {
				return name, -1, false
			}
		}
		idx = n
	}
	return base, idx, enc
}

// decodeRFC2231 decodes charset'language'percent-encoded-text.
func decodeRFC2231(v string) string {
	parts := strings.SplitN(v, "'", 3)
	if len(parts) != 3 {
		return v
	}
	var b []byte
	s := parts[2]
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	s, _ = decodeText(b, parts[0])
	return s
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// transferEncoding reads a Content-Transfer-Encoding value the way mail
// clients do: "Quoted-Printable;", "quoted printable", "7-bit" all happen.
// known is false for an encoding we cannot undo (x-uuencode, garbage).
func transferEncoding(v string) (enc string, known bool) {
	v = strings.ToLower(strings.TrimSpace(v))
	switch {
	case strings.Contains(v, "base64"):
		return "base64", true
	case strings.Contains(v, "quoted"):
		return "quoted-printable", true
	}
	v = strings.Trim(v, " \t;\"'")
	switch v {
	case "", "7bit", "8bit", "binary", "7-bit", "8-bit", "7bits", "8bits", "none":
		return "identity", true
	}
	return v, false
}

// transferDecode undoes the transfer encoding of body, keeping at most limit
// bytes; cut reports that more were there. An unknown encoding leaves the
// bytes as they are, with a Problem.
func (p *parser) transferDecode(cte string, body []byte, limit int) (data []byte, cut bool) {
	enc, known := transferEncoding(cte)
	if !known {
		p.problem(fmt.Sprintf("unknown Content-Transfer-Encoding %q; the part was kept as it is", truncateUTF8(cte, 40)))
	}
	switch enc {
	case "base64", "quoted-printable":
		out := make([]byte, 0, min(len(body), limit))
		emit := func(chunk []byte) bool {
			if room := limit - len(out); len(chunk) > room {
				out = append(out, chunk[:room]...)
				cut = true
				return false
			}
			out = append(out, chunk...)
			return true
		}
		if enc == "base64" {
			decodeBase64(body, emit)
		} else {
			decodeQP(body, emit)
		}
		return out, cut
	}
	if len(body) > limit {
		return body[:limit], true
	}
	return body, false
}

// decodedSize counts the bytes an attachment decodes to, without keeping
// them (DESIGN invariant 7).
func (p *parser) decodedSize(cte string, body []byte) int64 {
	var n int64
	count := func(chunk []byte) bool { n += int64(len(chunk)); return true }
	switch enc, _ := transferEncoding(cte); enc {
	case "base64":
		decodeBase64(body, count)
	case "quoted-printable":
		decodeQP(body, count)
	default:
		n = int64(len(body))
	}
	return n
}

func base64Value(c byte) (byte, bool) {
	switch {
	case 'A' <= c && c <= 'Z':
		return c - 'A', true
	case 'a' <= c && c <= 'z':
		return c - 'a' + 26, true
	case '0' <= c && c <= '9':
		return c - '0' + 52, true
	case c == '+':
		return 62, true
	case c == '/':
		return 63, true
	}
	return 0, false
}

// decodeBase64 decodes base64 leniently, handing the output to emit in
// chunks until emit returns false. Characters outside the alphabet are
// ignored (RFC 2045 §6.8) and "=" ends a group, so bodies made of several
// separately encoded pieces still decode.
func decodeBase64(src []byte, emit func([]byte) bool) {
	var buf [3 * 1024]byte
	o := 0
	var acc uint32
	n := 0
	flushGroup := func() {
		switch n {
		case 2:
			buf[o] = byte(acc >> 4)
			o++
		case 3:
			buf[o] = byte(acc >> 10)
			buf[o+1] = byte(acc >> 2)
			o += 2
		}
		acc, n = 0, 0
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c == '=' {
			// Padding ends the data. Some bodies are several encodings
			// glued together, each on its own lines, so decoding goes on
			// at the next line; the rest of this one is junk.
			flushGroup()
			if j := bytes.IndexByte(src[i:], '\n'); j >= 0 {
				i += j
			} else {
				break
			}
			continue
		}
		v, ok := base64Value(c)
		if !ok {
			continue
		}
		acc = acc<<6 | uint32(v)
		n++
		if n == 4 {
			buf[o] = byte(acc >> 16)
			buf[o+1] = byte(acc >> 8)
			buf[o+2] = byte(acc)
			o += 3
			acc, n = 0, 0
			if o > len(buf)-3 {
				if !emit(buf[:o]) {
					return
				}
				o = 0
			}
		}
	}
	flushGroup()
	if o > 0 {
		emit(buf[:o])
	}
}

// decodeQP decodes quoted-printable (RFC 2045 §6.7) leniently: a "=" not
// followed by two hex digits or a line break is kept as it is, and a soft
// line break may have trailing white space.
func decodeQP(src []byte, emit func([]byte) bool) {
	for len(src) > 0 {
		i := bytes.IndexByte(src, '=')
		if i < 0 {
			emit(src)
			return
		}
		if i > 0 && !emit(src[:i]) {
			return
		}
		src = src[i:]
		switch {
		case len(src) >= 3 && isHex(src[1]) && isHex(src[2]):
			if !emit([]byte{unhex(src[1])<<4 | unhex(src[2])}) {
				return
			}
			src = src[3:]
			continue
		}
		// A soft line break: "=" then optional white space then EOL or EOF.
		j := 1
		for j < len(src) && (src[j] == ' ' || src[j] == '\t' || src[j] == '\r') {
			j++
		}
		if j == len(src) {
			return
		}
		if src[j] == '\n' {
			src = src[j+1:]
			continue
		}
		if !emit(src[:1]) {
			return
		}
		src = src[1:]
	}
}

// decodeCharset converts decoded body bytes to UTF-8, noting a charset it
// had to guess.
func (p *parser) decodeCharset(b []byte, label string) string {
	s, ok := decodeText(b, label)
	if !ok {
		p.problem(fmt.Sprintf("unknown charset %q; text read as UTF-8 or Windows-1252", truncateUTF8(label, 40)))
	}
	return s
}

// decodeText converts b from the charset named by label to UTF-8. ok is
// false when the label is unknown: then b is read as UTF-8 if it is valid
// and as Windows-1252 (the charset unlabelled 8-bit mail is most often in)
// if not.
func decodeText(b []byte, label string) (s string, ok bool) {
	label = strings.ToLower(strings.Trim(strings.TrimSpace(label), `"' `))
	if i := strings.IndexByte(label, '*'); i >= 0 {
		label = label[:i] // RFC 2231 §5 language suffix
	}
	switch label {
	case "", "utf-8", "us-ascii", "ascii", "utf8", "ansi_x3.4-1968", "iso-646-us", "us", "default", "x-unknown", "unknown-8bit", "x-user-defined":
		return guessText(b), true
	case "utf-7", "unicode-1-1-utf-7", "csunicode11utf7", "x-utf-7":
		return decodeUTF7(b), true
	case "iso-2022-jp", "iso-2022-kr", "iso-2022-cn", "hz-gb-2312", "csiso2022jp":
		// 7-bit charsets: 8-bit bytes mean the label is wrong, and the
		// usual truth is UTF-8.
		if !isASCII(b) && utf8.Valid(b) {
			return string(b), true
		}
	case "iso-8859-1", "windows-1252", "latin1", "cp1252":
		// UTF-8 labelled Latin-1 is common, while Latin-1 text that
		// happens to be valid UTF-8 with multi-byte sequences ("Ã©") is
		// vanishingly rare.
		if !isASCII(b) && utf8.Valid(b) {
			return string(b), true
		}
	}
	if isASCII(b) && !strings.Contains(label, "2022") && !strings.Contains(label, "utf-16") &&
		!strings.Contains(label, "utf-32") && !strings.HasPrefix(label, "ucs") && !strings.HasPrefix(label, "hz") {
		return string(b), true // every ASCII-compatible charset agrees on ASCII
	}
	r, err := charset.Reader(label, bytes.NewReader(b))
	if err != nil {
		return guessText(b), false
	}
	out, err := io.ReadAll(r)
	if err != nil && len(out) == 0 {
		return guessText(b), false
	}
	return string(out), true
}

// guessText reads unlabelled (or UTF-8 labelled) bytes: UTF-8 when valid,
// ISO-2022-JP when it has that charset's escape sequences, UTF-8 with
// replacement characters when it is mostly UTF-8 with a few bad bytes (a
// truncated or damaged part), Windows-1252 otherwise.
func guessText(b []byte) string {
	if utf8.Valid(b) {
		if bytes.Contains(b, []byte("\x1b$B")) || bytes.Contains(b, []byte("\x1b$@")) {
			if out, err := japanese.ISO2022JP.NewDecoder().Bytes(b); err == nil {
				return string(out)
			}
		}
		return string(b)
	}
	if multi, bad := utf8Share(b); multi > bad {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	out, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(out)
}

// utf8Share counts the valid multi-byte UTF-8 sequences and the bytes that
// are not UTF-8 in b.
func utf8Share(b []byte) (multi, bad int) {
	for len(b) > 0 {
		if b[0] < utf8.RuneSelf {
			b = b[1:]
			continue
		}
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			bad++
			b = b[1:]
			continue
		}
		multi++
		b = b[size:]
	}
	return multi, bad
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// decodeUTF7 decodes RFC 2152 UTF-7, which Outlook still uses for some
// delivery reports and x/text does not implement: "+" starts a run of
// modified base64 holding UTF-16BE, "-" (or any non-base64 byte) ends it,
// and "+-" is a literal plus.
func decodeUTF7(b []byte) string {
	var out strings.Builder
	for i := 0; i < len(b); i++ {
		if b[i] != '+' {
			out.WriteByte(b[i])
			continue
		}
		j := i + 1
		for j < len(b) {
			if _, ok := base64Value(b[j]); !ok {
				break
			}
			j++
		}
		if j == i+1 {
			out.WriteByte('+')
		} else {
			var raw []byte
			decodeBase64(b[i+1:j], func(c []byte) bool { raw = append(raw, c...); return true })
			units := make([]uint16, len(raw)/2)
			for k := range units {
				units[k] = uint16(raw[2*k])<<8 | uint16(raw[2*k+1])
			}
			out.WriteString(string(utf16.Decode(units)))
		}
		i = j - 1
		if j < len(b) && b[j] == '-' {
			i = j // the terminating "-" is absorbed
		}
	}
	return strings.ToValidUTF8(out.String(), "\uFFFD")
}

// text decodes an unstructured header value (Subject, a file name) to
// UTF-8: raw 8-bit bytes as the message's charset (or UTF-8/Windows-1252),
// then RFC 2047 encoded words; control characters become spaces.
func (p *parser) text(v string) string {
	v = decodeWords(p.raw8bit(v))
	v = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, v)
	return strings.TrimSpace(v)
}

// raw8bit turns a header value that carries raw bytes (no encoded words,
// against RFC 5322 but common) into UTF-8. RFC 6532 UTF-8 passes as is.
func (p *parser) raw8bit(v string) string {
	if isASCII([]byte(v)) && !strings.Contains(v, "\x1b") {
		return v
	}
	b := []byte(v)
	if !utf8.Valid(b) && p.hint != "" {
		if s, ok := decodeText(b, p.hint); ok {
			return s
		}
	}
	return guessText(b)
}

var encodedWordRE = regexp.MustCompile(`=\?([^?\s]{1,75})\?([bBqQ])\?([^?]*)\?=`)

// decodeWords decodes RFC 2047 encoded words. Unlike mime.WordDecoder it
// joins adjacent words of one charset before converting them, because
// encoders split multi-byte characters across words; it tolerates words
// inside quoted strings and unknown charsets; and it never fails: a word it
// cannot decode stays as written.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	ms := encodedWordRE.FindAllStringSubmatchIndex(s, -1)
	if len(ms) == 0 {
		return s
	}
	var out strings.Builder
	var pend []byte
	pendCS := ""
	flush := func() {
		if len(pend) > 0 {
			t, _ := decodeText(pend, pendCS)
			out.WriteString(t)
			pend = pend[:0]
		}
	}
	last, prevWord := 0, false
	for _, m := range ms {
		gap := s[last:m[0]]
		// RFC 2047 §6.2: white space between adjacent encoded words is
		// not displayed.
		if !prevWord || strings.TrimSpace(gap) != "" {
			flush()
			out.WriteString(gap)
		}
		cs := strings.ToLower(s[m[2]:m[3]])
		if i := strings.IndexByte(cs, '*'); i >= 0 {
			cs = cs[:i]
		}
		data, ok := decodeWordText(s[m[4]:m[5]], s[m[6]:m[7]])
		if !ok {
			flush()
			out.WriteString(s[m[0]:m[1]])
			last, prevWord = m[1], false
			continue
		}
		if cs != pendCS {
			flush()
			pendCS = cs
		}
		pend = append(pend, data...)
		last, prevWord = m[1], true
	}
	flush()
	out.WriteString(s[last:])
	return out.String()
}

func decodeWordText(enc, text string) ([]byte, bool) {
	if enc == "b" || enc == "B" {
		var out []byte
		decodeBase64([]byte(text), func(c []byte) bool { out = append(out, c...); return true })
		return out, len(out) > 0 || text == ""
	}
	var out []byte
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '_':
			out = append(out, ' ')
		case c == '=' && i+2 < len(text) && isHex(text[i+1]) && isHex(text[i+2]):
			out = append(out, unhex(text[i+1])<<4|unhex(text[i+2]))
			i += 2
		default:
			out = append(out, c)
		}
	}
	return out, true
}

// wordDecoder is net/mail's hook for encoded words in addresses; it never
// fails on an unknown charset (the bytes are guessed instead).
var wordDecoder = &mime.WordDecoder{CharsetReader: func(label string, input io.Reader) (io.Reader, error) {
	b, err := io.ReadAll(io.LimitReader(input, 64<<10))
	if err != nil {
		return nil, err
	}
	s, _ := decodeText(b, label)
	return strings.NewReader(s), nil
}}

// addresses reads an address-list field. net/mail's RFC 5322 parser is
// tried first; a field it refuses is read leniently, so "Jane Doe
// jane@example.com" or an unquoted comma still yields the address.
// With first set (From, Sender) the first field that parses wins, then the
// first that yields anything leniently; otherwise repeated fields merge.
func (p *parser) addresses(h header, key string, first bool) []Address {
	var out, fallback []Address
	var fallbackProblem string
	for _, v := range h.values(key) {
		v = p.raw8bit(v)
		if strings.TrimSpace(v) == "" {
			continue
		}
		var got []Address
		list, err := (&netmail.AddressParser{WordDecoder: wordDecoder}).ParseList(v)
		if err == nil {
			for _, a := range list {
				if a := makeAddress(a.Name, a.Address); a.Addr != "" {
					got = append(got, a)
				}
			}
			if first && len(got) > 0 {
				return got[:1]
			}
			out = append(out, got...)
			continue
		}
		// Lenient entries may lack an address ("MAILER-DAEMON <>"); only
		// From and Sender keep such a name, for classification.
		var named []Address
		for _, a := range lenientAddresses(v) {
			if a.Addr != "" {
				got = append(got, a)
			} else {
				named = append(named, a)
			}
		}
		prob := fmt.Sprintf("%s %q is not RFC 5322 (%v); read leniently", key, truncateUTF8(v, 80), err)
		if len(got) == 0 {
			prob = fmt.Sprintf("%s %q has no address", key, truncateUTF8(v, 80))
			got = named
		}
		if first {
			if fallback == nil && len(got) > 0 || fallbackProblem == "" {
				fallback, fallbackProblem = got, prob
			}
			continue
		}
		p.problem(prob)
		for _, a := range got {
			if a.Addr != "" {
				out = append(out, a)
			}
		}
	}
	if first && fallbackProblem != "" {
		p.problem(fallbackProblem)
		if len(fallback) > 0 {
			return fallback[:1]
		}
	}
	return out
}

// makeAddress cleans a parsed address: encoded words left in the name
// (inside quotes, where RFC 2047 does not allow them) are decoded and the
// domain is lower-cased (RFC 5321 §2.4: domains are case-insensitive).
func makeAddress(name, addr string) Address {
	name = strings.TrimSpace(decodeWords(name))
	name = strings.Trim(name, `"' `)
	addr = strings.Trim(strings.TrimSpace(addr), "<>")
	if at := strings.LastIndexByte(addr, '@'); at >= 0 {
		addr = addr[:at+1] + strings.ToLower(addr[at+1:])
	}
	if name == addr {
		name = ""
	}
	return Address{Name: strings.ToValidUTF8(name, "\uFFFD"), Addr: strings.ToValidUTF8(addr, "\uFFFD")}
}

var addrSpecRE = regexp.MustCompile(`[^\s<>()\[\]",;:@]+@[^\s<>()\[\]",;:@]+`)

// lenientAddresses finds the addresses in a field net/mail refused. It
// splits at commas outside quotes and brackets, takes "<…>" or a bare
// addr-spec from each piece, and the rest as the display name. A piece
// that is one word without "@" (MAILER-DAEMON) is kept as a local address.
func lenientAddresses(v string) []Address {
	var out []Address
	for _, piece := range splitAddressList(v) {
		piece = strings.TrimSpace(piece)
		// A group: "Friends: a@x, b@y;" (RFC 5322 §3.4).
		if i := strings.IndexByte(piece, ':'); i >= 0 && !strings.ContainsAny(piece[:i], `"<@`) {
			piece = strings.TrimSpace(piece[i+1:])
		}
		piece = strings.TrimSpace(strings.TrimSuffix(piece, ";"))
		if piece == "" {
			continue
		}
		var name, addr string
		if lt := strings.IndexByte(piece, '<'); lt >= 0 {
			gt := strings.IndexByte(piece[lt:], '>')
			if gt < 0 {
				gt = len(piece) - lt
			}
			addr = strings.TrimSpace(piece[lt+1 : lt+gt])
			name = piece[:lt] + " " + piece[min(len(piece), lt+gt+1):]
		} else if loc := addrSpecRE.FindStringIndex(piece); loc != nil {
			addr = piece[loc[0]:loc[1]]
			name = piece[:loc[0]] + " " + piece[loc[1]:]
		} else if f := strings.Fields(dateCommentRE.ReplaceAllString(piece, " ")); len(f) == 1 && !strings.Contains(f[0], `"`) {
			// One word and perhaps a comment: "MAILER-DAEMON (Mail Delivery System)".
			addr = f[0]
			name = strings.TrimSpace(strings.Replace(piece, f[0], "", 1))
		}
		name = strings.TrimSpace(name)
		if addr == "" && name == "" {
			continue
		}
		if strings.HasPrefix(name, "(") && strings.HasSuffix(name, ")") {
			name = name[1 : len(name)-1] // "addr (Name)", the old comment form
		}
		out = append(out, makeAddress(name, addr))
	}
	return out
}

// splitAddressList splits at commas that are outside quotes, angle
// brackets and comments.
func splitAddressList(v string) []string {
	var out []string
	depthAngle, depthParen, quoted, start := 0, 0, false, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '<':
			depthAngle++
		case c == '>' && depthAngle > 0:
			depthAngle--
		case c == '(':
			depthParen++
		case c == ')' && depthParen > 0:
			depthParen--
		case c == ',' && depthAngle == 0 && depthParen == 0:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

// envelopeAddrs reads Delivered-To / X-Original-To values (one address
// each, sometimes in angle brackets).
func envelopeAddrs(vs []string) []string {
	var out []string
	for _, v := range vs {
		v = strings.Trim(strings.TrimSpace(v), "<>")
		if v != "" {
			out = append(out, strings.ToValidUTF8(v, "\uFFFD"))
		}
	}
	return out
}

var (
	dateCommentRE = regexp.MustCompile(`\([^()]*\)`)
	dateColonRE   = regexp.MustCompile(`\s*:\s*`)
	dateLayouts   = []string{
		"Mon, 2 Jan 2006 15:04:05 -0700",
		"Mon, 2 Jan 2006 15:04:05 MST",
		"Mon 2 Jan 2006 15:04:05 -0700",
		"Mon, 002 Jan 2006 15:04:05 -0700",
		"Mon, 2 Jan 2006 15:04 -0700",
		"Mon, 2 Jan 2006 15:04:05",
		"Mon, 2 Jan 06 15:04:05 -0700",
		"Mon, 2 Jan 06 15:04:05 MST",
		"2 Jan 2006 15:04:05 -0700",
		"2 Jan 2006 15:04:05 MST",
		"2 Jan 06 15:04:05 -0700",
		"Mon, 2 January 2006 15:04:05 -0700",
		"Mon, Jan 2 2006 15:04:05 -0700",
		"Mon Jan 2 15:04:05 2006",
		"Mon Jan 2 15:04:05 MST 2006",
		"Mon Jan 2 15:04:05 -0700 2006",
		"2006-01-02 15:04:05 -0700",
		"2006-01-02 15:04:05",
		"02-01-2006 15:04",
		"02-01-2006 15:04:05",
		time.RFC3339,
		"Monday, January 2, 2006 3:04 PM",
		"Monday, 2 January 2006 15:04:05 -0700",
	}
)

// parseDate reads a Date field: RFC 5322 §3.3 through net/mail, then the
// obsolete and broken forms seen in real mail (two-digit years, missing
// seconds, asctime, ISO 8601, a comment or day name in the wrong place).
func parseDate(v string) (time.Time, bool) {
	if t, err := netmail.ParseDate(v); err == nil {
		return t, true
	}
	s := dateCommentRE.ReplaceAllString(v, " ")
	s = dateColonRE.ReplaceAllString(s, ":")
	s = strings.Join(strings.Fields(strings.ReplaceAll(s, ",", ", ")), " ")
	s = strings.ReplaceAll(s, " ,", ",")
	for range 2 {
		for _, layout := range dateLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				return t, true
			}
		}
		// Drop a trailing zone name after a numeric offset ("+0000 GMT")
		// or any other trailing word, and try once more.
		if i := strings.LastIndexByte(s, ' '); i > 0 {
			s = s[:i]
		}
	}
	return time.Time{}, false
}

var msgIDRE = regexp.MustCompile(`<([^<>]*)>`)

// messageID reads the Message-ID field. The obsolete syntax allows
// comments and folding white space inside the brackets (RFC 5322 §3.6.4,
// §4.5.4); those are removed. A value without brackets is used as it is.
func messageID(v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	id := v
	if m := msgIDRE.FindStringSubmatch(v); m != nil {
		id = m[1]
	} else if f := strings.Fields(v); len(f) > 0 {
		id = f[0]
	}
	id = dateCommentRE.ReplaceAllString(id, "")
	id = strings.Join(strings.Fields(id), "")
	id = strings.Trim(id, "<>")
	if id == "" {
		return ""
	}
	return truncateUTF8(strings.ToValidUTF8(id, "\uFFFD"), 998)
}

// idList reads In-Reply-To or References (all occurrences) as message ids
// in order, without brackets and without repeats. Text between ids (a
// quoted subject, an address, a date) is skipped, and an id with white
// space inside (a fold gone wrong) is dropped without losing the others.
// A field with no bracketed id at all is read as bare ids containing "@".
func (p *parser) idList(h header, key string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(id string) {
		id = strings.ToValidUTF8(strings.TrimSpace(id), "\uFFFD")
		if id == "" || seen[id] || len(out) >= maxIDs || len(id) > 998 {
			return
		}
		seen[id] = true
		out = append(out, id)
	}
	for _, v := range h.values(key) {
		ms := msgIDRE.FindAllStringSubmatch(v, -1)
		for _, m := range ms {
			if id := strings.TrimSpace(m[1]); strings.ContainsAny(id, " \t") {
				p.problem(fmt.Sprintf("%s: invalid id <%s> skipped", key, truncateUTF8(id, 80)))
			} else {
				add(id)
			}
		}
		if len(ms) == 0 {
			for _, f := range strings.Fields(v) {
				if strings.Contains(f, "@") {
					add(strings.Trim(f, "<>,;\"'"))
				}
			}
		}
	}
	return out
}

// cleanText normalises body text: LF line endings, no trailing white space
// on lines, no control characters other than tab and newline, no leading or
// trailing blank lines, valid UTF-8.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	var b strings.Builder
	b.Grow(len(s))
	for len(s) > 0 {
		line, rest, found := strings.Cut(s, "\n")
		if hasControl(line) {
			line = strings.Map(func(r rune) rune {
				if r != '\t' && unicode.IsControl(r) {
					return -1
				}
				return r
			}, line)
		}
		line = strings.TrimRightFunc(line, unicode.IsSpace)
		b.WriteString(line)
		if found {
			b.WriteByte('\n')
		}
		s = rest
	}
	return strings.Trim(b.String(), "\n")
}

// hasControl reports whether s has a control character other than tab:
// C0, DEL, or C1 (U+0080-U+009F, which UTF-8 writes as 0xC2 0x80-0x9F).
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\t' || c == 0x7f || c == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f {
			return true
		}
	}
	return false
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
