package restate

import "strings"

// Signs that a sentence states a problem. Matching works on lower-cased
// tokens rather than one large case-insensitive expression: it runs for
// every sentence of every message, and a table lookup per word is two
// orders of magnitude cheaper.

// strongWords name a failure on their own.
var strongWords = wordSet(`error errors err bug bugs bugged crash crashes crashed crashing broken broke fail
fails failed failing failure failures stuck missing wrong incorrect invalid locked blocked denied declined
rejected blank frozen froze freezes freezing hangs disappeared vanished lost stopped bounce bounced bounces
bouncing expired overcharged unauthorized unauthorised hacked compromised slow glitch glitches outage down
rejects declines refuses conflict conflicts conflicting empty unable timeout timeouts can't couldn't won't
fraud fraudulent greyed grayed forgot forgotten reversed disputed`)

// weakWords say there is something to sort out without saying it fails.
var weakWords = wordSet(`problem problems issue issues trouble refund refunds refunded chargeback cancel
cancels cancelled canceled cancelling canceling cancellation unsubscribe difficulty difficulties confused
confusing instead rather twice double still anymore keeps`)

// negations followed (within one word) by a negVerb are a failure: "isn't
// showing", "never received", "don't get".
var negations = wordSet(`not never isn't aren't wasn't weren't doesn't don't didn't won't can't couldn't
haven't hasn't hadn't`)

var negVerbs = wordSet(`work works working worked load loading loads show shows showing display displaying
appear appearing receive receives received receiving get gets getting got gotten open opening save saving
saved send sending sent log sign access find connect connecting update updating updated upload uploading
download downloading install installing activate process processing processed go going submit submitting
arrive arrives arrived arriving accept accepting accepted allow allowing print printing sync syncing export
exporting import importing match matching recognise recognize recognised recognized respond responding
charge charging complete completing completed verify register pay reset change changing cancel delete
deleted remove removed add adding reach come comes came through let showed loaded answer answering
answered ring ringing pick picking`)

// strongPairs are two-word failures whose words are harmless alone.
var strongPairs = wordSet(`not_working not_able charged_twice billed_twice double_charged double-charged
locked_out white_screen timed_out times_out time_out timing_out no_longer nothing_happens does_nothing
greyed_out grayed_out keeps_saying keeps_showing keeps_failing keeps_crashing keeps_asking keeps_logging
keeps_sending keeps_charging keeps_giving going_to_spam charged_two duplicate_charge duplicate_charges
duplicate_payment duplicate_payments duplicate_donation duplicate_donations duplicate_transaction
duplicate_transactions went_wrong goes_wrong gone_wrong logged_out signed_out kicked_out logs_out
charged_in_error in_error by_mistake`)

// chargeWords with "twice" or "double" anywhere in the sentence are a
// double charge: "you charged my card … twice".
var chargeWords = wordSet(`charge charged charges charging billed bill taken debited deducted withdrawn paid
payment payments`)

var problemWords = wordSet(`problem problems issue issues trouble difficulty difficulties`)

var statusWords = wordSet(`error code status http`)
var statusTail = wordSet(`error internal bad forbidden unauthorized unauthorised gateway service`)

// failureScore is 4 for a sentence that reports a failure, 2 for one that
// names a problem or a refund, 0 otherwise. negated reports a negation or
// a word like "problem" or "trouble": a statement with it reads as a
// failure.
func failureScore(s string) (score int, negated bool) {
	ts := tokenize(s)
	words := make([]string, 0, len(ts))
	for _, t := range ts {
		if isWord(t.text) {
			words = append(words, strings.ToLower(t.text))
		}
	}
	charged, twice := false, false
	for i, w := range words {
		charged = charged || chargeWords[w]
		twice = twice || w == "twice" || w == "double" || w == "duplicate" || w == "again"
		if charged && twice {
			return 4, negated
		}
		if negations[w] || strings.HasSuffix(w, "n't") {
			negated = true
		}
		switch {
		case strongWords[w] || strings.HasPrefix(w, "fraud"):
			return 4, negated
		case i+1 < len(words) && (strongPairs[w+"_"+words[i+1]] || (i+2 < len(words) && strongPairs[w+"_"+words[i+1]+"_"+words[i+2]])):
			return 4, negated
		case negations[w] || w == "never" || w == "none" || w == "nobody" || w == "nothing" || w == "neither":
			// "isn't showing", "don't really get", "none of our donors
			// are receiving": the verb follows within a few words.
			window := 3
			if w == "none" || w == "nobody" || w == "neither" {
				window = 5
			}
			for k := i + 1; k < len(words) && k <= i+window; k++ {
				if negVerbs[words[k]] {
					return 4, true
				}
			}
		case statusWords[w] && i+1 < len(words) && httpStatus(words[i+1]):
			return 4, negated
		case httpStatus(w) && i+1 < len(words) && statusTail[words[i+1]]:
			return 4, negated
		}
		if weakWords[w] || strings.HasPrefix(w, "cancel") {
			score = 2
		}
		if problemWords[w] {
			negated = true
		}
	}
	return score, negated
}

// httpStatus: a 4xx or 5xx status code.
func httpStatus(w string) bool {
	return len(w) == 3 && (w[0] == '4' || w[0] == '5') && w[1] >= '0' && w[1] <= '9' && w[2] >= '0' && w[2] <= '9'
}

// hasStrongFailure reports a sentence that names a failure.
func hasStrongFailure(s string) bool {
	sc, _ := failureScore(s)
	return sc >= 4
}
