package dispatch_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"encoding/json"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/httpjson"
	"github.com/hallgate/hallgate/connectors/resilience"
	"github.com/hallgate/hallgate/gateway/dispatch"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/store/bolt"
	"github.com/hallgate/hallgate/gateway/store/redis"
)

// backend opens a fresh store of the named kind; "redis" skips without
// HALLGATE_TEST_REDIS_URL.
func backend(t *testing.T, kind string) store.Store {
	t.Helper()
	switch kind {
	case "bolt":
		s, err := bolt.Open(t.Context(), bolt.Options{Path: t.TempDir() + "/hallgate.db"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	case "redis":
		u := os.Getenv("HALLGATE_TEST_REDIS_URL")
		if u == "" {
			t.Skip("HALLGATE_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6397/0); skipping Redis variant")
		}
		s, err := redis.Open(t.Context(), redis.Options{URL: u, Prefix: fmt.Sprintf("dispatchtest:%d:", time.Now().UnixNano())})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	t.Fatalf("unknown backend %s", kind)
	return nil
}

// fastChain is a chain tuned for tests: short breaker timeout and backoff.
func fastChain() resilience.Config {
	c := resilience.Defaults()
	c.Retry = resilience.RetryConfig{MaxAttempts: 2, BaseDelay: 5 * time.Millisecond, MaxDelay: 50 * time.Millisecond}
	c.Breaker.ConsecutiveFailures = 5
	c.Breaker.OpenTimeout = 300 * time.Millisecond
	c.Breaker.HalfOpenProbes = 2
	c.Timeout = 2 * time.Second
	c.Bulkhead.MaxConcurrent = 32
	return c
}

func fastRelay() dispatch.Config {
	return dispatch.Config{Consumer: "test", Workers: 32, Batch: 32, Lease: 30 * time.Second, PollInterval: 20 * time.Millisecond,
		RetryBase: 50 * time.Millisecond, RetryMax: 500 * time.Millisecond, BreakerWait: 200 * time.Millisecond, NoConnectorWait: 100 * time.Millisecond}
}

// transitions records breaker state changes.
type transitions struct {
	mu  sync.Mutex
	seq []string
}

func (tr *transitions) add(_ string, from, to resilience.State) {
	tr.mu.Lock()
	tr.seq = append(tr.seq, string(from)+"→"+string(to))
	tr.mu.Unlock()
}

func (tr *transitions) list() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]string(nil), tr.seq...)
}

// restEntry builds a registry entry for dept talking to a simulator's REST flavour.
func restEntry(t testing.TB, name, dept, url string, tr *transitions) dispatch.Entry {
	return restEntryDeps(t, name, dept, url, tr, resilience.Deps{})
}

// restEntryDeps is restEntry with chain deps (e.g. a Redis client for a
// shared breaker).
func restEntryDeps(t testing.TB, name, dept, url string, tr *transitions, deps resilience.Deps) dispatch.Entry {
	c, err := httpjson.New(name, httpjson.Config{URL: url + "/rest/deliveries", Timeout: 10 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	deps.Department = dept
	if tr != nil {
		deps.OnStateChange = tr.add
	}
	ch, err := resilience.Chain(fastChain(), c, deps)
	if err != nil {
		t.Fatal(err)
	}
	return dispatch.Entry{Name: name, Kind: "httpjson", Department: dept, CallbackSecret: "callback-secret-" + name, Connector: ch}
}

// delivery makes the outbox item of delivery number i to dept.
func delivery(run string, i int, dept string) store.OutboxItem {
	ticket := "t-" + run + "-" + strconv.Itoa(i)
	d := connectors.Delivery{IdempotencyKey: ticket + "/" + dept + "/1", TicketID: ticket, TicketCode: "2026" + strconv.Itoa(100000+i),
		Department: dept, Role: "lead", Event: "dispatch", Ticket: json.RawMessage(`{"title":"路灯不亮"}`), CreatedAt: time.Now().UTC()}
	payload, _ := json.Marshal(d)
	return store.OutboxItem{ID: d.IdempotencyKey, Topic: "delivery", Key: dept, Payload: payload, CreatedAt: d.CreatedAt}
}

// enqueue commits n deliveries in transactions of batch.
func enqueue(ctx context.Context, t testing.TB, st store.Store, run string, from, n, batch int, dept string) {
	for i := from; i < from+n; i += batch {
		var tx store.Tx
		for j := i; j < min(i+batch, from+n); j++ {
			tx.Enqueue = append(tx.Enqueue, delivery(run, j, dept))
		}
		if _, err := st.Commit(ctx, tx); err != nil {
			t.Fatalf("enqueue: %v", err)
		}
	}
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func restEntryAt(t testing.TB, name, dept, url string) connectors.Connector {
	c, err := httpjson.New(name, httpjson.Config{URL: url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := resilience.Chain(fastChain(), c, resilience.Deps{Department: dept})
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// benchBackend is backend for benchmarks.
func benchBackend(b *testing.B, kind string) store.Store {
	b.Helper()
	switch kind {
	case "bolt":
		s, err := bolt.Open(context.Background(), bolt.Options{Path: b.TempDir() + "/bench.db"})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		return s
	default:
		u := os.Getenv("HALLGATE_TEST_REDIS_URL")
		if u == "" {
			b.Skip("HALLGATE_TEST_REDIS_URL is not set; skipping Redis benchmark")
		}
		s, err := redis.Open(context.Background(), redis.Options{URL: u, Prefix: fmt.Sprintf("dispatchbench:%d:", time.Now().UnixNano())})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		return s
	}
}
