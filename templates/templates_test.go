package templates

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func full() Data {
	return Data{Greeting: "Hi Jane,", FirstName: "Jane", CustomerName: "Jane Doe", CustomerAddress: "jane@example.org",
		Restatement: "you can't log in to your account", TicketID: 42, Subject: "Login", SupportName: "Example Support",
		SupportAddress: "support@example.com", NextSteps: DefaultNextSteps()}
}

func TestEveryEmbeddedTemplateRenders(t *testing.T) {
	s, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Names()) == 0 {
		t.Fatal("no templates")
	}
	for _, name := range s.Names() {
		for _, d := range []Data{full(), {Greeting: Greeting(""), Restatement: "your message about billing", TicketID: 1, SupportName: "S", NextSteps: "x"}} {
			r, err := s.Render(name, d)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if strings.Contains(r.Text, "<no value>") || strings.Contains(r.Text, "{{") {
				t.Errorf("%s rendered placeholders:\n%s", name, r.Text)
			}
		}
	}
}

func TestFirstResponseSaysWhatMatters(t *testing.T) {
	s, _ := Load("")
	r, err := s.Render("first-response", full())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Hi Jane,", "It sounds like you can't log in to your account.", "[#42]", "Example Support", "get back to you"} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, r.Text)
		}
		if !strings.Contains(r.HTML, strings.ReplaceAll(want, "'", "&#39;")) {
			t.Errorf("html lacks %q:\n%s", want, r.HTML)
		}
	}
}

func TestHTMLIsEscaped(t *testing.T) {
	s, _ := Load("")
	d := full()
	d.Restatement = `<script>alert(1)</script>`
	r, err := s.Render("first-response", d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.HTML, "<script>") {
		t.Errorf("HTML not escaped:\n%s", r.HTML)
	}
}

func TestOverrideReplacesOneAndKeepsOthers(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "first-response.txt.tmpl"), []byte("Custom {{.TicketID}}"), 0o644)
	os.WriteFile(filepath.Join(dir, "extra.txt.tmpl"), []byte("Extra"), 0o644)
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := s.Render("first-response", full())
	if r.Text != "Custom 42" {
		t.Errorf("override not used: %q", r.Text)
	}
	if got := strings.Join(s.Names(), ","); got != "extra,first-response" {
		t.Errorf("names = %s", got)
	}
}

func TestBrokenOverrideFailsLoadWithItsName(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "first-response.txt.tmpl"), []byte("{{.Broken"), 0o644)
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), "first-response.txt.tmpl") {
		t.Fatalf("Load = %v, want an error naming the file", err)
	}
}

func TestUnknownFieldFailsAtRender(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x.txt.tmpl"), []byte("{{.NoSuchField}}"), 0o644)
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Render("x", full()); err == nil {
		t.Fatal("rendering an unknown field succeeded")
	}
	if _, err := s.Render("nope", full()); err == nil {
		t.Fatal("rendering an unknown template succeeded")
	}
}

func TestFirstName(t *testing.T) {
	cases := []struct{ display, want string }{
		{"Jane Doe", "Jane"},
		{"Doe, Jane", "Jane"},
		{`"Jane Doe"`, "Jane"},
		{"JANE DOE", "Jane"},
		{"jane doe", "Jane"},
		{"Zoë Ærøskøbing", "Zoë"},
		{"José García", "José"},
		{"Mary-Ann Smith", "Mary-Ann"},
		{"田中 太郎", "田中"},
		{"Jean-luc", "Jean-luc"},
		{"", ""},
		{"jane.doe@example.org", ""},
		{"jdoe123", ""},
		{"jdoe", ""},
		{"Support", ""},
		{"Info", ""},
		{"No Reply", ""},
		{"Admin Team", ""},
		{"J. Doe", ""},
		{"<jane@example.org>", ""},
		{"Ahmed", "Ahmed"},
	}
	for _, c := range cases {
		if got := FirstName(c.display, "x@example.org"); got != c.want {
			t.Errorf("FirstName(%q) = %q, want %q", c.display, got, c.want)
		}
	}
	if Greeting("") != "Hello," || Greeting("Jane") != "Hi Jane," {
		t.Error("Greeting")
	}
}
