// Package templates holds supportd's saved replies: text/template files,
// with optional html/template alternatives and subject lines, embedded in
// the binary and overridable, file by file, from a directory named in the
// configuration (support.templates_dir).
//
// A template is a set of files sharing a name:
//
//	NAME.txt.tmpl      the text/plain body (required)
//	NAME.html.tmpl     the text/html alternative (optional)
//	NAME.subject.tmpl  the subject line (optional; without it the caller's
//	                   default subject applies)
//
// Every file executes with a Data; Fields documents what it offers.
//
// A template that fails to parse is an error at Load, and one that fails to
// execute is an error at Render: never a silent fallback to the embedded
// file or to raw text, because a customer must not receive
// "{{.Restatement}}", and an operator must learn at start that an override
// is broken rather than from a customer.
package templates

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	texttemplate "text/template"
	"unicode"
	"unicode/utf8"
)

// embedded holds the templates shipped with supportd.
//
//go:embed files/*.tmpl
var embedded embed.FS

// Data is what a template can use. The caller fills it; Render supplies
// Greeting and NextSteps when they are left empty.
type Data struct {
	Greeting        string            // "Hi Jane," or, when the name is unknown, a kind neutral "Hello,"; see Greeting
	FirstName       string            // the customer's first name, or "" when unsure; see FirstName
	CustomerName    string            // the display name the customer wrote from, as written
	CustomerAddress string            // the customer's email address
	Restatement     string            // the customer's problem as a clause: "It sounds like {{.Restatement}}."
	TicketID        int64             // the request's number, shown to customers as [#N]
	Subject         string            // the request's subject, without the [#N] tag
	SupportName     string            // the support team's name (support.name)
	SupportAddress  string            // the support address (support.address)
	NextSteps       string            // what happens next (support.next_steps, else DefaultNextSteps)
	AgentName       string            // the agent a mail is written on behalf of
	Body            string            // text an agent wrote, relayed to the customer
	Link            string            // a link the mail carries, e.g. to a one-time secret form
	Extra           map[string]string // further values for templates to come: {{.Extra.key}}
}

// Field describes one field of Data, for `supportd templates list`.
type Field struct {
	Name, Description string
}

// Fields lists the fields of Data in order, with what each holds. It is the
// reference for operators who write overrides.
func Fields() []Field {
	return []Field{
		{"Greeting", `"Hi Jane," with the customer's first name, or a kind neutral "Hello," when it is unknown`},
		{"FirstName", `the customer's first name, or empty when it could not be told with confidence`},
		{"CustomerName", "the display name the customer wrote from, as written"},
		{"CustomerAddress", "the customer's email address"},
		{"Restatement", `the customer's problem as a short clause, for "It sounds like {{.Restatement}}."`},
		{"TicketID", "the request's number, shown to customers as [#N]"},
		{"Subject", "the request's subject, without the [#N] tag"},
		{"SupportName", "the support team's name (support.name)"},
		{"SupportAddress", "the support address (support.address)"},
		{"NextSteps", "what happens next (support.next_steps, or the default)"},
		{"AgentName", "the agent a mail is written on behalf of"},
		{"Body", "text an agent wrote, relayed to the customer"},
		{"Link", "a link the mail carries, e.g. to a one-time secret form"},
		{"Extra", "further named values: {{.Extra.key}} (an unknown key is an error)"},
	}
}

// Rendered is a template's output.
type Rendered struct {
	Subject string // one line; "" when the template has no subject part
	Text    string // the text/plain body
	HTML    string // the text/html alternative; "" when the template has none
}

// Set is a loaded set of templates. It is immutable, and safe for
// concurrent use.
type Set struct {
	byName map[string]*tmpl
}

// tmpl is the parts of one template, and the file each came from.
type tmpl struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
	origin  map[string]string // part → file, for messages
}

// The parts of a template, as file name suffixes.
const (
	partSubject = ".subject.tmpl"
	partText    = ".txt.tmpl"
	partHTML    = ".html.tmpl"
)

// Load reads the embedded templates and, when overrideDir is not "", the
// files there that replace them by name (NAME.txt.tmpl replaces the
// embedded NAME.txt.tmpl) or add new ones. Other files in the directory
// are ignored unless they end in .tmpl.
//
// A text or HTML override must come with its counterpart when the embedded
// template has both, so the two alternatives of one mail cannot say
// different things; an override file holding only white space removes that
// part.
func Load(overrideDir string) (*Set, error) {
	base, err := fs.Sub(embedded, "files")
	if err != nil {
		return nil, err
	}
	return load(base, "embedded files/", overrideDir)
}

// load is Load with the shipped templates in base, for tests.
func load(base fs.FS, baseLabel, overrideDir string) (*Set, error) {
	type file struct{ origin, content string }
	files := map[string]file{}
	shipped := map[string]bool{}
	entries, err := fs.ReadDir(base, ".")
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(base, e.Name())
		if err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		files[e.Name()] = file{baseLabel + e.Name(), string(b)}
		shipped[e.Name()] = true
	}
	overridden := map[string]bool{}
	if overrideDir != "" {
		// A missing directory is an error: the operator named it, and a typo
		// must not quietly leave the embedded templates in charge.
		entries, err := os.ReadDir(overrideDir)
		if err != nil {
			return nil, fmt.Errorf("templates directory: %w", err)
		}
		for _, e := range entries {
			// Skip directories, dot files (editor locks, ".#x.tmpl") and
			// anything that is not a template (README, backups).
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") || !strings.HasSuffix(e.Name(), ".tmpl") {
				continue
			}
			p := filepath.Join(overrideDir, e.Name())
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("template %s: %w", p, err)
			}
			files[e.Name()] = file{p, string(b)}
			overridden[e.Name()] = true
		}
	}

	s := &Set{byName: map[string]*tmpl{}}
	for fname, f := range files {
		name, part, err := splitName(fname)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", f.origin, err)
		}
		t := s.byName[name]
		if t == nil {
			t = &tmpl{origin: map[string]string{}}
			s.byName[name] = t
		}
		if strings.TrimSpace(f.content) == "" {
			if part == partText {
				return nil, fmt.Errorf("template %s: the text part is empty", f.origin)
			}
			continue // an empty override removes the part
		}
		t.origin[part] = f.origin
		switch part {
		case partSubject:
			t.subject, err = texttemplate.New(fname).Option("missingkey=error").Parse(f.content)
		case partText:
			t.text, err = texttemplate.New(fname).Option("missingkey=error").Parse(f.content)
		case partHTML:
			t.html, err = htmltemplate.New(fname).Option("missingkey=error").Parse(f.content)
			if err == nil {
				err = checkHTMLContext(t.html)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", f.origin, err)
		}
	}

	for name, t := range s.byName {
		txt, html := name+partText, name+partHTML
		if t.text == nil {
			return nil, fmt.Errorf("template %s: there is no %s, and every template needs its text part", name, txt)
		}
		given, other := txt, html
		if overridden[html] {
			given, other = html, txt
		}
		if overridden[given] && !overridden[other] && shipped[other] {
			return nil, fmt.Errorf("template %s: %s overrides one alternative of %s but not the other, so the text and HTML parts "+
				"of one mail could disagree: add %s there too (a file with only white space removes the HTML part)",
				name, filepath.Join(overrideDir, given), name, other)
		}
	}
	return s, nil
}

// splitName splits "first-response.txt.tmpl" into its name and part.
func splitName(fname string) (name, part string, err error) {
	for _, p := range []string{partSubject, partText, partHTML} {
		if n, ok := strings.CutSuffix(fname, p); ok {
			name, part = n, p
		}
	}
	if part == "" {
		return "", "", errors.New("the file name must end in .txt.tmpl, .html.tmpl or .subject.tmpl")
	}
	if name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		return "", "", fmt.Errorf("%q is not a template name: use lower-case letters, digits, - and _", name)
	}
	return name, part, nil
}

// checkHTMLContext makes html/template's escaper look at t now: it
// analyses a template on first execution, and a broken structure (an
// unclosed attribute, an action in an unsafe place) is a load error, not a
// surprise at the first customer mail. The data is nil, so execution
// itself fails at the first field; only escaping errors matter here.
func checkHTMLContext(t *htmltemplate.Template) error {
	err := t.Execute(io.Discard, nil)
	var escErr *htmltemplate.Error
	if errors.As(err, &escErr) {
		return err
	}
	return nil
}

// Names lists the templates, sorted.
func (s *Set) Names() []string {
	names := make([]string, 0, len(s.byName))
	for n := range s.byName {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Render executes the named template with d. Greeting defaults to
// Greeting(d.FirstName) and NextSteps to DefaultNextSteps() when empty.
// Any failure (an unknown template, a field Data lacks, an Extra key that
// is not set, a body that renders empty) is an error.
func (s *Set) Render(name string, d Data) (Rendered, error) {
	t := s.byName[name]
	if t == nil {
		return Rendered{}, fmt.Errorf("no template %q (there are: %s)", name, strings.Join(s.Names(), ", "))
	}
	if d.Greeting == "" {
		d.Greeting = Greeting(d.FirstName)
	}
	if d.NextSteps == "" {
		d.NextSteps = DefaultNextSteps()
	}
	var r Rendered
	var b bytes.Buffer
	if err := t.text.Execute(&b, d); err != nil {
		return Rendered{}, fmt.Errorf("render %s: %w", t.origin[partText], err)
	}
	r.Text = b.String()
	if strings.TrimSpace(r.Text) == "" {
		return Rendered{}, fmt.Errorf("render %s: the text is empty", t.origin[partText])
	}
	if t.html != nil {
		b.Reset()
		if err := t.html.Execute(&b, d); err != nil {
			return Rendered{}, fmt.Errorf("render %s: %w", t.origin[partHTML], err)
		}
		r.HTML = b.String()
	}
	if t.subject != nil {
		b.Reset()
		if err := t.subject.Execute(&b, d); err != nil {
			return Rendered{}, fmt.Errorf("render %s: %w", t.origin[partSubject], err)
		}
		// A subject is one header line, whatever the template or the
		// data hold: no line break may reach the header.
		r.Subject = strings.Join(strings.Fields(b.String()), " ")
	}
	return r, nil
}

// DefaultNextSteps is the "what happens next" of the first response when
// the configuration sets none. It promises only what is always true: a
// person reads the message and replies, and we keep the customer posted.
func DefaultNextSteps() string {
	return "Someone on our team will read your message and reply to you personally. " +
		"We'll keep you posted until this is sorted out."
}

// Greeting returns the opening line: "Hi Jane," or, when the first name is
// unknown, "Hello,", which is kind without pretending to know the reader.
func Greeting(firstName string) string {
	if firstName == "" {
		return "Hello,"
	}
	return "Hi " + firstName + ","
}

// FirstName returns the first name in a mail's display name, or "" when it
// cannot be told with confidence, so that the greeting falls back to a
// neutral "Hello," rather than greet "Hi Support," or "Hi Jdoe123,".
//
// It is conservative on purpose. It reads only the display name, never
// guesses from the address ("jane.doe@" might be anyone's), and gives up on
// names that look like something other than a person: an address, a
// handle (one all-lower-case word, "jdoe"), initials or an acronym (one
// all-capital word), a role or company ("Support", "No Reply", "Acme
// Billing", or a name that is the sender's domain), anything with digits or
// symbols, or a lone initial. "Doe, Jane" is read as Jane; an honorific is
// skipped when a first name follows it ("Dr. Jane Doe" → Jane, but
// "Mr. Smith" → ""). A name written all in capitals or all in lower case
// is title-cased ("JANE DOE" → Jane); other names keep the spelling their
// owner chose, accents and scripts intact (Zoë, José, 田中, DeShawn).
func FirstName(displayName, addr string) string {
	n := strings.TrimSpace(strings.Trim(strings.TrimSpace(displayName), `"'`))
	if n == "" || !utf8.ValidString(n) || strings.ContainsAny(n, "@<>") || strings.ContainsFunc(n, unicode.IsDigit) {
		return ""
	}
	// "Doe, Jane" → "Jane Doe". A second comma means a title or a list
	// ("Doe, Jane, PhD"), so only the part after the first is used.
	if last, rest, ok := strings.Cut(n, ","); ok {
		first, _, _ := strings.Cut(rest, ",")
		if strings.TrimSpace(first) == "" {
			return "" // "Doe,": a surname alone
		}
		n = strings.TrimSpace(first) + " " + strings.TrimSpace(last)
	}
	words := strings.Fields(n)
	if len(words) == 0 {
		return ""
	}
	for _, w := range words {
		for _, part := range strings.FieldsFunc(strings.ToLower(w), func(r rune) bool { return !unicode.IsLetter(r) }) {
			if isRoleWord(part) {
				return ""
			}
		}
	}
	if isHonorific(words[0]) {
		words = words[1:]
		if len(words) < 2 { // "Mr. Smith": what follows is a surname
			return ""
		}
	}
	first := words[0]
	for i, r := range first {
		if unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) {
			continue
		}
		// Hyphens and apostrophes join parts of names (Mary-Ann, D'Arcy),
		// but never start one.
		if i == 0 || (r != '-' && r != '\'' && r != '’') {
			return ""
		}
	}
	if !hasCase(first) {
		// Scripts without case (Han, Arabic, Hangul …): nothing more to
		// tell a handle from a name by.
		return first
	}
	if utf8.RuneCountInString(first) < 2 { // an initial
		return ""
	}
	lower, upper := first == strings.ToLower(first), first == strings.ToUpper(first)
	if len(words) == 1 && (lower || upper || first != titleCase(first)) {
		// One word alone is a name only when written like one ("Jane",
		// "Mary-Ann"); "jdoe", "JD" and "JDoe" are handles or initials.
		return ""
	}
	if isDomainLabel(first, addr) {
		return "" // "Acme" <hello@acme.com> is a company
	}
	if lower || upper {
		first = titleCase(first)
	}
	return first
}

// isRoleWord reports words that mark a display name as a role, a team, a
// company or a machine rather than a person.
func isRoleWord(w string) bool {
	switch w {
	case "support", "help", "helpdesk", "info", "information", "admin", "administrator", "webmaster", "postmaster",
		"hostmaster", "mailer", "daemon", "noreply", "reply", "donotreply", "team", "staff", "sales", "billing",
		"accounts", "accounting", "office", "contact", "service", "services", "customer", "customers", "notification",
		"notifications", "notify", "alert", "alerts", "system", "root", "bot", "robot", "newsletter", "marketing",
		"security", "careers", "jobs", "hello", "mail", "email", "user", "the", "your", "our", "department", "desk",
		"group", "inc", "llc", "ltd", "gmbh", "company", "corp", "shop", "store", "orders", "feedback", "enquiries",
		"inquiries", "press", "legal", "privacy", "abuse", "via", "unknown", "anonymous", "delivery", "subsystem":
		return true
	}
	return false
}

// isHonorific reports titles that come before a name.
func isHonorific(w string) bool {
	switch strings.ToLower(strings.TrimSuffix(w, ".")) {
	case "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "m", "mme", "mlle", "herr", "frau", "sr", "sra", "srta":
		return true
	}
	return false
}

// isDomainLabel reports whether w is a label of addr's domain other than
// the top-level one: a display name like that is the sender's company.
func isDomainLabel(w, addr string) bool {
	_, domain, ok := strings.Cut(addr, "@")
	if !ok {
		return false
	}
	labels := strings.Split(domain, ".")
	for _, l := range labels[:len(labels)-1] {
		if strings.EqualFold(l, w) {
			return true
		}
	}
	return false
}

func hasCase(s string) bool {
	for _, r := range s {
		if unicode.IsUpper(r) || unicode.IsLower(r) {
			return true
		}
	}
	return false
}

// titleCase capitalises each part of a name ("JEAN-LUC" → "Jean-Luc").
func titleCase(s string) string {
	var b strings.Builder
	rs := []rune(s)
	start := true
	for i, r := range rs {
		switch {
		case start:
			b.WriteRune(unicode.ToTitle(r))
		case r == 'σ' || r == 'Σ':
			// Greek: a sigma that ends a word is written ς.
			if i == len(rs)-1 || !unicode.IsLetter(rs[i+1]) {
				b.WriteRune('ς')
			} else {
				b.WriteRune('σ')
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
		start = r == '-' || r == '\'' || r == '’'
	}
	return b.String()
}
