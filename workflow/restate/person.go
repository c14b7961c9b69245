package restate

import "strings"

// The customer writes in the first person about themselves ("I", "we" for
// their organisation) and in the second person about us. The restatement
// speaks to the customer, so both swap: I→you, my→your, we→you, us→you;
// you→we/us, your→our. A "you" that means anyone ("when you click
// Donate, nothing happens") stays.

var firstToSecond = map[string]string{
	"i": "you", "me": "you", "my": "your", "mine": "yours", "myself": "yourself",
	"we": "you", "us": "you", "our": "your", "ours": "yours", "ourselves": "yourselves",
	"i'm": "you're", "i've": "you've", "i'd": "you'd", "i'll": "you'll",
	"we're": "you're", "we've": "you've", "we'd": "you'd", "we'll": "you'll",
	"im": "you're", "ive": "you've",
}

var secondToFirst = map[string]string{
	"your": "our", "yours": "ours", "yourself": "ourselves", "yourselves": "ourselves",
	"you're": "we're", "you've": "we've", "you'd": "we'd", "you'll": "we'll", "ur": "our",
}

var firstPerson = wordSet(`i me my mine myself we us our ours ourselves i'm i've i'd i'll we're we've we'd we'll im ive`)
var secondPerson = wordSet(`you your yours yourself yourselves you're you've you'd you'll u ur`)

// subjectAfterYou: a "you" followed by one of these is a subject ("you
// charged", "you guys are"), so it becomes "we"; otherwise "us".
var subjectAfterYou = wordSet(`are were have had can could will would should may might must did do don't didn't
can't won't haven't hadn't couldn't wouldn't shouldn't also still just never always already guys all
sent told said took made gave charged billed emailed promised changed removed updated released deleted
cancelled canceled refunded replied responded asked wrote closed broke moved raised increased renamed
keep keep kept need needed want wanted seem seemed must really only even`)

// subjectAfter: a "you" right after one of these starts a clause.
var subjectAfter = wordSet(`and but or so that because since if when as why how what whether where then which
who until unless while though although once after before whenever`)

// genericOpeners start a clause in which "you" means anyone.
var genericOpeners = wordSet(`when whenever if once after before until unless every each as`)

// productNouns after "your" mean our product or company even when the
// sentence has no first person: "your plugin broke the site".
var productNouns = wordSet(`plugin plugins software app application product products service services team
support site website system systems company platform update updates release version documentation docs
staff agent agents api server servers checkout billing invoice invoices emails newsletter pricing terms
policy latest new recent last customer end side tool tools dashboard portal form forms widget extension
theme addon add-on integration payment payments processor store office help`)

var pastIrregular = map[string]string{
	"get": "got", "be": "been", "do": "did", "make": "made", "send": "sent", "pay": "paid", "take": "took",
	"see": "saw", "go": "went", "have": "had", "lose": "lost", "buy": "bought", "give": "gave", "come": "came",
	"find": "found", "break": "broke", "say": "said", "tell": "told", "put": "put", "set": "set", "let": "let",
	"cut": "cut", "run": "ran", "read": "read", "write": "wrote", "know": "knew", "think": "thought",
	"leave": "left", "keep": "kept", "begin": "began", "bring": "brought", "build": "built", "choose": "chose",
	"forget": "forgot", "hear": "heard", "hold": "held", "mean": "meant", "meet": "met", "shut": "shut",
	"spend": "spent", "understand": "understood", "win": "won", "stop": "stopped", "drop": "dropped",
	"ship": "shipped", "plan": "planned", "submit": "submitted", "log": "logged", "sign": "signed",
	"swap": "swapped", "slip": "slipped", "fit": "fitted", "omit": "omitted", "admit": "admitted",
}

var commonVerbs = wordSet(`work support allow accept include integrate have offer need require handle send
show let cost renew charge take mean happen affect sync export import store save keep expire apply count
matter come get go look display appear print update change delete remove cancel refund process email
notify track report run use contain cover provide give create generate calculate recur repeat continue
stop start end say tell know want reflect comply respect log connect check verify ask reset arrive load
open close pay bill deduct withdraw transfer reach receive see find reject decline fail break crash hang
freeze make do be become stay remain sign add issue list sort filter link match post publish go allow
enable disable block let recognise recognize detect convert accept read`)

// pastTense inflects a regular verb for "did" questions: "Why did my
// payment fail?" → "why your payment failed".
func pastTense(v string) string {
	lv := strings.ToLower(v)
	if p, ok := pastIrregular[lv]; ok {
		return p
	}
	switch {
	case strings.HasSuffix(lv, "e"):
		return v + "d"
	case len(lv) > 2 && strings.HasSuffix(lv, "y") && !strings.ContainsRune("aeiou", rune(lv[len(lv)-2])):
		return v[:len(v)-1] + "ied"
	}
	return v + "ed"
}

// thirdPerson inflects for "does" questions: "Does the plugin support
// PayPal?" → "whether the plugin supports PayPal".
func thirdPerson(v string) string {
	lv := strings.ToLower(v)
	switch {
	case lv == "have":
		return "has"
	case lv == "be":
		return "is"
	case lv == "do" || lv == "go":
		return v + "es"
	case strings.HasSuffix(lv, "s") || strings.HasSuffix(lv, "sh") || strings.HasSuffix(lv, "ch") ||
		strings.HasSuffix(lv, "x") || strings.HasSuffix(lv, "z"):
		return v + "es"
	case len(lv) > 2 && strings.HasSuffix(lv, "y") && !strings.ContainsRune("aeiou", rune(lv[len(lv)-2])):
		return v[:len(v)-1] + "ies"
	}
	return v + "s"
}

// swapPerson rewrites s from the customer's point of view to ours. Quoted
// text (an error message) is left exactly as written.
func swapPerson(s string) string { return swapPersonIn(s, false) }

// swapPersonIn is swapPerson for a part of a sentence; inFirst says the
// whole sentence has a first person ("I wanted to respond to your
// points"), which makes its "you" and "your" ours.
func swapPersonIn(s string, inFirst bool) string {
	ts := tokenize(s)
	generic := genericYou(ts)
	hasFirst := inFirst
	for _, t := range ts {
		if firstPerson[strings.ToLower(t.text)] && t.text != "US" {
			hasFirst = true
			break
		}
	}
	out := make([]token, 0, len(ts))
	inQuote := false
	for i := 0; i < len(ts); i++ {
		t := ts[i]
		if t.text == "\"" {
			inQuote = !inQuote
		}
		if inQuote {
			out = append(out, t)
			continue
		}
		lw := strings.ToLower(t.text)
		switch {
		case lw == "i" || lw == "we":
			out = append(out, token{"you", t.space})
			// I am → you are, I was → you were (also across an adverb).
			for j := i + 1; j < len(ts) && j <= i+2; j++ {
				nw := strings.ToLower(ts[j].text)
				if nw == "am" || nw == "was" {
					ts[j].text = map[string]string{"am": "are", "was": "were"}[nw]
					break
				}
				if !adverbs[nw] {
					break
				}
			}
		case (lw == "am" || lw == "was") && i+1 < len(ts) && strings.ToLower(ts[i+1].text) == "i":
			// am I → are you, was I → were you
			out = append(out, token{map[string]string{"am": "are", "was": "were"}[lw], t.space})
		case t.text == "US" || t.text == "U.S":
			out = append(out, t)
		case firstToSecond[lw] != "":
			out = append(out, token{firstToSecond[lw], t.space})
		case (lw == "you" || lw == "u") && !generic[i]:
			prev := ""
			if i > 0 {
				prev = strings.ToLower(ts[i-1].text)
			}
			if prev == "thank" || prev == "see" || prev == "bless" {
				out = append(out, t)
				continue
			}
			if !hasFirst && !youMeansUs(ts, i) {
				out = append(out, t)
				continue
			}
			if youIsSubject(ts, i) {
				out = append(out, token{"we", t.space})
			} else {
				out = append(out, token{"us", t.space})
			}
			// "you guys", "you folks", "you people"
			if i+1 < len(ts) {
				if g := strings.ToLower(ts[i+1].text); g == "guys" || g == "folks" || g == "people" || g == "lot" {
					i++
				}
			}
		case secondToFirst[lw] != "" && !generic[i]:
			if !hasFirst && !(lw == "your" && i+1 < len(ts) && productNouns[strings.ToLower(ts[i+1].text)]) &&
				!youMeansUs(ts, i) {
				out = append(out, t)
				continue
			}
			out = append(out, token{secondToFirst[lw], t.space})
		default:
			out = append(out, t)
		}
	}
	return render(out)
}

var adverbs = wordSet(`also still just really only never already even actually definitely recently
originally accidentally apparently obviously clearly certainly`)

// youMeansUs: without any first person in the sentence, "you" means us
// only as the subject of a past action ("You charged the wrong card") or
// before a product noun ("your plugin"); "you can't edit the amount" is
// anyone.
func youMeansUs(ts []token, i int) bool {
	lw := strings.ToLower(ts[i].text)
	if i+1 >= len(ts) {
		return false
	}
	next := strings.ToLower(ts[i+1].text)
	if lw == "your" || lw == "ur" {
		return productNouns[next]
	}
	if lw == "you" || lw == "u" {
		if next == "guys" || next == "folks" || next == "people" {
			return true
		}
		return strings.HasSuffix(next, "ed") || pastIrregular[next] != "" && next != pastIrregular[next] ||
			next == "sent" || next == "told" || next == "said" || next == "took" || next == "made" || next == "gave" ||
			next == "broke" || next == "lost" || next == "promised"
	}
	return false
}

func youIsSubject(ts []token, i int) bool {
	prev := ""
	if i > 0 {
		prev = strings.ToLower(ts[i-1].text)
	}
	next := ""
	if i+1 < len(ts) {
		next = strings.ToLower(ts[i+1].text)
	}
	if subjectAfterYou[next] || (strings.HasSuffix(next, "ed") && len(next) > 3) {
		return true
	}
	return prev == "" || isPunct(prev) || subjectAfter[prev]
}

// genericYou marks the tokens of clauses that start with when/if/once…,
// contain "you" and no first person: there "you" means anyone.
func genericYou(ts []token) []bool {
	mark := make([]bool, len(ts))
	start := 0
	flush := func(end int) {
		if start >= end {
			return
		}
		opener := strings.ToLower(ts[start].text)
		if !genericOpeners[opener] {
			return
		}
		hasYou, hasFirst := false, false
		for k := start; k < end; k++ {
			lw := strings.ToLower(ts[k].text)
			hasYou = hasYou || secondPerson[lw]
			hasFirst = hasFirst || firstPerson[lw]
		}
		if hasYou && !hasFirst {
			for k := start; k < end; k++ {
				mark[k] = true
			}
		}
	}
	for i, t := range ts {
		lw := strings.ToLower(t.text)
		if t.text == "," || t.text == ";" || t.text == ":" || t.text == "-" {
			flush(i)
			start = i + 1
			continue
		}
		if i > start && (genericOpeners[lw] || lw == "and" || lw == "but" || lw == "so" || lw == "because") {
			flush(i)
			start = i
		}
	}
	flush(len(ts))
	// "it says you …", "the message reads: your …" report what the screen
	// said; leave that "you" alone.
	for i := 1; i < len(ts); i++ {
		switch strings.ToLower(ts[i-1].text) {
		case "says", "said", "saying", "reads", "read", "shows", "showing", "tells", "telling", "states":
			for k := i; k < len(ts) && k < i+12 && ts[k].text != "," && ts[k].text != "."; k++ {
				mark[k] = true
			}
		}
	}
	return mark
}

// hasFirstPerson reports whether s has a first-person word.
func hasFirstPerson(s string) bool {
	for _, t := range tokenize(s) {
		if firstPerson[strings.ToLower(t.text)] && t.text != "US" {
			return true
		}
	}
	return false
}
