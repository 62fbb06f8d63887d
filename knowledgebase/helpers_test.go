package knowledgebase_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/devdata"

	"github.com/hallgate/hallgate/gateway/department"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/store/bolt"
	"github.com/hallgate/hallgate/gateway/store/redis"
	"github.com/hallgate/hallgate/knowledgebase"
)

// sharedData returns ../shared/data relative to the repository root, or
// skips the test when it is absent.
func sharedData(t testing.TB, name string) string { return devdata.File(t, name) }

func openStore(t testing.TB, path string) *bolt.Store {
	t.Helper()
	st, err := bolt.Open(context.Background(), bolt.Options{Path: path})
	if err != nil {
		t.Fatalf("bolt.Open: %v", err)
	}
	return st
}

// testIndex is a small, exact in-memory Index used until the service tests
// can run on the embedded backend: it matches documents sharing a character
// bigram with the query and honours every filter of the contract, which is
// all the service's own logic depends on.
type testIndex struct {
	mu       sync.Mutex
	docs     map[string]knowledgebase.Document
	synonyms [][]string
}

var _ knowledgebase.Index = (*testIndex)(nil)

func newTestIndex() *testIndex { return &testIndex{docs: map[string]knowledgebase.Document{}} }

func (x *testIndex) Upsert(_ context.Context, docs ...knowledgebase.Document) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, d := range docs {
		x.docs[d.ID] = d
	}
	return nil
}

func (x *testIndex) Delete(_ context.Context, ids ...string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, id := range ids {
		delete(x.docs, id)
	}
	return nil
}

func bigrams(s string) []string {
	r := []rune(s)
	var out []string
	for i := 0; i+1 < len(r); i++ {
		out = append(out, string(r[i:i+2]))
	}
	return out
}

func (x *testIndex) Search(_ context.Context, q knowledgebase.Query) (knowledgebase.Result, error) {
	if strings.TrimSpace(q.Text) == "" {
		return knowledgebase.Result{}, knowledgebase.ErrBadQuery
	}
	now := q.Now
	if now.IsZero() {
		now = time.Now()
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	var hits []knowledgebase.Hit
	for _, d := range x.docs {
		if !d.Searchable || (d.Internal && !q.IncludeInternal) || (!d.ExpiresAt.IsZero() && d.ExpiresAt.Before(now)) {
			continue
		}
		if (q.Department != "" && d.Department != q.Department) || (q.Kind != "" && d.Kind != q.Kind) ||
			(q.Channel != "" && !slices.Contains(d.Channels, q.Channel)) ||
			(q.Category != "" && d.Category != q.Category && !strings.HasPrefix(d.Category, q.Category+"/")) {
			continue
		}
		text := d.Title + " " + strings.Join(d.Alternates, " ") + " " + strings.Join(d.Keywords, " ") + " " + d.Body
		score := 0.0
		for _, g := range bigrams(q.Text) {
			if strings.Contains(d.Title, g) {
				score += 2
			} else if strings.Contains(text, g) {
				score++
			}
		}
		if score > 0 {
			hits = append(hits, knowledgebase.Hit{ID: d.ID, Kind: d.Kind, Score: score, Highlight: d.Title})
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		return hits[i].ID < hits[j].ID
	})
	total := len(hits)
	limit := q.Limit
	if limit == 0 {
		limit = 10
	}
	hits = hits[min(q.Offset, len(hits)):min(q.Offset+limit, len(hits))]
	return knowledgebase.Result{Hits: hits, Total: total}, nil
}

func (x *testIndex) Count(context.Context) (int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.docs), nil
}

func (x *testIndex) Reset(context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.docs = map[string]knowledgebase.Document{}
	return nil
}

func (x *testIndex) SetSynonyms(_ context.Context, groups [][]string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.synonyms = groups
	return nil
}

func (x *testIndex) Close() error { return nil }

func (x *testIndex) doc(id string) (knowledgebase.Document, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	d, ok := x.docs[id]
	return d, ok
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	ctx   context.Context
	st    store.Store
	idx   *testIndex
	depts *department.Service
	kb    *knowledgebase.Service
	clock *clock
}

var testDepartments = []department.Department{
	{Code: "water", Name: "江川市水务集团", ShortName: "水务", LegacyHotlines: []string{}, ConsolidationMode: department.ModeMerged},
	{Code: "hrss", Name: "江川市人力资源和社会保障局", ShortName: "人社局", LegacyHotlines: []string{"12333"}, ConsolidationMode: department.ModeSubcentre},
	{Code: "tax", Name: "江川市税务局", ShortName: "税务", LegacyHotlines: []string{"12366"}, ConsolidationMode: department.ModeParallel},
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kb.db")
	return newFixtureOn(t, openStore(t, path))
}

// newFixtureOn builds the service over st (closed at cleanup) with the
// test departments imported.
func newFixtureOn(t testing.TB, st store.Store) *fixture {
	t.Helper()
	return newFixtureWith(t, st, knowledgebase.Options{})
}

// newFixtureWith is newFixtureOn with service options (Now is the
// fixture's clock).
func newFixtureWith(t testing.TB, st store.Store, opts knowledgebase.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{ctx: ctx, st: st, idx: newTestIndex(),
		clock: &clock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}}
	t.Cleanup(func() { f.st.Close() })
	f.depts = department.NewService(f.st)
	if _, err := f.depts.Import(ctx, testDepartments); err != nil {
		t.Fatalf("import departments: %v", err)
	}
	opts.Now = f.clock.Now
	f.kb = knowledgebase.NewService(f.st, f.idx, f.depts, opts)
	if err := f.kb.Open(ctx); err != nil {
		t.Fatalf("Open: %v", err)
	}
	return f
}

var (
	editor     = knowledgebase.Actor{ID: "ed-1", Editor: true, Staff: true}
	agent      = knowledgebase.Actor{ID: "ag-1", Staff: true}
	citizen    = knowledgebase.Actor{ID: "anonymous"}
	waterDept  = knowledgebase.Actor{ID: "dep-water", Departments: []string{"water"}}
	hrssDept   = knowledgebase.Actor{ID: "dep-hrss", Departments: []string{"hrss"}}
	jsonIndent = func(v any) string { b, _ := json.MarshalIndent(v, "", " "); return string(b) }
)

func sampleEntry(id, title string) knowledgebase.Entry {
	return knowledgebase.Entry{
		ID: id, Title: title, Answer: "携带身份证和户口簿到营业厅办理，当场办结，不收取费用。",
		Category: "水电燃气/供水", Department: "water", Channels: []string{"hotline", "website"},
		Keywords: []string{"自来水", "过户"}, MaterialType: "办事指南",
	}
}

// eachStore runs body on a fresh bolt store and, when
// HALLGATE_TEST_REDIS_URL is set, on a fresh Redis store (own key prefix).
func eachStore(t *testing.T, body func(t *testing.T, f *fixture)) {
	eachStoreWith(t, knowledgebase.Options{}, body)
}

// eachStoreWith is eachStore with service options.
func eachStoreWith(t *testing.T, opts knowledgebase.Options, body func(t *testing.T, f *fixture)) {
	t.Run("bolt", func(t *testing.T) {
		body(t, newFixtureWith(t, openStore(t, filepath.Join(t.TempDir(), "kb.db")), opts))
	})
	t.Run("redis", func(t *testing.T) {
		url := os.Getenv("HALLGATE_TEST_REDIS_URL")
		if url == "" {
			t.Skip("HALLGATE_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6394/0)")
		}
		prefix := fmt.Sprintf("hgtest:kb:%d:%s:", time.Now().UnixNano(), t.Name())
		st, err := redis.Open(context.Background(), redis.Options{URL: url, Prefix: prefix})
		if err != nil {
			t.Fatalf("redis.Open: %v", err)
		}
		body(t, newFixtureWith(t, st, opts))
	})
}
