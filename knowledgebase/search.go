package knowledgebase

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
	out.SearchID = s.recordSearch(q.Text, out.Total)
	out.TookMS = float64(time.Since(start).Microseconds()) / 1000
	return out, nil
}

// hydrate reads a hit's document from the store and re-checks its
// visibility, so a stale index can never show a citizen an internal or
// withdrawn answer.
func (s *Service) hydrate(ctx context.Context, actor Actor, h Hit, now time.Time) (SearchHit, bool, error) {
	hit := SearchHit{ID: h.ID, Kind: h.Kind, Score: h.Score, Highlight: h.Highlight}
	if h.Kind == KindItem {
		id := strings.TrimPrefix(h.ID, "item:")
		it, err := s.loadItem(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return hit, false, nil
		}
		if err != nil {
			return hit, false, err
		}
		if it.Status != StatusPublished {
			return hit, false, nil
		}
		hit.ID, hit.Question, hit.Answer, hit.Department = id, it.Name, it.GuideText(), it.Department
		return hit, true, nil
	}
	e, err := s.loadEntry(ctx, h.ID)
	if errors.Is(err, ErrNotFound) {
		return hit, false, nil
	}
	if err != nil {
		return hit, false, err
	}
	if !searchable(e.Status, e.EffectiveFrom, e.ExpiresAt, now) || (e.Visibility == VisibilityInternal && !actor.Staff) {
		return hit, false, nil
	}
	hit.Question, hit.Answer, hit.Department = e.Title, e.Answer, e.Department
	return hit, true, nil
}
