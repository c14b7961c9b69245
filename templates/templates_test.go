package templates

import (
	"html"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
)

func full() Data {
	return Data{
		Greeting: "Hi Jane,", FirstName: "Jane", CustomerName: "Jane Doe", CustomerAddress: "jane@example.org",
		Restatement: "you can't log in to your account since this morning", TicketID: 42, Subject: "Can't log in",
		SupportName: "Example Support", SupportAddress: "support@example.com", NextSteps: DefaultNextSteps(),
		AgentName: "Alex", Body: "Try again now, please.", Link: "https://support.example.com/s/abc",
		Extra: map[string]string{"k": "v"},
	}
}

// minimal is what a caller knows about a sender with no display name.
func minimal() Data {
	return Data{CustomerAddress: "x@example.org", TicketID: 7, SupportName: "Example Support"}
}

func mustLoad(t *testing.T, dir string) *Set {
	t.Helper()
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestEveryEmbeddedTemplateRenders(t *testing.T) {
	s := mustLoad(t, "")
	if len(s.Names()) == 0 {
		t.Fatal("no templates")
	}
	for _, name := range s.Names() {
		for dname, d := range map[string]Data{"full": full(), "minimal": minimal()} {
			r, err := s.Render(name, d)
			if err != nil {
				t.Fatalf("%s with %s data: %v", name, dname, err)
			}
			for part, out := range map[string]string{"text": r.Text, "html": r.HTML, "subject": r.Subject} {
				if strings.Contains(out, "<no value>") || strings.Contains(out, "{{") || strings.Contains(out, "/*") {
					t.Errorf("%s (%s, %s data) shows template syntax:\n%s", name, part, dname, out)
				}
			}
			if dname == "minimal" && !strings.HasPrefix(r.Text, "Hello,\n") {
				t.Errorf("%s without a name should greet neutrally:\n%s", name, r.Text)
			}
			if strings.Contains(r.Text, "It sounds like .") {
				t.Errorf("%s restates nothing:\n%s", name, r.Text)
			}
		}
	}
}

func TestFirstResponseSaysWhatMatters(t *testing.T) {
	s := mustLoad(t, "")
	r, err := s.Render("first-response", full())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Hi Jane,\n",                      // greets by first name
		"Thank you",                       // thanks
		"It sounds like you can't log in", // restates
		"Someone on our team will read your message and reply to you personally", // a person replies
		"We'll keep you posted",           // and we follow up
		"just reply to this email",        // replying adds to the request
		"added to this same request",      // …
		"[#42]",                           // the reference
		"Best wishes,\nExample Support\n", // signed by the team
	} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, r.Text)
		}
	}
	if r.Subject != "" {
		t.Errorf("first-response has a subject %q; the caller's default should apply", r.Subject)
	}
	// Short: an acknowledgement nobody reads helps nobody.
	if n := len(strings.Fields(r.Text)); n > 120 {
		t.Errorf("first response is %d words; keep it short", n)
	}
	// The restatement comes from the customer's words: no "Dear valued customer".
	for _, filler := range []string{"valued", "Dear", "do not reply", "automated", "inconvenience"} {
		if strings.Contains(r.Text, filler) {
			t.Errorf("text has filler %q", filler)
		}
	}
}

// TestTextAndHTMLSayTheSame keeps the two alternatives of each mail from
// drifting apart: the HTML body, as text, is the text part.
func TestTextAndHTMLSayTheSame(t *testing.T) {
	s := mustLoad(t, "")
	blocks := regexp.MustCompile(`(?i)</?(p|br|div|body|h[1-6]|li|ul|ol)\b[^>]*>`)
	inline := regexp.MustCompile(`<[^>]*>`)
	for _, name := range s.Names() {
		for _, d := range []Data{full(), minimal()} {
			r, err := s.Render(name, d)
			if err != nil {
				t.Fatal(err)
			}
			if r.HTML == "" {
				continue
			}
			body := r.HTML[strings.Index(r.HTML, "<body>"):]
			got := strings.Join(strings.Fields(html.UnescapeString(inline.ReplaceAllString(blocks.ReplaceAllString(body, " "), ""))), " ")
			want := strings.Join(strings.Fields(r.Text), " ")
			if got != want {
				t.Errorf("%s: HTML says\n%s\ntext says\n%s", name, got, want)
			}
		}
	}
}

func TestHTMLEscapesEverything(t *testing.T) {
	s := mustLoad(t, "")
	d := full()
	d.Restatement = `<script>alert("x")</script> & more`
	d.Greeting = `Hi <b>Jane</b>,`
	d.SupportName = `Support <img src=x onerror=alert(1)>`
	d.Subject = `</title><script>`
	r, err := s.Render("first-response", d)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>", "<b>", "<img", "</title><"} {
		if strings.Contains(r.HTML, bad) {
			t.Errorf("HTML contains %q unescaped:\n%s", bad, r.HTML)
		}
	}
	if !strings.Contains(r.HTML, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more") {
		t.Errorf("restatement not escaped as expected:\n%s", r.HTML)
	}
	// Plain text is not HTML: it carries the customer's words as they are.
	if !strings.Contains(r.Text, `<script>alert("x")</script> & more`) {
		t.Errorf("text altered the restatement:\n%s", r.Text)
	}
}

func TestHTMLUsesNoExternalResources(t *testing.T) {
	s := mustLoad(t, "")
	r, err := s.Render("first-response", full())
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"src=", "href=", "url(", "@import", "<link", "<img", "<script", "http"} {
		if strings.Contains(r.HTML, bad) {
			t.Errorf("HTML has %q", bad)
		}
	}
}

// TestOverrideReplacesOneAndKeepsOthers uses a stand-in for the shipped
// files, so it holds however many templates supportd ships.
func TestOverrideReplacesOneAndKeepsOthers(t *testing.T) {
	shipped := fstest.MapFS{
		"one.txt.tmpl":  {Data: []byte("one {{.TicketID}}")},
		"one.html.tmpl": {Data: []byte("<p>one {{.TicketID}}</p>")},
		"two.txt.tmpl":  {Data: []byte("two {{.TicketID}}")},
	}
	dir := writeFiles(t, map[string]string{
		"one.txt.tmpl":      "custom {{.TicketID}}",
		"one.html.tmpl":     "<p>custom {{.TicketID}}</p>",
		"two.subject.tmpl":  "About {{.Subject}}\n [#{{.TicketID}}]\n",
		"three.txt.tmpl":    "three",
		"README":            "not a template",
		".#one.txt.tmpl":    "an editor's lock file",
		"one.txt.tmpl~":     "a backup",
		"two.txt.tmpl.orig": "another",
	})
	s, err := load(shipped, "shipped ", dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Names(), ","); got != "one,three,two" {
		t.Errorf("Names() = %s", got)
	}
	d := Data{TicketID: 5, Subject: "Billing"}
	for name, want := range map[string]Rendered{
		"one":   {Text: "custom 5", HTML: "<p>custom 5</p>"},
		"two":   {Text: "two 5", Subject: "About Billing [#5]"},
		"three": {Text: "three"},
	} {
		got, err := s.Render(name, d)
		if err != nil || got != want {
			t.Errorf("Render(%s) = %+v, %v; want %+v", name, got, err, want)
		}
	}

	// The real embedded set, with first-response overridden in full.
	dir = writeFiles(t, map[string]string{
		"first-response.txt.tmpl":  "Custom {{.TicketID}}",
		"first-response.html.tmpl": " \n",
	})
	r, err := mustLoad(t, dir).Render("first-response", full())
	if err != nil || r.Text != "Custom 42" || r.HTML != "" {
		t.Errorf("override of first-response = %+v, %v; want the custom text and no HTML", r, err)
	}
}

func TestBadOverridesFailLoad(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  string // in the error, with DIR for the directory
	}{
		{"text that does not parse", map[string]string{"first-response.txt.tmpl": "{{.Broken", "first-response.html.tmpl": "x"},
			"template DIR/first-response.txt.tmpl: template: first-response.txt.tmpl:1: unclosed action"},
		{"HTML that does not parse", map[string]string{"first-response.txt.tmpl": "x", "first-response.html.tmpl": "{{if .Body}}"},
			"template DIR/first-response.html.tmpl: "},
		{"HTML in a broken context", map[string]string{"x.txt.tmpl": "x", "x.html.tmpl": `<a href="{{.Link}}`},
			"template DIR/x.html.tmpl: "},
		{"subject that does not parse", map[string]string{"x.txt.tmpl": "x", "x.subject.tmpl": "{{end}}"},
			"template DIR/x.subject.tmpl: "},
		{"text overridden without its HTML", map[string]string{"first-response.txt.tmpl": "x"},
			"template first-response: DIR/first-response.txt.tmpl overrides one alternative of first-response but not the other"},
		{"HTML overridden without its text", map[string]string{"first-response.html.tmpl": "<p>x</p>"},
			"add first-response.txt.tmpl there too"},
		{"HTML without any text", map[string]string{"x.html.tmpl": "<p>x</p>"},
			"template x: there is no x.txt.tmpl"},
		{"empty text", map[string]string{"x.txt.tmpl": "\n"},
			"template DIR/x.txt.tmpl: the text part is empty"},
		{"unknown part", map[string]string{"x.text.tmpl": "x"},
			"template DIR/x.text.tmpl: the file name must end in .txt.tmpl, .html.tmpl or .subject.tmpl"},
		{"bad name", map[string]string{"First Response.txt.tmpl": "x"},
			`template DIR/First Response.txt.tmpl: "First Response" is not a template name`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, tc.files)
			_, err := Load(dir)
			want := strings.ReplaceAll(tc.want, "DIR", dir)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("Load = %v\nwant an error containing %q", err, want)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing override directory loaded")
	}
}

func TestExecutionErrorsAreErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"field.txt.tmpl":       "Hello {{.NoSuchField}}",
		"extra.txt.tmpl":       "Code {{.Extra.code}}",
		"html-field.txt.tmpl":  "ok",
		"html-field.html.tmpl": "<p>{{.Nope}}</p>",
		"subject.txt.tmpl":     "ok",
		"subject.subject.tmpl": "{{.Nope}}",
		"blank.txt.tmpl":       "{{if .Body}}{{.Body}}{{end}}",
	})
	s := mustLoad(t, dir)
	for name, want := range map[string]string{
		"field":      "field.txt.tmpl:1:8: executing \"field.txt.tmpl\" at <.NoSuchField>: can't evaluate field NoSuchField",
		"extra":      `map has no entry for key "code"`,
		"html-field": "can't evaluate field Nope",
		"subject":    "can't evaluate field Nope",
		"blank":      "the text is empty",
		"nope":       `no template "nope"`,
	} {
		d := full()
		d.Body = "" // so that blank renders nothing
		r, err := s.Render(name, d)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Render(%s) = %+v, %v\nwant an error containing %q", name, r, err, want)
		}
	}
	if r, err := s.Render("extra", Data{Extra: map[string]string{"code": "X1"}}); err != nil || r.Text != "Code X1" {
		t.Errorf("Extra: %+v, %v", r, err)
	}
}

func TestRenderFillsGreetingAndNextSteps(t *testing.T) {
	dir := writeFiles(t, map[string]string{"x.txt.tmpl": "{{.Greeting}}|{{.NextSteps}}"})
	s := mustLoad(t, dir)
	for _, tc := range []struct {
		d    Data
		want string
	}{
		{Data{}, "Hello,|" + DefaultNextSteps()},
		{Data{FirstName: "Zoë"}, "Hi Zoë,|" + DefaultNextSteps()},
		{Data{Greeting: "Dear team,", NextSteps: "We'll call you."}, "Dear team,|We'll call you."},
	} {
		if r, err := s.Render("x", tc.d); err != nil || r.Text != tc.want {
			t.Errorf("Render(%+v) = %q, %v; want %q", tc.d, r.Text, err, tc.want)
		}
	}
}

func TestConcurrentRender(t *testing.T) {
	s := mustLoad(t, "")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if _, err := s.Render("first-response", full()); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
}

// TestFieldsDocumentsData keeps `supportd templates list` in step with Data.
func TestFieldsDocumentsData(t *testing.T) {
	var names []string
	dt := reflect.TypeFor[Data]()
	for i := range dt.NumField() {
		names = append(names, dt.Field(i).Name)
	}
	var documented []string
	for _, f := range Fields() {
		documented = append(documented, f.Name)
		if f.Description == "" {
			t.Errorf("%s has no description", f.Name)
		}
	}
	if strings.Join(names, ",") != strings.Join(documented, ",") {
		t.Errorf("Fields() = %v\nData has  %v", documented, names)
	}
}

func TestGreetingAndNextSteps(t *testing.T) {
	if got := Greeting(""); got != "Hello," {
		t.Errorf("Greeting(\"\") = %q", got)
	}
	if got := Greeting("José"); got != "Hi José," {
		t.Errorf("Greeting(José) = %q", got)
	}
	ns := DefaultNextSteps()
	if !strings.Contains(ns, "our team will read") || !strings.Contains(ns, "keep you posted") {
		t.Errorf("DefaultNextSteps() = %q; it should say a person reads and replies, and that we keep them posted", ns)
	}
}

func TestFirstName(t *testing.T) {
	cases := []struct{ display, addr, want string }{
		// People.
		{"Jane Doe", "jane@example.org", "Jane"},
		{"Doe, Jane", "jane@example.org", "Jane"},
		{"Doe, Jane, PhD", "jane@example.org", "Jane"},
		{`"Jane Doe"`, "jane@example.org", "Jane"},
		{"  Jane   Doe  ", "jane@example.org", "Jane"},
		{"Jane", "jane@example.org", "Jane"},
		{"Dr. Jane Doe", "jane@example.org", "Jane"},
		{"Mary-Ann Smith", "ma@example.org", "Mary-Ann"},
		{"DeShawn Jones", "dj@example.org", "DeShawn"},
		{"Jane Doe (Acme)", "jane@acme.example", "Jane"},
		// Capitals and lower case are title-cased.
		{"JANE DOE", "jane@example.org", "Jane"},
		{"jane doe", "jane@example.org", "Jane"},
		{"JEAN-LUC PICARD", "jl@example.org", "Jean-Luc"},
		{"ΝΊΚΟΣ ΠΑΠΑΔΌΠΟΥΛΟΣ", "n@example.gr", "Νίκος"},
		// Other scripts and accents, intact.
		{"Zoë Ærøskøbing", "z@example.dk", "Zoë"},
		{"ZOË MÜLLER", "z@example.de", "Zoë"},
		{"José García", "jose@example.es", "José"},
		{"Zoe\u0308 Smith", "z@example.org", "Zoe\u0308"}, // decomposed diaeresis
		{"田中 太郎", "tanaka@example.jp", "田中"},
		{"田中", "tanaka@example.jp", "田中"},
		{"Иван Петров", "ivan@example.ru", "Иван"},
		{"محمد علي", "m@example.org", "محمد"},
		// Not a person, or not sure: a neutral greeting instead.
		{"", "jane.doe@example.org", ""},
		{"jane.doe@example.org", "jane.doe@example.org", ""},
		{"<jane@example.org>", "jane@example.org", ""},
		{"jdoe123", "jdoe123@example.org", ""},
		{"jdoe", "jdoe@example.org", ""},
		{"JDoe", "jdoe@example.org", ""},
		{"JD", "jd@example.org", ""},
		{"Support", "support@example.org", ""},
		{"Info", "info@example.org", ""},
		{"Admin", "admin@example.org", ""},
		{"No Reply", "noreply@example.org", ""},
		{"no-reply", "no-reply@example.org", ""},
		{"Acme Support", "help@acme.example", ""},
		{"The Doe Family", "does@example.org", ""},
		{"Mail Delivery Subsystem", "mailer-daemon@example.org", ""},
		{"MAILER-DAEMON", "mailer-daemon@example.org", ""},
		{"Stripe", "receipts@stripe.com", ""},
		{"Jane Doe via LinkedIn", "messages@linkedin.com", ""},
		{"Jane2 Doe", "j@example.org", ""},
		{"R2D2", "r2@example.org", ""},
		{"J. Doe", "j@example.org", ""},
		{"J Doe", "j@example.org", ""},
		{"Mr. Smith", "smith@example.org", ""},
		{"Doe,", "doe@example.org", ""},
		{"=?UTF-8?B?SmFuZQ==?=", "j@example.org", ""},
		{"🌸 Jane", "j@example.org", ""},
		{"-Jane Doe", "j@example.org", ""},
		{"\xff\xfe", "j@example.org", ""},
	}
	for _, tc := range cases {
		if got := FirstName(tc.display, tc.addr); got != tc.want {
			t.Errorf("FirstName(%q, %q) = %q, want %q", tc.display, tc.addr, got, tc.want)
		}
	}
}
