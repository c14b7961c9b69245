package restate

import (
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// restateCases are customer messages written for these tests: billing,
// refunds, log-in trouble, errors, how-to questions, feature requests,
// cancellations, anger, rambling politeness, names from several languages,
// foreign-language mail, HTML remnants, one-liners, empty parts, secrets,
// phone numbers, links, order numbers and forwarded chains. want is the
// restatement a careful agent would accept after "It sounds like ".
var restateCases = []struct {
	name, subject, body string
	want                string
	kind                Kind
	// absent are substrings that must never appear in the output
	// (secrets, identifiers, shouting, swearing, signatures); case
	// matters, so "LOCKED" checks that shouting was lowered.
	absent []string
}{
	{name: "having trouble", subject: "Form", body: "Hi,\n\nI'm having trouble with the donation form.",
		want: "you're having trouble with the donation form", kind: KindFailure},
	{name: "didn't go through", subject: "", body: "My donation didn't go through but I was charged.",
		want: "your donation didn't go through but you were charged", kind: KindFailure},
	{name: "vague only", subject: "", body: "Can you help me?",
		want: "you need a hand with something", kind: KindSubject},
	{name: "update on refund", subject: "Refund", body: "Hello, Is there an update on my refund?",
		want: "you'd like to know whether there's an update on your refund", kind: KindQuestion},
	{name: "forgot password", subject: "Password", body: "I forgot my password.",
		want: "you forgot your password", kind: KindFailure},
	{name: "cancel membership", subject: "", body: "We'd like to cancel our membership effective immediately.",
		want: "you'd like to cancel your membership effective immediately", kind: KindRequest},
	{name: "how-to then failure", subject: "", body: "How do I reset my password? I tried the link but it says expired.",
		want: "you tried the link but it says expired", kind: KindFailure},
	{name: "good morning stripe", subject: "", body: "Good morning! Our Stripe payments stopped working yesterday.",
		want: "your Stripe payments stopped working yesterday", kind: KindFailure},
	{name: "to whom", subject: "", body: "To whom it may concern: I would like to request a copy of my tax receipt for 2023.",
		want: "you'd like to request a copy of your tax receipt for 2023", kind: KindRequest},
	{name: "lowercase need help", subject: "", body: "i need help with the export",
		want: "you need help with the export", kind: KindRequest},
	{name: "unable connect", subject: "", body: "We're unable to connect Mailchimp.",
		want: "you're unable to connect Mailchimp", kind: KindFailure},
	{name: "db error quote", subject: "", body: "Our site shows 'Error establishing a database connection'.",
		want: "your site shows 'Error establishing a database connection'", kind: KindFailure},
	{name: "subject only failure", subject: "Can't access my account", body: "",
		want: "you can't access your account", kind: KindFailure},
	{name: "subject payment failed", subject: "Payment failed", body: "See screenshot.",
		want: "the payment failed", kind: KindFailure},
	{name: "opening hours", subject: "Question", body: "what are your opening hours?",
		want: "you'd like to know what our opening hours are", kind: KindQuestion},
	{name: "problem persists", subject: "Re: Export", body: "Thank you for the quick reply. Unfortunately the problem persists.",
		want: "the problem persists", kind: KindFailure},
	{name: "email is addr", subject: "", body: "My email is zoe@example.com and I can't reset my password.",
		want: "you can't reset your password", kind: KindFailure, absent: []string{"zoe@", "example.com"}},
	{name: "double charged order id", subject: "", body: "Hi Support, I was double charged! Order ID: 987654321. Please refund ASAP!!!",
		want: "you were double charged", kind: KindFailure, absent: []string{"987654321"}},
	{name: "know if you could", subject: "", body: "I'd like to know if you could refund me.",
		want: "you'd like us to refund you", kind: KindRequest},
	{name: "hey guys quick question", subject: "", body: "Hey guys, quick question - does GiveWP support Apple Pay?",
		want: "you'd like to know whether GiveWP supports Apple Pay", kind: KindQuestion},
	{name: "signature no signoff", subject: "Login", body: "I can't log in.\n\nJohn Smith\nCEO, Acme Inc.\nTel: 555 1234",
		want: "you can't log in", kind: KindFailure},
	{name: "subject clause", subject: "We moved to a new host", body: "",
		want: "you moved to a new host", kind: KindStatement},
	{name: "cjk", subject: "请帮助", body: "我无法登录我的帐户。",
		want: "you need a hand with something", kind: KindSubject},
	{name: "please advise only", subject: "Gift aid declaration form", body: "Hi there,\n\nPlease advise.\n\nThanks",
		want: "you're writing about gift aid declaration form", kind: KindSubject},
	{name: "username and password", subject: "", body: "I can't login to my account, my username is jose and my password is Secret123!",
		want: "you can't log in to your account", kind: KindFailure, absent: []string{"Secret123", "jose"}},
	{name: "card number", subject: "Charge", body: "You charged my card 4111 1111 1111 1111 twice for the same donation.",
		want: "we charged your card twice for the same donation", kind: KindFailure, absent: []string{"4111"}},
	{name: "phone in sentence", subject: "", body: "The donation hotline 0800 123 4567 is not answering.",
		want: "the donation hotline isn't answering", kind: KindFailure, absent: []string{"0800", "4567"}},
	{name: "ip and url", subject: "", body: "Our server at 192.168.10.20 returns a 500 error on www.example.org/donate.",
		want: "your server returns a 500 error", kind: KindFailure, absent: []string{"192.168", "example.org"}},
	{name: "dear givewp team", subject: "", body: "Dear GiveWP team,\n\nWe need to move our donor data to a new site. How can we do that without losing recurring subscriptions?\n\nWarm regards,\nKofi",
		want: "you need to move your donor data to a new site", kind: KindRequest},
	{name: "outlook quoted", subject: "RE: Invoice", body: "Please send the invoice to our finance team instead.\n\n________________________________\nFrom: Support <help@example.org>\nSent: 04 March 2024 10:02\nTo: Kofi\nSubject: Invoice\n\nHere is your invoice.",
		want: "you'd like us to send the invoice to your finance team instead", kind: KindRequest},
	{name: "interleaved no-quote-marker", subject: "Re: Export", body: "On Mon, 4 Mar 2024 at 10:02, Support <help@example.org> wrote:\nWhich browser?\n",
		want: "you're writing about your export", kind: KindSubject},
	{name: "shouting short words", subject: "", body: "WHY IS MY RECEIPT NOT SHOWING THE CORRECT AMOUNT?",
		want: "you'd like to know why your receipt isn't showing the correct amount", kind: KindQuestion},
	{name: "it keeps crashing", subject: "Mobile app", body: "It keeps crashing.",
		want: "you're writing about mobile app", kind: KindSubject},
	{name: "this doesn't work no subject", subject: "", body: "This doesn't work!!",
		want: "something isn't working as expected", kind: KindFailure},
	{name: "sorry to bother", subject: "", body: "Sorry to bother you, but my monthly donation was taken twice this month.",
		want: "your monthly donation was taken twice this month", kind: KindFailure},
	{name: "I was wondering how", subject: "", body: "I was wondering how I can add a second admin user.",
		want: "you'd like to know how you can add a second admin user", kind: KindQuestion},
	{name: "feature request colon", subject: "", body: "Feature request: dark mode for the dashboard.",
		want: "you'd like us to consider dark mode for the dashboard", kind: KindRequest},
	{name: "refund please", subject: "", body: "Refund my last payment please.",
		want: "you'd like us to refund your last payment", kind: KindRequest},
	{name: "any chance", subject: "", body: "Any chance you could extend our trial by a week?",
		want: "you'd like us to extend your trial by a week", kind: KindRequest},
	{name: "when will", subject: "", body: "When will my refund arrive?",
		want: "you'd like to know when your refund will arrive", kind: KindQuestion},
	{name: "what does mean", subject: "", body: "What does 'pending' mean on my donation?",
		want: "you'd like to know what 'pending' means on your donation", kind: KindQuestion},
	{name: "are donations tax", subject: "", body: "Are donations tax deductible?",
		want: "you'd like to know whether donations are tax deductible", kind: KindQuestion},
	{name: "is my data safe", subject: "", body: "Is my data safe?",
		want: "you'd like to know whether your data is safe", kind: KindQuestion},
	{name: "why can't I", subject: "", body: "Why can't I see last year's donations?",
		want: "you'd like to know why you can't see last year's donations", kind: KindQuestion},
	{name: "why did", subject: "", body: "Why did my payment fail?",
		want: "you'd like to know why your payment failed", kind: KindQuestion},
	{name: "who can I contact", subject: "", body: "Who can I contact about a data deletion request?",
		want: "you'd like to know who you can contact about a data deletion request", kind: KindQuestion},
	{name: "what happens if", subject: "", body: "What happens if I cancel my plan mid-month?",
		want: "you'd like to know what happens if you cancel your plan mid-month", kind: KindQuestion},
	{name: "how long does it take", subject: "", body: "How long does it take for a refund to show up?",
		want: "you'd like to know how long it takes for a refund to show up", kind: KindQuestion},
	{name: "double charge", subject: "Charged twice", body: "Hi there,\n\nI was charged twice for my monthly donation this month. Could you please refund the duplicate?\n\nThanks,\nMaria",
		want: "you were charged twice for your monthly donation this month", kind: KindFailure},
	{name: "refund request", subject: "Refund", body: "Hello,\n\nI'd like a refund for my annual plan. We no longer need it.\n\nBest,\nTom",
		want: "you'd like a refund for your annual plan", kind: KindRequest},
	{name: "login", subject: "Can't log in", body: "I can't log in to my account.",
		want: "you can't log in to your account", kind: KindFailure},
	{name: "password reset email", subject: "Password reset", body: "Hi, the password reset email never arrives. I've checked my spam folder.",
		want: "the password reset email never arrives", kind: KindFailure},
	{name: "2fa lost phone", subject: "2FA", body: "I lost my phone and now I can't get the 2FA code to sign in.",
		want: "you lost your phone and now you can't get the 2FA code to sign in", kind: KindFailure},
	{name: "error with code", subject: "Error when saving", body: "When I save a donation form I get \"Error 403: Forbidden\". What should I do?",
		want: "when you save a donation form you get \"Error 403: Forbidden\"", kind: KindFailure},
	{name: "plugin conflict", subject: "Conflict with Elementor", body: "After updating Elementor, our GiveWP donation form shows a blank white page.",
		want: "after updating Elementor, your GiveWP donation form shows a blank white page", kind: KindFailure},
	{name: "does question", subject: "Recurring donations", body: "Does the donation form support recurring donations with PayPal?",
		want: "you'd like to know whether the donation form supports recurring donations with PayPal", kind: KindQuestion},
	{name: "how-to", subject: "Export", body: "How do I export my donors to a CSV file?",
		want: "you'd like to know how to export your donors to a CSV file", kind: KindQuestion},
	{name: "feature request", subject: "Feature request", body: "It would be great if we could add a custom field to the donation form.",
		want: "you'd like to be able to add a custom field to the donation form", kind: KindRequest},
	{name: "cancellation", subject: "Cancel", body: "Please cancel my subscription.",
		want: "you'd like us to cancel your subscription", kind: KindRequest},
	{name: "all caps", subject: "URGENT!!!", body: "MY ACCOUNT IS LOCKED AND I CANNOT LOGIN. FIX IT NOW!!!",
		want: "your account is locked and you can't log in", kind: KindFailure, absent: []string{"LOCKED", "CANNOT"}},
	{name: "profanity", subject: "WTF", body: "This stupid plugin is f***ing broken!!!",
		want: "the plugin isn't working as expected", kind: KindFailure, absent: []string{"stupid", "f***", "***"}},
	{name: "polite rambling", subject: "Quick question about receipts", body: "Dear Sir/Madam,\n\nI hope this email finds you well. My name is Zoë and I volunteer as the treasurer for a small animal shelter in Ærøskøbing. We have been using your software for about two years and are very happy with it. I was wondering if you could tell me how to change the logo on our donation receipts?\n\nMany thanks in advance for your help.\n\nKind regards,\nZoë Møller\nTreasurer",
		want: "you'd like to know how to change the logo on your donation receipts", kind: KindQuestion, absent: []string{"Møller", "Treasurer", "hope"}},
	{name: "name José", subject: "Donation receipt for José", body: "Hi, my husband José made a donation last week but the receipt was sent to the wrong address.",
		want: "your husband José made a donation last week but the receipt was sent to the wrong address", kind: KindFailure},
	{name: "german", subject: "Rechnung", body: "Hallo,\n\nich habe keine Rechnung für meine Spende erhalten. Können Sie mir bitte eine schicken?\n\nViele Grüße\nJürgen",
		want: "you need a hand with something", kind: KindSubject},
	{name: "french", subject: "Problème de connexion", body: "Bonjour,\n\nJe n'arrive pas à me connecter à mon compte depuis hier.\n\nCordialement,\nAmélie",
		want: "you need a hand with something", kind: KindSubject},
	{name: "spanish body english subject", subject: "Refund request", body: "Hola, quiero cancelar mi suscripción y recibir un reembolso. Gracias",
		want: "you're writing about your refund request", kind: KindSubject},
	{name: "spanish both", subject: "Ayuda con mi cuenta", body: "Hola, no puedo iniciar sesión en mi cuenta. Gracias",
		want: "you need a hand with something", kind: KindSubject},
	{name: "html converted", subject: "Form not loading", body: "<p>Hi,</p><p>The donation form on our site is not loading since this morning.&nbsp;Can you check?</p><br>Thanks<br>Ann",
		want: "the donation form on your site isn't loading since this morning", kind: KindFailure},
	{name: "one-liner", subject: "", body: "cant login",
		want: "you can't log in", kind: KindFailure},
	{name: "empty body", subject: "Re: [#123] Invoice for March 2024", body: "",
		want: "you're writing about your invoice for March 2024", kind: KindSubject},
	{name: "empty subject", subject: "", body: "How much does the premium plan cost?",
		want: "you'd like to know how much the premium plan costs", kind: KindQuestion},
	{name: "greeting only", subject: "Hello", body: "Hi there!",
		want: "you need a hand with something", kind: KindSubject},
	{name: "password", subject: "Login help", body: "Hi, I can't log in, my password is Hunter22! and my username is zoe",
		want: "you can't log in", kind: KindFailure, absent: []string{"Hunter22", "zoe"}},
	{name: "pin spliced", subject: "", body: "My PIN is 4821 and the card reader still rejects it.",
		want: "the card reader still rejects it", kind: KindFailure, absent: []string{"4821"}},
	{name: "phone number", subject: "Call me", body: "Please call me back on +44 20 7946 0958 about my donation, the receipt shows the wrong amount.",
		want: "the receipt shows the wrong amount", kind: KindFailure, absent: []string{"7946", "0958", "+44"}},
	{name: "url", subject: "Broken link", body: "The link https://example.org/donate?id=5 doesn't work when I click it from my phone.",
		want: "the link isn't working when you click it from your phone", kind: KindFailure, absent: []string{"example.org", "https", "id=5"}},
	{name: "order number", subject: "Order 1234567", body: "Hi, my order #1234567 has not arrived yet. Where is it?",
		want: "your order hasn't arrived yet", kind: KindFailure, absent: []string{"1234567"}},
	{name: "forwarded chain", subject: "Fwd: Re: Re: Donation not showing", body: "FYI, see below.\n\n---------- Forwarded message ---------\nFrom: Ann Lee <ann@example.org>\nDate: Mon, 1 Jan 2024 at 10:00\nSubject: Re: Donation not showing\nTo: Bob <bob@example.org>\n\nI donated $50 but it's not on my statement.\n\nOn Sun, 31 Dec 2023, Bob wrote:\n> Which donation?\n",
		want: "the donation isn't showing", kind: KindFailure, absent: []string{"ann@", "bob@", "Ann Lee"}},
	{name: "forward with own text", subject: "Fwd: Receipt", body: "Hi,\n\nOne of our donors never got her tax receipt. Can you resend it?\n\n-----Original Message-----\nFrom: Jane Donor\nSent: Monday, March 4, 2024 9:12 AM\nTo: info@charity.org\nSubject: Receipt\n\nWhere is my receipt?",
		want: "one of your donors never got her tax receipt", kind: KindFailure},
	{name: "is it possible", subject: "Currency", body: "Is it possible to change the currency on our donation form to euros?",
		want: "you'd like to know whether it's possible to change the currency on your donation form to euros", kind: KindQuestion},
	{name: "can you", subject: "", body: "Can you send me a copy of my receipt?",
		want: "you'd like us to send you a copy of your receipt", kind: KindRequest},
	{name: "want plus failure", subject: "Upgrade", body: "I want to upgrade to the Pro plan but the button is greyed out.",
		want: "you'd like to upgrade to the Pro plan but the button is greyed out", kind: KindRequest},
	{name: "need invoice", subject: "Invoice", body: "We need an invoice with our VAT number for our records.",
		want: "you need an invoice with your VAT number for your records", kind: KindRequest},
	{name: "reply with quote", subject: "Re: [#42] Export", body: "Still not working, sorry.\n\nOn Tue, 5 Mar 2024 at 10:02, Support <help@example.org> wrote:\n> Have you tried clearing the cache?\n> Thanks",
		want: "you're writing about your export", kind: KindSubject},
	{name: "why question", subject: "Receipts", body: "Why are my donation receipts going to spam?",
		want: "you'd like to know why your donation receipts are going to spam", kind: KindQuestion},
	{name: "where question", subject: "", body: "Where can I find my annual giving statement?",
		want: "you'd like to know where you can find your annual giving statement", kind: KindQuestion},
	{name: "did you", subject: "Payment", body: "Did you receive my payment from last Friday?",
		want: "you'd like to know whether we received your payment from last Friday", kind: KindQuestion},
	{name: "greeting no comma", subject: "Hi", body: "hello I can't find the export button anywhere",
		want: "you can't find the export button anywhere", kind: KindFailure},
	{name: "emoji", subject: "Thanks!", body: "Love the new dashboard 😍 but the donations chart is empty since Monday :(",
		want: "the donations chart is empty since Monday", kind: KindFailure},
	{name: "api key", subject: "Webhook", body: "Our API key sk_live_51Hxyz is not accepted by the webhook.",
		want: "you're writing about webhook", kind: KindSubject, absent: []string{"sk_live", "51Hxyz"}},
	{name: "dutch greeting english body", subject: "Membership", body: "Hallo,\n\nI'd like to renew my membership but the renewal page shows an error.\n\nGroetjes,\nAnneke",
		want: "you'd like to renew your membership but the renewal page shows an error", kind: KindRequest},
	{name: "do you offer", subject: "Nonprofit discount", body: "Do you offer a discount for registered charities?",
		want: "you'd like to know whether we offer a discount for registered charities", kind: KindQuestion},
	{name: "long run-on", subject: "Stripe", body: "I have been trying for the last three days to get the recurring donation feature to work with our Stripe account, but every time a donor signs up for a monthly gift, the first payment goes through and the second one fails with a card declined message even though the card is fine.",
		want: "you have been trying for the last three days to get the recurring donation feature to work with your Stripe account", kind: KindFailure},
	{name: "sent from iphone", subject: "Receipt", body: "Where is my receipt?\n\nSent from my iPhone",
		want: "you'd like to know where your receipt is", kind: KindQuestion},
	{name: "place name", subject: "Event tickets", body: "Our event in Ærøskøbing isn't showing on the calendar page.",
		want: "your event in Ærøskøbing isn't showing on the calendar page", kind: KindFailure},
	{name: "generic you", subject: "Donate button", body: "When you click the Donate button nothing happens.",
		want: "when you click the Donate button nothing happens", kind: KindFailure},
	{name: "you charged me", subject: "Wrong amount", body: "You charged me $50 instead of $5!",
		want: "we charged you $50 instead of $5", kind: KindStatement},
	{name: "useless subject empty body", subject: "Help!!!", body: "",
		want: "you need a hand with something", kind: KindSubject},
	{name: "no subject signature only", subject: "(no subject)", body: "Hi,\n\nThanks,\nBob",
		want: "you need a hand with something", kind: KindSubject},
	{name: "email address", subject: "Change email", body: "Please update my email address to jose.garcia@example.com.",
		want: "you'd like us to update your email address", kind: KindRequest, absent: []string{"jose.garcia", "example.com"}},
	{name: "bonjour english", subject: "Slow", body: "Bonjour,\n\nThe donation page is very slow today.",
		want: "the donation page is very slow today", kind: KindFailure},
	{name: "disclaimer", subject: "Gift Aid", body: "Hello,\n\nHow do we claim Gift Aid on donations made through the form?\n\nRegards\nPeter\n\nThis email and any attachments are confidential and intended solely for the use of the individual to whom they are addressed.",
		want: "you'd like to know how to claim Gift Aid on donations made through the form", kind: KindQuestion, absent: []string{"confidential"}},
	{name: "caution banner", subject: "Receipts", body: "CAUTION: This email originated from outside of the organization. Do not click links or open attachments.\n\nOur receipts show the wrong date for donations made after midnight.",
		want: "your receipts show the wrong date for donations made after midnight", kind: KindFailure},
	{name: "quoted history only", subject: "Re: Your ticket", body: "> Is there anything else we can help with?\n> Thanks",
		want: "you need a hand with something", kind: KindSubject},
	{name: "interleaved", subject: "Re: Settings", body: "On Mon, 4 Mar 2024, Support wrote:\n> Which version are you using?\n\nVersion 3.2.\n\n> Does the error persist?\n\nYes, the settings page still shows an error when I save.",
		want: "the settings page still shows an error when you save", kind: KindFailure},
	{name: "angry no profanity", subject: "RIDICULOUS", body: "This is RIDICULOUS. I have emailed you THREE times and my refund STILL hasn't arrived!!!",
		want: "you have emailed us three times and your refund still hasn't arrived", kind: KindFailure, absent: []string{"RIDICULOUS", "THREE", "STILL"}},
	{name: "noun profanity", subject: "Donation form", body: "This shit doesn't work.",
		want: "you're writing about your donation form", kind: KindSubject, absent: []string{"shit"}},
	{name: "statement context then problem", subject: "Migration", body: "We moved our site to a new host last week. Since the move, donors get a 502 error when they submit the form.",
		want: "since the move, donors get a 502 error when they submit the form", kind: KindFailure},
	{name: "non-english sentence inside english mail", subject: "Translation", body: "Our German donors see \"Spende fehlgeschlagen\" on the form. Can you translate the error messages?",
		want: "you'd like us to translate the error messages", kind: KindRequest},
	{name: "brief: failure", subject: "", body: "The checkout page is not working",
		want: "the checkout page isn't working as expected", kind: KindFailure},
	{name: "brief: charged twice", subject: "", body: "I was charged twice",
		want: "you were charged twice", kind: KindFailure},
	{name: "brief: can you", subject: "", body: "Can you resend my receipt?",
		want: "you'd like us to resend your receipt", kind: KindRequest},
	{name: "brief: I want", subject: "", body: "I want a copy of my invoice.",
		want: "you'd like a copy of your invoice", kind: KindRequest},
	{name: "brief: I would like", subject: "", body: "I would like a refund.",
		want: "you'd like a refund", kind: KindRequest},
	{name: "contact us means them", subject: "", body: "Please ask your billing team to contact us.",
		want: "you'd like us to ask our billing team to contact you", kind: KindRequest},
	{name: "myself", subject: "", body: "I locked myself out of my account.",
		want: "you locked yourself out of your account", kind: KindFailure},
	{name: "none of our donors", subject: "Donation form not sending receipts", body: "Hi,\n\nSince last Friday none of our donors are receiving their email receipts. We haven't changed anything on our side. Could you look into this please?\n\nThanks a lot,\nMarta Nowak\nDevelopment Officer\nTel: +48 22 123 45 67\nwww.example.pl",
		want: "since last Friday none of your donors are receiving their email receipts", kind: KindFailure},
	{name: "thanks but still fails", subject: "Re: Export", body: "Thanks, but it still fails.\n\nOn Mon, 4 Mar 2024, Support wrote:\n> Try again",
		want: "you're writing about your export", kind: KindSubject},
	{name: "sign-off with name on one line", subject: "", body: "The receipts show the wrong logo.\n\nCheers - Bob",
		want: "the receipts show the wrong logo", kind: KindFailure, absent: []string{"Bob", "Cheers"}},
	{name: "hello again lower-case start", subject: "", body: "Hello again,\n\nthe receipts still show the old logo.",
		want: "the receipts still show the old logo", kind: KindStatement},
	{name: "escaped html", subject: "Form", body: "My form shows &lt;script&gt;alert(1)&lt;/script&gt; instead of the amount.",
		want: "your form shows alert instead of the amount", kind: KindStatement, absent: []string{"<", "script", "&lt;"}},
	{name: "from: address", subject: "", body: "I got an email from: noreply@paypal.com saying my payment was reversed.",
		want: "you got an email saying your payment was reversed", kind: KindFailure, absent: []string{"paypal.com", "noreply"}},
	{name: "quoted error with password word", subject: "", body: "Hi,\n\nWhen I try to log in it says \"Your password is incorrect\" even though I just reset it.\n\nThanks",
		want: "when you try to log in it says \"Your password is incorrect\" even though you just reset it", kind: KindFailure},
	{name: "initials and title", subject: "", body: "Our treasurer, Ms. J. Smith, cannot access the reports page since Monday.",
		want: "your treasurer, Ms. J. Smith, can't access the reports page since Monday", kind: KindFailure},
	{name: "run-on text speak", subject: "", body: "hi can u pls help me my donation receipt has wrong name on it",
		want: "your donation receipt has wrong name on it", kind: KindFailure},
	{name: "colleague and I", subject: "", body: "My colleague and I both get logged out every 5 minutes.",
		want: "your colleague and you both get logged out every 5 minutes", kind: KindFailure},
	{name: "unsubscribe request", subject: "", body: "Please remove me from your mailing list.",
		want: "you'd like us to remove you from our mailing list", kind: KindRequest},
	{name: "api question", subject: "Quick question", body: "Do you have an API for pulling donation data into Salesforce?",
		want: "you'd like to know whether we have an API for pulling donation data into Salesforce", kind: KindQuestion},
	{name: "charged in error", subject: "", body: "Hello,\n\nI think I was charged in error for a membership I cancelled in January.\n\nRegards,\nKwame Mensah",
		want: "you were charged in error for a membership you cancelled in January", kind: KindFailure, absent: []string{"Kwame"}},
	{name: "subject problem with", subject: "Re: Problem with an rpm...", body: "",
		want: "you're having trouble with an rpm", kind: KindSubject},
	{name: "subject heading with failure word", subject: "WordPress plugin conflict", body: "Hi,\n\nPlease see the attached screenshot.\n\nThanks",
		want: "you're writing about WordPress plugin conflict", kind: KindSubject},
	{name: "subject need help", subject: "Need help with recurring donations", body: "",
		want: "you need help with recurring donations", kind: KindRequest},
	{name: "subject question about", subject: "Question about Gift Aid", body: "",
		want: "you have a question about Gift Aid", kind: KindQuestion},
}

func TestRestate(t *testing.T) {
	for _, c := range restateCases {
		t.Run(c.name, func(t *testing.T) {
			r := Explain(c.subject, c.body)
			checkProperties(t, c.name, r.Restatement)
			if r.Restatement != c.want {
				t.Errorf("Restate(%q, %q)\n got  %q\n want %q", c.subject, c.body, r.Restatement, c.want)
			}
			if c.kind != "" && r.Kind != c.kind {
				t.Errorf("kind = %q, want %q (source %q)", r.Kind, c.kind, r.Source)
			}
			if got := Restate(c.subject, c.body); got != r.Restatement {
				t.Errorf("Restate and Explain disagree: %q vs %q", got, r.Restatement)
			}
			if full := explain(c.subject, c.body, false); full != r {
				t.Errorf("pruning changed the answer: pruned %+v, exhaustive %+v", r, full)
			}
			for _, a := range c.absent {
				if strings.Contains(r.Restatement, a) {
					t.Errorf("output contains %q: %q", a, r.Restatement)
				}
			}
		})
	}
}

func TestRestateTableSize(t *testing.T) {
	if len(restateCases) < 40 {
		t.Fatalf("only %d cases; the table must cover at least 40 messages", len(restateCases))
	}
}

// TestExplainSource checks that Explain names its source sentence on one
// line and never shows a secret value in it.
func TestExplainSource(t *testing.T) {
	r := Explain("Login help", "Hi,\n\nI can't log in, my password is Hunter22!\nPlease help.")
	if r.Kind != KindFailure || r.Source == "" {
		t.Fatalf("Explain = %+v", r)
	}
	if strings.Contains(r.Source, "Hunter22") || !strings.Contains(r.Source, "[redacted]") {
		t.Errorf("Source leaks or does not mask the password: %q", r.Source)
	}
	if strings.ContainsAny(r.Source, "\r\n") {
		t.Errorf("Source spans lines: %q", r.Source)
	}

	r = Explain("Invoice for March", "")
	if r.Kind != KindSubject || r.Source != "Invoice for March" {
		t.Errorf("subject fallback = %+v", r)
	}
	r = Explain("", "")
	if r.Restatement != GenericClause || r.Kind != KindSubject || r.Source != "" {
		t.Errorf("empty message = %+v", r)
	}
}

// TestSubjectCleaning covers the reply/forward prefixes and ticket tags
// that clients and help desks put in subjects.
func TestSubjectCleaning(t *testing.T) {
	for in, want := range map[string]string{
		"Re: [#123] Fwd: Invoice for March":         "Invoice for March",
		"RE: FW: AW: WG: Spende":                    "Spende",
		"[Ticket #45] Re: Export to CSV?":           "Export to CSV",
		"Re[2]: Membership (fwd)":                   "Membership",
		"URGENT!!! Donation form broken":            "Donation form broken",
		"Ticket #9981: Receipt missing":             "Receipt missing",
		"Re: Receipt missing [#77]":                 "Receipt missing",
		"   ":                                       "",
		"SV: Antw: Réf : Problème de connexion !!!": "Problème de connexion",
	} {
		if got := cleanSubject(in); got != want {
			t.Errorf("cleanSubject(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLongBodyBounded: a huge body (a pasted log) costs bounded work and
// still yields a valid clause.
func TestLongBodyBounded(t *testing.T) {
	body := "The export fails with a timeout.\n\n" + strings.Repeat("[2024-03-04 10:00:00] ERROR worker 12345678 crashed at 0xdeadbeef\n", 20000)
	out := Restate("Export", body)
	checkProperties(t, "long body", out)
	if out != "the export fails with a timeout" {
		t.Errorf("got %q", out)
	}
}

// TestInvalidUTF8 feeds broken encodings: Latin-1 bytes, a cut rune.
func TestInvalidUTF8(t *testing.T) {
	out := Restate("Caf\xe9 \xff\xfe", "Je n'arrive pas \xe0 me connecter.\n\nI can't log in to my account\xe2\x82")
	checkProperties(t, "invalid utf-8", out)
	if !utf8.ValidString(out) {
		t.Fatalf("invalid UTF-8 out: %q", out)
	}
}

// TestConcurrent runs the table from several goroutines at once: the
// package keeps no mutable state, so -race must stay quiet and every
// goroutine must get the sequential answer.
func TestConcurrent(t *testing.T) {
	want := make([]string, len(restateCases))
	for i, c := range restateCases {
		want[i] = Restate(c.subject, c.body)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for k := range restateCases {
				i := (k + g*7) % len(restateCases)
				if got := Restate(restateCases[i].subject, restateCases[i].body); got != want[i] {
					t.Errorf("goroutine %d, case %q: %q, sequential %q", g, restateCases[i].name, got, want[i])
				}
			}
		})
	}
	wg.Wait()
}

// FuzzRestate asserts the hard constraints on arbitrary input, and that
// pruning never changes the answer.
func FuzzRestate(f *testing.F) {
	for _, c := range restateCases {
		f.Add(c.subject, c.body)
	}
	f.Add("", "\xff\xfe\x00")
	f.Add("Re: Re: Re:", ">>> quoted\n-- \nsig")
	f.Add("PASSWORD", "pw: x password: y PIN 1234 token=abc key: 99 api key sk_1")
	f.Fuzz(func(t *testing.T, subject, body string) {
		r := Explain(subject, body)
		checkProperties(t, "fuzz", r.Restatement)
		if again := Restate(subject, body); again != r.Restatement {
			t.Fatalf("not deterministic: %q then %q", r.Restatement, again)
		}
		if full := explain(subject, body, false); full != r {
			t.Fatalf("pruning changed the answer: %+v vs %+v", r, full)
		}
	})
}
