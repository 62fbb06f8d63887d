package ticket

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// An id made at t starts with idTimePrefix(t), and ids sort with their
// instants around any prefix.
func TestIDTimePrefix(t *testing.T) {
	var g idGen
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for range 2000 {
		at := base.Add(time.Duration(rng.Int64N(int64(3 * 365 * 24 * time.Hour))))
		other := base.Add(time.Duration(rng.Int64N(int64(3 * 365 * 24 * time.Hour))))
		id := g.next(at)
		g.lastMs = 0 // as a fresh process: the next id is not held monotonic
		if !strings.HasPrefix(id, idTimePrefix(at)) {
			t.Fatalf("id %s made at %v does not start with %s", id, at, idTimePrefix(at))
		}
		if p := idTimePrefix(other); (id > p) != !at.Truncate(time.Millisecond).Before(other.Truncate(time.Millisecond)) {
			t.Fatalf("id %s (%v) against the prefix of %v (%s): wrong side", id, at, other, p)
		}
	}
}

// Statistics of a period count the tickets filed in it, and read them
// rather than every ticket the city ever filed.
func TestStatsOfAPeriodReadItsTickets(t *testing.T) {
	forEachStore(t, func(t *testing.T, open opener) {
		st := &ticketReads{Store: open(t)}
		e := newEnvOn(t, st, nil)
		ctx := context.Background()
		in := sampleIntake()
		in.Department = "tax"
		for _, at := range []string{"2026-03-02 09:00", "2026-03-30 10:00", "2026-04-01 00:00", "2026-04-15 12:00", "2026-04-30 23:59", "2026-05-01 00:00", "2026-05-20 08:00"} {
			e.clk.Set(cst(at))
			in.Address = "江川区" + at
			e.create(t, in)
		}
		april := StatsQuery{From: cst("2026-04-01 00:00"), To: cst("2026-05-01 00:00")}
		st.n.Store(0)
		got, err := e.svc.Stats(ctx, april)
		if err != nil {
			t.Fatal(err)
		}
		if got.Tickets != 3 {
			t.Fatalf("April: %d tickets, want 3 (1, 15 and 30 April)", got.Tickets)
		}
		// A listing page holds what follows the period's start; the 2
		// March tickets before it are never read.
		if n := st.n.Load(); n > 5 {
			t.Fatalf("April's statistics read %d tickets of 7, want none of the 2 filed before April", n)
		}
		all, err := e.svc.Stats(ctx, StatsQuery{})
		if err != nil || all.Tickets != 7 {
			t.Fatalf("all time: %d tickets (%v), want 7", all.Tickets, err)
		}
		dept, err := e.svc.Stats(ctx, StatsQuery{Department: "tax", From: cst("2026-05-01 00:00")})
		if err != nil || dept.Tickets != 2 {
			t.Fatalf("tax from May: %d tickets (%v), want 2", dept.Tickets, err)
		}
	})
}
