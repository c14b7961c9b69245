// Package testcorpus finds the shared real-world mail corpus for tests.
//
// The corpus lives beside the repository (../shared/corpus) and is never
// copied into it: its files keep their own licences there. On a user's fresh
// clone it is absent, and tests that need it skip with a clear message; under
// CI=true its absence is a failure, so CI can never pass by skipping.
package testcorpus

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the corpus directory, or skips (fails under CI=true) when it
// cannot be found. SUPPORTD_CORPUS overrides the search.
func Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("SUPPORTD_CORPUS"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatalf("testcorpus: %v", err)
	}
	// Walk up from the package directory to the module root's parent.
	for dir := wd; ; {
		cand := filepath.Join(dir, "..", "shared", "corpus")
		if st, err := os.Stat(filepath.Join(cand, "README.md")); err == nil && !st.IsDir() {
			abs, _ := filepath.Abs(cand)
			return abs
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("testcorpus: ../shared/corpus not found from %s; CI must have it", wd)
	}
	t.Skipf("testcorpus: ../shared/corpus not found beside the repository; skipping corpus test (set SUPPORTD_CORPUS to run it)")
	return ""
}

// Path joins elems under the corpus directory.
func Path(t testing.TB, elems ...string) string {
	t.Helper()
	return filepath.Join(append([]string{Dir(t)}, elems...)...)
}
