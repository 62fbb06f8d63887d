package routing

import (
	"math"
	"slices"
)

// dims is the size of the hashed feature space. 2^18 keeps the linear model
// at 26 MB for 25 departments however large the history grows; collisions
// among the few hundred thousand n-grams of a city's tickets are rare and
// harmless for a linear model.
const (
	dimBits = 18
	dims    = 1 << dimBits
)

// term is one weighted feature of a sparse vector.
type term struct {
	id uint32
	w  float32
}

// sparse is a feature vector sorted by id, usually L2-normalised.
type sparse []term

// hashToken is 32-bit FNV-1a, inlined to avoid an allocation per token.
func hashToken(tok string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(tok); i++ {
		h ^= uint32(tok[i])
		h *= 16777619
	}
	return h & (dims - 1)
}

// counts hashes tokens into term frequencies.
func counts(tokens []string) map[uint32]float32 {
	m := make(map[uint32]float32, len(tokens))
	for _, t := range tokens {
		m[hashToken(t)]++
	}
	return m
}

// docFreq tracks document frequencies for IDF; it grows with Observe.
type docFreq struct {
	df []uint32
	n  int
	// tw is a supervised weight per feature (see termWeights); nil means 1.
	tw []float32
}

func newDocFreq() *docFreq { return &docFreq{df: make([]uint32, dims)} }

func (d *docFreq) add(tf map[uint32]float32) {
	for id := range tf {
		d.df[id]++
	}
	d.n++
}

func (d *docFreq) idf(id uint32) float32 {
	return float32(math.Log(float64(d.n+1)/float64(d.df[id]+1)) + 1)
}

// vector builds a sublinear-TF × IDF, L2-normalised sparse vector.
func (d *docFreq) vector(tf map[uint32]float32) sparse {
	v := make(sparse, 0, len(tf))
	var norm float64
	for id, c := range tf {
		w := (1 + float32(math.Log(float64(c)))) * d.idf(id)
		if d.tw != nil {
			w *= d.tw[id]
			if w == 0 {
				continue
			}
		}
		v = append(v, term{id, w})
		norm += float64(w) * float64(w)
	}
	if norm > 0 {
		inv := float32(1 / math.Sqrt(norm))
		for i := range v {
			v[i].w *= inv
		}
	}
	slices.SortFunc(v, func(a, b term) int { return int(a.id) - int(b.id) })
	return v
}

// dot is the inner product of two sorted sparse vectors.
func dot(a, b sparse) float32 {
	var s float32
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i].id == b[j].id:
			s += a[i].w * b[j].w
			i++
			j++
		case a[i].id < b[j].id:
			i++
		default:
			j++
		}
	}
	return s
}

// termWeights learns how much each feature says about the department: one
// minus the normalised entropy of its (smoothed, class-size balanced)
// distribution over departments, raised to power. Phrases every department's
// texts share ("来电", "请求", a district's name) fall towards zero; phrases
// seen often and in one department's texts only approach one. This is the
// supervised counterpart of IDF and needs no hand-made stop list.
func termWeights(docs []map[uint32]float32, labels []int, weights []float32, C int, smooth, power float64) []float32 {
	classMass := make([]float64, C)
	for i, l := range labels {
		classMass[l] += float64(weights[i])
	}
	var avg float64
	nonEmpty := 0
	for _, m := range classMass {
		if m > 0 {
			avg += m
			nonEmpty++
		}
	}
	if nonEmpty == 0 {
		return nil
	}
	avg /= float64(nonEmpty)
	per := map[uint32][]float64{}
	for i, tf := range docs {
		l := labels[i]
		share := float64(weights[i]) * avg / classMass[l]
		for id := range tf {
			row := per[id]
			if row == nil {
				row = make([]float64, C)
				per[id] = row
			}
			row[l] += share
		}
	}
	tw := make([]float32, dims)
	logC := math.Log(float64(C))
	for id, row := range per {
		var tot float64
		for _, v := range row {
			tot += v + smooth
		}
		var h float64
		for _, v := range row {
			p := (v + smooth) / tot
			h -= p * math.Log(p)
		}
		tw[id] = float32(math.Pow(math.Max(0, 1-h/logC), power))
	}
	return tw
}
