package storetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"

	"github.com/hallgate/hallgate/gateway/store"
)

func recordTests() []testCase {
	return []testCase{
		{"CreateGet", testCreateGet},
		{"CreateExistingConflicts", testCreateExisting},
		{"UpdateVersions", testUpdateVersions},
		{"GetMissing", testGetMissing},
		{"Delete", testDelete},
		{"ConcurrentWritersOneWins", testConcurrentWriters},
		{"TxAtomic", testTxAtomic},
		{"ListOrder", testListOrder},
		{"Pagination", testPagination},
		{"FilterAndIndexMaintenance", testFilters},
		{"CollectionsIsolated", testCollectionsIsolated},
		{"InvalidInput", testInvalid},
	}
}

func testCreateGet(t *testing.T, s store.Store, _ Features) {
	ctx := ctxT(t)
	r := create(t, s, "tickets", "T1", `{"title":"路灯不亮"}`, map[string]string{"status": "open"})
	if r.Version != 1 || r.UpdatedAt.IsZero() || r.ID != "T1" || r.Collection != "tickets" {
		t.Fatalf("created record = %+v, want version 1, updated_at set", r)
	}
	got := try(s.Get(ctx, "tickets", "T1")).must(t)
	if string(got.Data) != `{"title":"路灯不亮"}` || got.Version != 1 || got.Index["status"] != "open" || got.ID != "T1" || got.Collection != "tickets" {
		t.Fatalf("get = %+v", got)
	}
	if !got.UpdatedAt.Equal(r.UpdatedAt) {
		t.Fatalf("updated_at %v, commit said %v", got.UpdatedAt, r.UpdatedAt)
	}
}

func testCreateExisting(t *testing.T, s store.Store, _ Features) {
	ctx := ctxT(t)
	create(t, s, "c", "a", `1`, nil)
	_, err := s.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{Collection: "c", ID: "a", Data: []byte(`2`)}}}})
	isErr(t, err, store.ErrConflict)
	got := try(s.Get(ctx, "c", "a")).must(t)
	if string(got.Data) != "1" || got.Version != 1 {
		t.Fatalf("record changed by a failed create: %+v", got)
	}
}

func testUpdateVersions(t *testing.T, s store.Store, _ Features) {
	ctx := ctxT(t)
	create(t, s, "c", "a", `1`, nil)
	put := func(data string, expect uint64, force bool) ([]store.Record, error) {
		return s.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{Collection: "c", ID: "a", Data: []byte(data)}, ExpectVersion: expect, Force: force}}})
	}
	r := try(put(`2`, 1, false)).must(t)
	if r[0].Version != 2 {
		t.Fatalf("version after update = %d, want 2", r[0].Version)
	}
	_, err := put(`stale`, 1, false)
	isErr(t, err, store.ErrConflict)
	_, err = put(`future`, 9, false)
	isErr(t, err, store.ErrConflict)
	_, err = s.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{Collection: "c", ID: "missing", Data: []byte(`1`)}, ExpectVersion: 1}}})
	isErr(t, err, store.ErrConflict)
	r = try(put(`forced`, 1, true)).must(t)
	if r[0].Version != 3 {
		t.Fatalf("forced put version = %d, want 3", r[0].Version)
	}
	r = try(s.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{Collection: "c", ID: "new", Data: []byte(`1`)}, Force: true}}})).must(t)
	if r[0].Version != 1 {
		t.Fatalf("forced create version = %d, want 1", r[0].Version)
	}
	got := try(s.Get(ctx, "c", "a")).must(t)
	if string(got.Data) != "forced" || got.Version != 3 {
		t.Fatalf("get = %+v", got)
	}
}

func testGetMissing(t *testing.T, s store.Store, _ Features) {
	ctx := ctxT(t)
	_, err := s.Get(ctx, "nowhere", "x")
	isErr(t, err, store.ErrNotFound)
	create(t, s, "c", "a", `1`, nil)
	_, err = s.Get(ctx, "c", "b")
	isErr(t, err, store.ErrNotFound)
}

func testDelete(t *testing.T, s store.Store, _ Features) {
	ctx := ctxT(t)
	create(t, s, "c", "a", `1`, map[string]string{"status": "open"})
	create(t, s, "c", "b", `1`, map[string]string{"status": "open"})
	_, err := s.Commit(ctx, store.Tx{Deletes: []store.Delete{{Collection: "c", ID: "a", ExpectVersion: 7}}})
	isErr(t, err, store.ErrConflict)
	try(s.Get(ctx, "c", "a")).must(t)
	try(s.Commit(ctx, store.Tx{Deletes: []store.Delete{{Collection: "c", ID: "a", ExpectVersion: 1}}})).must(t)
	_, err = s.Get(ctx, "c", "a")
	isErr(t, err, store.ErrNotFound)
	try(s.Commit(ctx, store.Tx{Deletes: []store.Delete{{Collection: "c", ID: "b"}}})).must(t)
	_, err = s.Commit(ctx, store.Tx{Deletes: []store.Delete{{Collection: "c", ID: "b"}}})
	isErr(t, err, store.ErrNotFound)
	if n := try(s.Count(ctx, "c", nil)).must(t); n != 0 {
		t.Fatalf("count after deletes = %d", n)
	}
	if n := try(s.Count(ctx, "c", map[string]string{"status": "open"})).must(t); n != 0 {
		t.Fatalf("filtered count after deletes = %d (index not cleaned)", n)
	}
	p := try(s.List(ctx, "c", store.ListOptions{Filter: map[string]string{"status": "open"}})).must(t)
	if len(p.Records) != 0 {
		t.Fatalf("filtered list after delete = %d records", len(p.Records))
	}
	// Re-creating a deleted ID starts again at version 1.
	if r := create(t, s, "c", "a", `2`, nil); r.Version != 1 {
		t.Fatalf("re-created version = %d", r.Version)
	}
}

func testConcurrentWriters(t *testing.T, s store.Store, _ Features) {
	ctx := ctxT(t)
	const writers = 8
	// Racing creates of one ID: exactly one wins.
	for round := range 5 {
		id := fmt.Sprintf("new-%d", round)
		wins := raceN(t, writers, func(i int) error {
			_, err := s.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{Collection: "c", ID: id, Data: []byte(fmt.Sprint(i))}}}})
			return err
		})
		if wins != 1 {
			t.Fatalf("round %d: %d creators won, want exactly 1", round, wins)
		}
	}
	// Racing updates from the same version: exactly one wins each round.
	create(t, s, "c", "hot", `0`, nil)
	for round := range 10 {
		cur := try(s.Get(ctx, "c", "hot")).must(t)
		wins := raceN(t, writers, func(i int) error {
			_, err := s.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{Collection: "c", ID: "hot", Data: []byte(fmt.Sprint(i))}, ExpectVersion: cur.Version}}})
			return err
		})
		if wins != 1 {
			t.Fatalf("round %d: %d updaters won, want exactly 1", round, wins)
		}
	}
	if got := try(s.Get(ctx, "c", "hot")).must(t); got.Version != 11 {
		t.Fatalf("final version = %d, want 11", got.Version)
	}
}

// raceN runs fn on n goroutines released together and returns how many
// succeeded; every loser must have failed with ErrConflict.
func raceN(t *testing.T, n int, fn func(i int) error) int {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	start := make(chan struct{})
	wins := 0
	var other []error
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := fn(i)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, store.ErrConflict):
				other = append(other, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(other) > 0 {
		t.Fatalf("losers must fail with ErrConflict; got %v", other)
	}
	return wins
}

func testTxAtomic(t *testing.T, s store.Store, _ Features) {
	ctx := ctxT(t)
	create(t, s, "c", "a", `1`, map[string]string{"k": "v1"})
	// A stale update in the middle aborts the other puts, deletes and enqueues.
	_, err := s.Commit(ctx, store.Tx{
		Puts: []store.Put{
			{Record: store.Record{Collection: "c", ID: "b", Data: []byte(`new`), Index: map[string]string{"k": "v1"}}},
			{Record: store.Record{Collection: "c", ID: "a", Data: []byte(`stale`), Index: map[string]string{"k": "v2"}}, ExpectVersion: 5},
		},
		Enqueue: []store.OutboxItem{{ID: "d1", Topic: "delivery", Key: "dept", Payload: []byte(`{}`)}},
	})
	isErr(t, err, store.ErrConflict)
	_, err = s.Get(ctx, "c", "b")
	isErr(t, err, store.ErrNotFound)
	if a := try(s.Get(ctx, "c", "a")).must(t); string(a.Data) != "1" || a.Version != 1 {
		t.Fatalf("a changed by aborted tx: %+v", a)
	}
	if n := try(s.Count(ctx, "c", map[string]string{"k": "v2"})).must(t); n != 0 {
		t.Fatalf("index written by aborted tx: %d", n)
	}
	if n := try(s.Count(ctx, "c", nil)).must(t); n != 1 {
		t.Fatalf("count after aborted tx = %d, want 1", n)
	}
	// A delete of a missing record aborts as well.
	_, err = s.Commit(ctx, store.Tx{
		Puts:    []store.Put{{Record: store.Record{Collection: "c", ID: "b", Data: []byte(`new`)}}},
		Deletes: []store.Delete{{Collection: "c", ID: "ghost"}},
		Enqueue: []store.OutboxItem{{ID: "d2", Topic: "delivery", Key: "dept", Payload: []byte(`{}`)}},
	})
	isErr(t, err, store.ErrNotFound)
	_, err = s.Get(ctx, "c", "b")
	isErr(t, err, store.ErrNotFound)
	if items := try(s.Claim(ctx, "delivery", "w", 10, leaseLong)).must(t); len(items) != 0 {
		t.Fatalf("aborted tx enqueued %d items", len(items))
	}
	if p := try(s.Pending(ctx, "delivery")).must(t); len(p) != 0 {
		t.Fatalf("aborted tx left pending work: %v", p)
	}
	// A successful multi-record tx returns records in put order.
	recs := try(s.Commit(ctx, store.Tx{
		Puts: []store.Put{
			{Record: store.Record{Collection: "c", ID: "z", Data: []byte(`z`)}},
			{Record: store.Record{Collection: "c", ID: "a", Data: []byte(`a2`)}, ExpectVersion: 1},
			{Record: store.Record{Collection: "other", ID: "m", Data: []byte(`m`)}},
		},
		Enqueue: []store.OutboxItem{{ID: "d3", Topic: "delivery", Key: "dept", Payload: []byte(`{"n":3}`)}},
	})).must(t)
	if len(recs) != 3 || recs[0].ID != "z" || recs[1].ID != "a" || recs[1].Version != 2 || recs[2].Collection != "other" {
		t.Fatalf("commit returned %+v", recs)
	}
	items := try(s.Claim(ctx, "delivery", "w", 10, leaseLong)).must(t)
	if len(items) != 1 || items[0].ID != "d3" || string(items[0].Payload) != `{"n":3}` {
		t.Fatalf("claimed %+v, want d3", items)
	}
}

func testListOrder(t *testing.T, s store.Store, _ Features) {
	ctx := ctxT(t)
	ids := make([]string, 40)
	for i := range ids {
		ids[i] = fmt.Sprintf("r%03d", i)
	}
	shuffled := append([]string(nil), ids...)
	rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, id := range shuffled {
		create(t, s, "c", id, `{}`, nil)
	}
	asc := try(s.List(ctx, "c", store.ListOptions{})).must(t)
	if got := idsOf(asc.Records); fmt.Sprint(got) != fmt.Sprint(ids) || asc.NextCursor != "" {
		t.Fatalf("ascending list = %v (cursor %q)", got, asc.NextCursor)
	}
	desc := try(s.List(ctx, "c", store.ListOptions{Reverse: true})).must(t)
	rev := append([]string(nil), ids...)
	sort.Sort(sort.Reverse(sort.StringSlice(rev)))
	if got := idsOf(desc.Records); fmt.Sprint(got) != fmt.Sprint(rev) {
		t.Fatalf("descending list = %v", got)
	}
	if p := try(s.List(ctx, "empty", store.ListOptions{})).must(t); len(p.Records) != 0 || p.NextCursor != "" {
		t.Fatalf("empty collection list = %+v", p)
	}
}

func idsOf(recs []store.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

func testPagination(t *testing.T, s store.Store, _ Features) {
	ctx := ctxT(t)
	// 450 records; "parity" and "half" each match about half, and their
	// intersection is spread thinly over both, so a backend that drives the
	// scan from one index and probes the other must page through several of
	// its own chunks.
	const n = 450
	var puts []store.Put
	want := map[string][]string{}
	for i := range n {
		id := fmt.Sprintf("p%04d", i)
		parity := map[bool]string{true: "odd", false: "even"}[i%2 == 1]
		half := map[bool]string{true: "low", false: "high"}[i < n/2]
		puts = append(puts, store.Put{Record: store.Record{Collection: "c", ID: id, Data: []byte(`{}`), Index: map[string]string{"parity": parity, "half": half}}})
		want["all"] = append(want["all"], id)
		if parity == "odd" {
			want["odd"] = append(want["odd"], id)
			if half == "low" {
				want["odd+low"] = append(want["odd+low"], id)
			}
		}
	}
	try(s.Commit(ctx, store.Tx{Puts: puts[:n/2]})).must(t)
	try(s.Commit(ctx, store.Tx{Puts: puts[n/2:]})).must(t)
	filters := map[string]map[string]string{"all": nil, "odd": {"parity": "odd"}, "odd+low": {"parity": "odd", "half": "low"}}
	for _, reverse := range []bool{false, true} {
		for name, filter := range filters {
			exp := append([]string(nil), want[name]...)
			if reverse {
				sort.Sort(sort.Reverse(sort.StringSlice(exp)))
			}
			var got []string
			cursor, pages := "", 0
			for {
				p := try(s.List(ctx, "c", store.ListOptions{Limit: 17, Cursor: cursor, Reverse: reverse, Filter: filter})).must(t)
				pages++
				if len(p.Records) > 17 {
					t.Fatalf("page of %d records for limit 17", len(p.Records))
				}
				got = append(got, idsOf(p.Records)...)
				if p.NextCursor == "" {
					break
				}
				cursor = p.NextCursor
				if pages > 100 {
					t.Fatal("pagination does not end")
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(exp) {
				t.Fatalf("reverse=%v filter=%s: paged ids (%d) differ from expected (%d)\n got %v\nwant %v", reverse, name, len(got), len(exp), got, exp)
			}
			if pages < 3 {
				t.Fatalf("only %d pages", pages)
			}
			if c := try(s.Count(ctx, "c", filter)).must(t); c != len(exp) {
				t.Fatalf("count %s = %d, want %d", name, c, len(exp))
			}
		}
	}
	// A page boundary survives deletion of the cursor's record and inserts behind it.
	p1 := try(s.List(ctx, "c", store.ListOptions{Limit: 5})).must(t)
	last := p1.Records[4].ID
	try(s.Commit(ctx, store.Tx{Deletes: []store.Delete{{Collection: "c", ID: last}}, Puts: []store.Put{{Record: store.Record{Collection: "c", ID: "p0000a", Data: []byte(`{}`)}}}})).must(t)
	p2 := try(s.List(ctx, "c", store.ListOptions{Limit: 2, Cursor: p1.NextCursor})).must(t)
	if got := idsOf(p2.Records); fmt.Sprint(got) != "[p0005 p0006]" {
		t.Fatalf("page after deleted cursor record = %v, want [p0005 p0006]", got)
	}
	_, err := s.List(ctx, "c", store.ListOptions{Cursor: "%%not-a-cursor"})
	isErr(t, err, store.ErrInvalid)
}

func testFilters(t *testing.T, s store.Store, _ Features) {
	ctx := ctxT(t)
	seed := []struct {
		id, status, dept string
	}{{"t1", "open", "water"}, {"t2", "open", "power"}, {"t3", "closed", "water"}, {"t4", "open", "water"}, {"t5", "dispatched", "roads"}}
	for _, r := range seed {
		create(t, s, "tickets", r.id, `{}`, map[string]string{"status": r.status, "dept": r.dept})
	}
	create(t, s, "other", "t1", `{}`, map[string]string{"status": "open", "dept": "water"})
	check := func(filter map[string]string, want string) {
		t.Helper()
		p := try(s.List(ctx, "tickets", store.ListOptions{Filter: filter})).must(t)
		if got := fmt.Sprint(idsOf(p.Records)); got != want {
			t.Fatalf("filter %v = %s, want %s", filter, got, want)
		}
		n := try(s.Count(ctx, "tickets", filter)).must(t)
		if n != len(p.Records) {
			t.Fatalf("count %v = %d, list has %d", filter, n, len(p.Records))
		}
	}
	check(map[string]string{"status": "open"}, "[t1 t2 t4]")
	check(map[string]string{"status": "open", "dept": "water"}, "[t1 t4]")
	check(map[string]string{"dept": "water", "status": "closed"}, "[t3]")
	check(map[string]string{"status": "unknown"}, "[]")
	check(map[string]string{"nofield": "x"}, "[]")
	check(nil, "[t1 t2 t3 t4 t5]")
	// Changing an index value moves the record between filters.
	cur := try(s.Get(ctx, "tickets", "t1")).must(t)
	try(s.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{Collection: "tickets", ID: "t1", Data: []byte(`{}`), Index: map[string]string{"status": "closed", "dept": "water"}}, ExpectVersion: cur.Version}}})).must(t)
	check(map[string]string{"status": "open"}, "[t2 t4]")
	check(map[string]string{"status": "closed"}, "[t1 t3]")
	// Dropping a field removes it from that field's index only.
	try(s.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{Collection: "tickets", ID: "t4", Data: []byte(`{}`), Index: map[string]string{"status": "open"}}, Force: true}}})).must(t)
	check(map[string]string{"dept": "water"}, "[t1 t3]")
	check(map[string]string{"status": "open"}, "[t2 t4]")
	// Deleting removes it from every index.
	try(s.Commit(ctx, store.Tx{Deletes: []store.Delete{{Collection: "tickets", ID: "t2"}}})).must(t)
	check(map[string]string{"status": "open"}, "[t4]")
	check(map[string]string{"dept": "power"}, "[]")
	check(nil, "[t1 t3 t4 t5]")
	// Values are compared exactly, including Chinese text and empty strings.
	create(t, s, "tickets", "t6", `{}`, map[string]string{"status": "", "area": "市辖区"})
	check(map[string]string{"area": "市辖区"}, "[t6]")
	check(map[string]string{"status": ""}, "[t6]")
	if n := try(s.Count(ctx, "other", map[string]string{"status": "open"})).must(t); n != 1 {
		t.Fatalf("other collection count = %d, want 1", n)
	}
}

func testCollectionsIsolated(t *testing.T, s store.Store, _ Features) {
	ctx := ctxT(t)
	create(t, s, "a", "x", `"a"`, nil)
	create(t, s, "b", "x", `"b"`, nil)
	if r := try(s.Get(ctx, "a", "x")).must(t); string(r.Data) != `"a"` {
		t.Fatalf("a/x = %s", r.Data)
	}
	if r := try(s.Get(ctx, "b", "x")).must(t); string(r.Data) != `"b"` {
		t.Fatalf("b/x = %s", r.Data)
	}
	if n := try(s.Count(ctx, "a", nil)).must(t); n != 1 {
		t.Fatalf("count a = %d", n)
	}
	// A prefix of another collection's name is a different collection.
	create(t, s, "ab", "y", `1`, nil)
	if p := try(s.List(ctx, "a", store.ListOptions{})).must(t); len(p.Records) != 1 {
		t.Fatalf("list a = %v", idsOf(p.Records))
	}
}

func testInvalid(t *testing.T, s store.Store, _ Features) {
	ctx := ctxT(t)
	for name, tx := range map[string]store.Tx{
		"empty collection": {Puts: []store.Put{{Record: store.Record{ID: "x"}}}},
		"empty id":         {Puts: []store.Put{{Record: store.Record{Collection: "c"}}}},
		"NUL in id":        {Puts: []store.Put{{Record: store.Record{Collection: "c", ID: "a\x00b"}}}},
		"twice":            {Puts: []store.Put{{Record: store.Record{Collection: "c", ID: "a"}}, {Record: store.Record{Collection: "c", ID: "a"}}}},
		"empty topic":      {Enqueue: []store.OutboxItem{{ID: "x"}}},
	} {
		_, err := s.Commit(ctx, tx)
		if err == nil {
			t.Fatalf("%s: commit accepted", name)
		}
		isErr(t, err, store.ErrInvalid)
	}
	if n := try(s.Count(ctx, "c", nil)).must(t); n != 0 {
		t.Fatalf("invalid tx wrote %d records", n)
	}
	_, err := s.List(ctx, "c", store.ListOptions{Limit: -1})
	isErr(t, err, store.ErrInvalid)
}
