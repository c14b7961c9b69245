package restate

import (
	"testing"
)

type tcase struct {
	name, subject, body, want string
	kind                      Kind
}

var draftCases = []tcase{
	{name: "double charge", subject: "Charged twice", body: "Hi there,\n\nI was charged twice for my monthly donation this month. Could you please refund the duplicate?\n\nThanks,\nMaria"},
	{name: "refund request", subject: "Refund", body: "Hello,\n\nI'd like a refund for my annual plan. We no longer need it.\n\nBest,\nTom"},
	{name: "login", subject: "Can't log in", body: "I can't log in to my account."},
	{name: "password reset email", subject: "Password reset", body: "Hi, the password reset email never arrives. I've checked my spam folder."},
	{name: "2fa lost phone", subject: "2FA", body: "I lost my phone and now I can't get the 2FA code to sign in."},
	{name: "error with code", subject: "Error when saving", body: "When I save a donation form I get \"Error 403: Forbidden\". What should I do?"},
	{name: "plugin conflict", subject: "Conflict with Elementor", body: "After updating Elementor, our GiveWP donation form shows a blank white page."},
	{name: "does question", subject: "Recurring donations", body: "Does the donation form support recurring donations with PayPal?"},
	{name: "how-to", subject: "Export", body: "How do I export my donors to a CSV file?"},
	{name: "feature request", subject: "Feature request", body: "It would be great if we could add a custom field to the donation form."},
	{name: "cancellation", subject: "Cancel", body: "Please cancel my subscription."},
	{name: "all caps", subject: "URGENT!!!", body: "MY ACCOUNT IS LOCKED AND I CANNOT LOGIN. FIX IT NOW!!!"},
	{name: "profanity", subject: "WTF", body: "This stupid plugin is f***ing broken!!!"},
	{name: "polite rambling", subject: "Quick question about receipts", body: "Dear Sir/Madam,\n\nI hope this email finds you well. My name is Zoë and I volunteer as the treasurer for a small animal shelter in Ærøskøbing. We have been using your software for about two years and are very happy with it. I was wondering if you could tell me how to change the logo on our donation receipts?\n\nMany thanks in advance for your help.\n\nKind regards,\nZoë Møller\nTreasurer"},
	{name: "name José", subject: "Donation receipt for José", body: "Hi, my husband José made a donation last week but the receipt was sent to the wrong address."},
	{name: "german", subject: "Rechnung", body: "Hallo,\n\nich habe keine Rechnung für meine Spende erhalten. Können Sie mir bitte eine schicken?\n\nViele Grüße\nJürgen"},
	{name: "french", subject: "Problème de connexion", body: "Bonjour,\n\nJe n'arrive pas à me connecter à mon compte depuis hier.\n\nCordialement,\nAmélie"},
	{name: "spanish body english subject", subject: "Refund request", body: "Hola, quiero cancelar mi suscripción y recibir un reembolso. Gracias"},
	{name: "spanish both", subject: "Ayuda con mi cuenta", body: "Hola, no puedo iniciar sesión en mi cuenta. Gracias"},
	{name: "html converted", subject: "Form not loading", body: "<p>Hi,</p><p>The donation form on our site is not loading since this morning.&nbsp;Can you check?</p><br>Thanks<br>Ann"},
	{name: "one-liner", subject: "", body: "cant login"},
	{name: "empty body", subject: "Re: [#123] Invoice for March 2024", body: ""},
	{name: "empty subject", subject: "", body: "How much does the premium plan cost?"},
	{name: "greeting only", subject: "Hello", body: "Hi there!"},
	{name: "password", subject: "Login help", body: "Hi, I can't log in, my password is Hunter22! and my username is zoe"},
	{name: "pin spliced", subject: "", body: "My PIN is 4821 and the card reader still rejects it."},
	{name: "phone number", subject: "Call me", body: "Please call me back on +44 20 7946 0958 about my donation, the receipt shows the wrong amount."},
	{name: "url", subject: "Broken link", body: "The link https://example.org/donate?id=5 doesn't work when I click it from my phone."},
	{name: "order number", subject: "Order 1234567", body: "Hi, my order #1234567 has not arrived yet. Where is it?"},
	{name: "forwarded chain", subject: "Fwd: Re: Re: Donation not showing", body: "FYI, see below.\n\n---------- Forwarded message ---------\nFrom: Ann Lee <ann@example.org>\nDate: Mon, 1 Jan 2024 at 10:00\nSubject: Re: Donation not showing\nTo: Bob <bob@example.org>\n\nI donated $50 but it's not on my statement.\n\nOn Sun, 31 Dec 2023, Bob wrote:\n> Which donation?\n"},
	{name: "forward with own text", subject: "Fwd: Receipt", body: "Hi,\n\nOne of our donors never got her tax receipt. Can you resend it?\n\n-----Original Message-----\nFrom: Jane Donor\nSent: Monday, March 4, 2024 9:12 AM\nTo: info@charity.org\nSubject: Receipt\n\nWhere is my receipt?"},
	{name: "is it possible", subject: "Currency", body: "Is it possible to change the currency on our donation form to euros?"},
	{name: "can you", subject: "", body: "Can you send me a copy of my receipt?"},
	{name: "want plus failure", subject: "Upgrade", body: "I want to upgrade to the Pro plan but the button is greyed out."},
	{name: "need invoice", subject: "Invoice", body: "We need an invoice with our VAT number for our records."},
	{name: "reply with quote", subject: "Re: [#42] Export", body: "Still not working, sorry.\n\nOn Tue, 5 Mar 2024 at 10:02, Support <help@example.org> wrote:\n> Have you tried clearing the cache?\n> Thanks"},
	{name: "why question", subject: "Receipts", body: "Why are my donation receipts going to spam?"},
	{name: "where question", subject: "", body: "Where can I find my annual giving statement?"},
	{name: "did you", subject: "Payment", body: "Did you receive my payment from last Friday?"},
	{name: "greeting no comma", subject: "Hi", body: "hello I can't find the export button anywhere"},
	{name: "emoji", subject: "Thanks!", body: "Love the new dashboard 😍 but the donations chart is empty since Monday :("},
	{name: "api key", subject: "Webhook", body: "Our API key sk_live_51Hxyz is not accepted by the webhook."},
	{name: "dutch greeting english body", subject: "Membership", body: "Hallo,\n\nI'd like to renew my membership but the renewal page shows an error.\n\nGroetjes,\nAnneke"},
	{name: "do you offer", subject: "Nonprofit discount", body: "Do you offer a discount for registered charities?"},
	{name: "long run-on", subject: "Stripe", body: "I have been trying for the last three days to get the recurring donation feature to work with our Stripe account, but every time a donor signs up for a monthly gift, the first payment goes through and the second one fails with a card declined message even though the card is fine."},
	{name: "sent from iphone", subject: "Receipt", body: "Where is my receipt?\n\nSent from my iPhone"},
	{name: "place name", subject: "Event tickets", body: "Our event in Ærøskøbing isn't showing on the calendar page."},
	{name: "generic you", subject: "Donate button", body: "When you click the Donate button nothing happens."},
	{name: "you charged me", subject: "Wrong amount", body: "You charged me $50 instead of $5!"},
	{name: "useless subject empty body", subject: "Help!!!", body: ""},
	{name: "no subject signature only", subject: "(no subject)", body: "Hi,\n\nThanks,\nBob"},
	{name: "email address", subject: "Change email", body: "Please update my email address to jose.garcia@example.com."},
	{name: "bonjour english", subject: "Slow", body: "Bonjour,\n\nThe donation page is very slow today."},
	{name: "disclaimer", subject: "Gift Aid", body: "Hello,\n\nHow do we claim Gift Aid on donations made through the form?\n\nRegards\nPeter\n\nThis email and any attachments are confidential and intended solely for the use of the individual to whom they are addressed."},
	{name: "caution banner", subject: "Receipts", body: "CAUTION: This email originated from outside of the organization. Do not click links or open attachments.\n\nOur receipts show the wrong date for donations made after midnight."},
	{name: "quoted history only", subject: "Re: Your ticket", body: "> Is there anything else we can help with?\n> Thanks"},
	{name: "interleaved", subject: "Re: Settings", body: "On Mon, 4 Mar 2024, Support wrote:\n> Which version are you using?\n\nVersion 3.2.\n\n> Does the error persist?\n\nYes, the settings page still shows an error when I save."},
	{name: "angry no profanity", subject: "RIDICULOUS", body: "This is RIDICULOUS. I have emailed you THREE times and my refund STILL hasn't arrived!!!"},
	{name: "noun profanity", subject: "Donation form", body: "This shit doesn't work."},
	{name: "statement context then problem", subject: "Migration", body: "We moved our site to a new host last week. Since the move, donors get a 502 error when they submit the form."},
	{name: "non-english sentence inside english mail", subject: "Translation", body: "Our German donors see \"Spende fehlgeschlagen\" on the form. Can you translate the error messages?"},
}

func TestDraft(t *testing.T) {
	for _, c := range draftCases {
		r := Explain(c.subject, c.body)
		t.Logf("%-32s [%s] %q", c.name, r.Kind, r.Restatement)
	}
}
