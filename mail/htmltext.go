package mail

import (
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxHTMLNodes bounds the work HTMLToText does on one document; past it the
// rest of the document is ignored. A real mail body has a few thousand.
const maxHTMLNodes = 500_000

// HTMLToText renders an HTML mail body as readable plain text, for messages
// that have no text/plain part. Paragraphs, headings and tables are set off
// by blank lines; <br>, <div>, table rows and list items start new lines
// (items get "- " or "1. "); link text is kept and the URL dropped;
// scripts, styles, the head and hidden elements are dropped; entities are
// decoded and white space collapses as a browser would collapse it, except
// inside <pre>. <blockquote> content is prefixed with "> ", so reply
// extraction can tell quoted history from new text. The result has LF line
// endings, no trailing spaces and at most one blank line in a row.
// Only the first 4 MiB of s are read.
func HTMLToText(s string) string {
	if len(s) > maxHTMLRead {
		s = truncateUTF8(s, maxHTMLRead)
	}
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		// html.Parse refuses documents nested deeper than 512 elements.
		// Read the tokens instead: no tree, but the words.
		return htmlTokensToText(s)
	}
	r := &htmlRenderer{}
	// An iterative walk keeps the stack flat however deep the tree.
	n, visited := doc, 0
	for n != nil && visited < maxHTMLNodes {
		visited++
		if r.open(n) && n.FirstChild != nil {
			n = n.FirstChild
			continue
		}
		for n != nil {
			r.close(n)
			if n == doc {
				n = nil
				break
			}
			if n.NextSibling != nil {
				n = n.NextSibling
				break
			}
			n = n.Parent
		}
	}
	return collapseBlankLines(cleanText(r.out.String()))
}

// htmlTokensToText is the fallback for documents html.Parse refuses: text
// tokens outside script and style, with line breaks at block tags.
func htmlTokensToText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	r := &htmlRenderer{}
	skip := 0
	for range maxHTMLNodes {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return collapseBlankLines(cleanText(r.out.String()))
		case html.TextToken:
			if skip == 0 {
				r.text(string(z.Text()))
			}
			continue
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
		default:
			continue
		}
		name, _ := z.TagName()
		a := atom.Lookup(name)
		switch a {
		case atom.Script, atom.Style, atom.Title, atom.Template:
			if tt == html.StartTagToken {
				skip++
			} else if tt == html.EndTagToken && skip > 0 {
				skip--
			}
		case atom.Br:
			r.newlines++
		default:
			if b := htmlBreaks(a); b > 0 {
				r.lineBreaks(b)
			}
		}
	}
	return collapseBlankLines(cleanText(r.out.String()))
}

// htmlRenderer accumulates the text of one document.
type htmlRenderer struct {
	out        strings.Builder
	newlines   int  // line breaks owed before the next text
	space      bool // a space owed before the next text on this line
	prefix     string
	quote      int // blockquote depth
	breakQuote int // blockquote depth when the owed line breaks were asked for
	pre        int // <pre> depth
	lists      []htmlList
	cellCount  []int // cells seen in the current table row, per open row
}

type htmlList struct {
	ordered bool
	n       int
}

// Elements whose content is never shown.
func htmlHidden(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Head, atom.Title, atom.Template, atom.Meta, atom.Link,
		atom.Object, atom.Iframe, atom.Svg, atom.Math, atom.Select, atom.Button:
		return true
	}
	for _, a := range n.Attr {
		switch a.Key {
		case "hidden":
			return true
		case "style":
			// Preheaders and tracking blocks in marketing mail.
			st := strings.ToLower(strings.Join(strings.Fields(a.Val), ""))
			if strings.Contains(st, "display:none") || strings.Contains(st, "visibility:hidden") {
				return true
			}
		}
	}
	return false
}

// paragraph elements are set off by a blank line, line elements by a line
// break.
func htmlBreaks(a atom.Atom) int {
	switch a {
	case atom.P, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Table, atom.Blockquote,
		atom.Pre, atom.Hr, atom.Dl, atom.Figure, atom.Ul, atom.Ol:
		return 2
	case atom.Div, atom.Li, atom.Tr, atom.Dt, atom.Dd, atom.Address, atom.Article, atom.Aside,
		atom.Section, atom.Header, atom.Footer, atom.Nav, atom.Form, atom.Fieldset, atom.Main,
		atom.Center, atom.Details, atom.Summary, atom.Figcaption, atom.Caption, atom.Tbody,
		atom.Thead, atom.Tfoot, atom.Legend:
		return 1
	}
	return 0
}

// open handles the start of n and reports whether its children are shown.
func (r *htmlRenderer) open(n *html.Node) bool {
	switch n.Type {
	case html.TextNode:
		r.text(n.Data)
		return false
	case html.DocumentNode:
		return true
	case html.ElementNode:
	default:
		return false // comments, doctype
	}
	if htmlHidden(n) {
		return false
	}
	if b := r.breaks(n.DataAtom); b > 0 {
		r.lineBreaks(b)
	}
	switch n.DataAtom {
	case atom.Br:
		if r.newlines == 0 {
			r.breakQuote = r.quote
		}
		r.newlines++
		r.space = false
	case atom.Blockquote:
		r.quote++
	case atom.Pre:
		r.pre++
	case atom.Ul, atom.Ol:
		r.lists = append(r.lists, htmlList{ordered: n.DataAtom == atom.Ol})
	case atom.Li:
		indent := strings.Repeat("  ", max(0, len(r.lists)-1))
		if k := len(r.lists) - 1; k >= 0 && r.lists[k].ordered {
			r.lists[k].n++
			r.prefix = indent + strconv.Itoa(r.lists[k].n) + ". "
		} else {
			r.prefix = indent + "- "
		}
	case atom.Tr:
		r.cellCount = append(r.cellCount, 0)
	case atom.Td, atom.Th:
		if k := len(r.cellCount) - 1; k >= 0 {
			if r.cellCount[k] > 0 {
				r.space = true
			}
			r.cellCount[k]++
		}
	}
	return true
}

// close handles the end of n.
func (r *htmlRenderer) close(n *html.Node) {
	if n.Type != html.ElementNode || htmlHidden(n) {
		return
	}
	switch n.DataAtom {
	case atom.Blockquote:
		r.lineBreaks(1) // end the last quoted line while still quoted
		r.quote = max(0, r.quote-1)
	case atom.Pre:
		r.pre = max(0, r.pre-1)
	case atom.Ul, atom.Ol:
		if len(r.lists) > 0 {
			r.lists = r.lists[:len(r.lists)-1]
		}
	case atom.Tr:
		if len(r.cellCount) > 0 {
			r.cellCount = r.cellCount[:len(r.cellCount)-1]
		}
	}
	if b := r.breaks(n.DataAtom); b > 0 {
		r.lineBreaks(b)
	}
}

// breaks is htmlBreaks, except that a list inside a list item is part of
// that item and gets a line break, not a blank line.
func (r *htmlRenderer) breaks(a atom.Atom) int {
	if (a == atom.Ul || a == atom.Ol) && len(r.lists) > 0 {
		return 1
	}
	return htmlBreaks(a)
}

// lineBreaks asks for at least n line breaks before the next text.
func (r *htmlRenderer) lineBreaks(n int) {
	if r.out.Len() == 0 {
		return
	}
	if r.newlines == 0 {
		r.breakQuote = r.quote
	}
	r.newlines = max(r.newlines, n)
	r.space = false
}

// text writes a text node: collapsed white space, or verbatim in <pre>.
func (r *htmlRenderer) text(s string) {
	if r.pre > 0 {
		lines := strings.Split(s, "\n")
		for i, l := range lines {
			if i > 0 {
				r.newlines++
			}
			if l != "" {
				r.write(l)
			}
		}
		return
	}
	if s != "" && isHTMLSpace(s[0]) {
		r.space = true
	}
	words := strings.Fields(s)
	for i, w := range words {
		if i > 0 {
			r.space = true
		}
		r.write(w)
	}
	if len(words) > 0 && isHTMLSpace(s[len(s)-1]) {
		r.space = true
	}
}

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

// write emits s after the line breaks, quote marks and space owed.
func (r *htmlRenderer) write(s string) {
	atLineStart := r.out.Len() == 0
	if r.newlines > 0 && r.out.Len() > 0 {
		// Blank lines between two quote levels belong to the outer one:
		// "wrote:\n\n> quote", not "wrote:\n>\n> quote".
		blankQuote := min(r.quote, r.breakQuote)
		for i := 0; i < r.newlines; i++ {
			r.out.WriteByte('\n')
			if i < r.newlines-1 && blankQuote > 0 {
				r.out.WriteString(strings.Repeat("> ", blankQuote))
			}
		}
		atLineStart = true
	}
	r.newlines = 0
	if atLineStart {
		r.out.WriteString(strings.Repeat("> ", r.quote))
		r.space = false
	}
	if r.prefix != "" {
		r.out.WriteString(r.prefix)
		r.prefix = ""
		r.space = false
	}
	if r.space {
		r.out.WriteByte(' ')
		r.space = false
	}
	r.out.WriteString(s)
}

// collapseBlankLines leaves at most one blank (or bare ">") line in a row.
func collapseBlankLines(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := false
	for _, l := range lines {
		isBlank := strings.Trim(l, "> ") == ""
		if isBlank && blank {
			continue
		}
		blank = isBlank
		out = append(out, l)
	}
	return strings.Trim(strings.Join(out, "\n"), "\n")
}
