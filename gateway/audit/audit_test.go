package audit_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/audit"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/store/storetest"
)

// backends are the stores these tests run on.
func backends(t *testing.T) map[string]func(t *testing.T) store.Store {
	return storetest.Backends(t, "audit")
}

// clock is a settable time for the trail.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock    { c := &clock{}; c.ns.Store(t.UnixNano()); return c }
func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }

func TestTrailListsNewestFirstWithFilters(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			clk := newClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
			tr := audit.New(open(t), audit.Options{Now: clk.now})
			// 30 entries, a minute apart: two actors, three targets, every
			// fifth one denied.
			for i := range 30 {
				e := audit.Entry{Actor: fmt.Sprintf("user:a%d", i%2), Action: "POST /api/v1/tickets/:id/events",
					Target: fmt.Sprintf("t%d", i%3), Status: 200, Details: map[string]string{"n": fmt.Sprint(i)}}
				if i%5 == 0 {
					e.Status = 403
				}
				tr.Record(e)
				clk.add(time.Minute)
			}
			if tr.Pending() != 30 {
				t.Fatalf("pending %d, want 30 before any flush", tr.Pending())
			}
			all := collect(t, tr, audit.Query{Limit: 7})
			if len(all) != 30 {
				t.Fatalf("listed %d entries over pages, want 30", len(all))
			}
			for i, e := range all {
				if want := fmt.Sprint(29 - i); e.Details["n"] != want {
					t.Fatalf("entry %d is n=%s, want n=%s (newest first)", i, e.Details["n"], want)
				}
			}
			if all[0].Outcome != audit.OutcomeDone || all[len(all)-1].Outcome != audit.OutcomeDenied {
				t.Errorf("outcomes %q, %q: want done for 200 and denied for 403", all[0].Outcome, all[len(all)-1].Outcome)
			}
			checks := []struct {
				q    audit.Query
				want int
			}{
				{audit.Query{Actor: "user:a1"}, 15},
				{audit.Query{Target: "t0"}, 10},
				{audit.Query{Actor: "user:a0", Target: "t0"}, 5},
				{audit.Query{Outcome: audit.OutcomeDenied}, 6},
				{audit.Query{Action: "POST /api/v1/tickets/:id/events"}, 30},
				{audit.Query{Action: "DELETE /api/v1/tokens/:id"}, 0},
				// minutes 10..19: From inclusive, To exclusive
				{audit.Query{From: time.Date(2026, 11, 2, 9, 10, 0, 0, time.UTC), To: time.Date(2026, 11, 2, 9, 20, 0, 0, time.UTC)}, 10},
				{audit.Query{From: time.Date(2026, 11, 2, 9, 25, 0, 0, time.UTC)}, 5},
				{audit.Query{To: time.Date(2026, 11, 2, 9, 3, 0, 0, time.UTC), Limit: 2}, 3},
			}
			for _, c := range checks {
				got := collect(t, tr, c.q)
				if len(got) != c.want {
					t.Errorf("%+v: %d entries, want %d", c.q, len(got), c.want)
				}
				for _, e := range got {
					if (c.q.Actor != "" && e.Actor != c.q.Actor) || (c.q.Target != "" && e.Target != c.q.Target) ||
						(c.q.Outcome != "" && e.Outcome != c.q.Outcome) || (!c.q.From.IsZero() && e.At.Before(c.q.From)) ||
						(!c.q.To.IsZero() && !e.At.Before(c.q.To)) {
						t.Errorf("%+v: entry %+v does not match", c.q, e)
					}
				}
			}
		})
	}
}

func collect(t *testing.T, tr *audit.Trail, q audit.Query) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	for range 100 {
		page, err := tr.List(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Entries...)
		if page.NextCursor == "" {
			return out
		}
		q.Cursor = page.NextCursor
	}
	t.Fatal("listing does not end")
	return nil
}

func TestSweepKeepsTheRetention(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			start := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
			clk := newClock(start)
			tr := audit.New(open(t), audit.Options{Now: clk.now, Retention: time.Hour}) // raised to the 180-day minimum
			if tr.Retention() != audit.MinRetention {
				t.Fatalf("retention %v, want the minimum %v", tr.Retention(), audit.MinRetention)
			}
			for range 200 { // one a day
				tr.Record(audit.Entry{Actor: "user:x", Action: "PUT /api/v1/kb/synonyms", Status: 200})
				clk.add(24 * time.Hour)
			}
			if err := tr.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			// Now is day 200; entries of days 0..19 are older than 180 days.
			n, err := tr.Sweep(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n != 20 {
				t.Errorf("swept %d entries, want 20", n)
			}
			left := collect(t, tr, audit.Query{Limit: 500})
			if len(left) != 180 {
				t.Fatalf("%d entries left, want 180", len(left))
			}
			if oldest := left[len(left)-1].At; oldest.Before(clk.now().Add(-audit.MinRetention)) {
				t.Errorf("an entry of %v survived the sweep", oldest)
			}
			if n, err := tr.Sweep(ctx); err != nil || n != 0 {
				t.Errorf("second sweep: %d, %v; want nothing", n, err)
			}
		})
	}
}

// failingStore refuses commits while down: the store being unavailable.
type failingStore struct {
	store.Store
	down atomic.Bool
}

var errDown = errors.New("store unavailable")

func (f *failingStore) Commit(ctx context.Context, tx store.Tx) ([]store.Record, error) {
	if f.down.Load() {
		return nil, errDown
	}
	return f.Store.Commit(ctx, tx)
}

func TestEntriesWaitForTheStoreAndOverflowIsCounted(t *testing.T) {
	ctx := context.Background()
	fs := &failingStore{Store: backends(t)["bolt"](t)}
	tr := audit.New(fs, audit.Options{MaxPending: 50})
	fs.down.Store(true)
	for i := range 60 {
		tr.Record(audit.Entry{Actor: "user:x", Action: "POST /x", Status: 200, Details: map[string]string{"n": fmt.Sprint(i)}})
	}
	if err := tr.Flush(ctx); !errors.Is(err, errDown) {
		t.Fatalf("flush with the store down: %v, want the store's error", err)
	}
	if tr.Pending() != 50 {
		t.Fatalf("pending %d, want 50 (the bound; the 10 oldest dropped)", tr.Pending())
	}
	fs.down.Store(false)
	got := collect(t, tr, audit.Query{Limit: 500})
	if len(got) != 50 || got[len(got)-1].Details["n"] != "10" || got[0].Details["n"] != "59" {
		t.Fatalf("after the store came back: %d entries, oldest n=%s; want 50 from n=10", len(got), got[len(got)-1].Details["n"])
	}
	if tr.Pending() != 0 {
		t.Errorf("pending %d after a successful flush", tr.Pending())
	}
}

func TestRunFlushesInTheBackgroundAndAtTheEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	st := backends(t)["bolt"](t)
	tr := audit.New(st, audit.Options{FlushEvery: 20 * time.Millisecond, BatchSize: 5})
	done := make(chan error, 1)
	go func() { done <- tr.Run(ctx) }()
	for range 12 {
		tr.Record(audit.Entry{Actor: "user:x", Action: "POST /x", Status: 201})
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := st.Count(context.Background(), audit.Collection, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n == 12 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 12 entries committed by the running writer", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	tr.Record(audit.Entry{Actor: "user:x", Action: "POST /last", Status: 201})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, _ := st.Count(context.Background(), audit.Collection, nil); n != 13 {
		t.Errorf("%d entries after Run returned, want 13 (the last flushed on the way out)", n)
	}
}
