package routing

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// config9 is one configuration of the ninth pass.
type config9 struct {
	name  string
	apply func()
}

var configs9 = []config9{
	{"kept", func() {}},
	{"no separable verbs", func() { rejoinSplits = false }},
}

// TestExperiment9 (ROUTING_EXP=tune9) scores the ninth pass's
// configurations on 3 inner folds of each split's history
// (ROUTING_EXP_ONLY: indexes); ROUTING_EXP=outer9 runs them on the ten
// outer splits, learned only and with the guide.
//
// Ninth pass (2026-11-27): separable verbs rejoined (separable.go: 停了七八次电
// is 停电, for the concept scan and as a word token). Inner top-1/top-3/type
// (1,875 cases): without 0.863/0.956/0.792, with 0.869/0.962/0.793. Outer,
// ten splits: top-1 0.863/0.800 → 0.866/0.787, top-3 0.946/0.907 →
// 0.951/0.920, type 0.851/0.740 unchanged, urgent recall 1.000; with the
// guide top-1 0.860 → 0.863, top-3 0.975 → 0.979. KEPT.
//
// Also tried in the tenth session and not kept (code removed): a confusion
// correction learned from the stacker's held-out predictions of the
// history — p becomes (1-λ)·p + λ·p·M, M the row-normalised soft confusion
// (the held-out mass on department i for tickets of department j) with α
// on its diagonal. Inner top-1/top-3 against 0.869/0.962: λ 0.3 α 2
// 0.869/0.955, λ 0.5 α 2 0.870/0.954, λ 0.3 α 5 0.869/0.956, λ 0.5 α 1
// 0.870/0.953 (type and urgent recall unchanged) — top-3 falls: the mass it moves to a department's
// usual partner comes from the blend's own third candidate.
func TestExperiment9(t *testing.T) {
	mode := os.Getenv("ROUTING_EXP")
	if mode != "tune9" && mode != "outer9" {
		t.Skip("set ROUTING_EXP=tune9 or outer9")
	}
	names := make([]string, len(configs9))
	for i, c := range configs9 {
		names[i] = c.name
	}
	runExpConfigs(t, mode == "outer9", names, func(i int) func() {
		saved := [...]any{rejoinSplits, separableGap}
		configs9[i].apply()
		return func() { rejoinSplits, separableGap = saved[0].(bool), saved[1].(int) }
	})
}

// runExpConfigs scores each named configuration (ROUTING_EXP_ONLY: indexes)
// on 3 inner folds of each split's history, or with outer on the ten outer
// splits, learned only and with the guide. apply sets configuration i and
// returns what restores the knobs.
func runExpConfigs(t *testing.T, outer bool, names []string, apply func(i int) (restore func())) {
	depts, tickets, kb := loadDev(t)
	only := map[int]bool{}
	for _, s := range strings.Split(os.Getenv("ROUTING_EXP_ONLY"), ",") {
		if n, err := strconv.Atoi(s); err == nil {
			only[n] = true
		}
	}
	tok := WordTokenizer(analysis.Shared())
	hists := histories(expSplits(tickets))
	for i, name := range names {
		if len(only) > 0 && !only[i] {
			continue
		}
		restore := apply(i)
		if outer {
			expEvalGuide(t, fmt.Sprintf("%d %s", i, name), false)
			expEvalGuide(t, fmt.Sprintf("%d %s, guide", i, name), true)
		} else {
			ta := innerTally(hists, func(train []Example) *model { return buildModel(tok, depts, train, kb, nil, defaultParams()) })
			fmt.Printf("%d %-32s inner %s\n", i, name, ta.line())
		}
		restore()
	}
}

// TestExperiment9Diversity (ROUTING_EXP=div9) fills the third candidate
// slot with the best department of one scorer that the blend's first two
// lack, over the five folds. Measured 2026-11-27 (before the separable
// verbs; blend top-3 239 of 250): lin 241 (3 gained, 1 lost), knn 238,
// kb 238, cen 239, duty 237, cnb 240, std 236; after them (blend 241): lin
// 240, knn 238, kb 238, cen 239, duty 237, cnb 241, std 236 — never better
// than the blend's own third, which stays.
func TestExperiment9Diversity(t *testing.T) {
	if os.Getenv("ROUTING_EXP") != "div9" {
		t.Skip("set ROUTING_EXP=div9")
	}
	cases := foldCases(t)
	names := [nComp]string{"lin", "knn", "kb", "cen", "duty", "hist", "cnb", "ovr", "first", "guide", "std"}
	base := 0
	for _, fc := range cases {
		if rankOf(fc.blend, fc.m.idx[fc.ex.Department]) <= 3 {
			base++
		}
	}
	fmt.Printf("blend top-3 %d/%d\n", base, len(cases))
	for c := range nComp {
		hit, gained, lost := 0, 0, 0
		for _, fc := range cases {
			y := fc.m.idx[fc.ex.Department]
			t2 := rankedTop(fc.blend, 2)
			set := map[int]bool{t2[0]: true, t2[1]: true}
			for _, d := range rankedTop(fc.comp[c], len(fc.comp[c])) {
				if !set[d] {
					set[d] = true
					break
				}
			}
			was := rankOf(fc.blend, y) <= 3
			switch {
			case set[y]:
				hit++
				if !was {
					gained++
				}
			case was:
				lost++
			}
		}
		fmt.Printf("%-6s top-3 %d (gained %d, lost %d)\n", names[c], hit, gained, lost)
	}
}

// rankedTop is the k best indexes of x, best first (ties by index).
func rankedTop(x []float64, k int) []int {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(x[b], x[a]) })
	return idx[:min(k, len(idx))]
}

// TestExperiment9CoClauses (ROUTING_EXP=co9) tries co-departments from the
// request's clauses: a clause that alone routes, with probability ≥ p, to a
// department other than the lead, ranked ≤ r for the whole request.
// Measured 2026-11-27 over the five folds (24 co-department labels):
// p 0.5 r 2: 10 right, 103 wrong; p 0.8 r 2: 8 right, 75 wrong; p 0.95 r 2:
// 5 right, 39 wrong — a precision near 0.1, far below the history's and the
// guide's co-departments. The second candidate's share of the blend does no
// better (ratio 0.5: 1 right, 6 wrong). Not kept: on such diverse pairs (22
// different pairs among 24 labels) only a city's guide names co-handlers.
func TestExperiment9CoClauses(t *testing.T) {
	if os.Getenv("ROUTING_EXP") != "co9" {
		t.Skip("set ROUTING_EXP=co9")
	}
	cases := foldCases(t)
	type clause struct {
		dept string
		p    float64
		rank int
	}
	found := make([][]clause, len(cases))
	for i, fc := range cases {
		lead := argmax(fc.blend)
		parts := strings.FieldsFunc(stripLocation(fc.ex.Text), func(r rune) bool { return strings.ContainsRune("，。；！？,;!?】【", r) })
		for _, c := range parts {
			if len([]rune(c)) < 4 {
				continue
			}
			p := fc.m.predict(context.Background(), Query{Text: c, Channel: fc.ex.Channel}, nil)
			if top := argmax(p.scores); top != lead {
				found[i] = append(found[i], clause{fc.m.depts[top].Code, p.scores[top], rankOf(fc.blend, top)})
			}
		}
	}
	for _, th := range []float64{0.5, 0.8, 0.95} {
		for _, maxRank := range []int{2, 3} {
			right, wrong, missed := 0, 0, 0
			for i, fc := range cases {
				var pred []string
				for _, c := range found[i] {
					if c.p >= th && c.rank <= maxRank && !slices.Contains(pred, c.dept) {
						pred = append(pred, c.dept)
					}
				}
				for _, p := range pred {
					if slices.Contains(fc.ex.CoDepartments, p) {
						right++
					} else {
						wrong++
					}
				}
				for _, c := range fc.ex.CoDepartments {
					if !slices.Contains(pred, c) {
						missed++
					}
				}
			}
			fmt.Printf("clause p ≥ %.2f rank ≤ %d: right %d wrong %d missed %d\n", th, maxRank, right, wrong, missed)
		}
	}
}
