package routing

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// Sixth pass (r6b), learned only: ROUTING_EXP=tune6b scores the configs
// below on 3 inner folds of each split's HISTORY part, at the full history
// and at a seeded cut of it (ROUTING_EXP_FRAC, default "1,0.5"), so a knob
// that should depend on the history's size is chosen at two sizes;
// ROUTING_EXP_ONLY picks configs by index. ROUTING_EXP=outer6b
// ROUTING_EXP_CFG=i runs config i on the ten outer splits, without and with
// the guide.
//
// Sixth pass (r6b): learned only (no guide, no rules), the lead department.
// Inner = 3 inner folds of each split's history (1,875 cases at the full
// history, ~125 training tickets per inner model; 935 at a seeded 50 % cut,
// ~62); before this pass (fixed history weight 1) inner top-1/top-3
// 0.728/0.866 (full), 0.732/0.882 (50 %); type 0.770/0.720; urgent recall
// 1.000 in every run below. Outer = the ten dev splits, same run: before
// 0.749/0.680, top-3 0.871/0.787, type 0.839/0.740 (with the guide
// 0.833/0.733, 0.962/0.920, 0.837/0.740). Every config below is measured
// against that fixed weight (histWeightFull 0).
//   - history weight that grows with the history's size (histWeightC,
//     histWeightFull in model.go). Fixed weights first, at both sizes
//     (full / 50 %, top-1 and top-3): 0.25 0.731/0.876, 0.751/0.876; 0.5
//     0.732/0.871, 0.737/0.884; 1 0.728/0.866, 0.732/0.882; 2 0.728/0.858,
//     0.719/0.864. So the size effect is real on inner folds: with ~62
//     tickets 0.25 beats 1 by 0.019 top-1, with ~125 the weights 0.25–1 are
//     within noise on top-1 (0.25 +0.010 top-3). n/(n+c), n the tickets
//     the model (or the stacker's inner model) learns from: c 150
//     0.733/0.872, 0.751/0.876; c 400 0.734/0.874, 0.749/0.873. Outer at
//     c 150 (weight 0.55 at ~187 tickets): top-1 0.739/0.660, top-3
//     0.870/0.800, type 0.828/0.740, urgent precision 0.56 (with the guide
//     0.834/0.760, 0.957/0.920, 0.826/0.720) — worst split and type lower
//     than 1, as the fifth pass found for fixed 0.5: not kept.
//   - KEPT: a weight that is full from 125 tickets on and falls with the
//     square below, clamp((n/125)^2, 0.25, 1) (histWeightFull 125,
//     histWeightPow 2, histWeightMin 0.25): it gives ~0.25 at the 62
//     tickets where 0.25 was best, and 1 at 125 where the weight was
//     indifferent on top-1 (so the stacker's inner models of an inner
//     fold, ~100 tickets, get 0.64). Inner 0.727/0.865 (full, against
//     0.728/0.866), 0.752/0.875 (50 %, against 0.732/0.882): top-1 +0.020
//     with ~62 tickets, top-3 −0.007 there; mean over the two sizes top-1
//     +0.010, top-3 −0.004. Without the floor 0.750/0.874 at 50 %.
//     Checked afterwards (not used for the choice) at two more cuts:
//     75 % (~94 tickets, 1,405 cases) 0.734/0.865 against 0.727/0.863,
//     type 0.754 against 0.756; 25 % (~31 tickets, the floor, 465 cases)
//     0.751/0.903 against 0.740/0.877, type 0.677 against 0.692 (type is
//     noisy at 465 cases, but it is the one figure that fell). Outer
//     learning curve (ROUTING_EXP=curve6b: each outer history cut to a
//     seeded 25/50/75 %, the same test parts, 625 cases; mean/worst top-1,
//     top-3; before → kept): ~46 tickets 0.703/0.627, 0.842/0.720 →
//     0.697/0.620, 0.841/0.760; ~93 0.725/0.627, 0.855/0.760 →
//     0.736/0.653, 0.861/0.787; ~140 0.730/0.620, 0.869/0.813 →
//     0.733/0.620, 0.878/0.820; type (0.706, 0.781, 0.806) and urgent
//     recall (1.000) unchanged at every size. The
//     outer splits' models (175–200 tickets, their stacker's inner models
//     140–160) all get weight 1, so the outer figures are those of the
//     fixed weight (same run, ROUTING_EXP=outer6b ROUTING_EXP_CFG=0,20:
//     0.749/0.680, 0.871/0.787, 0.839/0.740, urgent recall 1.00, precision
//     0.61; with the guide 0.833/0.733, 0.962/0.920, 0.837/0.740). It only changes cities with a history
//     under 125 tickets. Caveat: the reach point 125 was set where the
//     inner curve is flat, and the fifth pass had already shown on the
//     outer splits that 0.5 at ~187 tickets is worse; a reader may see
//     that as outer knowledge leaking into the form. The floor keeps a
//     tiny history from vanishing (below ~60 tickets nothing was measured).
//   - co_departments as soft secondary labels (24 of the 250 dev tickets
//     have any, ~12 per inner training set): each co-department as an
//     extra document of the ticket at 0.3 × the history weight in the
//     linear, centroid and CNB models (kindCo; not in the neighbours,
//     frequencies or term weights; coLabelWeight) 0.730/0.864; a
//     neighbour also voting for its co-departments at 0.3 × its vote
//     (knnCoWeight) 0.729/0.867; both 0.730/0.865 (full history; type
//     0.770) — noise: too few labelled co-departments to matter. Both at
//     0.5: 0.734/0.863 (full), 0.741/0.882 (50 %, against 0.732/0.882) —
//     +0.006/+0.009 top-1, at the edge of the noise; outer (with the kept
//     history weight, config 21) top-1 0.744/0.680, top-3 0.875/0.800,
//     type 0.839/0.740, urgent recall 1.00 (with the guide 0.830/0.733,
//     0.961/0.920, 0.837/0.740, co-department recall 0.405→0.397): outer
//     top-1 mean −0.005, top-3 +0.004 — no clear gain either way. Left off.
//   - clause roles (clause.go): the text cut at ，。；！？ and 【】, a clause
//     with a demand or problem cue (请求/要求/希望/能否/怎么/查处/维修/漏水/
//     拖欠/无法/…) weighted up, a short clause with only place cues
//     (地址/位于/路/街/小区/村/门口/附近/…) down, in history documents and
//     requests alike; the weight w scales the feature's sublinear TF to
//     w·(1+ln n). On the dev tickets 444 clauses are demand, 120 place,
//     696 neither. Full history: demand 1.5 0.732/0.868, 2 0.727/0.867, 3
//     0.723/0.864; place 0.5 0.718/0.863; demand 1.5 + place 0.5
//     0.725/0.866 — the place words help more than they mislead (as with
//     landmark dropping), and the demand weight peaks within noise. Left
//     neutral (clauseDemandWeight, clausePlaceWeight 1).

type config6b struct {
	name string
	set  func(p *modelParams)
}

func configs6b() []config6b {
	return []config6b{
		{"before (fixed history weight 1)", func(p *modelParams) { histWeightFull = 0 }},
		{"history weight 0.5", func(p *modelParams) { p.HistoryWeight = 0.5 }},
		{"history weight 0.25", func(p *modelParams) { p.HistoryWeight = 0.25 }},
		{"history weight 2", func(p *modelParams) { p.HistoryWeight = 2 }},
		{"history weight n/(n+50)", func(p *modelParams) { histWeightC = 50 }},
		{"history weight n/(n+150)", func(p *modelParams) { histWeightC = 150 }},
		{"history weight n/(n+400)", func(p *modelParams) { histWeightC = 400 }},
		{"co labels 0.3", func(p *modelParams) { coLabelWeight = 0.3 }},
		{"co labels 0.5", func(p *modelParams) { coLabelWeight = 0.5 }},
		{"kNN co vote 0.3", func(p *modelParams) { knnCoWeight = 0.3 }},
		{"kNN co vote 0.5", func(p *modelParams) { knnCoWeight = 0.5 }},
		{"co labels 0.3 + kNN co 0.3", func(p *modelParams) { coLabelWeight, knnCoWeight = 0.3, 0.3 }},
		{"clauses demand 1.5", func(p *modelParams) { clauseDemandWeight = 1.5 }},
		{"clauses demand 2", func(p *modelParams) { clauseDemandWeight = 2 }},
		{"clauses place 0.5", func(p *modelParams) { clausePlaceWeight = 0.5 }},
		{"clauses place 0.25", func(p *modelParams) { clausePlaceWeight = 0.25 }},
		{"clauses demand 1.5 place 0.5", func(p *modelParams) { clauseDemandWeight, clausePlaceWeight = 1.5, 0.5 }},
		{"clauses demand 3", func(p *modelParams) { clauseDemandWeight = 3 }},
		{"co labels 0.5 + kNN co 0.5", func(p *modelParams) { coLabelWeight, knnCoWeight = 0.5, 0.5 }},
		{"history weight min(1, (n/125)^2), no floor", func(p *modelParams) { histWeightFull, histWeightMin = 125, 0 }},
		{"history weight clamp((n/125)^2, 0.25, 1) (kept)", func(p *modelParams) { histWeightFull = 125 }},
		{"kept + co labels 0.5 + kNN co 0.5", func(p *modelParams) { histWeightFull, coLabelWeight, knnCoWeight = 125, 0.5, 0.5 }},
	}
}

// saved6b holds the package defaults of the r6b knobs.
var saved6b = struct {
	c, ref, full, pow, min float64
	co                     float32
	knnCo                  float64
	demand, place          float32
}{histWeightC, histWeightRef, histWeightFull, histWeightPow, histWeightMin, coLabelWeight, knnCoWeight, clauseDemandWeight, clausePlaceWeight}

// reset6b puts every r6b knob back to its package default.
func reset6b() {
	s := saved6b
	histWeightC, histWeightRef, histWeightFull, histWeightPow, histWeightMin = s.c, s.ref, s.full, s.pow, s.min
	coLabelWeight, knnCoWeight = s.co, s.knnCo
	clauseDemandWeight, clausePlaceWeight = s.demand, s.place
}

// cutHistory is a seeded share of a split's history, in its original order.
func cutHistory(h []Example, frac float64, seed uint64) []Example {
	if frac >= 1 {
		return h
	}
	perm := rand.New(rand.NewPCG(seed+7, 5)).Perm(len(h))
	keep := perm[:int(frac*float64(len(h)))]
	slices.Sort(keep)
	out := make([]Example, 0, len(keep))
	for _, i := range keep {
		out = append(out, h[i])
	}
	return out
}

func expTune6b(t *testing.T) {
	depts, tickets, kb := loadDev(t)
	tok := WordTokenizer(analysis.Shared())
	splits := expSplits(tickets)
	fracs := []float64{1, 0.5}
	if v := os.Getenv("ROUTING_EXP_FRAC"); v != "" {
		fracs = nil
		for _, f := range strings.Split(v, ",") {
			x, err := strconv.ParseFloat(f, 64)
			if err != nil {
				t.Fatal(err)
			}
			fracs = append(fracs, x)
		}
	}
	defer reset6b()
	for ci, c := range configs6b() {
		if !expPicked(ci) {
			continue
		}
		for _, frac := range fracs {
			reset6b()
			histWeightFull = 0 // configs are relative to the fixed weight
			params := defaultParams()
			c.set(&params)
			hists := histories(splits)
			for si := range hists {
				hists[si] = cutHistory(hists[si], frac, uint64(si))
			}
			ta := innerTally(hists, func(train []Example) *model { return buildModel(tok, depts, train, kb, nil, params) })
			fmt.Printf("%2d %-36s hist %3.0f%% inner %s\n", ci, c.name, 100*frac, ta.line())
		}
	}
}

func TestExperiment6b(t *testing.T) {
	switch os.Getenv("ROUTING_EXP") {
	case "tune6b":
		expTune6b(t)
	case "outer6b":
		defer reset6b()
		defer func(p modelParams) { evalParams = p }(evalParams)
		cs := configs6b()
		for _, s := range strings.Split(os.Getenv("ROUTING_EXP_CFG"), ",") {
			ci, err := strconv.Atoi(s)
			if err != nil || ci < 0 || ci >= len(cs) {
				t.Fatalf("ROUTING_EXP_CFG: config index, got %q", s)
			}
			reset6b()
			histWeightFull = 0
			evalParams = defaultParams()
			cs[ci].set(&evalParams)
			expEvalGuide(t, cs[ci].name+", no guide", false)
			expEvalGuide(t, cs[ci].name+", guide", true)
		}
	case "curve6b":
		// The fifth pass's learning curve on the outer splits, before
		// (fixed weight) and with the kept size-dependent weight.
		defer reset6b()
		for _, full := range []float64{0, saved6b.full} {
			reset6b()
			histWeightFull = full
			fmt.Printf("histWeightFull %.0f\n", full)
			expCurve(t)
		}
	default:
		t.Skip("set ROUTING_EXP=tune6b, outer6b or curve6b")
	}
}
