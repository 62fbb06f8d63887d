package embedded

import (
	"fmt"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase"
)

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
	docs := genDocs(1200, 11)
	for i := range docs {
		if i%17 == 0 {
			docs[i].Internal = true
		}
	}
	if err := x.Upsert(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	// Replaced and deleted entries leave dead postings behind.
	if err := x.Upsert(ctx, genDocs(200, 12)...); err != nil {
		t.Fatal(err)
	}
	if err := x.Delete(ctx, "gen-000007", "gen-000100", "gen-001111"); err != nil {
		t.Fatal(err)
	}
	if x.core.dead() == 0 {
		t.Fatal("test wants dead postings")
	}
	old := pruneMinPostings
	defer func() { pruneMinPostings = old }()

	var queries []knowledgebase.Query
	for i, q := range genQueries(150, 13) {
		kq := knowledgebase.Query{Text: q, Limit: 10}
		switch i % 5 {
		case 1:
			kq.Offset = 7
		case 2:
			kq.Department = genDepts[i%len(genDepts)]
		case 3:
			kq.IncludeInternal = true
			kq.Limit = 30
		}
		queries = append(queries, kq)
	}
	pruned := 0
	for _, q := range queries {
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
		x.pool.Put(acc)
		if g, w := fmt.Sprint(got), fmt.Sprint(want); g != w {
			t.Fatalf("query %+v:\npruned     %s\nexhaustive %s", q, g, w)
		}
	}
	if pruned < len(queries)/4 {
		t.Fatalf("only %d of %d queries were pruned: the test checks little", pruned, len(queries))
	}
	t.Logf("%d of %d searches pruned", pruned, len(queries))
}
