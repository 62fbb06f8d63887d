package embedded

import (
	"cmp"
	"math/bits"
	"slices"

	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// Top-k early termination (MaxScore, term-at-a-time).
//
// At 100k entries a caller's words are mostly rare (社保卡) but the query
// also holds a few terms in a third of all answers (补办, 办理, pinyin of
// those). Scoring every posting of those long lists was most of a search's
// cost, yet a document that only matches them can never reach the page:
// each term adds at most its weight (the saturated frequency is below 1).
// So the short lists are scored in full; then θ, the k-th best partial
// score among visible hits, bounds what matters: a document whose partial
// score plus the long lists' weights stays below θ cannot enter the top k.
// The long lists are walked once, adding scores for the candidates only and
// marking the other hits for the exact total. The ranked pool is then
// rescored from scratch in query order, bit-identical to the exhaustive sum.

// pruneMinPostings is the query size below which scoring everything is
// cheaper than bounding it.
var pruneMinPostings = 20000

// pruneSlack absorbs float32 rounding in the bounds.
func pruneSlack(rest float32) float32 { return rest*(1+1e-3) + 1e-6 }

// upper bounds the exact score of a document with partial score s (partial
// sums may also differ from exact ones in the last bits of their order).
func (a *accum) upper(s float32) float32 { return s*(1+1e-5) + a.restBound }

// score adds the BM25F contributions of every query term into acc
// (exhaustive). If the query has no strong term, every match counts as strong.
func (c *Core) score(qt []analysis.Term, acc *accum) { c.scoreTop(qt, acc, 0, nil, nil) }

// scoreTop scores the query so that the k best visible hits (visible nil:
// all) and the exact number of hits come out as with score; documents that
// cannot reach the top k may keep partial scores (acc.pruned). k ≤ 0 scores
// everything.
//
// With a mask (visible documents as bits, nil: none given), the hits the
// long lists alone find are not checked one by one: they are marked, and
// acc.maskHits counts the visible hits of the whole first pass at the end.
func (c *Core) scoreTop(qt []analysis.Term, acc *accum, k int, visible func(uint32) bool, mask []uint64) {
	acc.reset(len(c.alive))
	if c.nAlive == 0 {
		return
	}
	anyStrong := false
	for _, t := range qt {
		if isStrong(t) {
			if _, ok := c.terms[t.Text]; ok {
				anyStrong = true
				break
			}
		}
	}
	list := c.resolve(qt, anyStrong, len(c.alive)+1, acc.all[:0])
	acc.all = list
	total := 0
	for i := range list {
		total += len(list[i].ps)
	}
	if k <= 0 || total < pruneMinPostings {
		for i := range list {
			c.addList(&list[i], acc)
		}
		return
	}
	// Score the lists heaviest first (rare terms weigh most) until the
	// rest together weigh less than the k-th best score so far. θ costs a
	// pass over the touched documents, so it is only looked at while the
	// remaining lists are longer than that pass.
	order := acc.order[:0]
	var rest float32
	remaining := 0
	for i := range list {
		order = append(order, i)
		rest += list[i].w
		remaining += len(list[i].ps)
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(list[b].w, list[a].w) })
	acc.order = order
	ess := acc.ess[:0]
	for range list {
		ess = append(ess, false)
	}
	acc.ess = ess
	var theta float32
	pruned := false
	for n, i := range order {
		ess[i] = true
		c.addList(&list[i], acc)
		remaining -= len(list[i].ps)
		rest = 0
		for _, j := range order[n+1:] {
			rest += list[j].w
		}
		if n+1 == len(order) || remaining < pruneMinPostings/2 || remaining < 2*len(acc.touched) {
			continue
		}
		if theta = c.threshold(acc, k, visible); theta > pruneSlack(rest) {
			pruned = true
			break
		}
	}
	if !pruned {
		// Everything scored, but not in query order: the float sums may
		// differ in the last bit, so the pool is rescored exactly (search).
		acc.pruned = true
		acc.restBound = pruneSlack(0)
		return
	}
	acc.pruned = true
	acc.restBound = pruneSlack(rest)
	// Candidates: documents whose bound reaches θ. Only they get the long
	// lists' contributions; the walk over those lists otherwise only marks
	// hits for the total (a bit test per posting, the bitsets stay in L1).
	for _, d := range acc.touched {
		sl := &acc.slot[d]
		if acc.upper(sl.score) >= theta {
			acc.cand[d>>6] |= 1 << (d & 63)
		}
		if sl.strong {
			acc.setBit(d)
		}
	}
	checkAlive := c.nAlive != len(c.alive)
	for i := range list {
		if ess[i] {
			continue
		}
		t := &list[i]
		if !checkAlive {
			if tb := c.longBits(t); tb != nil {
				t.tb = tb
				c.addLongBits(t, tb, acc, visible, mask)
				continue
			}
		}
		for _, p := range t.ps {
			if checkAlive && !c.alive[p.doc] {
				continue
			}
			isCand := acc.cand[p.doc>>6]&(1<<(p.doc&63)) != 0
			if isCand {
				sl := &acc.slot[p.doc]
				sl.score += t.w * c.sat(p)
				if t.strong {
					sl.strong = true
				}
			}
			if !t.strong {
				continue
			}
			if mask != nil {
				acc.bits[p.doc>>6] |= 1 << (p.doc & 63)
			} else if acc.setBit(p.doc) && !isCand && (visible == nil || visible(p.doc)) {
				acc.extraHits++ // a hit only through the long lists: counted, never ranked
			}
		}
	}
	if mask != nil {
		acc.masked = true
		for i, w := range acc.bits[:min(len(acc.bits), len(mask))] {
			acc.maskHits += bits.OnesCount64(w & mask[i])
		}
	}
}

// threshold is the k-th best score among visible hits in acc (0 if fewer).
func (c *Core) threshold(acc *accum, k int, visible func(uint32) bool) float32 {
	h := acc.heap[:0]
	for _, d := range acc.touched {
		sl := acc.slot[d]
		if !sl.strong || (len(h) == k && sl.score <= h[0]) {
			continue
		}
		if visible != nil && !visible(d) {
			continue
		}
		if len(h) < k {
			h = append(h, sl.score)
			for j := len(h) - 1; j > 0; {
				i := (j - 1) / 2
				if h[i] <= h[j] {
					break
				}
				h[i], h[j] = h[j], h[i]
				j = i
			}
			continue
		}
		h[0] = sl.score
		for i := 0; ; {
			l := 2*i + 1
			if l >= len(h) {
				break
			}
			j := l
			if r := l + 1; r < len(h) && h[r] < h[l] {
				j = r
			}
			if h[i] <= h[j] {
				break
			}
			h[i], h[j] = h[j], h[i]
			i = j
		}
	}
	acc.heap = h
	if len(h) < k {
		return 0
	}
	return h[0]
}

// rescore sets d's exact score: the first pass's terms in query order, then
// exp's (the feedback pass), bit for bit as the exhaustive passes would
// have summed (a pruned pass adds the same terms in another order).
func (c *Core) rescore(d uint32, acc *accum, exp []qterm) {
	var s float32
	strong := false
	for _, ts := range [2][]qterm{acc.all, exp} {
		for i := range ts {
			if p, ok := ts[i].find(d); ok {
				v := ts[i].w * c.sat(p)
				s += v
				strong = strong || ts[i].strong
			}
		}
	}
	sl := &acc.slot[d]
	sl.score, sl.strong = s, strong
}

// restScore is what the lists a pruned pass skipped add to d.
func (c *Core) restScore(d uint32, acc *accum) float32 {
	var s float32
	for i := range acc.all {
		if acc.ess[i] {
			continue
		}
		if p, ok := acc.all[i].find(d); ok {
			s += acc.all[i].w * c.sat(p)
		}
	}
	return s
}

func (a *accum) isCand(d uint32) bool { return a.cand[d>>6]&(1<<(d&63)) != 0 }

// find is the posting of doc d in ps (sorted by ordinal).
func find(ps []posting, d uint32) (posting, bool) {
	lo, hi := 0, len(ps)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ps[m].doc < d {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(ps) && ps[lo].doc == d {
		return ps[lo], true
	}
	return posting{}, false
}

// setBit marks d as a hit and says whether it was new.
func (a *accum) setBit(d uint32) bool {
	w, b := d>>6, uint64(1)<<(d&63)
	if a.bits[w]&b != 0 {
		return false
	}
	a.bits[w] |= b
	return true
}

// isExtra says whether d is a hit that a pruned pass left unscored.
func (a *accum) isExtra(d uint32) bool {
	return a.pruned && a.bits[d>>6]&(1<<(d&63)) != 0
}

// clearBits resets the per-query bitsets (only when the last query used them).
func (a *accum) clearBits(n int) {
	words := (n + 63) / 64
	if len(a.bits) < words {
		a.bits = make([]uint64, words+words/4)
		a.cand = make([]uint64, words+words/4)
		return
	}
	if a.pruned {
		clear(a.bits)
		clear(a.cand)
	}
}
