package restate

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is a word or a single punctuation character, with whether
// whitespace preceded it, so that render gives back the original spacing.
type token struct {
	text  string
	space bool
}

// isWordRune: '_' counts so that identifiers and keys ("sk_live_51H…")
// stay one token and are judged whole.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '_'
}

// tokenize splits s into words and punctuation. Apostrophes, hyphens,
// dots and slashes inside a word keep it whole ("can't", "e-mail",
// "5.8.1", "and/or").
func tokenize(s string) []token {
	ts := make([]token, 0, len(s)/4+1)
	space := false
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			space = true
			i += n
			continue
		}
		j := i + n
		if isWordRune(r) {
			for j < len(s) {
				r2, n2 := utf8.DecodeRuneInString(s[j:])
				if isWordRune(r2) {
					j += n2
					continue
				}
				if (r2 == '\'' || r2 == '-' || r2 == '.' || r2 == '/' || r2 == '&') && j+n2 < len(s) {
					r3, _ := utf8.DecodeRuneInString(s[j+n2:])
					if isWordRune(r3) {
						j += n2
						continue
					}
				}
				break
			}
		}
		ts = append(ts, token{text: s[i:j], space: space})
		space = false
		i = j
	}
	return ts
}

// render joins tokens back into text, one space where the input had any.
func render(ts []token) string {
	var b strings.Builder
	for i, t := range ts {
		if i > 0 && t.space {
			b.WriteByte(' ')
		}
		b.WriteString(t.text)
	}
	return b.String()
}

func isWord(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return isWordRune(r)
}

func isPunct(s string) bool {
	return s != "" && !isWord(s)
}

// danglingWords cannot end a clause: "you'd like us to update your email
// to" after an address was removed, or a trim that stopped on "the".
var danglingWords = wordSet(`and or but nor the a an to of for with at on in from by as is are was were be
been am my your our their its his her this that these those so because when if which who whom whose where
while since than then about into onto via per like also very really just not please your our such some any
every each both either neither e.g i.e etc whether how what why after before until unless although though
whereas including include includes such plus minus versus vs - , ; : & / + = # could would should can will
may might must shall do does did has have had being get got it's there's that's what's we're you're they're
they've we've you've i'd you'd we'd they'd let me us them`)

// keepAtEnd are short words that look dangling but end clauses naturally:
// "you'd like us to refund you", "it's not working for us", "log in".
var keepAtEnd = wordSet(`you us them it in on up out down off over back again there here`)

// trimDangling removes trailing function words and punctuation so that a
// cut clause never ends on "and", "the" or a comma.
func trimDangling(s string) string {
	ts := tokenize(s)
	for len(ts) > 0 {
		last := ts[len(ts)-1]
		lw := strings.ToLower(last.text)
		if isPunct(last.text) && last.text != "\"" {
			ts = ts[:len(ts)-1]
			continue
		}
		if last.text == "\"" {
			// keep a closing quote only when quotes are balanced
			n := 0
			for _, t := range ts {
				if t.text == "\"" {
					n++
				}
			}
			if n%2 == 0 {
				break
			}
			ts = ts[:len(ts)-1]
			continue
		}
		if danglingWords[lw] && !keepAtEnd[lw] {
			// "log in", "sign in", "set up": particles after a verb stay.
			ts = ts[:len(ts)-1]
			continue
		}
		break
	}
	return render(ts)
}

// lightDangling are the words that can never end a finished clause; unlike
// danglingWords it keeps "is" and "are" ("where your receipt is").
var lightDangling = wordSet(`and or but nor the a an my your our their its to of with for from by so because
than - , ; : & / + = #`)

// trimEnd strips trailing punctuation and the words in lightDangling.
func trimEnd(s string) string {
	ts := tokenize(s)
	for len(ts) > 0 {
		last := ts[len(ts)-1]
		quote := last.text == "\"" || last.text == "'"
		if (isPunct(last.text) && !quote) || lightDangling[strings.ToLower(last.text)] {
			ts = ts[:len(ts)-1]
			continue
		}
		if quote && countTokens(ts, last.text)%2 == 1 {
			ts = ts[:len(ts)-1]
			continue
		}
		break
	}
	return render(ts)
}

func countTokens(ts []token, text string) int {
	n := 0
	for _, t := range ts {
		if t.text == text {
			n++
		}
	}
	return n
}
