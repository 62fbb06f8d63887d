package routing

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// Fifth pass harnesses (learned only: no guide, no rules):
//   - ROUTING_EXP=curve: the learning curve (each split's history cut to
//     25/50/75/100 %, a seeded subset, the same test part), with the rank
//     histogram of the true department and the type confusions at 100 %;
//   - ROUTING_EXP=tune5: the stacker's bagging knobs, the neighbour and
//     KB-vote depths and the history documents' weight, scored on 3 inner
//     folds of each split's HISTORY part (the test parts are not looked
//     at); ROUTING_EXP_ONLY picks configurations by index. The other
//     fifth-pass scorers were measured the same way and removed (figures
//     in TestExperiment's comment).

// expTally accumulates the department, type and urgency counts.
type expTally struct {
	n, top1, top3, typ, uTP, uFN int
	rank                         map[int]int       // rank of the true department (1-based)
	typeConf                     map[string]int    // "true -> predicted"
	perType                      map[string][2]int // right, total
}

func newTally() *expTally {
	return &expTally{rank: map[int]int{}, typeConf: map[string]int{}, perType: map[string][2]int{}}
}

func (ta *expTally) add(m *model, p prediction, ex Example) {
	ta.n++
	for r, c := range p.ranked {
		if m.depts[c].Code == ex.Department {
			ta.rank[r+1]++
			if r < 3 {
				ta.top3++
			}
			if r == 0 {
				ta.top1++
			}
			break
		}
	}
	pt := ta.perType[ex.Type]
	pt[1]++
	if p.typ == ex.Type {
		ta.typ++
		pt[0]++
	} else {
		ta.typeConf[ex.Type+" -> "+p.typ]++
	}
	ta.perType[ex.Type] = pt
	if ex.Urgent {
		if p.urgent {
			ta.uTP++
		} else {
			ta.uFN++
		}
	}
}

func (ta *expTally) line() string {
	return fmt.Sprintf("top1 %.3f top3 %.3f type %.3f urgR %.3f (n %d)", ratio(ta.top1, ta.n), ratio(ta.top3, ta.n), ratio(ta.typ, ta.n), ratio(ta.uTP, ta.uTP+ta.uFN), ta.n)
}

// expCurve trains on a share of each split's history and scores its test
// part; it prints mean/worst over the ten splits per share.
func expCurve(t *testing.T) {
	depts, tickets, kb := loadDev(t)
	tok := WordTokenizer(analysis.Shared())
	splits := expSplits(tickets)
	for _, frac := range []float64{0.25, 0.5, 0.75, 1} {
		all := newTally()
		var t1s, t3s []float64
		hist := 0
		for si, sp := range splits {
			h := sp[0]
			if frac < 1 {
				perm := rand.New(rand.NewPCG(uint64(si)+7, 5)).Perm(len(h))
				var sub []Example
				for _, i := range perm[:int(frac*float64(len(h)))] {
					sub = append(sub, h[i])
				}
				// Keep the history's order (Observe order) for the stacker.
				slices.SortStableFunc(sub, func(a, b Example) int { return strings.Compare(a.ID, b.ID) })
				h = sub
			}
			hist += len(h)
			m := buildModel(tok, depts, h, kb, nil, evalParams)
			ta := newTally()
			for _, ex := range sp[1] {
				p := m.predict(context.Background(), Query{Text: ex.Text, Channel: ex.Channel, District: ex.District}, nil)
				ta.add(m, p, ex)
				all.add(m, p, ex)
			}
			t1s = append(t1s, ratio(ta.top1, ta.n))
			t3s = append(t3s, ratio(ta.top3, ta.n))
		}
		mean := func(x []float64) float64 {
			var s float64
			for _, v := range x {
				s += v
			}
			return s / float64(len(x))
		}
		fmt.Printf("history %3.0f%% (~%d tickets): top1 %.3f/%.3f top3 %.3f/%.3f; pooled %s\n", 100*frac, hist/len(splits), mean(t1s), slices.Min(t1s), mean(t3s), slices.Min(t3s), all.line())
		if frac == 1 {
			fmt.Print("  rank of the true department:")
			for _, r := range slices.Sorted(maps.Keys(all.rank)) {
				fmt.Printf(" %d:%d", r, all.rank[r])
			}
			fmt.Println()
			for _, ty := range RequestTypes {
				fmt.Printf("  type %s %d/%d\n", ty, all.perType[ty][0], all.perType[ty][1])
			}
			keys := slices.SortedFunc(maps.Keys(all.typeConf), func(a, b string) int { return all.typeConf[b] - all.typeConf[a] })
			for _, k := range keys {
				fmt.Printf("  %3d  %s\n", all.typeConf[k], k)
			}
		}
	}
}

// expTune5 scores fifth-pass knobs on 3 inner folds of each split's history.
func expTune5(t *testing.T) {
	depts, tickets, kb := loadDev(t)
	tok := WordTokenizer(analysis.Shared())
	splits := expSplits(tickets)
	type config struct {
		name string
		set  func()
	}
	savedBags, savedRepeats, savedMean := stackBags, stackRepeats, stackBagMean
	savedK, savedKBK := knnK, kbVoteK
	params := defaultParams()
	reset := func() {
		stackBags, stackRepeats, stackBagMean = savedBags, savedRepeats, savedMean
		knnK, kbVoteK = savedK, savedKBK
		params = defaultParams()
	}
	defer reset()
	configs := []config{
		{"kept defaults", func() {}},
		{"bagged stacker, 10 bootstraps, mean prob", func() { stackBags = 10 }},
		{"bagged stacker, 10 bootstraps, mean weights", func() { stackBags, stackBagMean = 10, true }},
		{"stacker on 2 repeats of the inner folds", func() { stackRepeats = 2 }},
		{"neighbours k 8", func() { knnK = 8 }},
		{"neighbours k 20", func() { knnK = 20 }},
		{"KB vote k 10", func() { kbVoteK = 10 }},
		{"KB vote k 40", func() { kbVoteK = 40 }},
		{"history document weight 2", func() { params.HistoryWeight = 2 }},
		{"history document weight 0.5", func() { params.HistoryWeight = 0.5 }},
		{"history document weight 0.25", func() { params.HistoryWeight = 0.25 }},
	}
	for ci, c := range configs {
		if !expPicked(ci) {
			continue
		}
		reset()
		c.set()
		ta := innerTally(histories(splits), func(train []Example) *model { return buildModel(tok, depts, train, kb, nil, params) })
		fmt.Printf("%-44s inner %s\n", c.name, ta.line())
	}
}

func TestExperiment5(t *testing.T) {
	switch os.Getenv("ROUTING_EXP") {
	case "outer5":
		// The ten outer splits without and with the guide at the history
		// weight ROUTING_EXP_HISTW (after a choice on inner folds).
		defer func(p modelParams) { evalParams = p }(evalParams)
		if v := os.Getenv("ROUTING_EXP_HISTW"); v != "" {
			fmt.Sscan(v, &evalParams.HistoryWeight)
		}
		name := fmt.Sprintf("history weight %.2f", evalParams.HistoryWeight)
		expEvalGuide(t, name+", without guide", false)
		expEvalGuide(t, name+", with guide", true)
	case "curve":
		expCurve(t)
	case "tune5":
		expTune5(t)
	default:
		t.Skip("set ROUTING_EXP=curve or tune5")
	}
}
