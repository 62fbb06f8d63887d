package routing

import (
	"math"
)

// Request-type refinements of the sixth pass (brief r6a), each behind a knob
// whose neutral value turns it off:
//   - typeCalib: per-class offsets added to the type model's logits, learned
//     on held-out predictions of the history (typeCalibFolds folds); the
//     class-balanced model leaves some classes under-predicted (求助 taken
//     for 投诉), and the offsets say by how much;
//   - typeCNB: a complement naive Bayes over the same type features, its
//     distribution averaged with the logistic model's.

var (
	// typeCalib scales the learned offsets (0 = none, 1 = as learned).
	typeCalib float32 = 0
	// typeCalibMode: 1 maximises held-out accuracy by coordinate ascent,
	// 2 maximises the held-out log-likelihood (matches the history's class
	// priors).
	typeCalibMode  = 1
	typeCalibFolds = 5
	// typeCNB is the share of the complement NB in the type distribution
	// (0 = logistic model alone); typeCNBTemp sharpens its scores.
	typeCNB     float64 = 0.5
	typeCNBTemp float64 = 10
	// typeCNBAlpha smooths its complement counts; typeCNBUnweighted counts
	// every ticket once instead of at its class-balancing weight.
	typeCNBAlpha      = 0.1
	typeCNBUnweighted = true
)

// typeScorer is a trained type classifier: the logistic model and, when
// typeCNB > 0, the complement NB beside it.
type typeScorer struct {
	w, b []float32
	cnb  map[uint32][]float32
	off  []float32
}

func trainTypeScorer(typed []trainDoc, T int, p modelParams) typeScorer {
	var s typeScorer
	s.w, s.b = trainSoftmax(typed, T, func(d trainDoc) int { return d.label }, func(d trainDoc) float32 { return d.weight }, p)
	if typeCNB > 0 {
		s.cnb = buildCNBAlpha(typed, T, typeCNBAlpha, !typeCNBUnweighted)
	}
	return s
}

// logProbs returns the log of the blended distribution over types, before
// the offsets.
func (s *typeScorer) logProbs(v sparse, T int) []float64 {
	out := make([]float32, T)
	scoreInto(out, s.w, s.b, v, T)
	softmax(out)
	res := make([]float64, T)
	for i, x := range out {
		res[i] = float64(x)
	}
	if s.cnb != nil && typeCNB > 0 {
		nb := make([]float64, T)
		cnbScoresTemp(s.cnb, v, nb, typeCNBTemp)
		var z float64
		for _, x := range nb {
			z += x
		}
		for i := range res {
			res[i] = (1-typeCNB)*res[i] + typeCNB*nb[i]/z
		}
	}
	for i := range res {
		res[i] = math.Log(math.Max(res[i], 1e-9))
	}
	return res
}

// predict returns the type distribution with the offsets applied.
func (s *typeScorer) predict(v sparse, T int) []float64 {
	lp := s.logProbs(v, T)
	for i := range lp {
		if s.off != nil {
			lp[i] += float64(s.off[i])
		}
	}
	mx := math.Inf(-1)
	for _, x := range lp {
		mx = math.Max(mx, x)
	}
	var z float64
	for i, x := range lp {
		lp[i] = math.Exp(x - mx)
		z += lp[i]
	}
	for i := range lp {
		lp[i] /= z
	}
	return lp
}

// learnTypeOffsets scores every typed document with a scorer trained on the
// other folds and fits per-class offsets to those held-out predictions.
func learnTypeOffsets(typed []trainDoc, T int, p modelParams) []float32 {
	k := typeCalibFolds
	if len(typed) < 4*k {
		return nil
	}
	lps := make([][]float64, len(typed))
	ys := make([]int, len(typed))
	for f := 0; f < k; f++ {
		var train []trainDoc
		for i, d := range typed {
			if i%k != f {
				train = append(train, d)
			}
		}
		s := trainTypeScorer(train, T, p)
		for i, d := range typed {
			if i%k == f {
				lps[i] = s.logProbs(d.vec, T)
				ys[i] = d.label
			}
		}
	}
	var off []float64
	switch typeCalibMode {
	case 2:
		off = offsetsLikelihood(lps, ys, T)
	default:
		off = offsetsAccuracy(lps, ys, T)
	}
	res := make([]float32, T)
	for i, o := range off {
		res[i] = typeCalib * float32(o)
	}
	return res
}

// offsetsAccuracy is coordinate ascent on held-out accuracy over a grid of
// offsets; ties go to the offset nearest zero, so classes the held-out cases
// say nothing about keep none.
func offsetsAccuracy(lps [][]float64, ys []int, T int) []float64 {
	off := make([]float64, T)
	correct := func() int {
		n := 0
		for i, lp := range lps {
			best := 0
			for c := 1; c < T; c++ {
				if lp[c]+off[c] > lp[best]+off[best] {
					best = c
				}
			}
			if best == ys[i] {
				n++
			}
		}
		return n
	}
	for round := 0; round < 3; round++ {
		changed := false
		for c := 0; c < T; c++ {
			cur := off[c]
			bestV, bestN := cur, correct()
			for step := -30; step <= 30; step++ {
				v := float64(step) * 0.1
				off[c] = v
				n := correct()
				if n > bestN || (n == bestN && math.Abs(v) < math.Abs(bestV)) {
					bestV, bestN = v, n
				}
			}
			off[c] = bestV
			if bestV != cur {
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	return off
}

// offsetsLikelihood fits the offsets by gradient ascent on the unweighted
// held-out log-likelihood: at the optimum the mean predicted probability of
// each class equals its share of the history.
func offsetsLikelihood(lps [][]float64, ys []int, T int) []float64 {
	off := make([]float64, T)
	p := make([]float64, T)
	g := make([]float64, T)
	n := float64(len(lps))
	for it := 0; it < 300; it++ {
		clear(g)
		for i, lp := range lps {
			mx := math.Inf(-1)
			for c := range p {
				p[c] = lp[c] + off[c]
				mx = math.Max(mx, p[c])
			}
			var z float64
			for c := range p {
				p[c] = math.Exp(p[c] - mx)
				z += p[c]
			}
			for c := range p {
				g[c] -= p[c] / z
			}
			g[ys[i]]++
		}
		for c := range off {
			off[c] += g[c] / n
		}
	}
	return off
}
