package web_test

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// TestStaticJSParses checks the embedded scripts for syntax errors with
// node, when it is installed (a syntax error silently blanks a page).
func TestStaticJSParses(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found: JavaScript syntax check skipped")
	}
	files, _ := filepath.Glob("static/*.js")
	if len(files) < 4 {
		t.Fatalf("expected the page scripts, found %v", files)
	}
	for _, f := range files {
		if out, err := exec.Command(node, "--check", f).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", f, err, out)
		}
	}
}
