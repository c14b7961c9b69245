package restate

import (
	"regexp"
	"strings"
)

var contractionFixes = map[string]string{
	"cant": "can't", "cannot": "can't", "dont": "don't", "doesnt": "doesn't", "didnt": "didn't",
	"isnt": "isn't", "arent": "aren't", "wasnt": "wasn't", "werent": "weren't", "wont": "won't",
	"havent": "haven't", "hasnt": "hasn't", "hadnt": "hadn't", "couldnt": "couldn't",
	"wouldnt": "wouldn't", "shouldnt": "shouldn't", "im": "I'm", "ive": "I've", "youre": "you're",
	"thats": "that's", "whats": "what's", "theres": "there's", "u": "you", "ur": "your",
	"pls": "please", "plz": "please", "pleaseee": "please", "pleasee": "please", "thx": "thanks",
	"i'am": "I'm", "iam": "I'm", "cancelation": "cancellation",
}

var notContraction = map[string]string{
	"is": "isn't", "are": "aren't", "was": "wasn't", "were": "weren't", "do": "don't", "does": "doesn't",
	"did": "didn't", "have": "haven't", "has": "hasn't", "had": "hadn't", "will": "won't",
	"would": "wouldn't", "could": "couldn't", "should": "shouldn't", "can": "can't",
}

var loginWords = map[string]string{
	"login": "log in", "log-in": "log in", "signin": "sign in", "sign-in": "sign in", "logon": "log on",
	"log-on": "log on", "logon.": "log on",
}

var loginVerbContext = wordSet(`can't couldn't won't cannot can could to i we you didn't don't never not
unable still able`)

// normalizeWords restores missing apostrophes ("cant" → "can't"), writes
// negations in their contracted form ("is not" → "isn't", "cannot" →
// "can't") and turns "login" used as a verb into "log in".
func normalizeWords(s string) string {
	ts := tokenize(s)
	out := make([]token, 0, len(ts))
	for i := 0; i < len(ts); i++ {
		t := ts[i]
		lw := strings.ToLower(t.text)
		if fix, ok := contractionFixes[lw]; ok && (lw != "u" || i == 0 || !isPunct(ts[i-1].text) || ts[i-1].text == ",") {
			if t.text == "U" && i > 0 {
				// "U" alone in capitals is more likely a name or a grade.
				out = append(out, t)
				continue
			}
			t.text = fix
			out = append(out, t)
			continue
		}
		if lw == "not" && len(out) > 0 {
			prev := strings.ToLower(out[len(out)-1].text)
			if c, ok := notContraction[prev]; ok {
				out[len(out)-1].text = c
				continue
			}
		}
		if lw == "can" && i+1 < len(ts) && strings.ToLower(ts[i+1].text) == "not" {
			t.text = "can't"
			out = append(out, t)
			i++
			continue
		}
		if lin, ok := loginWords[lw]; ok && len(out) > 0 && loginVerbContext[strings.ToLower(out[len(out)-1].text)] {
			t.text = lin
		}
		out = append(out, t)
	}
	return render(out)
}

var (
	reProDropYou   = regexp.MustCompile(`(?i)^(can't|couldn't|won't|didn't|don't|haven't|hadn't|never|keep|kept|need|needed|want|wanted|got|just|have|had|received|tried|cannot|was|am|would|recently|accidentally|mistakenly|forgot|lost|paid|bought|signed|donated|made|purchased|upgraded|downgraded|renewed|cancelled|canceled|requested|submitted|sent|installed|updated|changed)\b`)
	reProDropYoure = regexp.MustCompile(`(?i)^(getting|having|trying|waiting|seeing|receiving|unable|not able|locked|stuck|being|looking|hoping|experiencing|facing|running into|struggling|writing|contacting|reaching)\b`)
	reProDropCharg = regexp.MustCompile(`(?i)^(double[- ]charged|charged twice|charged two times|billed twice|double[- ]billed)\b`)
)

// proDrop restores the subject that customers (and subject lines) leave
// out: "Can't log in" → "I can't log in", "Getting error 500" → "I'm
// getting error 500", "Double charged" → "I was charged twice".
func proDrop(s string) string {
	// "Still can't log in" → "I still can't log in".
	if len(s) > 6 && strings.EqualFold(s[:6], "still ") {
		switch p := proDrop(s[6:]); {
		case strings.HasPrefix(p, "I'm "):
			return "I'm still " + p[4:]
		case strings.HasPrefix(p, "I "):
			return "I still " + p[2:]
		}
		return s
	}
	if m := reProDropCharg.FindString(s); m != "" {
		return "I was charged twice" + s[len(m):]
	}
	if reProDropYoure.MatchString(s) {
		return "I'm " + lowerFirst(s)
	}
	if reProDropYou.MatchString(s) {
		return "I " + lowerFirst(s)
	}
	return s
}

var (
	reNotWorkingEnd   = regexp.MustCompile(`(?i)\b(isn't|aren't|is not|are not|'s not|'re not) (properly |correctly |really |quite |fully )?(working|functioning)( (properly|correctly|right))?$`)
	reDoesntWork      = regexp.MustCompile(`(?i)\b(doesn't|does not) (seem to )?(work|function)( (properly|correctly|right))?\b`)
	reDontWork        = regexp.MustCompile(`(?i)\b(don't|do not) (seem to )?(work|function)( (properly|correctly|right))?\b`)
	reIsBroken        = regexp.MustCompile(`(?i)\b(is|are|'s|'re|seems|seem|seems to be|seem to be) (completely |totally |entirely |just |absolutely |really |now |still )?(broken|broke|not functional|non-functional|dead|busted|bugged)\b`)
	reBareNotWork     = regexp.MustCompile(`(?i)^((?:the |my |our |your |this |a )?[\p{L}\p{N}'\- ]{1,40}?) (not working|not functioning|broken|no longer working|not (?:showing|loading|sending|saving|appearing|updating|syncing|processing|arriving|displaying|opening|uploading|downloading|printing|going through|showing up|coming through)(?: up)?|not (?:received|sent|processed|delivered|recorded|applied|saved|updated|showing|found|accepted|charged|refunded))\b`)
	reWorkingTail     = regexp.MustCompile(`(?i)\b(isn't|aren't) working$`)
	reYouAre          = regexp.MustCompile(`\byou are\b`)
	reStillNotWorking = regexp.MustCompile(`(?i)^(still |also )?(?:not|isn't) working`)
)

// failureForms rewrites the customer's account of a failure the way the
// working practices put it: "The checkout page is not working" → "the
// checkout page isn't working as expected"; "… is broken" likewise.
func failureForms(s string) string {
	ls := strings.ToLower(s)
	if !strings.Contains(ls, "work") && !strings.Contains(ls, "broke") && !strings.Contains(ls, "function") &&
		!strings.Contains(ls, "dead") && !strings.Contains(ls, "bust") && !strings.Contains(ls, "bug") &&
		!strings.Contains(ls, "not ") && !strings.Contains(ls, "you are") {
		return s
	}
	s = reDoesntWork.ReplaceAllStringFunc(s, func(m string) string {
		return "isn't working" + properlyTail(m)
	})
	s = reDontWork.ReplaceAllStringFunc(s, func(m string) string {
		return "aren't working" + properlyTail(m)
	})
	s = reIsBroken.ReplaceAllStringFunc(s, func(m string) string {
		lw := strings.ToLower(m)
		neg := "isn't"
		if strings.HasPrefix(lw, "are") || strings.HasPrefix(lw, "'re") || strings.HasPrefix(lw, "seem ") {
			neg = "aren't"
		}
		if strings.Contains(lw, " still ") {
			return "still " + neg + " working"
		}
		return neg + " working"
	})
	if m := reBareNotWork.FindStringSubmatch(s); m != nil && !strings.ContainsAny(m[1], ",") && countWords(m[1]) <= 6 && !endsWithVerb(m[1]) {
		np := m[1]
		neg := "isn't"
		if plural(np) {
			neg = "aren't"
		}
		verb := neg + " working"
		switch v := strings.ToLower(m[2]); {
		case v == "no longer working":
			verb = map[string]string{"isn't": "is", "aren't": "are"}[neg] + " no longer working"
		case v == "broken" || v == "not working" || v == "not functioning":
		case strings.HasSuffix(v, "ing") || strings.HasSuffix(v, "ing up") || strings.HasSuffix(v, "through"):
			verb = neg + " " + strings.TrimPrefix(v, "not ")
		default:
			// "Receipt not received" → "the receipt wasn't received"
			verb = map[string]string{"isn't": "wasn't", "aren't": "weren't"}[neg] + " " + strings.TrimPrefix(v, "not ")
		}
		// Telegraphic subjects drop the article: "Form not loading" →
		// "the form isn't loading".
		if f := strings.Fields(np); len(f) > 0 && !determiner[strings.ToLower(f[0])] && !firstPerson[strings.ToLower(f[0])] &&
			!plural(np) && !isCapitalised(f[0]) || len(f) > 0 && isCapitalised(f[0]) && !determiner[strings.ToLower(f[0])] && topicNouns[strings.ToLower(f[0])] {
			np = "the " + lowerFirst(np)
		}
		s = np + " " + verb + s[len(m[0]):]
	}
	s = reNotWorkingEnd.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasPrefix(strings.ToLower(m), "are") || strings.HasPrefix(strings.ToLower(m), "aren't") || strings.HasPrefix(m, "'re") {
			return "aren't working"
		}
		return "isn't working"
	})
	s = reStillNotWorking.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasPrefix(strings.ToLower(m), "still") {
			return "it still isn't working"
		}
		return "it isn't working"
	})
	if reWorkingTail.MatchString(s) {
		s += " as expected"
	}
	return reYouAre.ReplaceAllString(s, "you're")
}

func properlyTail(m string) string {
	lw := strings.ToLower(m)
	for _, w := range []string{"properly", "correctly", "right"} {
		if strings.HasSuffix(lw, " "+w) {
			return " " + w
		}
	}
	return ""
}

var beAux = wordSet(`is are was were am isn't aren't wasn't weren't be been 's 're has have had don't doesn't didn't`)

// endsWithVerb guards the verbless "X not working" rewrite against
// "it is not working" style inputs that the other rules handle.
func endsWithVerb(np string) bool {
	f := strings.Fields(strings.ToLower(np))
	return len(f) > 0 && (beAux[f[len(f)-1]] || strings.HasSuffix(f[len(f)-1], "'s") || strings.HasSuffix(f[len(f)-1], "'re"))
}

// plural guesses the number of a noun phrase from its last word. It only
// picks "is" or "are" in a rewrite, so a wrong guess costs grammar, not
// meaning.
func plural(np string) bool {
	f := strings.Fields(strings.ToLower(np))
	if len(f) == 0 {
		return false
	}
	w := f[len(f)-1]
	if w == "we" || w == "they" || w == "you" || w == "these" || w == "those" || w == "both" || w == "all" {
		return true
	}
	return len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") &&
		!strings.HasSuffix(w, "is") && !strings.HasSuffix(w, "ics") && !strings.HasSuffix(w, "'s")
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	ts := tokenize(s)
	if len(ts) > 0 && ts[0].text != "I" && !strings.HasPrefix(ts[0].text, "I'") && !keepCase(ts[0].text, nil) {
		ts[0].text = strings.ToLower(ts[0].text)
	}
	return render(ts)
}
