package mail

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
)

// AttachmentData is an attachment with its decoded content, for relaying an
// agent's files to the customer.
type AttachmentData struct {
	Attachment
	Data []byte
}

// AttachmentsOf returns the attachments of raw with their content, up to
// maxTotal bytes in all (later ones are skipped, so memory stays bounded).
// Parts that cannot be decoded are skipped: this is a best effort on mail
// already stored whole.
func AttachmentsOf(raw []byte, maxTotal int64) []AttachmentData {
	r, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) {
		return nil
	}
	var out []AttachmentData
	var total int64
	for i := 0; i < 1000; i++ {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !message.IsUnknownCharset(err) {
			if p == nil {
				continue
			}
		}
		h, ok := p.Header.(*gomail.AttachmentHeader)
		if !ok {
			continue
		}
		name, _ := h.Filename()
		ct, _, _ := h.ContentType()
		data, err := io.ReadAll(io.LimitReader(p.Body, maxTotal-total+1))
		if err != nil || total+int64(len(data)) > maxTotal {
			break
		}
		total += int64(len(data))
		if name == "" {
			name = "attachment"
		}
		out = append(out, AttachmentData{Attachment: Attachment{Filename: name, ContentType: strings.ToLower(ct), Size: int64(len(data))}, Data: data})
	}
	return out
}
