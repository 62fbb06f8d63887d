package topics

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// Term weights inside a ticket vector: dictionary words carry the matter
// (停水, 燃气), bigrams carry names the dictionary does not know (a shop, a
// compound) and soften segmentation differences between phrasings.
const (
	wordWeight   = 1.0
	bigramWeight = 0.5
)

// featurizer turns text into sparse TF-IDF vectors. Document frequencies are
// learned from the stream itself (part of the engine snapshot).
type featurizer struct {
	an *analysis.Analyzer
}

// rawTerms returns term → raw frequency. Words are folded to the
// lexicographically smallest member of their synonym group, so different
// wordings of one matter share a dimension.
func (f featurizer) rawTerms(text string) map[string]float64 {
	if len(text) > MaxTextBytes {
		text = text[:MaxTextBytes]
		for !utf8.ValidString(text) {
			text = text[:len(text)-1]
		}
	}
	content := f.an.Content(text)
	out := make(map[string]float64, 64)
	for _, w := range f.an.Segment(content) {
		if utf8.RuneCountInString(w) < 2 || isDigits(w) {
			continue
		}
		out["w:"+f.canonical(w)] += wordWeight
	}
	for _, field := range strings.Fields(content) {
		var prev rune
		for _, r := range field {
			if !unicode.Is(unicode.Han, r) {
				prev = 0
				continue
			}
			if prev != 0 {
				out["b:"+string([]rune{prev, r})] += bigramWeight
			}
			prev = r
		}
	}
	return out
}

// canonical picks one member of w's synonym group deterministically,
// preferring Han words (they read better as topic keywords than gjj).
func (f featurizer) canonical(w string) string {
	best := w
	for _, s := range f.an.Synonyms(w) {
		if hasHan(s) != hasHan(best) {
			if hasHan(s) {
				best = s
			}
			continue
		}
		if s < best {
			best = s
		}
	}
	return best
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func isDigits(s string) bool {
	for _, r := range s {
		if !unicode.IsDigit(r) && r != '.' {
			return false
		}
	}
	return true
}

// vector weighs raw terms by sublinear tf × idf and L2-normalises them.
func vectorOf(raw map[string]float64, df map[string]float64, docs float64) map[string]float64 {
	v := make(map[string]float64, len(raw))
	var norm float64
	for t, tf := range raw {
		idf := math.Log((docs+1)/(df[t]+1)) + 1
		w := (1 + math.Log(1+tf)) * idf
		v[t] = w
		norm += w * w
	}
	if norm == 0 {
		return v
	}
	norm = math.Sqrt(norm)
	for t := range v {
		v[t] /= norm
	}
	return v
}

// bigramSet returns the Han bigrams of an address, for a Jaccard overlap
// that tolerates 滨江花园 vs 滨江花园小区3栋.
func bigramSet(s string) map[string]struct{} {
	out := map[string]struct{}{}
	var prev rune
	for _, r := range analysis.Normalize(s) {
		if r == ' ' {
			prev = 0
			continue
		}
		if prev != 0 {
			out[string([]rune{prev, r})] = struct{}{}
		}
		prev = r
	}
	return out
}

func jaccard(a, b map[string]struct{}) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	inter := 0
	for k := range a {
		if _, ok := b[k]; ok {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}
