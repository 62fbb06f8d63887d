package embedded

import (
	"math"
	"slices"
)

// rerankDepth is how many first-stage candidates pseudo-relevance feedback
// may reorder.
const rerankDepth = 100

// sortCands orders by score, ties by ordinal (deterministic paging). The
// order is total (ordinals are unique), so any sort gives the same result.
// A pool of positive scores (the rule) is sorted as integer keys — the
// bits of a positive float32 order as the float does, inverted for
// "best first", then the ordinal — which decode back to the same values;
// otherwise (a zero or negative score) with a comparison function.
func sortCands(top []cand) {
	var buf [128]uint64
	keys := buf[:0]
	if len(top) > len(buf) {
		keys = make([]uint64, 0, len(top))
	}
	for _, c := range top {
		b := math.Float32bits(c.score)
		if int32(b) <= 0 || c.score != c.score {
			sortCandsFunc(top)
			return
		}
		keys = append(keys, uint64(^b)<<32|uint64(c.doc))
	}
	slices.Sort(keys)
	for i, k := range keys {
		top[i] = cand{doc: uint32(k), score: math.Float32frombits(^uint32(k >> 32))}
	}
}

func sortCandsFunc(top []cand) {
	slices.SortFunc(top, func(a, b cand) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		case a.doc < b.doc:
			return -1
		case a.doc > b.doc:
			return 1
		}
		return 0
	})
}
