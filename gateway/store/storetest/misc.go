package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
)

func miscTests() []testCase {
	return []testCase{
		{"IdempotencyPutIfAbsent", testIdempotency},
		{"IdempotencyTTL", testIdempotencyTTL},
		{"IdempotencyConcurrentFirstWins", testIdempotencyRace},
		{"CountersMonotonic", testCounters},
		{"Leases", testLeases},
		{"LeaseExpiry", testLeaseExpiry},
		{"Ping", func(t *testing.T, s store.Store, _ Features) { noErr(t, s.Ping(ctxT(t))) }},
		{"CanceledContext", testCanceled},
		{"Closed", testClosed},
	}
}

func testCanceled(t *testing.T, s store.Store, _ Features) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{Collection: "c", ID: "a", Data: []byte(`1`)}}}})
	isErr(t, err, context.Canceled)
	_, err = s.Get(ctx, "c", "a")
	isErr(t, err, context.Canceled)
	_, err = s.Get(ctxT(t), "c", "a")
	isErr(t, err, store.ErrNotFound)
}

// testClosed closes the store itself; the factory's cleanup closes it again,
// which must be harmless.
func testClosed(t *testing.T, s store.Store, _ Features) {
	noErr(t, s.Close())
	ctx := ctxT(t)
	_, err := s.Get(ctx, "c", "a")
	isErr(t, err, store.ErrClosed)
	_, err = s.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{Collection: "c", ID: "a", Data: []byte(`1`)}}}})
	isErr(t, err, store.ErrClosed)
	_, err = s.Claim(ctx, "delivery", "w", 1, time.Minute)
	isErr(t, err, store.ErrClosed)
	isErr(t, s.Ping(ctx), store.ErrClosed)
	noErr(t, s.Close())
}

func testIdempotency(t *testing.T, s store.Store, _ Features) {
	ctx := ctxT(t)
	v, fresh := put2(t, s, "req-1", "first", time.Hour)
	if !fresh || v != "first" {
		t.Fatalf("first PutIfAbsent = %q, %v", v, fresh)
	}
	v, fresh = put2(t, s, "req-1", "second", time.Hour)
	if fresh || v != "first" {
		t.Fatalf("second PutIfAbsent = %q, %v, want stored \"first\", false", v, fresh)
	}
	v, fresh = put2(t, s, "req-2", "other", time.Hour)
	if !fresh || v != "other" {
		t.Fatalf("other key = %q, %v", v, fresh)
	}
	noErr(t, s.ForgetIdempotency(ctx, "req-1"))
	v, fresh = put2(t, s, "req-1", "third", time.Hour)
	if !fresh || v != "third" {
		t.Fatalf("after forget = %q, %v", v, fresh)
	}
	noErr(t, s.ForgetIdempotency(ctx, "never-set"))
}

func put2(t *testing.T, s store.Store, key, val string, ttl time.Duration) (string, bool) {
	t.Helper()
	v, fresh, err := s.PutIfAbsent(ctxT(t), key, []byte(val), ttl)
	noErr(t, err)
	return string(v), fresh
}

func testIdempotencyTTL(t *testing.T, s store.Store, f Features) {
	ttl := 300 * time.Millisecond
	put2(t, s, "k", "a", ttl)
	if v, fresh := put2(t, s, "k", "b", ttl); fresh || v != "a" {
		t.Fatalf("before expiry = %q, %v", v, fresh)
	}
	time.Sleep(ttl + f.Slack)
	if v, fresh := put2(t, s, "k", "c", time.Hour); !fresh || v != "c" {
		t.Fatalf("after expiry = %q, %v, want fresh c", v, fresh)
	}
}

func testIdempotencyRace(t *testing.T, s store.Store, _ Features) {
	const n = 16
	var mu sync.Mutex
	var winners []string
	seen := map[string]bool{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			v, fresh, err := s.PutIfAbsent(ctxT(t), "race", []byte(fmt.Sprint(i)), time.Hour)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				winners = append(winners, "error:"+err.Error())
				return
			}
			if fresh {
				winners = append(winners, string(v))
			}
			seen[string(v)] = true
		}()
	}
	close(start)
	wg.Wait()
	if len(winners) != 1 || len(seen) != 1 || !seen[winners[0]] {
		t.Fatalf("winners %v, values seen %v: want one winner whose value everyone sees", winners, seen)
	}
}

func testCounters(t *testing.T, s store.Store, _ Features) {
	ctx := ctxT(t)
	for want := uint64(1); want <= 3; want++ {
		if got := try(s.Next(ctx, "ticket")).must(t); got != want {
			t.Fatalf("Next = %d, want %d", got, want)
		}
	}
	if got := try(s.Next(ctx, "other")).must(t); got != 1 {
		t.Fatalf("independent counter starts at %d", got)
	}
	const workers, each = 8, 40
	var mu sync.Mutex
	seen := map[uint64]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := uint64(0)
			for range each {
				n, err := s.Next(ctx, "ticket")
				if err != nil {
					errs <- err
					return
				}
				if n <= last {
					errs <- fmt.Errorf("counter went from %d to %d in one goroutine", last, n)
					return
				}
				last = n
				mu.Lock()
				if seen[n] {
					mu.Unlock()
					errs <- fmt.Errorf("value %d handed out twice", n)
					return
				}
				seen[n] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != workers*each {
		t.Fatalf("%d distinct values, want %d", len(seen), workers*each)
	}
	for v := uint64(4); v < 4+workers*each; v++ {
		if !seen[v] {
			t.Fatalf("gap: %d never handed out", v)
		}
	}
}

func testLeases(t *testing.T, s store.Store, _ Features) {
	ctx := ctxT(t)
	acquire := func(owner string, want bool) {
		t.Helper()
		if got := try(s.AcquireLease(ctx, "sla-scan", owner, time.Minute)).must(t); got != want {
			t.Fatalf("AcquireLease(%s) = %v, want %v", owner, got, want)
		}
	}
	acquire("a", true)
	acquire("b", false)
	acquire("a", true) // renew
	noErr(t, s.ReleaseLease(ctx, "sla-scan", "b"))
	acquire("b", false) // b's release did not free a's lease
	noErr(t, s.ReleaseLease(ctx, "sla-scan", "a"))
	acquire("b", true)
	acquire("a", false)
	if got := try(s.AcquireLease(ctx, "another", "a", time.Minute)).must(t); !got {
		t.Fatal("leases are not independent by name")
	}
}

func testLeaseExpiry(t *testing.T, s store.Store, f Features) {
	ctx := ctxT(t)
	ttl := 600 * time.Millisecond
	if !try(s.AcquireLease(ctx, "job", "a", ttl)).must(t) {
		t.Fatal("first acquire failed")
	}
	time.Sleep(ttl / 2)
	renewed := time.Now()
	if !try(s.AcquireLease(ctx, "job", "a", ttl)).must(t) { // renew extends to renewed+ttl
		t.Fatal("renew failed")
	}
	time.Sleep(ttl / 2)
	// Past the first deadline, well before the renewed one (unless the
	// machine stalled; then the assertion is not meaningful).
	taken := try(s.AcquireLease(ctx, "job", "b", ttl)).must(t)
	if taken && time.Since(renewed) < ttl {
		t.Fatal("b took a lease that a had renewed")
	}
	time.Sleep(ttl + f.Slack)
	if !try(s.AcquireLease(ctx, "job", "b", ttl)).must(t) {
		t.Fatal("b could not take an expired lease")
	}
}
