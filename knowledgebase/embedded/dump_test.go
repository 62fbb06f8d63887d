package embedded

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase"
)

// TestSearchDump writes the results of many searches over a large
// generated index to the file HALLGATE_DUMP_FILE names (skipped when
// unset): ids, totals, score bits and highlights of 1,500 queries × three query shapes,
// after the build, again after deletes and replacements (dead postings,
// drifted norms, compaction), and again after a reopen from the snapshot.
// Two builds' dumps must be byte-identical when a change claims to leave
// results alone. HALLGATE_BENCH_DOCS sets the size (default 100,000).
func TestSearchDump(t *testing.T) {
	path := os.Getenv("HALLGATE_DUMP_FILE")
	if path == "" {
		t.Skip("set HALLGATE_DUMP_FILE to dump search results (a before/after check)")
	}
	ctx := context.Background()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := bufio.NewWriter(f)
	defer out.Flush()
	dir := t.TempDir()
	x, err := Open(ctx, Options{Dir: dir, CacheSize: -1, SnapshotEvery: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	docs := genDocs(scaleDocs(), 1)
	for i := range docs {
		if i%11 == 0 {
			docs[i].Internal = true
		}
	}
	for i := 0; i < len(docs); i += 1000 {
		if err := x.Upsert(ctx, docs[i:min(i+1000, len(docs))]...); err != nil {
			t.Fatal(err)
		}
	}
	queries := genQueries(1500, 41)
	dump := func(stage string) {
		for i, q := range queries {
			for shape := range 3 {
				kq := knowledgebase.Query{Text: q, Limit: 10, Now: pruneNow}
				switch shape {
				case 1:
					kq.Offset, kq.IncludeInternal = 7, true
				case 2:
					kq.Department = genDepts[i%len(genDepts)]
				}
				res, err := x.Search(ctx, kq)
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(out, "%s %d/%d total=%d", stage, i, shape, res.Total)
				for _, h := range res.Hits {
					fmt.Fprintf(out, " %s:%08x:%q", h.ID, math.Float32bits(float32(h.Score)), h.Highlight)
				}
				fmt.Fprintln(out)
			}
		}
	}
	dump("build")
	var del []string
	var repl []knowledgebase.Document
	for i, d := range docs {
		switch {
		case i%13 == 0:
			del = append(del, d.ID)
		case i%17 == 0:
			d.Body += d.Body + d.Body
			repl = append(repl, d)
		}
	}
	if err := x.Delete(ctx, del...); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(repl); i += 1000 {
		if err := x.Upsert(ctx, repl[i:min(i+1000, len(repl))]...); err != nil {
			t.Fatal(err)
		}
	}
	dump("changed")
	x = reopenUncached(t, x, dir)
	defer x.Close()
	dump("reopened")
}
