package routing

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

// urgLogit is a prototype urgency model: logistic regression over hashed
// character n-grams, class-balanced, plain SGD with L2.
type urgLogit struct {
	w    map[uint32]float64
	bias float64
}

func urgFeatures(text string) map[uint32]float32 {
	f := counts(CharNGrams(stripLocation(text)))
	var n float64
	for _, v := range f {
		n += float64(v * v)
	}
	n = math.Sqrt(n)
	for k, v := range f {
		f[k] = float32(float64(v) / n)
	}
	return f
}

func trainUrgLogit(cases []urgCase, epochs int, l2, rate float64) *urgLogit {
	m := &urgLogit{w: map[uint32]float64{}}
	var pos int
	for _, c := range cases {
		if c.Urgent {
			pos++
		}
	}
	wPos, wNeg := float64(len(cases))/(2*float64(max(pos, 1))), float64(len(cases))/(2*float64(max(len(cases)-pos, 1)))
	feats := make([]map[uint32]float32, len(cases))
	for i, c := range cases {
		feats[i] = urgFeatures(c.Text)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for e := 0; e < epochs; e++ {
		for _, i := range rng.Perm(len(cases)) {
			z := m.bias
			for k, v := range feats[i] {
				z += m.w[k] * float64(v)
			}
			p := 1 / (1 + math.Exp(-z))
			y, cw := 0.0, wNeg
			if cases[i].Urgent {
				y, cw = 1, wPos
			}
			g := cw * (p - y)
			for k, v := range feats[i] {
				m.w[k] -= rate * (g*float64(v) + l2*m.w[k])
			}
			m.bias -= rate * g
		}
	}
	return m
}

func (m *urgLogit) prob(text string) float64 {
	z := m.bias
	for k, v := range urgFeatures(text) {
		z += m.w[k] * float64(v)
	}
	return 1 / (1 + math.Exp(-z))
}

// loadUrgSet is one writer's set of urgency_examples.jsonl.
func loadUrgSet(t *testing.T, set int) []urgCase {
	data, err := os.ReadFile(heldOutPath)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := loadHeldOut(data)
	if err != nil {
		t.Fatal(err)
	}
	var out []urgCase
	for _, c := range cs {
		if c.Set == set {
			out = append(out, urgCase{Text: c.Text, Type: c.Type, Urgent: *c.Urgent})
		}
	}
	return out
}

// TestExperiment7Urgency (ROUTING_EXP=urglearn): does a learned urgency
// model carry to phrasing it never saw? Train on one blind set, test on
// the other, alone and OR-ed with the lexicon.
func TestExperiment7Urgency(t *testing.T) {
	if os.Getenv("ROUTING_EXP") != "urglearn" {
		t.Skip("set ROUTING_EXP=urglearn")
	}
	s1 := loadUrgSet(t, 1)
	s2 := loadUrgSet(t, 2)
	_, dev, _ := loadDev(t)
	var devCases []urgCase
	for _, e := range dev {
		devCases = append(devCases, urgCase{Text: e.Text, Type: e.Type, Urgent: e.Urgent})
	}
	report := func(name string, set []urgCase, decide func(c urgCase) bool) {
		var tp, fn, fp int
		for _, c := range set {
			got := decide(c)
			switch {
			case got && c.Urgent:
				tp++
			case c.Urgent:
				fn++
			case got:
				fp++
			}
		}
		fmt.Printf("%-44s R %3d/%3d %.3f P %.3f fp %d\n", name, tp, tp+fn, ratio(tp, tp+fn), ratio(tp, tp+fp), fp)
	}
	lex := func(c urgCase) bool { u, _ := urgentByLexicon(c.Text, c.Type); return u }
	for _, dir := range []struct {
		name        string
		train, test []urgCase
	}{{"set1→set2", s1, s2}, {"set2→set1", s2, s1}, {"set1+2→dev", append(append([]urgCase{}, s1...), s2...), devCases},
		{"set1+dev→set2", append(append([]urgCase{}, s1...), devCases...), s2},
		{"set2+dev→set1", append(append([]urgCase{}, s2...), devCases...), s1}} {
		report(dir.name+" lexicon", dir.test, lex)
		for _, l2 := range []float64{1e-4, 1e-3} {
			m := trainUrgLogit(dir.train, 10, l2, 0.5)
			for _, th := range []float64{0.3, 0.5, 0.7} {
				report(fmt.Sprintf("%s logit l2 %g p≥%.1f", dir.name, l2, th), dir.test, func(c urgCase) bool { return m.prob(c.Text) >= th })
				report(fmt.Sprintf("%s lexicon OR logit l2 %g p≥%.1f", dir.name, l2, th), dir.test, func(c urgCase) bool { return lex(c) || m.prob(c.Text) >= th })
			}
		}
	}
}

// TestExperiment7UrgencyDev (ROUTING_EXP=urglearn): five folds of the dev
// tickets, each trained on both blind sets and the other four folds.
func TestExperiment7UrgencyDev(t *testing.T) {
	if os.Getenv("ROUTING_EXP") != "urglearn" {
		t.Skip("set ROUTING_EXP=urglearn")
	}
	s12 := append(loadUrgSet(t, 1), loadUrgSet(t, 2)...)
	_, dev, _ := loadDev(t)
	for _, th := range []float64{0.3, 0.5, 0.7, 0.9} {
		var tp, fn, fp, ltp, lfp int
		for f := 0; f < 5; f++ {
			train, test := foldSplit(dev, 5, f)
			tr := append([]urgCase{}, s12...)
			for _, e := range train {
				tr = append(tr, urgCase{Text: e.Text, Type: e.Type, Urgent: e.Urgent})
			}
			m := trainUrgLogit(tr, 10, 1e-4, 0.5)
			for _, e := range test {
				lex, _ := urgentByLexicon(e.Text, e.Type)
				got := lex || m.prob(e.Text) >= th
				switch {
				case got && e.Urgent:
					tp++
				case e.Urgent:
					fn++
				case got:
					fp++
				}
				if lex && e.Urgent {
					ltp++
				} else if lex {
					lfp++
				}
			}
		}
		fmt.Printf("dev 5 folds, lexicon OR logit p≥%.1f: R %d/%d P %.3f fp %d (lexicon alone fp %d)\n", th, tp, tp+fn, ratio(tp, tp+fp), fp, lfp)
	}
}
