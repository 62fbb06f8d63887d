package embedded

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// TestHanBigramsMatchNormalize: the feedback pass's title bigrams, folded
// rune by rune, are those of the normalised title's words (the way they
// were taken before), on titles mixing Han (also traditional and rare),
// full-width and ASCII letters, digits, punctuation, spaces and invalid
// UTF-8.
func TestHanBigramsMatchNormalize(t *testing.T) {
	pieces := []string{"社", "保", "卡", "補", "辦", "戶", "籍", "㐀", "龥", "ｓ", "Ａ", "１", "a", "Z", "9",
		" ", "\u3000", "，", "。", "、", "-", ".", "(", "）", "\t", "\xff", "é", "ж", "🙂", "·"}
	r := rand.New(rand.NewPCG(3, 5))
	for round := range 20000 {
		var b strings.Builder
		for range r.IntN(24) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		title := b.String()
		var want, got []string
		for _, part := range strings.Fields(analysis.Normalize(title)) {
			prev := rune(-1)
			for _, c := range part {
				p := prev
				prev = c
				if p >= 0 && isHanRune(p) && isHanRune(c) {
					want = append(want, string([]rune{p, c}))
				}
			}
		}
		for p, c := range hanBigrams(title) {
			got = append(got, string([]rune{p, c}))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("round %d, title %q: %q, want %q", round, title, got, want)
		}
	}
}
