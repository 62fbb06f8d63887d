package routing

import (
	"slices"
	"testing"
)

func TestRejoinSeparable(t *testing.T) {
	for _, c := range []struct {
		text string
		want []string
	}{
		{"今年夏天已经停了七八次电，每次都是好几个小时", []string{"停电"}},
		{"驾照被扣了我六分，还罚了两百块", []string{"扣分"}},
		{"请了三天假去医院住了一周院", []string{"请假", "住院"}},
		{"结了婚以后想把户口迁过来", []string{"结婚"}},
		{"已经交了三个月的费还是停了两天水", []string{"交费", "停水"}},
		// Adjacent halves are the word itself, left to the ordinary scan.
		{"小区停电了", nil},
		// Another word between the halves ends the search.
		{"停了一下车再充电", nil},
		{"停了，电话没人接", nil},
		// The gap is bounded.
		{"停了一二三四五六七电", nil},
		{"", nil},
	} {
		if got := rejoinSeparable(c.text); !slices.Equal(got, c.want) {
			t.Errorf("rejoinSeparable(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

// A split separable verb reaches the concept of its whole word, and the
// model's tokens carry the word.
func TestSeparableVerbsMeetTheirConcept(t *testing.T) {
	ix := NewConceptIndex([]Concept{{Name: "停电", Terms: []string{"停电", "没电"}}})
	if got := ix.Match("村里已经停了七八次电"); len(got) != 1 || ix.Name(got[0]) != "停电" {
		t.Fatalf("Match = %v, want the concept 停电", got)
	}
	if got := ix.Match("村里已经停了七八次车"); len(got) != 0 {
		t.Fatalf("Match without a split verb = %v, want none", got)
	}
	tok := withSeparable(func(string) []string { return []string{"x"} })
	if got := tok("停了七八次电"); !slices.Equal(got, []string{"x", "w:停电"}) {
		t.Fatalf("tokens = %q", got)
	}
}
