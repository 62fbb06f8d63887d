package embedded

import (
	"context"
	"math"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase"
)

// checkImpacts asserts the invariant the hot loops rely on: every posting's
// impact is exactly satNorm of its document's current norms and its stored
// frequencies, and every norm is that of the document's field lengths
// against the current averages.
func checkImpacts(t *testing.T, x *Index, stage string) {
	t.Helper()
	x.mu.RLock()
	defer x.mu.RUnlock()
	c := x.core
	if len(c.tf) != len(c.post) {
		t.Fatalf("%s: %d frequency lists for %d posting lists", stage, len(c.tf), len(c.post))
	}
	for d := range c.flen {
		if c.norm[d] != c.docNorm(c.flen[d]) {
			t.Fatalf("%s: norms of document %d are stale", stage, d)
		}
	}
	n := 0
	for id, ps := range c.post {
		rd := tfReader{b: c.tf[id]}
		for i, p := range ps {
			if rd.off >= len(rd.b) {
				t.Fatalf("%s: term %d has %d postings and frequencies for %d", stage, id, len(ps), i)
			}
			tf := rd.next()
			if tf == (tfVec{}) {
				t.Fatalf("%s: term %d posting %d has no frequency", stage, id, i)
			}
			want := satNorm(&c.norm[p.doc], tf)
			if math.Float32bits(p.imp) != math.Float32bits(want) {
				t.Fatalf("%s: term %d posting %d (doc %d): impact %v, want %v", stage, id, i, p.doc, p.imp, want)
			}
			n++
		}
		if rd.off != len(rd.b) {
			t.Fatalf("%s: term %d has frequencies beyond its %d postings", stage, id, len(ps))
		}
	}
	if n == 0 {
		t.Fatalf("%s: no postings", stage)
	}
}

// TestImpactsFollowNorms changes the average field lengths enough to make
// the norms refresh, compacts, and reopens from the snapshot: impacts must
// follow the norms through each (a stale impact would still agree between
// pruned and exhaustive scoring, so prune_test.go cannot see it).
func TestImpactsFollowNorms(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	x, err := Open(ctx, Options{Dir: dir, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	docs := genDocs(3000, 5)
	for i := 0; i < len(docs); i += 500 {
		if err := x.Upsert(ctx, docs[i:i+500]...); err != nil {
			t.Fatal(err)
		}
	}
	checkImpacts(t, x, "build")
	avg0, epoch0 := x.core.normAvg, x.core.epoch
	// Longer answers for half of the entries: the body average drifts by far
	// more than 5 %, and the replaced entries' dead postings force a
	// compaction.
	long := make([]knowledgebase.Document, 0, 1500)
	for _, d := range docs[:1500] {
		d.Body += d.Body + d.Body
		long = append(long, d)
	}
	if err := x.Upsert(ctx, long...); err != nil {
		t.Fatal(err)
	}
	if x.core.normAvg == avg0 {
		t.Fatal("the norms were not refreshed: the test checks little")
	}
	if x.core.epoch == epoch0 {
		t.Fatal("no compaction: the test checks little")
	}
	checkImpacts(t, x, "after drift and compaction")
	if err := x.Delete(ctx, docs[1500].ID, docs[1501].ID); err != nil {
		t.Fatal(err)
	}
	checkImpacts(t, x, "after delete")
	x = reopenUncached(t, x, dir)
	defer x.Close()
	checkImpacts(t, x, "reopened")
	if err := x.Upsert(ctx, docs[1500]); err != nil { // appends to the snapshot's capped lists
		t.Fatal(err)
	}
	checkImpacts(t, x, "upsert after reopen")
}

func TestTFStreamRoundTrip(t *testing.T) {
	var all []tfVec
	for m := range 1 << nFields {
		for _, v := range []uint8{1, 7, 255} {
			var tf tfVec
			for f := range nFields {
				if m&(1<<f) != 0 {
					tf[f] = v + uint8(f)
				}
			}
			all = append(all, tf)
		}
	}
	var b []byte
	for _, tf := range all {
		b = appendTF(b, tf)
	}
	rd := tfReader{b: b}
	for i, want := range all {
		if got := rd.next(); got != want {
			t.Fatalf("entry %d: got %v, want %v", i, got, want)
		}
	}
	if rd.off != len(b) {
		t.Fatalf("read %d of %d bytes", rd.off, len(b))
	}
}

// reopenUncached closes x and opens its directory again, without a result
// cache, as a restarted process would.
func reopenUncached(t testing.TB, x *Index, dir string) *Index {
	t.Helper()
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	y, err := Open(context.Background(), Options{Dir: dir, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	return y
}
