package embedded

import (
	"sort"
	"strings"

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
	votes := map[string]float64{}
	common := x.core.nAlive / 10
	for i := 0; i < n; i++ {
		d := &x.docs[top[i].doc]
		w := float64(top[i].score) / best
		seen := map[string]bool{}
		// The title's Han bigrams, straight from the normalized text (the
		// full IndexTerms would also spell out pinyin we do not use here).
		for _, part := range strings.Fields(analysis.Normalize(d.Title)) {
			rs := []rune(part)
			for k := 0; k+1 < len(rs); k++ {
				if !isHanRune(rs[k]) || !isHanRune(rs[k+1]) {
					continue
				}
				bg := string(rs[k : k+2])
				if have[bg] || seen[bg] {
					continue
				}
				seen[bg] = true
				// A bigram in a tenth of the entries (办理, 申请) says
				// nothing about this topic and would cost a long posting list.
				if id, ok := x.core.terms[bg]; ok && len(x.core.post[id]) > common && x.core.nAlive > 1000 {
					continue
				}
				votes[bg] += w
			}
		}
	}
	type tv struct {
		t string
		v float64
	}
	var all []tv
	for t, v := range votes {
		all = append(all, tv{t, v})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].v != all[j].v {
			return all[i].v > all[j].v
		}
		return all[i].t < all[j].t
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

func isHanRune(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF)
}
