package embedded

import (
	"sort"
	"strings"

	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// rerankDepth is how many first-stage candidates get whole-query features.
const rerankDepth = 100

// coverGain scales the bonus for covering the query's content characters
// in the question fields (title, alternates, keywords). BM25 sums term
// evidence independently; coverage rewards the candidate whose question is
// about all of what the caller said rather than a lot about one part.
var coverGain = 0.0

var coverBody = true

// rerank reorders candidates (best first on entry) by their final score.
func (x *Index) rerank(top []cand, content string) {
	if coverGain > 0 && content != "" {
		qr := contentRunes(content)
		if len(qr) > 0 {
			for i := range top {
				d := &x.docs[top[i].doc]
				var sb strings.Builder
				sb.WriteString(d.Title)
				for _, a := range d.Alternates {
					sb.WriteString(" ")
					sb.WriteString(a)
				}
				for _, k := range d.Keywords {
					sb.WriteString(" ")
					sb.WriteString(k)
				}
				if coverBody {
					sb.WriteString(" ")
					sb.WriteString(d.Body)
				}
				q := analysis.Normalize(sb.String())
				hit := 0
				for _, r := range qr {
					if strings.ContainsRune(q, r) {
						hit++
					}
				}
				cov := float64(hit) / float64(len(qr))
				top[i].score *= float32(1 + coverGain*cov)
			}
		}
	}
	sort.SliceStable(top, func(i, j int) bool {
		if top[i].score != top[j].score {
			return top[i].score > top[j].score
		}
		return top[i].doc < top[j].doc
	})
}

// contentRunes returns the distinct non-space runes of content.
func contentRunes(content string) []rune {
	seen := make(map[rune]bool)
	var out []rune
	for _, r := range content {
		if r == ' ' || seen[r] {
			continue
		}
		seen[r] = true
		out = append(out, r)
	}
	return out
}
