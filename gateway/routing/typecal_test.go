package routing

import (
	"context"
	"math"
	"testing"
)

// toyTyped is a separable type history: each class has its own features.
func toyTyped(perClass int) []trainDoc {
	var docs []trainDoc
	for i := 0; i < perClass; i++ {
		for c := range RequestTypes {
			v := sparse{{hashToken("t:" + RequestTypes[c]), 0.8}, {hashToken("noise"), 0.6}}
			docs = append(docs, trainDoc{vec: v, label: c, weight: 1})
		}
	}
	return docs
}

func TestTypeScorerBlendIsADistribution(t *testing.T) {
	T := len(RequestTypes)
	for _, share := range []float64{0, 0.5, 1} {
		func() {
			defer func(s float64) { typeCNB = s }(typeCNB)
			typeCNB = share
			s := trainTypeScorer(toyTyped(6), T, defaultParams())
			if (s.cnb != nil) != (share > 0) {
				t.Fatalf("share %.1f: CNB built %v", share, s.cnb != nil)
			}
			for c, name := range RequestTypes {
				p := s.predict(sparse{{hashToken("t:" + name), 0.8}, {hashToken("noise"), 0.6}}, T)
				var sum float64
				best := 0
				for i, x := range p {
					sum += x
					if x > p[best] {
						best = i
					}
				}
				if math.Abs(sum-1) > 1e-6 {
					t.Fatalf("share %.1f: probabilities sum to %f", share, sum)
				}
				if best != c {
					t.Fatalf("share %.1f: %s predicted as %s (%v)", share, name, RequestTypes[best], p)
				}
			}
		}()
	}
}

func TestTypeOffsets(t *testing.T) {
	// Held-out log-probabilities where class 1 is always second by 0.5:
	// accuracy wants class 1 raised by more than 0.5, and nothing else moved.
	var lps [][]float64
	var ys []int
	for i := 0; i < 20; i++ {
		lp := []float64{-1, -1.5, -3, -3, -3, -3}
		y := 1
		if i%2 == 0 {
			y = 0
			lp = []float64{-0.2, -2, -3, -3, -3, -3}
		}
		lps = append(lps, lp)
		ys = append(ys, y)
	}
	off := offsetsAccuracy(lps, ys, 6)
	if !(off[1]-off[0] > 0.5 && off[1]-off[0] < 1.8) {
		t.Fatalf("accuracy offsets %v: class 1 should gain between 0.5 and 1.8 over class 0", off)
	}
	for c := 2; c < 6; c++ {
		if off[c] > 0 {
			t.Fatalf("accuracy offsets %v: class %d raised without evidence", off, c)
		}
	}
	// The likelihood offsets make the mean predicted share of each class
	// match its share of the labels.
	off = offsetsLikelihood(lps, ys, 6)
	share := make([]float64, 6)
	for _, lp := range lps {
		p := make([]float64, 6)
		var z float64
		for c := range p {
			p[c] = math.Exp(lp[c] + off[c])
			z += p[c]
		}
		for c := range p {
			share[c] += p[c] / z / float64(len(lps))
		}
	}
	if math.Abs(share[0]-0.5) > 0.02 || math.Abs(share[1]-0.5) > 0.02 {
		t.Fatalf("likelihood offsets %v give shares %v, want 0.5/0.5", off, share)
	}
}

func TestDirectAnswerGateOnEnquiryProbability(t *testing.T) {
	ctx := context.Background()
	kb := []KBEntry{
		{ID: "k1", Question: "充电桩报装需要什么材料？", Answer: "提供身份证和车位证明。", Department: "power", Keywords: []string{"充电桩", "报装"}},
	}
	search := NewBM25(kb).Search
	q := Query{Text: "来电咨询：充电桩报装需要准备什么材料？"}
	p := defaultParams()
	p.Stack = false
	for _, history := range []bool{true, false} {
		var exs []Example
		if history {
			exs = synthExamples(120, 3)
		}
		m := buildModel(CharNGrams, synthDepts, exs, kb, nil, p)
		if m.typeSeen != history {
			t.Fatalf("history %v: type model learned %v", history, m.typeSeen)
		}
		lead := m.idx["power"]
		for _, prob := range []float64{0.3, 0.9} {
			pr := prediction{ranked: []int{lead}, typ: "咨询", typeProb: prob}
			da, err := m.directAnswer(ctx, search, q, &pr)
			if err != nil {
				t.Fatal(err)
			}
			want := !history || prob >= directMinTypeProb
			if (len(da) > 0) != want {
				t.Errorf("history %v, P(咨询) %.1f: offers %+v, want an offer %v", history, prob, da, want)
			}
		}
	}
}
