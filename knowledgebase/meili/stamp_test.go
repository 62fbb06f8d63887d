package meili

import (
	"testing"
)

func TestBuildStamp(t *testing.T) {
	f := newFakeMeili(t, "")
	ix := openFake(t, f)
	ctx := t.Context()
	if s := ix.Stamp(); s != "" {
		t.Fatalf("fresh index stamp = %q, want empty", s)
	}
	if err := ix.MarkBuilt(ctx, "kb-projection-1"); err != nil {
		t.Fatalf("MarkBuilt: %v", err)
	}
	if err := ix.MarkBuilt(ctx, "kb-projection-2"); err != nil { // the metadata index exists now
		t.Fatalf("second MarkBuilt: %v", err)
	}
	reopen := func() *Index {
		t.Helper()
		ix2, err := Open(ctx, ix.opts)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		t.Cleanup(func() { _ = ix2.Close() })
		return ix2
	}
	if s := reopen().Stamp(); s != "kb-projection-2" {
		t.Fatalf("reopened stamp = %q", s)
	}
	// The stamp lives beside the index: it is not a searchable document.
	if n, err := ix.Count(ctx); err != nil || n != 0 {
		t.Fatalf("Count = %d, %v: the build record leaked into the main index", n, err)
	}

	// A build by another analysis or adapter version reads as never built.
	f.mu.Lock()
	f.indexes[ix.metaUID()].docs[buildDocID]["schema"] = "meili-schema-0/analysis-0"
	f.mu.Unlock()
	if s := reopen().Stamp(); s != "" {
		t.Fatalf("stale schema: stamp = %q, want empty", s)
	}

	if err := ix.MarkBuilt(ctx, "kb-projection-3"); err != nil {
		t.Fatal(err)
	}
	if err := ix.Reset(ctx); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if s := ix.Stamp(); s != "" {
		t.Fatalf("stamp after Reset = %q", s)
	}
	if s := reopen().Stamp(); s != "" {
		t.Fatalf("reopened after Reset: stamp = %q (an interrupted rebuild would not be redone)", s)
	}

	if err := ix.Drop(ctx); err != nil {
		t.Fatalf("Drop: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.indexes[ix.opts.IndexUID] != nil || f.indexes[ix.metaUID()] != nil {
		t.Fatalf("Drop left indexes behind")
	}
}

func TestResetWithoutBuildRecord(t *testing.T) {
	// No metadata index yet: forgetting the build must not fail the reset.
	ix := openFake(t, newFakeMeili(t, ""))
	if err := ix.Reset(t.Context()); err != nil {
		t.Fatalf("Reset before any MarkBuilt: %v", err)
	}
}
