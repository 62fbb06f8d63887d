package routing

import (
	"context"
	"fmt"
	"github.com/hallgate/hallgate/knowledgebase/analysis"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// expEval runs all ten splits (5 random, 5 folds) with the package's BM25 KB
// backend (direct answers do not change department or type scores) and
// prints one line of means and worsts.
func expEval(t *testing.T, name string) Report {
	return expEvalGuide(t, name, false)
}

// expEvalGuide is expEval with the development city's dispatch guide in the
// catalogue when guide is set (skipped when the guide is absent). Its line
// adds direct-answer recall/precision and co-department recall/precision.
func expEvalGuide(t *testing.T, name string, guide bool) Report {
	data := devData(t)
	opts := EvalOptions{
		DepartmentsFile: filepath.Join(data, "departments.json"),
		KBFile:          filepath.Join(data, "kb_dev.jsonl"),
		TicketsFile:     filepath.Join(data, "tickets_dev.jsonl"),
		KBBackend:       "bm25",
	}
	if guide {
		opts.GuideFile = filepath.Join(data, "dispatch_guide.md")
		if _, err := os.Stat(opts.GuideFile); err != nil {
			t.Skipf("dispatch guide absent: %v", err)
		}
	}
	var out testWriter
	rep, err := Evaluate(context.Background(), &out, opts)
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("ROUTING_EXP_TABLE") != "" {
		fmt.Println(out.String())
	}
	fmt.Printf("%-36s top1 %.3f/%.3f top3 %.3f/%.3f type %.3f/%.3f urgR %.2f urgP %.2f daR %.3f daP %.3f coR %.3f coP %.3f\n", name, rep.Mean.Top1, rep.Worst.Top1, rep.Mean.Top3, rep.Worst.Top3, rep.Mean.Type, rep.Worst.Type, rep.Worst.UrgentRecall, rep.Mean.UrgentPrecision, rep.Mean.DARecall, rep.Mean.DAPrecision, rep.Mean.CoRecall, rep.Mean.CoPrecision)
	// ROUTING_BLIND: comma-separated labelled sets measured with every dev
	// ticket as history (the blind writers' sets of the tenth pass).
	for _, path := range strings.Split(os.Getenv("ROUTING_BLIND"), ",") {
		if path == "" {
			continue
		}
		o := opts
		o.TestFile = path
		var out testWriter
		r, err := Evaluate(context.Background(), &out, o)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("%-36s top1 %.3f top3 %.3f type %.3f urgR %.2f  (%s)\n", "  "+filepath.Base(path), r.Mean.Top1, r.Mean.Top3, r.Mean.Type, r.Mean.UrgentRecall, name)
	}
	return rep
}

// loadDev reads the development city's departments, tickets and KB.
func loadDev(t *testing.T) ([]DepartmentInfo, []Example, []KBEntry) {
	data := devData(t)
	depts, err := LoadDepartments(filepath.Join(data, "departments.json"))
	if err != nil {
		t.Fatal(err)
	}
	tickets, err := ReadJSONLFile[Example](filepath.Join(data, "tickets_dev.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	kb, err := ReadJSONLFile[KBEntry](filepath.Join(data, "kb_dev.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return depts, tickets, kb
}

// TestExperiment is the second-pass sweep harness; skipped unless
// ROUTING_EXP is set (1, blend, linear, sgd, ngram4, components).
//
// Measured on the ten dev splits (mean/worst top-1), second pass:
// baseline 0.715/0.640; duty-clause BM25 in the blend (kept, w 0.8, power 2)
// 0.726/0.667; department-name masking no effect (2 of 250 tickets name a
// department); KB-vote with words+synonyms or max-per-department ≤ 0.721;
// KB doc weight 0.5/2 → 0.718/0.701; duty doc weight 1/6 → 0.712/0.717;
// char 4-grams 0.719 (top-3 0.846); blend weights and SGD epochs/rate flat
// within ±0.01. Type: KB questions as enquiries, punctuation cues, balance
// 0.5, type-supervised term weights all within ±0.006 of 0.827. The
// oracle over the five scorers is top-1 0.844: re-weighting alone cannot
// reach 0.85 on this data.
//
// Third pass (exp_errors_test.go, ROUTING_EXP=3a…3o; mean/worst top-1,
// mean top-3, mean type; baseline 0.726/0.667, 0.859, 0.827). Error analysis
// (ROUTING_EXP=errors, five folds): 72 of 250 wrong, the true department in
// the blend's top 3 for 37; the KB vote alone was right on 18 of them, the
// linear 10, kNN 9, duty 8, centroid 3; mistakes spread over many pairs
// (urban→police-traffic/housing/civil, samr→housing/edu, eco↔water), often
// where a place or bystander word (school, estate, hospital) outweighs the
// object of the request. Ideas:
//   - KB answers weight 0 / 0.5 / 2: 0.691/0.600 / 0.713/0.653 / 0.725/0.660;
//     answers split into sentences (w 1, 0.5): 0.713/0.640, 0.716/0.680
//     (top-3 0.865); KB keywords as their own document: 0.715/0.640.
//   - neighbours may be KB answers: 0.728/0.680, top-3 0.857.
//   - KB vote on the text without address spans 0.724/0.667; KB vote IDF ×
//     supervised term weight (^0.5, ^1) 0.724, 0.725.
//   - BM25 vote over history tickets (0.3, 0.6): 0.719/0.660, 0.715/0.660.
//   - confidence gate (add the scorer with the largest top margin, boost
//     0.5/1/3): 0.708/0.667, 0.698/0.653, 0.701/0.660.
//   - complement naive Bayes (WCNB) as a sixth scorer: alone 0.705/0.680
//     (top-3 0.850, best worst-split of any single scorer); in the fixed
//     blend (0.5–1, temp 10–100) 0.724–0.729/0.667–0.680.
//   - stacking (conditional logit over per-(ticket, department) features:
//     each scorer's share, reciprocal rank, agreement count; inner folds of
//     the history only): 4 folds, L2 0.01 0.724/0.640 top-3 0.866; L2 0.001
//     0.730/0.653 top-3 0.873; L2 0 0.729/0.653; L2 0.1 0.729/0.660. With
//     CNB 0.734/0.660 top-3 0.868. Adding each scorer's share × its own top
//     share (confidence) as features: 0.732/0.640; + CNB 0.735/0.660; + CNB +
//     answer neighbours 0.741/0.660 top-3 0.871; the same with L2 0.01
//     0.730/0.660, with CNB 1.0 0.741/0.660; with 5 inner folds 0.744/0.680
//     top-3 0.872/0.787, type and urgent recall unchanged — KEPT (stack.go,
//     cnb.go; default since this pass). Side effects: direct-answer recall
//     0.845→0.838, urgent precision mean 0.611→0.606 (the lead changes on
//     some tickets); the ten-split evaluation takes ~40 s instead of 7 s.
//   - type: the lead department as a type feature (0.3/0.6/1): 0.813,
//     0.798, 0.765; cue features of the last clause (+ ends in a question;
//     0.4–0.8, 10–24 runes): 0.806–0.815; no cue features 0.716; cues
//     doubled 0.814; type SGD epochs 4/16: 0.824/0.825, rate 0.5/8:
//     0.807/0.795. None of these kept.
//   - type: closeness to the nearest KB question (its cosine, as one
//     feature; a request that matches a KB question is usually an enquiry)
//     at 0.5/1/1.5/2/3: 0.831, 0.839, 0.833/0.760, 0.823, 0.821/0.760 —
//     KEPT at 1 (0.827→0.839, worst 0.740 unchanged; direct-answer recall
//     0.838→0.870, precision 0.865→0.879; department metrics unchanged);
//     the peak is narrow, so read it as +0.005…0.012. The feature is the
//     best KB cosine among the top-12 neighbours (0 when none is a KB
//     question); the exact best KB cosine over all KB entries gave 0.836.
//     Training it costs one neighbour search per ticket, so with it the type
//     model learns from the most recent 5,000 tickets.
//   - after both were kept (0.744/0.680, top-3 0.872/0.787, type 0.839):
//     a department-prior feature (log history share) in the stacker
//     0.743/0.680 top-3 0.870; class-balanced one-vs-rest logistic models
//     (ovr.go) as a scorer, fixed blend 0.732/0.680 top-3 0.852, stacked
//     0.741/0.680 top-3 0.871; the linear model on the first sentence alone
//     as a scorer, stacked 0.741/0.680; type: length band + question count
//     (0.3, 0.6) 0.837/0.720, 0.827/0.700. None kept (knobs left off).
//     With these two extra (off) scorers in the code the agreement feature
//     is divided by 9 instead of 7, which alone moves the kept default to
//     0.749/0.680, top-3 0.871/0.787, type 0.839/0.740: differences under
//     ~0.005 here are noise of this kind. Figures can also move by ±0.001
//     between runs: CNB and term weights sum over maps in random order.
//     Fitting the stacker to convergence (heavy-ball momentum 0.9, 300
//     steps, |gradient| ~1e-4) instead of 1000 plain steps (|gradient|
//     ~2e-3, an implicit pull towards the fixed blend): 0.743/0.680, top-3
//     0.871, so plain steps stay.
//   - the best single KB question (+ keywords) match per department (BM25,
//     each entry its own short document, as the duty clauses) as a scorer,
//     stacked, 0.3/0.6: 0.744/0.660, 0.740/0.660 (top-3 0.870); code removed. The types of the
//     neighbouring history tickets as features (0.5/1, self excluded in
//     training): 0.795, 0.788; both together 0.803.
//   - landmark phrases dropped like addresses (up to 2 or 4 Han characters
//     before 门口/附近/旁边/周边/对面/周围, on history and requests alike):
//     0.741/0.680 top-3 0.870 and 0.741/0.680 top-3 0.869/0.800 against
//     0.749/0.680 in the same run; code removed.
//
// Fourth pass: the city's dispatch guide in the catalogue (issue #4; guide.go,
// scope.go). ROUTING_EXP=guide prints the ten splits without and with
// ../shared/data/dispatch_guide.md (ROUTING_EXP_TABLE=1 for the full
// tables); ROUTING_EXP=guidetune (exp_guide_test.go) chose the knobs on 3
// inner folds of each split's HISTORY part only (1,875 inner cases over the
// ten splits; the test parts were not looked at). Inner top-1/top-3 (with
// every document's weights, before scopeKeepsWeights):
//   - no guide 0.728/0.866; the guide-clause scorer alone in the stack (no
//     scope documents) 0.758/0.924;
//   - one document per department of its clauses at 0.5/1/2/3 × the duty
//     weight: 0.782/0.930, 0.800/0.938, 0.811/0.947, 0.815/0.950;
//   - one document per clause at 0.5/1/2/3: 0.807/0.945, 0.820/0.951,
//     0.837/0.955, 0.836/0.952 — KEPT at 2;
//   - the clauses also in the 三定 duty-clause index: 0.803 (per-department
//     documents), 0.822 (clause documents at 1);
//   - no guide scorer in the stack (documents only) 0.788/0.931; the guide
//     scorer's starting stack weight 1.6 instead of 0.8: 0.796/0.937;
//   - priority 8 / 2 on every guide line (scale 1.5 / 0.5): 0.810 / 0.782
//     (guide lines stay at 5);
//   - the guide's urgent phrases dropped: identical (none occurs verbatim in
//     a dev ticket; kept, they cost nothing); a type model whose document
//     frequencies leave the scope documents out: type 0.767 against 0.766.
//   - with the clause documents every other feature's frequency and
//     supervised weight moved, and with them the neighbours: inner urgent
//     precision 0.515→0.468, type 0.770→0.766. Letting scope documents add
//     only features nothing else has (scopeKeepsWeights): inner 0.835/0.956,
//     type 0.770, urgent precision 0.515 — KEPT (outer top-1 0.845→0.833,
//     urgent precision 0.54→0.61, type 0.831→0.837).
//   - co-departments from the lead's guide clauses (guide ones only, inner
//     recall/precision of 180 labelled): best clause, BM25 ≥ 4/12/16:
//     0.394/0.587, 0.394/0.670, 0.350/0.692; also other clauses ≥ 0.7/0.85
//     of the best at ≥ 12: 0.511/0.438, 0.483/0.521. As a share of the
//     clause's own score (independent of the index size): ≥ 0.05/0.10/0.15/
//     0.20/0.40, best only: 0.383/0.611, 0.383/0.750, 0.339/0.726,
//     0.300/0.750, 0.128/1.000; with ≥ 0.85 of the best: 0.472/0.470,
//     0.472/0.574, 0.428/0.575 — KEPT at 0.10 and 0.85 (best F1).
//   - after that, on the kept defaults: clauses also in the duty-clause
//     index 0.838/0.957, clause documents at 4 0.840/0.952 — within the
//     ±0.005 noise, not kept; the guide scorer's power 1 / 3 instead of 2
//     (ROUTING_EXP_GUIDEPOWER): 0.838/0.958, 0.835/0.956 — noise, kept at 2.
//
// Outer, ten splits, same run, without → with the guide: top-1 0.749/0.680
// → 0.833/0.733, top-3 0.871/0.787 → 0.962/0.920, type 0.839/0.740 →
// 0.837/0.740, urgent recall 1.000 both, urgent precision 0.61 both,
// direct-answer recall 0.854 → 0.838, precision 0.887 → 0.891, co-department
// recall 0.000 → 0.405 (precision 0.900 → 0.511: without the guide almost
// none is proposed).
//
// Fifth pass: learned only (no guide; the hidden evaluation has none),
// exp5_test.go. Knobs chosen on 3 inner folds of each split's HISTORY part
// (ROUTING_EXP=tune5, 1,875 inner cases; kept defaults inner top-1 0.728,
// top-3 0.866, type 0.770 — type on the stacker-free variant, which does
// not change it; urgent recall 1.000 everywhere). Outer figures are the ten
// splits. Nothing below moved inner top-1/top-3 beyond the ±0.005 noise,
// so nothing was kept; the outer result is unchanged at top-1 0.749/0.680,
// top-3 0.871/0.787, type 0.839/0.740 (with the guide 0.833/0.733,
// 0.962/0.920, 0.837/0.740).
//   - ROUTING_EXP=curve: where the true department sits (625 outer test
//     cases, pooled): rank 1 466, 2 55, 3 22, 4 23, 5 8, 6–10 24, 11–24 27.
//     Top-5 would be 0.920, but 51 cases (8 %) sit at rank ≥ 6, where no
//     re-weighting of these scorers reaches them. Type mistakes: help taken
//     for a complaint 27, report → complaint 16, complaint → enquiry 15,
//     help → enquiry 11 (help is right 65 of 103; enquiry 208/221,
//     complaint 139/166, report 50/70, suggestion and praise all right).
//   - bagging the stacker: 10 bootstrap resamples of the held-out cases,
//     probabilities averaged: inner 0.726/0.865; weights averaged
//     0.725/0.863; the inner folds repeated with a second (shuffled) cut,
//     the cases pooled: 0.729/0.865. Knobs left off (stackBags,
//     stackBagMean, stackRepeats in stack.go; tune5 re-measures them).
//   - a BM25 vote over the KB on the analyzer's words and synonyms (the
//     gse segmentation with the default synonym groups, no char n-grams) as
//     a stacked scorer at 0.3/0.6: 0.724/0.862, 0.725/0.861. Code removed.
//   - personalised PageRank over a graph linking each history ticket, KB
//     entry and answer to its 8 nearest others (2 steps from the query's
//     neighbours, restart 0.5/0.3) as a stacked scorer at 0.5:
//     0.726/0.867, 0.729/0.867. Code removed.
//   - the department model averaged over 5 SGD orders: 0.727/0.864. Removed.
//   - type (stacker off, inner type 0.770): the type model averaged over
//     5/10 SGD orders 0.773/0.772; the cosine to each type's centroid of
//     analyzer words (the ticket left out of its own type's centroid in
//     training) as features at 0.3/0.6/1: 0.775/0.774/0.774 — on the outer
//     splits at 0.3 type 0.831/0.760 against 0.839/0.740, so not kept; a
//     two-stage model (enquiry or not from the first, then a model trained
//     on the non-enquiries, class-balanced among them): 0.765, with
//     centroids 0.767, with 5 orders 0.768. Code removed.
//   - the neighbour count and the KB vote's depth, never tuned under the
//     stacker (tune5 4–7): k 8/20 (12 kept) 0.727/0.866, 0.727/0.863; KB
//     vote k 10/40 (20 kept) 0.722/0.865, 0.724/0.862 — kept as they are.
//   - the history tickets' document weight (1 kept, beside KB 1 and duties
//     3; tune5 8–10): 2 / 0.5 / 0.25 inner 0.728/0.858, 0.732/0.871,
//     0.731/0.876 (type 0.770, 0.772, 0.773) — a steady trend, so checked
//     on the outer splits (ROUTING_EXP=outer5 ROUTING_EXP_HISTW=…): 0.5
//     top-1 0.737/0.660, top-3 0.865/0.800, type 0.830/0.740, urgent
//     precision 0.54; 0.25 0.732/0.640, 0.866/0.787, 0.827/0.740, 0.50
//     (with the guide 0.832/0.760 and 0.831/0.747). Worse than 1 on every
//     mean: inner models see two thirds of the history (~125 tickets
//     against ~187), and the less history there is the less it should
//     weigh against the KB and duties — the inner choice does not carry
//     over, so the weight stays at 1. (A weight that grows with the
//     history's size is the obvious next step; not tried.)
//   - KB categories as an intermediate label: not built — in the dev KB 17
//     of 22 categories hold one department each (the others: transport with
//     traffic police, utilities with water/power/gas), so a category model
//     would be a coarser department model over the same KB entries.
//   - learning curve (ROUTING_EXP=curve; each split's history cut to a
//     seeded 25/50/75/100 %, the same test parts; mean/worst): ~46 tickets
//     top-1 0.703/0.627, top-3 0.842/0.720, type 0.706; ~93: 0.725/0.627,
//     0.855/0.760, 0.781; ~140: 0.730/0.620, 0.869/0.813, 0.806; ~187:
//     0.749/0.680, 0.871/0.787, 0.843 (urgent recall 1.000 at every size).
//     Top-1 gains ~0.021 per doubling of the history, top-3 ~0.015, type
//     ~0.066. Read log-linearly (optimistic: such curves flatten), type
//     would reach 0.85 at ~210 tickets, top-1 0.85 only at ~6,000 and
//     top-3 0.95 at ~6,500 (32× this history): the type goal is near, the
//     department goals are not reached by more history of this kind alone.
//
// Sixth pass (2026-11-27), three lines of work, each chosen on inner folds
// of the histories: the request type (exp6a_test.go: a complement NB
// averaged with the logistic type model, KEPT — outer type 0.839/0.740 →
// 0.850/0.740; per-class offsets and finer cue families measured, off);
// the history's weight and labels (exp6b_test.go: a history weight growing
// with the history's size, KEPT, which leaves every dev split at weight 1;
// co-departments as soft labels and clause-role weighting, off); and a
// distributional-semantics scorer, NOT merged: word and character-bigram
// vectors from a PPMI matrix (±5 window) reduced by a randomised SVD (d 96),
// learned from every text the model has, used as a dense centroid, kNN or
// softmax scorer, as extra linear features, or for query expansion. On the
// same 1,875 inner cases (baseline 0.728/0.866) its 20 variants scored
// top-1 0.716–0.727, top-3 0.862–0.870; the strongest alone (a dense
// softmax, d 128, 0.629/0.813) was no better in the stack (0.716/0.864), and
// of the ~180 inner cases ranked ≥ 6 it put the true department in its top
// 3 for 10–24 and first for 0–2: with 1,195 texts a colloquial object word
// that never occurs in them has no vector, which is exactly what those
// cases lack. It added 0.9–2.6 s to a dev-size build. The 1,300 lines stay
// out of the product; they are commit b7cea5c (branch r6c) with their
// figures in its exp6c_test.go.
func TestExperiment(t *testing.T) {
	if os.Getenv("ROUTING_EXP") == "" {
		t.Skip("set ROUTING_EXP=1")
	}
	if os.Getenv("ROUTING_EXP") == "sgd" {
		defer func(p modelParams) { evalParams = p }(evalParams)
		for _, c := range [][2]float32{{4, 2}, {16, 2}, {8, 1}, {8, 4}} {
			evalParams = defaultParams()
			evalParams.Epochs, evalParams.LearnRate = int(c[0]), c[1]
			expEval(t, fmt.Sprintf("epochs=%.0f lr=%.0f", c[0], c[1]))
		}
		return
	}
	if os.Getenv("ROUTING_EXP") == "linear" {
		defer func(a float64) { blendLinear = a }(blendLinear)
		for _, w := range []float64{1, 1.5} {
			blendLinear = w
			expEval(t, fmt.Sprintf("blend linear=%.1f", w))
		}
		return
	}
	if os.Getenv("ROUTING_EXP") == "guide" {
		expEvalGuide(t, "without guide", false)
		expEvalGuide(t, "with guide", true)
		return
	}
	if os.Getenv("ROUTING_EXP") == "components" {
		expComponents(t)
		return
	}
	if os.Getenv("ROUTING_EXP") == "ngram4" {
		defer func() { ngram4 = false }()
		ngram4 = true
		expEval(t, "char 4-grams")
		return
	}
	if os.Getenv("ROUTING_EXP") == "blend" {
		defer func(a, b, c float64) { blendDuty, blendKB, blendCentroid = a, b, c }(blendDuty, blendKB, blendCentroid)
		for _, c := range [][3]float64{{0.5, 0.3, 0.6}, {1.2, 0.3, 0.6}, {0.8, 0.15, 0.6}, {0.8, 0.45, 0.6}, {0.8, 0.3, 0.4}, {0.8, 0.3, 0.9}} {
			blendDuty, blendKB, blendCentroid = c[0], c[1], c[2]
			expEval(t, fmt.Sprintf("blend duty=%.2f kb=%.2f cen=%.2f", c[0], c[1], c[2]))
		}
		return
	}
	expEval(t, "baseline")
	defer func(p modelParams) { evalParams = p }(evalParams)
	for _, kw := range []float32{0.5, 2} {
		evalParams = defaultParams()
		evalParams.KBWeight = kw
		expEval(t, fmt.Sprintf("kb weight %.1f", kw))
	}
	for _, dw := range []float32{1, 6} {
		evalParams = defaultParams()
		evalParams.DutyWeight = dw
		expEval(t, fmt.Sprintf("duty doc weight %.1f", dw))
	}
	evalParams = defaultParams()
	if os.Getenv("ROUTING_EXP") == "confusions" {
		expConfusions(t)
	}
}

// expConfusions tallies the department and type mistakes of the five folds
// (true → predicted), to see which pairs the method confuses.
func expConfusions(t *testing.T) {
	depts, tickets, kb := loadDev(t)
	dept, typ := map[string]int{}, map[string]int{}
	tok := WordTokenizer(analysis.Shared())
	for f := 0; f < 5; f++ {
		train, test := foldSplit(tickets, 5, f)
		m := buildModel(tok, depts, train, kb, nil, defaultParams())
		for _, ex := range test {
			p := m.predict(context.Background(), Query{Text: ex.Text, Channel: ex.Channel, District: ex.District}, nil)
			if got := m.depts[p.ranked[0]].Code; got != ex.Department {
				dept[ex.Department+" -> "+got]++
			}
			if p.typ != ex.Type {
				typ[ex.Type+" -> "+p.typ]++
			}
		}
	}
	for _, m := range []map[string]int{dept, typ} {
		keys := slices.SortedFunc(maps.Keys(m), func(a, b string) int { return m[b] - m[a] })
		for _, k := range keys {
			fmt.Printf("  %3d  %s\n", m[k], k)
		}
		fmt.Println("  --")
	}
}

// expComponents measures each department scorer alone on the five folds,
// the full blend, and the oracle "some scorer has it first" — an upper bound
// on what re-weighting these scorers could reach.
func expComponents(t *testing.T) {
	depts, tickets, kb := loadDev(t)
	saved := [5]float64{blendLinear, blendKNN, blendKB, blendCentroid, blendDuty}
	defer func() {
		blendLinear, blendKNN, blendKB, blendCentroid, blendDuty = saved[0], saved[1], saved[2], saved[3], saved[4]
	}()
	names := []string{"linear", "knn", "kb", "centroid", "duty", "blend"}
	configs := [][5]float64{{1, 0, 0, 0, 0}, {0, 1, 0, 0, 0}, {0, 0, 1, 0, 0}, {0, 0, 0, 1, 0}, {0, 0, 0, 0, 1}, saved}
	top1 := make([]int, len(configs))
	top3 := make([]int, len(configs))
	var any1, any3, n int
	tok := WordTokenizer(analysis.Shared())
	for f := 0; f < 5; f++ {
		train, test := foldSplit(tickets, 5, f)
		m := buildModel(tok, depts, train, kb, nil, defaultParams())
		for _, ex := range test {
			n++
			var a1, a3 bool
			for ci, c := range configs {
				blendLinear, blendKNN, blendKB, blendCentroid, blendDuty = c[0], c[1], c[2], c[3], c[4]
				p := m.predict(context.Background(), Query{Text: ex.Text, Channel: ex.Channel}, nil)
				for r := 0; r < 3; r++ {
					if m.depts[p.ranked[r]].Code == ex.Department {
						top3[ci]++
						a3 = true
						if r == 0 {
							top1[ci]++
							a1 = true
						}
					}
				}
			}
			if a1 {
				any1++
			}
			if a3 {
				any3++
			}
		}
	}
	for i, name := range names {
		fmt.Printf("  %-9s top1 %.3f top3 %.3f\n", name, float64(top1[i])/float64(n), float64(top3[i])/float64(n))
	}
	fmt.Printf("  oracle    top1 %.3f top3 %.3f (some scorer right)\n", float64(any1)/float64(n), float64(any3)/float64(n))
}
