package ticket

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
)

func TestIntakeDispatchCommitsDeliveries(t *testing.T) {
	forEachStore(t, testIntakeDispatchCommitsDeliveries)
}

func testIntakeDispatchCommitsDeliveries(t *testing.T, open opener) {
	e := newEnvOn(t, open(t), nil)
	in := sampleIntake()
	in.Department, in.CoDepartments = "housing", []string{"eco"}
	tk := e.create(t, in)
	if tk.Status != StatusDispatched || len(tk.Events) != 2 || tk.Version != 1 {
		t.Fatalf("status %s events %d version %d", tk.Status, len(tk.Events), tk.Version)
	}
	if !strings.HasPrefix(tk.Code, "JC20260302") || len(tk.Code) != len("JC20260302000001") {
		t.Errorf("code %q", tk.Code)
	}
	// complaint: 15 working days from Monday 2026-03-02 → Monday 2026-03-23
	if got := tk.Deadlines.Due.Format(time.DateOnly); got != "2026-03-23" {
		t.Errorf("due %s", got)
	}
	ds := drain(t, e.st)
	if len(ds) != 2 {
		t.Fatalf("%d deliveries, want lead + co", len(ds))
	}
	roles := map[string]string{}
	for _, d := range ds {
		roles[d.Department] = d.Role
		if d.Event != EvDispatch || d.TicketCode != tk.Code || d.IdempotencyKey != fmt.Sprintf("%s/%s/2", tk.ID, d.Department) {
			t.Errorf("delivery %+v", d)
		}
		var doc Ticket
		if err := json.Unmarshal(d.Ticket, &doc); err != nil || doc.Caller.Phone != testPhone {
			t.Errorf("non-confidential caller should reach the department in clear: %v %+v", err, doc.Caller)
		}
	}
	if roles["housing"] != "lead" || roles["eco"] != "co" {
		t.Errorf("roles %v", roles)
	}
}

func TestCallerSealedAtRestAndMasked(t *testing.T) {
	e := newEnv(t, nil)
	in := sampleIntake()
	in.Caller.Confidential = true
	in.Department = "housing"
	tk := e.create(t, in)
	r, err := e.st.Get(context.Background(), Collection, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(r.Data, []byte(testPhone)) || bytes.Contains(r.Data, []byte(testName)) || bytes.Contains(r.Data, []byte("5678")) {
		t.Fatalf("caller data in clear at rest: %s", r.Data)
	}
	if r.Index[ixCaller] != e.svc.CallerHash("+86 138-1234-5678") {
		t.Error("caller index is not the keyed hash of the normalised phone")
	}
	got, err := e.svc.Get(context.Background(), tk.Code)
	if err != nil || got.Caller.Phone != testPhone || got.Caller.Name != testName {
		t.Fatalf("get by code: %v %+v", err, got)
	}
	if v := View(dept("housing"), got); v.Caller.Phone != "138****5678" || v.Caller.Name != "王**" {
		t.Errorf("confidential caller not masked for the department: %+v", v.Caller)
	}
	if v := View(agent, got); v.Caller.Phone != testPhone {
		t.Errorf("agent must see the caller: %+v", v.Caller)
	}
	if v := View(editor, got); v.Caller.Phone == testPhone {
		t.Errorf("editor sees the phone")
	}
	for _, d := range drain(t, e.st) {
		if bytes.Contains(d.Ticket, []byte(testPhone)) {
			t.Errorf("confidential phone delivered to %s", d.Department)
		}
	}
}

func TestIntakeValidation(t *testing.T) {
	e := newEnv(t, nil)
	lat := 91.0
	_, err := e.svc.Create(context.Background(), agent, Intake{Caller: Caller{Phone: "abc"}, Lat: &lat, Department: "nope", CoDepartments: []string{"tax", "tax"}}, "", "")
	var ve *ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
	var fields []string
	for _, f := range ve.Fields {
		fields = append(fields, f.Field)
	}
	for _, want := range []string{"channel", "type", "text", "caller.phone", "lat", "department", "co_departments"} {
		if !slices.Contains(fields, want) {
			t.Errorf("missing field %s in %v", want, fields)
		}
	}
	if n, _ := e.st.Count(context.Background(), Collection, nil); n != 0 {
		t.Errorf("%d tickets written by a refused intake", n)
	}
}

func TestIdempotentIntake(t *testing.T) { forEachStore(t, testIdempotentIntake) }

func testIdempotentIntake(t *testing.T, open opener) {
	e := newEnvOn(t, open(t), nil)
	ctx := context.Background()
	in := sampleIntake()
	first, err := e.svc.Create(ctx, agent, in, "k-1", "fp-1")
	if err != nil || first.Replayed {
		t.Fatal(err, first.Replayed)
	}
	again, err := e.svc.Create(ctx, agent, in, "k-1", "fp-1")
	if err != nil || !again.Replayed || !bytes.Equal(first.Body, again.Body) {
		t.Fatalf("retry: %v replayed=%v same=%v", err, again.Replayed, bytes.Equal(first.Body, again.Body))
	}
	if _, err := e.svc.Create(ctx, agent, in, "k-1", "fp-other"); !errors.Is(err, ErrIdemReuse) {
		t.Errorf("reuse with another body: %v", err)
	}
	// A refused first attempt does not pin the key.
	bad := in
	bad.Text = ""
	if _, err := e.svc.Create(ctx, agent, bad, "k-2", "fp-bad"); !errors.Is(err, ErrInvalid) {
		t.Fatal(err)
	}
	if _, err := e.svc.Create(ctx, agent, in, "k-2", "fp-good"); err != nil {
		t.Fatalf("key of a refused attempt stays pinned: %v", err)
	}
	// Concurrent retries: one ticket.
	var wg sync.WaitGroup
	bodies := make([][]byte, 16)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := e.svc.Create(ctx, agent, in, "k-3", "fp")
			if err == nil {
				bodies[i] = a.Body
			} else if !errors.Is(err, ErrInProgress) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var ref []byte
	for _, b := range bodies {
		if b != nil && ref == nil {
			ref = b
		}
		if b != nil && !bytes.Equal(b, ref) {
			t.Error("concurrent retries got different answers")
		}
	}
	if n, _ := e.st.Count(ctx, Collection, nil); n != 3 {
		t.Errorf("%d tickets, want 3 (k-1, k-2, k-3)", n)
	}
}

func TestMergeCandidates(t *testing.T) { forEachStore(t, testMergeCandidates) }

func testMergeCandidates(t *testing.T, open opener) {
	e := newEnvOn(t, open(t), func(o *Options) { o.MergeWindow = 48 * time.Hour })
	ctx := context.Background()
	first := e.create(t, sampleIntake())
	other := sampleIntake()
	other.Caller = Caller{Phone: "13900001111"}
	e.clk.Add(time.Hour)
	second, err := e.svc.Create(ctx, agent, other, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if c := second.Result.MergeCandidates; len(c) != 1 || c[0].ID != first.ID || c[0].Reason != "same_place" {
		t.Fatalf("same place candidates %+v", c)
	}
	e.clk.Add(72 * time.Hour)
	third, _ := e.svc.Create(ctx, agent, sampleIntake(), "", "") // same caller as first, place window passed
	reasons := map[string]string{}
	for _, c := range third.Result.MergeCandidates {
		reasons[c.ID] = c.Reason
	}
	if reasons[first.ID] != "same_caller" || len(reasons) != 1 {
		t.Fatalf("candidates %v", reasons)
	}
	// Closed tickets are no candidates.
	e.apply(t, agent, first.ID, Command{Type: EvClose})
	fourth, _ := e.svc.Create(ctx, agent, sampleIntake(), "", "")
	for _, c := range fourth.Result.MergeCandidates {
		if c.ID == first.ID {
			t.Error("closed ticket offered as merge candidate")
		}
	}
	// Merge writes both tickets.
	m := e.apply(t, agent, fourth.Result.Ticket.ID, Command{Type: EvMerge, Into: third.Result.Ticket.Code})
	into, _ := e.svc.Get(ctx, third.Result.Ticket.ID)
	if m.Status != StatusMerged || m.MergedInto != into.ID || !slices.Contains(into.Merged, m.ID) || into.Events[len(into.Events)-1].Type != EvAbsorb {
		t.Errorf("merge: %+v / %+v", m, into.Merged)
	}
}

func TestLifecycleRatingsAndReopen(t *testing.T) { forEachStore(t, testLifecycleRatingsAndReopen) }

func testLifecycleRatingsAndReopen(t *testing.T, open opener) {
	e := newEnvOn(t, open(t), nil)
	in := sampleIntake()
	in.Department = "housing"
	tk := e.create(t, in)
	drain(t, e.st)
	h := dept("housing")
	e.apply(t, h, tk.ID, Command{Type: EvAccept})
	e.apply(t, h, tk.ID, Command{Type: EvReply, Text: "已责令施工方夜间停工。"})
	r1 := e.apply(t, agent, tk.ID, Command{Type: EvRate, Rating: "不满意"})
	if r1.Status != StatusDispatched || r1.Reopens != 1 || r1.Rating != "不满意" {
		t.Fatalf("first bad rating should reopen: %+v", r1.Status)
	}
	if ds := drain(t, e.st); len(ds) != 1 || ds[0].Event != EvRate {
		t.Errorf("reopen deliveries %+v", ds)
	}
	e.apply(t, h, tk.ID, Command{Type: EvReply, Text: "再次处理。"})
	r2 := e.apply(t, agent, tk.ID, Command{Type: EvRate, Rating: "非常不满意"})
	if r2.Status != StatusClosed || len(r2.Ratings) != 2 || r2.Rating != "非常不满意" {
		t.Fatalf("second rating counts and closes: %s %v", r2.Status, r2.Ratings)
	}
	_, err := e.svc.Apply(context.Background(), agent, tk.ID, Command{Type: EvRate, Rating: "不满意"})
	var te *TransitionError
	if !errors.As(err, &te) {
		t.Fatalf("third rating: %v", err)
	}
	st, _ := e.svc.Stats(context.Background(), StatsQuery{})
	if st.BadRatingsAwaitingCallback != 1 {
		t.Errorf("awaiting callback %d", st.BadRatingsAwaitingCallback)
	}
	e.apply(t, agent, tk.ID, Command{Type: EvCallback, Note: "已回访说明情况"})
	st, _ = e.svc.Stats(context.Background(), StatsQuery{})
	if st.BadRatingsAwaitingCallback != 0 || st.Satisfaction.Num != 0 || st.Satisfaction.Den != 1 {
		t.Errorf("stats after callback %+v", st)
	}
}

// A satisfied rating is final: a later unsatisfied one cannot reopen the
// ticket, while a ticket closed without a rating can still be reopened by one.
func TestRatedTicketKeepsItsRating(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	h := dept("housing")
	replied := func() *Ticket {
		in := sampleIntake()
		in.Department = "housing"
		tk := e.create(t, in)
		e.apply(t, h, tk.ID, Command{Type: EvAccept})
		return e.apply(t, h, tk.ID, Command{Type: EvReply, Text: "已处理。"})
	}
	rated := replied()
	e.apply(t, agent, rated.ID, Command{Type: EvRate, Rating: "满意"})
	var te *TransitionError
	if _, err := e.svc.Apply(ctx, agent, rated.ID, Command{Type: EvRate, Rating: "非常不满意"}); !errors.As(err, &te) {
		t.Fatalf("bad rating after a satisfied one: %v", err)
	}
	if got, _ := e.svc.Get(ctx, rated.ID); got.Status != StatusClosed || got.Rating != "满意" || len(got.Ratings) != 1 {
		t.Fatalf("rated ticket changed: %s %v", got.Status, got.Ratings)
	}
	unrated := replied()
	e.apply(t, supervisor, unrated.ID, Command{Type: EvClose})
	if r := e.apply(t, agent, unrated.ID, Command{Type: EvRate, Rating: "不满意"}); r.Status != StatusDispatched || r.Reopens != 1 {
		t.Fatalf("first bad rating on an unrated closed ticket should reopen: %s", r.Status)
	}
	drain(t, e.st)
}

func TestPermissions(t *testing.T) {
	e := newEnv(t, nil)
	in := sampleIntake()
	in.Department = "housing"
	tk := e.create(t, in)
	ctx := context.Background()
	if _, err := e.svc.Apply(ctx, dept("tax"), tk.ID, Command{Type: EvAccept}); !errors.Is(err, ErrForbidden) {
		t.Errorf("foreign department: %v", err)
	}
	if _, err := e.svc.Apply(ctx, agent, tk.ID, Command{Type: EvAccept}); !errors.Is(err, ErrForbidden) {
		t.Errorf("agent accepting for the department: %v", err)
	}
	if _, err := e.svc.Apply(ctx, agent, tk.ID, Command{Type: EvExtendApprove}); !errors.Is(err, ErrForbidden) {
		t.Errorf("agent approving an extension: %v", err)
	}
	_, err := e.svc.Apply(ctx, dept("housing"), tk.ID, Command{Type: EvReply})
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Fields[0].Field != "text" {
		t.Errorf("reply without text: %v", err)
	}
	_, err = e.svc.Apply(ctx, agent, tk.ID, Command{Type: EvAnswer, KBEntry: "kb-1"})
	var te *TransitionError
	if !errors.As(err, &te) || !slices.Contains(te.Allowed, EvDispatch) || slices.Contains(te.Allowed, EvAnswer) {
		t.Errorf("answer on a dispatched ticket: %v (%v)", err, te)
	}
	// Return window: 2 working days after dispatch.
	e.clk.Set(cst("2026-03-05 09:00"))
	_, err = e.svc.Apply(ctx, dept("housing"), tk.ID, Command{Type: EvReturn, Reason: "不属于本单位职责"})
	if !errors.As(err, &te) || !strings.Contains(te.Reason, "return window") {
		t.Errorf("late return: %v", err)
	}
}

func TestExtensionMovesDeadline(t *testing.T) {
	e := newEnv(t, nil)
	e.clk.Set(cst("2026-09-24 10:00")) // Thursday before 中秋 and 国庆
	in := sampleIntake()
	in.Type = TypeEnquiry
	in.Department = "tax"
	tk := e.create(t, in)
	// 2 working days: Sep 25–27 off, Sep 28 (Mon), Sep 29 (Tue).
	if got := tk.Deadlines.Due.Format(time.DateOnly); got != "2026-09-29" {
		t.Fatalf("due %s", got)
	}
	h := dept("tax")
	e.apply(t, h, tk.ID, Command{Type: EvAccept})
	if _, err := e.svc.Apply(context.Background(), h, tk.ID, Command{Type: EvExtendRequest, Days: 11, Reason: "x"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("extension beyond the maximum: %v", err)
	}
	e.apply(t, h, tk.ID, Command{Type: EvExtendRequest, Days: 3, Reason: "需现场核查"})
	x := e.apply(t, supervisor, tk.ID, Command{Type: EvExtendApprove})
	// +3 from Sep 29: Sep 30, (Oct 1–7 off), Oct 8, Oct 9.
	if got := x.Deadlines.Due.Format(time.DateOnly); got != "2026-10-09" || x.Deadlines.ExtendedDays != 3 || x.Deadlines.PendingDays != 0 {
		t.Fatalf("extended due %s %+v", got, x.Deadlines)
	}
	if _, err := e.svc.Apply(context.Background(), supervisor, tk.ID, Command{Type: EvExtendApprove}); !errors.Is(err, ErrTransition) {
		t.Errorf("approve without request: %v", err)
	}
	if ds := drain(t, e.st); ds[len(ds)-1].Event != EvExtendApprove || ds[len(ds)-1].Department != "tax" {
		t.Errorf("approval not delivered to the lead: %+v", ds[len(ds)-1])
	}
	e.apply(t, h, tk.ID, Command{Type: EvExtendRequest, Days: 7, Reason: "再延"})
	if _, err := e.svc.Apply(context.Background(), h, tk.ID, Command{Type: EvExtendRequest, Days: 1, Reason: "x"}); !errors.Is(err, ErrTransition) {
		t.Errorf("second pending request: %v", err)
	}
	y := e.apply(t, supervisor, tk.ID, Command{Type: EvExtendRefuse, Note: "不予延期"})
	if !y.Deadlines.Due.Equal(x.Deadlines.Due) {
		t.Error("refusal moved the deadline")
	}
}

func TestSchedulerMarksOnceAcrossReplicas(t *testing.T) {
	forEachStore(t, testSchedulerMarksOnceAcrossReplicas)
}

func testSchedulerMarksOnceAcrossReplicas(t *testing.T, open opener) {
	st := open(t)
	a := newEnvOn(t, st, func(o *Options) { o.Owner = "replica-a" })
	b := newEnvOn(t, st, func(o *Options) { o.Owner = "replica-b"; o.Now = a.clk.Now })
	in := sampleIntake()
	in.Type = TypeEnquiry
	in.Department = "tax"
	var ids []string
	for range 5 {
		ids = append(ids, a.create(t, in).ID)
	}
	drain(t, st)
	a.clk.Set(cst("2026-03-03 12:00")) // due end of Wed Mar 4: no warning yet
	if w, o, err := a.svc.Sweep(context.Background()); err != nil || w+o != 0 {
		t.Fatalf("early sweep: %d %d %v", w, o, err)
	}
	a.clk.Set(cst("2026-03-04 08:00")) // the last working day: warn
	ctx := context.Background()
	w, o, err := a.svc.Sweep(ctx)
	if err != nil || w != 5 || o != 0 {
		t.Fatalf("warnings %d overdue %d err %v", w, o, err)
	}
	a.clk.Set(cst("2026-03-05 08:00"))
	// Two replicas sweep at once, bypassing the lease (as after a lease expiry).
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for _, s := range []*Service{a.svc, b.svc, a.svc, b.svc} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, o, err := s.sweep(ctx)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total += o
			mu.Unlock()
		}()
	}
	wg.Wait()
	if total != 5 {
		t.Errorf("overdue events written %d, want 5", total)
	}
	for _, id := range ids {
		tk, _ := a.svc.Get(ctx, id)
		n := 0
		for _, ev := range tk.Events {
			if ev.Type == EvOverdue {
				n++
			}
		}
		if n != 1 || !tk.Overdue {
			t.Errorf("ticket %s has %d overdue events", id, n)
		}
	}
	if ds := drain(t, st); len(ds) != 10 { // 5 warnings + 5 overdue to the lead
		t.Errorf("%d scheduler deliveries", len(ds))
	}
	page, _ := a.svc.List(ctx, Filter{Overdue: true})
	if len(page.Tickets) != 5 {
		t.Errorf("overdue filter lists %d", len(page.Tickets))
	}
	// The lease keeps a second replica out.
	if _, _, err := a.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, _ := st.AcquireLease(ctx, SLALease, "replica-b", time.Minute); ok {
		t.Error("replica b got the lease held by a")
	}
}

func TestImportDevTickets(t *testing.T) {
	path := devData(t, "tickets_dev.jsonl")
	raw, err := osReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var seen []*Ticket
	var mu sync.Mutex
	e := newEnv(t, func(o *Options) {
		o.DepartmentExists = nil // the departments file is another package's business
		o.Observers = []func(context.Context, *Ticket){func(_ context.Context, tk *Ticket) { mu.Lock(); seen = append(seen, tk); mu.Unlock() }}
	})
	lines := bytes.Count(raw, []byte("\n"))
	res, err := e.svc.Import(context.Background(), supervisor, bytes.NewReader(raw))
	if err != nil || res.Imported != lines || len(res.Errors) != 0 {
		t.Fatalf("import: %v %+v (lines %d)", err, res, lines)
	}
	if len(seen) != lines || !seen[0].Historical || seen[0].Status != StatusClosed || seen[0].Department == "" {
		t.Fatalf("observers saw %d", len(seen))
	}
	again, err := e.svc.Import(context.Background(), supervisor, bytes.NewReader(raw))
	if err != nil || again.Imported != 0 || again.Skipped != lines {
		t.Errorf("re-import: %+v", again)
	}
	st, _ := e.svc.Stats(context.Background(), StatsQuery{})
	if st.Tickets != 0 {
		t.Errorf("history counted in stats: %d", st.Tickets)
	}
}

func TestImportBadLines(t *testing.T) {
	var batches [][]*Ticket
	var done []int
	e := newEnv(t, func(o *Options) {
		o.ImportObservers = []func(context.Context, []*Ticket){func(_ context.Context, ts []*Ticket) { batches = append(batches, ts) }}
		o.ImportDone = []func(context.Context, int){func(_ context.Context, n int) { done = append(done, n) }}
		o.Observers = []func(context.Context, *Ticket){func(context.Context, *Ticket) { t.Error("per-ticket observer called for an import") }}
	})
	in := strings.Join([]string{
		`{"id":"h1","channel":"hotline","text":"路灯不亮","district":"江川区","type":"求助","department":"housing","co_departments":[],"urgent":false,"direct_answer":false}`,
		`{not json`,
		`{"id":"h3","text":"","type":"闲聊","department":"mars"}`,
		``,
		`{"id":"h1","channel":"hotline","text":"重复","type":"求助","department":"housing"}`,
	}, "\n")
	res, err := e.svc.Import(context.Background(), supervisor, strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(batches) != 1 || len(batches[0]) != 1 || batches[0][0].ExternalID != "h1" {
		t.Errorf("import observers saw %v", batches)
	}
	if len(done) != 1 || done[0] != 1 {
		t.Errorf("ImportDone calls %v, want one with the 1 imported", done)
	}
	if res.Imported != 1 || res.Skipped != 1 || len(res.Errors) != 2 || res.Errors[0].Line != 2 || res.Errors[1].Line != 3 {
		t.Fatalf("%+v", res)
	}
	for _, want := range []string{"text", "type", "unknown department"} {
		if !strings.Contains(res.Errors[1].Error, want) {
			t.Errorf("line 3 error lacks %q: %s", want, res.Errors[1].Error)
		}
	}
}

func TestApplyDepartmentEvent(t *testing.T) {
	e := newEnv(t, nil)
	in := sampleIntake()
	in.Department = "housing"
	tk := e.create(t, in)
	ctx := context.Background()
	if _, err := e.svc.ApplyDepartmentEvent(ctx, "tax", eventOf("accepted", tk.Code)); !errors.Is(err, ErrForbidden) {
		t.Errorf("foreign department callback: %v", err)
	}
	x, err := e.svc.ApplyDepartmentEvent(ctx, "housing", eventOf("accepted", tk.Code))
	if err != nil || x.Status != StatusAccepted || x.Events[len(x.Events)-1].Actor != "department:housing" {
		t.Fatalf("accepted: %v", err)
	}
	ev := eventOf("replied", "")
	ev.TicketID, ev.Text = tk.ID, "已处理"
	x, err = e.svc.ApplyDepartmentEvent(ctx, "housing", ev)
	if err != nil || x.Status != StatusReplied || x.Reply != "已处理" {
		t.Fatalf("replied: %v", err)
	}
	if _, err := e.svc.ApplyDepartmentEvent(ctx, "housing", eventOf("kb_proposal", tk.Code)); !errors.Is(err, ErrInvalid) {
		t.Errorf("kb proposal: %v", err)
	}
}

func TestListFiltersAndPaging(t *testing.T) { forEachStore(t, testListFiltersAndPaging) }

func testListFiltersAndPaging(t *testing.T, open opener) {
	e := newEnvOn(t, open(t), nil)
	ctx := context.Background()
	var ids []string
	for i := range 7 {
		in := sampleIntake()
		if i%2 == 0 {
			in.Department = "tax"
		} else {
			in.Caller.Phone = "13900000000"
		}
		ids = append(ids, e.create(t, in).ID)
		e.clk.Add(time.Millisecond)
	}
	if !slices.IsSorted(ids) {
		t.Error("ids are not in intake order")
	}
	var got []string
	cursor := ""
	for {
		p, err := e.svc.List(ctx, Filter{Limit: 3, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range p.Tickets {
			got = append(got, tk.ID)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	want := slices.Clone(ids)
	slices.Reverse(want)
	if !slices.Equal(got, want) {
		t.Errorf("paging newest first: %v", got)
	}
	p, _ := e.svc.List(ctx, Filter{Department: "tax"})
	q, _ := e.svc.List(ctx, Filter{CallerPhone: "+86 139 0000 0000"})
	r, _ := e.svc.List(ctx, Filter{Status: StatusReceived})
	if len(p.Tickets) != 4 || len(q.Tickets) != 3 || len(r.Tickets) != 3 {
		t.Errorf("filters: dept %d caller %d status %d", len(p.Tickets), len(q.Tickets), len(r.Tickets))
	}
}

var _ = store.ErrNotFound

func TestAnsweredAtIntakeIsFirstCallResolution(t *testing.T) {
	var seen []string
	e := newEnv(t, func(o *Options) {
		o.Observers = []func(context.Context, *Ticket){func(_ context.Context, tk *Ticket) { seen = append(seen, tk.ID) }}
	})
	in := sampleIntake()
	in.Type, in.KBEntry, in.Reply = TypeEnquiry, "kb-42", "按政策答复"
	tk := e.create(t, in)
	if tk.Status != StatusAnswered || !tk.DirectAnswer || tk.KBEntry != "kb-42" || len(seen) != 1 || seen[0] != tk.ID {
		t.Fatalf("answered at intake: %s %v %v", tk.Status, tk.DirectAnswer, seen)
	}
	if ds := drain(t, e.st); len(ds) != 0 {
		t.Errorf("answered ticket delivered: %+v", ds)
	}
	bad := sampleIntake()
	bad.KBEntry, bad.Department = "kb-1", "tax"
	if _, err := e.svc.Create(context.Background(), agent, bad, "", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("answer and dispatch at once: %v", err)
	}
	st, _ := e.svc.Stats(context.Background(), StatsQuery{})
	if st.FirstCallResolution.Num != 1 || st.OnTimeClosure.Num != 1 || st.OnTimeDispatch.Num != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestImportTimeFormats(t *testing.T) {
	e := newEnv(t, nil)
	in := `{"id":"a","text":"x","type":"咨询","department":"tax","created_at":"2025-06-01 08:30:00","closed_at":"2025-06-03"}
{"id":"b","text":"y","type":"咨询","department":"tax","channel":"wechat","created_at":"2025-06-01T08:30:00+08:00"}
{"id":"c","text":"z","type":"咨询","department":"tax","created_at":"yesterday"}`
	res, err := e.svc.Import(context.Background(), supervisor, strings.NewReader(in))
	if err != nil || res.Imported != 2 || len(res.Errors) != 1 || res.Errors[0].Line != 3 {
		t.Fatalf("%v %+v", err, res)
	}
	p, _ := e.svc.List(context.Background(), Filter{Oldest: true})
	if got := p.Tickets[0].CreatedAt.In(chinaZone).Format(time.DateTime); got != "2025-06-01 08:30:00" {
		t.Errorf("created %s", got)
	}
	if !p.Tickets[0].ClosedAt.After(p.Tickets[0].CreatedAt) {
		t.Error("closed_at lost")
	}
}

func TestHistoryForScreenPop(t *testing.T) {
	e := newEnv(t, nil)
	first := e.create(t, sampleIntake())
	e.apply(t, agent, first.ID, Command{Type: EvClose})
	e.clk.Add(time.Hour)
	second := e.create(t, sampleIntake())
	e.create(t, Intake{Channel: ChannelHotline, Type: TypeEnquiry, Text: "别人", Caller: Caller{Phone: "13700000000"}})
	h, err := e.svc.History(context.Background(), e.svc.CallerHash("+86 138 1234 5678"), 10)
	if err != nil || len(h) != 2 || h[0].ID != second.ID || !h[0].Open || h[1].Open {
		t.Fatalf("history %v %+v", err, h)
	}
}

func FuzzImport(f *testing.F) {
	f.Add([]byte(`{"id":"x","text":"路灯","type":"求助","department":"tax"}` + "\n" + `{"id":"y"}`))
	f.Add([]byte(`{"text":"a","type":"咨询","direct_answer":true,"created_at":"2025-01-01 10:00"}`))
	f.Add([]byte("\n\n{\"id\":1}\n[]\nnull\n"))
	e := newEnv(f, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := e.svc.Import(context.Background(), supervisor, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err) // store errors only; bad lines are reported, never fatal
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		if res.Imported+res.Skipped+len(res.Errors) > lines {
			t.Fatalf("%+v for %d lines", res, lines)
		}
	})
}

func TestIdempotencyKeysExpireAndArePurged(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.IdempotencyTTL = time.Hour })
	ctx := context.Background()
	first, err := e.svc.Create(ctx, agent, sampleIntake(), "exp-1", "fp")
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Add(2 * time.Hour) // expired, not yet purged: the key is free again
	second, err := e.svc.Create(ctx, agent, sampleIntake(), "exp-1", "fp")
	if err != nil || second.Replayed || second.Result.Ticket.ID == first.Result.Ticket.ID {
		t.Fatalf("expired key: %v replayed=%v", err, second.Replayed)
	}
	if _, err := e.svc.Create(ctx, agent, sampleIntake(), "exp-2", "fp"); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.st.Count(ctx, AnswersCollection, nil); n != 2 {
		t.Fatalf("%d answers stored", n)
	}
	e.clk.Add(48 * time.Hour)
	if _, _, err := e.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.st.Count(ctx, AnswersCollection, nil); n != 0 {
		t.Errorf("%d expired answers left after the sweep", n)
	}
	if n, _ := e.st.Count(ctx, Collection, nil); n != 3 {
		t.Errorf("purge touched tickets: %d", n)
	}
}
