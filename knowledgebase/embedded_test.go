package knowledgebase_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/hallgate/hallgate/gateway/department"
	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/embedded"
)

// TestRestartWithPersistentEmbeddedIndex runs the service on the real
// embedded index under a directory: a clean restart keeps the index (no
// rebuild), writes the index missed while it was closed are noticed and
// rebuilt, and visibility holds on the real backend.
func TestRestartWithPersistentEmbeddedIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the segmentation dictionary (seconds)")
	}
	ctx := t.Context()
	dir := t.TempDir()
	st := openStore(t, filepath.Join(dir, "kb.db"))
	defer st.Close()
	depts := department.NewService(st)
	if _, err := depts.Import(ctx, testDepartments); err != nil {
		t.Fatal(err)
	}
	open := func() (*embedded.Index, *knowledgebase.Service, bool) {
		idx, err := embedded.Open(ctx, embedded.Options{Dir: filepath.Join(dir, "index")})
		if err != nil {
			t.Fatal(err)
		}
		kb := knowledgebase.NewService(st, idx, depts, knowledgebase.Options{})
		before, _ := idx.Count(ctx)
		if err := kb.Open(ctx); err != nil {
			t.Fatal(err)
		}
		rebuilt := idx.Stamp() != "" && before == 0
		return idx, kb, rebuilt
	}

	found := func(kb *knowledgebase.Service, q, id string) bool {
		res, err := kb.Search(ctx, agent, knowledgebase.Query{Text: q})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Hits {
			if h.ID == id {
				return true
			}
		}
		return false
	}
	idx, kb, _ := open()
	pub := sampleEntry("p-1", "自来水如何办理过户")
	pub.Status = knowledgebase.StatusPublished
	internal := sampleEntry("p-2", "自来水过户内部口径")
	internal.Status, internal.Visibility = knowledgebase.StatusPublished, knowledgebase.VisibilityInternal
	for _, e := range []knowledgebase.Entry{pub, internal} {
		if _, err := kb.CreateEntry(ctx, editor, e); err != nil {
			t.Fatal(err)
		}
	}
	search := func(kb *knowledgebase.Service, a knowledgebase.Actor) []string {
		res, err := kb.Search(ctx, a, knowledgebase.Query{Text: "自来水过户"})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, h := range res.Hits {
			ids = append(ids, h.ID)
		}
		slices.Sort(ids)
		return ids
	}
	// The real ranking may add loosely related entries; what matters here
	// is who sees what.
	if got := search(kb, citizen); !slices.Contains(got, "p-1") || slices.Contains(got, "p-2") {
		t.Fatalf("citizen: %v", got)
	}
	if got := search(kb, agent); !slices.Contains(got, "p-1") || !slices.Contains(got, "p-2") {
		t.Fatalf("agent: %v", got)
	}
	// Runtime synonyms reach the real index.
	drone := sampleEntry("p-4", "低空飞行器备案登记")
	drone.Status = knowledgebase.StatusPublished
	if _, err := kb.CreateEntry(ctx, editor, drone); err != nil {
		t.Fatal(err)
	}
	if found(kb, "无人机", "p-4") {
		t.Fatal("found without the synonym: the test would prove nothing")
	}
	if _, err := kb.SetSynonyms(ctx, editor, [][]string{{"无人机", "低空飞行器"}}, 0, false); err != nil {
		t.Fatal(err)
	}
	if !found(kb, "无人机", "p-4") {
		t.Fatal("runtime synonym not applied to the index")
	}
	if err := kb.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}

	// Clean restart: the persisted index is current.
	idx, kb, _ = open()
	if idx.Stamp() == "" {
		t.Fatal("clean restart lost the build stamp: every start would rebuild")
	}
	if rebuilt, err := kb.EnsureIndex(ctx); err != nil || rebuilt {
		t.Fatalf("after a clean restart: rebuilt=%v err=%v", rebuilt, err)
	}
	if got := search(kb, citizen); !slices.Contains(got, "p-1") || slices.Contains(got, "p-2") {
		t.Fatalf("citizen after restart: %v", got)
	}
	if !found(kb, "无人机", "p-4") {
		t.Fatal("runtime synonyms lost across a restart")
	}
	// Crash: no Shutdown, so the writes logged since the snapshot (the
	// synonyms applied at Open) leave no stamp, and another replica writes
	// while this index is closed.
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	other := knowledgebase.NewService(st, newTestIndex(), depts, knowledgebase.Options{})
	extra := sampleEntry("p-3", "自来水过户后水费怎么算")
	extra.Status = knowledgebase.StatusPublished
	if _, err := other.CreateEntry(ctx, editor, extra); err != nil {
		t.Fatal(err)
	}
	idx, kb, _ = open() // Open notices the count mismatch and rebuilds
	defer idx.Close()
	if n, _ := idx.Count(ctx); n != 4 {
		t.Fatalf("index after restart holds %d docs, want 4", n)
	}
	if got := search(kb, citizen); !slices.Contains(got, "p-3") {
		t.Fatalf("missed write not rebuilt: %v", got)
	}
}
