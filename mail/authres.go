package mail

import (
	"strings"

	"github.com/emersion/go-msgauth/authres"
)

// AuthenticatedFor reports whether the receiving MTA's Authentication-Results
// (RFC 8601) show dkim=pass for domain or spf=pass with a MAIL FROM in
// domain. Only results stamped by our own MTA count: those whose authserv-id
// is authServID, or, when that is empty, the topmost header alone, since
// anything below it may have been written by the sender (RFC 8601 §5).
// values are the header values in message order (topmost first).
func AuthenticatedFor(values []string, domain, authServID string) (bool, string) {
	domain = strings.ToLower(strings.TrimSpace(domain))
	if len(values) == 0 {
		return false, "no Authentication-Results header"
	}
	if authServID == "" {
		values = values[:1]
	}
	trusted := false
	for _, v := range values {
		id, results, err := authres.Parse(v)
		if err != nil {
			continue
		}
		if authServID != "" && !strings.EqualFold(id, authServID) {
			continue
		}
		trusted = true
		for _, r := range results {
			switch r := r.(type) {
			case *authres.DKIMResult:
				if r.Value == authres.ResultPass && strings.EqualFold(r.Domain, domain) {
					return true, "dkim=pass header.d=" + r.Domain
				}
			case *authres.SPFResult:
				from := strings.ToLower(r.From)
				if r.Value == authres.ResultPass && (from == domain || strings.HasSuffix(from, "@"+domain)) {
					return true, "spf=pass smtp.mailfrom=" + r.From
				}
			}
		}
	}
	if !trusted {
		return false, "no Authentication-Results from our own server (authserv-id " + authServID + ")"
	}
	return false, "neither dkim=pass nor spf=pass for " + domain
}
