package indextest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hallgate/hallgate/knowledgebase"
)

// Features declares what a backend honours. A false flag turns the matching
// subtests into explicit skips that name the flag, so a backend's gaps show
// up in `go test -v` instead of hiding.
type Features struct {
	// Infix: a word inside a longer written word is found (简单 finds 安装简单).
	Infix bool
	// Pinyin: full pinyin of a title word finds it (shebaoka → 社保卡).
	Pinyin bool
	// Initials: pinyin initials find it (sbk → 社保卡).
	Initials bool
	// Homophone: a same-sound character typo finds it (社宝卡 → 社保卡).
	Homophone bool
	// Traditional: traditional characters in the query find simplified text.
	Traditional bool
	// Synonyms: SetSynonyms groups expand queries.
	Synonyms bool
	// Highlight: Hit.Highlight wraps matched terms in <em>…</em>.
	Highlight bool
	// ExactTotal: Result.Total is the exact number of matches (not an
	// estimate) for small result sets.
	ExactTotal bool

	// CatchUp bounds how long the suite polls an asynchronous engine for a
	// write to become visible; zero means 10 s. Synchronous backends pass
	// on the first attempt, so the bound costs them nothing.
	CatchUp time.Duration
}

// AllFeatures is the full contract: what the embedded backend promises.
func AllFeatures() Features {
	return Features{
		Infix: true, Pinyin: true, Initials: true, Homophone: true, Traditional: true,
		Synonyms: true, Highlight: true, ExactTotal: true,
	}
}

func (f Features) catchUp() time.Duration {
	if f.CatchUp <= 0 {
		return 10 * time.Second
	}
	return f.CatchUp
}

// Factory returns a fresh, empty index for one subtest. It must register
// its own cleanup (Close, temporary directories, remote index deletion)
// with t.Cleanup.
type Factory func(t *testing.T) knowledgebase.Index

// Run runs the whole conformance suite against the backend.
func Run(t *testing.T, newIndex Factory, f Features) {
	t.Helper()
	cases := []struct {
		name string
		run  func(*suite)
	}{
		{"UpsertSearchDelete", testUpsertSearchDelete},
		{"ReupsertReplaces", testReupsertReplaces},
		{"CountAndReset", testCountAndReset},
		{"EmptyWritesAreNoOps", testEmptyWrites},
		{"AlternatesAndKeywordsAreSearched", testAlternatesAndKeywords},
		{"TitleOutranksBody", testTitleOutranksBody},
		{"ScoresDescend", testScoresDescend},
		{"FilterDepartment", testFilterDepartment},
		{"FilterCategoryPrefix", testFilterCategoryPrefix},
		{"FilterChannel", testFilterChannel},
		{"FilterKind", testFilterKind},
		{"InternalHiddenFromPublic", testInternal},
		{"NotSearchableHidden", testNotSearchable},
		{"ExpiryAgainstQueryNow", testExpiry},
		{"CombinedFilters", testCombinedFilters},
		{"Paging", testPaging},
		{"LimitDefaultsAndCap", testLimitDefaults},
		{"BadQuery", testBadQuery},
		{"Highlight", testHighlight},
		{"ChineseWordInTitle", testChineseWord},
		{"Infix", testInfix},
		{"Synonyms", testSynonyms},
		{"Pinyin", testPinyin},
		{"Initials", testInitials},
		{"HomophoneTypo", testHomophone},
		{"TraditionalCharacters", testTraditional},
		{"ConcurrentUpsertAndSearch", testConcurrent},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			idx := newIndex(t)
			if idx == nil {
				t.Fatal("indextest: factory returned a nil index")
			}
			c.run(&suite{t: t, idx: idx, f: f})
		})
	}
}

// suite carries one subtest's index and the backend's declared features.
type suite struct {
	t   *testing.T
	idx knowledgebase.Index
	f   Features
}

func (s *suite) ctx() context.Context { return s.t.Context() }

// require skips the subtest, naming the flag, when the backend does not
// declare the feature it exercises.
func (s *suite) require(flag string, have bool) {
	s.t.Helper()
	if !have {
		s.t.Skipf("backend declares Features.%s = false: not exercised", flag)
	}
}

func (s *suite) upsert(docs ...knowledgebase.Document) {
	s.t.Helper()
	if err := s.idx.Upsert(s.ctx(), docs...); err != nil {
		s.t.Fatalf("Upsert(%d docs): %v", len(docs), err)
	}
}

func (s *suite) delete(ids ...string) {
	s.t.Helper()
	if err := s.idx.Delete(s.ctx(), ids...); err != nil {
		s.t.Fatalf("Delete(%v): %v", ids, err)
	}
}

// eventually retries check until it returns nil or the backend's catch-up
// bound passes, then fails with the last complaint. It is how the suite
// reads after a write without assuming the engine is synchronous.
func (s *suite) eventually(check func() error) {
	s.t.Helper()
	Eventually(s.t, s.f.catchUp(), check)
}

// Eventually retries check with growing pauses until it returns nil or
// timeout passes, then fails t with the last error. Exported so backends'
// own tests can poll the same way.
func Eventually(t testing.TB, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	pause := 5 * time.Millisecond
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not caught up after %v: %v", timeout, err)
		}
		time.Sleep(pause)
		pause = min(pause*2, 250*time.Millisecond)
	}
}

// search runs q and returns the result; a search error is returned so that
// eventually can retry transient failures of asynchronous engines.
func (s *suite) search(q knowledgebase.Query) (knowledgebase.Result, error) {
	res, err := s.idx.Search(s.ctx(), q)
	if err != nil {
		return res, fmt.Errorf("Search(%q): %w", q.Text, err)
	}
	return res, nil
}

func ids(res knowledgebase.Result) []string {
	out := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		out[i] = h.ID
	}
	return out
}

// expectContains checks that every id in want is among the hits of q.
func (s *suite) expectContains(q knowledgebase.Query, want ...string) func() error {
	return func() error {
		res, err := s.search(q)
		if err != nil {
			return err
		}
		got := ids(res)
		for _, id := range want {
			if !slices.Contains(got, id) {
				return fmt.Errorf("query %q: want %s among hits, got %v", q.Text, id, got)
			}
		}
		return nil
	}
}

// expectExcludes checks that none of the ids is among the hits of q.
func (s *suite) expectExcludes(q knowledgebase.Query, unwanted ...string) func() error {
	return func() error {
		res, err := s.search(q)
		if err != nil {
			return err
		}
		got := ids(res)
		for _, id := range unwanted {
			if slices.Contains(got, id) {
				return fmt.Errorf("query %q: %s must not be a hit, got %v", q.Text, id, got)
			}
		}
		return nil
	}
}

// expectExactly checks that the hits of q are exactly want, in any order,
// and (when the backend promises exact totals) that Total agrees.
func (s *suite) expectExactly(q knowledgebase.Query, want ...string) func() error {
	return func() error {
		res, err := s.search(q)
		if err != nil {
			return err
		}
		got := ids(res)
		sort.Strings(got)
		w := slices.Clone(want)
		sort.Strings(w)
		if !slices.Equal(got, w) {
			return fmt.Errorf("query %+v: want exactly %v, got %v", describe(q), w, got)
		}
		if s.f.ExactTotal && res.Total != len(want) {
			return fmt.Errorf("query %+v: want Total %d, got %d", describe(q), len(want), res.Total)
		}
		return nil
	}
}

// expectTop checks that id is the first hit of q.
func (s *suite) expectTop(q knowledgebase.Query, id string) func() error {
	return func() error {
		res, err := s.search(q)
		if err != nil {
			return err
		}
		if len(res.Hits) == 0 || res.Hits[0].ID != id {
			return fmt.Errorf("query %q: want %s first, got %v", q.Text, id, ids(res))
		}
		return nil
	}
}

func (s *suite) expectCount(want int) func() error {
	return func() error {
		n, err := s.idx.Count(s.ctx())
		if err != nil {
			return fmt.Errorf("Count: %w", err)
		}
		if n != want {
			return fmt.Errorf("Count = %d, want %d", n, want)
		}
		return nil
	}
}

// describe renders the non-zero parts of a query for failure messages.
func describe(q knowledgebase.Query) string {
	var b strings.Builder
	fmt.Fprintf(&b, "q=%q", q.Text)
	add := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, " %s=%q", k, v)
		}
	}
	add("department", q.Department)
	add("category", q.Category)
	add("channel", q.Channel)
	add("kind", q.Kind)
	if q.IncludeInternal {
		b.WriteString(" internal")
	}
	if !q.Now.IsZero() {
		fmt.Fprintf(&b, " now=%s", q.Now.Format(time.RFC3339))
	}
	if q.Limit != 0 || q.Offset != 0 {
		fmt.Fprintf(&b, " limit=%d offset=%d", q.Limit, q.Offset)
	}
	return b.String()
}

// isBadQuery reports whether err is the contract's ErrBadQuery.
func isBadQuery(err error) bool { return errors.Is(err, knowledgebase.ErrBadQuery) }
