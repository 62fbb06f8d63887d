package routing

import "math"

// Complement naive Bayes (Rennie et al. 2003) over the same weighted
// features: each department is scored by how unlike the other departments'
// documents the request is, which is steadier than plain naive Bayes when
// some departments have few documents. Weights are normalised per class
// (WCNB) so long complement vocabularies do not dominate.

// cnbAlpha smooths the complement counts; cnbTemp sharpens the scores into a
// distribution (the raw scores differ by small amounts).
var (
	blendCNB         = 0.5
	cnbAlpha float64 = 0.1
	cnbTemp  float64 = 30
)

// buildCNB returns, per feature, the per-department WCNB weights.
func buildCNB(docs []trainDoc, C int) map[uint32][]float32 {
	return buildCNBAlpha(docs, C, cnbAlpha, true)
}

// buildCNBAlpha is buildCNB with the smoothing alpha; weighted says whether
// each document counts at its weight or once.
func buildCNBAlpha(docs []trainDoc, C int, alpha float64, weighted bool) map[uint32][]float32 {
	cls := map[uint32][]float64{}
	clsTot := make([]float64, C)
	var tot float64
	for _, d := range docs {
		for _, t := range d.vec {
			row := cls[t.id]
			if row == nil {
				row = make([]float64, C)
				cls[t.id] = row
			}
			v := float64(t.w)
			if weighted {
				v *= float64(d.weight)
			}
			row[d.label] += v
			clsTot[d.label] += v
			tot += v
		}
	}
	V := float64(len(cls))
	norm := make([]float64, C)
	w := make(map[uint32][]float64, len(cls))
	for id, row := range cls {
		var ft float64
		for _, v := range row {
			ft += v
		}
		out := make([]float64, C)
		for c := 0; c < C; c++ {
			theta := (alpha + ft - row[c]) / (alpha*V + tot - clsTot[c])
			out[c] = math.Log(theta)
			norm[c] += math.Abs(out[c])
		}
		w[id] = out
	}
	res := make(map[uint32][]float32, len(w))
	for id, row := range w {
		r := make([]float32, C)
		for c := range row {
			if norm[c] > 0 {
				r[c] = float32(row[c] / norm[c] * V)
			}
		}
		res[id] = r
	}
	return res
}

// cnbScores fills out with a distribution over departments.
func cnbScores(w map[uint32][]float32, vec sparse, out []float64) {
	cnbScoresTemp(w, vec, out, cnbTemp)
}

// cnbScoresTemp is cnbScores at the sharpening temp.
func cnbScoresTemp(w map[uint32][]float32, vec sparse, out []float64, temp float64) {
	if len(w) == 0 {
		return
	}
	for c := range out {
		out[c] = 0
	}
	for _, t := range vec {
		row := w[t.id]
		if row == nil {
			continue
		}
		for c, v := range row {
			out[c] -= float64(t.w * v)
		}
	}
	mx := math.Inf(-1)
	for _, v := range out {
		mx = math.Max(mx, v)
	}
	for c, v := range out {
		out[c] = math.Exp((v - mx) * temp)
	}
}
