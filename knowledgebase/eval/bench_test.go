package eval

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/embedded"
)

// BenchmarkDevSearch is one in-process search of the dev queries against
// the dev knowledge base (skipped without ../shared/data), computed every
// time; BenchmarkDevSearchCached is the default index with its result
// cache (the 121 queries repeat).
func BenchmarkDevSearch(b *testing.B) { benchDevSearch(b, -1) }

func BenchmarkDevSearchCached(b *testing.B) { benchDevSearch(b, 0) }

func benchDevSearch(b *testing.B, cacheSize int) {
	data := devDataB(b)
	docs, err := LoadKB(filepath.Join(data, "kb_dev.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	cases, err := LoadQueries(filepath.Join(data, "queries_dev.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	idx, err := embedded.Open(ctx, embedded.Options{CacheSize: cacheSize})
	if err != nil {
		b.Fatal(err)
	}
	defer idx.Close()
	if err := idx.Upsert(ctx, docs...); err != nil {
		b.Fatal(err)
	}
	i := 0
	cpu0 := processCPU()
	for b.Loop() {
		if _, err := idx.Search(ctx, knowledgebase.Query{Text: cases[i%len(cases)].Q, Limit: 10}); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(i), "cpu-µs/op")
}

// processCPU is this process's CPU time (user + system), so the figure is
// meaningful on a busy shared machine where wall time is not.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
