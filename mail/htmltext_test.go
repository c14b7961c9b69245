package mail

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"supportd/internal/testcorpus"
)

func TestHTMLToText(t *testing.T) {
	cases := []struct {
		name, html, want string
	}{
		{"paragraphs", "<p>One</p><p>Two</p>", "One\n\nTwo"},
		{"br", "Line one<br>Line two<br/><br>Line four", "Line one\nLine two\n\nLine four"},
		{"divs as Gmail writes them", "<div>Hi,</div><div><br></div><div>the export fails.</div>", "Hi,\n\nthe export fails."},
		{"white space collapses", "<p>  lots   of\n\t space  </p>", "lots of space"},
		{"inline elements keep spacing", "<p>a <b>bold</b> and <i>italic</i>word</p>", "a bold and italicword"},
		{"entities", "<p>&lt;tag&gt; &amp; caf&eacute; &#8364;5 &quot;q&quot;&nbsp;x</p>", "<tag> & café €5 \"q\" x"},
		{"links keep their text", `<p>See <a href="https://example.com/very/long">the docs</a>.</p>`, "See the docs."},
		{"script, style, head dropped", "<html><head><title>T</title><style>p{}</style></head><body><script>x()</script><p>shown</p><noscript>ns</noscript></body></html>", "shown\n\nns"},
		{"hidden preheader dropped", `<div style="display: none">preview text</div><p>Body</p>`, "Body"},
		{"unordered list", "<ul><li>one</li><li>two</li></ul>", "- one\n- two"},
		{"ordered list", "<p>Steps:</p><ol><li>open</li><li>close</li></ol>", "Steps:\n\n1. open\n2. close"},
		{"nested list", "<ul><li>a<ul><li>b</li></ul></li></ul>", "- a\n  - b"},
		{"table cells", "<table><tr><td>Name</td><td>Jane</td></tr><tr><td>Plan</td><td>Pro</td></tr></table>", "Name Jane\nPlan Pro"},
		{"blockquote is quoted", "<div>New text</div><div>On Mon, Jane wrote:<blockquote><p>old one</p><p>old two</p></blockquote></div>", "New text\nOn Mon, Jane wrote:\n\n> old one\n>\n> old two"},
		{"pre keeps lines", "<pre>a  b\n  c</pre>", "a  b\n  c"},
		{"heading", "<h1>Title</h1>text", "Title\n\ntext"},
		{"comments dropped", "a<!-- secret -->b", "ab"},
		{"broken markup", "<p>unclosed <b>bold <div>block</p>", "unclosed bold\n\nblock"}, // <div> closes the <p>,
		{"empty", "", ""},
		{"only tags", "<html><body><img src=x></body></html>", ""},
		{"many blank lines collapse", "a<br><br><br><br><br>b", "a\n\nb"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := HTMLToText(c.html); got != c.want {
				t.Errorf("HTMLToText(%q) =\n%q\nwant\n%q", c.html, got, c.want)
			}
		})
	}
}

// TestHTMLToTextDeep: nesting far beyond any real document is walked
// without recursion and in bounded time.
func TestHTMLToTextDeep(t *testing.T) {
	// html.Parse refuses this (over 512 open elements); the token
	// fallback still drops the script and keeps the words.
	html := "<style>p{}</style>" + strings.Repeat("<div>", 5_000) + "<script>bad()</script>deep" + strings.Repeat("</div>", 5_000)
	if got := HTMLToText(html); got != "deep" {
		t.Errorf("got %q", truncateUTF8(got, 100))
	}
}

// TestHTMLToTextTalon renders talon's HTML replies: the expected reply
// text "Hi. I am fine.\n\nThanks,\nAlex" (compared without white space, as
// talon's tests do) must be there, in order.
func TestHTMLToTextTalon(t *testing.T) {
	files, err := filepath.Glob(testcorpus.Path(t, "mailgun-talon", "tests", "fixtures", "html_replies", "*.html"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no html_replies: %v", err)
	}
	want := "Hi.Iamfine.Thanks,Alex"
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(strings.Fields(HTMLToText(string(b))), "")
		if !strings.Contains(got, want) {
			t.Errorf("%s: %q lacks %q", filepath.Base(f), truncateUTF8(got, 200), want)
		}
	}
}
