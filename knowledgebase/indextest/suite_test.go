package indextest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hallgate/hallgate/knowledgebase"
)

// refIndex is a deliberately naive reference backend (character-bigram
// substring scoring, no pinyin) used only to check that the suite itself is
// coherent: its filters, paging and bookkeeping assertions must pass on a
// straightforward implementation, and its flags must skip what it lacks.
type refIndex struct {
	mu   sync.Mutex
	docs map[string]knowledgebase.Document
	syn  [][]string
}

var _ knowledgebase.Index = (*refIndex)(nil)

func (r *refIndex) Upsert(_ context.Context, docs ...knowledgebase.Document) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range docs {
		r.docs[d.ID] = d
	}
	return nil
}

func (r *refIndex) Delete(_ context.Context, ids ...string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		delete(r.docs, id)
	}
	return nil
}

func (r *refIndex) Count(context.Context) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.docs), nil
}

func (r *refIndex) Reset(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.docs)
	return nil
}

func (r *refIndex) SetSynonyms(_ context.Context, groups [][]string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.syn = groups
	return nil
}

func (r *refIndex) Close() error { return nil }

func bigrams(s string) []string {
	rs := []rune(s)
	if len(rs) == 1 {
		return []string{s}
	}
	var out []string
	for i := 0; i+1 < len(rs); i++ {
		out = append(out, string(rs[i:i+2]))
	}
	return out
}

func (r *refIndex) Search(_ context.Context, q knowledgebase.Query) (knowledgebase.Result, error) {
	text := strings.TrimSpace(q.Text)
	if text == "" || utf8.RuneCountInString(q.Text) > 256 {
		return knowledgebase.Result{}, fmt.Errorf("ref: %w", knowledgebase.ErrBadQuery)
	}
	limit := cmp.Or(q.Limit, 10)
	if limit > 100 {
		limit = 100
	}
	now := q.Now
	if now.IsZero() {
		now = time.Now()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	terms := bigrams(text)
	for _, g := range r.syn {
		if slices.ContainsFunc(g, func(w string) bool { return strings.Contains(text, w) }) {
			for _, w := range g {
				terms = append(terms, bigrams(w)...)
			}
		}
	}
	var hits []knowledgebase.Hit
	for _, d := range r.docs {
		if !d.Searchable || (d.Internal && !q.IncludeInternal) ||
			(!d.ExpiresAt.IsZero() && d.ExpiresAt.Before(now)) ||
			(q.Department != "" && d.Department != q.Department) ||
			(q.Kind != "" && d.Kind != q.Kind) ||
			(q.Channel != "" && !slices.Contains(d.Channels, q.Channel)) ||
			(q.Category != "" && d.Category != q.Category && !strings.HasPrefix(d.Category, q.Category+"/")) {
			continue
		}
		head := d.Title + " " + strings.Join(d.Alternates, " ") + " " + strings.Join(d.Keywords, " ")
		score, hl := 0.0, d.Title
		for _, t := range terms {
			if strings.Contains(head, t) {
				score += 3
				hl = strings.ReplaceAll(hl, t, "<em>"+t+"</em>")
			}
			if strings.Contains(d.Body, t) {
				score++
			}
		}
		if score > 0 {
			hits = append(hits, knowledgebase.Hit{ID: d.ID, Kind: d.Kind, Score: score, Highlight: hl})
		}
	}
	slices.SortFunc(hits, func(a, b knowledgebase.Hit) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.ID, b.ID))
	})
	total := len(hits)
	hits = hits[min(q.Offset, total):min(q.Offset+limit, total)]
	return knowledgebase.Result{Hits: hits, Total: total}, nil
}

func TestSuiteAgainstReference(t *testing.T) {
	f := AllFeatures()
	f.Pinyin, f.Initials, f.Homophone, f.Traditional = false, false, false, false
	Run(t, func(t *testing.T) knowledgebase.Index {
		return &refIndex{docs: map[string]knowledgebase.Document{}}
	}, f)
}

// TestEventuallyRetries checks the polling helper waits for a late writer.
func TestEventuallyRetries(t *testing.T) {
	start := time.Now()
	ready := start.Add(50 * time.Millisecond)
	calls := 0
	Eventually(t, 2*time.Second, func() error {
		calls++
		if time.Now().Before(ready) {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	if calls < 2 {
		t.Fatalf("check called %d times, want retries", calls)
	}
}
