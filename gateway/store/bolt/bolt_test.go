package bolt_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/store/bolt"
	"github.com/hallgate/hallgate/gateway/store/storetest"
)

func TestMain(m *testing.M) {
	storetest.CrashChild(func(ctx context.Context, target string) (store.Store, error) {
		return bolt.Open(ctx, bolt.Options{Path: target})
	})
	code := m.Run()
	cleanupBig()
	os.Exit(code)
}

func openTemp(t *testing.T) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(t.Context(), bolt.Options{Path: filepath.Join(t.TempDir(), "hallgate.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) }, storetest.Features{ExactLeaseExpiry: true})
}

func TestOpenLocked(t *testing.T) {
	s := openTemp(t)
	_, err := bolt.Open(t.Context(), bolt.Options{Path: s.Path(), LockTimeout: 100_000_000})
	if !errors.Is(err, bolt.ErrLocked) {
		t.Fatalf("second open = %v, want ErrLocked", err)
	}
}

func TestValidate(t *testing.T) {
	err := bolt.Options{LockTimeout: -1, BatchDelay: -1}.Validate()
	if err == nil {
		t.Fatal("invalid options accepted")
	}
	for _, want := range []string{"path", "lock_timeout", "batch_delay"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("%q missing from %q", want, err)
		}
	}
}

func TestClosed(t *testing.T) {
	s := openTemp(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(t.Context(), "c", "x"); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("get after close = %v", err)
	}
	if _, err := s.Commit(t.Context(), store.Tx{}); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("commit after close = %v", err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hallgate.db")
	s, err := bolt.Open(t.Context(), bolt.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(t.Context(), store.Tx{Puts: []store.Put{{Record: store.Record{Collection: "c", ID: "a", Data: []byte(`{"x":1}`), Index: map[string]string{"s": "open"}}}}}); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	s, err = bolt.Open(t.Context(), bolt.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.Get(t.Context(), "c", "a")
	if err != nil || string(r.Data) != `{"x":1}` {
		t.Fatalf("after reopen: %+v, %v", r, err)
	}
	if n, _ := s.Count(t.Context(), "c", map[string]string{"s": "open"}); n != 1 {
		t.Fatalf("index after reopen: %d", n)
	}
}

func TestCrash(t *testing.T) {
	storetest.RunCrash(t, storetest.CrashOptions{
		Target: filepath.Join(t.TempDir(), "crash.db"),
		Open: func(ctx context.Context, target string) (store.Store, error) {
			return bolt.Open(ctx, bolt.Options{Path: target})
		},
	})
}
