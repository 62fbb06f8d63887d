package ticket

import (
	"context"
	"maps"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
)

// ticketReads is a real store that counts the ticket records its listings
// return.
type ticketReads struct {
	store.Store
	n atomic.Int64
}

func (c *ticketReads) List(ctx context.Context, coll string, opts store.ListOptions) (store.Page, error) {
	p, err := c.Store.List(ctx, coll, opts)
	if coll == Collection {
		c.n.Add(int64(len(p.Records)))
	}
	return p, err
}

// After its first run the minutely sweep reads the tickets whose warning or
// overdue falls on the days since, not every open ticket, and still marks
// each one on time — the overdue of a due time at the end of a day included.
func TestSweepReadsTheTicketsFallingDue(t *testing.T) {
	forEachStore(t, func(t *testing.T, open opener) {
		st := &ticketReads{Store: open(t)}
		e := newEnvOn(t, st, nil) // Monday 2 March 2026, 09:00
		ctx := context.Background()
		enquiry := sampleIntake()
		enquiry.Type, enquiry.Department = TypeEnquiry, "tax"
		complaint := sampleIntake()
		complaint.Department = "tax"
		var enquiries []string
		for i := range 3 {
			enquiry.Address = "江川区滨江路" + string(rune('1'+i)) + "号"
			enquiries = append(enquiries, e.create(t, enquiry).ID)
		}
		for i := range 12 {
			complaint.Address = "江川区解放街" + string(rune('a'+i)) + "号"
			e.create(t, complaint)
		}
		drain(t, st)
		// The enquiries warn from the end of Tuesday 3 March (due the end
		// of Wednesday). The first sweep reads every open ticket; one hour
		// later the next reads only the tickets of the days since.
		e.clk.Set(cst("2026-03-03 23:30"))
		st.n.Store(0)
		if w, o, err := e.svc.sweep(ctx); err != nil || w+o != 0 || st.n.Load() != 15 {
			t.Fatalf("first sweep: %d %d %v, read %d (want every open ticket, 15)", w, o, err, st.n.Load())
		}
		e.clk.Set(cst("2026-03-04 00:10"))
		st.n.Store(0)
		w, o, err := e.svc.sweep(ctx)
		if err != nil || w != 3 || o != 0 {
			t.Fatalf("warnings %d overdue %d err %v, want 3 warnings", w, o, err)
		}
		// Each of the 3 is read on its warning day, and once more on its due
		// day (a later day of the same window) once warned; the 12
		// complaints are not read.
		if got := st.n.Load(); got > 6 {
			t.Fatalf("the sweep read %d tickets, want only the 3 falling due (15 open)", got)
		}
		tk, _ := e.svc.Get(ctx, enquiries[0])
		due := tk.Deadlines.Due
		for _, at := range []time.Duration{-50 * time.Minute, -30 * time.Second} { // a full sweep, then an indexed one
			e.clk.Set(due.Add(at))
			if w, o, err := e.svc.sweep(ctx); err != nil || w+o != 0 {
				t.Fatalf("%v before the due time: %d %d %v", -at, w, o, err)
			}
		}
		e.clk.Set(due.Add(30 * time.Second)) // just after, the next calendar day
		st.n.Store(0)
		if _, o, err := e.svc.sweep(ctx); err != nil || o != 3 {
			t.Fatalf("overdue %d (%v), want 3 right after the due time %v", o, err, due)
		}
		if got := st.n.Load(); got > 3 {
			t.Fatalf("the overdue sweep read %d tickets, want the 3 falling due", got)
		}
		st.n.Store(0)
		if w, o, err := e.svc.sweep(ctx); err != nil || w+o != 0 || st.n.Load() != 0 {
			t.Fatalf("a sweep after every event: %d %d %v, read %d", w, o, err, st.n.Load())
		}
	})
}

// Tickets an older release stored without the sweep's index are indexed by
// the first sweep, and their deadlines then fall due like the others'.
func TestSweepIndexesTicketsOfAnOlderRelease(t *testing.T) {
	forEachStore(t, func(t *testing.T, open opener) {
		st := open(t)
		e := newEnvOn(t, st, nil)
		ctx := context.Background()
		in := sampleIntake()
		in.Type, in.Department = TypeEnquiry, "tax"
		id := e.create(t, in).ID
		drain(t, st)
		r, err := st.Get(ctx, Collection, id)
		if err != nil {
			t.Fatal(err)
		}
		if r.Index[ixSLA] != "20260303" {
			t.Fatalf("ixSLA %q, want the warning day 20260303", r.Index[ixSLA])
		}
		old := maps.Clone(r.Index)
		delete(old, ixSLA)
		if _, err := st.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{Collection: Collection, ID: id, Data: r.Data, Index: old}, ExpectVersion: r.Version}}}); err != nil {
			t.Fatal(err)
		}
		fresh := newEnvOn(t, st, func(o *Options) { o.Now = e.clk.Now }) // a new process
		e.clk.Set(cst("2026-03-03 23:30"))
		if _, _, err := fresh.svc.sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if r, _ := st.Get(ctx, Collection, id); r.Index[ixSLA] != "20260303" {
			t.Fatalf("after the first sweep ixSLA %q, want 20260303", r.Index[ixSLA])
		}
		e.clk.Set(cst("2026-03-04 00:10")) // an indexed sweep
		if w, _, err := fresh.svc.sweep(ctx); err != nil || w != 1 {
			t.Fatalf("warnings %d (%v), want the older release's ticket warned", w, err)
		}
	})
}
