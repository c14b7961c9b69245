package mail

import (
	"strings"
	"testing"
	"time"
)

const replyOld = "Have you tried turning it off and on again?\n"

func TestExtractReplyClients(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		// Gmail, one line and wrapped (Gmail wraps inside the address or
		// before "wrote:").
		{"gmail", "Thanks, that fixed it.\n\nOn Mon, Jan 5, 2026 at 10:00 AM Jane Doe <jane@example.com> wrote:\n\n> " + replyOld,
			"Thanks, that fixed it."},
		{"gmail wrapped in address", "Thanks, that fixed it.\n\nOn Mon, Jan 5, 2026 at 10:00 AM Jane Doe <\njane@example.com> wrote:\n\n> " + replyOld,
			"Thanks, that fixed it."},
		{"gmail wrapped before wrote", "Thanks, that fixed it.\n\nOn Mon, Jan 5, 2026 at 10:00 AM Jane Doe <jane@example.com>\nwrote:\n\n> " + replyOld,
			"Thanks, that fixed it."},
		{"header over three lines", "Thanks.\n\nOn Jan 5, 2026,\nat 10:00,\nJane Doe <jane@example.com> wrote:\n\n> " + replyOld,
			"Thanks."},
		{"header without blank line above", "Thanks.\nOn Mon, Jan 5, 2026 at 10:00 AM Jane Doe <jane@example.com> wrote:\n> " + replyOld,
			"Thanks."},
		{"android gmail", "Sure\n\nOn Mon, Jan 5, 2026, 10:00 Jane Doe <jane@example.com> wrote:\n\n> " + replyOld,
			"Sure"},

		// Outlook desktop, with and without the "Original Message" rule.
		{"outlook original message", "Done, thank you.\n\n-----Original Message-----\nFrom: Jane Doe [mailto:jane@example.com]\nSent: Monday, January 5, 2026 10:00 AM\nTo: Support\nSubject: Printer\n\n" + replyOld,
			"Done, thank you."},
		{"outlook header block", "Done, thank you.\n\nFrom: Jane Doe <jane@example.com>\nSent: Monday, January 5, 2026 10:00 AM\nTo: Support <support@example.com>\nSubject: RE: Printer\n\n" + replyOld,
			"Done, thank you."},
		{"outlook bold header block", "Done.\n\n*From:* Jane Doe [mailto:jane@example.com]\n*Sent:* Monday, January 5, 2026 10:00 AM\n*To:* support@example.com\n*Subject:* Printer\n\n" + replyOld,
			"Done."},
		{"outlook wrapped from", "Done.\n\nFrom: Human Resources\n<a-really-long-automated-address@example.com>\nSent: Monday, January 5, 2026 10:00 AM\nTo: Jane\nSubject: Hello\n\n" + replyOld,
			"Done."},
		{"hotmail fields before from", "Done.\n\nDate: Mon, 5 Jan 2026 10:00:00 +0100\nSubject: Printer\nFrom: jane@example.com\nTo: support@example.com\n\n" + replyOld,
			"Done."},
		{"outlook web rule", "Done.\n\n________________________________\nFrom: Jane Doe <jane@example.com>\nSent: Monday, January 5, 2026 10:00:00 AM\nTo: Support\nSubject: Printer\n\n" + replyOld,
			"Done."},
		{"outlook ios", "Done.\n\nGet Outlook for iOS<https://aka.ms/o0ukef>\n________________________________\nFrom: Jane Doe <jane@example.com>\nSent: Monday, January 5, 2026 10:00:00 AM\nTo: Support\nSubject: Printer\n\n" + replyOld,
			"Done."},
		{"outlook french", "C'est réglé.\n\nDe : Jane Doe <jane@example.com>\nEnvoyé : lundi 5 janvier 2026 10:00\nÀ : Support\nObjet : Imprimante\n\n" + replyOld,
			"C'est réglé."},
		{"outlook french no-break spaces", "C'est réglé.\n\nDe\u00a0: Jane Doe <jane@example.com>\nEnvoyé le\u00a0: lundi 5 janvier 2026 10:00\nÀ\u00a0: Support\nObjet\u00a0: Imprimante\n\n" + replyOld,
			"C'est réglé."},
		{"outlook german", "Erledigt.\n\n-----Ursprüngliche Nachricht-----\nVon: Jane Doe <jane@example.com>\nGesendet: Montag, 5. Januar 2026 10:00\nAn: Support\nBetreff: Drucker\n\n" + replyOld,
			"Erledigt."},
		{"outlook dutch", "Opgelost.\n\nVan: Jane Doe [mailto:jane@example.com]\nVerzonden: maandag 5 januari 2026 10:00\nAan: Support\nOnderwerp: Printer\n\n" + replyOld,
			"Opgelost."},
		{"outlook italian", "Risolto.\n\nDa: Jane Doe <jane@example.com>\nInviato: lunedì 5 gennaio 2026 10:00\nA: Support\nOggetto: Stampante\n\n" + replyOld,
			"Risolto."},
		{"outlook danish rule", "Løst.\n\n-------- Oprindelig besked --------\nFra: Jane Doe <jane@example.com>\nDato: 05.01.2026 10.00 (GMT+01:00)\nTil: support@example.com\nEmne: Printer\n\n" + replyOld,
			"Løst."},
		{"yahoo original message", "Hello\n\n\n----- Original Message -----\nFrom: \"jane@example.com\" <jane@example.com>\nTo: support@example.com\nCc: \nSent: Monday, January 5, 2026 10:00 AM\nSubject: Test\n\n" + replyOld,
			"Hello"},

		// Apple Mail, quoted and unquoted header; Thunderbird.
		{"apple mail", "Works now.\n\nOn 5 Jan 2026, at 10:00, Jane Doe <jane@example.com> wrote:\n\n> " + replyOld,
			"Works now."},
		{"apple mail quoted header", "Works now.\n> On 5 Jan 2026, at 10:00, Jane Doe <jane@example.com> wrote:\n>\n> " + replyOld,
			"Works now."},
		{"thunderbird", "Works now.\n\nOn 1/5/26 10:00 AM, Jane wrote:\n> " + replyOld,
			"Works now."},
		{"thunderbird bottom post", "On 1/5/26 10:00 AM, Jane wrote:\n> " + replyOld + "Yes, and it works now.",
			"Yes, and it works now."},

		// Other languages' Gmail, Apple Mail and Thunderbird headers.
		{"french gmail", "Merci !\n\nLe lun. 5 janv. 2026 à 10:00, Jane Doe <jane@example.com> a écrit :\n\n> " + replyOld,
			"Merci !"},
		{"french gmail no-break space", "Merci !\n\nLe lun. 5 janv. 2026 à 10:00, Jane Doe <jane@example.com> a\u00a0écrit\u00a0:\n\n> " + replyOld,
			"Merci !"},
		{"french wrapped", "Merci !\n\nLe lun. 5 janv. 2026 à 10:00, Jane Doe <jane@example.com>\na écrit :\n\n> " + replyOld,
			"Merci !"},
		{"german thunderbird", "Danke!\n\nAm 05.01.2026 um 10:00 schrieb Jane:\n> " + replyOld,
			"Danke!"},
		{"german gmail", "Danke!\n\nAm Mo., 5. Jan. 2026 um 10:00 Uhr schrieb Jane Doe <jane@example.com>:\n\n> " + replyOld,
			"Danke!"},
		{"spanish gmail", "Gracias.\n\nEl lun, 5 ene 2026 a las 10:00, Jane Doe (<jane@example.com>) escribió:\n\n> " + replyOld,
			"Gracias."},
		{"italian gmail", "Grazie.\n\nIl giorno lun 5 gen 2026 alle ore 10:00 Jane Doe <jane@example.com> ha scritto:\n\n> " + replyOld,
			"Grazie."},
		{"portuguese gmail", "Obrigado.\n\nEm seg., 5 de jan. de 2026 às 10:00, Jane Doe <jane@example.com> escreveu:\n\n> " + replyOld,
			"Obrigado."},
		{"dutch gmail", "Bedankt.\n\nOp ma 5 jan 2026 om 10:00 schreef Jane Doe <jane@example.com>:\n\n> " + replyOld,
			"Bedankt."},
		{"swedish gmail", "Tack.\n\nDen mån 5 jan. 2026 kl 10:00 skrev Jane Doe <jane@example.com>:\n\n> " + replyOld,
			"Tack."},
		{"norwegian gmail", "Takk.\n\nman. 5. jan. 2026 kl. 10:00 skrev Jane Doe <jane@example.com>:\n\n> " + replyOld,
			"Takk."},
		{"danish apple mail", "Tak.\n\nDen 5. jan. 2026 kl. 10.00 skrev Jane Doe <jane@example.com>:\n\n> " + replyOld,
			"Tak."},
		{"polish gmail", "Dzięki.\n\npon., 5 sty 2026 o 10:00 Jane Doe <jane@example.com> napisał(a):\n\n> " + replyOld,
			"Dzięki."},
		{"czech gmail", "Díky.\n\npo 5. 1. 2026 v 10:00 odesílatel Jane Doe <jane@example.com> napsal:\n\n> " + replyOld,
			"Díky."},
		{"russian gmail", "Спасибо.\n\nпн, 5 янв. 2026 г. в 10:00, Jane Doe <jane@example.com>:\n\n> " + replyOld,
			"Спасибо."},
		{"russian verb", "Спасибо.\n\n5 января 2026 г., в 10:00, Jane Doe <jane@example.com> написал:\n\n> " + replyOld,
			"Спасибо."},
		{"japanese gmail", "ありがとうございます。\n\n2026年1月5日(月) 10:00 Jane Doe <jane@example.com>:\n\n> " + replyOld,
			"ありがとうございます。"},
		{"chinese gmail", "谢谢。\n\nJane Doe <jane@example.com> 于2026年1月5日周一 10:00写道：\n\n> " + replyOld,
			"谢谢。"},
		{"korean gmail", "감사합니다.\n\n2026년 1월 5일 (월) 오전 10:00, Jane Doe <jane@example.com>님이 작성:\n\n> " + replyOld,
			"감사합니다."},
		{"zoho", "Fine.\n\n---- On Mon, 05 Jan 2026 10:00:00 +0000 jane@example.com wrote ----\n\n" + replyOld,
			"Fine."},
		{"unquoted history under header", "This is my reply.\n\nOn Jan 5, 2026 you wrote:\n\n" + replyOld,
			"This is my reply."},
		{"name only over quotes", "Agreed.\n\nJane Doe wrote:\n> " + replyOld,
			"Agreed."},
		{"writes", "Agreed.\n\njane@example.com (Jane Doe) writes:\n> " + replyOld,
			"Agreed."},
		{"aol", "Agreed.\n\nIn a message dated 1/5/2026 10:00:00 AM, jane@example.com writes:\n\n" + replyOld,
			"Agreed."},
		{"mutt", "Agreed.\n\nJane Doe <jane@example.com> [2026-01-05 10:00:00 +0100]:\n> " + replyOld,
			"Agreed."},
		{"outlook express indented quote", "Agreed.\n\n----- Original Message -----\nFrom: Jane\nTo: Support\nSent: Monday, January 05, 2026 10:00 AM\nSubject: Printer\n\n > " + replyOld,
			"Agreed."},
		{"forward", "FYI, see below.\n\n---------- Forwarded message ---------\nFrom: Jane Doe <jane@example.com>\nDate: Mon, Jan 5, 2026 at 10:00 AM\nSubject: Printer\nTo: <support@example.com>\n\n" + replyOld,
			"FYI, see below."},
		{"apple forward", "FYI\n\nBegin forwarded message:\n\nFrom: Jane Doe <jane@example.com>\nSubject: Printer\nDate: 5 January 2026 at 10:00:00 GMT\nTo: support@example.com\n\n" + replyOld,
			"FYI"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply, rest := SplitReply(tt.body)
			if reply != tt.want {
				t.Errorf("reply:\n got %q\nwant %q", reply, tt.want)
			}
			if !strings.Contains(rest, strings.TrimSpace(replyOld)) {
				t.Errorf("rest lost the history: %q", rest)
			}
		})
	}
}

func TestExtractReplySignatures(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"iphone", "Here is another email\n\nSent from my iPhone", "Here is another email"},
		{"iphone no blank line", "Here is another email\nSent from my iPhone", "Here is another email"},
		{"blackberry device", "Here is another email\n\nSent from my Verizon Wireless BlackBerry", "Here is another email"},
		{"android", "Here is another email\n\nSent from my Galaxy", "Here is another email"},
		{"french iphone", "Voici\n\nEnvoyé de mon iPhone", "Voici"},
		{"german iphone", "Hier\n\nVon meinem iPhone gesendet", "Hier"},
		{"german outlook android", "Hier\n\nGesendet von Outlook für Android<https://aka.ms/AAb9ysg>", "Hier"},
		{"spanish iphone", "Aquí\n\nEnviado desde mi iPhone", "Aquí"},
		{"italian iphone", "Ecco\n\nInviato da iPhone", "Ecco"},
		{"dutch iphone", "Hier\n\nVerzonden vanaf mijn iPhone", "Hier"},
		{"swedish iphone", "Här\n\nSkickat från min iPhone", "Här"},
		{"norwegian iphone", "Her\n\nSendt fra min iPhone", "Her"},
		{"japanese iphone", "こちらです\n\niPhoneから送信", "こちらです"},
		{"outlook ios", "Here\n\nGet Outlook for iOS<https://aka.ms/o0ukef>", "Here"},
		{"mail for windows", "Here\n\nSent from Mail for Windows", "Here"},
		{"app with link", "Here\n\nSent from TypeApp<http://www.typeapp.com/r?b=2621>", "Here"},
		{"footer above unquoted history", "Here\n\nSent from my iPhone\n\n" + replyOld, "Here"},
		{"dash signature", "Body text.\n\n-- \nJane Doe\nACME Corp", "Body text."},
		{"dash signature no space", "Body text.\n--\nJane Doe", "Body text."},
		{"signature and footer", "Thanks for your help!\n\n--\nJane Doe\nSenior Developer\n\nSent from my iPhone", "Thanks for your help!"},
		{"regards block", "Hi,\n\nI still have the problem.\n\nRegards,\n\nJohn Doe\nCEO @ Acme !", "Hi,\n\nI still have the problem."},
		{"german closing", "Hallo,\n\ndas Problem besteht weiter.\n\nMit freundlichen Grüßen\nHans Müller", "Hallo,\n\ndas Problem besteht weiter."},
		{"french closing", "Bonjour,\n\nle problème persiste.\n\nCordialement,\nJean Dupont", "Bonjour,\n\nle problème persiste."},

		// What must stay.
		{"sent from in a sentence", "Here is another email\n\nSent from my desk, is much easier then my mobile phone.",
			"Here is another email\n\nSent from my desk, is much easier then my mobile phone."},
		{"sent via a form", "How did you send it?\n\nSent via the web form", "How did you send it?\n\nSent via the web form"},
		{"dashes mid line", "And here is a fix -- this is not a signature.\n\nkthxbai", "And here is a fix -- this is not a signature.\n\nkthxbai"},
		{"dash list", "Points:\n-- first point\n-- second point", "Points:\n-- first point\n-- second point"},
		{"em dash is not a delimiter", "🎉\n\n—\nJohn Doe\nCEO at Pandaland", "🎉\n\n—\nJohn Doe\nCEO at Pandaland"},
		{"thanks closing kept", "It works.\n\nThanks,\nJane", "It works.\n\nThanks,\nJane"},
		{"sincerely kept", "Your domain expires soon.\n\nSincerely,\nDomain Manager", "Your domain expires soon.\n\nSincerely,\nDomain Manager"},
		{"regards in a sentence", "With regards to the invoice, it is paid.", "With regards to the invoice, it is paid."},
		{"closing alone kept", "Regards,\nJane", "Regards,\nJane"},
		{"closing with postscript", "It works.\n\nRegards,\nJane\n\nP.S. The order number is 1234.", "It works.\n\nRegards,\nJane\n\nP.S. The order number is 1234."},
		{"long text after rule", "Intro\n--\n" + strings.Repeat("line of real content\n", 40), "Intro\n--\n" + strings.TrimSuffix(strings.Repeat("line of real content\n", 40), "\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExtractReply(tt.body); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestExtractReplyStructure(t *testing.T) {
	tests := []struct {
		name, body, want, rest string
	}{
		{"empty", "", "", ""},
		{"blank", " \n\n\t\n", "", ""},
		{"no quote stays intact",
			"On the surface this looks like a header.\n\nOn the other hand, it is not.\nThe article https://example.com/someone-wrote-about-it says \"wrote:\".\nThe data comes From: our database.\n2024-01-15 14:30:25\n",
			"On the surface this looks like a header.\n\nOn the other hand, it is not.\nThe article https://example.com/someone-wrote-about-it says \"wrote:\".\nThe data comes From: our database.\n2024-01-15 14:30:25",
			""},
		{"prose ending in wrote", "I agree with what you wrote:\n\nit is broken.", "I agree with what you wrote:\n\nit is broken.", ""},
		{"question ending in wrote", "On reflection, am I the only one who wrote:\n\nthe export is slow?", "On reflection, am I the only one who wrote:\n\nthe export is slow?", ""},
		{"pasted header fields stay above a footer", "Date: tomorrow at noon\n\nSent from my iPhone", "Date: tomorrow at noon", "Sent from my iPhone"},
		{"only a quote", "> " + replyOld, "", "> " + strings.TrimSpace(replyOld)},
		{"crlf", "Yes.\r\n\r\nOn Mon, Jan 5, 2026 at 10:00 AM Jane <jane@example.com> wrote:\r\n> old\r\n",
			"Yes.", "On Mon, Jan 5, 2026 at 10:00 AM Jane <jane@example.com> wrote:\n> old"},
		{"interleaved answers",
			"On Mon, Jan 5, 2026 at 10:00 AM Jane <jane@example.com> wrote:\n> What about option A?\n\nA is great.\n\n> And option B?\n\nB has drawbacks.\n\n> Option C?\n\nC does not fit.\n",
			"A is great.\n\nB has drawbacks.\n\nC does not fit.",
			"On Mon, Jan 5, 2026 at 10:00 AM Jane <jane@example.com> wrote:\n> What about option A?\n\n> And option B?\n\n> Option C?"},
		{"answer directly under a short quote", "> Can you check the logs?\nsure, here they are: all green.",
			"sure, here they are: all green.", "> Can you check the logs?"},
		{"re-wrapped quote is history",
			"Fine.\n\nOn Mon, Jan 5, 2026 at 10:00 AM Jane <jane@example.com> wrote:\n> Lorem ipsum dolor sit amet, consectetur adipiscing elit. Nullam pharetra d\nignissim odio?\n>\n",
			"Fine.", "On Mon, Jan 5, 2026 at 10:00 AM Jane <jane@example.com> wrote:\n> Lorem ipsum dolor sit amet, consectetur adipiscing elit. Nullam pharetra d\nignissim odio?\n>"},
		{"centred angle brackets are not a quote", "Read this:\n\n                        >> HARD NEWS <<\n\nThe end.",
			"Read this:\n\n                        >> HARD NEWS <<\n\nThe end.", ""},
		{"bottom post under a header", "On Mon, Jan 5, 2026, Jane Doe wrote:\n--]Is it fixed?\n--]\n\nYes, since Friday.\n",
			"Yes, since Friday.", "On Mon, Jan 5, 2026, Jane Doe wrote:\n--]Is it fixed?\n--]"},
		{"bottom post with bar quotes", "On 5 Jan 2026 10:00, Jane <jane@example.com> wrote:\n| Is it fixed?\n\nYes.",
			"Yes.", "On 5 Jan 2026 10:00, Jane <jane@example.com> wrote:\n| Is it fixed?"},
		{"bottom post under original message", "-----Original Message-----\nFrom: Jane\nSent: Monday, January 5, 2026 10:00 AM\nTo: Support\nSubject: Printer\n\n> Is it fixed?\n\nYes.",
			"Yes.", "-----Original Message-----\nFrom: Jane\nSent: Monday, January 5, 2026 10:00 AM\nTo: Support\nSubject: Printer\n\n> Is it fixed?"},
		{"forward without comment", "---------- Forwarded message ---------\nFrom: Shop <shop@example.com>\nDate: Mon, Jan 5, 2026 at 10:00 AM\nSubject: Your order\nTo: <jane@example.com>\n\nYour order 1234 has shipped.\n",
			"Your order 1234 has shipped.", "---------- Forwarded message ---------\nFrom: Shop <shop@example.com>\nDate: Mon, Jan 5, 2026 at 10:00 AM\nSubject: Your order\nTo: <jane@example.com>"},
		{"signature under interleaved quote", "> question\n\nanswer\n\n--\nJane", "answer", "> question\n\n--\nJane"},
		{"mailing list footer", "Hi folks\n\nA question.\n\n__\nriak-users mailing list\nriak-users@lists.example.com",
			"Hi folks\n\nA question.", "__\nriak-users mailing list\nriak-users@lists.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply, rest := SplitReply(tt.body)
			if reply != tt.want {
				t.Errorf("reply:\n got %q\nwant %q", reply, tt.want)
			}
			if rest != tt.rest {
				t.Errorf("rest:\n got %q\nwant %q", rest, tt.rest)
			}
		})
	}
}

// TestExtractReplyLongBody: past the analysed prefix, text joins the part
// the prefix ended in.
func TestExtractReplyLongBody(t *testing.T) {
	quote := strings.Repeat("> an old line of the thread\n", (replyScanLimit/28)*2)
	reply, rest := SplitReply("New text.\n\nOn Mon, Jan 5, 2026 at 10:00 AM Jane <jane@example.com> wrote:\n" + quote)
	if reply != "New text." {
		t.Errorf("reply = %.80q", reply)
	}
	if want := strings.Count(quote, "\n"); strings.Count(rest, "> an old line") != want {
		t.Errorf("rest has %d quoted lines, want %d", strings.Count(rest, "> an old line"), want)
	}
	prose := strings.Repeat("A long pasted log line without any quote marks.\n", replyScanLimit/48*2)
	if got := ExtractReply(prose); got != strings.TrimSpace(prose) {
		t.Errorf("long prose changed: %d bytes in, %d out", len(prose), len(got))
	}
}

// TestExtractReplyConcurrent: the package holds no mutable state, so
// concurrent calls are safe (run with -race).
func TestExtractReplyConcurrent(t *testing.T) {
	body := replyBenchBody()
	want := ExtractReply(body)
	done := make(chan string)
	for range 8 {
		go func() { done <- ExtractReply(body) }()
	}
	for range 8 {
		if got := <-done; got != want {
			t.Errorf("concurrent call got %.80q", got)
		}
	}
}

// TestExtractReplyBounded feeds bodies built to make a line scanner
// quadratic or a regexp slow; each must finish well inside a second.
func TestExtractReplyBounded(t *testing.T) {
	const size = 5 << 20
	fill := func(unit string) string { return strings.Repeat(unit, size/len(unit)+1) }
	bodies := map[string]string{
		"one long line":      fill("a"),
		"short lines":        fill("x\n"),
		"header-like lines":  fill("Note at 10:00 on 05.01.2026 from Jane:\n"),
		"from lines":         fill("From: Jane\nTo: x\n"),
		"dash rules":         fill("--\nline\n"),
		"quotes and answers": fill("> q\n\nanswer\n\n"),
		"underscores":        fill("____\ntext\n"),
		"angle brackets":     fill("<" + strings.Repeat("a@b ", 100) + ">:\n"),
		"reply then quote":   "Hi\n\nOn Mon, Jan 5, 2026 at 10:00 AM Jane <jane@example.com> wrote:\n" + fill("> quoted line of text\n"),
	}
	for name, body := range bodies {
		// The best of three runs, so that a busy machine does not fail
		// the test; a super-linear path would be slow every time.
		var reply, rest string
		best := time.Hour
		for try := 0; try < 3 && best > time.Second; try++ {
			start := time.Now()
			reply, rest = SplitReply(body)
			best = min(best, time.Since(start))
		}
		if best > time.Second {
			t.Errorf("%s: %v for %d bytes", name, best, len(body))
		}
		// Nothing substantial may vanish: the text is in one part or the
		// other, less the blank lines the parts drop.
		if got := len(reply) + len(rest); got < len(strings.TrimSpace(body))/4 {
			t.Errorf("%s: reply+rest is %d bytes of %d", name, got, len(body))
		}
	}
	if reply := ExtractReply(bodies["reply then quote"]); reply != "Hi" {
		t.Errorf("reply then quote: got %.80q", reply)
	}
}

// FuzzSplitReply checks that any input splits without panicking, that the
// reply is made of the input's own lines in order, and that a reply is
// stable: extracting again from the reply changes nothing it should not.
func FuzzSplitReply(f *testing.F) {
	for _, s := range []string{
		"",
		"Thanks\n\nOn Mon, Jan 5, 2026 at 10:00 AM Jane <j@x.com> wrote:\n> old",
		"a\n> b\nc\n> d\n\n--\nsig",
		"x\n\nFrom: a\nSent: b\nTo: c\nSubject: d\n\nold",
		"Le 5 janv. 2026 à 10:00, Jane <j@x.com>\na écrit :\n> old",
		"tir. 18. apr. 2017 kl. 13:09 skrev Test <t@example.com\n>:\n\n> old",
		"body\n\nSent from my iPhone\r\n",
		"Regards,\n\nJohn",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		reply, rest := SplitReply(s)
		norm := strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
		in := strings.Split(norm, "\n")
		k := 0
		for _, l := range strings.Split(reply, "\n") {
			if strings.TrimSpace(l) == "" {
				continue
			}
			for k < len(in) && strings.TrimRight(in[k], " \t") != l {
				k++
			}
			if k == len(in) {
				t.Fatalf("reply line %q is not an input line in order; input %q", l, s)
			}
			k++
		}
		if strings.TrimSpace(s) != "" && reply == "" && rest == "" {
			t.Fatalf("non-blank input %q vanished", s)
		}
	})
}

// replyBenchBody is a realistic 4 KB support reply: a few paragraphs, a
// signature, a Gmail header and a quoted thread with an Outlook block.
func replyBenchBody() string {
	var b strings.Builder
	b.WriteString("Hi Support team,\n\nThanks for getting back to me so quickly. I tried the steps you suggested:\n\n")
	b.WriteString("1. Cleared the browser cache and cookies\n2. Logged out and back in\n3. Tried a different browser (Firefox 134)\n\n")
	b.WriteString("Unfortunately the export still fails with the same error message (\"Request timed out after 30s\").\n")
	b.WriteString("It happens for reports larger than about 10,000 rows; smaller reports work fine. Our account ID is 48213.\n\n")
	b.WriteString("Could you have a look at the server logs for around 09:45 UTC today? Happy to jump on a call if that helps.\n\n")
	b.WriteString("Best regards,\nJane Doe\nHead of Operations, Example GmbH\n+49 30 1234567\n\n")
	b.WriteString("On Mon, Jan 5, 2026 at 10:00 AM Example Support <support@example.com> wrote:\n\n")
	for b.Len() < 3000 {
		b.WriteString("> Thank you for contacting us. Could you please try clearing your cache and logging in again?\n")
		b.WriteString("> If the problem persists, reply to this message with the exact error text and the time it happened.\n>\n")
	}
	b.WriteString("> -----Original Message-----\n> From: Jane Doe <jane@example.com>\n> Sent: Sunday, January 4, 2026 8:12 PM\n> To: support@example.com\n> Subject: Export fails\n>\n")
	for b.Len() < 4096 {
		b.WriteString("> The CSV export has been failing since Friday for all of our larger reports.\n")
	}
	return b.String()
}

func BenchmarkExtractReply(b *testing.B) {
	body := replyBenchBody()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if ExtractReply(body) == "" {
			b.Fatal("empty reply")
		}
	}
}
