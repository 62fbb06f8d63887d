package routing

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

type testWriter struct{ strings.Builder }

// foldSplit is fold f of k over exs in their order: every k-th example
// (from f) is held out, the rest train.
func foldSplit(exs []Example, k, f int) (train, test []Example) {
	for i, ex := range exs {
		if i%k == f {
			test = append(test, ex)
		} else {
			train = append(train, ex)
		}
	}
	return train, test
}

// expPicked reports whether configuration ci of a sweep is to run: every
// one unless ROUTING_EXP_ONLY lists indexes ("0,3").
func expPicked(ci int) bool {
	only := os.Getenv("ROUTING_EXP_ONLY")
	return only == "" || slices.Contains(strings.Split(only, ","), fmt.Sprint(ci))
}

// innerTally trains on two of 3 folds of each history and tallies the
// predictions on the third: the inner-fold score every knob is chosen by.
func innerTally(hists [][]Example, build func(train []Example) *model) *expTally {
	ta := newTally()
	for _, hist := range hists {
		for f := 0; f < 3; f++ {
			train, test := foldSplit(hist, 3, f)
			m := build(train)
			for _, ex := range test {
				ta.add(m, m.predict(context.Background(), Query{Text: ex.Text, Channel: ex.Channel, District: ex.District}, nil), ex)
			}
		}
	}
	return ta
}

// histories is the history part of each split.
func histories(splits [][2][]Example) [][]Example {
	out := make([][]Example, len(splits))
	for i, sp := range splits {
		out[i] = sp[0]
	}
	return out
}

// innerDA runs the direct-answer step on 3 inner folds of each history once
// per variant (set(i) puts variant i in force) and tallies each variant.
func innerDA(t *testing.T, hists [][]Example, build func(train []Example) *model, search KBSearch, kb map[string]KBEntry, variants int, set func(i int)) []Tally {
	ctx := context.Background()
	tallies := make([]Tally, variants)
	for _, hist := range hists {
		for f := 0; f < 3; f++ {
			train, test := foldSplit(hist, 3, f)
			m := build(train)
			for _, ex := range test {
				q := Query{Text: ex.Text, District: ex.District, Channel: ex.Channel}
				p := m.predict(ctx, q, nil)
				ranked := make([]string, 0, 3)
				for i := 0; i < 3 && i < len(p.ranked); i++ {
					ranked = append(ranked, m.depts[p.ranked[i]].Code)
				}
				for v := range variants {
					set(v)
					pp := p
					pp.evidence = nil
					da, err := m.directAnswer(ctx, search, q, &pp)
					if err != nil {
						t.Fatal(err)
					}
					tallies[v].Add(ex, Suggestion{Candidates: candidatesOf(ranked), Type: p.typ, Urgent: p.urgent, CoDepartments: p.co, DirectAnswer: da}, kb)
				}
			}
		}
	}
	return tallies
}
