package topics

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
)

// leaseCounter is a real store that counts lease acquisitions.
type leaseCounter struct {
	store.Store
	acquired atomic.Int64
}

func (c *leaseCounter) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	c.acquired.Add(1)
	return c.Store.AcquireLease(ctx, name, owner, ttl)
}

// Idle, the detector renews its lease once a third of it has run, not at
// every poll (every 250 ms, that was four store writes a second), and a
// second replica still cannot take it meanwhile.
func TestIdleDetectorRenewsItsLeaseSparingly(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := &leaseCounter{Store: open(t)}
			a, err := Open(ctx, Options{Store: st, Owner: "a", LeaseTTL: 3 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			b, err := Open(ctx, Options{Store: st, Owner: "b", LeaseTTL: 3 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(3 * time.Second)
			polls := 0
			for time.Now().Before(deadline) {
				if _, err := a.ProcessOnce(ctx); err != nil {
					t.Fatal(err)
				}
				polls++
				time.Sleep(50 * time.Millisecond)
			}
			got := st.acquired.Load()
			// Once at the start, then about every second (a third of 3 s).
			if got < 1 || got > 5 {
				t.Fatalf("%d lease acquisitions over %d polls in 3 s, want 1 to 5", got, polls)
			}
			if held, err := st.Store.AcquireLease(ctx, LeaseName, "b", 3*time.Second); err != nil || held {
				t.Fatalf("replica b took the lease a keeps: %v %v", held, err)
			}
			if n, err := b.ProcessOnce(ctx); err != nil || n != 0 {
				t.Fatalf("replica b processed %d (%v) without the lease", n, err)
			}
		})
	}
}
