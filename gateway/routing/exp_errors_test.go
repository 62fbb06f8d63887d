package routing

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// foldCase is one held-out ticket of a fold with every scorer's view of it.
type foldCase struct {
	ex    Example
	comp  components
	blend []float64
	typ   string
	m     *model
}

// foldCases trains on four fifths of the dev tickets five times and scores
// the held-out fifth, so every ticket is seen once as a test case.
func foldCases(t *testing.T) []foldCase {
	depts, tickets, kb := loadDev(t)
	tok := WordTokenizer(analysis.Shared())
	var out []foldCase
	folds, nHeld := 5, 0
	if path := os.Getenv("ROUTING_HELDOUT"); path != "" {
		// A separate labelled set: every dev ticket is history.
		held, err := ReadJSONLFile[Example](path)
		if err != nil {
			t.Fatal(err)
		}
		folds, nHeld = 1, len(held)
		tickets = append(tickets, held...)
	}
	for f := 0; f < folds; f++ {
		train, test := foldSplit(tickets, 5, f)
		if folds == 1 {
			n := len(tickets) - nHeld
			train, test = tickets[:n], tickets[n:]
		}
		m := buildModel(tok, depts, train, kb, nil, evalParams)
		for _, ex := range test {
			tf := counts(m.tok(m.routeText(ex.Text)))
			comp, _, _ := m.componentScores(context.Background(), ex.Text, m.df.vector(tf), tf)
			p := m.predict(context.Background(), Query{Text: ex.Text, Channel: ex.Channel, District: ex.District}, nil)
			out = append(out, foldCase{ex: ex, comp: comp, blend: p.scores, typ: p.typ, m: m})
		}
	}
	return out
}

func argmax(x []float64) int {
	b := 0
	for i, v := range x {
		if v > x[b] {
			b = i
		}
	}
	return b
}

// rankOf is the 1-based rank of department c in scores.
func rankOf(x []float64, c int) int {
	r := 1
	for i, v := range x {
		if v > x[c] || (v == x[c] && i < c) {
			r++
		}
	}
	return r
}

// TestErrors prints the error analysis of the five folds (ROUTING_EXP=errors):
// confused department pairs, each misrouted ticket with every scorer's top
// department and the true one's rank, and how often each scorer alone was
// right where the blend was wrong. Output only; dev texts stay out of code.
func TestErrors(t *testing.T) {
	if os.Getenv("ROUTING_EXP") != "errors" {
		t.Skip("set ROUTING_EXP=errors")
	}
	cases := foldCases(t)
	names := [nComp]string{"lin", "knn", "kb", "cen", "duty", "hist", "cnb", "ovr", "first", "guide", "std"}
	pairs := map[string]int{}
	rescued := make([]int, nComp)
	byDept := map[string][2]int{}
	var wrong, inTop3 int
	for _, fc := range cases {
		m := fc.m
		y := m.idx[fc.ex.Department]
		pred := argmax(fc.blend)
		if fc.typ != fc.ex.Type && os.Getenv("ROUTING_TYPES") != "" {
			r := []rune(fc.ex.Text)
			if len(r) > 70 {
				r = r[:70]
			}
			fmt.Printf("TYPE %s -> %s | %s | %s\n", fc.ex.Type, fc.typ, fc.ex.Channel, string(r))
		}
		bd := byDept[fc.ex.Department]
		bd[1]++
		if pred == y {
			bd[0]++
			byDept[fc.ex.Department] = bd
			continue
		}
		byDept[fc.ex.Department] = bd
		wrong++
		if rankOf(fc.blend, y) <= 3 {
			inTop3++
		}
		pairs[fc.ex.Department+" -> "+m.depts[pred].Code]++
		line := fmt.Sprintf("%-8s -> %-8s r%-2d |", fc.ex.Department, m.depts[pred].Code, rankOf(fc.blend, y))
		for i := 0; i < nComp; i++ {
			top := argmax(fc.comp[i])
			mark := " "
			if top == y {
				mark = "*"
				rescued[i]++
			}
			line += fmt.Sprintf(" %s:%s%-7s r%-2d", names[i], mark, m.depts[top].Code, rankOf(fc.comp[i], y))
		}
		r := []rune(fc.ex.Text)
		if len(r) > 60 {
			r = r[:60]
		}
		fmt.Printf("%s | %s %s | %s\n", line, fc.ex.Channel, fc.ex.Type, string(r))
	}
	fmt.Printf("\nwrong %d of %d, true dept in blend top-3 for %d\n", wrong, len(cases), inTop3)
	for i, n := range names {
		fmt.Printf("  %s alone right on %d of the blend's errors\n", n, rescued[i])
	}
	fmt.Println("confused pairs (true -> predicted):")
	for _, k := range slices.SortedFunc(maps.Keys(pairs), func(a, b string) int { return pairs[b] - pairs[a] }) {
		if pairs[k] > 1 {
			fmt.Printf("  %3d  %s\n", pairs[k], k)
		}
	}
	fmt.Println("per-department accuracy:")
	for _, k := range slices.SortedFunc(maps.Keys(byDept), func(a, b string) int { return byDept[a][1] - byDept[b][1] }) {
		fmt.Printf("  %-10s %2d/%2d\n", k, byDept[k][0], byDept[k][1])
	}
}

// TestExperiment3 is the third-pass sweep (ROUTING_EXP=3a, 3b, ...); the
// measured lines are in TestExperiment's doc comment. Cases set their own
// knobs on top of the current defaults (which include what was kept).
func TestExperiment3(t *testing.T) {
	mode := os.Getenv("ROUTING_EXP")
	defer func(p modelParams) { evalParams = p }(evalParams)
	switch mode {
	case "3a":
		expEval(t, "baseline")
		for _, aw := range []float32{0, 0.5} {
			evalParams = defaultParams()
			evalParams.AnswerWeight = aw
			expEval(t, fmt.Sprintf("answer weight %.1f", aw))
		}
	case "3b":
		for _, c := range []struct {
			aw, kw float32
			sent   bool
		}{{2, 0, false}, {1, 0, true}, {0.5, 0, true}, {1, 1, false}} {
			evalParams = defaultParams()
			evalParams.AnswerWeight, evalParams.KeywordDocWeight, evalParams.AnswerSentences = c.aw, c.kw, c.sent
			expEval(t, fmt.Sprintf("answer w %.1f sentences %v kw doc %.1f", c.aw, c.sent, c.kw))
		}
	case "3c":
		defer func(w float32) { typeDeptWeight = w }(typeDeptWeight)
		for _, w := range []float32{0.3, 0.6, 1} {
			typeDeptWeight = w
			expEval(t, fmt.Sprintf("type: lead dept feature %.1f", w))
		}
	case "3d":
		evalParams = defaultParams()
		evalParams.Stack = true
		expEval(t, "stacking (conditional logit, 4 inner folds)")
	case "3e":
		defer func(a float64, b int, c float64) { stackL2, stackEpochs, stackRate = a, b, c }(stackL2, stackEpochs, stackRate)
		evalParams = defaultParams()
		evalParams.Stack = true
		for _, c := range []struct {
			l2   float64
			ep   int
			rate float64
		}{{0.001, 1000, 1}, {0.1, 300, 0.5}, {0, 2000, 2}} {
			stackL2, stackEpochs, stackRate = c.l2, c.ep, c.rate
			expEval(t, fmt.Sprintf("stacking l2 %.3f epochs %d rate %.1f", c.l2, c.ep, c.rate))
		}
	case "3f":
		defer func(a bool, b float64) { kbVoteStripped, blendHist = a, b }(kbVoteStripped, blendHist)
		kbVoteStripped = true
		expEval(t, "kb vote on text without address")
		kbVoteStripped = false
		for _, w := range []float64{0.3, 0.6} {
			blendHist = w
			expEval(t, fmt.Sprintf("history BM25 vote %.1f", w))
		}
	case "3g":
		defer func(a bool, b float64) { knnAnswers, gateBoost = a, b }(knnAnswers, gateBoost)
		knnAnswers = true
		expEval(t, "neighbours include KB answers")
		knnAnswers = false
		for _, w := range []float64{0.5, 1, 3} {
			gateBoost = w
			expEval(t, fmt.Sprintf("confidence gate boost %.1f", w))
		}
	case "3h":
		defer func(a, b float64) { blendCNB, cnbTemp = a, b }(blendCNB, cnbTemp)
		for _, c := range [][2]float64{{0.5, 10}, {0.5, 30}, {0.5, 100}, {1, 30}} {
			blendCNB, cnbTemp = c[0], c[1]
			expEval(t, fmt.Sprintf("complement NB %.1f temp %.0f", c[0], c[1]))
		}
	case "3i":
		saved := [6]float64{blendLinear, blendKNN, blendKB, blendCentroid, blendDuty, blendCNB}
		defer func() {
			blendLinear, blendKNN, blendKB, blendCentroid, blendDuty, blendCNB = saved[0], saved[1], saved[2], saved[3], saved[4], saved[5]
		}()
		blendLinear, blendKNN, blendKB, blendCentroid, blendDuty, blendCNB = 0, 0, 0, 0, 0, 1
		expEval(t, "complement NB alone")
	case "3j":
		defer func(a float32, b int) { tailWeight, tailRunes = a, b }(tailWeight, tailRunes)
		for _, c := range []struct {
			w float32
			n int
		}{{0.4, 16}, {0.8, 16}, {0.6, 10}, {0.6, 24}} {
			tailWeight, tailRunes = c.w, c.n
			expEval(t, fmt.Sprintf("type: last-clause cues %.1f (%d runes)", c.w, c.n))
		}
	case "3k":
		defer func(a, b float32, c int, d float32) { cueWeight, leadWeight, typeEpochs, typeRate = a, b, c, d }(cueWeight, leadWeight, typeEpochs, typeRate)
		cueWeight, leadWeight = 0, 0
		expEval(t, "type: no cue features")
		cueWeight, leadWeight = 0.8, 1.2
		expEval(t, "type: cue features doubled")
		cueWeight, leadWeight = 0.4, 0.6
		for _, c := range []struct {
			ep int
			lr float32
		}{{4, 2}, {16, 2}, {8, 0.5}, {8, 8}} {
			typeEpochs, typeRate = c.ep, c.lr
			expEval(t, fmt.Sprintf("type: epochs %d rate %.1f", c.ep, c.lr))
		}
	case "3m":
		defer func(a bool) { knnAnswers = a }(knnAnswers)
		knnAnswers = true
		evalParams.Stack = true
		expEval(t, "stacking + neighbours of answers")
	case "3l":
		defer func(a float64, b bool, c float64, d int, e float64) {
			blendCNB, knnAnswers, stackL2, stackEpochs, stackRate = a, b, c, d, e
		}(blendCNB, knnAnswers, stackL2, stackEpochs, stackRate)
		stackL2, stackEpochs, stackRate = 0.001, 1000, 1
		blendCNB = 0.5
		expEval(t, "complement NB 0.5")
		evalParams = defaultParams()
		evalParams.Stack = true
		expEval(t, "stacking + complement NB")
		knnAnswers = true
		expEval(t, "stacking + CNB + neighbours of answers")
	case "3n":
		defer func(a float64) { kbVoteWeighted = a }(kbVoteWeighted)
		for _, w := range []float64{0.5, 1} {
			kbVoteWeighted = w
			expEval(t, fmt.Sprintf("KB vote IDF x term weight^%.1f", w))
		}
	case "3o":
		defer func(a float64, b bool, c float64, d int, e float64, f int) {
			blendCNB, knnAnswers, stackL2, stackEpochs, stackRate, stackFolds = a, b, c, d, e, f
		}(blendCNB, knnAnswers, stackL2, stackEpochs, stackRate, stackFolds)
		evalParams = defaultParams()
		evalParams.Stack = true
		knnAnswers = true
		blendCNB = 0.5
		stackL2, stackEpochs, stackRate = 0.01, 300, 0.5
		expEval(t, "stack(l2 .01)+CNB+answer neighbours")
		stackL2, stackEpochs, stackRate = 0.001, 1000, 1
		stackFolds = 5
		expEval(t, "stack(5 folds)+CNB+answer neighbours")
		stackFolds = 4
		blendCNB = 1
		expEval(t, "stack+CNB 1.0+answer neighbours")
	case "3p":
		defer func(a, b float32) { typeKBNear, typeNbVote = a, b }(typeKBNear, typeNbVote)
		for _, c := range [][2]float32{{0.5, 0}, {1, 0}, {0, 0.5}, {0, 1}, {0.5, 0.5}} {
			typeKBNear, typeNbVote = c[0], c[1]
			expEval(t, fmt.Sprintf("type: KB closeness %.1f, neighbour types %.1f", c[0], c[1]))
		}
	case "3q":
		defer func(a float32) { typeKBNear = a }(typeKBNear)
		for _, w := range []float32{1.5, 2, 3} {
			typeKBNear = w
			expEval(t, fmt.Sprintf("type: KB closeness %.1f", w))
		}
	case "3r":
		defer func(a bool) { stackPrior = a }(stackPrior)
		stackPrior = true
		expEval(t, "stacking + department prior feature")
	case "3s":
		defer func(a float64) { blendOVR = a }(blendOVR)
		saved := evalParams
		for _, w := range []float64{0.5} {
			blendOVR = w
			evalParams.Stack = false
			expEval(t, fmt.Sprintf("balanced one-vs-rest %.1f, fixed blend", w))
			evalParams = saved
			expEval(t, fmt.Sprintf("balanced one-vs-rest %.1f, stacked", w))
		}
	case "3t":
		defer func(a float32) { shapeWeight = a }(shapeWeight)
		for _, w := range []float32{0.3, 0.6} {
			shapeWeight = w
			expEval(t, fmt.Sprintf("type: length band + question count %.1f", w))
		}
	case "3u":
		defer func(a float64) { blendFirst = a }(blendFirst)
		blendFirst = 0.3
		expEval(t, "first-sentence linear view 0.3, stacked")
	default:
		t.Skip("set ROUTING_EXP=3a…")
	}
}
