package ticket

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/hallgate/hallgate/gateway/store"
)

// The supervisors' lists: tickets the scheduler warned about or marked
// overdue, and bad ratings awaiting their callback — closed ones included —
// each found through its own index, whatever the number of newer tickets.
func TestAtRiskAndAwaitingCallbackLists(t *testing.T) {
	forEachStore(t, func(t *testing.T, open opener) {
		e := newEnvOn(t, open(t), nil) // Monday 2 March 2026
		ctx := context.Background()
		enquiry := sampleIntake()
		enquiry.Type, enquiry.Department, enquiry.Address = TypeEnquiry, "tax", "江川区滨江路1号"
		risky := e.create(t, enquiry) // due the end of Wednesday 4 March
		complaint := sampleIntake()
		complaint.Department, complaint.Address = "housing", "江川区解放街2号"
		rated := e.create(t, complaint)
		drain(t, e.st)
		h := dept("housing")
		e.apply(t, h, rated.ID, Command{Type: EvAccept})
		e.apply(t, h, rated.ID, Command{Type: EvReply, Text: "已处理。"})
		e.apply(t, agent, rated.ID, Command{Type: EvRate, Rating: "不满意"}) // reopened
		e.apply(t, h, rated.ID, Command{Type: EvReply, Text: "再次处理。"})
		e.apply(t, agent, rated.ID, Command{Type: EvRate, Rating: "非常不满意"}) // closed, awaiting callback
		for i := range 30 {                                                 // newer tickets, none at risk
			complaint.Address = "江川区中山路" + string(rune('A'+i)) + "号"
			e.create(t, complaint)
		}
		ids := func(f Filter) []string {
			t.Helper()
			p, err := e.svc.List(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, tk := range p.Tickets {
				out = append(out, tk.ID)
			}
			return out
		}
		if got := ids(Filter{AtRisk: true}); len(got) != 0 {
			t.Fatalf("at risk before any warning: %v", got)
		}
		e.clk.Set(cst("2026-03-04 08:00"))
		if _, _, err := e.svc.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if got := ids(Filter{AtRisk: true, Limit: 5}); !slices.Equal(got, []string{risky.ID}) {
			t.Fatalf("at risk after the warning: %v, want the enquiry", got)
		}
		if got := ids(Filter{AwaitingCallback: true, Limit: 5}); !slices.Equal(got, []string{rated.ID}) {
			t.Fatalf("awaiting callback: %v, want the closed, badly rated ticket", got)
		}
		e.apply(t, agent, rated.ID, Command{Type: EvCallback, Note: "已回访"})
		if got := ids(Filter{AwaitingCallback: true}); len(got) != 0 {
			t.Fatalf("awaiting callback after the callback: %v", got)
		}
		tax := dept("tax")
		e.apply(t, tax, risky.ID, Command{Type: EvAccept})
		e.apply(t, tax, risky.ID, Command{Type: EvReply, Text: "已答复。"})
		e.apply(t, agent, risky.ID, Command{Type: EvRate, Rating: "满意"}) // closes: the risk ends
		if got := ids(Filter{AtRisk: true}); len(got) != 0 {
			t.Fatalf("at risk after closing: %v", got)
		}
	})
}

// Tickets an older release stored without the new index fields are indexed
// once by the lease holder, closed ones included.
func TestIndexMigrationCoversClosedTickets(t *testing.T) {
	forEachStore(t, func(t *testing.T, open opener) {
		st := open(t)
		e := newEnvOn(t, st, nil)
		ctx := context.Background()
		in := sampleIntake()
		in.Department = "housing"
		tk := e.create(t, in)
		drain(t, st)
		h := dept("housing")
		e.apply(t, h, tk.ID, Command{Type: EvAccept})
		e.apply(t, h, tk.ID, Command{Type: EvReply, Text: "已处理。"})
		e.apply(t, agent, tk.ID, Command{Type: EvRate, Rating: "不满意"})
		e.apply(t, h, tk.ID, Command{Type: EvReply, Text: "再次处理。"})
		e.apply(t, agent, tk.ID, Command{Type: EvRate, Rating: "不满意"})
		r, err := st.Get(ctx, Collection, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		old := maps.Clone(r.Index)
		for _, k := range []string{ixSLA, ixRisk, ixCallback} {
			delete(old, k)
		}
		tx := store.Tx{Puts: []store.Put{{Record: store.Record{Collection: Collection, ID: tk.ID, Data: r.Data, Index: old}, ExpectVersion: r.Version}}}
		if _, err := st.Get(ctx, MetaCollection, indexVersion); err == nil {
			tx.Deletes = []store.Delete{{Collection: MetaCollection, ID: indexVersion}}
		}
		if _, err := st.Commit(ctx, tx); err != nil {
			t.Fatal(err)
		}
		fresh := newEnvOn(t, st, func(o *Options) { o.Now = e.clk.Now })
		if p, _ := fresh.svc.List(ctx, Filter{AwaitingCallback: true}); len(p.Tickets) != 0 {
			t.Fatalf("setup: the older record is already listed")
		}
		if _, _, err := fresh.svc.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if p, _ := fresh.svc.List(ctx, Filter{AwaitingCallback: true}); len(p.Tickets) != 1 || p.Tickets[0].ID != tk.ID {
			t.Fatalf("after the migration: %d listed, want the closed ticket", len(p.Tickets))
		}
		if _, err := st.Get(ctx, MetaCollection, indexVersion); err != nil {
			t.Fatalf("marker: %v", err)
		}
	})
}

// A channel's tickets filed before an instant, newest first: the listing
// starts at that instant instead of at the newest ticket.
func TestListByChannelBefore(t *testing.T) {
	forEachStore(t, func(t *testing.T, open opener) {
		st := &ticketReads{Store: open(t)}
		e := newEnvOn(t, st, nil)
		ctx := context.Background()
		in := sampleIntake()
		in.Department = "housing"
		var want []string
		for i, at := range []string{"2026-03-02 09:00", "2026-03-10 09:00", "2026-03-20 09:00", "2026-04-02 09:00", "2026-04-20 09:00"} {
			e.clk.Set(cst(at))
			in.Channel = ChannelOpen311
			if i%2 == 1 {
				in.Channel = ChannelHotline
			}
			in.Address = "江川区" + at
			tk := e.create(t, in)
			if in.Channel == ChannelOpen311 && at < "2026-04-01" {
				want = append([]string{tk.ID}, want...) // newest first
			}
		}
		st.n.Store(0)
		p, err := e.svc.List(ctx, Filter{Channel: ChannelOpen311, Before: cst("2026-04-01 00:00")})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, tk := range p.Tickets {
			got = append(got, tk.ID)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("open311 before April: %v, want %v (newest first)", got, want)
		}
		if n := st.n.Load(); n != int64(len(want)) {
			t.Fatalf("the listing read %d tickets, want only the %d it returns", n, len(want))
		}
	})
}
