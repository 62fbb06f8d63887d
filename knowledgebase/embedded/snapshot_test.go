package embedded

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase"
)

// Every cut of a snapshot, and a posting that names a document the file
// does not hold, leave an empty index (the owner rebuilds it from the
// store) — never a panic or a half-loaded index, with the postings decoded
// on several goroutines.
func TestDamagedSnapshotStartsEmpty(t *testing.T) {
	dir := t.TempDir()
	x := openTemp(t, dir)
	var docs []knowledgebase.Document
	for i := range 300 {
		docs = append(docs, doc(fmt.Sprintf("d%d", i), fmt.Sprintf("社保卡第%d次挂失补办", i), "到银行网点挂失，携带身份证。"))
	}
	if err := x.Upsert(t.Context(), docs...); err != nil {
		t.Fatal(err)
	}
	x.MarkBuilt(t.Context(), "s")
	x.Close()
	p := filepath.Join(dir, snapName)
	good, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	y := openTemp(t, dir)
	if n, _ := y.Count(t.Context()); n != 300 || y.Stamp() != "s" {
		t.Fatalf("intact snapshot: count %d stamp %q", n, y.Stamp())
	}
	y.Close()

	expectEmpty := func(what string, b []byte) {
		t.Helper()
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Remove(filepath.Join(dir, walName))
		z := openTemp(t, dir)
		defer z.Close()
		if n, _ := z.Count(t.Context()); n != 0 || z.Stamp() != "" {
			t.Fatalf("%s: count %d stamp %q, want an empty index", what, n, z.Stamp())
		}
	}
	for cut := 7; cut < len(good); cut += len(good)/23 + 1 {
		expectEmpty(fmt.Sprintf("cut at %d of %d", cut, len(good)), good[:cut])
	}
	// The last 8 bytes are the last posting: doc u32 then 4 tf bytes.
	bad := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(bad[len(bad)-8:], 1<<30)
	expectEmpty("posting beyond the documents", bad)
}
