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
	p.NoStarters = true // a city without typed history: no starters either
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
			want := prob >= directMinTypeProb
			if (len(da) > 0) != want {
				t.Errorf("history %v, P(咨询) %.1f: offers %+v, want an offer %v", history, prob, da, want)
			}
		}
	}
}

func TestCueTypeWithoutHistory(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"来电投诉：商场服务态度差，拒绝退款。", "投诉"},
		{"楼道的灯坏了好几天，请尽快派人处理一下。", "求助"},
		{"请问办理社保卡需要哪些材料？", "咨询"},
		{"举报：有人私自在河边倾倒垃圾，请查处。", "举报"},
		{"建议在学校门口增设一个公交站。", "建议"},
		{"感谢社区工作人员，特此表扬。", "表扬"},
		{"家里闻到很浓的燃气味。", "求助"}, // a live hazard, whatever the words
		{"明天天气如何", "咨询"},
		{"随便说点什么", "咨询"}, // no cue at all
	} {
		got, prob := cueType(c.text)
		if got != c.want || prob <= 0 || prob > 1 {
			t.Errorf("cueType(%q) = %s (%.2f), want %s", c.text, got, prob, c.want)
		}
	}
	// A model without typed history types by the cues, and a complaint gets
	// no KB answer offered.
	kb := []KBEntry{{ID: "k1", Question: "商场购物退款怎么处理？", Answer: "可以先与商家协商。", Department: "market", Keywords: []string{"退款", "消费纠纷"}}}
	p := defaultParams()
	p.Stack = false
	m := buildModel(CharNGrams, synthDepts, nil, kb, nil, p)
	search := NewBM25(kb).Search
	for _, c := range []struct {
		text, typ string
		offer     bool
	}{
		{"请问商场购物退款怎么处理？", "咨询", true},
		{"来电投诉：商场拒绝退款，态度很差，没人管。", "投诉", false},
	} {
		q := Query{Text: c.text}
		pr := m.predict(context.Background(), q, nil)
		if pr.typ != c.typ || m.depts[pr.ranked[0]].Code != "market" {
			t.Fatalf("%q without history: %s to %s, want %s to market", c.text, pr.typ, m.depts[pr.ranked[0]].Code, c.typ)
		}
		da, err := m.directAnswer(context.Background(), search, q, &pr)
		if err != nil || (len(da) > 0) != c.offer {
			t.Fatalf("%q: offers %+v (%v), want an offer %v", c.text, da, err, c.offer)
		}
	}
}
