package embedded

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/hallgate/hallgate/knowledgebase"
)

var pruneNow = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

// TestPrunedSearchMatchesExhaustive runs the same queries with early
// termination and with every posting scored: hits, scores and totals must
// be identical, also with filters, paging, internal and replaced entries.
func TestPrunedSearchMatchesExhaustive(t *testing.T) {
	ctx := t.Context()
	x, err := Open(ctx, Options{CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	docs := genDocs(900, 11) // (also entries that expired or will)
	for i := range docs {
		if i%17 == 0 {
			docs[i].Internal = true
		}
		switch i % 23 {
		case 3:
			docs[i].ExpiresAt = pruneNow.Add(-time.Hour) // expired
		case 4:
			docs[i].ExpiresAt = pruneNow.Add(time.Hour)
		}
	}
	if err := x.Upsert(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	// Replaced and deleted entries leave dead postings behind.
	if err := x.Upsert(ctx, genDocs(200, 12)...); err != nil {
		t.Fatal(err)
	}
	if err := x.Delete(ctx, "gen-000007", "gen-000100", "gen-000888"); err != nil {
		t.Fatal(err)
	}
	if x.core.dead() == 0 {
		t.Fatal("test wants dead postings")
	}
	old, oldDrop := pruneMinPostings, dropMinFactor
	defer func() { pruneMinPostings, dropMinFactor = old, oldDrop }()
	dropMinFactor = 0 // re-bound candidates between long lists however few

	var queries []knowledgebase.Query
	for i, q := range genQueries(120, 13) {
		kq := knowledgebase.Query{Text: q, Limit: 10, Now: pruneNow}
		switch i % 5 {
		case 1:
			kq.Offset = 7
		case 2:
			kq.Department = genDepts[i%len(genDepts)]
		case 3:
			kq.IncludeInternal = true
			kq.Limit = 30
		case 4:
			kq.Limit = 100 // the whole first-pass pool is on the page
		}
		queries = append(queries, kq)
	}
	pruned, dropped, skipped, raised, untouched := 0, 0, 0, 0, 0
	defer func(v bool) { fbBits = v }(fbBits)
	for i, q := range queries {
		fbBits = i%2 == 0 // both ways of the feedback pass's skips
		pruneMinPostings = 1 << 40
		want, err := x.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		pruneMinPostings = 0
		got, err := x.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		acc := x.pool.Get().(*accum)
		if acc.pruned {
			pruned++
		}
		dropped += acc.dropped
		skipped += acc.fbSkipped
		raised += acc.raised
		untouched += acc.fbUntouched
		x.pool.Put(acc)
		if g, w := fmt.Sprint(got), fmt.Sprint(want); g != w {
			t.Fatalf("query %+v:\npruned     %s\nexhaustive %s", q, g, w)
		}
	}
	if pruned < len(queries)/4 {
		t.Fatalf("only %d of %d queries were pruned: the test checks little", pruned, len(queries))
	}
	if dropped == 0 {
		t.Fatal("no candidate was dropped between long lists: the test checks little")
	}
	if raised == 0 {
		t.Fatal("θ was never raised between long lists: the test checks little")
	}
	if skipped == 0 {
		t.Fatal("no feedback posting was bounded out: the test checks little")
	}
	if untouched == 0 {
		t.Fatal("no feedback posting was handled with bitsets: the test checks little")
	}
	t.Logf("%d of %d searches pruned, %d candidates dropped between long lists, %d feedback postings bounded out",
		pruned, len(queries), dropped, skipped)
}

// TestCacheExplicitNowUntilExpiry: the gateway passes its clock as
// Query.Now on every search; such searches are answered from the cache
// until the next entry expiry, never after it.
func TestCacheExplicitNowUntilExpiry(t *testing.T) {
	ctx := t.Context()
	x, err := Open(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	a := doc("a", "社保卡挂失补办", "到银行网点挂失。")
	a.ExpiresAt = t0.Add(time.Second)
	b := doc("b", "社保卡补办进度查询", "登录网上服务大厅查询。")
	if err := x.Upsert(ctx, a, b); err != nil {
		t.Fatal(err)
	}
	search := func(now time.Time) knowledgebase.Result {
		res, err := x.Search(ctx, knowledgebase.Query{Text: "社保卡补办", Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	key := keyOf(knowledgebase.Query{Text: "社保卡补办", Limit: defaultLimit})
	if r := search(t0); r.Total != 2 {
		t.Fatalf("at t0: total %d, want 2", r.Total)
	}
	if r := search(t0.Add(500 * time.Millisecond)); r.Total != 2 {
		t.Fatalf("at t0+0.5s: total %d, want 2", r.Total)
	}
	if e := x.cache.m[key]; e.at != t0.UnixNano() || e.until != a.ExpiresAt.UnixNano() {
		t.Fatalf("second search was not answered from the cache: entry at %d until %d", e.at, e.until)
	}
	if r := search(a.ExpiresAt); r.Total != 2 {
		t.Fatalf("at the expiry instant: total %d, want 2", r.Total)
	}
	r := search(a.ExpiresAt.Add(time.Nanosecond))
	if r.Total != 1 || len(r.Hits) != 1 || r.Hits[0].ID != "b" {
		t.Fatalf("after expiry: %+v, want only b", r)
	}
}

// TestSortCandsMatchesFunc: the integer-key sort gives the comparison
// sort's order and values (ties by ordinal; zero or negative scores fall
// back), small pools and pools beyond the stack buffer.
func TestSortCandsMatchesFunc(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	for round := range 400 {
		n := []int{0, 1, 2, 10, 100, 128, 129, 300}[round%8]
		top := make([]cand, n)
		for i := range top {
			top[i] = cand{doc: r.Uint32N(1 << 20), score: float32(r.IntN(40)) / 8}
			if round%3 != 0 && top[i].score == 0 {
				top[i].score = 0.5
			}
			if round%7 == 6 && i == n/2 {
				top[i].score = float32(math.Copysign(0, -1))
			}
		}
		want := slices.Clone(top)
		sortCandsFunc(want)
		sortCands(top)
		for i := range top {
			if top[i].doc != want[i].doc || math.Float32bits(top[i].score) != math.Float32bits(want[i].score) {
				t.Fatalf("round %d, position %d: %+v, want %+v", round, i, top[i], want[i])
			}
		}
	}
}
