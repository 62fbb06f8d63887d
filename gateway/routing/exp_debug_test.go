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

// TestDAInspect (ROUTING_EXP=da) prints, over five folds of the dev
// tickets, every ticket labelled direct_answer: whether its first offer
// fits, the offer, and how many KB entries of its department would fit.
func TestDAInspect(t *testing.T) {
	if os.Getenv("ROUTING_EXP") != "da" {
		t.Skip("set ROUTING_EXP=da")
	}
	depts, tickets, kb := loadDev(t)
	search := NewBM25(kb).Search
	byID := map[string]KBEntry{}
	for _, e := range kb {
		byID[e.ID] = e
	}
	var lab, offered, fit, fittable int
	for f := 0; f < 5; f++ {
		train, test := foldSplit(tickets, 5, f)
		m := buildModel(WordTokenizer(analysis.Shared()), depts, train, kb, nil, evalParams)
		for _, ex := range test {
			if !ex.DirectAnswer {
				continue
			}
			lab++
			q := Query{Text: ex.Text, Channel: ex.Channel, District: ex.District}
			p := m.predict(t.Context(), q, nil)
			da, _ := m.directAnswer(t.Context(), search, q, &p)
			n := 0
			for _, e := range kb {
				if e.Department == ex.Department && topical(e, ex.Text) {
					n++
				}
			}
			if n > 0 {
				fittable++
			}
			mark, offer := "-", ""
			if len(da) > 0 {
				offered++
				e := byID[da[0].ID]
				offer = e.Department + " " + e.Question
				mark = "x"
				if e.Department == ex.Department && topical(e, ex.Text) {
					mark = "F"
					fit++
				}
			}
			r := []rune(ex.Text)
			if len(r) > 50 {
				r = r[:50]
			}
			fmt.Printf("%s fittable=%d %s %s(%.2f) | %s | %s\n", mark, n, ex.Department, p.typ, p.typeProb, string(r), offer)
		}
	}
	fmt.Printf("labelled %d offered %d fit %d; tickets with a fitting entry in the KB: %d\n", lab, offered, fit, fittable)
}
