package topics

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/store/bolt"
)

// A replica whose in-memory state is stale (another replica held the lease
// in between) must not overwrite its successor's snapshot: its commit fails
// with a conflict, it reloads, and no ticket is lost or counted twice.
func TestDetectorStaleReplicaReloads(t *testing.T) {
	ctx := context.Background()
	st, err := bolt.Open(ctx, bolt.Options{Path: filepath.Join(t.TempDir(), "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, _ := Open(ctx, Options{Store: st, Owner: "a"})
	b, _ := Open(ctx, Options{Store: st, Owner: "b"})
	at := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
	obs := func(d *Detector, id string) {
		t.Helper()
		if err := d.Observe(ctx, TicketSignal{ID: id, Text: "来电咨询：公积金提取需要什么材料 " + id, Created: at}); err != nil {
			t.Fatal(err)
		}
		at = at.Add(time.Minute)
	}
	obs(a, "t1")
	if n, err := a.ProcessOnce(ctx); err != nil || n != 1 {
		t.Fatalf("a: %d %v", n, err)
	}
	_ = st.ReleaseLease(ctx, LeaseName, "a")
	obs(b, "t2")
	if n, err := b.ProcessOnce(ctx); err != nil || n != 1 {
		t.Fatalf("b: %d %v", n, err)
	}
	_ = st.ReleaseLease(ctx, LeaseName, "b")
	obs(a, "t3")
	if _, err := a.ProcessOnce(ctx); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale replica committed: %v", err)
	}
	if n, err := a.ProcessOnce(ctx); err != nil || n != 1 {
		t.Fatalf("a after reload: %d %v", n, err)
	}
	rec, err := st.Get(ctx, CollectionState, StateID)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := NewEngine(EngineOptions{})
	if err := e.LoadState(rec.Data); err != nil {
		t.Fatal(err)
	}
	if e.st.Total != 3 || len(e.st.Seen) != 3 {
		t.Fatalf("state counts %d tickets (%d seen), want 3", e.st.Total, len(e.st.Seen))
	}
}

// Two replicas running Run concurrently process every observed ticket
// exactly once between them, and stop on cancel.
func TestDetectorRunTwoReplicas(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	st, err := bolt.Open(ctx, bolt.Options{Path: filepath.Join(t.TempDir(), "r.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ds []*Detector
	var wg sync.WaitGroup
	for _, owner := range []string{"r1", "r2"} {
		d, err := Open(ctx, Options{Store: st, Owner: owner, PollInterval: 10 * time.Millisecond, LeaseTTL: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
		wg.Add(1)
		go func() { defer wg.Done(); _ = d.Run(ctx) }()
	}
	at := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
	const n = 120
	for i := 0; i < n; i++ {
		if err := ds[i%2].Observe(ctx, TicketSignal{ID: fmt.Sprintf("t%d", i), Text: "市民来电：路灯坏了不亮", Created: at.Add(time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		pend, err := st.Pending(ctx, TopicSignal)
		if err != nil {
			t.Fatal(err)
		}
		if pend["topics"].Depth == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("signals still pending: %+v", pend)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	rec, err := st.Get(context.Background(), CollectionState, StateID)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := NewEngine(EngineOptions{})
	if err := e.LoadState(rec.Data); err != nil {
		t.Fatal(err)
	}
	if e.st.Total != n {
		t.Fatalf("processed %d tickets, want %d", e.st.Total, n)
	}
}
