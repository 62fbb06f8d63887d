package analysis

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzQueryTerms feeds arbitrary caller input through the analysis a
// search request runs: it must not panic, and every term must be valid
// UTF-8 with a positive weight.
func FuzzQueryTerms(f *testing.F) {
	for _, s := range []string{"社保卡怎么补办", "shebaoka", "sbk", "ＡＢＣ　戶籍", "x-ray 辐射", "", "..--", "\xff\xfe", "咋咋咋咋"} {
		f.Add(s)
	}
	a := Shared()
	f.Fuzz(func(t *testing.T, s string) {
		for _, term := range a.QueryTerms(s) {
			if !utf8.ValidString(term.Text) || term.Text == "" {
				t.Fatalf("bad term %q from %q", term.Text, s)
			}
			if term.Weight <= 0 {
				t.Fatalf("term %q weight %v", term.Text, term.Weight)
			}
		}
		for _, w := range a.Segment(s) {
			if strings.TrimSpace(w) == "" {
				t.Fatalf("empty segment from %q", s)
			}
		}
		_ = a.IndexTerms(FieldTitle, s)
		_ = a.Content(s)
	})
}
