package embedded

import "sort"

// rerankDepth is how many first-stage candidates pseudo-relevance feedback
// may reorder.
const rerankDepth = 100

// sortCands orders by score, ties by ordinal (deterministic paging).
func sortCands(top []cand) {
	sort.Slice(top, func(i, j int) bool {
		if top[i].score != top[j].score {
			return top[i].score > top[j].score
		}
		return top[i].doc < top[j].doc
	})
}
