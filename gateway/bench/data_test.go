package bench

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestGenerateIsDeterministicAndSized(t *testing.T) {
	a, b := Generate(5, 120), Generate(5, 120)
	if len(a.KB) != 120 || string(a.KBLines()) != string(b.KBLines()) {
		t.Fatalf("kb %d entries; same seed gave different data: %v", len(a.KB), string(a.KBLines()) != string(b.KBLines()))
	}
	if string(Generate(6, 120).KBLines()) == string(a.KBLines()) {
		t.Fatal("another seed gave the same data")
	}
}

// Files given at run time replace the generated KB and departments, and
// complaints go only to the loaded departments.
func TestLoadFilesReplacesGeneratedData(t *testing.T) {
	dir := t.TempDir()
	src := Generate(9, 30)
	kb := filepath.Join(dir, "kb.jsonl")
	if err := os.WriteFile(kb, src.KBLines(), 0o600); err != nil {
		t.Fatal(err)
	}
	depts := []Department{{Code: "X1", Name: "甲局"}, {Code: "X2", Name: "乙局"}}
	raw, _ := json.Marshal(depts)
	dp := filepath.Join(dir, "departments.json")
	if err := os.WriteFile(dp, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	d := Generate(1, 500)
	if err := d.LoadFiles(kb, dp); err != nil {
		t.Fatal(err)
	}
	if len(d.KB) != 30 || len(d.Departments) != 2 || d.Departments[0].ConsolidationMode == "" || d.Departments[0].LegacyHotlines == nil {
		t.Fatalf("kb %d departments %+v", len(d.KB), d.Departments)
	}
	g := NewGen(1, 1)
	for range 50 {
		if _, dept, _ := g.Complaint(d); !slices.Contains([]string{"X1", "X2"}, dept) {
			t.Fatalf("complaint for department %q not loaded", dept)
		}
	}
	// KB alone: one department per code it uses.
	d2 := Generate(1, 10)
	if err := d2.LoadFiles(kb, ""); err != nil || len(d2.Departments) != len(topics) {
		t.Fatalf("departments from KB codes: %d, %v", len(d2.Departments), err)
	}
	if err := Generate(1, 10).LoadFiles(filepath.Join(dir, "missing"), ""); err == nil {
		t.Fatal("missing file accepted")
	}
}
