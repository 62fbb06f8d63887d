package routing

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBaggedStacker checks the bagging knobs: stackBags stackers fitted on
// bootstrap resamples (their probabilities averaged, or their weights), and
// that the bagged stacker still ranks a department its scorers agree on
// first and gives probabilities that sum to 1.
func TestBaggedStacker(t *testing.T) {
	defer func(b int, m bool) { stackBags, stackBagMean = b, m }(stackBags, stackBagMean)
	defer func(e int) { stackEpochs = e }(stackEpochs)
	stackEpochs = 50
	const C = 4
	rng := rand.New(rand.NewPCG(3, 3))
	// Synthetic cases: the linear scorer points at the label 80 % of the
	// time, the kNN scorer at random.
	mk := func(label int) (components, int) {
		var comp components
		for i := range comp {
			comp[i] = make([]float64, C)
		}
		lin := label
		if rng.Float64() < 0.2 {
			lin = rng.IntN(C)
		}
		comp[compLinear][lin] = 1
		comp[compKNN][rng.IntN(C)] = 1
		return comp, label
	}
	var cases []stackCase
	for i := 0; i < 60; i++ {
		comp, l := mk(i % C)
		ranks := compRanks(comp)
		sc := stackCase{label: l, feats: make([][]float64, C)}
		for c := 0; c < C; c++ {
			sc.feats[c] = make([]float64, stackFeatures)
			stackFeat(sc.feats[c], comp, ranks, nil, c)
		}
		cases = append(cases, sc)
	}
	for _, mean := range []bool{false, true} {
		stackBags, stackBagMean = 5, mean
		w := fitBagged(cases, 1)
		want := 5 * stackFeatures
		if mean {
			want = stackFeatures
		}
		if len(w) != want {
			t.Fatalf("mean=%v: %d weights, want %d", mean, len(w), want)
		}
		var comp components
		for i := range comp {
			comp[i] = make([]float64, C)
		}
		comp[compLinear][2], comp[compKNN][2] = 1, 1
		p := stacked(w, comp, nil)
		var s float64
		best := 0
		for c, v := range p {
			s += v
			if v > p[best] {
				best = c
			}
		}
		if math.Abs(s-1) > 1e-9 || best != 2 {
			t.Fatalf("mean=%v: probabilities %v (sum %v), want department 2 first", mean, p, s)
		}
	}
	stackBags = 0
	if w := fitBagged(cases, 1); len(w) != stackFeatures {
		t.Fatalf("unbagged: %d weights", len(w))
	}
}
