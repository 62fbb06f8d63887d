package embedded

import (
	"sort"

	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// rerankDepth is how many first-stage candidates get whole-query features.
const rerankDepth = 100

// rerank reorders candidates (best first on entry) by their final score.
func (x *Index) rerank(top []cand, qt []analysis.Term) {
	sort.SliceStable(top, func(i, j int) bool {
		if top[i].score != top[j].score {
			return top[i].score > top[j].score
		}
		return top[i].doc < top[j].doc
	})
}
