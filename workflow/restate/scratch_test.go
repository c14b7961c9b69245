package restate

import (
	"os"
	"strings"
	"testing"
)

func TestScratch(t *testing.T) {
	data, err := os.ReadFile("/tmp/rs/in.txt")
	if err != nil {
		t.Skip()
	}
	for _, blk := range strings.Split(string(data), "\n===\n") {
		subj, body, _ := strings.Cut(blk, "\n")
		body = strings.ReplaceAll(body, `\n`, "\n")
		r := Explain(subj, body)
		t.Logf("\nS: %q\nB: %q\n=> [%s] %q\n   src=%q", subj, body, r.Kind, r.Restatement, r.Source)
	}
}
