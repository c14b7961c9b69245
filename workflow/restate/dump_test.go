package restate

import (
	"os"
	"path/filepath"
	"sort"
	"supportd/internal/testcorpus"
	"testing"
)

func TestDump(t *testing.T) {
	dir := os.Getenv("DUMPDIR")
	if dir == "" {
		t.Skip()
	}
	root := testcorpus.Dir(t)
	files, _ := filepath.Glob(filepath.Join(root, dir))
	sort.Strings(files)
	for _, p := range files {
		raw, _ := os.ReadFile(p)
		s, b := extract(raw)
		r := Explain(s, b)
		t.Logf("%s | %q\n   src=%q\n   => [%s] %q", filepath.Base(p), s, r.Source, r.Kind, r.Restatement)
	}
}
