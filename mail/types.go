// Package mail speaks the mail protocols and formats supportd needs: IMAP
// (watching the support mailbox), SMTP (delivering the outbox), MIME parsing
// and composition, reply extraction and auto-reply classification.
//
// It knows nothing about tickets: it dials, parses and emits typed values.
package mail

import (
	"strings"
	"time"
)

// Address is a decoded mailbox: a display name (may be empty) and the
// addr-spec. Addr is kept as written except that the domain is lower-cased
// by Normalize.
type Address struct {
	Name string `json:"name,omitempty"`
	Addr string `json:"addr"`
}

// String formats the address for display, e.g. `Jane Doe <jane@example.com>`.
// It is not a header encoding: use Compose to write headers.
func (a Address) String() string {
	if a.Name == "" {
		return a.Addr
	}
	return a.Name + " <" + a.Addr + ">"
}

// NormalizeAddr returns addr lower-cased and trimmed, the form used to
// compare addresses. Local parts are case-sensitive in theory (RFC 5321
// §2.4) but no mail system a support desk meets treats them so.
func NormalizeAddr(addr string) string {
	return strings.ToLower(strings.TrimSpace(addr))
}

// Attachment describes one attached file. The content is not kept here; the
// raw message is stored whole.
type Attachment struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// Class is what kind of sender wrote a message, for loop protection.
type Class string

// The classes of inbound mail. Only ClassHuman ever gets an automatic reply.
const (
	ClassHuman     Class = "human"
	ClassAutoReply Class = "auto_reply"
	ClassBounce    Class = "bounce"
	ClassBulk      Class = "bulk"
	ClassSpam      Class = "spam"
	ClassSelf      Class = "self"
)

// LoopHeaders are the raw header values that classification reads. They are
// kept verbatim (unfolded, trimmed) so the decision can be explained.
type LoopHeaders struct {
	AutoSubmitted   string `json:"auto_submitted,omitempty"`
	Precedence      string `json:"precedence,omitempty"`
	ListID          string `json:"list_id,omitempty"`
	ListUnsubscribe string `json:"list_unsubscribe,omitempty"`
	ListPost        string `json:"list_post,omitempty"`
	// ListOther is the first other mailing-list field found, as
	// "Name: value" (List-Subscribe, List-Help, List-Owner, List-Archive,
	// Mailing-List, X-Mailing-List, X-ML-Name, X-MLServer).
	ListOther         string `json:"list_other,omitempty"`
	ReturnPath        string `json:"return_path,omitempty"`
	HasReturnPath     bool   `json:"has_return_path,omitempty"`
	XAutoreply        string `json:"x_autoreply,omitempty"`
	XAutorespond      string `json:"x_autorespond,omitempty"`
	XAutoResponseSupp string `json:"x_auto_response_suppress,omitempty"`
	XSpamFlag         string `json:"x_spam_flag,omitempty"`
	XSpamStatus       string `json:"x_spam_status,omitempty"`
	ContentType       string `json:"content_type,omitempty"`  // top-level media type, lower-case, e.g. "multipart/report"
	ReportType        string `json:"report_type,omitempty"`   // report-type parameter of multipart/report
	FeedbackType      string `json:"feedback_type,omitempty"` // Feedback-Type of an RFC 5965 report part, lower-case
	// ReportPart is the media type of the first machine-readable report
	// part found (message/delivery-status, message/disposition-notification,
	// message/feedback-report, or their RFC 6533 global forms), wherever it
	// sits in the MIME tree outside attached messages.
	ReportPart        string   `json:"report_part,omitempty"`
	XFailedRecipients string   `json:"x_failed_recipients,omitempty"`
	AuthenticationRes []string `json:"authentication_results,omitempty"`
}

// Message is one parsed inbound mail. Parse always returns one, filling what
// could be read and listing the rest in Problems.
type Message struct {
	MessageID     string       `json:"message_id"`     // without angle brackets
	SynthesizedID bool         `json:"synthesized_id"` // true when MessageID was made from a content hash
	From          Address      `json:"from"`
	Sender        Address      `json:"sender,omitempty"`
	To            []Address    `json:"to"`
	Cc            []Address    `json:"cc"`
	ReplyTo       []Address    `json:"reply_to"`
	DeliveredTo   []string     `json:"delivered_to,omitempty"`
	XOriginalTo   []string     `json:"x_original_to,omitempty"`
	Subject       string       `json:"subject"`
	Date          time.Time    `json:"date"`
	InReplyTo     []string     `json:"in_reply_to"` // message ids without brackets
	References    []string     `json:"references"`  // message ids without brackets, oldest first
	Text          string       `json:"text"`        // best text body, decoded to UTF-8
	TextFromHTML  bool         `json:"text_from_html"`
	Attachments   []Attachment `json:"attachments"`
	Loop          LoopHeaders  `json:"loop"`
	Problems      []string     `json:"problems,omitempty"` // what could not be read, for the log and the ticket events
}
