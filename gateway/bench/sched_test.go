package bench

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A slow operation behind a concurrency cap of 1 must show its queueing:
// latency is counted from each request's scheduled time, so requests that
// waited for the single slot report the wait, not only their own 50 ms.
func TestOpenLoopCountsQueueingFromScheduledTime(t *testing.T) {
	var calls atomic.Int64
	slow := func(ctx context.Context) (int, error) {
		calls.Add(1)
		time.Sleep(50 * time.Millisecond)
		return 200, nil
	}
	// 10 requests due within 0.5 s, each taking 50 ms, one at a time: the
	// server keeps up only just; at 40 req/s it cannot.
	run := OpenLoop(t.Context(), Pace{Rate: 40, Duration: 500 * time.Millisecond, Concurrency: 1}, func(int) (string, Op) { return "slow", slow })
	if len(run.Samples) != 20 || calls.Load() != 20 {
		t.Fatalf("samples %d calls %d, want 20", len(run.Samples), calls.Load())
	}
	all, _ := Summarize(run.Samples, run.Window, 500*time.Millisecond)
	// Request i is due at 25i ms and ends at about 50(i+1) ms: the last one
	// waited ≈ 525 ms + its own 50 ms. A closed-loop count would say 50 ms.
	if all.Max < 450 {
		t.Fatalf("max latency %.1f ms: queueing behind the slow handler not counted", all.Max)
	}
	if all.P50 < 200 {
		t.Fatalf("p50 %.1f ms, want the median request's wait (≈ 300 ms) included", all.P50)
	}
	if all.Achieved > 25 {
		t.Fatalf("achieved %.1f req/s above what a 50 ms serial handler can do", all.Achieved)
	}
}

// A fast operation keeps latency near its own time and throughput at the
// offered rate.
func TestOpenLoopFastHandlerKeepsRate(t *testing.T) {
	fast := func(ctx context.Context) (int, error) { return 204, nil }
	run := OpenLoop(t.Context(), Pace{Rate: 200, Duration: 500 * time.Millisecond, Warmup: 100 * time.Millisecond, Concurrency: 8},
		func(int) (string, Op) { return "fast", fast })
	all, byOp := Summarize(run.Samples, run.Window, 500*time.Millisecond)
	if all.Requests != 100 || byOp["fast"].OK != 100 {
		t.Fatalf("requests %d ok %d, want the 100 after the warmup", all.Requests, byOp["fast"].OK)
	}
	if all.Offered < 190 || all.Offered > 210 || all.Achieved < 150 {
		t.Fatalf("offered %.1f achieved %.1f", all.Offered, all.Achieved)
	}
	if all.P50 > 20 {
		t.Fatalf("p50 %.2f ms for a no-op", all.P50)
	}
}

// Requests that cannot get a slot within MaxLag are dropped and counted.
func TestOpenLoopDropsBeyondMaxLag(t *testing.T) {
	block := make(chan struct{})
	stuck := func(ctx context.Context) (int, error) { <-block; return 200, nil }
	done := make(chan Schedule)
	go func() {
		done <- OpenLoop(context.Background(), Pace{Rate: 100, Duration: 100 * time.Millisecond, Concurrency: 1, MaxLag: 50 * time.Millisecond},
			func(int) (string, Op) { return "stuck", stuck })
	}()
	time.Sleep(300 * time.Millisecond)
	close(block)
	run := <-done
	all, _ := Summarize(run.Samples, run.Window, 100*time.Millisecond)
	if all.Errors["not_sent"] < 5 || all.OK != 1 {
		t.Fatalf("ok %d errors %v: want one sent and the rest dropped", all.OK, all.Errors)
	}
}

func TestOptionsValidateListsEveryProblem(t *testing.T) {
	o := Options{Scenarios: []string{"nope"}, Rate: -1, Duration: -1, KBSize: -1, Concurrency: -1, Store: "x", Pool: 0, URL: "http://x"}
	err := o.Validate()
	if err == nil {
		t.Fatal("invalid options accepted")
	}
	for _, want := range []string{"scenario", "rate", "duration", "kb-size", "concurrency", "store", "url and token", "pool"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
	if err := Defaults().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
}
