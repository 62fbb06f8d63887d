package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
)

// The Bench* helpers are shared by the backends' bench_test.go files so that
// both measure the same work. Each reports a rate metric besides ns/op.

func benchData(i int64) []byte {
	return []byte(fmt.Sprintf(`{"title":"小区路灯不亮","seq":%d,"detail":"市民反映夜间路灯损坏，影响出行安全，请尽快维修。"}`, i))
}

// BenchCommitParallel measures durable single-record commits from parallel writers.
func BenchCommitParallel(b *testing.B, s store.Store) {
	ctx := context.Background()
	var seq atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			_, err := s.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{Collection: "bench", ID: fmt.Sprintf("r%09d", i), Data: benchData(i), Index: map[string]string{"status": "open", "caller": fmt.Sprint(i % 1000)}}}}})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
}

// BenchOutboxCycle measures enqueue (in its own commit) + claim + ack per item.
func BenchOutboxCycle(b *testing.B, s store.Store) {
	ctx := context.Background()
	var seq atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		consumer := fmt.Sprintf("c%d", seq.Add(1<<40))
		for pb.Next() {
			i := seq.Add(1)
			_, err := s.Commit(ctx, store.Tx{Enqueue: []store.OutboxItem{{ID: fmt.Sprintf("i%d", i), Topic: "bench", Key: fmt.Sprint(i % 8), Payload: benchData(i)}}})
			if err != nil {
				b.Error(err)
				return
			}
			items, err := s.Claim(ctx, "bench", consumer, 1, time.Minute)
			if err != nil {
				b.Error(err)
				return
			}
			for _, it := range items {
				if err := s.Ack(ctx, it); err != nil {
					b.Error(err)
					return
				}
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}

// Preload writes n records of collection "big" in transactions of 1000:
// caller = i % (n/5) (about five tickets per caller), status one of four.
func Preload(b testing.TB, s store.Store, n int) {
	ctx := context.Background()
	callers := max(n/5, 1)
	statuses := []string{"open", "dispatched", "replied", "closed"}
	for start := 0; start < n; start += 1000 {
		var puts []store.Put
		for i := start; i < min(start+1000, n); i++ {
			puts = append(puts, store.Put{Record: store.Record{Collection: "big", ID: fmt.Sprintf("T%09d", i), Data: benchData(int64(i)),
				Index: map[string]string{"caller": fmt.Sprintf("h%08d", i%callers), "status": statuses[i%4]}}, Force: true})
		}
		if _, err := s.Commit(ctx, store.Tx{Puts: puts}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchGet measures Get of random records among n preloaded ones.
func BenchGet(b *testing.B, s store.Store, n int) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("T%09d", rand.IntN(n))
			if _, err := s.Get(ctx, "big", id); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "gets/s")
}

// BenchListByCaller measures the screen pop: a caller's tickets (newest
// first) among n preloaded records, checking the answer's size.
func BenchListByCaller(b *testing.B, s store.Store, n int) {
	ctx := context.Background()
	callers := max(n/5, 1)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c := rand.IntN(callers)
			p, err := s.List(ctx, "big", store.ListOptions{Filter: map[string]string{"caller": fmt.Sprintf("h%08d", c)}, Limit: 20, Reverse: true})
			if err != nil {
				b.Error(err)
				return
			}
			if want := n / callers; len(p.Records) < want {
				b.Errorf("caller %d: %d records, want ≥ %d", c, len(p.Records), want)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lists/s")
}

// BenchCountByStatus measures Count with one filter (a quarter of n match).
func BenchCountByStatus(b *testing.B, s store.Store, n int) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		got, err := s.Count(ctx, "big", map[string]string{"status": "open"})
		if err != nil || got != (n+3)/4 {
			b.Fatalf("count = %d, %v; want %d", got, err, (n+3)/4)
		}
	}
}

// BenchRecords is the size of the preloaded collection: HALLGATE_BENCH_RECORDS or def.
func BenchRecords(def int) int {
	if n, err := strconv.Atoi(os.Getenv("HALLGATE_BENCH_RECORDS")); err == nil && n > 0 {
		return n
	}
	return def
}
