package routing

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
)

// Stacking: instead of fixed blend weights, learn how far to trust each
// department scorer from the history itself. The history is cut into
// stackFolds parts; a model trained without one part scores that part, so
// every ticket gets each scorer's out-of-sample view. A conditional logit
// over departments (one weight vector shared by all departments) is then
// fitted on per-(ticket, department) features: each scorer's normalised
// score, its reciprocal rank, and how many scorers put the department
// first.

// stackFolds is the number of inner folds; stackMaxHistory caps the history
// the inner models see (the most recent tickets), so a rebuild over a large
// history stays cheap: a thousand held-out tickets are plenty to fit the
// 3×scorers+1 stacking weights. Rebuild over 100,000 synthetic tickets:
// 7.8 s without stacking, 12.7 s with it (BenchmarkTrain100k).
var (
	stackFolds      = 5
	stackMaxHistory = 1000
)

// stackFeatures is the number of features per (ticket, department).
const stackFeatures = 3*nComp + 2

// stackPrior turns on the department-prior feature (log share of the
// history); off, the feature is 0 and its weight stays at 0.
var stackPrior = false

// stackFeat fills f with the features of department c.
func stackFeat(f []float64, comp components, ranks [nComp][]int, prior []float64, c int) {
	f[3*nComp+1] = 0
	if stackPrior && prior != nil {
		f[3*nComp+1] = prior[c]
	}
	agree := 0
	for i := 0; i < nComp; i++ {
		f[i] = comp[i][c]
		if r := ranks[i][c]; r > 0 {
			f[nComp+i] = 1 / float64(r)
		} else {
			f[nComp+i] = 0
		}
		if ranks[i][c] == 1 {
			agree++
		}
		// The scorer's own confidence (its top share) times its vote: a
		// scorer sure of itself counts more than one spread thin.
		var top float64
		for _, v := range comp[i] {
			top = math.Max(top, v)
		}
		f[2*nComp+1+i] = comp[i][c] * top
	}
	f[2*nComp] = float64(agree) / nComp
}

// compRanks ranks the departments under each scorer (1 = best; 0 when the
// scorer gave them nothing).
func compRanks(comp components) [nComp][]int {
	var out [nComp][]int
	for i := 0; i < nComp; i++ {
		x := comp[i]
		r := make([]int, len(x))
		for c, v := range x {
			if v <= 0 {
				continue
			}
			r[c] = 1
			for d, u := range x {
				if u > v || (u == v && d < c) {
					r[c]++
				}
			}
		}
		out[i] = r
	}
	return out
}

// stackCase is one held-out history ticket as the stacker sees it.
type stackCase struct {
	feats [][]float64 // per department
	label int
}

// buildStack learns stacking weights from inner folds of the history; nil
// when the history is too small to say anything.
func buildStack(tok Tokenizer, depts []DepartmentInfo, examples []Example, kb []KBEntry, rules []Rule, p modelParams) []float64 {
	if len(examples) > stackMaxHistory {
		examples = examples[len(examples)-stackMaxHistory:]
	}
	if len(examples) < 4*stackFolds {
		return nil
	}
	inner := p
	inner.Stack, inner.inner = false, true
	idx := make(map[string]int, len(depts))
	for i, d := range depts {
		idx[d.Code] = i
	}
	inner.memo = &tfMemo{m: map[string]map[uint32]float32{}}
	ctok := withConcepts(withSeparable(tok), p.lexicon())
	inner.memo.duty, inner.memo.guide = buildDutyIndexes(ctok, depts, idx, rules)
	inner.memo.std = buildStdIndex(ctok, templateClauses(depts))
	if len(kb) > 0 {
		inner.memo.kbIndex = NewBM25(kb)
	}
	var cases []stackCase
	for rep := 0; rep < max(1, stackRepeats); rep++ {
		// Repeat 0 cuts by position; later repeats by a seeded shuffle, so
		// every ticket is held out once per repeat beside other tickets.
		fold := make([]int, len(examples))
		for i := range fold {
			fold[i] = i % stackFolds
		}
		if rep > 0 {
			rand.New(rand.NewPCG(p.Seed+uint64(rep), 17)).Shuffle(len(fold), func(i, j int) { fold[i], fold[j] = fold[j], fold[i] })
		}
		cases = append(cases, stackCases(tok, depts, examples, kb, rules, inner, fold)...)
	}
	return fitBagged(cases, p.Seed)
}

// stackCases scores each history ticket with the inner model trained
// without its fold.
func stackCases(tok Tokenizer, depts []DepartmentInfo, examples []Example, kb []KBEntry, rules []Rule, inner modelParams, fold []int) []stackCase {
	var cases []stackCase
	for f := 0; f < stackFolds; f++ {
		var train, test []Example
		for i, ex := range examples {
			if fold[i] == f {
				test = append(test, ex)
			} else {
				train = append(train, ex)
			}
		}
		m := buildModel(tok, depts, train, kb, rules, inner)
		for _, ex := range test {
			l, ok := m.idx[ex.Department]
			if !ok {
				continue
			}
			tf := m.routeTF(nil, ex.Text)
			comp, _, _ := m.componentScores(context.Background(), ex.Text, m.df.vector(tf), tf)
			ranks := compRanks(comp)
			sc := stackCase{label: l, feats: make([][]float64, len(depts))}
			for c := range depts {
				sc.feats[c] = make([]float64, stackFeatures)
				stackFeat(sc.feats[c], comp, ranks, m.prior, c)
			}
			cases = append(cases, sc)
		}
	}
	return cases
}

// Bagging the stacker: stackBags > 0 fits that many stackers on bootstrap
// resamples of the held-out cases; stackBagMean averages their weights
// (one vector) instead of their probabilities (the vectors concatenated,
// averaged in stacked). stackRepeats > 1 repeats the inner folds with
// other cuts of the history, pooling every repeat's cases.
var (
	stackBags    = 0
	stackBagMean = false
	stackRepeats = 1
)

// fitBagged fits the stacker once, or stackBags times on bootstrap
// resamples.
func fitBagged(cases []stackCase, seed uint64) []float64 {
	if stackBags <= 0 || len(cases) == 0 {
		return fitStack(cases)
	}
	rng := rand.New(rand.NewPCG(seed, 23))
	var out []float64
	mean := make([]float64, stackFeatures)
	for b := 0; b < stackBags; b++ {
		bs := make([]stackCase, len(cases))
		for i := range bs {
			bs[i] = cases[rng.IntN(len(cases))]
		}
		w := fitStack(bs)
		out = append(out, w...)
		for i, v := range w {
			mean[i] += v / float64(stackBags)
		}
	}
	if stackBagMean {
		return mean
	}
	return out
}

// stackL2 and stackEpochs regularise and bound the conditional-logit fit.
var (
	stackL2     = 0.001
	stackEpochs = 1000
	stackRate   = 1.0
)

// fitStack fits the conditional logit by full-batch gradient descent,
// starting from the fixed blend so a tiny history cannot wander far.
func fitStack(cases []stackCase) []float64 {
	w := make([]float64, stackFeatures)
	w[compLinear], w[compKNN], w[compKB], w[compCentroid], w[compDuty], w[compHist], w[compCNB], w[compOVR], w[compFirst], w[compGuide], w[compStd] = blendLinear, blendKNN, blendKB, blendCentroid, blendDuty, blendHist, blendCNB, blendOVR, blendFirst, blendGuide, blendStd
	init := append([]float64(nil), w...)
	// Scores are ~0..1 and the blend sums to ~3: scale so the softmax over
	// departments is not flat at the start.
	for i := range w {
		w[i] *= 4
		init[i] *= 4
	}
	if len(cases) == 0 {
		return w
	}
	g := make([]float64, stackFeatures)
	var z []float64
	for ep := 0; ep < stackEpochs; ep++ {
		for i := range g {
			g[i] = stackL2 * (w[i] - init[i])
		}
		for _, sc := range cases {
			z = slices.Grow(z[:0], len(sc.feats))[:len(sc.feats)]
			clear(z)
			mx := math.Inf(-1)
			for c, f := range sc.feats {
				for i, v := range f {
					z[c] += w[i] * v
				}
				mx = math.Max(mx, z[c])
			}
			var s float64
			for c := range z {
				z[c] = math.Exp(z[c] - mx)
				s += z[c]
			}
			for c, f := range sc.feats {
				pc := z[c] / s
				if c == sc.label {
					pc -= 1
				}
				for i, v := range f {
					g[i] += pc * v / float64(len(cases))
				}
			}
		}
		for i := range w {
			w[i] -= stackRate * g[i]
		}
	}
	return w
}

// stacked scores departments with the learned weights (a softmax, so the
// result sums to 1 like the blend).
func stacked(w []float64, comp components, prior []float64) []float64 {
	if len(w) > stackFeatures {
		// Bagged stackers: the mean of their probabilities.
		C := len(comp[0])
		out := make([]float64, C)
		n := len(w) / stackFeatures
		for b := 0; b < n; b++ {
			for c, v := range stacked(w[b*stackFeatures:(b+1)*stackFeatures], comp, prior) {
				out[c] += v / float64(n)
			}
		}
		return out
	}
	C := len(comp[0])
	ranks := compRanks(comp)
	f := make([]float64, stackFeatures)
	out := make([]float64, C)
	mx := math.Inf(-1)
	for c := 0; c < C; c++ {
		stackFeat(f, comp, ranks, prior, c)
		for i, v := range f {
			out[c] += w[i] * v
		}
		mx = math.Max(mx, out[c])
	}
	for c := range out {
		out[c] = math.Exp(out[c] - mx)
	}
	normalise(out)
	return out
}
