package ticket

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkCreate files tickets through the service (no HTTP), with an
// idempotency key and a dispatch at intake, on the embedded store.
func BenchmarkCreate(b *testing.B) {
	e := newEnv(b, func(o *Options) {
		o.Now = time.Now
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	})
	in := sampleIntake()
	in.Department = "housing"
	var seq atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			in := in // distinct callers and places, as on a real day
			in.Caller.Phone = fmt.Sprintf("138%08d", n)
			in.Address = fmt.Sprintf("滨江路%d号", n)
			if _, err := e.svc.Create(context.Background(), agent, in, fmt.Sprint("k", n), "fp"); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tickets/s")
}
