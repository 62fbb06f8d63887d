package knowledgebase_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/embedded"
)

// countingSearcher counts the searches that came with their documents.
type countingSearcher struct {
	*embedded.Index
	withDocs atomic.Int64
}

func (c *countingSearcher) SearchDocuments(ctx context.Context, q knowledgebase.Query) (knowledgebase.Result, []knowledgebase.Document, error) {
	res, docs, err := c.Index.SearchDocuments(ctx, q)
	if docs != nil {
		c.withDocs.Add(1)
	}
	return res, docs, err
}

// byIDIndex is the embedded index without SearchDocuments: hits are looked
// up one by one with Document, as before DocumentSearcher.
type byIDIndex struct {
	knowledgebase.Index
	knowledgebase.DocumentSource
}

// Hits filled from the documents a search returned are the hits filled by
// looking each id up: same fields, visibility, totals and paging.
func TestSearchDocumentsHydrateAsByID(t *testing.T) {
	ctx := context.Background()
	base := newFixture(t)
	st := &countingStore{Store: base.st}
	emb, err := embedded.Open(ctx, embedded.Options{Dir: filepath.Join(t.TempDir(), "index")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emb.Close() })
	withDocs := &countingSearcher{Index: emb}
	opts := knowledgebase.Options{Now: base.clock.Now, HitCacheTTL: -1, HydrateFromIndex: true}
	kb := knowledgebase.NewService(st, withDocs, base.depts, opts)
	byID := knowledgebase.NewService(st, byIDIndex{emb, emb}, base.depts, opts)
	for _, s := range []*knowledgebase.Service{kb, byID} {
		if err := s.Open(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 6 {
		e := sampleEntry(fmt.Sprintf("sd-%d", i), fmt.Sprintf("自来水过户第%d种情形", i))
		e.Status = knowledgebase.StatusPublished
		switch i {
		case 1:
			e.Visibility = knowledgebase.VisibilityInternal
		case 2:
			e.Status = knowledgebase.StatusDraft
		}
		if _, err := kb.CreateEntry(ctx, editor, e); err != nil {
			t.Fatal(err)
		}
	}
	st.reads.Store(0)
	for _, a := range []knowledgebase.Actor{citizen, agent} {
		for _, q := range []knowledgebase.Query{{Text: "自来水过户"}, {Text: "自来水过户", Limit: 2},
			{Text: "自来水过户", Limit: 2, Offset: 2}, {Text: "过户情形", Limit: 3, Offset: 1}} {
			got, err := kb.Search(ctx, a, q) // first: computed, with documents
			if err != nil {
				t.Fatal(err)
			}
			want, err := byID.Search(ctx, a, q)
			if err != nil {
				t.Fatal(err)
			}
			got.TookMS, want.TookMS = 0, 0
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s %+v:\nwith documents %+v\nby id          %+v", a.ID, q, got, want)
			}
		}
	}
	if n := withDocs.withDocs.Load(); n != 8 {
		t.Fatalf("%d of 8 searches came with their documents", n)
	}
	if n := st.reads.Load(); n != 0 {
		t.Fatalf("hits read the store %d times", n)
	}
	res, err := kb.Search(ctx, agent, knowledgebase.Query{Text: "自来水过户"})
	if err != nil || res.Total != 5 || len(res.Hits) != 5 || res.Hits[0].Answer == "" {
		t.Fatalf("agent sees %+v (%v), want the 5 published entries with answers", res, err)
	}
}
