package mail

import (
	"regexp"
	"strings"
)

// Classification is loop protection (DESIGN invariant 3): anything that is
// not ClassHuman never gets an automatic reply. The signals are read in a
// fixed order, strongest first, and the first one that fires decides:
//
//  1. self: the From address is one of ours (or its plus form);
//  2. bounce: a report by its MIME structure: delivery status (RFC 3464,
//     RFC 6533), read receipt (RFC 8098), abuse feedback (ARF, RFC 5965)
//     or any other multipart/report (RFC 6522); Microsoft's non-ARF
//     complaint format;
//  3. bounce: X-Failed-Recipients, or a sender that is a mail system
//     (MAILER-DAEMON, postmaster, "Mail Delivery Subsystem");
//  4. spam: flagged by the receiving server's filter;
//  5. auto_reply: Auto-Submitted other than "no" (RFC 3834 §5), the
//     X-Autoreply/X-Autorespond markers, Precedence: auto_reply, or an
//     auto-reply subject (with vacation wording unless the prefix itself
//     is unambiguous);
//  6. bounce: an empty Return-Path, or a delivery-failure subject with no
//     human sender. The null reverse-path marks bounces (RFC 5321 §4.5.5)
//     but RFC 3834 §3.3 asks auto-responders to use it too, so it only
//     means "bounce" once the auto-reply markers above have not fired;
//  7. bulk: Precedence bulk/list/junk, List-Id, List-Unsubscribe, List-Post
//     (RFC 2369, RFC 2919), or another list manager's header;
//  8. bulk: a no-reply style sender or no sender at all. Bulk, not
//     auto_reply, because such mail (a web form, a shop notification) may
//     still need a person's attention: the ticket is kept, only the
//     acknowledgement is withheld;
//  9. human.
//
// X-Auto-Response-Suppress is deliberately not read: it is a request about
// the replies a message should get, not a mark of who wrote it, and
// Exchange stamps it on people's ordinary mail too (meeting responses,
// messages sent through some Outlook versions).

var (
	// Local parts of mail-system senders (RFC 5321 §4.5.5, RFC 2142 §5).
	mailSystemLocalRE = regexp.MustCompile(`(?i)^(mailer[-_]?daemon|mail[-_]?daemon|post[-_]?master|mailerdaemon|mail\.?delivery(\.?subsystem)?|bounce[-_]?handler|nobody-bounce)$`)
	// Display names that mail systems give their reports.
	mailSystemNameRE = regexp.MustCompile(`(?i)^\s*(mail delivery (subsystem|system|service)|mail ?delivery|mailer[- ]?daemon|mail system|mail administrator|postmaster|delivery status notification|mail transport system|internet mail delivery)\b`)

	// No-reply style local parts (with an optional tag after a separator).
	noReplyLocalRE = regexp.MustCompile(`(?i)^(no[-_.]?reply|do[-_.]?not[-_.]?reply|dont[-_.]?reply|noreply|notifications?|notify|alerts?|mailer|auto[-_.]?(reply|responder|confirm|mailer)|bounces?|robot|daemon)([-_.+].*)?$`)

	// Subject prefixes of auto-replies. The unambiguous ones end in a
	// colon and are what the clients write themselves; the others need
	// vacation wording in the body before they count.
	autoReplyStrongRE = regexp.MustCompile(`(?i)^\s*(automatic reply|auto[- ]?reply|auto[- ]?response|autoresponse|out of (the )?office auto ?reply|abwesenheitsnotiz|automatische antwort|réponse automatique|reponse automatique|respuesta automática|respuesta automatica|risposta automatica|resposta automática|resposta automatica|automatisch antwoord|autosvar|automatisk svar|automaattinen vastaus|odpowiedź automatyczna|automatická odpověď|автоответ|自動応答|自动回复|自動回覆)\s*[:：]`)
	autoReplyWeakRE   = regexp.MustCompile(`(?i)^\s*(out of (the )?office|ooo\b|auto:|autoreply|auto-reply|automatic reply|away from (the )?office|on vacation|on leave|vacation( reply)?\b|abwesend|absence|absent|ausente|assente|afwezig|frånvarande|fraværende|poissa|nieobecność|i am away|i'm away)`)
	vacationRE        = regexp.MustCompile(`(?i)(out of (the )?office|on (vacation|holiday|leave|annual leave|parental leave|sick leave)|away from (the )?(office|desk)|(currently|presently) (away|out|travel)|will be (back|returning|out)|i('m| am) (away|out|traveling|travelling|off)|return(ing)? (to the office |to work )?on|back in the office|limited access to (e-?mail|my e-?mail)|intermittent access|no access to (e-?mail|my e-?mail)|abwesend|nicht im büro|urlaub|bin (ab|wieder)|zurück am|absent|en congés?|de retour le|hors du bureau|ausente|de vacaciones|fuera de la oficina|estaré de vuelta|assente|in ferie|fuori ufficio|afwezig|met vakantie|ben weer|fraværende|på ferie|på semester|frånvarande|lomalla|poissa|urlop|nieobecn|отпуск|休暇|不在|休假)`)

	// Subjects of delivery failure notices from MTAs that send neither a
	// DSN nor a recognisable sender.
	bounceSubjectRE = regexp.MustCompile(`(?i)(undeliver(ed|able)|delivery (status notification|failure|has failed|problem|report|notification)|returned mail|mail delivery (failed|failure|subsystem)|failure notice|non[- ]?delivery|could not be delivered|couldn't be delivered|not delivered|delivery failed|unzustellbar|nicht zustellbar|message (was )?not delivered|rejected|bounced?|unable to deliver|mail system error|warning: could not send|delayed mail|delivery delayed|returned to sender|message delivery failure|nondeliverable|配信エラー|メールエラー|不達|送信エラー|メール配信エラー|未送達)`)

	spamStatusYesRE = regexp.MustCompile(`(?i)^\s*yes\b`)

	// Microsoft's Junk Mail Reporting Program sends complaints that are
	// not ARF: a plain message/rfc822 wrapper with this subject.
	jmrpSubjectRE = regexp.MustCompile(`(?i)^\s*complaint about message from \S`)
)

// IsAutomated reports whether mail of class c was written by a machine (or
// by us), so that it must never get an automatic reply.
func IsAutomated(c Class) bool { return c != ClassHuman }

// Classify says what kind of sender wrote m and why, in a short reason for
// the ticket log. selfAddrs are our own addresses, compared without case;
// plus forms of them (support+123@…) count as ours too. The order of the
// signals is described at the top of this file. Classify only reads m.
func Classify(m *Message, selfAddrs []string) (Class, string) {
	from := NormalizeAddr(m.From.Addr)
	local, _, _ := strings.Cut(from, "@")
	l := &m.Loop

	// 1. Our own mail coming back.
	if from != "" {
		for _, s := range selfAddrs {
			s = NormalizeAddr(s)
			if s != "" && (from == s || stripPlus(from) == stripPlus(s)) {
				return ClassSelf, "From is our own address " + s
			}
		}
	}

	// 2. Reports: delivery status, read receipts, abuse feedback.
	switch l.ReportType {
	case "delivery-status", "global-delivery-status":
		return ClassBounce, "multipart/report; report-type=" + l.ReportType + " (RFC 3464 delivery status notification)"
	case "disposition-notification", "global-disposition-notification":
		return ClassBounce, "multipart/report; report-type=" + l.ReportType + " (RFC 8098 read receipt)"
	}
	switch l.ReportPart {
	case "message/delivery-status", "message/global-delivery-status":
		return ClassBounce, l.ReportPart + " part (RFC 3464 delivery status notification)"
	case "message/disposition-notification", "message/global-disposition-notification":
		return ClassBounce, l.ReportPart + " part (RFC 8098 read receipt)"
	}
	if l.ReportType == "feedback-report" || l.ReportPart == "message/feedback-report" {
		reason := "abuse feedback report (RFC 5965 ARF)"
		if l.FeedbackType != "" {
			reason += ", Feedback-Type: " + l.FeedbackType
		}
		return ClassBounce, reason
	}
	if l.ContentType == "multipart/report" {
		return ClassBounce, "multipart/report (RFC 6522)"
	}
	if jmrpSubjectRE.MatchString(m.Subject) {
		return ClassBounce, "abuse complaint subject " + clip(m.Subject)
	}
	// 3. Bounces without a report structure.
	if l.XFailedRecipients != "" {
		return ClassBounce, "X-Failed-Recipients: " + clip(l.XFailedRecipients)
	}
	if mailSystemLocalRE.MatchString(local) {
		return ClassBounce, "From " + from + " is a mail system (RFC 5321 §4.5.5)"
	}
	if s := NormalizeAddr(m.Sender.Addr); s != "" {
		if sl, _, _ := strings.Cut(s, "@"); mailSystemLocalRE.MatchString(sl) {
			return ClassBounce, "Sender " + s + " is a mail system (RFC 5321 §4.5.5)"
		}
	}
	if mailSystemNameRE.MatchString(m.From.Name) {
		return ClassBounce, "From name " + clip(m.From.Name) + " is a mail system"
	}

	// 4. Spam, as the receiving server's filter judged it.
	if strings.EqualFold(strings.TrimSpace(l.XSpamFlag), "yes") {
		return ClassSpam, "X-Spam-Flag: YES"
	}
	if spamStatusYesRE.MatchString(l.XSpamStatus) {
		return ClassSpam, "X-Spam-Status: " + clip(l.XSpamStatus)
	}

	// 5. Auto-replies.
	if as := autoSubmitted(l.AutoSubmitted); as != "" && as != "no" {
		return ClassAutoReply, "Auto-Submitted: " + as + " (RFC 3834 §5)"
	}
	switch {
	case strings.TrimSpace(l.XAutoreply) != "":
		return ClassAutoReply, "X-Autoreply: " + clip(l.XAutoreply)
	case strings.TrimSpace(l.XAutorespond) != "":
		return ClassAutoReply, "X-Autorespond: " + clip(l.XAutorespond)
	case strings.EqualFold(strings.TrimSpace(l.Precedence), "auto_reply"):
		return ClassAutoReply, "Precedence: auto_reply"
	}
	if autoReplyStrongRE.MatchString(m.Subject) {
		return ClassAutoReply, "auto-reply subject " + clip(m.Subject)
	}
	if autoReplyWeakRE.MatchString(m.Subject) && vacationRE.MatchString(headText(m.Text)) {
		return ClassAutoReply, "out-of-office subject " + clip(m.Subject) + " with vacation wording"
	}

	// 6. Weaker bounce signals.
	if l.HasReturnPath && isNullPath(l.ReturnPath) {
		return ClassBounce, "empty Return-Path (null reverse-path, RFC 5321 §4.5.5)"
	}
	if bounceSubjectRE.MatchString(m.Subject) && (from == "" || noReplyLocalRE.MatchString(local) || !strings.Contains(from, "@")) {
		return ClassBounce, "delivery-failure subject " + clip(m.Subject) + " from a robot sender"
	}

	// 7. Lists and bulk senders.
	switch p := strings.ToLower(strings.TrimSpace(l.Precedence)); p {
	case "bulk", "list", "junk":
		return ClassBulk, "Precedence: " + p
	}
	if l.ListID != "" {
		return ClassBulk, "List-Id: " + clip(l.ListID) + " (RFC 2919)"
	}
	if l.ListUnsubscribe != "" {
		return ClassBulk, "List-Unsubscribe (RFC 2369)"
	}
	if l.ListPost != "" {
		return ClassBulk, "List-Post (RFC 2369)"
	}
	if l.ListOther != "" {
		return ClassBulk, "mailing-list header " + clip(l.ListOther)
	}

	// 8. Senders that cannot or do not want to be answered.
	if from == "" {
		return ClassBulk, "no From address to answer"
	}
	if noReplyLocalRE.MatchString(local) {
		return ClassBulk, "no-reply style sender " + from
	}
	return ClassHuman, "no automatic-mail signals"
}

// autoSubmitted returns the keyword of an Auto-Submitted value, lower-case,
// without parameters or comments (RFC 3834 §5.1).
func autoSubmitted(v string) string {
	v, _, _ = strings.Cut(v, ";")
	v, _, _ = strings.Cut(v, "(")
	return strings.ToLower(strings.TrimSpace(v))
}

// isNullPath reports whether a Return-Path value is the null reverse-path
// "<>" (RFC 5321 §4.1.2), allowing for spaces and a comment.
func isNullPath(v string) bool {
	v = dateCommentRE.ReplaceAllString(v, "")
	v = strings.Join(strings.Fields(v), "")
	return v == "<>" || v == ""
}

// headText is the start of a body, where vacation notices say what they are.
func headText(s string) string { return truncateUTF8(s, 4096) }

// clip shortens a header value for a reason string.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		return truncateUTF8(s, 77) + "..."
	}
	return s
}

// stripPlus removes a "+tag" sub-address from the local part.
func stripPlus(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok {
		return addr
	}
	if i := strings.IndexByte(local, '+'); i >= 0 {
		local = local[:i]
	}
	return local + "@" + domain
}
