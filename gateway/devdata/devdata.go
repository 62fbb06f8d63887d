// Package devdata locates the development city's data — ../shared/data
// beside the repository root (departments, KB, queries, tickets) — for tests,
// benchmarks and evaluations. It only finds the files; they are read where
// they lie and never copied into the project. When they are absent (another
// checkout, a CI without them) the caller's test is skipped, not failed.
package devdata

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the data directory, skipping t unless every named file is
// in it.
func Dir(t testing.TB, names ...string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("repository root (go.mod) not found above the test directory")
		}
		dir = parent
	}
	data := filepath.Join(dir, "..", "shared", "data")
	for _, name := range names {
		if _, err := os.Stat(filepath.Join(data, name)); err != nil {
			t.Skipf("development data %s absent: %v", name, err)
		}
	}
	return data
}

// File returns the path of one data file, skipping t when it is absent.
func File(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(Dir(t, name), name)
}
