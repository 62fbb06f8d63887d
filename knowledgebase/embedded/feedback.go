package embedded

import (
	"iter"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// Pseudo-relevance feedback: the questions of the best first-pass
// candidates say in the knowledge base's own words what the caller
// described; their terms, weighted by how strongly those candidates won,
// are added to the query for a second pass.
var (
	prfDocs   = 5     // candidates that vote
	prfTerms  = 12    // expansion terms kept
	prfWeight = 0.15  // weight of the strongest expansion term
	prfBudget = 30000 // postings the second pass may visit
)

func (x *Index) feedback(qt []analysis.Term, top []cand) []analysis.Term {
	have := make(map[string]bool, len(qt))
	for _, t := range qt {
		have[t.Text] = true
	}
	n := min(prfDocs, len(top))
	best := float64(top[0].score)
	if best <= 0 {
		return nil
	}
	// Each distinct bigram's votes, in first-seen order (sorted below by
	// a total order, so the order of insertion does not matter); last is
	// the last voter (index + 1), so a title votes once per bigram.
	type tv struct {
		t    string
		v    float64
		last int
	}
	all := make([]tv, 0, 32)
	idx := make(map[string]int, 32)
	common := x.core.nAlive / 10
	var buf [2 * utf8.UTFMax]byte
	for i := 0; i < n; i++ {
		d := &x.docs[top[i].doc]
		w := float64(top[i].score) / best
		// The title's Han bigrams (the full IndexTerms would also spell
		// out pinyin we do not use here).
		for p, r := range hanBigrams(d.Title) {
			bg := utf8.AppendRune(utf8.AppendRune(buf[:0], p), r)
			if have[string(bg)] {
				continue
			}
			if k, ok := idx[string(bg)]; ok {
				if all[k].last != i+1 {
					all[k].last = i + 1
					all[k].v += w
				}
				continue
			}
			// A bigram in a tenth of the entries (办理, 申请) says
			// nothing about this topic and would cost a long posting list.
			if id, ok := x.core.terms[string(bg)]; ok && len(x.core.post[id]) > common && x.core.nAlive > 1000 {
				continue
			}
			idx[string(bg)] = len(all)
			all = append(all, tv{t: string(bg), v: w, last: i + 1})
		}
	}
	slices.SortFunc(all, func(a, b tv) int {
		switch {
		case a.v > b.v:
			return -1
		case a.v < b.v:
			return 1
		}
		return strings.Compare(a.t, b.t)
	})
	if len(all) > prfTerms {
		all = all[:prfTerms]
	}
	// Bound the second pass's cost: at most prfBudget postings, spent on
	// the strongest expansion terms first.
	budget := prfBudget
	kept := all[:0]
	for _, a := range all {
		if id, ok := x.core.terms[a.t]; ok {
			if n := len(x.core.post[id]); n <= budget {
				budget -= n
				kept = append(kept, a)
			}
		}
	}
	all = kept
	if len(all) == 0 {
		return nil
	}
	out := make([]analysis.Term, 0, len(all))
	for _, a := range all {
		out = append(out, analysis.Term{Text: a.t, Type: analysis.TermSynonym, Weight: float32(prfWeight * a.v / all[0].v)})
	}
	return out
}

// hanBigrams yields the adjacent Han rune pairs of analysis.Normalize(s)
// within its space-separated words, folding rune by rune as Normalize
// does (a folded space separates words) without building the string.
func hanBigrams(s string) iter.Seq2[rune, rune] {
	return func(yield func(p, r rune) bool) {
		prev := rune(-1)
		for _, r := range s {
			if r = analysis.Fold(r); r == ' ' {
				prev = -1
				continue
			}
			p := prev
			prev = r
			if p >= 0 && isHanRune(p) && isHanRune(r) && !yield(p, r) {
				return
			}
		}
	}
}

func isHanRune(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF)
}
