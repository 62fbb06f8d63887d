package routing

import (
	"math"
	"math/rand/v2"
)

// One-vs-rest logistic regressions, class-balanced: each department's
// model sees its own documents and everyone else's at equal total weight,
// so a department with few tickets is not drowned by the frequent ones.
var blendOVR = 0.0

func trainOVR(docs []trainDoc, C int, p modelParams) ([]float32, []float32) {
	w := make([]float32, dims*C)
	b := make([]float32, C)
	if len(docs) == 0 || C == 0 {
		return w, b
	}
	mass := make([]float64, C)
	var tot float64
	for _, d := range docs {
		mass[d.label] += float64(d.weight)
		tot += float64(d.weight)
	}
	pos := make([]float32, C)
	neg := make([]float32, C)
	for c := range pos {
		if mass[c] > 0 {
			pos[c] = float32(tot / (2 * mass[c]))
		}
		if tot-mass[c] > 0 {
			neg[c] = float32(tot / (2 * (tot - mass[c])))
		}
	}
	order := make([]int, len(docs))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(p.Seed, 11))
	logits := make([]float32, C)
	step := make([]float32, C)
	epochs := p.Epochs
	if n := len(docs); n > 5000 {
		epochs = max(2, p.Epochs*5000/n)
	}
	for ep := 0; ep < epochs; ep++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		lr := p.LearnRate / float32(1+ep/2) / 4
		for _, oi := range order {
			d := docs[oi]
			scoreInto(logits, w, b, d.vec, C)
			for c := 0; c < C; c++ {
				pr := float32(1 / (1 + math.Exp(-float64(logits[c]))))
				g, cw := pr, neg[c]
				if c == d.label {
					g, cw = pr-1, pos[c]
				}
				step[c] = lr * d.weight * cw * g
				b[c] -= step[c] * 0.1
			}
			for _, t := range d.vec {
				row := w[int(t.id)*C : int(t.id)*C+C]
				for c, s := range step {
					row[c] -= s * t.w
				}
			}
		}
	}
	return w, b
}

// ovrScores fills out with each department's probability, sharpened.
func ovrScores(w, b []float32, vec sparse, out []float64) {
	C := len(out)
	logits := make([]float32, C)
	scoreInto(logits, w, b, vec, C)
	for c, z := range logits {
		out[c] = math.Pow(1/(1+math.Exp(-float64(z))), 2)
	}
}
