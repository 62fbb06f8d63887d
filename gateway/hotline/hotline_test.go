package hotline

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/pii"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/store/bolt"
)

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := bolt.Open(context.Background(), bolt.Options{Path: filepath.Join(t.TempDir(), "hallgate.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func sealer(t *testing.T) *pii.Sealer {
	s, err := pii.New(bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{8}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRegistry(t *testing.T) {
	ctx := context.Background()
	r := NewRegistry(openStore(t))
	known := func(code string) bool { return code == "hrss" || code == "tax" }

	if _, err := r.Put(ctx, Hotline{Number: "12333", Department: "hrss", Mode: "weird"}, known); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "mode") {
		t.Fatalf("bad mode: %v", err)
	}
	if _, err := r.Put(ctx, Hotline{Number: "12333", Department: "nope", Mode: ModeSubcentre}, known); err == nil ||
		!strings.Contains(err.Error(), "department") || !strings.Contains(err.Error(), "connector") {
		t.Fatalf("want every problem listed, got %v", err)
	}
	if _, err := r.Put(ctx, Hotline{Number: "110", Department: "hrss", Mode: ModeMerged}, known); !errors.Is(err, ErrInvalid) {
		t.Fatalf("emergency number accepted: %v", err)
	}
	h, err := r.Put(ctx, Hotline{Number: "12333", Department: "hrss", Mode: ModeSubcentre, Connector: "hrss"}, known)
	if err != nil || h.Version != 1 {
		t.Fatalf("put: %+v %v", h, err)
	}
	stale := h
	h.ServiceHours = "7x24"
	if h, err = r.Put(ctx, h, known); err != nil || h.Version != 2 {
		t.Fatalf("update: %+v %v", h, err)
	}
	if _, err := r.Put(ctx, stale, known); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale update: %v, want ErrConflict", err)
	}
	if err := r.SeedDepartment(ctx, "tax", ModeMerged, []string{"12366", "12333"}); err != nil {
		t.Fatal(err)
	}
	all, err := r.List(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("list: %+v %v", all, err)
	}
	if got, _ := r.Get(ctx, "12333"); got.Department != "hrss" || got.ServiceHours != "7x24" {
		t.Fatalf("seed overwrote an edited hotline: %+v", got)
	}
	if err := r.Delete(ctx, "12366"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(ctx, "12366"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted hotline still there: %v", err)
	}
}

func TestCallsScreenPopAndMissed(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	reg := NewRegistry(st)
	if _, err := reg.Put(ctx, Hotline{Number: "12333", Department: "hrss", Mode: ModeMerged}, nil); err != nil {
		t.Fatal(err)
	}
	s := sealer(t)
	norm := Normalizer{DefaultAreaCode: "0710"}
	base := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	num, _ := norm.Normalize("13812345678")
	callerHash := s.Hash(num.Key)
	var asked string
	calls := NewCalls(st, reg, norm, s, Lookups{
		History: func(ctx context.Context, hash string, limit int) ([]TicketSummary, error) {
			asked = hash
			if hash != callerHash {
				return nil, nil
			}
			return []TicketSummary{
				{ID: "a", Code: "JC1", Status: "closed", CreatedAt: base.Add(-48 * time.Hour)},
				{ID: "b", Code: "JC2", Status: "dispatched", Open: true, CreatedAt: base.Add(-72 * time.Hour)},
				{ID: "c", Code: "JC3", Status: "closed", CreatedAt: base.Add(-24 * time.Hour)},
			}, nil
		},
		Suggestions: func(ctx context.Context, dept string, limit int) ([]Suggestion, error) {
			return []Suggestion{{ID: "kb-" + dept, Question: "?"}}, nil
		},
	})

	// The same caller, written another way, is matched to the same history.
	pop, _, err := calls.Handle(ctx, CallEvent{CallID: "c1", Event: EventRinging, From: "+86 138-1234-5678", To: "12333", At: base}, 50)
	if err != nil {
		t.Fatal(err)
	}
	if asked != callerHash || !pop.Caller.Known || pop.Caller.Tickets != 3 || pop.Caller.OpenCount != 1 {
		t.Fatalf("caller not matched: %+v", pop.Caller)
	}
	if got := []string{pop.History[0].ID, pop.History[1].ID, pop.History[2].ID}; strings.Join(got, ",") != "b,c,a" {
		t.Fatalf("history order = %v, want open first then newest", got)
	}
	if pop.Dialled.Department != "hrss" || pop.Dialled.Mode != ModeMerged || len(pop.Suggestions) != 1 || pop.Suggestions[0].ID != "kb-hrss" {
		t.Fatalf("dialled department context missing: %+v %+v", pop.Dialled, pop.Suggestions)
	}
	if _, _, err := calls.Handle(ctx, CallEvent{CallID: "c1", Event: EventAnswered, Agent: "a7", At: base.Add(5 * time.Second)}, 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := calls.Handle(ctx, CallEvent{CallID: "c1", Event: EventHangup, At: base.Add(time.Minute)}, 0); err != nil {
		t.Fatal(err)
	}
	// A call that rings and hangs up unanswered lands on the call-back list;
	// the stored record never holds the number in clear.
	if _, _, err := calls.Handle(ctx, CallEvent{CallID: "c2", Event: EventRinging, From: "027-87654321", To: "12345", At: base.Add(time.Hour)}, 50); err != nil {
		t.Fatal(err)
	}
	if _, _, err := calls.Handle(ctx, CallEvent{CallID: "c2", Event: EventHangup, At: base.Add(time.Hour + 20*time.Second)}, 0); err != nil {
		t.Fatal(err)
	}
	rec, err := st.Get(ctx, collCalls, "c2")
	if err != nil || bytes.Contains(rec.Data, []byte("87654321")) {
		t.Fatalf("stored call leaks the number or is missing: %s %v", rec.Data, err)
	}
	missed, err := calls.Missed(ctx, 10)
	if err != nil || len(missed) != 1 || missed[0].ID != "c2" || missed[0].Number != "027-87654321" {
		t.Fatalf("missed = %+v, %v", missed, err)
	}
	if c1, _ := calls.Get(ctx, "c1"); c1.Status != StatusEnded || c1.Agent != "a7" {
		t.Fatalf("answered call = %+v", c1)
	}
	if _, err := calls.MarkCalledBack(ctx, "c1", "a7"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("calling back an answered call: %v", err)
	}
	if _, err := calls.MarkCalledBack(ctx, "c2", "a7"); err != nil {
		t.Fatal(err)
	}
	if missed, _ := calls.Missed(ctx, 10); len(missed) != 0 {
		t.Fatalf("called-back call still on the list: %+v", missed)
	}
	if c, err := calls.LinkTicket(ctx, "c1", "t-1"); err != nil || len(c.Tickets) != 1 {
		t.Fatalf("link: %+v %v", c, err)
	}
	if c, _ := calls.LinkTicket(ctx, "c1", "t-1"); len(c.Tickets) != 1 {
		t.Fatalf("link is not idempotent: %+v", c.Tickets)
	}
}

func TestCallEventsOutOfOrder(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	calls := NewCalls(st, NewRegistry(st), Normalizer{}, sealer(t), Lookups{})
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	// answered arrives before ringing: the call must not fall back to ringing.
	for _, ev := range []CallEvent{
		{CallID: "x", Event: EventAnswered, At: at.Add(3 * time.Second)},
		{CallID: "x", Event: EventRinging, From: "13812345678", At: at},
	} {
		if _, _, err := calls.Handle(ctx, ev, 10); err != nil {
			t.Fatal(err)
		}
	}
	if c, _ := calls.Get(ctx, "x"); c.Status != StatusAnswered || c.RingingAt.IsZero() {
		t.Fatalf("out-of-order events: %+v", c)
	}
	if _, _, err := calls.Handle(ctx, CallEvent{CallID: "", Event: "dial"}, 10); !errors.Is(err, ErrInvalid) ||
		!strings.Contains(err.Error(), "call_id") || !strings.Contains(err.Error(), "event") {
		t.Fatalf("invalid event: %v", err)
	}
}
