package hotline

import (
	"context"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
)

// Calls that ended before the cut lose the caller's number and its hash;
// a missed call awaiting its call-back and a later call keep theirs; calls
// an older release stored are indexed once and then found.
func TestEraseCallNumbers(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	calls := NewCalls(st, NewRegistry(st), Normalizer{DefaultAreaCode: "0710"}, sealer(t), Lookups{})
	base := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	event := func(id, ev, from string, at time.Time) {
		t.Helper()
		if _, _, err := calls.Handle(ctx, CallEvent{CallID: id, Event: ev, From: from, To: "12345", Agent: "a1", At: at}, 0); err != nil {
			t.Fatalf("%s %s: %v", id, ev, err)
		}
	}
	event("old", EventRinging, "13812345678", base)
	event("old", EventAnswered, "", base.Add(5*time.Second))
	event("old", EventHangup, "", base.Add(time.Minute))
	event("missed", EventRinging, "13912345678", base)
	event("missed", EventHangup, "", base.Add(10*time.Second))
	event("later", EventRinging, "13712345678", base.Add(48*time.Hour))
	event("later", EventAnswered, "", base.Add(48*time.Hour+time.Second))
	event("later", EventHangup, "", base.Add(49*time.Hour))
	// "older" was stored by a release without the index.
	event("older", EventRinging, "13612345678", base)
	event("older", EventAnswered, "", base.Add(time.Second))
	event("older", EventHangup, "", base.Add(2*time.Minute))
	r, err := st.Get(ctx, collCalls, "older")
	if err != nil {
		t.Fatal(err)
	}
	delete(r.Index, ixPersonal)
	if _, err := st.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{Collection: collCalls, ID: r.ID, Data: r.Data, Index: r.Index}, ExpectVersion: r.Version}}}); err != nil {
		t.Fatal(err)
	}

	hash, _, _ := calls.CallerHash("13812345678")
	byNumber := func() int {
		n, err := st.Count(ctx, collCalls, map[string]string{"caller": hash})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if byNumber() != 1 {
		t.Fatal("the first caller's call is not found by number before erasure")
	}
	n, err := calls.ErasePersonalData(ctx, base.Add(24*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("erased %d (%v), want the two calls that ended before the cut", n, err)
	}
	for id, keeps := range map[string]bool{"old": false, "older": false, "missed": true, "later": true} {
		c, err := calls.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if has := c.CallerSealed != "" && c.CallerHash != ""; has != keeps {
			t.Errorf("call %s holds its number: %v, want %v", id, has, keeps)
		}
	}
	if n := byNumber(); n != 0 {
		t.Errorf("the erased caller is still found by number: %d calls", n)
	}
	missed, err := calls.Missed(ctx, 10)
	if err != nil || len(missed) != 1 || missed[0].Number == "" {
		t.Fatalf("the call-back list after erasure: %+v %v", missed, err)
	}
	if n, err := calls.ErasePersonalData(ctx, base.Add(24*time.Hour)); err != nil || n != 0 {
		t.Errorf("second run erased %d (%v)", n, err)
	}
}
