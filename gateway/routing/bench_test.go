package routing

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// synthCity generates a city of nd departments and n history tickets by
// recombining generated words: each department owns a vocabulary of topic
// words, every ticket mixes its department's words with shared filler, a
// place and call-centre phrasing. Nothing is taken from real tickets.
func synthCity(nd, n int, seed uint64) ([]DepartmentInfo, []Example) {
	rng := rand.New(rand.NewPCG(seed, 11))
	word := func(k int) string {
		r := make([]rune, k)
		for i := range r {
			r[i] = rune(0x4E00 + rng.IntN(3000))
		}
		return string(r)
	}
	filler := make([]string, 300)
	for i := range filler {
		filler[i] = word(2)
	}
	depts := make([]DepartmentInfo, nd)
	vocab := make([][]string, nd)
	for d := range depts {
		for j := 0; j < 60; j++ {
			vocab[d] = append(vocab[d], word(2+rng.IntN(3)))
		}
		depts[d] = DepartmentInfo{Code: fmt.Sprintf("d%02d", d), Name: word(4) + "局", ShortName: word(2),
			Responsibilities: "负责" + strings.Join(vocab[d][:12], "、") + "。"}
	}
	exs := make([]Example, n)
	for i := range exs {
		d := rng.IntN(nd)
		var b strings.Builder
		b.WriteString(synthPrefix[rng.IntN(len(synthPrefix))])
		b.WriteString("：")
		b.WriteString(synthPlace[rng.IntN(len(synthPlace))])
		for k := 0; k < 6+rng.IntN(8); k++ {
			if rng.IntN(3) == 0 {
				b.WriteString(filler[rng.IntN(len(filler))])
			} else {
				b.WriteString(vocab[d][rng.IntN(len(vocab[d]))])
			}
			if rng.IntN(4) == 0 {
				b.WriteString("，")
			}
		}
		b.WriteString("，")
		b.WriteString(synthEnd[rng.IntN(len(synthEnd))])
		exs[i] = Example{ID: fmt.Sprintf("s%d", i), Text: b.String(), Department: depts[d].Code,
			Type: RequestTypes[rng.IntN(len(RequestTypes))], Urgent: rng.IntN(50) == 0}
	}
	return depts, exs
}

var (
	bench100kOnce  sync.Once
	bench100kModel *model
	bench100kTest  []Example
)

func model100k(b *testing.B) (*model, []Example) {
	bench100kOnce.Do(func() {
		depts, exs := synthCity(25, 101000, 1)
		bench100kTest = exs[100000:]
		start := time.Now()
		bench100kModel = buildModel(CharNGrams, depts, exs[:100000], nil, nil, defaultParams())
		b.Logf("trained on 100000 tickets in %v", time.Since(start))
	})
	return bench100kModel, bench100kTest
}

// BenchmarkTrain100k measures a full rebuild over 100,000 history tickets
// (25 departments), the cost of one background retrain.
func BenchmarkTrain100k(b *testing.B) {
	depts, exs := synthCity(25, 100000, 2)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buildModel(CharNGrams, depts, exs, nil, nil, defaultParams())
	}
}

// BenchmarkSuggest100k measures one suggestion against a model of 100,000
// history tickets and reports p50/p99 latency and accuracy on held-out
// synthetic tickets.
func BenchmarkSuggest100k(b *testing.B) {
	m, test := model100k(b)
	lat := make([]time.Duration, 0, b.N)
	right := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ex := test[i%len(test)]
		t0 := time.Now()
		p := m.predict(context.Background(), Query{Text: ex.Text}, nil)
		_, _ = m.directAnswer(context.Background(), nil, Query{Text: ex.Text}, &p)
		lat = append(lat, time.Since(t0))
		if m.depts[p.ranked[0]].Code == ex.Department {
			right++
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(right)/float64(b.N), "top1")
}
