package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"mime"
	netmail "net/mail"
	"net/textproto"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	gomail "github.com/emersion/go-message/mail"
)

// Outgoing is a mail to compose. Compose turns it into RFC 5322 bytes; the
// outbox stores those bytes, so what was sent can be shown and resent
// exactly.
type Outgoing struct {
	From    Address
	To      []Address
	Cc      []Address
	ReplyTo []Address
	Subject string
	// MessageID is the id without angle brackets. The caller assigns it
	// when the mail is enqueued, so that a resend after a crash carries the
	// same id and is recognisable (DESIGN.md, invariant 2). Required.
	MessageID  string
	InReplyTo  []string // ids without brackets
	References []string // ids without brackets, oldest first; written as given
	// Date is the Date header. The zero time means now: RFC 5322 §3.6
	// requires the field, and callers with a clock should pass its time.
	Date time.Time
	// Auto marks automatic mail: Auto-Submitted: auto-replied (RFC 3834
	// §5) and X-Auto-Response-Suppress: All, so that well-behaved
	// responders (Exchange's out-of-office among them) do not answer it.
	Auto        bool
	Text        string // UTF-8 plain text, LF line endings
	HTML        string // optional HTML alternative
	Attachments []OutAttachment
	// Headers are extra header fields, e.g. X-Supportd-Ticket. Non-ASCII
	// values are RFC 2047 encoded. A field Compose writes itself (From,
	// Subject, Content-Type …) is refused, except that Auto-Submitted and
	// X-Auto-Response-Suppress may be given to override Auto's values.
	Headers map[string]string
}

// OutAttachment is a file attached to an outgoing mail.
type OutAttachment struct {
	Filename    string // may be non-ASCII; empty leaves the part unnamed
	ContentType string // media type, e.g. "application/pdf"; empty means application/octet-stream
	Data        []byte
}

// composeReserved are the fields Compose writes itself. Letting Headers set
// them would give a mail two Message-IDs or a Content-Type that lies about
// the body.
var composeReserved = map[string]bool{
	"Date": true, "From": true, "Sender": true, "Reply-To": true, "To": true, "Cc": true, "Bcc": true,
	"Subject": true, "Message-Id": true, "In-Reply-To": true, "References": true,
	"Mime-Version": true, "Content-Type": true, "Content-Transfer-Encoding": true, "Content-Disposition": true,
}

// Compose writes o as an RFC 5322 message with CRLF line endings, using
// go-message's mail writer:
//
//   - text only: one text/plain part, UTF-8, quoted-printable (soft-wrapped
//     at 76 columns, so any line length is safe under RFC 5322 §2.1.1);
//   - with HTML: multipart/alternative, text first and HTML second (RFC 2046
//     §5.1.4: the preferred, richest form goes last);
//   - with attachments: multipart/mixed holding the above, then the files
//     (base64).
//
// Non-ASCII display names and subjects are RFC 2047 encoded; the output is
// 7-bit clean, so no relay has to convert it. Compose reads no clock unless
// o.Date is zero.
func Compose(o Outgoing) ([]byte, error) {
	single := o.HTML == "" && len(o.Attachments) == 0
	var tail [][2]string
	if single {
		// A single part is what every client shows best, and what a
		// plain-text reply is. Its type goes into the top-level header.
		tail = [][2]string{{"Content-Type", "text/plain; charset=utf-8"}, {"Content-Transfer-Encoding", "quoted-printable"}}
	}
	h, err := composeHeader(o, tail)
	if err != nil {
		return nil, err
	}
	text := composeLF(o.Text)
	if text != "" && !strings.HasSuffix(text, "\n") {
		// End on a line break, so the stored copy equals what the SMTP
		// server receives (the DATA terminator would add one).
		text += "\n"
	}
	var buf bytes.Buffer
	if single {
		w, err := gomail.CreateSingleInlineWriter(&buf, h)
		if err != nil {
			return nil, fmt.Errorf("compose: %w", err)
		}
		if err := composeWriteClose(w, []byte(text)); err != nil {
			return nil, fmt.Errorf("compose: text: %w", err)
		}
		return buf.Bytes(), nil
	}
	if len(o.Attachments) == 0 {
		iw, err := gomail.CreateInlineWriter(&buf, h)
		if err != nil {
			return nil, fmt.Errorf("compose: %w", err)
		}
		if err := composeAlternatives(iw, text, composeLF(o.HTML)); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	mw, err := gomail.CreateWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	if o.HTML == "" {
		var th gomail.InlineHeader
		composeTextType(&th.Header, "text/plain")
		w, err := mw.CreateSingleInline(th)
		if err != nil {
			return nil, fmt.Errorf("compose: text: %w", err)
		}
		if err := composeWriteClose(w, []byte(text)); err != nil {
			return nil, fmt.Errorf("compose: text: %w", err)
		}
	} else {
		iw, err := mw.CreateInline()
		if err != nil {
			return nil, fmt.Errorf("compose: %w", err)
		}
		if err := composeAlternatives(iw, text, composeLF(o.HTML)); err != nil {
			return nil, err
		}
	}
	for i, a := range o.Attachments {
		aw, err := mw.CreateAttachment(composeAttachmentHeader(a))
		if err != nil {
			return nil, fmt.Errorf("compose: attachment %d (%q): %w", i+1, a.Filename, err)
		}
		if err := composeWriteClose(aw, a.Data); err != nil {
			return nil, fmt.Errorf("compose: attachment %d (%q): %w", i+1, a.Filename, err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	return buf.Bytes(), nil
}

// composeHeader builds the top-level header in the order people read it:
// date and parties, subject, identity and threading, loop protection and
// the extras, then MIME-Version and the tail fields (the single part's
// Content-Type).
func composeHeader(o Outgoing, tail [][2]string) (gomail.Header, error) {
	var h gomail.Header
	if err := composeCheckAddr(o.From.Addr); err != nil {
		return h, fmt.Errorf("compose: From: %w", err)
	}
	for _, list := range [][]Address{o.To, o.Cc, o.ReplyTo} {
		for _, a := range list {
			if err := composeCheckAddr(a.Addr); err != nil {
				return h, fmt.Errorf("compose: recipient %q: %w", a.Addr, err)
			}
		}
	}
	id, err := composeMsgID(o.MessageID)
	if err != nil || id == "" {
		return h, fmt.Errorf("compose: Message-ID %q: the caller must assign a valid id (NewMessageID) when enqueuing", o.MessageID)
	}
	date := o.Date
	if date.IsZero() {
		date = time.Now()
	}

	// Each value is formatted through go-message's typed setters on a
	// scratch header, then added to h in reverse: go-message writes fields
	// last-added first, and this keeps the written order the listed one.
	var scratch gomail.Header
	var order [][2]string
	add := func(k, v string) { order = append(order, [2]string{k, v}) }
	addVia := func(k string, set func(*gomail.Header)) {
		set(&scratch)
		if v := scratch.Get(k); v != "" {
			add(k, v)
		}
	}
	addVia("Date", func(s *gomail.Header) { s.SetDate(date) })
	addAddrs := func(k string, as []Address) {
		if len(as) > 0 {
			add(k, composeAddrs(k, as))
		}
	}
	addAddrs("From", []Address{o.From})
	addAddrs("Reply-To", o.ReplyTo)
	addAddrs("To", o.To)
	addAddrs("Cc", o.Cc)
	// Subject is always written, even empty: RFC 5322 makes it optional, but
	// clients and filters treat a missing one as suspicious.
	add("Subject", composeEncodeText("Subject", composeSpace(o.Subject)))
	addVia("Message-Id", func(s *gomail.Header) { s.SetMessageID(id) })
	addVia("In-Reply-To", func(s *gomail.Header) { s.SetMsgIDList("In-Reply-To", composeMsgIDs(o.InReplyTo)) })
	addVia("References", func(s *gomail.Header) { s.SetMsgIDList("References", composeMsgIDs(o.References)) })

	extra := map[string]string{}
	if o.Auto {
		extra["Auto-Submitted"] = "auto-replied"
		extra["X-Auto-Response-Suppress"] = "All"
	}
	for k, v := range o.Headers {
		ck, err := composeHeaderKey(k)
		if err != nil {
			return h, fmt.Errorf("compose: header %q: %w", k, err)
		}
		if composeReserved[ck] {
			return h, fmt.Errorf("compose: header %q is written by Compose itself", k)
		}
		extra[ck] = v
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic output for equal input
	for _, k := range keys {
		// composeEncodeText Q-encodes non-ASCII and control characters, so a
		// value can neither smuggle in a line break nor raw 8-bit bytes.
		add(k, composeEncodeText(k, extra[k]))
	}
	add("MIME-Version", "1.0")
	order = append(order, tail...)

	for i := len(order) - 1; i >= 0; i-- {
		h.Add(order[i][0], order[i][1])
	}
	return h, nil
}

// composeAlternatives writes the text and HTML parts of a
// multipart/alternative and closes it.
func composeAlternatives(iw *gomail.InlineWriter, text, html string) error {
	for _, p := range []struct{ typ, body string }{{"text/plain", text}, {"text/html", html}} {
		var ph gomail.InlineHeader
		composeTextType(&ph.Header, p.typ)
		w, err := iw.CreatePart(ph)
		if err != nil {
			return fmt.Errorf("compose: %s: %w", p.typ, err)
		}
		if err := composeWriteClose(w, []byte(p.body)); err != nil {
			return fmt.Errorf("compose: %s: %w", p.typ, err)
		}
	}
	if err := iw.Close(); err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	return nil
}

// composeTextType declares a UTF-8 text part in quoted-printable: mostly-ASCII
// text stays readable in the raw source, and long lines are soft-wrapped.
func composeTextType(h interface {
	SetContentType(string, map[string]string)
	Set(string, string)
}, typ string) {
	h.SetContentType(typ, map[string]string{"charset": "utf-8"})
	h.Set("Content-Transfer-Encoding", "quoted-printable")
}

// composeAttachmentHeader describes one attachment. The file name goes into both
// Content-Disposition (RFC 2183, the standard place) and the Content-Type
// name parameter, which some clients still read first. go-message encodes
// non-ASCII names as RFC 2047 words inside the quoted value: not what RFC
// 2047 §5 allows, but what Gmail and Outlook write and every client reads,
// unlike RFC 2231, which some webmailers still show raw.
func composeAttachmentHeader(a OutAttachment) gomail.AttachmentHeader {
	var ah gomail.AttachmentHeader
	typ, params, err := mime.ParseMediaType(a.ContentType)
	if err != nil || typ == "" || strings.HasPrefix(typ, "multipart/") {
		// multipart/* would make go-message expect child parts, and the
		// data is opaque to us anyway.
		typ, params = "application/octet-stream", map[string]string{}
	}
	if cs := strings.ToLower(params["charset"]); cs != "" && cs != "utf-8" && cs != "us-ascii" {
		// go-message refuses to write other charsets, even for a base64
		// part it does not transcode. Dropping the label lets the reader's
		// client guess, which beats not sending the file.
		delete(params, "charset")
	}
	if a.Filename != "" {
		params["name"] = a.Filename
	}
	ah.SetContentType(typ, params)
	if a.Filename != "" {
		ah.SetFilename(a.Filename)
	} else {
		ah.SetContentDisposition("attachment", nil)
	}
	ah.Set("Content-Transfer-Encoding", "base64")
	return ah
}

func composeWriteClose(w interface {
	Write([]byte) (int, error)
	Close() error
}, b []byte) error {
	if _, err := w.Write(b); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// composeAddrs formats an address list for header k. net/mail quotes ASCII
// display names and odd local parts; non-ASCII names are encoded here so
// that their encoded-words fit the header's first line (see composeEncodeText).
func composeAddrs(k string, as []Address) string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		name := composeSpace(a.Name)
		addr := (&netmail.Address{Address: strings.TrimSpace(a.Addr)}).String()
		switch {
		case name == "":
			out = append(out, addr)
		case composeNeedsEncoding(name):
			out = append(out, composeEncodeWords(k, name)+" "+addr)
		default:
			out = append(out, (&netmail.Address{Name: name, Address: strings.TrimSpace(a.Addr)}).String())
		}
	}
	return strings.Join(out, ", ")
}

// composeEncodeText returns s as the value of unstructured header k (RFC 5322
// §3.2.5): printable ASCII words stay as they are and each run of words
// that needs encoding becomes encoded-words. "Re: Grüße [#12]" keeps "Re:"
// and "[#12]" readable to filters that match the raw header.
func composeEncodeText(k, s string) string {
	if !composeNeedsEncoding(s) {
		return s
	}
	words := strings.Split(s, " ")
	out := make([]string, 0, len(words))
	first := true
	for i := 0; i < len(words); {
		if !composeNeedsEncoding(words[i]) {
			out = append(out, words[i])
			i++
			first = false
			continue
		}
		// A run of words to encode goes into one encoded text, spaces
		// included: the space between two encoded-words is dropped on
		// decoding (RFC 2047 §6.2), the one inside them is kept.
		j := i + 1
		for j < len(words) && composeNeedsEncoding(words[j]) {
			j++
		}
		key := k
		if !first {
			key = "" // not on the first line: the whole line is available
		}
		out = append(out, composeEncodeWords(key, strings.Join(words[i:j], " ")))
		i = j
		first = false
	}
	return strings.Join(out, " ")
}

// composeNeedsEncoding reports whether s cannot stand in a header as it is:
// 8-bit or control characters, or text a decoder would take for an
// encoded-word.
func composeNeedsEncoding(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x7f || (c < ' ' && c != '\t') {
			return true
		}
	}
	return strings.Contains(s, "=?")
}

// composeEncodeWords encodes s as UTF-8 "Q" encoded-words separated by spaces.
//
// mime.QEncoding (which go-message uses) makes words of up to 75
// characters, so the first one overflows the line after "Subject: " and
// go-message, finding no space to fold at, writes a line of up to 998
// characters. RFC 2047 §2 limits a line holding encoded-words to 76. Here
// every word fits on the header's first line, and go-message folds
// between them; decoders drop the white space between adjacent words
// (§6.2), so the split is invisible. Words hold whole characters (§5).
//
// Only letters, digits and "!*+-/" stay literal: the set §5(3) allows in
// a display name, so the same encoder serves names and subjects.
func composeEncodeWords(k, s string) string {
	const prefix, suffix = "=?utf-8?q?", "?="
	limit := 76 - len(k) - len(": ") - len(prefix) - len(suffix) // k "" gives 75 with the fold's space
	if limit < 12 {
		limit = 12 // very long field names: fold anyway, lines may run long
	}
	var words []string
	var cur strings.Builder
	for _, r := range s {
		var enc strings.Builder
		var b [utf8.UTFMax]byte
		for _, c := range b[:utf8.EncodeRune(b[:], r)] {
			switch {
			case c == ' ':
				enc.WriteByte('_')
			case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("!*+-/", c) >= 0:
				enc.WriteByte(c)
			default:
				fmt.Fprintf(&enc, "=%02X", c)
			}
		}
		if cur.Len() > 0 && cur.Len()+enc.Len() > limit {
			words = append(words, prefix+cur.String()+suffix)
			cur.Reset()
		}
		cur.WriteString(enc.String())
	}
	if cur.Len() > 0 || len(words) == 0 {
		words = append(words, prefix+cur.String()+suffix)
	}
	return strings.Join(words, " ")
}

// composeCheckAddr rejects what cannot be an addr-spec in a header. It is lenient
// on purpose: customers' addresses that strict RFC 5322 parsers refuse
// (a dot before the @, say) still deliver, and net/mail quotes them.
func composeCheckAddr(addr string) error {
	addr = strings.TrimSpace(addr)
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return errors.New("not an address")
	}
	if strings.ContainsAny(addr, "<>,;\" \t") || strings.ContainsFunc(addr, unicode.IsControl) {
		return errors.New("not an address")
	}
	return nil
}

// composeHeaderKey validates a field name (RFC 5322 §3.6.8: printable ASCII but
// the colon) and returns its canonical form.
func composeHeaderKey(k string) (string, error) {
	if k == "" {
		return "", errors.New("empty field name")
	}
	for _, c := range k {
		if c < '!' || c > '~' || c == ':' {
			return "", errors.New("invalid field name")
		}
	}
	return textproto.CanonicalMIMEHeaderKey(k), nil
}

// composeMsgID strips one pair of angle brackets and rejects what would
// break the header: whitespace, control characters or inner brackets.
func composeMsgID(id string) (string, error) {
	id = strings.TrimSpace(id)
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	if strings.ContainsAny(id, "<> \t") || strings.ContainsFunc(id, unicode.IsControl) {
		return "", errors.New("invalid message id")
	}
	return id, nil
}

// composeMsgIDs keeps the valid ids in order. An unusable id from a
// customer's broken client must not stop our reply; the others still
// thread it.
func composeMsgIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if c, err := composeMsgID(id); err == nil && c != "" {
			out = append(out, c)
		}
	}
	return out
}

// composeLF turns CRLF and lone CR into LF; the quoted-printable
// writer then emits CRLF, the only line ending RFC 5322 allows.
func composeLF(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// composeSpace turns runs of white space (folded header lines, tabs) into
// single spaces and trims the ends.
func composeSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// composeReplyPrefix matches one reply marker at the start of a subject: "Re:" in
// the languages mail clients localise it into (Aw: German, Sv: Scandinavian,
// Vs: Finnish, Antw: Dutch, Réf: French, Rif: Italian, Res: Portuguese,
// Odp: Polish, Ynt: Turkish, 回复/回覆/答复: Chinese), with an optional
// counter ("Re[2]:", "Re(2):"), a space before the colon as French clients
// write it, or a full-width colon. Forward markers (Fwd:, Fw:, WG:, TR:)
// are not reply markers: they say something about the content and stay.
var composeReplyPrefix = regexp.MustCompile(`^(?i:re|aw|sv|vs|antw|antwort|réf|rif|res|odp|ynt|atb|回复|回覆|答复)(?:\s*[\[(]\d{1,4}[\])])?\s*[:：]\s*`)

// composeTicketTag matches our ticket tag, "[#123]".
var composeTicketTag = regexp.MustCompile(`\[#\d+\]`)

// BaseSubject strips every leading reply marker and every ticket tag from a
// subject and collapses white space: "RE: Aw: [#12] Re: Login" gives
// "Login". Forward markers are kept.
func BaseSubject(s string) string {
	s = composeSpace(composeTicketTag.ReplaceAllString(s, " "))
	for {
		loc := composeReplyPrefix.FindStringIndex(s)
		if loc == nil || loc[1] == 0 {
			break
		}
		s = s[loc[1]:]
	}
	return composeSpace(s)
}

// ReplySubject returns the subject of our reply on a ticket: "Re: <base
// subject> [#N]", with exactly one "Re:" and one tag however many the
// original carried, so that long threads do not pile up "Re: Re: RE:". An
// empty base gives "Re: Your message [#N]". A ticket ≤ 0 omits the tag.
func ReplySubject(original string, ticket int64) string {
	base := BaseSubject(original)
	if base == "" {
		base = "Your message"
	}
	s := "Re: " + base
	if ticket > 0 {
		s += " [#" + strconv.FormatInt(ticket, 10) + "]"
	}
	return s
}

// composeIDEncoding is lower-case base32 without padding: case-insensitive
// systems that mangle Message-IDs cannot create collisions, and the id
// needs no quoting.
var composeIDEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewMessageID returns a fresh Message-ID (without brackets) on domain:
// 128 random bits as 26 base32 characters, then the Unix time, e.g.
// "k3j2…q7.1772438400@example.com". The random part makes it unique
// without coordination (RFC 5322 §3.6.4); the time helps a person reading
// logs. An empty domain gives "supportd.invalid" (RFC 2606), never the
// host name, which is often not a real domain.
func NewMessageID(domain string) string {
	var b [16]byte
	rand.Read(b[:]) // never fails: crypto/rand aborts the program instead
	domain = strings.ToLower(strings.TrimSpace(domain))
	if domain == "" {
		domain = "supportd.invalid"
	}
	return composeIDEncoding.EncodeToString(b[:]) + "." + strconv.FormatInt(time.Now().Unix(), 10) + "@" + domain
}

// Domain returns the lower-cased domain of addr ("Support@Example.COM" →
// "example.com"), or "" when addr has none. Surrounding angle brackets are
// ignored; the last "@" counts, as a quoted local part may hold one.
func Domain(addr string) string {
	addr = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(addr), "<"), ">")
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(addr[at+1:]))
}

// PlusAddress inserts a subaddress tag: ("support@example.com",
// "123-abcd") gives "support+123-abcd@example.com". An address has one
// tag, so an existing one is replaced rather than stacked; an empty tag or
// an address without "@" returns addr unchanged.
func PlusAddress(addr, tag string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || tag == "" {
		return addr
	}
	local, domain := addr[:at], addr[at+1:]
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	return local + "+" + tag + "@" + domain
}
