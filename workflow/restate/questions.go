package restate

import (
	"regexp"
	"strings"
)

// A rule recognises one shape of question or request at the start of a
// sentence and builds the restatement from the captured rest. Rules are
// tried in order; the first whose build succeeds wins.
type rule struct {
	re    *regexp.Regexp
	kind  Kind
	build func(m []string) (string, bool)
	// needQ: only for sentences that end with "?" ("When donors click
	// Donate they get an error" is not a question).
	needQ bool
}

const wh = `(how|where|what|why|when|which|who|whether|if)`

func r(pattern string, kind Kind, build func(m []string) (string, bool)) rule {
	return rule{re: regexp.MustCompile(`(?i)^` + pattern + `$`), kind: kind, build: build}
}

// spaced swaps the person of an optional rest and puts one space before
// it, for builders that glue a captured tail onto fixed words.
func spaced(rest string) string {
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return ""
	}
	if !isWord(rest) {
		return swapPerson(rest)
	}
	return " " + swapPerson(rest)
}

// q marks a rule as applying to questions only.
func q(ru rule) rule {
	ru.needQ = true
	return ru
}

// prefix builds "<p><swapped rest>".
func prefix(p string) func(m []string) (string, bool) {
	return func(m []string) (string, bool) {
		rest := m[len(m)-1]
		if strings.TrimSpace(rest) == "" {
			return "", false
		}
		return p + swapPersonIn(rest, hasFirstPerson(m[0])), true
	}
}

// usTo builds "you'd like us to …", except that a request to tell the
// customer something is really a question: "Could you tell me how to
// change the logo?" → "you'd like to know how to change the logo".
func usTo(m []string) (string, bool) {
	rest := strings.TrimSpace(m[len(m)-1])
	if rest == "" {
		return "", false
	}
	if mm := reTellMe.FindStringSubmatch(rest); mm != nil {
		mm[0] = m[0]
		return knowWh(mm)
	}
	return "you'd like us to " + swapPersonIn(rest, hasFirstPerson(m[0])), true
}

var reTellMe = regexp.MustCompile(`(?i)^(?:please )?(?:tell|let|show|explain to|advise) (?:me|us)(?: know)?(?: on)? ` + wh + ` (.+)$`)

// knowWh builds "you'd like to know <wh> <swapped declarative rest>";
// "if" becomes "whether".
func knowWh(m []string) (string, bool) {
	w := strings.ToLower(m[len(m)-2])
	if w == "if" {
		w = "whether"
	}
	rest := strings.TrimSpace(m[len(m)-1])
	if rest == "" {
		return "", false
	}
	// "…how to export my donors", "…whether you could refund me" (the
	// rest may itself be a request to us).
	first := hasFirstPerson(m[0])
	if mm := reCouldYou.FindStringSubmatch(rest); mm != nil && (w == "whether") {
		return "you'd like us to " + swapPersonIn(mm[1], first), true
	}
	return "you'd like to know " + w + " " + swapPersonIn(rest, first), true
}

var reCouldYou = regexp.MustCompile(`(?i)^(?:you|u)(?: guys)? (?:could|can|would|might|will) (?:please )?(.+)$`)

var rules = []rule{
	// Indirect questions and requests to us.
	r(`(?:i was|i am|i'm|we were|we are|we're|just|i)? ?wondering (?:if|whether) (?:you|u)(?: guys)? (?:could|can|would|might|will) (?:please |possibly )?(.+)`, KindRequest, usTo),
	r(`(?:i'd|i would|we'd|we would|i|we) (?:like|love|want|wanted|need|needed) to (?:know|ask|find out|understand|learn|check|confirm|clarify) `+wh+` (.+)`, KindQuestion, knowWh),
	r(`(?:i'm|i am|we're|we are|i was|we were|just|i) ?(?:wondering|not sure|unsure|curious|confused(?: about)?|trying to (?:figure|find|work) out) `+wh+` (.+)`, KindQuestion, knowWh),
	r(`(?:i|we) (?:don't|didn't) (?:know|understand|see) `+wh+` (.+)`, KindQuestion, knowWh),
	r(`(?:i|we) (?:can't|couldn't) (?:figure out|work out|find out|understand|see|tell) `+wh+` (.+)`, KindQuestion, knowWh),
	r(`(?:can|could|would|will) (?:you|u)(?: guys)? (?:please |kindly )?(?:tell|let|show) (?:me|us)(?: know)? `+wh+` (.+)`, KindQuestion, knowWh),
	r(`(?:please )?(?:tell|let|show) (?:me|us)(?: know)? `+wh+` (.+)`, KindQuestion, knowWh),
	r(`(?:do|does) (?:you|u|anyone|anybody|someone)(?: guys)? know `+wh+` (.+)`, KindQuestion, knowWh),
	r(`(?:is there )?(?:any|an) (?:idea|ideas|clue|clues|reason)(?: on| about| as to)? `+wh+` (.+)`, KindQuestion, knowWh),
	r(`(?:please )?advise (?:me |us )?(?:on )?`+wh+` (.+)`, KindQuestion, knowWh),
	r(`(?:i|we) (?:have|got) (?:a|one|another|an|some) (?:quick |small |simple |short |general |billing |technical |few )?(?:question|questions|query|queries|enquiry|inquiry) (?:about|regarding|re|on|concerning|with|for|related to|in regards to) (.+)`, KindQuestion, prefix("you have a question about ")),
	r(`(?:a )?(?:quick )?(?:question|query|enquiry|inquiry) (?:about|regarding|re|on|concerning) (.+)`, KindQuestion, prefix("you have a question about ")),

	// Requests to us in question form.
	r(`(?:can|could|would|will) (?:you|u)(?: guys)? (?:please |kindly |possibly |perhaps |just )*(?:be able to )?(.+)`, KindRequest, usTo),
	r(`(?:would|will) it be possible (?:for (?:you|u)|for your team) to (?:please )?(.+)`, KindRequest, usTo),
	r(`is it possible for (?:you|u)(?: guys)? to (?:please )?(.+)`, KindRequest, usTo),
	r(`(?:are|would) (?:you|u)(?: guys)? (?:be )?able to (?:please )?(.+)`, KindRequest, usTo),
	r(`(?:is there (?:any|a) (?:way|chance)|any chance) (?:that )?(?:you|u)(?: guys)? (?:could|can|would|might) (?:please )?(.+)`, KindRequest, usTo),
	r(`(?:i|we) (?:hope|am hoping|'m hoping|are hoping) (?:that )?(?:you|u)(?: guys)? (?:can|could|will|would) (?:please )?(.+)`, KindRequest, usTo),

	// Yes/no questions about possibility.
	r(`(?:is|would) it (?:be )?(possible|ok|okay|alright|safe|allowed|feasible|necessary|normal|required|better) (?:for (?:me|us) )?to (.+)`, KindQuestion, func(m []string) (string, bool) {
		return "you'd like to know whether it's " + strings.ToLower(m[1]) + " to " + swapPerson(m[2]), true
	}),
	r(`(?:is|are) there (?:a|any) (way|option|setting|possibility|method|feature|plan|discount|limit|fee|charge|setting)(s?)\b(.*)`, KindQuestion, func(m []string) (string, bool) {
		if m[2] != "" {
			return "you'd like to know whether there are " + strings.ToLower(m[1]) + "s" + spaced(m[3]), true
		}
		return "you'd like to know whether there's a " + strings.ToLower(m[1]) + spaced(m[3]), true
	}),
	r(`is there (.+)`, KindQuestion, prefix("you'd like to know whether there's ")),
	r(`are there (.+)`, KindQuestion, prefix("you'd like to know whether there are ")),
	r(`(?:can|could|may|might) (?:i|we) (?:please |still |also |actually )?(.+)`, KindQuestion, prefix("you'd like to know whether you can ")),
	r(`(?:do|does) (?:i|we) (?:need|have) to (.+)`, KindQuestion, prefix("you'd like to know whether you need to ")),
	r(`(?:should|shall|must) (?:i|we) (.+)`, KindQuestion, prefix("you'd like to know whether you should ")),
	r(`will (?:i|we) (.+)`, KindQuestion, prefix("you'd like to know whether you'll ")),
	r(`would (?:i|we) (.+)`, KindQuestion, prefix("you'd like to know whether you'd ")),
	r(`(?:am i|are we) (.+)`, KindQuestion, prefix("you'd like to know whether you're ")),
	r(`(?:are|were) (?:you|u)(?: guys)? (.+)`, KindQuestion, prefix("you'd like to know whether we're ")),
	r(`(?:have|has) (?:you|u)(?: guys)? (.+)`, KindQuestion, prefix("you'd like to know whether we've ")),
	r(`(?:have) (?:i|we) (.+)`, KindQuestion, prefix("you'd like to know whether you've ")),
	r(`do (?:you|u)(?: guys)? (.+)`, KindQuestion, prefix("you'd like to know whether we ")),
	r(`did (?:you|u)(?: guys)? (\S+)(.*)`, KindQuestion, func(m []string) (string, bool) {
		return "you'd like to know whether we " + pastTense(m[1]) + spaced(m[2]), true
	}),
	r(`did (?:i|we) (\S+)(.*)`, KindQuestion, func(m []string) (string, bool) {
		return "you'd like to know whether you " + pastTense(m[1]) + spaced(m[2]), true
	}),

	// How-to and wh-questions.
	r(`how (?:do|can|could|would|should|shall|will|might|may|does) (?:i|we|you|one|u|someone|anyone|a user|users|people)(?: guys)? (?:go about |actually |best |even )?(.+)`, KindQuestion, prefix("you'd like to know how to ")),
	r(`(?:how to|the best way to|what's the best way to|what is the best way to|what's the easiest way to|what is the easiest way to) (.+)`, KindQuestion, prefix("you'd like to know how to ")),
	r(`what(?:'s| is) the (best|easiest|right|correct|proper|quickest|fastest|recommended|simplest|safest) (way|process|procedure) (?:to|for) (.+)`, KindQuestion, func(m []string) (string, bool) {
		return "you'd like to know the " + strings.ToLower(m[1]) + " " + strings.ToLower(m[2]) + " to " + swapPerson(m[3]), true
	}),
	r(`what(?:'s| is| are) (wrong|going on|happening|up|the problem|the issue)(.*)`, KindQuestion, func(m []string) (string, bool) {
		return "you'd like to know what's " + strings.ToLower(m[1]) + spaced(m[2]), true
	}),
	r(`how come (.+)`, KindQuestion, prefix("you'd like to know why ")),
	q(r(`(what|where|when|why|which|who|how long|how much|how many|how often|how soon|how quickly|how) (.+)`, KindQuestion, func(m []string) (string, bool) {
		return inverted(strings.ToLower(m[1]), m[2])
	})),
	q(r(`(is|are|was|were|isn't|aren't|does|do|did|doesn't|don't|can|could|will|would|should|has|have) (.+)`, KindQuestion, func(m []string) (string, bool) {
		return inverted("whether", m[1]+" "+m[2])
	})),

	// Requests.
	r(`(?:please|kindly)(?: could you| can you| would you| will you)? (.+)`, KindRequest, func(m []string) (string, bool) {
		if reNotAVerbAfterPlease.MatchString(m[1]) {
			return "", false
		}
		return "you'd like us to " + swapPerson(m[1]), true
	}),
	r(`(?:i|we)(?: would|'d)(?: really)? (?:appreciate it|be (?:very |really )?grateful|be thankful|love it|like it) if (?:you|u)(?: guys)? (?:could|would|can) (?:please )?(.+)`, KindRequest, usTo),
	r(`(?:i|we)(?: would|'d)(?: really)? (?:like|love|appreciate) (?:you|u)(?: guys)? to (.+)`, KindRequest, usTo),
	r(`(?:i|we)(?: would|'d)(?: really)? (?:like|love) to (.+)`, KindRequest, prefix("you'd like to ")),
	r(`(?:i|we)(?: would|'d)(?: really)? (?:like|love) (.+)`, KindRequest, prefix("you'd like ")),
	r(`(?:i|we) (?:want|wanted|need|needed) (?:you|u)(?: guys)? to (.+)`, KindRequest, usTo),
	r(`(?:i|we) (?:want|wish|wanted|hope|hoped|am hoping|'m hoping|are hoping) to (.+)`, KindRequest, prefix("you'd like to ")),
	r(`(?:i|we) (?:want|wanted) (.+)`, KindRequest, prefix("you'd like ")),
	r(`(?:i|we) (?:really )?(?:need|needed|require) (.+)`, KindRequest, prefix("you need ")),
	r(`it would be (?:great|nice|good|helpful|useful|awesome|lovely|wonderful|ideal|handy|fantastic|amazing|brilliant|very helpful|really helpful|really useful|very useful) (?:if (?:i|we) could|to be able to|if (?:i|we) were able to|if there was a way to|if there were a way to) (.+)`, KindRequest, prefix("you'd like to be able to ")),
	r(`it would be (?:great|nice|good|helpful|useful|awesome|lovely|wonderful|ideal|handy|fantastic|amazing|brilliant|very helpful|really helpful) if (?:you|u)(?: guys)? (?:could|would|can) (?:please )?(.+)`, KindRequest, usTo),
	r(`(?:feature request|suggestion|request|idea|enhancement)\s*[:\-]?\s*(.+)`, KindRequest, func(m []string) (string, bool) {
		f := strings.Fields(m[1])
		if len(f) > 0 && commonVerbs[strings.ToLower(f[0])] {
			return "you'd like us to " + lowerFirst(swapPerson(m[1])), true
		}
		return "you'd like us to consider " + lowerFirst(swapPerson(m[1])), true
	}),
	r(`(?:please )?unsubscribe(?: me| us)?(?: from (.+))?`, KindRequest, func(m []string) (string, bool) {
		if m[1] == "" {
			return "you'd like to unsubscribe", true
		}
		return "you'd like to unsubscribe from " + swapPersonIn(m[1], true), true
	}),
	r(`(cancel|refund|delete|remove|close|unsubscribe|update|change|reset|stop|resend|re-send|send|add|reactivate|restore|issue|fix|upgrade|downgrade|transfer|merge|disable|enable|reverse|deactivate|terminate|end|pause|correct|email|provide|give|credit|void|waive|extend|renew|move|unlock|verify|approve|confirm|investigate|check) ((?:my|our|me|us|the|this|that|a|an|all|both|it|these|those) .*|me|us|it)`, KindRequest, func(m []string) (string, bool) {
		return "you'd like us to " + strings.ToLower(m[1]) + " " + swapPerson(m[2]), true
	}),
}

var reNotAVerbAfterPlease = regexp.MustCompile(`(?i)^(find|see|note|be advised|be aware|advise|help|let me know|let us know|get back|respond|reply|call|contact|feel free|forgive|excuse|ignore|disregard|refer|check the attached|look at the attached|see attached|find attached|accept|confirm receipt)\b`)

var (
	whetherPronouns = map[string]string{"it": "it", "this": "it", "that": "it", "there": "there", "everything": "everything", "anything": "anything", "something": "something", "nothing": "nothing"}
	predicateStart  = wordSet(`not still already supposed able possible available correct right wrong missing broken down
working normal ok okay safe necessary required free included compatible going being meant also really
actually currently always now only visible shown so too very blank empty slow late different incorrect
invalid locked disabled enabled active inactive pending due charged deductible refundable refunded
secure encrypted public private live ready done finished complete incomplete stuck gone lost open closed
tax deductible tax-deductible refundable transferable eligible
expired valid duplicated duplicate new old higher lower high low more less showing displaying getting
set there here`)
	npPrepositions = wordSet(`in on at for with from to by under over after before about into of via through per`)
)

// inverted restates a wh- or yes/no question with subject–auxiliary
// inversion as an indirect question: "Why is my form showing an error?"
// → "you'd like to know why your form is showing an error". It gives up
// (false) when it cannot find the subject with confidence.
func inverted(w, rest string) (string, bool) {
	ts := tokenize(strings.TrimSpace(rest))
	if len(ts) < 2 {
		return "", false
	}
	lw := func(i int) string {
		if i < len(ts) {
			return strings.ToLower(ts[i].text)
		}
		return ""
	}
	aux := lw(0)
	lead := "you'd like to know " + w + " "
	// A direct question is put to us: its "your" is ours ("What are your
	// opening hours?").
	swap := func(x string) string { return swapPersonIn(x, true) }
	tail := func(from int) string {
		if from >= len(ts) {
			return ""
		}
		return swap(render(ts[from:]))
	}
	join := func(parts ...string) string {
		var b []string
		for _, p := range parts {
			if p = strings.TrimSpace(p); p != "" {
				b = append(b, p)
			}
		}
		return strings.Join(b, " ")
	}
	subj := lw(1)
	switch aux {
	case "am":
		// "What am I doing wrong?" → "what you're doing wrong"
		if subj != "i" {
			return "", false
		}
		return lead + join("you're", tail(2)), true
	case "is", "are", "was", "were", "isn't", "aren't", "wasn't", "weren't":
		switch {
		case subj == "there":
			be := aux
			if aux == "is" {
				return lead + "there's " + tail(2), true
			}
			return lead + join("there", be, tail(2)), true
		case subj == "i" || subj == "we":
			be := map[string]string{"is": "are", "are": "are", "was": "were", "were": "were", "isn't": "aren't", "aren't": "aren't", "wasn't": "weren't", "weren't": "weren't"}[aux]
			if be == "are" {
				return lead + join("you're", tail(2)), true
			}
			return lead + join("you", be, tail(2)), true
		case subj == "you" || subj == "u":
			be := map[string]string{"is": "are", "are": "are", "was": "were", "were": "were", "isn't": "aren't", "aren't": "aren't", "wasn't": "weren't", "weren't": "weren't"}[aux]
			return lead + join("we", be, tail(2)), true
		}
		if p, ok := whetherPronouns[subj]; ok {
			if aux == "is" {
				return lead + join(p+"'s", tail(2)), true
			}
			return lead + join(p, aux, tail(2)), true
		}
		end, ok := nounPhrase(ts, 1, w != "whether")
		if !ok {
			return "", false
		}
		return lead + join(swap(render(ts[1:end])), aux, tail(end)), true
	case "do", "does", "did", "don't", "doesn't", "didn't":
		if subj == "i" || subj == "we" || subj == "you" || subj == "u" {
			who := "you"
			if subj == "you" || subj == "u" {
				who = "we"
			}
			if strings.HasSuffix(aux, "n't") {
				return lead + join(who, aux, tail(2)), true
			}
			if aux == "did" && len(ts) > 2 {
				return lead + join(who, pastTense(ts[2].text), tail(3)), true
			}
			return lead + join(who, tail(2)), true
		}
		// Find the main verb after a short subject.
		for v := 2; v < len(ts) && v <= 6; v++ {
			if !commonVerbs[lw(v)] {
				continue
			}
			if end, ok := nounPhrase(ts[:v], 1, true); (!ok || end != v) && whetherPronouns[subj] == "" {
				continue
			}
			np := swap(render(ts[1:v]))
			verb := ts[v].text
			switch aux {
			case "does":
				verb = thirdPerson(verb)
			case "did":
				verb = pastTense(verb)
			case "don't", "doesn't", "didn't":
				verb = aux + " " + verb
			}
			return lead + join(np, verb, tail(v+1)), true
		}
		return "", false
	case "can", "could", "will", "would", "should", "may", "might", "must", "can't", "won't", "couldn't", "wouldn't", "shouldn't":
		if subj == "i" || subj == "we" {
			return lead + join("you", aux, tail(2)), true
		}
		if subj == "you" || subj == "u" {
			return lead + join("we", aux, tail(2)), true
		}
		for v := 2; v < len(ts) && v <= 6; v++ {
			if !commonVerbs[lw(v)] {
				continue
			}
			if end, ok := nounPhrase(ts[:v], 1, true); (!ok || end != v) && whetherPronouns[subj] == "" {
				continue
			}
			return lead + join(swap(render(ts[1:v])), aux, tail(v)), true
		}
		return "", false
	case "has", "have", "hasn't", "haven't":
		if subj == "i" || subj == "we" {
			return lead + join("you've", tail(2)), true
		}
		if subj == "you" || subj == "u" {
			return lead + join("we've", tail(2)), true
		}
		end, ok := nounPhrase(ts, 1, false)
		if !ok || end >= len(ts) {
			return "", false
		}
		return lead + join(swap(render(ts[1:end])), aux, tail(end)), true
	}
	if w != "what" && w != "who" && w != "which" {
		return "", false
	}
	// The wh-word is the subject: "What happens if I cancel?", "Who
	// handles refunds?"
	if !strings.HasSuffix(aux, "s") && !strings.HasSuffix(aux, "ed") && !modals[aux] {
		return "", false
	}
	return lead + swap(rest), true
}

var modals = wordSet(`can could will would should may might must`)

// nounPhrase finds the end of the subject noun phrase starting at ts[i]:
// a determiner or possessive and up to three more words, or a single
// capitalised name. With long set (wh-questions) the phrase may run to
// the end of the sentence ("where the export button is").
func nounPhrase(ts []token, i int, long bool) (int, bool) {
	if i >= len(ts) {
		return 0, false
	}
	first := strings.ToLower(ts[i].text)
	// A quoted term: "What does 'pending' mean?"
	if first == "'" || first == "\"" {
		for j := i + 1; j < len(ts) && j <= i+6; j++ {
			if ts[j].text == ts[i].text {
				return j + 1, j > i+1
			}
		}
		return 0, false
	}
	det := determiner[first]
	bare := !det && !isCapitalised(ts[i].text) && plural(first) && !stopWords[first] && !englishWords[first]
	if !det && !bare && !isCapitalised(ts[i].text) {
		return 0, false
	}
	if !det && (englishWords[first] || stopWords[first]) {
		return 0, false
	}
	// The first word after a determiner is part of the phrase whatever it
	// looks like ("your opening hours", "the tax receipt").
	minLen := 1
	if det {
		minLen = 2
	}
	j := i + minLen
	for ; j < len(ts); j++ {
		lw := strings.ToLower(ts[j].text)
		if isPunct(ts[j].text) && ts[j].text != "'" {
			break
		}
		if predicateStart[lw] || strings.HasSuffix(lw, "ing") || (strings.HasSuffix(lw, "ed") && len(lw) > 4) || strings.HasSuffix(lw, "n't") {
			break
		}
		if npPrepositions[lw] && !long {
			break
		}
		if bare || !long && j-i >= 4 {
			return 0, false
		}
	}
	if j > len(ts) || j < i+minLen {
		return 0, false
	}
	return j, true
}
