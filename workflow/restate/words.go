package restate

import "strings"

// The tables below are read-only after package initialisation. They are
// deliberately small and hand-picked: the restater only needs enough
// vocabulary to recognise the shape of a sentence, never to understand it.

// wordSet builds a lookup table from a space-separated list.
func wordSet(list string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(list) {
		m[w] = true
	}
	return m
}

// englishWords are function words that are frequent in English and rare in
// the other languages customers write in. Words shared with German, Dutch,
// French, Spanish or the Scandinavian languages ("was", "will", "in", "an",
// "me", "on", "we", "so", "also", "no", "at", "for") are left out on purpose
// so that a German "Ich will das" does not count as English.
var englishWords = wordSet(`the and are were to of my i you it that this with not have has had be been
from but how what why when where do does did don't doesn't didn't can't cannot isn't aren't wasn't won't
our your can would could should there which or if us i'm i've i'd it's they their them just any all some
get got please thanks thank after because into about by then than only very need want working when since
still anyone someone something anything nothing every our my we're you're they're haven't hasn't couldn't
yet while these those its being able way again here who whom whose other same each much many more most`)

// foreignWords are frequent function words of the other languages a
// European support desk sees. A sentence with more of these than English
// function words is left alone: restating it would mangle it.
var foreignWords = wordSet(`ich nicht und ist der die das mein meine meinen meiner kann können bitte mit für ein eine
einen auf wir sie es habe haben wird wurde nach noch auch wie warum mich mir sich zu von dem den des bei aber
oder wenn schon immer kein keine leider danke hallo grüße dass werden sind bin hier jetzt nur sehr geht
funktioniert gibt ihr ihre unser unsere euch
je ne pas le la les une des du est et mon ma mes pour avec dans sur que qui vous nous il elle ce cette mais ou
au aux bonjour merci j'ai n'est c'est n'arrive puis votre vos notre très être avoir fait aussi comment pourquoi
peux pouvez arrive suis
el los las y es está mi mis por para con una uno pero como cuando hola gracias puedo tengo cuenta sesión
favor su sus del lo se muy también donde porque estoy puede hacer
il di che è non sono mio mia ho grazie ciao buongiorno della questo
ik het een niet mijn en dat voor zijn wij jullie graag bedankt hoe waarom geen ook maar wel nog
não eu meu minha obrigado obrigada você isso
jeg ikke och jag inte är det att og er har på min mitt`)

// stopWords are words that carry no topic. A clause made only of these (and
// the generic words below) is too vague to restate.
var stopWords = wordSet(`a an the and or but so of to in on at for with from by as into onto about over under
after before since until than then there here this that these those it its it's is are was were be been
being am do does did done doing have has had having will would can could should may might must shall
not no nor n't don't doesn't didn't can't cannot isn't aren't wasn't weren't won't wouldn't couldn't
shouldn't haven't hasn't hadn't i me my mine myself we us our ours you your yours yourself they them
their he him his she her what which who whom whose when where why how if whether because while also just
very really still even only any some all every each more most much many other same such own too again
now ever never always already yet up down out off one someone something anything everything nothing
anyone everyone somebody anybody you're you've you'd you'll we're we've we'd we'll i'm i've i'd i'll
like let let's get gets got getting as well please`)

// genericWords carry no topic either: "it doesn't work", "please help",
// "something is wrong" say that there is a problem, not which one.
var genericWords = wordSet(`work works working worked expected help helping helped look looking know knows
thing things issue issues problem problems fix fixed sort check happen happening happened going go goes
went want wants need needs needed way able possible advise assist assistance question questions anymore
right correct properly asap urgent urgently soon quickly today yesterday reason ok okay sure keep keeps
kept seem seems trying try tried stuff wrong broken error errors crash crashes crashed crashing fail
fails failed failing failure weird strange odd idea ideas suggestion suggestions matter matters something
anything everything nothing situation case point regard regarding concern concerning respect information
info detail details advice appreciated appreciate kindly time times hand bit little lot lots like
said say says tell told let know knowing understand sorted resolved resolve solve solved sorry
suddenly anymore longer fine good great well nice`)

// acronyms keep their capitals when a shouted sentence is lowered.
var acronyms = wordSet(`SMTP IMAP POP POP3 PDF API APIS URL URLS CSV SSL TLS DNS HTML CSS PHP SQL FAQ VAT IBAN BIC
SEPA USA UK EU US USD EUR GBP CAD AUD CRM CMS SSO SAML MFA 2FA OTP SMS IOS GDPR HTTP HTTPS JSON XML ID IDS IP
FTP SFTP SSH CPU RAM AWS GCP PNG JPG JPEG GIF ZIP XLS XLSX DOC DOCX IRS EIN ACH ETA ASAP WP NGO PTA QR USB VPN
RSS SEO CDN WAF AJAX REST CORS JWT CSRF XSS MX SPF DKIM DMARC TXT CNAME NPO CPA HR IT PR CEO CFO CTO ED FY
QA UI UX PIN OK TV PC MAC AM PM GMT UTC EST PST CET BST SKU PO NFC ATM ACH BACS EFT SWIFT ABA GST HST PST`)

// properNouns are product and company names a nonprofit support desk
// meets. They keep their capital at the start of a clause.
var properNouns = wordSet(`wordpress paypal stripe google gmail outlook chrome firefox safari edge windows mac macos
iphone ipad android apple microsoft office excel word salesforce mailchimp zoom givewp woocommerce drupal
joomla squarespace wix shopify quickbooks xero hubspot zapier slack facebook instagram twitter linkedin
youtube amazon visa mastercard amex venmo gocardless square elementor gutenberg yahoo hotmail icloud
cloudflare godaddy bluehost siteground dreamhost linux ubuntu debian github gitlab jira trello dropbox
onedrive sharepoint teams blackbaud raisers neon bloomerang donorbox classy eventbrite monday friday
saturday sunday tuesday wednesday thursday january february march april june july august september
october november december english french german spanish`)

// secretWords introduce a value that must never be echoed back.
var secretWords = wordSet(`password passwords passwd pwd pw passcode passcodes passphrase pin pins`)

// qualifiedSecretWords are secret only after a qualifier ("API key",
// "license key", "access token") or when followed by a value marker;
// "key feature" and "token of thanks" are harmless.
var qualifiedSecretWords = wordSet(`key keys token tokens secret secrets code codes`)

var secretQualifiers = wordSet(`api license licence secret private access product activation encryption ssh
registration serial auth authentication bearer refresh session csrf verification security otp 2fa mfa
login reset recovery backup one-time sms authenticator app`)

// notAValue are words that may follow "password" (or "password is") in an
// ordinary sentence: "my password is wrong", "the password reset link",
// "my password manager". Anything else after a secret word is treated as
// the secret itself.
var notAValue = wordSet(`is was are were isn't wasn't doesn't didn't won't can't cannot not no never
wrong correct incorrect invalid valid too being rejected expired still definitely right fine ok okay
accepted the a an my our your same different very also now strong weak long short saved stored changed
reset set locked blocked working required missing empty blank there in on for at to from of with by and
or but so because when if that this it which who again anymore yesterday today twice several multiple
many times manager field box page link email mail e-mail change changes recovery requirements rules
policy prompt screen form reminder reminders protected protection expiry expiration update updates
reminder login request requests requested hint hints keeps keep has have had does do did will would
should could may might must doesn't work works worked into anywhere everywhere somewhere every each
more less than then just only even until after before since while without sent send sending received
generator generated history prompt prompts feature features dialog popup window option options tool
tools app authenticator device devices number numbers entry entries either neither nor as like etc
you me us them him her they we i he she`)

// profanity is never echoed. Adjectives and adverbs in this list are
// dropped from an otherwise usable sentence ("this stupid plugin");
// profaneNouns make the whole sentence unusable ("this shit is broken").
var profanity = wordSet(`fuck fucks fucking fucked fuckin fking fkn frigging friggin freaking freakin effing
damn damned dammit goddamn goddamned bloody bleeding stupid idiotic dumb useless pathetic ridiculous
ludicrous crappy shitty lousy worthless shoddy awful terrible horrible incompetent moronic retarded
sodding bloody-minded wtf ffs omg smh`)

var profaneNouns = wordSet(`shit shite crap bullshit garbage rubbish trash junk joke scam hell ass arse asshole
assholes arsehole bastard bastards bitch bitches idiot idiots moron morons piss pissed sucks suck sucked
dick dicks clowns clown cunt wanker wankers twat prick`)

// pleasantryStarts introduce a sentence that is politeness, not content.
var pleasantryPrefixes = []string{
	"thank", "thanks", "thx", "many thanks", "much appreciated", "hope you", "i hope you", "hope this",
	"i hope this", "hope all", "i hope all", "hope everything", "i hope everything", "hope you're", "sorry to bother",
	"sorry for the", "apologies for", "i look forward", "looking forward", "look forward", "let me know",
	"please let me know", "please advise", "please help", "any help", "any advice", "any ideas",
	"any suggestions", "any thoughts", "any update", "any news", "have a great", "have a nice", "have a good",
	"kind regards", "best regards", "regards", "cheers", "best wishes", "i appreciate", "appreciate",
	"we appreciate", "i would appreciate", "i'd appreciate", "we would appreciate", "we'd appreciate",
	"it would be appreciated", "help would be", "hope to hear", "i hope to hear", "talk soon",
	"please get back", "get back to me", "please respond", "please reply", "please call me", "call me",
	"you can reach me", "i can be reached", "feel free to", "please feel free", "please find attached",
	"please see attached", "see attached", "attached is", "attached are", "i have attached", "i've attached",
	"i attached", "please see below", "see below", "see the attached", "find attached", "in advance",
	"good morning", "good afternoon", "good evening", "welcome", "congrat", "great job", "love your",
	"we love", "i love", "keep up", "fyi", "for your information", "just fyi", "just a heads up",
	"please contact me", "contact me", "my phone number", "my number is", "my name is", "this is ",
	"my apologies", "apologies", "our apologies", "i apologi", "we apologi", "i'm sorry", "i am sorry",
	"sorry", "no worries", "no problem", "all good", "i am fine", "i'm fine", "i'm good", "i am good",
	"hope that", "i hope that", "love the", "i love the", "we love the", "i like the", "we like the",
	"great product", "great plugin", "great service", "how are you", "how's it going", "how are things", "hope it", "i hope it", "please note that this", "sent from", "hi ", "hello ",
}

// leadIns are openings that only frame the real sentence. They are removed
// (repeatedly) before the sentence is classified.
var leadIns = []string{
	"also", "and", "but", "so", "however", "unfortunately", "basically", "well", "ok", "okay", "anyway",
	"actually", "honestly", "frankly", "sadly", "apparently", "hmm", "um", "oh", "hey", "yes", "now",
	"btw", "by the way", "hi again", "hello again", "again", "firstly", "secondly", "finally", "lastly",
	"further", "furthermore", "additionally", "in addition", "just", "just a quick one",
	"to be honest", "tbh", "fwiw", "i'm afraid", "i am afraid", "i'm sorry but", "i am sorry but",
	"i'm sorry to say", "i am sorry to say", "i'm sorry to report", "long story short", "in short",
	"as mentioned", "as i mentioned", "as mentioned before", "as discussed", "hi team", "hello team",
	"since then", "ever since", "today", "this morning", "yesterday", "right now", "currently",
}

// labels open a sentence only when punctuation follows: "Problem: the
// export fails", but not "Help me export my donors".
var labels = []string{
	"ps", "p.s", "p.s.", "update", "edit", "note", "quick question", "question", "problem", "issue",
	"urgent", "important", "help", "summary", "details", "description", "background", "context",
	"subject", "re", "fyi", "following up", "just following up", "follow up", "follow-up", "to summarize",
	"to summarise", "regarding the above", "the problem", "the issue", "my question", "our question",
	"my problem", "our problem", "my issue", "our issue", "question for you", "urgent request", "sorry",
}
