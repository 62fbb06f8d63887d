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

// Without a department, the statistics rank the lead departments on the
// same KPIs and break the totals down by type and channel; tickets without
// a lead stay in the totals only.
func TestStatsByDepartment(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	mk := func(dept string, typ RequestType, ch Channel) *Ticket {
		in := sampleIntake()
		in.Department, in.Type, in.Channel = dept, typ, ch
		in.Address = "江川区" + dept + string(typ) + string(ch)
		return e.create(t, in)
	}
	tax := mk("tax", TypeComplaint, ChannelHotline)
	mk("tax", TypeEnquiry, ChannelWebsite)
	mk("water", TypeHelp, ChannelHotline)
	mk("", TypeEnquiry, ChannelHotline) // received, no lead yet
	e.apply(t, dept("tax"), tax.ID, Command{Type: EvAccept})
	e.apply(t, dept("tax"), tax.ID, Command{Type: EvReply, Text: "已处理。"})
	e.apply(t, agent, tax.ID, Command{Type: EvRate, Rating: "满意"})
	e.clk.Add(40 * 24 * time.Hour) // the water ticket runs past its due date
	st, err := e.svc.Stats(ctx, StatsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Tickets != 4 || st.ByType[TypeEnquiry] != 2 || st.ByType[TypeComplaint] != 1 || st.ByChannel[ChannelHotline] != 3 || st.ByChannel[ChannelWebsite] != 1 {
		t.Fatalf("totals %d, by type %v, by channel %v", st.Tickets, st.ByType, st.ByChannel)
	}
	if len(st.ByDepartment) != 2 || st.ByDepartment[0].Department != "tax" || st.ByDepartment[1].Department != "water" {
		t.Fatalf("by department %+v", st.ByDepartment)
	}
	tx, wa := st.ByDepartment[0], st.ByDepartment[1]
	if tx.Tickets != 2 || tx.Satisfaction.Num != 1 || tx.Satisfaction.Den != 1 || tx.OnTimeReply.Num != 1 || tx.OnTimeClosure.Num != 1 {
		t.Errorf("tax %+v", tx)
	}
	if wa.Tickets != 1 || wa.OverdueOpen != 1 || tx.OverdueOpen != 1 {
		t.Errorf("overdue: water %d, tax %d (its unanswered enquiry is late too)", wa.OverdueOpen, tx.OverdueOpen)
	}
	if sum := tx.Tickets + wa.Tickets; sum != st.Tickets-1 {
		t.Errorf("departments hold %d of %d tickets, want all but the one without a lead", sum, st.Tickets)
	}
	one, err := e.svc.Stats(ctx, StatsQuery{Department: "tax"})
	if err != nil || one.ByDepartment != nil || one.Tickets != 2 {
		t.Errorf("one department: %d tickets, breakdown %v (%v)", one.Tickets, one.ByDepartment, err)
	}
}
