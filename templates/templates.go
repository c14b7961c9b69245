// Package templates holds supportd's saved replies: text/template files
// (and optional html/template alternatives) embedded in the binary, each
// overridable by a file of the same name in a directory named in the
// configuration.
//
// A template that fails to parse or to execute is an error, never a silent
// fallback to raw text: a customer must not receive "{{.Restatement}}".
package templates

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	texttemplate "text/template"
	"unicode"
	"unicode/utf8"
)

//go:embed files/*.tmpl
var embedded embed.FS

// Data is the documented set of fields a template can use.
type Data struct {
	Greeting        string            // "Hi Jane," or a kind neutral "Hello," when the name is unknown
	FirstName       string            // the customer's first name, or empty
	CustomerName    string            // the display name the customer wrote from
	CustomerAddress string            // the customer's address
	Restatement     string            // the clause after "It sounds like"
	TicketID        int64             // the number customers see as [#N]
	Subject         string            // the ticket's subject
	SupportName     string            // [support] name
	SupportAddress  string            // [support] address
	NextSteps       string            // what happens next
	AgentName       string            // the agent, for mail written on an agent's behalf
	Body            string            // text written by an agent, relayed
	Link            string            // a link the mail carries (e.g. a secure form)
	Extra           map[string]string // anything a later template needs
}

// Field describes one template field for `supportd templates list`.
type Field struct {
	Name, Description string
}

// Fields lists the fields of Data with their meaning.
func Fields() []Field {
	return []Field{
		{"Greeting", `"Hi Jane," with the customer's first name, or a kind neutral "Hello," when it is unknown`},
		{"FirstName", "the customer's first name, or empty"},
		{"CustomerName", "the display name the customer wrote from"},
		{"CustomerAddress", "the customer's email address"},
		{"Restatement", `the customer's problem in their own terms, to follow "It sounds like"`},
		{"TicketID", "the ticket number, shown to customers as [#N]"},
		{"Subject", "the ticket's subject"},
		{"SupportName", "the support team's name ([support] name)"},
		{"SupportAddress", "the support address ([support] address)"},
		{"NextSteps", "what happens next ([support] next_steps, or the default)"},
		{"AgentName", "the agent on whose behalf the mail is written"},
		{"Body", "text an agent wrote, relayed to the customer"},
		{"Link", "a link the mail carries, e.g. a secure form"},
		{"Extra", "a map of further values, {{.Extra.key}}"},
	}
}

// Rendered is a template's output.
type Rendered struct {
	Text string
	HTML string // empty when the template has no HTML alternative
}

// Set is a loaded set of templates.
type Set struct {
	text map[string]*texttemplate.Template
	html map[string]*htmltemplate.Template
}

// Load reads the embedded templates and, when overrideDir is not empty, the
// files there that replace them (same names: NAME.txt.tmpl, NAME.html.tmpl).
func Load(overrideDir string) (*Set, error) {
	s := &Set{text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}}
	files := map[string][]byte{}
	entries, err := fs.ReadDir(embedded, "files")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		b, err := embedded.ReadFile("files/" + e.Name())
		if err != nil {
			return nil, err
		}
		files[e.Name()] = b
	}
	origin := map[string]string{}
	if overrideDir != "" {
		entries, err := os.ReadDir(overrideDir)
		if err != nil {
			return nil, fmt.Errorf("templates directory: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".tmpl") {
				continue
			}
			p := filepath.Join(overrideDir, e.Name())
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("template %s: %w", p, err)
			}
			files[e.Name()] = b
			origin[e.Name()] = p
		}
	}
	for name, b := range files {
		where := origin[name]
		if where == "" {
			where = "embedded " + name
		}
		switch {
		case strings.HasSuffix(name, ".txt.tmpl"):
			t, err := texttemplate.New(name).Option("missingkey=error").Parse(string(b))
			if err != nil {
				return nil, fmt.Errorf("template %s: %w", where, err)
			}
			s.text[strings.TrimSuffix(name, ".txt.tmpl")] = t
		case strings.HasSuffix(name, ".html.tmpl"):
			t, err := htmltemplate.New(name).Option("missingkey=error").Parse(string(b))
			if err != nil {
				return nil, fmt.Errorf("template %s: %w", where, err)
			}
			s.html[strings.TrimSuffix(name, ".html.tmpl")] = t
		default:
			return nil, fmt.Errorf("template %s: name must end in .txt.tmpl or .html.tmpl", where)
		}
	}
	for name := range s.html {
		if s.text[name] == nil {
			return nil, fmt.Errorf("template %s has an HTML part but no %s.txt.tmpl", name, name)
		}
	}
	return s, nil
}

// Names lists the templates, sorted.
func (s *Set) Names() []string {
	var out []string
	for n := range s.text {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ErrUnknown is returned by Render for a name that is not in the set.
var ErrUnknown = errors.New("unknown template")

// Render executes the named template with d.
func (s *Set) Render(name string, d Data) (Rendered, error) {
	t := s.text[name]
	if t == nil {
		return Rendered{}, fmt.Errorf("%w %q", ErrUnknown, name)
	}
	var r Rendered
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return Rendered{}, fmt.Errorf("render %s: %w", name, err)
	}
	r.Text = b.String()
	if h := s.html[name]; h != nil {
		b.Reset()
		if err := h.Execute(&b, d); err != nil {
			return Rendered{}, fmt.Errorf("render %s (html): %w", name, err)
		}
		r.HTML = b.String()
	}
	return r, nil
}

// DefaultNextSteps is the "what happens next" text of the first response.
func DefaultNextSteps() string {
	return "A person on our team will read your message and get back to you, usually within one business day. " +
		"We'll keep you posted as we learn more."
}

// Greeting returns "Hi Jane," or, when the first name is unknown, "Hello,".
func Greeting(firstName string) string {
	if firstName == "" {
		return "Hello,"
	}
	return "Hi " + firstName + ","
}

// roleWords are display names that are not a person's name.
var roleWords = map[string]bool{
	"support": true, "info": true, "admin": true, "administrator": true, "noreply": true, "no-reply": true, "no": true,
	"team": true, "sales": true, "billing": true, "office": true, "contact": true, "webmaster": true, "help": true,
	"customer": true, "service": true, "mail": true, "postmaster": true, "root": true, "user": true, "the": true,
}

// FirstName returns the first name of a display name, conservatively: only
// from a display name that looks like a person's ("Jane Doe" → "Jane",
// "Doe, Jane" → "Jane"), never guessed from the address, and not from
// handles, role names or anything with digits or an @. An all-caps or
// all-lower-case name is title-cased; other names are kept as written.
func FirstName(displayName, addr string) string {
	n := strings.TrimSpace(strings.Trim(displayName, `"'`))
	if n == "" || strings.ContainsAny(n, "@0123456789<>") || !utf8.ValidString(n) {
		return ""
	}
	if last, first, ok := strings.Cut(n, ","); ok {
		n = strings.TrimSpace(first)
		if n == "" {
			n = strings.TrimSpace(last)
		}
	}
	words := strings.Fields(n)
	if len(words) == 0 {
		return ""
	}
	first := words[0]
	if roleWords[strings.ToLower(first)] {
		return ""
	}
	// A single lower-case word with no space is usually a handle ("jdoe").
	if len(words) == 1 && strings.ToLower(first) == first && isLatin(first) && !strings.ContainsAny(first, "-") {
		return ""
	}
	for _, r := range first {
		if !unicode.IsLetter(r) && r != '-' && r != '\'' && r != '.' {
			return ""
		}
	}
	first = strings.TrimSuffix(first, ".")
	if utf8.RuneCountInString(first) < 2 {
		return ""
	}
	if strings.ToUpper(first) == first || strings.ToLower(first) == first {
		first = titleCase(first)
	}
	return first
}

func isLatin(s string) bool {
	for _, r := range s {
		if r > unicode.MaxLatin1 && !unicode.Is(unicode.Latin, r) {
			return false
		}
	}
	return true
}

func titleCase(s string) string {
	var b strings.Builder
	upper := true
	for _, r := range s {
		if upper {
			b.WriteRune(unicode.ToUpper(r))
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
		upper = r == '-' || r == '\''
	}
	return b.String()
}
