package dispatch_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hallgate/hallgate/connectors/simulator"
	"github.com/hallgate/hallgate/gateway/dispatch"
)

// BenchmarkRelayThroughput measures deliveries per second from the outbox to
// a local simulator (REST flavour) through the whole chain, per store.
func BenchmarkRelayThroughput(b *testing.B) {
	for _, kind := range []string{"bolt", "redis"} {
		b.Run(kind, func(b *testing.B) {
			st := benchBackend(b, kind)
			sim := simulator.New(simulator.Options{Department: "ZJJ"})
			srv := httptest.NewServer(sim)
			defer srv.Close()
			defer sim.Close()
			reg := dispatch.NewRegistry()
			_ = reg.Put(restEntry(b, "zjj", "ZJJ", srv.URL, nil))
			ctx := context.Background()
			run := strconv.FormatInt(time.Now().UnixNano(), 36)
			enqueue(ctx, b, st, run, 0, b.N, 500, "ZJJ")
			cfg := fastRelay()
			relay, err := dispatch.New(st, reg, cfg, dispatch.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			rctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { _ = relay.Run(rctx); close(done) }()
			start := time.Now()
			for sim.Stats().Unique < b.N {
				time.Sleep(2 * time.Millisecond)
			}
			el := time.Since(start)
			b.StopTimer()
			cancel()
			<-done
			b.ReportMetric(float64(b.N)/el.Seconds(), "deliveries/s")
		})
	}
}

// BenchmarkEnqueueToDelivered enqueues at a steady 500 deliveries/s (one
// commit every 2 ms) and reports the enqueue → arrival latency percentiles.
func BenchmarkEnqueueToDelivered(b *testing.B) {
	for _, kind := range []string{"bolt", "redis"} {
		b.Run(kind, func(b *testing.B) {
			st := benchBackend(b, kind)
			sim := simulator.New(simulator.Options{Department: "ZJJ"})
			var mu sync.Mutex
			arrived := map[string]time.Time{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				k := r.Header.Get("Idempotency-Key")
				now := time.Now()
				mu.Lock()
				if _, ok := arrived[k]; !ok {
					arrived[k] = now
				}
				mu.Unlock()
				sim.ServeHTTP(w, r)
			}))
			defer srv.Close()
			defer sim.Close()
			reg := dispatch.NewRegistry()
			_ = reg.Put(restEntry(b, "zjj", "ZJJ", srv.URL, nil))
			cfg := fastRelay()
			cfg.PollInterval = 50 * time.Millisecond // the default
			relay, _ := dispatch.New(st, reg, cfg, dispatch.Options{})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { _ = relay.Run(ctx); close(done) }()
			n := max(b.N, 1000) // at least 2 s of steady load
			run := strconv.FormatInt(time.Now().UnixNano(), 36)
			sent := make(map[string]time.Time, n)
			b.ResetTimer()
			// Each tick commits in its own goroutine, as concurrent intakes
			// would, so a slow fsync does not lower the offered rate.
			tick := time.NewTicker(2 * time.Millisecond)
			t0 := time.Now()
			var (
				wg   sync.WaitGroup
				smu  sync.Mutex
				slot = make(chan struct{}, 256)
			)
			for i := range n {
				<-tick.C
				slot <- struct{}{}
				wg.Go(func() {
					defer func() { <-slot }()
					at := time.Now()
					enqueue(ctx, b, st, run, i, 1, 1, "ZJJ")
					smu.Lock()
					sent[delivery(run, i, "ZJJ").ID] = at
					smu.Unlock()
				})
			}
			tick.Stop()
			wg.Wait()
			rate := float64(n) / time.Since(t0).Seconds()
			for sim.Stats().Unique < n {
				time.Sleep(5 * time.Millisecond)
			}
			b.StopTimer()
			cancel()
			<-done
			mu.Lock()
			lat := make([]time.Duration, 0, n)
			for k, t0 := range sent {
				lat = append(lat, arrived[k].Sub(t0))
			}
			mu.Unlock()
			slices.Sort(lat)
			b.ReportMetric(rate, "enqueued/s")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
