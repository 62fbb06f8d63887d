package routing

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// TestDebugText (ROUTING_EXP=debug ROUTING_TEXT=… ROUTING_PAIR=a,b) trains
// on every dev ticket and prints, per token of the text, its feature weight
// and its contribution to the linear score of department a minus b.
func TestDebugText(t *testing.T) {
	if os.Getenv("ROUTING_EXP") != "debug" {
		t.Skip("set ROUTING_EXP=debug")
	}
	depts, tickets, kb := loadDev(t)
	m := buildModel(WordTokenizer(analysis.Shared()), depts, tickets, kb, nil, evalParams)
	text := os.Getenv("ROUTING_TEXT")
	pair := strings.Split(os.Getenv("ROUTING_PAIR"), ",")
	a, b := m.idx[pair[0]], m.idx[pair[1]]
	toks := m.tok(m.routeText(text))
	tf := counts(toks)
	vec := m.df.vector(tf)
	wOf := map[uint32]float32{}
	for _, x := range vec {
		wOf[x.id] = x.w
	}
	C := len(m.depts)
	type row struct {
		tok  string
		w, d float32
	}
	var rows []row
	seen := map[string]bool{}
	for _, tk := range toks {
		if seen[tk] {
			continue
		}
		seen[tk] = true
		id := hashToken(tk)
		w := wOf[id]
		d := (m.w[int(id)*C+a] - m.w[int(id)*C+b]) * w
		rows = append(rows, row{tk, w, d})
	}
	slices.SortFunc(rows, func(x, y row) int {
		if x.d < y.d {
			return -1
		}
		if x.d > y.d {
			return 1
		}
		return 0
	})
	for _, r := range rows {
		fmt.Printf("%-14s w=%.3f  %s-%s=%+.3f\n", r.tok, r.w, pair[0], pair[1], r.d)
	}
}
