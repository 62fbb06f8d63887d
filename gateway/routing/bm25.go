package routing

import (
	"context"
	"math"
	"slices"
	"strings"
)

// BM25 is a small in-memory BM25 index over KB entries. The evaluation uses
// it when no knowledge-base index is wired in, and tests use it as a real
// KBSearch; production wires the knowledge base's own index instead.
type BM25 struct {
	entries []KBEntry
	post    map[string][]bmPosting
	lens    []float64
	avg     float64
}

type bmPosting struct {
	doc int32
	tf  float32
}

// NewBM25 indexes entries (question twice, keywords twice, then the answer).
func NewBM25(entries []KBEntry) *BM25 {
	ix := &BM25{entries: entries, post: map[string][]bmPosting{}}
	var total float64
	for _, e := range entries {
		toks := CharNGrams(e.Question + " " + e.Question + " " + strings.Join(e.Keywords, " ") + " " + strings.Join(e.Keywords, " ") + " " + e.Answer)
		tf := map[string]float64{}
		for _, t := range toks {
			tf[t]++
		}
		for t, f := range tf {
			ix.post[t] = append(ix.post[t], bmPosting{int32(len(ix.lens)), float32(f)})
		}
		ix.lens = append(ix.lens, float64(len(toks)))
		total += float64(len(toks))
	}
	if len(entries) > 0 {
		ix.avg = total / float64(len(entries))
	}
	return ix
}

// Search implements KBSearch.
func (ix *BM25) Search(ctx context.Context, text string, limit int) ([]KBHit, error) {
	return ix.search(text, limit, nil)
}

// search scores with an optional per-token weight (nil = 1), so the
// department vote can discount tokens that say nothing about departments.
func (ix *BM25) search(text string, limit int, weight func(string) float64) ([]KBHit, error) {
	const k1, b = 1.2, 0.75
	q := map[string]bool{}
	for _, t := range CharNGrams(text) {
		q[t] = true
	}
	n := float64(len(ix.entries))
	acc := make(map[int32]float64)
	for t := range q {
		ps := ix.post[t]
		if len(ps) == 0 {
			continue
		}
		df := float64(len(ps))
		idf := math.Log(1 + (n-df+0.5)/(df+0.5))
		if weight != nil {
			idf *= weight(t)
		}
		for _, p := range ps {
			f := float64(p.tf)
			acc[p.doc] += idf * f * (k1 + 1) / (f + k1*(1-b+b*ix.lens[p.doc]/ix.avg))
		}
	}
	hits := make([]KBHit, 0, len(acc))
	for d, s := range acc {
		e := ix.entries[d]
		hits = append(hits, KBHit{ID: e.ID, Question: e.Question, Department: e.Department, Score: s})
	}
	slices.SortStableFunc(hits, func(a, b KBHit) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	if len(hits) > limit {
		hits = hits[:limit]
	}
	return hits, nil
}
