package ticket

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/gateway/auth"
)

// TestStateMachineProperties drives random event sequences through the
// machine and checks its invariants after every step. Set
// HALLGATE_TICKET_SEED to replay a failing run.
func TestStateMachineProperties(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("HALLGATE_TICKET_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (replay with HALLGATE_TICKET_SEED=%d)", seed, seed)
	defer func() {
		if t.Failed() {
			t.Logf("FAILED with seed %d", seed)
		}
	}()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	e := newEnv(t, nil)
	ctx := context.Background()
	depts := []string{"tax", "housing", "eco"}
	principals := []auth.Principal{agent, supervisor, editor, dept("tax"), dept("housing"), dept("eco"), auth.Anonymous}
	tickets, steps := 30, 25
	if testing.Short() {
		tickets = 10
	}
	var ids []string
	initial := map[string]int{}
	defer func() { drain(t, e.st) }()
	for i := 0; i < tickets; i++ {
		in := sampleIntake()
		in.Type = RequestTypes[rng.IntN(len(RequestTypes))]
		in.Urgent = rng.IntN(5) == 0
		if rng.IntN(2) == 0 {
			in.Department = depts[rng.IntN(len(depts))]
		}
		tk := e.create(t, in)
		ids = append(ids, tk.ID)
		initial[tk.ID] = len(tk.Events) // intake (+ dispatch) land in version 1
	}
	drain(t, e.st) // intake deliveries are checked elsewhere
	pick := func(ss []string) string { return ss[rng.IntN(len(ss))] }
	applied := 0
	for _, id := range ids {
		for step := 0; step < steps; step++ {
			e.clk.Add(time.Duration(rng.IntN(36)) * time.Hour)
			before, err := e.svc.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			p := principals[rng.IntN(len(principals))]
			c := Command{Type: pick(PostableEvents)}
			if rng.IntN(5) != 0 { // mostly events the machine says are allowed, to go deep
				for _, k := range rng.Perm(len(principals)) {
					if allowed := Allowed(principals[k], before); len(allowed) > 0 {
						p, c.Type = principals[k], pick(allowed)
						if table[c.Type].to.Final() && rng.IntN(3) != 0 {
							c.Type = pick(allowed) // ending events: less often, to go deeper
						}
						break
					}
				}
			}
			if rng.IntN(6) != 0 { // mostly well-formed bodies, sometimes empty ones
				c.KBEntry, c.Reason, c.Text, c.Note = "kb-1", "原因", "答复内容", "备注"
				c.Department = pick(append(depts, "nope"))
				if rng.IntN(3) == 0 {
					c.CoDepartments = []string{pick(depts)}
				}
				c.Rating = pick(append(Ratings, "还行"))
				c.Days = rng.IntN(8)
				c.Into = pick(ids)
				c.ReasonCode = pick(append(DispositionCodes, "other"))
				c.Number = pick(append(EmergencyNumbers, "12345"))
			}
			if c.Type == EvSweep {
				continue
			}
			after, err := e.svc.Apply(ctx, p, id, c)
			stored, gerr := e.svc.Get(ctx, id)
			if gerr != nil {
				t.Fatal(gerr)
			}
			if err != nil {
				if !errors.Is(err, ErrForbidden) && !errors.Is(err, ErrTransition) && !errors.Is(err, ErrInvalid) {
					t.Fatalf("step %d %s by %v: unexpected error class %v", step, c.Type, p.Roles, err)
				}
				if stored.Version != before.Version {
					t.Fatalf("refused %s changed the ticket (version %d → %d)", c.Type, before.Version, stored.Version)
				}
				continue
			}
			applied++
			if after.Version != before.Version+1 || stored.Version != after.Version {
				t.Fatalf("%s: version %d → %d (stored %d), want +1", c.Type, before.Version, after.Version, stored.Version)
			}
			if len(stored.Events) != len(before.Events)+1 {
				t.Fatalf("%s: %d events → %d, want exactly one logged", c.Type, len(before.Events), len(stored.Events))
			}
			last := stored.Events[len(stored.Events)-1]
			if last.Type != c.Type || last.From != before.Status || last.To != stored.Status {
				t.Fatalf("%s logged as %+v (ticket %s → %s)", c.Type, last, before.Status, stored.Status)
			}
			if before.Status == StatusClosed || before.Status == StatusAnswered {
				reopenedByRating := c.Type == EvRate && BadRating(c.Rating) && !stored.Status.Final()
				if !reopenedByRating && c.Type != EvReopen && !(c.Type == EvCallback && stored.Status == before.Status) {
					t.Fatalf("event %s after %s", c.Type, before.Status)
				}
			}
			if before.Status.Final() && before.Status != StatusClosed && before.Status != StatusAnswered {
				t.Fatalf("event %s after terminal %s", c.Type, before.Status)
			}
			checkTicketInvariants(t, stored, initial[id])
			checkDeliveries(t, drain(t, e.st), before, stored, c.Type)
		}
		tk, _ := e.svc.Get(ctx, id)
		checkTicketInvariants(t, tk, initial[id])
	}
	// Scheduler events obey the same log invariants.
	e.clk.Add(60 * 24 * time.Hour)
	if _, _, err := e.svc.sweep(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		tk, _ := e.svc.Get(ctx, id)
		checkTicketInvariants(t, tk, initial[id])
	}
	if applied < tickets {
		t.Errorf("only %d events applied: the generator explores too little", applied)
	}
	t.Logf("%d random events applied over %d tickets", applied, tickets)
}

// EvSweep is a placeholder the generator never posts.
const EvSweep = "-"

func checkTicketInvariants(t *testing.T, tk *Ticket, initialEvents int) {
	t.Helper()
	d := tk.Deadlines
	for name, v := range map[string]time.Time{"due": d.Due, "dispatch": d.Dispatch, "warning": d.Warning} {
		if v.Before(tk.CreatedAt) {
			t.Fatalf("ticket %s: %s deadline %s before intake %s", tk.ID, name, v, tk.CreatedAt)
		}
	}
	if d.ExtendedDays > 10 || d.ExtendedDays < 0 {
		t.Fatalf("extended %d days", d.ExtendedDays)
	}
	if int(tk.Version) != len(tk.Events)-initialEvents+1 {
		t.Fatalf("ticket %s: version %d with %d events", tk.ID, tk.Version, len(tk.Events))
	}
	for i, ev := range tk.Events {
		if ev.Seq != i+1 {
			t.Fatalf("ticket %s: event %d has seq %d", tk.ID, i, ev.Seq)
		}
		if i > 0 && (ev.At.Before(tk.Events[i-1].At) || ev.From != tk.Events[i-1].To) {
			t.Fatalf("ticket %s: event %d (%s) does not follow %d", tk.ID, i, ev.Type, i-1)
		}
	}
	if tk.Events[len(tk.Events)-1].To != tk.Status {
		t.Fatalf("ticket %s: log ends in %s, status %s", tk.ID, tk.Events[len(tk.Events)-1].To, tk.Status)
	}
	// One rating per reply cycle: the first, the one after a rating-triggered
	// reopen (which happens at most once), and one after each supervisor reopen.
	maxRatings := 2
	for _, ev := range tk.Events {
		if ev.Type == EvReopen {
			maxRatings++
		}
	}
	if len(tk.Ratings) > maxRatings || tk.Reopens > 0 && tk.Status == StatusClosed && len(tk.Ratings) > 0 && tk.Rating != tk.Ratings[len(tk.Ratings)-1] {
		t.Fatalf("ticket %s: ratings %v rating %s", tk.ID, tk.Ratings, tk.Rating)
	}
}

// checkDeliveries: the deliveries committed with an event name it, carry the
// ticket's new log position, go to departments of the ticket (or the lead
// it was taken from), and dispatch/supervise/reopen reach lead and co-departments.
func checkDeliveries(t *testing.T, ds []connectors.Delivery, before, after *Ticket, typ string) {
	t.Helper()
	last := after.Events[len(after.Events)-1]
	got := map[string]bool{}
	for _, d := range ds {
		if d.TicketID == after.ID {
			if d.Event != typ || d.IdempotencyKey != fmt.Sprintf("%s/%s/%d", after.ID, d.Department, last.Seq) {
				t.Fatalf("%s: delivery %+v does not match event %d", typ, d, last.Seq)
			}
			if !after.Handles(d.Department) && !before.Handles(d.Department) {
				t.Fatalf("%s: delivered to %s, not a department of the ticket", typ, d.Department)
			}
			got[d.Department] = true
		}
	}
	notify := typ == EvDispatch || typ == EvSupervise || typ == EvReopen || (typ == EvRate && after.Status == StatusDispatched && before.Status != StatusDispatched)
	if notify && after.Department != "" {
		for _, d := range append([]string{after.Department}, after.CoDepartments...) {
			if !got[d] {
				t.Fatalf("%s: %s not notified (got %v)", typ, d, got)
			}
		}
	}
}
