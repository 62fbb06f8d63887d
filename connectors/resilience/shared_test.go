package resilience

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hallgate/hallgate/connectors"
)

// TestSharedBreakerAcrossReplicas: two chains (two replicas) share one
// breaker through Redis; failures seen by one open it for both.
func TestSharedBreakerAcrossReplicas(t *testing.T) {
	u := os.Getenv("HALLGATE_TEST_REDIS_URL")
	if u == "" {
		t.Skip("HALLGATE_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6397/0); skipping shared breaker test")
	}
	opt, err := redis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opt)
	defer client.Close()
	name := fmt.Sprintf("shared-%d", time.Now().UnixNano())
	failing := &scripted{fn: func(context.Context, int) (connectors.Receipt, error) {
		return connectors.Receipt{}, connectors.Retryable(503, 0, errors.New("down"))
	}}
	healthy := &scripted{fn: func(context.Context, int) (connectors.Receipt, error) {
		return connectors.Receipt{Reference: "ok"}, nil
	}}
	cfg := fastCfg()
	cfg.Retry.MaxAttempts = 1
	a, err := Chain(cfg, named{failing, name}, Deps{Redis: client, Owner: "replica-a"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Chain(cfg, named{healthy, name}, Deps{Redis: client, Owner: "replica-b"})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		_, _ = a.Deliver(t.Context(), connectors.Delivery{})
	}
	if s := b.BreakerState(); s != "open" {
		t.Fatalf("replica b sees %s after replica a's failures, want open", s)
	}
	if _, err := b.Deliver(t.Context(), connectors.Delivery{}); !errors.Is(err, ErrBreakerOpen) || healthy.Calls() != 0 {
		t.Fatalf("replica b called through a shared open breaker: %v", err)
	}
	time.Sleep(cfg.Breaker.OpenTimeout + 50*time.Millisecond)
	if rc, err := b.Deliver(t.Context(), connectors.Delivery{}); err != nil || rc.Reference != "ok" {
		t.Fatalf("probe from replica b: %v", err)
	}
	if s := a.BreakerState(); s != "closed" {
		t.Fatalf("replica a sees %s after b's good probe, want closed", s)
	}
}

type named struct {
	*scripted
	name string
}

func (n named) Name() string { return n.name }

// TestSharedBreakerKeepsCallsConcurrent: a closed shared breaker must not
// serialise a department's calls behind its Redis lock.
func TestSharedBreakerKeepsCallsConcurrent(t *testing.T) {
	u := os.Getenv("HALLGATE_TEST_REDIS_URL")
	if u == "" {
		t.Skip("HALLGATE_TEST_REDIS_URL is not set; skipping shared breaker test")
	}
	opt, _ := redis.ParseURL(u)
	client := redis.NewClient(opt)
	defer client.Close()
	var cur, peak atomic.Int32
	slow := &scripted{fn: func(context.Context, int) (connectors.Receipt, error) {
		n := cur.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(30 * time.Millisecond)
		cur.Add(-1)
		return connectors.Receipt{}, nil
	}}
	ch, err := Chain(fastCfg(), named{slow, fmt.Sprintf("conc-%d", time.Now().UnixNano())}, Deps{Redis: client, Owner: "r"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := ch.Deliver(t.Context(), connectors.Delivery{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p < 2 {
		t.Fatalf("peak concurrency %d through a closed shared breaker, want > 1", p)
	}
	if slow.Calls() != 8 {
		t.Fatalf("calls %d", slow.Calls())
	}
}
