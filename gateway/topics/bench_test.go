package topics

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/store/bolt"
	"github.com/hallgate/hallgate/gateway/store/redis"
)

// benchStream builds days of background at perDay tickets/day from the dev
// tickets. mixed splices halves of two tickets so that the stream holds
// thousands of distinct matters (many live clusters), not the file's 250.
func benchStream(b *testing.B, days, perDay int, mixed bool) []streamTicket {
	b.Helper()
	pool, err := loadTickets(devTickets(b))
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 7))
	stream, _ := buildStream(r, pool, []string{"东湖县", "临江区", "江川区", "高新区"}, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), days, 0, perDay, 0, 8, 14)
	if mixed {
		for i := range stream {
			a, c := []rune(stream[i].Signal.Text), []rune(pool[r.IntN(len(pool))].Text)
			stream[i].Signal.Text = string(a[:len(a)/2]) + string(c[len(c)/2:])
		}
	}
	return stream
}

// BenchmarkEngineProcess measures detection throughput (tickets/s) on a
// warmed engine: three days of history, then the measured tickets.
func BenchmarkEngineProcess(b *testing.B) {
	for _, mixed := range []bool{false, true} {
		b.Run(fmt.Sprintf("mixed=%v", mixed), func(b *testing.B) {
			stream := benchStream(b, 4, 3000, mixed)
			warm := len(stream) * 3 / 4
			e, err := NewEngine(EngineOptions{})
			if err != nil {
				b.Fatal(err)
			}
			for _, st := range stream[:warm] {
				if _, err := e.Process(st.Signal); err != nil {
					b.Fatal(err)
				}
			}
			rest := stream[warm:]
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s := rest[i%len(rest)].Signal
				s.ID = fmt.Sprintf("%s-%d", s.ID, i) // never a replay
				if _, err := e.Process(s); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tickets/s")
			b.ReportMetric(float64(e.Clusters()), "clusters")
		})
	}
}

// BenchmarkDetector measures the replicated path on bolt (and Redis):
// tickets observed concurrently by request goroutines (durable enqueues,
// which bolt batches) while the lease holder processes them in batches and
// commits the state snapshot per batch. tickets/s counts tickets both
// observed and processed.
func BenchmarkDetector(b *testing.B) {
	b.Run("bolt", func(b *testing.B) {
		st, err := bolt.Open(context.Background(), bolt.Options{Path: filepath.Join(b.TempDir(), "bench.db")})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		benchDetector(b, st)
	})
	url := os.Getenv("HALLGATE_TEST_REDIS_URL")
	if url == "" {
		b.Log("HALLGATE_TEST_REDIS_URL not set; skipping the Redis detector benchmark")
		return
	}
	b.Run("redis", func(b *testing.B) {
		st, err := redis.Open(context.Background(), redis.Options{URL: url, Prefix: fmt.Sprintf("topicsbench:%d:", time.Now().UnixNano())})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		benchDetector(b, st)
	})
}

func benchDetector(b *testing.B, st store.Store) {
	ctx := context.Background()
	stream := benchStream(b, 1, 3000, true)
	d, err := Open(ctx, Options{Store: st, Owner: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	done := make(chan struct{})
	processed := make(chan int)
	go func() {
		total := 0
		for {
			n, err := d.ProcessOnce(ctx)
			if err != nil {
				b.Error(err)
			}
			total += n
			if n == 0 {
				select {
				case <-done:
					// Everything observed is queued now: drain and stop.
					for {
						n, err := d.ProcessOnce(ctx)
						if err != nil {
							b.Error(err)
						}
						total += n
						if n == 0 {
							processed <- total
							return
						}
					}
				case <-time.After(5 * time.Millisecond):
				}
			}
		}
	}()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			s := stream[int(i)%len(stream)].Signal
			s.ID = fmt.Sprintf("%s-%d", s.ID, i)
			if err := d.Observe(ctx, s); err != nil {
				b.Error(err)
				return
			}
		}
	})
	close(done)
	total := <-processed
	b.StopTimer()
	if total != b.N {
		b.Fatalf("processed %d of %d", total, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tickets/s")
}
