package embedded

import (
	"math/bits"
	"slices"
	"sync"
)

// Long posting lists as bitmaps with word ranks.
//
// At 100k entries the walk of the few long lists a pruned pass leaves
// (补办, 办理 and their pinyin: a third of all documents each) was most of
// a search's cost, though it only (a) adds their scores to a handful of
// candidates and (b) marks their hits for the exact total. With a bitmap
// of the list's documents, (b) is a word-wise OR and (a) visits only the
// words where candidates and list meet: the posting of a document is found
// by rank (postings before its word, plus a popcount inside it), so the
// impacts still come from the list itself and scores stay bit-identical.
// Bitmaps are built lazily per term and dropped when the list grows or the
// core is compacted.

// longBitsMin is the smallest list given a bitmap; denser than 1 in
// longBitsDensity documents too (a sparse list is cheaper to walk).
var (
	longBitsMin     = 1024
	longBitsDensity = 32
)

type termBits struct {
	n     int      // len(ps) it was built from
	epoch uint64   // core epoch it was built in
	bm    []uint64 // documents of the list
	rank  []uint32 // postings before each word
}

type longBitsCache struct {
	mu sync.Mutex
	m  map[uint32]*termBits
}

// longBits returns the bitmap of a resolved term's list, or nil when the
// list is too short or sparse for one to pay off. Safe for concurrent
// searches (the caller holds the index's read lock, so lists do not change).
func (c *Core) longBits(t *qterm) *termBits {
	if len(t.ps) < longBitsMin || len(t.ps)*longBitsDensity < len(c.alive) {
		return nil
	}
	lb := &c.lbits
	lb.mu.Lock()
	defer lb.mu.Unlock()
	if tb := lb.m[t.id]; tb != nil && tb.n == len(t.ps) && tb.epoch == c.epoch {
		return tb
	}
	if lb.m == nil {
		lb.m = make(map[uint32]*termBits)
	}
	words := int(t.ps[len(t.ps)-1].doc)/64 + 1
	tb := &termBits{n: len(t.ps), epoch: c.epoch, bm: make([]uint64, words), rank: make([]uint32, words)}
	for _, p := range t.ps {
		tb.bm[p.doc>>6] |= 1 << (p.doc & 63)
	}
	var r uint32
	for w, b := range tb.bm {
		tb.rank[w] = r
		r += uint32(bits.OnesCount64(b))
	}
	lb.m[t.id] = tb
	return tb
}

// addLongBits is the long-list walk of scoreTop for a list with a bitmap
// (all documents alive): candidates (cands, also the bits of acc.cand)
// get the term's score, hits are marked.
func (c *Core) addLongBits(t *qterm, tb *termBits, acc *accum, cands []uint32, visible func(uint32) bool, mask []uint64) {
	// Locals and equal lengths up front: the word loops then run without
	// bounds checks or reloads through t, tb and acc (the bitmap never has
	// more words than the accumulator's bitsets).
	bm := tb.bm
	rank, cand, hit := tb.rank[:len(bm)], acc.cand[:len(bm)], acc.bits[:len(bm)]
	ps, slots := t.ps, acc.slot
	tw, strong := t.w, t.strong
	// Two steps: the candidates' posting indices first (bit operations
	// only), then the scores in one plain loop whose independent loads of
	// postings and slots overlap.
	at := acc.lbAt[:0]
	// With a mask a strong list's hits are only ORed in.
	orHits := strong && mask != nil
	if len(cands) < candWalkFactor*len(bm) {
		// Fewer candidates than words: each candidate's word is looked
		// up (the bitmap and its ranks stay in cache) instead of every
		// word being visited. Membership is a coin toss in a long list,
		// so the index is always written and the end moves by the bit.
		if orHits {
			for w, b := range bm {
				hit[w] |= b
			}
		}
		at = slices.Grow(at, len(cands))[:len(cands)]
		n := 0
		for _, d := range cands {
			w := int(d >> 6)
			if w >= len(bm) {
				continue
			}
			b, sh := bm[w], d&63
			at[n] = rank[w] + uint32(bits.OnesCount64(b&(1<<sh-1)))
			n += int(b >> sh & 1)
		}
		at = at[:n]
	} else {
		for w, b := range bm {
			if orHits {
				hit[w] |= b
			}
			m := b & cand[w]
			r := rank[w]
			for m != 0 {
				bit := uint(bits.TrailingZeros64(m))
				m &= m - 1
				at = append(at, r+uint32(bits.OnesCount64(b&(1<<bit-1))))
			}
		}
	}
	acc.lbAt = at
	for _, i := range at {
		p := ps[i]
		sl := &slots[p.doc]
		sl.score += tw * p.imp
		if strong {
			sl.strong = true
		}
	}
	if !strong || orHits {
		return
	}
	// No mask: each hit only this list found is checked and counted.
	for w, b := range bm {
		fresh := b &^ hit[w]
		hit[w] |= b
		fresh &^= cand[w]
		for fresh != 0 {
			d := uint32(w)<<6 | uint32(bits.TrailingZeros64(fresh))
			fresh &= fresh - 1
			if visible == nil || visible(d) {
				acc.extraHits++ // a hit only through the long lists: counted, never ranked
			}
		}
	}
}

// candWalkFactor: addLongBits looks up each candidate's word when there
// are fewer than candWalkFactor × words candidates (0: every word is
// visited, for A/B measurements; tests force either way).
var candWalkFactor = 1

// find is the posting of d in the term's list: by rank when it has a
// bitmap, else by binary search.
func (t *qterm) find(d uint32) (posting, bool) {
	tb := t.tb
	if tb == nil {
		return find(t.ps, d)
	}
	w := int(d >> 6)
	if w >= len(tb.bm) {
		return posting{}, false
	}
	b := tb.bm[w]
	bit := uint64(1) << (d & 63)
	if b&bit == 0 {
		return posting{}, false
	}
	return t.ps[tb.rank[w]+uint32(bits.OnesCount64(b&(bit-1)))], true
}
