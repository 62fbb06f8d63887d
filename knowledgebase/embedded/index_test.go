package embedded

import (
	"context"
	"errors"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/indextest"
)

func openTemp(t *testing.T, dir string) *Index {
	t.Helper()
	x, err := Open(t.Context(), Options{Dir: dir})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return x
}

func TestConformance(t *testing.T) {
	indextest.Run(t, func(t *testing.T) knowledgebase.Index {
		x := openTemp(t, t.TempDir())
		t.Cleanup(func() { x.Close() })
		return x
	}, indextest.AllFeatures())
}

func TestConformanceMemoryOnly(t *testing.T) {
	indextest.Run(t, func(t *testing.T) knowledgebase.Index {
		x := openTemp(t, "")
		t.Cleanup(func() { x.Close() })
		return x
	}, indextest.AllFeatures())
}

func doc(id, title, body string) knowledgebase.Document {
	return knowledgebase.Document{ID: id, Kind: knowledgebase.KindEntry, Title: title, Body: body,
		Department: "d1", Category: "测试", Channels: []string{"hotline"}, Searchable: true}
}

func top(t *testing.T, x *Index, q string) []string {
	t.Helper()
	ids, err := x.SearchIDs(t.Context(), q, 5)
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	return ids
}

func TestPersistenceSnapshotAndWAL(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	x := openTemp(t, dir)
	if err := x.Upsert(ctx, doc("a", "社保卡挂失补办", "到银行网点挂失。"), doc("b", "公积金提取条件", "购房租房可提取。")); err != nil {
		t.Fatal(err)
	}
	if err := x.MarkBuilt(ctx, "build-1"); err != nil {
		t.Fatal(err)
	}
	// Changes after the snapshot live in the WAL only.
	if err := x.Upsert(ctx, doc("c", "居住证办理", "到社区申请。")); err != nil {
		t.Fatal(err)
	}
	if err := x.Delete(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if err := x.SetSynonyms(ctx, [][]string{{"萤火卡", "居住证"}}); err != nil {
		t.Fatal(err)
	}
	// Simulate a crash: drop the handle without Close.
	x.wal.close()

	y := openTemp(t, dir)
	defer y.Close()
	if n, _ := y.Count(ctx); n != 2 {
		t.Fatalf("count after reopen = %d, want 2", n)
	}
	if got := top(t, y, "社保卡"); len(got) == 0 || got[0] != "a" {
		t.Fatalf("社保卡 → %v", got)
	}
	if got := top(t, y, "公积金提取"); len(got) != 0 {
		t.Fatalf("deleted doc found: %v", got)
	}
	if got := top(t, y, "萤火卡"); len(got) == 0 || got[0] != "c" {
		t.Fatalf("runtime synonym lost: %v", got)
	}
	if y.Stamp() != "" {
		t.Fatalf("stamp %q after crash replay, want empty (rebuild)", y.Stamp())
	}
	if err := y.MarkBuilt(ctx, "build-2"); err != nil {
		t.Fatal(err)
	}
	y.Close()
	z := openTemp(t, dir)
	defer z.Close()
	if z.Stamp() != "build-2" {
		t.Fatalf("stamp = %q, want build-2", z.Stamp())
	}
	if fi, err := os.Stat(filepath.Join(dir, walName)); err != nil || fi.Size() != 0 {
		t.Fatalf("wal not truncated after snapshot: %v %v", fi, err)
	}
}

func TestCorruptSnapshotStartsEmpty(t *testing.T) {
	dir := t.TempDir()
	x := openTemp(t, dir)
	x.Upsert(t.Context(), doc("a", "社保卡挂失补办", "到银行网点挂失。"))
	x.MarkBuilt(t.Context(), "s")
	x.Close()
	p := filepath.Join(dir, snapName)
	b, _ := os.ReadFile(p)
	os.WriteFile(p, b[:len(b)/2], 0o644)
	y := openTemp(t, dir)
	defer y.Close()
	if n, _ := y.Count(t.Context()); n != 0 || y.Stamp() != "" {
		t.Fatalf("corrupt snapshot: count %d stamp %q, want empty", n, y.Stamp())
	}
}

func TestCompactionKeepsResults(t *testing.T) {
	x := openTemp(t, "")
	ctx := t.Context()
	for round := range 3 {
		var docs []knowledgebase.Document
		for i := range 1500 {
			docs = append(docs, doc(fmt.Sprintf("d%d", i), fmt.Sprintf("第%d号窗口业务说明%d", i, round), "办理社保卡业务。"))
		}
		if err := x.Upsert(ctx, docs...); err != nil {
			t.Fatal(err)
		}
	}
	if x.core.dead() >= 1000 && x.core.dead()*4 >= len(x.docs) {
		t.Fatalf("no compaction: dead %d of %d", x.core.dead(), len(x.docs))
	}
	if n, _ := x.Count(ctx); n != 1500 {
		t.Fatalf("count %d", n)
	}
	res, err := x.Search(ctx, knowledgebase.Query{Text: "业务说明2", Limit: 3})
	if err != nil || res.Total != 1500 {
		t.Fatalf("total %d err %v", res.Total, err)
	}
}

func TestHighlightEscapes(t *testing.T) {
	x := openTemp(t, "")
	x.Upsert(t.Context(), doc("h", "<b>社保卡</b>补办", "正文"))
	res, _ := x.Search(t.Context(), knowledgebase.Query{Text: "社保卡"})
	if len(res.Hits) != 1 || !strings.Contains(res.Hits[0].Highlight, "&lt;b&gt;<em>社保卡</em>") {
		t.Fatalf("highlight = %+v", res.Hits)
	}
}

var _ = context.Background

func TestUnbuiltIndexIsNotLoggedButSnapshotOnClose(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	x := openTemp(t, dir)
	x.Upsert(ctx, doc("a", "社保卡挂失补办", "到银行网点挂失。"))
	if fi, err := os.Stat(filepath.Join(dir, walName)); err != nil || fi.Size() != 0 {
		t.Fatalf("unbuilt index wrote its log: %v %v", fi, err)
	}
	x.Close()
	y := openTemp(t, dir)
	if n, _ := y.Count(ctx); n != 1 || y.Stamp() != "" {
		t.Fatalf("after close: count %d stamp %q", n, y.Stamp())
	}
	// A crash before any build loses the unlogged writes; Stamp stays
	// empty, which is what tells the owner to rebuild.
	y.Upsert(ctx, doc("b", "公积金提取", "购房提取。"))
	y.wal.close()
	z := openTemp(t, dir)
	defer z.Close()
	if n, _ := z.Count(ctx); n != 1 || z.Stamp() != "" {
		t.Fatalf("after crash: count %d stamp %q, want 1 and empty", n, z.Stamp())
	}
}

func TestResultCacheInvalidatedByWrites(t *testing.T) {
	x := openTemp(t, "")
	ctx := t.Context()
	x.Upsert(ctx, doc("a", "社保卡挂失补办", "到银行网点挂失。"))
	if got := top(t, x, "社保卡"); len(got) != 1 {
		t.Fatalf("first search %v", got)
	}
	res, _ := x.Search(ctx, knowledgebase.Query{Text: "社保卡"})
	res.Hits[0].ID = "mutated by caller"
	if got := top(t, x, "社保卡"); len(got) != 1 || got[0] != "a" {
		t.Fatalf("cached result shared with a caller: %v", got)
	}
	x.Upsert(ctx, doc("b", "社保卡申领", "首次申领。"))
	if got := top(t, x, "社保卡"); len(got) != 2 {
		t.Fatalf("after upsert %v, want 2 hits", got)
	}
	x.Delete(ctx, "a")
	if got := top(t, x, "社保卡"); len(got) != 1 || got[0] != "b" {
		t.Fatalf("after delete %v", got)
	}
	x.SetSynonyms(ctx, [][]string{{"萤火卡", "社保卡"}})
	if got := top(t, x, "萤火卡"); len(got) != 1 {
		t.Fatalf("after synonyms %v", got)
	}
}

func TestSearchAfterCloseFails(t *testing.T) {
	x := openTemp(t, "")
	x.Upsert(t.Context(), doc("a", "社保卡挂失补办", "到银行网点挂失。"))
	top(t, x, "社保卡") // now cached
	x.Close()
	if _, err := x.Search(t.Context(), knowledgebase.Query{Text: "社保卡"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("search after close: %v", err)
	}
}

// TestWriteEscapedMatchesHTML: highlights escape rune by rune exactly as
// html.EscapeString did.
func TestWriteEscapedMatchesHTML(t *testing.T) {
	runes := []rune{0, '\t', 0xFFFD, 0xD800, 0x10FFFF, 0x110000, -1, 0x1F600}
	for r := rune(0); r < 0x3100; r++ {
		runes = append(runes, r)
	}
	for _, r := range runes {
		var b strings.Builder
		writeEscaped(&b, r)
		if want := html.EscapeString(string(r)); b.String() != want {
			t.Fatalf("rune %U: %q, want %q", r, b.String(), want)
		}
	}
}
