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

// raiseTheta: θ is raised to the k-th best candidate once, halfway
// through the long lists (every time costs more than it saves: measured).
var raiseTheta = true

// thresholdBound skips θ while it cannot prune (off: for A/B measurements).
var thresholdBound = true

// dropMinFactor: candidates are re-bounded between long lists only while
// there are more than dropMinFactor×k of them (tests set 0).
var dropMinFactor = 2

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
	var theta, done float32
	pruned := false
	brk := 0
	for n, i := range order {
		ess[i] = true
		c.addList(&list[i], acc)
		remaining -= len(list[i].ps)
		done += list[i].w
		rest = 0
		for _, j := range order[n+1:] {
			rest += list[j].w
		}
		if n+1 == len(order) || remaining < pruneMinPostings/2 || remaining < 2*len(acc.touched) {
			continue
		}
		if thresholdBound && done*(1+1e-3) <= pruneSlack(rest) {
			// No partial score can exceed the weights scored so far, so
			// θ cannot beat the rest yet: skip the pass over touched.
			continue
		}
		if theta = c.threshold(acc, k, visible); theta > pruneSlack(rest) {
			pruned = true
			brk = n
			break
		}
	}
	if !pruned {
		// Everything scored, but not in query order: the float sums may
		// differ in the last bit, so the pool is rescored exactly (search).
		acc.pruned = true
		acc.restBound = pruneSlack(0)
		acc.long = order[len(order):]
		acc.restAt = append(acc.restAt[:0], acc.restBound)
		return
	}
	acc.pruned = true
	acc.restBound = pruneSlack(rest)
	// Candidates: documents whose bound reaches θ. Only they get the long
	// lists' contributions; the walk over those lists otherwise only marks
	// hits for the total (a bit test per posting, the bitsets stay in L1).
	cands := acc.cands[:0]
	for _, d := range acc.touched {
		sl := &acc.slot[d]
		if acc.upper(sl.score) >= theta {
			acc.cand[d>>6] |= 1 << (d & 63)
			cands = append(cands, d)
		}
		if sl.strong {
			acc.setBit(d)
		}
	}
	// The long lists, heaviest first. After each, what the lists still to
	// come can add shrinks: a candidate whose partial score plus that bound
	// falls below θ can no longer reach the top k and is dropped. It is then
	// treated like a non-candidate (its partial score stays below θ, its
	// later hits are counted through the bits), except that its slot
	// remembers how many long lists its score holds (lvl), so the feedback
	// pass bounds it by restAt[lvl] and completes it from there.
	checkAlive := c.nAlive != len(c.alive)
	long := order[brk+1:]
	acc.long = long
	restAt := acc.restAt[:0]
	for l := range long {
		var r float32
		for _, j := range long[l:] {
			r += list[j].w
		}
		restAt = append(restAt, pruneSlack(r))
	}
	acc.restAt = restAt
	drop := len(long) < 256
	for n, i := range long {
		t := &list[i]
		c.addLong(t, acc, cands, checkAlive, visible, mask)
		if !drop || n+1 == len(long) || len(cands) < dropMinFactor*k {
			continue
		}
		if raiseTheta && n == len(long)/2 {
			theta = c.raiseTheta(acc, cands, k, theta, visible)
		}
		cands = c.dropCands(acc, cands, theta, restAt[n+1], uint8(n+1))
	}
	acc.cands = cands
	if mask != nil {
		acc.masked = true
		for i, w := range acc.bits[:min(len(acc.bits), len(mask))] {
			acc.maskHits += bits.OnesCount64(w & mask[i])
		}
	}
}

// addLong is one long list's walk in a pruned pass: the term's score for
// candidates, hit bits (and extra hits) for the exact total.
func (c *Core) addLong(t *qterm, acc *accum, cands []uint32, checkAlive bool, visible func(uint32) bool, mask []uint64) {
	if !checkAlive {
		if tb := c.longBits(t); tb != nil {
			t.tb = tb
			c.addLongBits(t, tb, acc, cands, visible, mask)
			return
		}
	}
	for _, p := range t.ps {
		if checkAlive && !c.alive[p.doc] {
			continue
		}
		isCand := acc.cand[p.doc>>6]&(1<<(p.doc&63)) != 0
		if isCand {
			sl := &acc.slot[p.doc]
			sl.score += t.w * p.imp
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

// raiseTheta is θ raised to the k-th best visible candidate: every
// document that reached θ is a candidate, and scores only grow.
func (c *Core) raiseTheta(acc *accum, cands []uint32, k int, theta float32, visible func(uint32) bool) float32 {
	if t := kthBest(acc, cands, k, visible); t > theta {
		theta = t
		acc.raised++
	}
	return theta
}

// dropCands removes the candidates whose partial score (with lvl long
// lists) plus rest, the bound of the lists still to come, stays below θ.
func (c *Core) dropCands(acc *accum, cands []uint32, theta, rest float32, lvl uint8) []uint32 {
	kept := cands[:0]
	for _, d := range cands {
		sl := &acc.slot[d]
		if sl.score*(1+1e-5)+rest >= theta {
			kept = append(kept, d)
			continue
		}
		sl.lvl = lvl
		acc.cand[d>>6] &^= 1 << (d & 63)
		acc.dropped++
	}
	return kept
}

// threshold is the k-th best score among visible hits in acc (0 if fewer).
func (c *Core) threshold(acc *accum, k int, visible func(uint32) bool) float32 {
	return kthBest(acc, acc.touched, k, visible)
}

// kthBest is the k-th best score among the visible strong documents of docs
// (0 if fewer than k), kept in acc's heap.
func kthBest(acc *accum, docs []uint32, k int, visible func(uint32) bool) float32 {
	// floor is h[0] once the heap is full, below every score before: one
	// comparison per document, no reload of the heap's length and root.
	h, slots := acc.heap[:0], acc.slot
	floor := float32(-1)
	for _, d := range docs {
		sl := &slots[d]
		if !sl.strong || sl.score <= floor {
			continue
		}
		if visible != nil && !visible(d) {
			continue
		}
		h = heapPush(h, k, sl.score)
		if len(h) == k {
			floor = h[0]
		}
	}
	acc.heap = h
	if len(h) < k {
		return 0
	}
	return h[0]
}

// heapPush adds s to the min-heap h of at most k scores (the caller has
// checked that s beats h[0] when h is full).
func heapPush(h []float32, k int, s float32) []float32 {
	if len(h) < k {
		h = append(h, s)
		for j := len(h) - 1; j > 0; {
			i := (j - 1) / 2
			if h[i] <= h[j] {
				break
			}
			h[i], h[j] = h[j], h[i]
			j = i
		}
		return h
	}
	h[0] = s
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
	return h
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
				v := ts[i].w * p.imp
				s += v
				strong = strong || ts[i].strong
			}
		}
	}
	sl := &acc.slot[d]
	sl.score, sl.strong = s, strong
}

// rescorePool is rescore (without expansion terms) for every document of
// the pool: each list is walked once over the pool in ordinal order
// (galloping), instead of one binary search per document and list. The
// sums add the same terms in the same order, so the scores are the same.
func (c *Core) rescorePool(top []cand, acc *accum) {
	docs := acc.poolDocs[:0]
	for _, cd := range top {
		docs = append(docs, cd.doc)
	}
	slices.Sort(docs)
	sc := acc.poolScore[:0]
	st := acc.poolStrong[:0]
	for range docs {
		sc = append(sc, 0)
		st = append(st, false)
	}
	acc.poolDocs, acc.poolScore, acc.poolStrong = docs, sc, st
	for i := range acc.all {
		t := &acc.all[i]
		if t.tb != nil {
			for j, d := range docs {
				if p, ok := t.find(d); ok {
					v := t.w * p.imp
					sc[j] += v
					st[j] = st[j] || t.strong
				}
			}
			continue
		}
		ps, lo := t.ps, 0
		for j, d := range docs {
			if lo = gallop(ps, lo, d); lo == len(ps) {
				break
			}
			if p := ps[lo]; p.doc == d {
				v := t.w * p.imp
				sc[j] += v
				st[j] = st[j] || t.strong
			}
		}
	}
	for j, d := range docs {
		sl := &acc.slot[d]
		sl.score, sl.strong = sc[j], st[j]
	}
}

// gallop is the first index from lo whose posting's document is ≥ d (ps
// sorted by document, every posting before lo below d).
func gallop(ps []posting, lo int, d uint32) int {
	hi, step := lo, 1
	for hi < len(ps) && ps[hi].doc < d {
		lo = hi + 1
		hi += step
		step <<= 1
	}
	hi = min(hi, len(ps))
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ps[m].doc < d {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// restScore is what the long lists a pruned pass did not add to d's
// score add to it (all of them, or those after the candidate was dropped).
func (c *Core) restScore(d uint32, acc *accum) float32 {
	var s float32
	for _, i := range acc.long[acc.slot[d].lvl:] {
		if p, ok := acc.all[i].find(d); ok {
			s += acc.all[i].w * p.imp
		}
	}
	return s
}

// restUpper bounds the exact score of a non-candidate d whose slot holds s.
func (a *accum) restUpper(d uint32, s float32) float32 {
	return s*(1+1e-5) + a.restAt[a.slot[d].lvl]
}

// fbBits: addFeedback handles documents the first pass did not touch with
// bitsets when their bound rules them out (off: for A/B measurements).
var fbBits = true

// feedbackBounds turns addFeedback on (off: the plain tracked pass, for
// A/B measurements).
var feedbackBounds = true

// addFeedback is the feedback pass after a pruned first pass whose pool
// is full, its last score floor. Every match is still a hit (newly, for
// the total), but a document outside the pool whose first-pass bound plus
// every expansion term's weight stays below floor cannot reach the page
// (rerankChanged's heap starts at the pool and only rises): it gets no
// score and is not listed in changed. The decision holds for all of a
// document's postings, as only the documents that pass gain score.
func (c *Core) addFeedback(exp []qterm, acc *accum, floor float32) {
	var wexp float32
	for i := range exp {
		wexp += exp[i].w
	}
	wexp = pruneSlack(wexp)
	checkAlive := c.nAlive != len(c.alive)
	// A document the first pass did not touch has no score (its slot is
	// zero, lvl 0): its bound is restAt[0] + wexp for all of its
	// postings. When that is below floor, every such document takes the
	// skip path, which then only counts it as a new hit: that is done with
	// bitsets (touched documents, new hits) that stay in cache, instead
	// of a random access to its slot per posting. Their slots stay zero;
	// nothing after this pass reads them.
	var tbits, fbHit []uint64
	if fbBits && acc.restAt[0]+wexp < floor {
		words := (len(c.alive) + 63) / 64
		tbits, fbHit = acc.tbits[:0], acc.fbHit[:0]
		tbits = append(tbits, make([]uint64, words)...)
		fbHit = append(fbHit, make([]uint64, words)...)
		acc.tbits, acc.fbHit = tbits, fbHit
		for _, d := range acc.touched {
			tbits[d>>6] |= 1 << (d & 63)
		}
	}
	for i := range exp {
		t := &exp[i]
		w, strong := t.w, t.strong
		for _, p := range t.ps {
			d := p.doc
			if checkAlive && !c.alive[d] {
				continue
			}
			if tbits != nil {
				wd, bit := d>>6, uint64(1)<<(d&63)
				if tbits[wd]&bit == 0 {
					acc.fbSkipped++
					acc.fbUntouched++
					if strong && fbHit[wd]&bit == 0 {
						fbHit[wd] |= bit
						if !acc.isExtra(d) {
							acc.newly = append(acc.newly, d)
						}
					}
					continue
				}
			}
			sl := &acc.slot[d]
			var ub float32
			if acc.isCand(d) {
				ub = sl.score * (1 + 1e-5)
			} else {
				ub = acc.restUpper(d, sl.score)
			}
			if ub+wexp < floor {
				acc.fbSkipped++
				if strong && !sl.strong {
					if sl.score == 0 {
						acc.touched = append(acc.touched, d)
					}
					if !acc.isExtra(d) {
						acc.newly = append(acc.newly, d)
					}
					sl.strong = true
				}
				continue
			}
			if sl.score == 0 && !sl.strong {
				acc.touched = append(acc.touched, d)
			}
			if !sl.chg {
				sl.chg = true
				acc.changed = append(acc.changed, d)
			}
			if strong && !sl.strong && !acc.isExtra(d) {
				acc.newly = append(acc.newly, d)
			}
			sl.score += w * p.imp
			if strong {
				sl.strong = true
			}
		}
	}
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
