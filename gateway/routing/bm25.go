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
	tfs     []map[string]float64
	lens    []float64
	df      map[string]int
	avg     float64
}

// NewBM25 indexes entries (question twice, keywords twice, then the answer).
func NewBM25(entries []KBEntry) *BM25 {
	ix := &BM25{entries: entries, df: map[string]int{}}
	var total float64
	for _, e := range entries {
		toks := CharNGrams(e.Question + " " + e.Question + " " + strings.Join(e.Keywords, " ") + " " + strings.Join(e.Keywords, " ") + " " + e.Answer)
		tf := map[string]float64{}
		for _, t := range toks {
			tf[t]++
		}
		for t := range tf {
			ix.df[t]++
		}
		ix.tfs = append(ix.tfs, tf)
		ix.lens = append(ix.lens, float64(len(toks)))
		total += float64(len(toks))
	}
	if len(entries) > 0 {
		ix.avg = total / float64(len(entries))
	}
	return ix
}

// Search implements KBSearch.
func (ix *BM25) Search(_ context.Context, text string, limit int) ([]KBHit, error) {
	const k1, b = 1.2, 0.75
	q := map[string]bool{}
	for _, t := range CharNGrams(text) {
		q[t] = true
	}
	n := float64(len(ix.entries))
	var hits []KBHit
	for i, tf := range ix.tfs {
		var s float64
		for t := range q {
			f := tf[t]
			if f == 0 {
				continue
			}
			df := float64(ix.df[t])
			idf := math.Log(1 + (n-df+0.5)/(df+0.5))
			s += idf * f * (k1 + 1) / (f + k1*(1-b+b*ix.lens[i]/ix.avg))
		}
		if s > 0 {
			e := ix.entries[i]
			hits = append(hits, KBHit{ID: e.ID, Question: e.Question, Department: e.Department, Score: s})
		}
	}
	slices.SortStableFunc(hits, func(a, b KBHit) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	if len(hits) > limit {
		hits = hits[:limit]
	}
	return hits, nil
}
