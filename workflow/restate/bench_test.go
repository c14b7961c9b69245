package restate

import "testing"

// benchBody is a realistic first message of about 1.5 KB: greeting,
// context, the problem, a question, a signature, a disclaimer and a
// quoted earlier exchange.
const benchSubject = "Re: [#4521] Recurring donations failing after plugin update"

const benchBody = `Hi team,

I hope you're all doing well. I'm the volunteer treasurer for the Ærøskøbing
Animal Shelter and we have been using your donation plugin on our WordPress
site for about two years now, mostly without any trouble.

Since we updated to version 3.2 last Tuesday, our monthly donors are being
charged once and then the second payment fails with "Card declined" even
though the cards are fine. Stripe shows the first charge but nothing after.
We have about 140 monthly donors so this is quite worrying for us.

Is there a way to retry the failed payments without asking every donor to
sign up again? I'd also like to know whether we should roll back to 3.1.

I've attached a screenshot of the error (see attached). You can reach me on
+45 62 52 11 22 if a call is easier.

Many thanks in advance for your help!

Best regards,
Zoë Møller
Treasurer, Ærøskøbing Animal Shelter
www.example.org

This email and any attachments are confidential and intended solely for the
use of the individual to whom they are addressed.

On Mon, 4 Mar 2024 at 10:02, Support <help@example.org> wrote:
> Thanks for getting in touch! Could you tell us which version you use?
> Best,
> Support
`

// BenchmarkRestate measures one restatement of a realistic 1.5 KB message.
func BenchmarkRestate(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		_ = Restate(benchSubject, benchBody)
	}
}
