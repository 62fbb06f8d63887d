package bolt

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
)

// An empty poll of the outbox is a read: relays poll every 50 ms, and a
// write transaction each time was an fsync each time.
func TestEmptyClaimDoesNotWrite(t *testing.T) {
	s, err := Open(t.Context(), Options{Path: filepath.Join(t.TempDir(), "hallgate.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	writes := func() int64 { st := s.db.Stats(); return st.TxStats.GetWrite() }
	before := writes()
	for range 20 {
		if items, err := s.Claim(t.Context(), "delivery", "relay", 8, time.Minute); err != nil || len(items) != 0 {
			t.Fatalf("claim on an empty outbox: %v %v", items, err)
		}
	}
	if w := writes() - before; w != 0 {
		t.Fatalf("20 empty claims wrote %d pages, want none", w)
	}
	// A due item is claimed with a write, and then, leased, is not due.
	if _, err := s.Commit(t.Context(), store.Tx{Enqueue: []store.OutboxItem{{ID: "d1", Topic: "delivery", Payload: []byte(`{}`)}}}); err != nil {
		t.Fatal(err)
	}
	before = writes()
	items, err := s.Claim(t.Context(), "delivery", "relay", 8, time.Minute)
	if err != nil || len(items) != 1 {
		t.Fatalf("claim of a due item: %v %v", items, err)
	}
	if writes() == before {
		t.Fatal("a claim that leased an item wrote nothing")
	}
	before = writes()
	if items, err := s.Claim(t.Context(), "delivery", "relay", 8, time.Minute); err != nil || len(items) != 0 {
		t.Fatalf("claim while the only item is leased: %v %v", items, err)
	}
	if w := writes() - before; w != 0 {
		t.Fatalf("a claim with nothing due wrote %d pages", w)
	}
}
