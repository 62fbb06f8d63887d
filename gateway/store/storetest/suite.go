package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
)

// Features declare what a backend guarantees.
type Features struct {
	// ExactLeaseExpiry: a claimed item's lease ends at its deadline even if no
	// other consumer reclaims it (Ack after the deadline fails with
	// ErrLeaseLost). When false the suite only requires ErrLeaseLost once
	// another consumer has reclaimed the item.
	ExactLeaseExpiry bool
	// Slack is added to every wait for an expiry (TTL, lease, not-before) to
	// absorb clock granularity and round trips. Default 100ms.
	Slack time.Duration
}

// Factory returns a fresh, empty store and registers its Close with t.Cleanup.
type Factory func(t *testing.T) store.Store

type testCase struct {
	name string
	fn   func(t *testing.T, s store.Store, f Features)
}

// Run runs the whole suite; subtests run in parallel, each on its own store.
func Run(t *testing.T, newStore Factory, f Features) {
	if f.Slack <= 0 {
		f.Slack = 100 * time.Millisecond
	}
	groups := [][]testCase{recordTests(), miscTests(), outboxTests()}
	for _, g := range groups {
		for _, tc := range g {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				s := newStore(t)
				tc.fn(t, s, f)
			})
		}
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

type result[T any] struct {
	v   T
	err error
}

// try pairs a multi-value call with must, so that a test line reads
// try(s.Get(ctx, c, id)).must(t).
func try[T any](v T, err error) result[T] { return result[T]{v, err} }

func (r result[T]) must(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatalf("unexpected error: %v", r.err)
	}
	return r.v
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func isErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

func create(t *testing.T, s store.Store, coll, id, data string, index map[string]string) store.Record {
	t.Helper()
	recs := try(s.Commit(ctxT(t), store.Tx{Puts: []store.Put{{Record: store.Record{Collection: coll, ID: id, Data: []byte(data), Index: index}}}})).must(t)
	if len(recs) != 1 {
		t.Fatalf("commit returned %d records, want 1", len(recs))
	}
	return recs[0]
}
