package embedded

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hallgate/hallgate/knowledgebase"
)

// Search runs a query with filters and paging.
func (x *Index) Search(ctx context.Context, q knowledgebase.Query) (knowledgebase.Result, error) {
	text := strings.TrimSpace(q.Text)
	if text == "" || utf8.RuneCountInString(text) > maxQueryRunes {
		return knowledgebase.Result{}, fmt.Errorf("embedded search: %w", knowledgebase.ErrBadQuery)
	}
	if q.Limit <= 0 {
		q.Limit = defaultLimit
	}
	if q.Limit > maxLimit {
		q.Limit = maxLimit
	}
	if q.Offset < 0 {
		q.Offset = 0
	}
	if q.Now.IsZero() {
		q.Now = time.Now()
	}
	q.Text = text
	if x.closedFlag.Load() {
		return knowledgebase.Result{}, ErrClosed
	}
	key := keyOf(q)
	gen := x.gen.Load()
	at := q.Now.UnixNano()
	if res, ok := x.cache.get(key, gen, at); ok {
		return res, nil
	}
	res, until, err := x.search(q, text)
	if err == nil {
		x.cache.put(key, gen, res, at, min(until, at+int64(cacheTTL)))
	}
	return res, err
}

// search is Search without the result cache; until is the instant up to
// which the result holds (the next expiry).
func (x *Index) search(q knowledgebase.Query, text string) (res knowledgebase.Result, until int64, err error) {
	qt := x.an.QueryTerms(text)

	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return knowledgebase.Result{}, 0, ErrClosed
	}
	if x.cache != nil {
		until = x.nextExpiry(q.Now.UnixNano())
	}
	acc := x.pool.Get().(*accum)
	defer x.pool.Put(acc)
	now, filters := q.Now.UnixNano(), hasFilters(&q)
	var mask []uint64
	var expiring []uint32
	if !filters {
		mask, expiring = x.visibleMask(q.IncludeInternal)
	}
	x.core.scoreTop(qt, acc, poolSize(&q), func(d uint32) bool { return x.visible(d, &q, now, filters) }, mask)
	cands := x.rank(q, acc)
	if acc.masked {
		// The mask leaves out expiring entries: those are checked here.
		cands.total = acc.maskHits
		for _, d := range expiring {
			if acc.bits[d>>6]&(1<<(d&63)) != 0 && x.visible(d, &q, now, filters) {
				cands.total++
			}
		}
	}
	if acc.pruned {
		// Exact sums in query order for the pool (see prune.go).
		if batchRescore {
			x.core.rescorePool(cands.top, acc)
		}
		for i := range cands.top {
			if !batchRescore {
				x.core.rescore(cands.top[i].doc, acc, nil)
			}
			cands.top[i].score = acc.slot[cands.top[i].doc].score
		}
		sortCands(cands.top)
	}
	if prfDocs > 0 && len(cands.top) > 1 {
		// Second pass with the feedback terms only, on top of the first
		// pass's scores: it can bring in an entry the caller's words missed.
		// Only the pool and the documents the expansion changed can reach
		// the page, so only they are ranked again.
		if exp := x.feedback(qt, cands.top); len(exp) > 0 {
			acc.startTracking()
			var expList []qterm
			if n := len(cands.top); feedbackBounds && acc.pruned && n >= q.Offset+q.Limit {
				// The pool is full: its last score bounds what the page
				// needs (prune.go).
				expList = x.core.resolve(exp, true, len(x.core.alive)+1, nil)
				x.core.addFeedback(expList, acc, cands.top[n-1].score)
			} else {
				expList = x.core.addTerms(exp, acc, true, len(x.core.alive)+1)
			}
			cands.top, cands.total = x.rerankChanged(q, acc, cands.top, cands.total, expList)
		}
	}
	if k := q.Offset + q.Limit; len(cands.top) > k {
		cands.top = cands.top[:k]
	}

	res = knowledgebase.Result{Total: cands.total, Hits: []knowledgebase.Hit{}}
	var marks [2]*marker
	if q.Offset < len(cands.top) {
		marks = markers(qt)
	}
	for i := q.Offset; i < len(cands.top); i++ {
		c := cands.top[i]
		d := &x.docs[c.doc]
		res.Hits = append(res.Hits, knowledgebase.Hit{
			ID: d.ID, Kind: d.Kind, Score: float64(c.score),
			Highlight: highlight(d, marks),
		})
	}
	return res, until, nil
}

// SearchIDs is Search returning only ids, for evaluation.
func (x *Index) SearchIDs(ctx context.Context, text string, limit int) ([]string, error) {
	res, err := x.Search(ctx, knowledgebase.Query{Text: text, Limit: limit})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	return ids, nil
}

// docMeta is what every candidate is checked against, one byte per
// document (kept apart from the Document so the match loop stays in cache;
// the expiry time itself is read only for documents that have one).
type docMeta uint8

const (
	metaSearchable docMeta = 1 << iota
	metaInternal
	metaExpires
)

func metaOf(d *knowledgebase.Document) docMeta {
	var m docMeta
	if d.Searchable {
		m |= metaSearchable
	}
	if d.Internal {
		m |= metaInternal
	}
	if !d.ExpiresAt.IsZero() {
		m |= metaExpires
	}
	return m
}

// hasFilters reports whether q filters on fields outside docMeta.
func hasFilters(q *knowledgebase.Query) bool {
	return q.Department != "" || q.Kind != "" || q.Category != "" || q.Channel != ""
}

func (x *Index) visible(ord uint32, q *knowledgebase.Query, now int64, filters bool) bool {
	m := x.meta[ord]
	if m&metaSearchable == 0 || (m&metaInternal != 0 && !q.IncludeInternal) {
		return false
	}
	if m&metaExpires != 0 && x.docs[ord].ExpiresAt.UnixNano() < now {
		return false
	}
	if !filters {
		return true
	}
	d := &x.docs[ord]
	if q.Department != "" && d.Department != q.Department {
		return false
	}
	if q.Kind != "" && d.Kind != q.Kind {
		return false
	}
	if q.Category != "" && d.Category != q.Category && !strings.HasPrefix(d.Category, q.Category+"/") {
		return false
	}
	if q.Channel != "" {
		found := false
		for _, c := range d.Channels {
			if c == q.Channel {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// rerankChanged merges the first pass's pool (with updated scores) and the
// documents changed by the feedback pass into a new pool.
// After a pruned first pass, a changed document outside the pool holds a
// partial (or differently summed) score: it is scored exactly when its
// bound could reach the page.
func (x *Index) rerankChanged(q knowledgebase.Query, acc *accum, pool []cand, total int, exp []qterm) ([]cand, int) {
	for i := range pool {
		sl := &acc.slot[pool[i].doc]
		sl.pool = true
		pool[i].score = sl.score
	}
	defer func() {
		for _, c := range pool {
			acc.slot[c.doc].pool = false
		}
	}()
	now, filters := q.Now.UnixNano(), hasFilters(&q)
	size := max(len(pool), q.Offset+q.Limit)
	h := candHeap(pool)
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
	for _, d := range acc.newly {
		if x.core.alive[d] && x.visible(d, &q, now, filters) {
			total++ // matched only through feedback
		}
	}
	for _, d := range acc.changed {
		if acc.slot[d].pool || !x.core.alive[d] {
			continue
		}
		if !x.visible(d, &q, now, filters) {
			continue
		}
		if acc.pruned && len(h) >= size {
			// Cheap bounds first: the partial score plus what the unscored
			// lists may add, then plus what they do add; only a document
			// that could still enter is summed exactly.
			sc := acc.slot[d].score
			if !acc.isCand(d) {
				if acc.restUpper(d, sc) < h[0].score {
					continue
				}
				sc += x.core.restScore(d, acc)
			}
			if sc*(1+1e-5) < h[0].score {
				continue
			}
		}
		if acc.pruned {
			x.core.rescore(d, acc, exp)
		}
		if sl := acc.slot[d]; !sl.strong || sl.score == 0 {
			continue
		}
		c := cand{doc: d, score: acc.slot[d].score}
		if len(h) < size {
			h = append(h, c)
			h.up(len(h) - 1)
		} else if c.score > h[0].score || (c.score == h[0].score && c.doc < h[0].doc) {
			h[0] = c
			h.down(0)
		}
	}
	top := []cand(h)
	sortCands(top)
	return top, total
}

type cand struct {
	doc   uint32
	score float32
}

// candHeap is a min-heap on (score, then reverse ordinal) for top-k.
type candHeap []cand

func (h candHeap) Len() int { return len(h) }
func (h candHeap) Less(i, j int) bool {
	if h[i].score != h[j].score {
		return h[i].score < h[j].score
	}
	return h[i].doc > h[j].doc
}
func (h candHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }

// up and down are container/heap's sift operations on the concrete type
// (no interface boxing per candidate on the hot path).
func (h candHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.Less(j, i) {
			break
		}
		h.Swap(i, j)
		j = i
	}
}

func (h candHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		j := l
		if r := l + 1; r < n && h.Less(r, l) {
			j = r
		}
		if !h.Less(j, i) {
			return
		}
		h.Swap(i, j)
		i = j
	}
}

type ranked struct {
	top   []cand // best first, offset+limit long at most
	total int
}

// rank filters the scored documents and returns the best (at least
// rerankDepth, for feedback) in order, with the number of matches.
func (x *Index) rank(q knowledgebase.Query, acc *accum) ranked {
	pool := poolSize(&q)
	h := make(candHeap, 0, pool+1)
	total := 0
	now, filters := q.Now.UnixNano(), hasFilters(&q)
	docs := acc.touched
	if acc.masked && rankCands {
		// A pruned pass with a mask counts the hits itself (search), and
		// only its candidates can be among the best (prune.go).
		docs = acc.cands
	}
	for _, d := range docs {
		if !acc.slot[d].strong || !x.core.alive[d] {
			continue
		}
		if !x.visible(d, &q, now, filters) {
			continue
		}
		total++
		c := cand{doc: d, score: acc.slot[d].score}
		if len(h) < pool {
			h = append(h, c)
			h.up(len(h) - 1)
		} else if c.score > h[0].score || (c.score == h[0].score && c.doc < h[0].doc) {
			h[0] = c
			h.down(0)
		}
	}
	total += acc.extraHits // hits only through lists a pruned pass did not score
	top := []cand(h)
	sortCands(top)
	return ranked{top: top, total: total}
}

// batchRescore: the pool is rescored list by list (off: document by
// document, for A/B measurements).
var batchRescore = true

// rankCands: rank looks at a masked pruned pass's candidates only (off:
// every touched document, for A/B measurements).
var rankCands = true

// poolSize is how many first-pass candidates rank keeps: the page, and at
// least rerankDepth for the feedback pass.
func poolSize(q *knowledgebase.Query) int {
	return max(q.Offset+q.Limit, rerankDepth)
}
