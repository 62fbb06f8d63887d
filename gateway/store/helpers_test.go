package store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/gateway/store"
)

func TestTxValidateReportsEverything(t *testing.T) {
	tx := store.Tx{
		Puts: []store.Put{
			{Record: store.Record{ID: "a"}},
			{Record: store.Record{Collection: "c", ID: "b", Index: map[string]string{"": "x"}}},
			{Record: store.Record{Collection: "c", ID: "b"}},
		},
		Deletes: []store.Delete{{Collection: "c"}},
		Enqueue: []store.OutboxItem{{ID: "i"}, {Topic: "t", ID: "j"}, {Topic: "t", ID: "j"}},
	}
	err := tx.Validate()
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("Validate = %v, want ErrInvalid", err)
	}
	for _, want := range []string{"puts[0]: store: invalid argument: empty collection", "puts[1]: store: invalid argument: empty index field",
		"c/b appears twice", "deletes[0]: store: invalid argument: empty id", "enqueue[0]: store: invalid argument: empty topic", "item t/j appears twice"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q missing from:\n%v", want, err)
		}
	}
	if err := (store.Tx{Puts: []store.Put{{Record: store.Record{Collection: "c", ID: "a", Index: map[string]string{"s": ""}}}}}).Validate(); err != nil {
		t.Fatalf("valid tx refused: %v", err)
	}
}

func TestNewIDUniqueAndOrdered(t *testing.T) {
	prev := ""
	seen := map[string]bool{}
	for range 1000 {
		id := store.NewID()
		if len(id) != 32 || seen[id] {
			t.Fatalf("bad or repeated id %q", id)
		}
		if id[:16] < prev[:min(16, len(prev))] {
			t.Fatalf("time part went backwards: %s after %s", id, prev)
		}
		seen[id], prev = true, id
	}
}

func TestListLimit(t *testing.T) {
	for in, want := range map[int]int{0: store.DefaultListLimit, 5: 5, store.MaxListLimit + 1: store.MaxListLimit} {
		if got, err := store.ListLimit(in); err != nil || got != want {
			t.Errorf("ListLimit(%d) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := store.ListLimit(-1); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("ListLimit(-1) = %v", err)
	}
}

func FuzzCursor(f *testing.F) {
	for _, s := range []string{"", "T000001", "工单/1", "a\x00b", store.EncodeCursor("x"), "%%", "YzE6"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Any string decodes or fails with ErrInvalid, never panics.
		if _, err := store.DecodeCursor(s); err != nil && !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("DecodeCursor(%q) = %v", s, err)
		}
		// Every non-empty ID round-trips.
		if s == "" {
			return
		}
		got, err := store.DecodeCursor(store.EncodeCursor(s))
		if err != nil || got != s {
			t.Fatalf("round trip of %q = %q, %v", s, got, err)
		}
	})
}
