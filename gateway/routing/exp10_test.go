package routing

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// TestExperiment10 is the tenth pass (ROUTING_EXP=10b, 10w; ROUTING_BLIND
// names the blind sets). Five writers, each given only departments.json,
// the dispatch guide and a brief (no tickets, KB or code), wrote 200
// labelled tickets each (sets A–E, kept outside the repository); every dev
// ticket is the history. Top-1 / top-3 (dev: mean of the ten splits):
//
//	                           dev          A            B            C
//	before the pass            0.866/0.951  0.840/0.965  0.855/0.965  0.765/0.960
//	来电 set apart (kept)       0.867/0.953  0.850/0.965  0.865/0.970  0.770/0.965
//	  + type words blanked     0.865/0.954  0.845/0.965  —            0.770/0.955   (not kept)
//	  + lexicon widened (kept) 0.869/0.953  0.850/0.970  0.865/0.975  0.790/0.955
//	  + synonym groups as one  0.883/0.954  0.850/0.965  0.850/0.985  0.795/0.960   (not kept)
//	    feature each
//
// 来电表扬 / 来电表示 read as 电表 (the meter) and sent praise to the power
// company; the frame is now set apart (requestText). The lexicon's new words
// came from the misses of A and C only (general everyday words: 双排停,
// 上吐下泻, 电梯下滑, 美发卡, 轮渡…); B was measured before and after, D and E
// only once, at the end. Synonym groups (every member of a group emitting
// one "g:" feature instead of every synonym its own "w:" feature) helped the
// dev splits (+0.014) but not the blind sets (A 0, B −0.015, C +0.005) and
// cost direct-answer recall (A 0.919 → 0.855, C 0.902 → 0.852); not kept,
// its code removed. Blanking the type words (求助, 投诉…) out of the
// department features changed nothing beyond noise; its code removed.
//
// Starter examples (TestSeeds; starter.go): 1,000 requests written by five
// more writers given only departments.json (no guide, tickets or KB), added
// to the history. Dev splits 0.869/0.953, type 0.851 → 0.879/0.969, type
// 0.863 (top-1 ≥ 0.85 in 8 of 10, top-3 ≥ 0.95 in 9, type ≥ 0.85 in 7); A
// 0.875/0.985, B 0.885/0.985, C 0.840/0.990, D 0.875/0.985, E 0.865/0.990
// (D and E before: 0.815/0.955, 0.820/0.965); urgent recall 1.0 throughout.
// As shipped (prepended as the oldest history; ROUTING_EXP=10w, weight 1):
// dev 0.873/0.972, type 0.863; A 0.885/0.980, B 0.895/0.985, C 0.840/0.990,
// D 0.885/0.980, E 0.885/0.990; type A–E 0.875/0.915/0.905/0.785/0.825.
// Weight 0.5: dev 0.865/0.969, A–E top-1 0.880/0.895/0.840/0.870/0.870;
// weight 2: dev 0.879/0.965, A–E 0.895/0.895/0.855/0.885/0.885 — within
// the noise of weight 1, which stays.
// Beside the dev city's guide (eval --guide): all starters 0.885/0.987, type
// 0.863; none 0.869/0.981, 0.850; only those no guide clause of another
// department matched at guideEvidenceMin (569 of 1,000) 0.857/0.974, 0.861.
// All starters also sent the demo city's 餐饮油烟 to 生态环境局 against its
// guide, so beside a guide they step back (besideGuide), as the duty
// templates' documents do.
// Sets A–C themselves as seeds (labelled by the guide, so not shipped): dev
// 0.913/0.997, D 0.965/1.000, E 0.935/0.995.
func TestExperiment10(t *testing.T) {
	switch os.Getenv("ROUTING_EXP") {
	case "10w":
		// Starter weight (ROUTING_SEEDS empty: the shipped starters).
		defer func(w float32) { starterWeight = w }(starterWeight)
		for _, w := range []float32{0.5, 1, 2} {
			starterWeight = w
			expEval(t, fmt.Sprintf("starter weight %.1f", w))
		}
	case "10b":
		expEval(t, "lexicon widened from A and C")
	default:
		t.Skip("set ROUTING_EXP=10b or 10w")
	}
}

// TestSeeds (ROUTING_EXP=seeds, ROUTING_SEEDS=a.jsonl,b.jsonl,
// ROUTING_SEEDTEST=d.jsonl,…): the dev splits with the seed tickets added to
// every split's history, then each extra test set with every dev ticket and
// the seeds as history.
func TestSeeds(t *testing.T) {
	if os.Getenv("ROUTING_EXP") != "seeds" {
		t.Skip("set ROUTING_EXP=seeds")
	}
	depts, tickets, kb := loadDev(t)
	var seeds []Example
	for _, p := range strings.Split(os.Getenv("ROUTING_SEEDS"), ",") {
		if p == "" {
			continue
		}
		s, err := ReadJSONLFile[Example](p)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, s...)
	}
	kbByID := map[string]KBEntry{}
	for _, e := range kb {
		kbByID[e.ID] = e
	}
	search := NewBM25(kb).Search
	tok := WordTokenizer(analysis.Shared())
	var ms []Metrics
	for _, sp := range MakeSplits(tickets, EvalOptions{}) {
		m := buildModel(tok, depts, append(slices.Clone(sp.History), seeds...), kb, nil, evalParams)
		mt, err := scoreSplit(t.Context(), m, nil, search, kbByID, sp.Test)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, mt)
	}
	mean, worst := summarise(ms)
	n1, n3, nt := 0, 0, 0
	for _, m := range ms {
		if m.Top1 >= 0.85 {
			n1++
		}
		if m.Top3 >= 0.95 {
			n3++
		}
		if m.Type >= 0.85 {
			nt++
		}
	}
	fmt.Printf("dev + %d seeds: top1 %.3f/%.3f (%d of 10) top3 %.3f/%.3f (%d) type %.3f/%.3f (%d) urgR %.2f daR %.3f daFit %.3f\n", len(seeds), mean.Top1, worst.Top1, n1, mean.Top3, worst.Top3, n3, mean.Type, worst.Type, nt, worst.UrgentRecall, mean.DARecall, mean.DAFit)
	for _, p := range strings.Split(os.Getenv("ROUTING_SEEDTEST"), ",") {
		if p == "" {
			continue
		}
		test, err := ReadJSONLFile[Example](p)
		if err != nil {
			t.Fatal(err)
		}
		m := buildModel(tok, depts, append(slices.Clone(tickets), seeds...), kb, nil, evalParams)
		mt, err := scoreSplit(t.Context(), m, nil, search, kbByID, test)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("  %s: top1 %.3f top3 %.3f type %.3f urgR %.2f daR %.3f daFit %.3f\n", p, mt.Top1, mt.Top3, mt.Type, mt.UrgentRecall, mt.DARecall, mt.DAFit)
	}
}

// TestBuildStarters (ROUTING_EXP=buildstarters, ROUTING_STARTER_SRC=a.jsonl,…)
// writes starter.jsonl from the writers' files, which label by one city's
// department codes: each code becomes its department's template kind.
func TestBuildStarters(t *testing.T) {
	if os.Getenv("ROUTING_EXP") != "buildstarters" {
		t.Skip("set ROUTING_EXP=buildstarters")
	}
	depts, _, _ := loadDev(t)
	kindOf := map[string]string{}
	for i, n := range templateNames(depts) {
		if n == "" {
			t.Fatalf("department %s has no template", depts[i].Code)
		}
		kindOf[depts[i].Code] = n
	}
	var b strings.Builder
	n := 0
	for _, p := range strings.Split(os.Getenv("ROUTING_STARTER_SRC"), ",") {
		exs, err := ReadJSONLFile[Example](p)
		if err != nil {
			t.Fatal(err)
		}
		for _, ex := range exs {
			k, ok := kindOf[ex.Department]
			if !ok || typeIndex(ex.Type) < 0 || ex.Text == "" {
				t.Fatalf("%s %s: department %q type %q", p, ex.ID, ex.Department, ex.Type)
			}
			line, err := json.Marshal(starterExample{Kind: k, Text: ex.Text, Type: ex.Type, Channel: ex.Channel})
			if err != nil {
				t.Fatal(err)
			}
			b.Write(line)
			b.WriteByte('\n')
			n++
		}
	}
	if err := os.WriteFile("starter.jsonl", []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("wrote %d starter examples\n", n)
}
