package knowledgebase_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/store/redis"
	"github.com/hallgate/hallgate/knowledgebase"
)

// sweepStores are the stores the sweep tests run on: bolt always, Redis
// when HALLGATE_TEST_REDIS_URL is set (its index filters are its own code).
func sweepStores(t *testing.T) map[string]func(t *testing.T) store.Store {
	out := map[string]func(t *testing.T) store.Store{
		"bolt": func(t *testing.T) store.Store { return openStore(t, filepath.Join(t.TempDir(), "kb.db")) },
	}
	if url := os.Getenv("HALLGATE_TEST_REDIS_URL"); url != "" {
		out["redis"] = func(t *testing.T) store.Store {
			var b [6]byte
			_, _ = rand.Read(b[:])
			st, err := redis.Open(context.Background(), redis.Options{URL: url, Prefix: "kbsweeptest:" + hex.EncodeToString(b[:]) + ":"})
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
	} else {
		t.Log("HALLGATE_TEST_REDIS_URL not set; the Redis variant is skipped")
	}
	return out
}

// listCounter is a real store that counts the entry records its listings
// return.
type listCounter struct {
	store.Store
	entries atomic.Int64
}

func (c *listCounter) List(ctx context.Context, coll string, opts store.ListOptions) (store.Page, error) {
	p, err := c.Store.List(ctx, coll, opts)
	if coll == knowledgebase.CollEntries {
		c.entries.Add(int64(len(p.Records)))
	}
	return p, err
}

// The minutely sweep reads the dated entries, not the whole knowledge base.
func TestSweepReadsOnlyDatedEntries(t *testing.T) {
	for name, open := range sweepStores(t) {
		t.Run(name, func(t *testing.T) { sweepReadsOnlyDatedEntries(t, open(t)) })
	}
}

func sweepReadsOnlyDatedEntries(t *testing.T, base store.Store) {
	st := &listCounter{Store: base}
	f := newFixtureOn(t, st)
	now := f.clock.Now()
	for i, title := range []string{"社保卡补办", "公积金提取", "水费缴纳", "燃气开户", "居住证办理"} {
		e := sampleEntry("plain-"+string(rune('a'+i)), title)
		e.Status = knowledgebase.StatusPublished
		if _, err := f.kb.CreateEntry(f.ctx, editor, e); err != nil {
			t.Fatal(err)
		}
	}
	d := sampleEntry("dated-1", "防汛沙袋免费领取")
	d.Status = knowledgebase.StatusPublished
	d.ExpiresAt = knowledgebase.Date{Time: now.Add(2 * time.Hour)}
	if _, err := f.kb.CreateEntry(f.ctx, editor, d); err != nil {
		t.Fatal(err)
	}
	if _, err := f.kb.Sweep(f.ctx); err != nil { // the first sweep checks the index once
		t.Fatal(err)
	}
	f.clock.Add(3 * time.Hour)
	st.entries.Store(0)
	n, err := f.kb.Sweep(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("sweep re-projected %d, want 1", n)
	}
	if got := st.entries.Load(); got != 1 {
		t.Fatalf("sweep read %d entry records, want only the dated one", got)
	}
	if doc, _ := f.idx.doc("dated-1"); doc.Searchable {
		t.Fatal("expired entry still searchable after the sweep")
	}
}

// Entries stored before the dated index existed are indexed once, by the
// first sweep, and then expire on time like the others.
func TestSweepIndexesEntriesOfAnOlderRelease(t *testing.T) {
	for name, open := range sweepStores(t) {
		t.Run(name, func(t *testing.T) { sweepIndexesEntriesOfAnOlderRelease(t, open(t)) })
	}
}

func sweepIndexesEntriesOfAnOlderRelease(t *testing.T, st store.Store) {
	f := newFixtureOn(t, st)
	now := f.clock.Now()
	e := sampleEntry("old-1", "旧版本写入的限时政策")
	e.Status = knowledgebase.StatusPublished
	e.ExpiresAt = knowledgebase.Date{Time: now.Add(time.Hour)}
	if _, err := f.kb.CreateEntry(f.ctx, editor, e); err != nil {
		t.Fatal(err)
	}
	// Rewrite the record as an older release stored it: no dated index, no
	// marker.
	rec, err := f.st.Get(f.ctx, knowledgebase.CollEntries, "old-1")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Index["dated"] != "1" {
		t.Fatalf("a dated entry is stored without the dated index: %v", rec.Index)
	}
	delete(rec.Index, "dated")
	tx := store.Tx{Puts: []store.Put{{Record: rec, ExpectVersion: rec.Version}}}
	if _, err := f.st.Get(f.ctx, knowledgebase.CollSettings, "dated-index"); err == nil {
		tx.Deletes = []store.Delete{{Collection: knowledgebase.CollSettings, ID: "dated-index"}}
	}
	if _, err := f.st.Commit(f.ctx, tx); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.st.Count(f.ctx, knowledgebase.CollEntries, map[string]string{"dated": "1"}); n != 0 {
		t.Fatalf("setup: %d entries indexed as dated, want 0", n)
	}

	kb := knowledgebase.NewService(f.st, f.idx, f.depts, knowledgebase.Options{Now: f.clock.Now})
	if err := kb.Open(f.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := kb.Sweep(f.ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.st.Count(f.ctx, knowledgebase.CollEntries, map[string]string{"dated": "1"}); n != 1 {
		t.Fatalf("after the first sweep %d entries indexed as dated, want 1", n)
	}
	if _, err := f.st.Get(f.ctx, knowledgebase.CollSettings, "dated-index"); err != nil {
		t.Fatalf("marker: %v", err)
	}
	got, err := kb.GetEntry(f.ctx, editor, "old-1")
	if err != nil || got.Title != e.Title {
		t.Fatalf("entry after indexing: %+v %v", got, err)
	}
	f.clock.Add(2 * time.Hour)
	if n, err := kb.Sweep(f.ctx); err != nil || n != 1 {
		t.Fatalf("sweep re-projected %d (%v), want 1", n, err)
	}
	if doc, _ := f.idx.doc("old-1"); doc.Searchable {
		t.Fatal("expired entry of an older release still searchable")
	}
}

// During a rolling upgrade a replica of the older release may write a dated
// entry without the index after the marker is set; a reindex puts it back
// on the sweep's list.
func TestReindexIndexesDatedEntriesOfAnOlderReplica(t *testing.T) {
	f := newFixture(t)
	if _, err := f.kb.Sweep(f.ctx); err != nil { // sets the marker
		t.Fatal(err)
	}
	e := sampleEntry("late-1", "升级期间旧副本写入的限时政策")
	e.Status = knowledgebase.StatusPublished
	e.ExpiresAt = knowledgebase.Date{Time: f.clock.Now().Add(time.Hour)}
	if _, err := f.kb.CreateEntry(f.ctx, editor, e); err != nil {
		t.Fatal(err)
	}
	rec, err := f.st.Get(f.ctx, knowledgebase.CollEntries, "late-1")
	if err != nil {
		t.Fatal(err)
	}
	delete(rec.Index, "dated")
	if _, err := f.st.Commit(f.ctx, store.Tx{Puts: []store.Put{{Record: rec, ExpectVersion: rec.Version}}}); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(2 * time.Hour)
	if n, _ := f.kb.Sweep(f.ctx); n != 0 {
		t.Fatalf("setup: the sweep found %d entries without the index", n)
	}
	if _, err := f.kb.Reindex(f.ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.st.Count(f.ctx, knowledgebase.CollEntries, map[string]string{"dated": "1"}); n != 1 {
		t.Fatalf("after the reindex %d entries indexed as dated, want 1", n)
	}
	if doc, _ := f.idx.doc("late-1"); doc.Searchable {
		t.Fatal("expired entry searchable after the reindex")
	}
}

// A fresh store is marked at Open: its first sweep, after however large an
// import, reads the dated entries only.
func TestFreshStoreNeverScansForTheDatedIndex(t *testing.T) {
	st := &listCounter{Store: openStore(t, filepath.Join(t.TempDir(), "kb.db"))}
	f := newFixtureOn(t, st)
	if _, err := f.st.Get(f.ctx, knowledgebase.CollSettings, "dated-index"); err != nil {
		t.Fatalf("marker after Open on an empty store: %v", err)
	}
	for i, title := range []string{"社保卡补办", "公积金提取", "水费缴纳"} {
		e := sampleEntry("fresh-"+string(rune('a'+i)), title)
		e.Status = knowledgebase.StatusPublished
		if _, err := f.kb.CreateEntry(f.ctx, editor, e); err != nil {
			t.Fatal(err)
		}
	}
	st.entries.Store(0)
	if _, err := f.kb.Sweep(f.ctx); err != nil {
		t.Fatal(err)
	}
	if got := st.entries.Load(); got != 0 {
		t.Fatalf("the first sweep read %d entry records, want none (no entry is dated)", got)
	}
}
