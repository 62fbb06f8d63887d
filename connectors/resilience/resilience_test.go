package resilience

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hallgate/hallgate/connectors"
)

// scripted answers each call with the next scripted result.
type scripted struct {
	mu    sync.Mutex
	calls int
	fn    func(ctx context.Context, n int) (connectors.Receipt, error)
}

func (s *scripted) Name() string { return "fake" }
func (s *scripted) Deliver(ctx context.Context, _ connectors.Delivery) (connectors.Receipt, error) {
	s.mu.Lock()
	s.calls++
	n := s.calls
	s.mu.Unlock()
	return s.fn(ctx, n)
}
func (s *scripted) Calls() int { s.mu.Lock(); defer s.mu.Unlock(); return s.calls }

func fastCfg() Config {
	c := Defaults()
	c.Retry = RetryConfig{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond}
	c.Breaker.ConsecutiveFailures = 3
	c.Breaker.OpenTimeout = 100 * time.Millisecond
	c.Breaker.HalfOpenProbes = 1
	c.Timeout = time.Second
	return c
}

func TestRetryOnlyRetryable(t *testing.T) {
	fail500 := &scripted{fn: func(context.Context, int) (connectors.Receipt, error) {
		return connectors.Receipt{}, connectors.Retryable(503, 0, errors.New("down"))
	}}
	ch, err := Chain(fastCfg(), fail500, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ch.Deliver(t.Context(), connectors.Delivery{})
	if !errors.Is(err, connectors.ErrRetryable) || fail500.Calls() != 3 {
		t.Fatalf("err=%v calls=%d, want retryable after 3 calls", err, fail500.Calls())
	}
	perm := &scripted{fn: func(context.Context, int) (connectors.Receipt, error) {
		return connectors.Receipt{}, connectors.Permanent(422, errors.New("bad"))
	}}
	ch, _ = Chain(fastCfg(), perm, Deps{})
	for range 10 {
		if _, err := ch.Deliver(t.Context(), connectors.Delivery{}); !connectors.IsPermanent(err) {
			t.Fatalf("want permanent, got %v", err)
		}
	}
	if perm.Calls() != 10 || ch.BreakerState() != "closed" {
		t.Fatalf("permanent errors: calls=%d breaker=%s, want 10 calls and closed", perm.Calls(), ch.BreakerState())
	}
}

func TestRetryAfterHonouredAndBounded(t *testing.T) {
	var times []time.Time
	c := &scripted{fn: func(_ context.Context, n int) (connectors.Receipt, error) {
		times = append(times, time.Now())
		if n == 1 {
			return connectors.Receipt{}, connectors.Retryable(429, 15*time.Millisecond, errors.New("slow down"))
		}
		return connectors.Receipt{Reference: "R"}, nil
	}}
	ch, _ := Chain(fastCfg(), c, Deps{})
	rc, err := ch.Deliver(t.Context(), connectors.Delivery{})
	if err != nil || rc.Reference != "R" {
		t.Fatalf("rc=%v err=%v", rc, err)
	}
	if gap := times[1].Sub(times[0]); gap < 15*time.Millisecond {
		t.Fatalf("Retry-After not honoured: gap %v", gap)
	}
	// A Retry-After longer than MaxDelay is left to the relay: one call only.
	long := &scripted{fn: func(context.Context, int) (connectors.Receipt, error) {
		return connectors.Receipt{}, connectors.Retryable(503, time.Hour, errors.New("maintenance"))
	}}
	ch, _ = Chain(fastCfg(), long, Deps{})
	_, err = ch.Deliver(t.Context(), connectors.Delivery{})
	if RetryAfter(err) != time.Hour || long.Calls() != 1 {
		t.Fatalf("err=%v calls=%d", err, long.Calls())
	}
}

func TestBreakerIgnoresCallerCancellation(t *testing.T) {
	slow := &scripted{fn: func(ctx context.Context, _ int) (connectors.Receipt, error) {
		<-ctx.Done()
		return connectors.Receipt{}, ctx.Err()
	}}
	ch, _ := Chain(fastCfg(), slow, Deps{})
	for range 10 {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Millisecond)
		_, err := ch.Deliver(ctx, connectors.Delivery{})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want caller deadline, got %v", err)
		}
	}
	if s := ch.BreakerState(); s != "closed" {
		t.Fatalf("breaker %s after caller cancellations, want closed", s)
	}
}

func TestBreakerOpensOnAttemptTimeoutsAndRecovers(t *testing.T) {
	var healthy atomic.Bool
	c := &scripted{fn: func(ctx context.Context, _ int) (connectors.Receipt, error) {
		if healthy.Load() {
			return connectors.Receipt{Reference: "ok"}, nil
		}
		<-ctx.Done()
		return connectors.Receipt{}, ctx.Err()
	}}
	cfg := fastCfg()
	cfg.Timeout = 5 * time.Millisecond
	cfg.Retry.MaxAttempts = 1
	var changes []string
	var mu sync.Mutex
	ch, _ := Chain(cfg, c, Deps{OnStateChange: func(_ string, from, to State) {
		mu.Lock()
		changes = append(changes, string(from)+"→"+string(to))
		mu.Unlock()
	}})
	for range 3 {
		_, err := ch.Deliver(t.Context(), connectors.Delivery{})
		if !errors.Is(err, ErrAttemptTimeout) || !errors.Is(err, connectors.ErrRetryable) {
			t.Fatalf("want retryable attempt timeout, got %v", err)
		}
	}
	if ch.BreakerState() != "open" {
		t.Fatalf("breaker %s, want open", ch.BreakerState())
	}
	before := c.Calls()
	if _, err := ch.Deliver(t.Context(), connectors.Delivery{}); !errors.Is(err, ErrBreakerOpen) {
		t.Fatalf("want ErrBreakerOpen, got %v", err)
	}
	if c.Calls() != before {
		t.Fatal("open breaker let a call through")
	}
	healthy.Store(true)
	time.Sleep(cfg.Breaker.OpenTimeout + 20*time.Millisecond)
	if rc, err := ch.Deliver(t.Context(), connectors.Delivery{}); err != nil || rc.Reference != "ok" {
		t.Fatalf("half-open probe: %v %v", rc, err)
	}
	if ch.BreakerState() != "closed" {
		t.Fatalf("breaker %s after successful probe, want closed", ch.BreakerState())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(changes) != 3 {
		t.Fatalf("state changes %v", changes)
	}
}

func TestBulkheadBoundsConcurrency(t *testing.T) {
	var cur, peak atomic.Int32
	c := &scripted{fn: func(context.Context, int) (connectors.Receipt, error) {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		cur.Add(-1)
		return connectors.Receipt{}, nil
	}}
	cfg := fastCfg()
	cfg.Bulkhead.MaxConcurrent = 3
	ch, _ := Chain(cfg, c, Deps{})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { _, _ = ch.Deliver(t.Context(), connectors.Delivery{}) })
	}
	wg.Wait()
	if p := peak.Load(); p != 3 {
		t.Fatalf("peak concurrency %d, want 3", p)
	}
	// Waiting for a slot respects ctx.
	block := make(chan struct{})
	b := NewBulkhead(1)
	hold := b.Middleware()(&scripted{fn: func(context.Context, int) (connectors.Receipt, error) { <-block; return connectors.Receipt{}, nil }})
	go func() { _, _ = hold.Deliver(context.Background(), connectors.Delivery{}) }()
	for b.InFlight() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	if _, err := hold.Deliver(ctx, connectors.Delivery{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want deadline while waiting for a slot, got %v", err)
	}
	close(block)
}

func TestRateLimit(t *testing.T) {
	c := &scripted{fn: func(context.Context, int) (connectors.Receipt, error) { return connectors.Receipt{}, nil }}
	cfg := fastCfg()
	cfg.RateLimit = RateLimitConfig{PerSecond: 100, Burst: 1}
	ch, _ := Chain(cfg, c, Deps{})
	start := time.Now()
	for range 11 {
		if _, err := ch.Deliver(t.Context(), connectors.Delivery{}); err != nil {
			t.Fatal(err)
		}
	}
	if el := time.Since(start); el < 90*time.Millisecond {
		t.Fatalf("11 calls at 100/s burst 1 took %v, want ≥ 100ms", el)
	}
}

func TestConfigValidateReportsAll(t *testing.T) {
	err := Config{Retry: RetryConfig{MaxAttempts: -1}, Bulkhead: BulkheadConfig{MaxConcurrent: -1}, Timeout: -1}.WithDefaults().Validate()
	if err == nil || !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("want invalid config, got %v", err)
	}
	for _, want := range []string{"max_attempts", "max_concurrent", "timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q misses %s", err, want)
		}
	}
}

func TestTracingSpanPerAttempt(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	c := &scripted{fn: func(_ context.Context, n int) (connectors.Receipt, error) {
		if n == 1 {
			return connectors.Receipt{}, connectors.Retryable(503, 0, errors.New("busy"))
		}
		return connectors.Receipt{Status: 201}, nil
	}}
	var got []Attempt
	ch, _ := Chain(fastCfg(), c, Deps{TracerProvider: tp, Department: "D01"})
	ctx := WithAttemptRecorder(t.Context(), func(a Attempt) { got = append(got, a) })
	if _, err := ch.Deliver(ctx, connectors.Delivery{TicketID: "t1"}); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	if len(spans) != 2 || len(got) != 2 {
		t.Fatalf("spans %d attempts %d, want 2 each", len(spans), len(got))
	}
	want := []map[string]string{{"attempt": "1", "http.status_code": "503", "outcome": "retryable", "department": "D01", "connector": "fake"},
		{"attempt": "2", "http.status_code": "201", "outcome": "delivered"}}
	for i, s := range spans {
		attrs := map[string]string{}
		for _, kv := range s.Attributes {
			attrs[string(kv.Key)] = kv.Value.Emit()
		}
		for k, v := range want[i] {
			if attrs[k] != v {
				t.Errorf("span %d: %s=%q, want %q", i, k, attrs[k], v)
			}
		}
	}
	if got[0].Status != 503 || got[0].Outcome != OutcomeRetryable || got[1].Number != 2 || got[0].TraceID == "" {
		t.Fatalf("attempts %+v", got)
	}
}

func TestRateLimitWaitBeyondDeadlineIsNotADownstreamFailure(t *testing.T) {
	c := &scripted{fn: func(context.Context, int) (connectors.Receipt, error) { return connectors.Receipt{}, nil }}
	cfg := fastCfg()
	cfg.RateLimit = RateLimitConfig{PerSecond: 1, Burst: 1}
	ch, _ := Chain(cfg, c, Deps{})
	if _, err := ch.Deliver(t.Context(), connectors.Delivery{}); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		_, err := ch.Deliver(ctx, connectors.Delivery{})
		cancel()
		if !errors.Is(err, ErrRateLimited) || !errors.Is(err, connectors.ErrRetryable) || RetryAfter(err) <= 0 {
			t.Fatalf("want retryable ErrRateLimited with a wait, got %v", err)
		}
	}
	if s := ch.BreakerState(); s != "closed" || c.Calls() != 1 {
		t.Fatalf("breaker %s, calls %d", s, c.Calls())
	}
}
