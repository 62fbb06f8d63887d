package routing

import (
	"fmt"
	"github.com/hallgate/hallgate/knowledgebase/analysis"
	"os"
	"strconv"
	"strings"
	"testing"
)

// urgCase is one request with its urgency label.
type urgCase struct {
	Text   string `json:"text"`
	Type   string `json:"type"`
	Urgent bool   `json:"urgent"`
}

// urgTally counts the lexicon's urgency decisions over cases, each with its
// labelled type (no history: the lexicon alone).
func urgTally(cases []urgCase) (tp, fn, fp, tn int) {
	for _, c := range cases {
		got, _ := urgentByLexicon(c.Text, c.Type)
		switch {
		case got && c.Urgent:
			tp++
		case c.Urgent:
			fn++
		case got:
			fp++
		default:
			tn++
		}
	}
	return
}

// TestExperiment7 (ROUTING_EXP=urglex) measures the urgency lexicon's
// variants, alone with the labelled type, on the dev tickets, on the even
// and odd lines of set 1 of urgency_examples.jsonl (written blind to the
// lexicon; the even lines' misses were read when widening it, the odd
// lines' never) and on set 2 (measured once, after the lexicon was final).
func TestExperiment7(t *testing.T) {
	if os.Getenv("ROUTING_EXP") != "urglex" {
		t.Skip("set ROUTING_EXP=urglex")
	}
	_, dev, _ := loadDev(t)
	var devCases []urgCase
	for _, e := range dev {
		devCases = append(devCases, urgCase{Text: e.Text, Type: e.Type, Urgent: e.Urgent})
	}
	held, held2 := loadUrgSet(t, 1), loadUrgSet(t, 2)
	defer func(a, b, c, d bool) { urgMore, urgVague, urgVulnerable, urgOver = a, b, c, d }(urgMore, urgVague, urgVulnerable, urgOver)
	for _, v := range []struct {
		name                 string
		more, vague, vul, ov bool
	}{
		{"original lexicon", false, false, false, false},
		{"+more", true, false, false, false},
		{"+more +over", true, false, false, true},
		{"+more +over +vulnerable", true, false, true, true},
		{"+more +over +vulnerable +vague", true, true, true, true},
		{"+more +vulnerable +vague (no over)", true, true, true, false},
	} {
		urgMore, urgVague, urgVulnerable, urgOver = v.more, v.vague, v.vul, v.ov
		line := fmt.Sprintf("%-36s", v.name)
		var even, odd []urgCase
		for i, c := range held {
			if i%2 == 0 {
				even = append(even, c)
			} else {
				odd = append(odd, c)
			}
		}
		for _, set := range [][]urgCase{devCases, even, odd, held2} {
			if len(set) == 0 {
				continue
			}
			tp, fn, fp, tn := urgTally(set)
			line += fmt.Sprintf(" | R %3d/%3d %.3f P %.3f fp %2d/%3d", tp, tp+fn, ratio(tp, tp+fn), ratio(tp, tp+fp), fp, fp+tn)
		}
		fmt.Println(line)
	}
}

// expConcepts swaps in the lexicon file named by ROUTING_EXP_CONCEPTS
// (several joined by commas), if set.
func expConcepts(t *testing.T) {
	text, ok := expFiles(t, "ROUTING_EXP_CONCEPTS")
	if !ok {
		return
	}
	cs, err := ParseConcepts(text)
	if err != nil {
		t.Fatal(err)
	}
	old := defaultConcepts
	defaultConcepts = NewConceptIndex(cs)
	t.Cleanup(func() { defaultConcepts = old })
	t.Logf("lexicon: %d concepts", len(cs))
}

// TestExperiment7Concepts (ROUTING_EXP=tune7) scores the concept lexicon
// on 3 inner folds of each split's history (ROUTING_EXP_REPEAT lists the
// feature repeats, default "0,1,2"); ROUTING_EXP=outer7 runs the ten outer
// splits at ROUTING_EXP_REPEAT (learned only, and with the guide).
//
// Seventh pass (2026-11-27): the concept lexicon (concepts.go), written by
// two writers from general knowledge of Chinese public administration, who
// read departments.json but never the tickets, the KB or the guide. Inner
// top-1/top-3/type (1,875 cases; without it 0.727/0.865/0.792): the second
// writer's half alone ×1 0.735/0.874, ×2 0.750/0.885; both halves ×2
// 0.777/0.899/0.788, ×3 0.789/0.906/0.785, ×4 0.792/0.908/0.785, ×6
// 0.798/0.912/0.787, ×8 0.798/0.915/0.783 — KEPT at ×6. The type dip came
// from the type model's closeness to a KB question, which the shared
// concept features inflated: with that cosine and direct answers taken
// without concept features, ×6 gives 0.798/0.912/0.793. Outer, ten splits,
// learned only: top-1 0.749/0.680 → 0.777/0.720, top-3 0.871/0.787 →
// 0.899/0.827, type 0.850/0.740 → 0.851/0.740, urgent recall 1.000,
// direct-answer recall 0.850 → 0.828 (precision 0.919 → 0.917); with the
// guide top-1 0.833/0.733 → 0.861/0.800, top-3 0.962/0.920 → 0.971/0.900.
// Then two more writers, under the same rules, added 15–30 everyday terms
// to every concept (~5,400 terms; 220 concepts, ~10,100 terms in all).
// Inner at ×4/×6: 0.791/0.917, 0.795/0.922 (type 0.793/0.792) against
// 0.798/0.912 — top-1 within the noise, top-3 +0.010. Outer at ×6: top-1
// 0.771/0.707, top-3 0.917/0.880 (against 0.777/0.720, 0.899/0.827), type
// 0.851/0.740; with the guide 0.860/0.800, 0.977/0.947. KEPT: top-3 rises
// beyond the noise on both, most on the worst split (+0.053), while top-1
// moves within it, and the wider coverage is what carries to a city whose
// callers use words the dev tickets never did. The repeat re-checked on the
// wider lexicon: ×8 0.794/0.924, ×10 0.797/0.926 (type 0.792 both) — flat
// with ×6 within the noise, so ×6 stays. Two more writers then added
// ~1,050 terms meant to settle the borders between neighbouring
// departments (城管/住建/燃气, 应急/住建, 环保/水务, 交通/交警, 人社/市场监管,
// 数据局/the rest, 自然资源/住建, 民政/卫健/医保, 商务/市场监管) to 59 concepts:
// inner ×6 0.794/0.921 (against 0.795/0.922), outer 0.767/0.707, top-3
// 0.913/0.860 (against 0.771/0.707, 0.917/0.880). Not kept: the lexicon has
// stopped paying on these tickets. The type model's hazard cue taken from
// the widened urgency lexicon's verdict instead of the old hazard phrases:
// inner type 0.785 against 0.792 — not kept (code removed). The shipped
// urgency examples (494, with their writers' type labels) as extra type
// training at 0.3 / 1 of a history ticket's weight: inner type 0.787 /
// 0.781 — not kept (code removed): their types are skewed to live risks
// and near-misses, not a city's mix.
func TestExperiment7Concepts(t *testing.T) {
	mode := os.Getenv("ROUTING_EXP")
	if mode != "tune7" && mode != "outer7" {
		t.Skip("set ROUTING_EXP=tune7 or outer7")
	}
	expConcepts(t)
	reps := []int{0, 1, 2}
	if v := os.Getenv("ROUTING_EXP_REPEAT"); v != "" {
		reps = nil
		for _, s := range strings.Split(v, ",") {
			n, err := strconv.Atoi(s)
			if err != nil {
				t.Fatal(err)
			}
			reps = append(reps, n)
		}
	}
	defer func(r int) { conceptRepeat = r }(conceptRepeat)
	if mode == "outer7" {
		for _, r := range reps {
			conceptRepeat = r
			expEvalGuide(t, fmt.Sprintf("concepts ×%d", r), false)
			expEvalGuide(t, fmt.Sprintf("concepts ×%d, guide", r), true)
		}
		return
	}
	depts, tickets, kb := loadDev(t)
	tok := WordTokenizer(analysis.Shared())
	hists := histories(expSplits(tickets))
	for _, r := range reps {
		conceptRepeat = r
		ta := innerTally(hists, func(train []Example) *model { return buildModel(tok, depts, train, kb, nil, defaultParams()) })
		fmt.Printf("concepts ×%d inner %s\n", r, ta.line())
	}
}

// TestExperiment7DA (ROUTING_EXP=da7) scores direct answers on 3 inner
// folds of each split's history with a bonus for an entry whose keyword
// the request contains (directKeywordBonus), one pass per fold;
// ROUTING_EXP_DEPTH sets how many KB hits are reranked. Offers allowed
// from the top two departments (30 hits, bonus 0.1): recall 0.905,
// precision 0.899, fit 0.536; from any department 0.961, 0.903, 0.497 —
// against the lead only 0.866, 0.896, 0.580, which stays (code removed).
func TestExperiment7DA(t *testing.T) {
	if os.Getenv("ROUTING_EXP") != "da7" {
		t.Skip("set ROUTING_EXP=da7")
	}
	depts, tickets, kb := loadDev(t)
	tok := WordTokenizer(analysis.Shared())
	search := NewBM25(kb).Search
	kbByID := map[string]KBEntry{}
	for _, e := range kb {
		kbByID[e.ID] = e
	}
	defer func(b float32, d int) { directKeywordBonus, directSearchDepth = b, d }(directKeywordBonus, directSearchDepth)
	if v := os.Getenv("ROUTING_EXP_DEPTH"); v != "" {
		directSearchDepth, _ = strconv.Atoi(v)
	}
	bonuses := []float32{0, 0.05, 0.1, 0.2, 0.5}
	tallies := innerDA(t, histories(expSplits(tickets)), func(train []Example) *model { return buildModel(tok, depts, train, kb, nil, defaultParams()) },
		search, kbByID, len(bonuses), func(i int) { directKeywordBonus = bonuses[i] })
	for bi, b := range bonuses {
		mt := tallies[bi].Metrics()
		fmt.Printf("depth %d keyword bonus %.2f: inner daR %.3f daP %.3f daFit %.3f\n", directSearchDepth, b, mt.DARecall, mt.DAPrecision, mt.DAFit)
	}
}
