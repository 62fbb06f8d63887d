package knowledgebase

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// MaxQueryRunes bounds a search query.
const MaxQueryRunes = 256

// SearchHit is one hit as the API shows it: the document's question (or
// item name) and answer (or guide text) are read from the store.
type SearchHit struct {
	ID         string  `json:"id"`
	Kind       string  `json:"kind"`
	Question   string  `json:"question"`
	Answer     string  `json:"answer"`
	Department string  `json:"department"`
	Score      float64 `json:"score"`
	Highlight  string  `json:"highlight"`
}

// SearchResult is one page of hits. SearchID identifies the query for
// RecordClick.
type SearchResult struct {
	Hits     []SearchHit `json:"hits"`
	Total    int         `json:"total"`
	TookMS   float64     `json:"took_ms"`
	SearchID string      `json:"search_id"`
}

// CheckQuery validates a query's text and paging before it reaches the
// index: empty or over MaxQueryRunes characters is ErrBadQuery.
func CheckQuery(q Query) error {
	text := strings.TrimSpace(q.Text)
	switch {
	case text == "":
		return fmt.Errorf("empty query: %w", ErrBadQuery)
	case utf8.RuneCountInString(text) > MaxQueryRunes:
		return fmt.Errorf("query longer than %d characters: %w", MaxQueryRunes, ErrBadQuery)
	case q.Limit < 0 || q.Limit > 100:
		return fmt.Errorf("limit must be 1–100: %w", ErrBadQuery)
	case q.Offset < 0 || q.Offset > 10000:
		return fmt.Errorf("offset must be 0–10000: %w", ErrBadQuery)
	}
	switch q.Kind {
	case "", KindEntry, KindItem:
	default:
		return fmt.Errorf("kind must be entry or item: %w", ErrBadQuery)
	}
	return nil
}

// Search runs q for actor: non-staff callers see published public documents
// only. Each search is counted for analytics (in memory, flushed by Run).
func (s *Service) Search(ctx context.Context, actor Actor, q Query) (SearchResult, error) {
	start := time.Now()
	q.Text = strings.TrimSpace(q.Text)
	if err := CheckQuery(q); err != nil {
		return SearchResult{}, err
	}
	if q.Limit == 0 {
		q.Limit = 10
	}
	q.IncludeInternal = actor.Staff
	if q.Now.IsZero() {
		q.Now = s.now()
	}
	res, err := s.idx.Search(ctx, q)
	if err != nil {
		return SearchResult{}, fmt.Errorf("kb search: %w", err)
	}
	out := SearchResult{Hits: make([]SearchHit, 0, len(res.Hits)), Total: res.Total}
	for _, h := range res.Hits {
		hit, ok, err := s.hydrate(ctx, actor, h, q.Now)
		if err != nil {
			return SearchResult{}, err
		}
		if !ok {
			// The index is behind the store (deleted, unpublished): hide it
			// and let the next Tick re-project that document.
			out.Total--
			s.markStale(h.ID)
			continue
		}
		out.Hits = append(out.Hits, hit)
	}
	out.Total = max(out.Total, len(out.Hits))
	if !actor.System {
		out.SearchID = s.recordSearch(q.Text, out.Total)
	}
	out.TookMS = float64(time.Since(start).Microseconds()) / 1000
	return out, nil
}

// hydrate fills a hit from its document in the store (through a short-lived
// cache) and re-checks its visibility, so a stale index can never show a
// citizen an internal or withdrawn answer.
func (s *Service) hydrate(ctx context.Context, actor Actor, h Hit, now time.Time) (SearchHit, bool, error) {
	hit := SearchHit{ID: h.ID, Kind: h.Kind, Score: h.Score, Highlight: h.Highlight}
	v, err := s.hitView(ctx, h)
	if errors.Is(err, ErrNotFound) {
		return hit, false, nil
	}
	if err != nil {
		return hit, false, err
	}
	if !searchable(v.status, v.effective, v.expires, now) || (v.internal && !actor.Staff) {
		return hit, false, nil
	}
	hit.ID, hit.Question, hit.Answer, hit.Department = v.id, v.question, v.answer, v.department
	return hit, true, nil
}

// maxHitCache bounds the cache; it is cleared when full.
const maxHitCache = 50000

// hitView is what a search hit needs of its document.
type hitView struct {
	id, question, answer, department string
	status                           string
	internal                         bool
	effective, expires               Date
	at                               time.Time
}

type hitCache struct {
	mu sync.Mutex
	m  map[string]hitView
}

func (c *hitCache) get(docID string, now time.Time, ttl time.Duration) (hitView, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[docID]
	if !ok || now.Sub(v.at) > ttl {
		return hitView{}, false
	}
	return v, true
}

func (c *hitCache) put(docID string, v hitView) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxHitCache {
		c.m = make(map[string]hitView)
	}
	c.m[docID] = v
}

func (c *hitCache) forget(docIDs ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range docIDs {
		delete(c.m, id)
	}
}

func (s *Service) hitView(ctx context.Context, h Hit) (hitView, error) {
	// The TTL runs on the wall clock, not Options.Now (tests move that).
	wall := time.Now()
	ttl := s.opts.HitCacheTTL
	if ttl > 0 {
		if v, ok := s.hits.get(h.ID, wall, ttl); ok {
			return v, nil
		}
	}
	if v, ok := s.indexedView(h.ID); ok {
		return v, nil
	}
	var v hitView
	if h.Kind == KindItem {
		id := strings.TrimPrefix(h.ID, "item:")
		it, err := s.loadItem(ctx, id)
		if err != nil {
			return v, err
		}
		v = hitView{id: id, question: it.Name, answer: it.GuideText(), department: it.Department, status: it.Status}
	} else {
		e, err := s.loadEntry(ctx, h.ID)
		if err != nil {
			return v, err
		}
		v = hitView{id: e.ID, question: e.Title, answer: e.Answer, department: e.Department, status: e.Status,
			internal: e.Visibility == VisibilityInternal, effective: e.EffectiveFrom, expires: e.ExpiresAt}
	}
	v.at = wall
	if ttl > 0 {
		s.hits.put(h.ID, v)
	}
	return v, nil
}

// indexedView is the hit's view from the index's own copy of the document,
// when Options.HydrateFromIndex allows it and the index is known to hold
// every committed change (no failed index write, no document a search
// found out of date).
func (s *Service) indexedView(docID string) (hitView, bool) {
	src, ok := s.idx.(DocumentSource)
	if !ok || !s.opts.HydrateFromIndex || s.indexDirty.Load() || s.isStale(docID) {
		return hitView{}, false
	}
	d, ok := src.Document(docID)
	if !ok {
		return hitView{}, false
	}
	v := hitView{id: d.ID, question: d.Title, answer: d.Body, department: d.Department, internal: d.Internal}
	if d.Kind == KindItem {
		v.id = strings.TrimPrefix(d.ID, "item:")
	}
	// The index decided searchability at projection (status and effective
	// date; Sweep re-projects when a date passes); expiry is checked at the
	// query's instant, as the store path does.
	if d.Searchable {
		v.status = StatusPublished
	}
	if !d.ExpiresAt.IsZero() {
		v.expires = Date{Time: d.ExpiresAt}
	}
	return v, true
}
