package mail

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScratchDump(t *testing.T) {
	root := "/work/shared/corpus"
	out, _ := os.Create("/tmp/scratch/dump.txt")
	defer out.Close()
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if d.IsDir() || strings.HasSuffix(p, ".json") {
			return nil
		}
		raw, _ := os.ReadFile(p)
		m := Parse(raw)
		c, why := Classify(m, []string{"support@example.com"})
		rel, _ := filepath.Rel(root, p)
		txt := m.Text
		if len(txt) > 150 {
			txt = txt[:150]
		}
		fmt.Fprintf(out, "== %s\n  id=%s syn=%v from=%q subj=%q date=%v\n  class=%s (%s)\n  text=%q html=%v\n  att=%v\n  irt=%v refs=%v\n  problems=%q\n", rel, m.MessageID, m.SynthesizedID, m.From, m.Subject, m.Date, c, why, txt, m.TextFromHTML, m.Attachments, m.InReplyTo, m.References, m.Problems)
		return nil
	})
}

func TestScratchPanic(t *testing.T) {
	for _, f := range []string{"/work/shared/corpus/sisimai-set-of-emails/maildir/bsd/lhost-office365-08.eml", "/work/shared/corpus/sisimai-set-of-emails/maildir/bsd/lhost-office365-09.eml"} {
		raw, _ := os.ReadFile(f)
		p := &parser{m: &Message{}}
		p.parse(raw)
	}
}

func TestScratchShow(t *testing.T) {
	for _, f := range strings.Split(os.Getenv("SHOW"), ",") {
		if f == "" {
			continue
		}
		raw, _ := os.ReadFile("/work/shared/corpus/" + f)
		m := Parse(raw)
		fmt.Printf("=== %s\nsubj=%q from=%v html=%v\n%s\n--- att=%v problems=%q\n", f, m.Subject, m.From, m.TextFromHTML, m.Text, m.Attachments, m.Problems)
	}
}

func TestScratchTextJSON(t *testing.T) {
	files, _ := filepath.Glob("/work/shared/corpus/stalwartlabs-mail-parser/resources/eml/*/*.eml")
	out, _ := os.Create("/tmp/scratch/texts.txt")
	defer out.Close()
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		m := Parse(raw)
		fmt.Fprintf(out, "%s\t%q\t%v\n", f, m.Text, m.TextFromHTML)
	}
}
