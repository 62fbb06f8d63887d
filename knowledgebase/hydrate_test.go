package knowledgebase_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/embedded"
)

// countingStore counts reads of KB documents, to tell which path a search
// hit was filled from.
type countingStore struct {
	store.Store
	reads atomic.Int64
}

func (c *countingStore) Get(ctx context.Context, coll, id string) (store.Record, error) {
	if coll == knowledgebase.CollEntries || coll == knowledgebase.CollItems {
		c.reads.Add(1)
	}
	return c.Store.Get(ctx, coll, id)
}

// failingIndex is the embedded index whose writes can be made to fail.
type failingIndex struct {
	*embedded.Index
	fail atomic.Bool
}

func (x *failingIndex) Upsert(ctx context.Context, docs ...knowledgebase.Document) error {
	if x.fail.Load() {
		return errors.New("index write refused (test)")
	}
	return x.Index.Upsert(ctx, docs...)
}

// With HydrateFromIndex, hits come from the embedded index's own copy of the
// documents (no store read), show the same fields and visibility as the
// store path, follow this process's writes at once, and fall back to the
// store after a failed index write.
func TestHydrateFromIndex(t *testing.T) {
	ctx := context.Background()
	base := newFixture(t)
	st := &countingStore{Store: base.st}
	emb, err := embedded.Open(ctx, embedded.Options{Dir: filepath.Join(t.TempDir(), "index")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emb.Close() })
	idx := &failingIndex{Index: emb}
	kb := knowledgebase.NewService(st, idx, base.depts, knowledgebase.Options{Now: base.clock.Now, HitCacheTTL: -1, HydrateFromIndex: true})
	if err := kb.Open(ctx); err != nil {
		t.Fatal(err)
	}
	storePath := knowledgebase.NewService(st, idx, base.depts, knowledgebase.Options{Now: base.clock.Now, HitCacheTTL: -1})

	pub := sampleEntry("h-pub", "自来水停水通知查询")
	pub.Status = knowledgebase.StatusPublished
	in := sampleEntry("h-int", "自来水停水内部口径")
	in.Status, in.Visibility = knowledgebase.StatusPublished, knowledgebase.VisibilityInternal
	draft := sampleEntry("h-draft", "自来水停水草稿")
	created := map[string]knowledgebase.Entry{}
	for _, e := range []knowledgebase.Entry{pub, in, draft} {
		c, err := kb.CreateEntry(ctx, editor, e)
		if err != nil {
			t.Fatal(err)
		}
		created[e.ID] = c
	}
	search := func(s *knowledgebase.Service, a knowledgebase.Actor) []knowledgebase.SearchHit {
		res, err := s.Search(ctx, a, knowledgebase.Query{Text: "自来水停水"})
		if err != nil {
			t.Fatal(err)
		}
		for i := range res.Hits {
			res.Hits[i].Score = 0 // the same either way; compared below without it
		}
		slices.SortFunc(res.Hits, func(a, b knowledgebase.SearchHit) int { return strings.Compare(a.ID, b.ID) })
		return res.Hits
	}
	ids := func(hs []knowledgebase.SearchHit) []string {
		var out []string
		for _, h := range hs {
			out = append(out, h.ID)
		}
		return out
	}

	st.reads.Store(0)
	fromIndex := map[string][]knowledgebase.SearchHit{"citizen": search(kb, citizen), "agent": search(kb, agent)}
	if n := st.reads.Load(); n != 0 {
		t.Fatalf("hits read the store %d times with HydrateFromIndex", n)
	}
	fromStore := map[string][]knowledgebase.SearchHit{"citizen": search(storePath, citizen), "agent": search(storePath, agent)}
	if st.reads.Load() == 0 {
		t.Fatal("the store path read nothing: the counter does not see hydration")
	}
	if got := ids(fromIndex["citizen"]); !slices.Equal(got, []string{"h-pub"}) {
		t.Fatalf("citizen sees %v", got)
	}
	if got := ids(fromIndex["agent"]); !slices.Equal(got, []string{"h-int", "h-pub"}) {
		t.Fatalf("agent sees %v", got)
	}
	for who := range fromIndex {
		if !slices.Equal(fromIndex[who], fromStore[who]) {
			t.Fatalf("%s: from index %+v, from store %+v", who, fromIndex[who], fromStore[who])
		}
	}

	// This process's writes show at once: a new answer, then a withdrawal.
	e := created["h-pub"]
	e.Answer = "停水通知以供水企业公告为准。"
	e, err = kb.UpdateEntry(ctx, editor, "h-pub", e.Version, e)
	if err != nil {
		t.Fatal(err)
	}
	if hs := search(kb, citizen); len(hs) != 1 || hs[0].Answer != e.Answer {
		t.Fatalf("updated answer not shown: %+v", hs)
	}
	if e, err = kb.TransitionEntry(ctx, editor, "h-pub", knowledgebase.StatusArchived, e.Version, "下线"); err != nil {
		t.Fatal(err)
	}
	if hs := search(kb, citizen); len(hs) != 0 {
		t.Fatalf("archived entry still shown: %+v", hs)
	}

	// A failed index write: the index keeps the old, visible document, so
	// searches must go back to the store, which hides it.
	e2 := created["h-int"]
	idx.fail.Store(true)
	if _, err := kb.TransitionEntry(ctx, editor, "h-int", knowledgebase.StatusArchived, e2.Version, "下线"); err != nil {
		t.Fatal(err)
	}
	if d, ok := emb.Document("h-int"); !ok || !d.Searchable {
		t.Fatal("test setup: the index should still hold the searchable document")
	}
	st.reads.Store(0)
	if hs := search(kb, agent); len(hs) != 0 {
		t.Fatalf("a failed index write leaked %+v", hs)
	}
	if st.reads.Load() == 0 {
		t.Fatal("after a failed index write hits were not read from the store")
	}
	idx.fail.Store(false)
	kb.Tick(ctx) // rebuilds the dirty index
	if d, ok := emb.Document("h-int"); ok && d.Searchable {
		t.Fatal("Tick did not repair the index")
	}
}
