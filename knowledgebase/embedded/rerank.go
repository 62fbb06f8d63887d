package embedded

import "slices"

// rerankDepth is how many first-stage candidates pseudo-relevance feedback
// may reorder.
const rerankDepth = 100

// sortCands orders by score, ties by ordinal (deterministic paging). The
// order is total (ordinals are unique), so any sort gives the same result;
// slices.SortFunc avoids sort.Slice's reflection.
func sortCands(top []cand) {
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
