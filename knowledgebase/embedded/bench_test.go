package embedded

import (
	"context"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// Scale benchmarks at 100,000 generated entries. Run with
//
//	go test -run '^$' -bench Scale -benchtime 1x ./knowledgebase/embedded
//
// (the index is built once per process and shared by the benchmarks). Set
// HALLGATE_BENCH_DOCS to change the size.

var (
	scaleOnce  sync.Once
	scaleIdx   *Index
	scaleDir   string
	scaleBuild time.Duration
	scaleN     int
)

func scaleDocs() int {
	if v, err := strconv.Atoi(os.Getenv("HALLGATE_BENCH_DOCS")); err == nil && v > 0 {
		return v
	}
	return 100_000
}

func buildScale(b *testing.B) *Index {
	scaleOnce.Do(func() {
		scaleN = scaleDocs()
		docs := genDocs(scaleN, 1)
		dir, err := os.MkdirTemp("", "hallgate-embedded-bench-")
		if err != nil {
			b.Fatal(err)
		}
		scaleDir = dir
		x, err := Open(context.Background(), Options{Dir: dir, SnapshotEvery: 1 << 30})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		for i := 0; i < len(docs); i += 1000 {
			if err := x.Upsert(context.Background(), docs[i:min(i+1000, len(docs))]...); err != nil {
				b.Fatal(err)
			}
		}
		scaleBuild = time.Since(start)
		if err := x.MarkBuilt(context.Background(), "bench"); err != nil {
			b.Fatal(err)
		}
		scaleIdx = x
	})
	if scaleIdx == nil {
		b.Fatal("scale index not built")
	}
	return scaleIdx
}

// rssMiB reads the resident set (VmRSS) and its peak (VmHWM) of this process.
func rssMiB() (cur, peak float64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			cur = v / 1024
		case "VmHWM:":
			peak = v / 1024
		}
	}
	return cur, peak
}

func BenchmarkScaleIndexing(b *testing.B) {
	buildScale(b)
	for b.Loop() {
		runtime.GC()
	}
	cur, peak := rssMiB()
	b.ReportMetric(float64(scaleN)/scaleBuild.Seconds(), "docs/s")
	b.ReportMetric(cur, "rss-MiB")
	b.ReportMetric(peak, "peak-rss-MiB")
}

func latencyMetrics(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / 1e6 }
	b.ReportMetric(p(0.50), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
	b.ReportMetric(float64(len(lat))/sum(lat).Seconds(), "searches/s")
}

func sum(ds []time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t
}

// BenchmarkScaleSearch is the Index: analysis, scoring, filters, feedback
// pass, reranking and highlights.
func BenchmarkScaleSearch(b *testing.B) {
	x := buildScale(b)
	qs := genQueries(2000, 3)
	ctx := context.Background()
	var lat []time.Duration
	i := 0
	for b.Loop() {
		q := qs[i%len(qs)]
		i++
		t := time.Now()
		if _, err := x.Search(ctx, knowledgebase.Query{Text: q, Limit: 10}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t))
	}
	if len(lat) < len(qs) {
		// -benchtime 1x: measure the full query set once.
		lat = lat[:0]
		for _, q := range qs {
			t := time.Now()
			x.Search(ctx, knowledgebase.Query{Text: q, Limit: 10})
			lat = append(lat, time.Since(t))
		}
	}
	latencyMetrics(b, lat)
}

// BenchmarkScaleRawCore is the bare scoring library: pre-analysed query
// terms, one BM25F pass and top-10 selection, without filters, feedback,
// reranking or highlights — the figure the Index's overhead compares to.
func BenchmarkScaleRawCore(b *testing.B) {
	x := buildScale(b)
	qs := genQueries(2000, 3)
	terms := make([][]analysis.Term, len(qs))
	for i, q := range qs {
		terms[i] = x.an.QueryTerms(q)
	}
	acc := &accum{}
	run := func(i int) time.Duration {
		t := time.Now()
		x.mu.RLock()
		x.core.score(terms[i%len(terms)], acc)
		var top [10]cand
		nTop := 0
		for _, d := range acc.touched {
			if !acc.strong[d] {
				continue
			}
			c := cand{d, acc.score[d]}
			if nTop == len(top) && c.score <= top[nTop-1].score {
				continue
			}
			if nTop < len(top) {
				nTop++
			}
			j := nTop - 1
			for ; j > 0 && top[j-1].score < c.score; j-- {
				top[j] = top[j-1]
			}
			top[j] = c
		}
		x.mu.RUnlock()
		return time.Since(t)
	}
	var lat []time.Duration
	i := 0
	for b.Loop() {
		lat = append(lat, run(i))
		i++
	}
	if len(lat) < len(qs) {
		lat = lat[:0]
		for i := range qs {
			lat = append(lat, run(i))
		}
	}
	latencyMetrics(b, lat)
}

// BenchmarkScaleReopen opens the persisted 100k index (snapshot only).
func BenchmarkScaleReopen(b *testing.B) {
	buildScale(b)
	var last time.Duration
	for b.Loop() {
		t := time.Now()
		y, err := Open(context.Background(), Options{Dir: scaleDir})
		if err != nil {
			b.Fatal(err)
		}
		last = time.Since(t)
		if n, _ := y.Count(context.Background()); n != scaleN {
			b.Fatalf("reopened count %d, want %d", n, scaleN)
		}
		y.Close()
	}
	if fi, err := os.Stat(scaleDir + "/" + snapName); err == nil {
		b.ReportMetric(float64(fi.Size())/(1<<20), "snapshot-MiB")
	}
	b.ReportMetric(last.Seconds()*1000, "reopen-ms")
}
