package workflow

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWorkflowSpeaksNoProtocols keeps the package boundary checked, not
// hoped for: workflow decides, mail/ speaks protocols, store/ speaks SQL.
func TestWorkflowSpeaksNoProtocols(t *testing.T) {
	forbidden := []string{"net", "net/http", "net/smtp", "database/sql", "github.com/mattn/go-sqlite3",
		"github.com/emersion/go-imap", "github.com/emersion/go-smtp"}
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			for _, bad := range forbidden {
				if p == bad || strings.HasPrefix(p, bad+"/") {
					t.Errorf("%s imports %s: workflow must not open sockets or speak SQL", path, p)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
