package storetest

import (
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
)

const leaseLong = time.Minute

func outboxTests() []testCase {
	return []testCase{
		{"OutboxEnqueueClaimAck", testEnqueueClaimAck},
		{"OutboxLeaseExpiryReclaim", testLeaseReclaim},
		{"OutboxRetryNotBefore", testRetry},
		{"OutboxRelease", testRelease},
		{"OutboxDeadLetterRedrive", testDeadLetter},
		{"OutboxDeadLetterOrder", testDeadLetterOrder},
		{"OutboxPending", testPending},
		{"OutboxNotBefore", testNotBefore},
		{"OutboxConcurrentConsumers", testConcurrentConsumers},
		{"OutboxDuplicateID", testDuplicateItem},
		{"OutboxTopicsIsolated", testTopicsIsolated},
	}
}

func enqueue(t *testing.T, s store.Store, items ...store.OutboxItem) {
	t.Helper()
	try(s.Commit(ctxT(t), store.Tx{Enqueue: items})).must(t)
}

func item(id, key string) store.OutboxItem {
	return store.OutboxItem{ID: id, Topic: "delivery", Key: key, Payload: []byte(fmt.Sprintf(`{"id":%q}`, id))}
}

func claimIDs(items []store.OutboxItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	sort.Strings(out)
	return out
}

func testEnqueueClaimAck(t *testing.T, s store.Store, _ Features) {
	ctx := ctxT(t)
	try(s.Commit(ctx, store.Tx{
		Puts:    []store.Put{{Record: store.Record{Collection: "tickets", ID: "T1", Data: []byte(`{}`)}}},
		Enqueue: []store.OutboxItem{item("a", "water"), item("b", "water"), item("c", "power"), {Topic: "delivery", Key: "power", Payload: []byte(`{"gen":true}`)}},
	})).must(t)
	got := try(s.Claim(ctx, "delivery", "w1", 10, leaseLong)).must(t)
	if len(got) != 4 {
		t.Fatalf("claimed %d items, want 4", len(got))
	}
	for _, it := range got {
		if it.Lease == "" || it.Topic != "delivery" || it.Attempts != 0 || it.CreatedAt.IsZero() || it.ID == "" {
			t.Fatalf("claimed item incomplete: %+v", it)
		}
		if it.ID != "" && len(it.ID) == 1 && string(it.Payload) != fmt.Sprintf(`{"id":%q}`, it.ID) {
			t.Fatalf("payload of %s = %s", it.ID, it.Payload)
		}
	}
	if more := try(s.Claim(ctx, "delivery", "w2", 10, leaseLong)).must(t); len(more) != 0 {
		t.Fatalf("claimed items visible to another consumer: %v", claimIDs(more))
	}
	for _, it := range got {
		noErr(t, s.Ack(ctx, it))
	}
	isErr(t, s.Ack(ctx, got[0]), store.ErrLeaseLost) // double ack
	if p := try(s.Pending(ctx, "delivery")).must(t); len(p) != 0 {
		t.Fatalf("pending after ack = %v", p)
	}
	if more := try(s.Claim(ctx, "delivery", "w2", 10, leaseLong)).must(t); len(more) != 0 {
		t.Fatalf("acked items came back: %v", claimIDs(more))
	}
	// max is honoured.
	enqueue(t, s, item("x1", "k"), item("x2", "k"), item("x3", "k"))
	if got := try(s.Claim(ctx, "delivery", "w1", 2, leaseLong)).must(t); len(got) != 2 {
		t.Fatalf("claim max 2 returned %d", len(got))
	}
}

func testLeaseReclaim(t *testing.T, s store.Store, f Features) {
	ctx := ctxT(t)
	lease := 300 * time.Millisecond
	enqueue(t, s, item("a", "k"))
	first := try(s.Claim(ctx, "delivery", "w1", 10, lease)).must(t)
	if len(first) != 1 {
		t.Fatalf("claimed %d", len(first))
	}
	if got := try(s.Claim(ctx, "delivery", "w2", 10, lease)).must(t); len(got) != 0 {
		t.Fatal("item claimed twice within its lease")
	}
	time.Sleep(lease + f.Slack)
	second := try(s.Claim(ctx, "delivery", "w2", 10, leaseLong)).must(t)
	if len(second) != 1 || second[0].ID != "a" || second[0].Lease == first[0].Lease {
		t.Fatalf("after expiry claimed %+v, want item a with a new lease", second)
	}
	isErr(t, s.Ack(ctx, first[0]), store.ErrLeaseLost)
	isErr(t, s.Retry(ctx, first[0], time.Now(), "late", true), store.ErrLeaseLost)
	isErr(t, s.DeadLetter(ctx, first[0], "late"), store.ErrLeaseLost)
	noErr(t, s.Ack(ctx, second[0]))

	enqueue(t, s, item("b", "k"))
	b := try(s.Claim(ctx, "delivery", "w1", 10, lease)).must(t)
	if len(b) != 1 {
		t.Fatalf("claimed %d", len(b))
	}
	time.Sleep(lease + f.Slack)
	if f.ExactLeaseExpiry {
		// Nobody reclaimed it, but the lease is over: the worker must not ack.
		isErr(t, s.Ack(ctx, b[0]), store.ErrLeaseLost)
	} else {
		again := try(s.Claim(ctx, "delivery", "w2", 10, leaseLong)).must(t)
		if len(again) != 1 {
			t.Fatalf("expired item not reclaimable: %d", len(again))
		}
		isErr(t, s.Ack(ctx, b[0]), store.ErrLeaseLost)
	}
}

func testRetry(t *testing.T, s store.Store, f Features) {
	ctx := ctxT(t)
	enqueue(t, s, item("a", "k"))
	it := try(s.Claim(ctx, "delivery", "w", 1, leaseLong)).must(t)[0]
	delay := 400 * time.Millisecond
	noErr(t, s.Retry(ctx, it, time.Now().Add(delay), "502 from department", true))
	if got := try(s.Claim(ctx, "delivery", "w", 1, leaseLong)).must(t); len(got) != 0 {
		t.Fatal("retried item claimable before its not-before time")
	}
	if p := try(s.Pending(ctx, "delivery")).must(t); p["k"].Depth != 1 {
		t.Fatalf("delayed item not pending: %v", p)
	}
	time.Sleep(delay + f.Slack)
	got := try(s.Claim(ctx, "delivery", "w", 1, leaseLong)).must(t)
	if len(got) != 1 || got[0].Attempts != 1 || got[0].LastError != "502 from department" {
		t.Fatalf("after delay claimed %+v, want attempts 1 and last error", got)
	}
	// An uncounted retry (open breaker) keeps attempts, and "now" is due at once.
	noErr(t, s.Retry(ctx, got[0], time.Now(), "breaker open", false))
	got = try(s.Claim(ctx, "delivery", "w", 1, leaseLong)).must(t)
	if len(got) != 1 || got[0].Attempts != 1 || got[0].LastError != "breaker open" {
		t.Fatalf("after uncounted retry claimed %+v, want attempts 1", got)
	}
	noErr(t, s.Retry(ctx, got[0], time.Now().Add(-time.Second), "again", true))
	got = try(s.Claim(ctx, "delivery", "w", 1, leaseLong)).must(t)
	if len(got) != 1 || got[0].Attempts != 2 {
		t.Fatalf("after counted retry claimed %+v, want attempts 2", got)
	}
	isErr(t, s.Retry(ctx, it, time.Now(), "stale", true), store.ErrLeaseLost)
}

func testRelease(t *testing.T, s store.Store, _ Features) {
	ctx := ctxT(t)
	enqueue(t, s, item("a", "k"), item("b", "k"))
	got := try(s.Claim(ctx, "delivery", "w", 10, leaseLong)).must(t)
	if len(got) != 2 {
		t.Fatalf("claimed %d", len(got))
	}
	noErr(t, s.Release(ctx, got))
	again := try(s.Claim(ctx, "delivery", "w2", 10, leaseLong)).must(t)
	if fmt.Sprint(claimIDs(again)) != "[a b]" {
		t.Fatalf("after release claimed %v", claimIDs(again))
	}
	for _, it := range again {
		if it.Attempts != 0 {
			t.Fatalf("release counted an attempt: %+v", it)
		}
	}
	isErr(t, s.Release(ctx, got[:1]), store.ErrLeaseLost)
	noErr(t, s.Ack(ctx, again[0]))
}

func testDeadLetter(t *testing.T, s store.Store, _ Features) {
	ctx := ctxT(t)
	enqueue(t, s, item("a", "k"), item("b", "k"))
	got := try(s.Claim(ctx, "delivery", "w", 10, leaseLong)).must(t)
	var a store.OutboxItem
	for _, it := range got {
		if it.ID == "a" {
			a = it
		}
	}
	noErr(t, s.Retry(ctx, a, time.Now(), "timeout", true))
	a = try(s.Claim(ctx, "delivery", "w", 10, leaseLong)).must(t)[0]
	noErr(t, s.DeadLetter(ctx, a, "400 拒收"))
	isErr(t, s.Ack(ctx, a), store.ErrLeaseLost)
	if more := try(s.Claim(ctx, "delivery", "w", 10, leaseLong)).must(t); len(more) != 0 {
		t.Fatalf("dead letter claimable: %v", claimIDs(more))
	}
	if p := try(s.Pending(ctx, "delivery")).must(t); p["k"].Depth != 1 {
		t.Fatalf("pending with a dead letter = %v, want depth 1 (b only)", p)
	}
	dls := try(s.ListDeadLetters(ctx, "delivery", 10)).must(t)
	if len(dls) != 1 || dls[0].Item.ID != "a" || dls[0].Reason != "400 拒收" || dls[0].Item.Attempts != 1 || dls[0].At.IsZero() || string(dls[0].Item.Payload) != `{"id":"a"}` {
		t.Fatalf("dead letters = %+v", dls)
	}
	if other := try(s.ListDeadLetters(ctx, "other", 10)).must(t); len(other) != 0 {
		t.Fatalf("dead letters leak across topics: %+v", other)
	}
	noErr(t, s.Redrive(ctx, "delivery", "a"))
	if dls := try(s.ListDeadLetters(ctx, "delivery", 10)).must(t); len(dls) != 0 {
		t.Fatalf("redriven item still dead: %+v", dls)
	}
	if p := try(s.Pending(ctx, "delivery")).must(t); p["k"].Depth != 2 {
		t.Fatalf("pending after redrive = %v, want depth 2", p)
	}
	back := try(s.Claim(ctx, "delivery", "w", 10, leaseLong)).must(t)
	if len(back) != 1 || back[0].ID != "a" || back[0].Attempts != 0 {
		t.Fatalf("after redrive claimed %+v, want a with attempts 0", back)
	}
	isErr(t, s.Redrive(ctx, "delivery", "a"), store.ErrNotFound)
	isErr(t, s.Redrive(ctx, "delivery", "nope"), store.ErrNotFound)
}

func testPending(t *testing.T, s store.Store, _ Features) {
	ctx := ctxT(t)
	base := time.Now().Add(-time.Hour).UTC().Truncate(time.Millisecond)
	at := func(id, key string, age time.Duration) store.OutboxItem {
		it := item(id, key)
		it.CreatedAt = base.Add(age)
		return it
	}
	enqueue(t, s, at("a2", "water", 2*time.Minute), at("a1", "water", time.Minute), at("a3", "water", 3*time.Minute), at("b1", "power", 5*time.Minute))
	p := try(s.Pending(ctx, "delivery")).must(t)
	if len(p) != 2 || p["water"].Depth != 3 || p["power"].Depth != 1 {
		t.Fatalf("pending = %v", p)
	}
	if !p["water"].Oldest.Equal(base.Add(time.Minute)) || !p["power"].Oldest.Equal(base.Add(5*time.Minute)) {
		t.Fatalf("oldest water %v power %v, want %v and %v", p["water"].Oldest, p["power"].Oldest, base.Add(time.Minute), base.Add(5*time.Minute))
	}
	got := try(s.Claim(ctx, "delivery", "w", 10, leaseLong)).must(t)
	if p := try(s.Pending(ctx, "delivery")).must(t); p["water"].Depth != 3 {
		t.Fatalf("claimed items must stay pending until acked: %v", p)
	}
	for _, it := range got {
		if it.ID == "a1" || it.ID == "b1" {
			noErr(t, s.Ack(ctx, it))
		}
	}
	p = try(s.Pending(ctx, "delivery")).must(t)
	if _, ok := p["power"]; ok || p["water"].Depth != 2 || !p["water"].Oldest.Equal(base.Add(2*time.Minute)) {
		t.Fatalf("pending after acks = %v", p)
	}
}

func testNotBefore(t *testing.T, s store.Store, f Features) {
	ctx := ctxT(t)
	later := item("later", "k")
	delay := 400 * time.Millisecond
	later.NotBefore = time.Now().Add(delay)
	enqueue(t, s, later, item("now", "k"))
	got := try(s.Claim(ctx, "delivery", "w", 10, leaseLong)).must(t)
	if fmt.Sprint(claimIDs(got)) != "[now]" {
		t.Fatalf("claimed %v before not-before, want [now]", claimIDs(got))
	}
	time.Sleep(delay + f.Slack)
	got = try(s.Claim(ctx, "delivery", "w", 10, leaseLong)).must(t)
	if fmt.Sprint(claimIDs(got)) != "[later]" {
		t.Fatalf("claimed %v after not-before, want [later]", claimIDs(got))
	}
}

func testConcurrentConsumers(t *testing.T, s store.Store, _ Features) {
	ctx := ctxT(t)
	const n = 150
	var items []store.OutboxItem
	for i := range n {
		items = append(items, item(fmt.Sprintf("i%03d", i), fmt.Sprint(i%3)))
		if len(items) == 50 {
			enqueue(t, s, items...)
			items = nil
		}
	}
	var mu sync.Mutex
	claimed := map[string]string{}
	var dupes []string
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			consumer := fmt.Sprintf("w%d", w)
			for idle := 0; idle < 3; {
				got, err := s.Claim(ctx, "delivery", consumer, 7, leaseLong)
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					idle++
					time.Sleep(10 * time.Millisecond)
					continue
				}
				idle = 0
				mu.Lock()
				for _, it := range got {
					if prev, ok := claimed[it.ID]; ok {
						dupes = append(dupes, it.ID+" by "+prev+" and "+consumer)
					}
					claimed[it.ID] = consumer
				}
				mu.Unlock()
				for _, it := range got {
					if err := s.Ack(ctx, it); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(dupes) > 0 {
		t.Fatalf("items held by two consumers: %v", dupes)
	}
	if len(claimed) != n {
		t.Fatalf("claimed %d distinct items, want %d", len(claimed), n)
	}
	if p := try(s.Pending(ctx, "delivery")).must(t); len(p) != 0 {
		t.Fatalf("pending after all acks: %v", p)
	}
}

func testDuplicateItem(t *testing.T, s store.Store, _ Features) {
	ctx := ctxT(t)
	enqueue(t, s, item("T1/water/created", "water"))
	_, err := s.Commit(ctx, store.Tx{
		Puts:    []store.Put{{Record: store.Record{Collection: "c", ID: "x", Data: []byte(`1`)}}},
		Enqueue: []store.OutboxItem{item("T1/water/created", "water")},
	})
	isErr(t, err, store.ErrConflict)
	_, err = s.Get(ctx, "c", "x")
	isErr(t, err, store.ErrNotFound)
	if p := try(s.Pending(ctx, "delivery")).must(t); p["water"].Depth != 1 {
		t.Fatalf("pending = %v, want depth 1", p)
	}
	// Once acked, the ID may be used again.
	got := try(s.Claim(ctx, "delivery", "w", 10, leaseLong)).must(t)
	noErr(t, s.Ack(ctx, got[0]))
	enqueue(t, s, item("T1/water/created", "water"))
}

func testTopicsIsolated(t *testing.T, s store.Store, _ Features) {
	ctx := ctxT(t)
	a := item("x", "k")
	b := item("x", "k")
	b.Topic = "notify"
	enqueue(t, s, a, b)
	got := try(s.Claim(ctx, "notify", "w", 10, leaseLong)).must(t)
	if len(got) != 1 || got[0].Topic != "notify" {
		t.Fatalf("claim notify = %+v", got)
	}
	if p := try(s.Pending(ctx, "delivery")).must(t); p["k"].Depth != 1 {
		t.Fatalf("pending delivery = %v", p)
	}
	noErr(t, s.Ack(ctx, got[0]))
	if got := try(s.Claim(ctx, "delivery", "w", 10, leaseLong)).must(t); len(got) != 1 || got[0].Topic != "delivery" {
		t.Fatalf("claim delivery = %+v", got)
	}
}

func testDeadLetterOrder(t *testing.T, s store.Store, _ Features) {
	ctx := ctxT(t)
	enqueue(t, s, item("a", "k"), item("b", "k"), item("c", "k"))
	byID := map[string]store.OutboxItem{}
	for _, it := range try(s.Claim(ctx, "delivery", "w", 10, leaseLong)).must(t) {
		byID[it.ID] = it
	}
	for _, id := range []string{"c", "a", "b"} {
		noErr(t, s.DeadLetter(ctx, byID[id], "reason "+id))
		time.Sleep(5 * time.Millisecond) // distinct timestamps at millisecond precision
	}
	dls := try(s.ListDeadLetters(ctx, "delivery", 2)).must(t)
	if len(dls) != 2 || dls[0].Item.ID != "c" || dls[1].Item.ID != "a" || dls[0].Reason != "reason c" {
		t.Fatalf("dead letters (limit 2) = %+v, want c then a, oldest first", dls)
	}
	if !dls[0].At.Before(dls[1].At) {
		t.Fatalf("dead-letter times not increasing: %v, %v", dls[0].At, dls[1].At)
	}
	if all := try(s.ListDeadLetters(ctx, "delivery", 0)).must(t); len(all) != 3 {
		t.Fatalf("default limit listed %d", len(all))
	}
}
