package knowledgebase

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hallgate/hallgate/gateway/store"
)

// QueryStats is the aggregate of one normalised query.
type QueryStats struct {
	Query       string    `json:"query"`
	Searches    int64     `json:"searches"`
	ZeroResults int64     `json:"zero_results"`
	Clicks      int64     `json:"clicks"`
	LastHits    int       `json:"last_hits"`
	LastAt      time.Time `json:"last_at,omitzero"`
}

// analytics accumulates search counts in memory between flushes, so a
// search costs no store write; Flush merges the deltas into the store with
// optimistic versions, so replicas add up instead of overwriting.
type analytics struct {
	mu    sync.Mutex
	max   int
	delta map[string]*QueryStats
}

func (a *analytics) init(max int) { a.max, a.delta = max, map[string]*QueryStats{} }

// queryKey is the analytics id of a query, also handed out as search_id.
func queryKey(norm string) string {
	sum := sha256.Sum256([]byte(norm))
	return hex.EncodeToString(sum[:12])
}

var searchIDPattern = regexp.MustCompile(`^[0-9a-f]{24}$`)

// recordSearch counts one search of q with hits results; it returns the
// search id a later click refers to.
func (s *Service) recordSearch(q string, hits int) string {
	norm := normText(q)
	key := queryKey(norm)
	a := &s.analytics
	a.mu.Lock()
	defer a.mu.Unlock()
	d, ok := a.delta[key]
	if !ok {
		if len(a.delta) >= a.max {
			return key // full until the next flush: drop the count, keep serving
		}
		d = &QueryStats{Query: norm}
		a.delta[key] = d
	}
	d.Query = norm
	d.Searches++
	if hits == 0 {
		d.ZeroResults++
	}
	d.LastHits = hits
	d.LastAt = s.now().UTC()
	return key
}

// RecordClick counts a click on a result of the search searchID (the
// search_id of a search answer). docID is checked to exist.
func (s *Service) RecordClick(ctx context.Context, searchID, docID string) error {
	if !searchIDPattern.MatchString(searchID) {
		return &ValidationError{Fields: []FieldError{{"search_id", "the search_id of a search answer"}}}
	}
	if docID == "" {
		return &ValidationError{Fields: []FieldError{{"id", "required"}}}
	}
	if _, err := s.loadEntry(ctx, docID); errors.Is(err, ErrNotFound) {
		if _, err := s.loadItem(ctx, docID); err != nil {
			return fmt.Errorf("click on %s: %w", docID, ErrNotFound)
		}
	} else if err != nil {
		return err
	}
	a := &s.analytics
	a.mu.Lock()
	defer a.mu.Unlock()
	d, ok := a.delta[searchID]
	if !ok {
		if len(a.delta) >= a.max {
			return nil
		}
		d = &QueryStats{}
		a.delta[searchID] = d
	}
	d.Clicks++
	return nil
}

// flushChunk is how many query aggregates one flush commit carries.
const flushChunk = 200

// FlushAnalytics merges the in-memory counts into the store: chunks of
// aggregates are read, added to and committed together with optimistic
// versions; a chunk that loses a race with another replica is merged key by
// key.
func (s *Service) FlushAnalytics(ctx context.Context) error {
	a := &s.analytics
	a.mu.Lock()
	pending := a.delta
	a.delta = map[string]*QueryStats{}
	a.mu.Unlock()
	keys := make([]string, 0, len(pending))
	for k := range pending {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var errs []error
	for start := 0; start < len(keys); start += flushChunk {
		chunk := keys[start:min(start+flushChunk, len(keys))]
		var tx store.Tx
		for _, key := range chunk {
			put, ok, err := s.mergedQueryPut(ctx, key, pending[key])
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if ok {
				tx.Puts = append(tx.Puts, put)
			}
		}
		if len(tx.Puts) == 0 {
			continue
		}
		_, err := s.st.Commit(ctx, tx)
		if err == nil {
			continue
		}
		if !errors.Is(err, store.ErrConflict) {
			errs = append(errs, mapStoreErr("analytics", err))
			continue
		}
		for _, key := range chunk {
			if err := s.mergeQueryStats(ctx, key, pending[key]); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// mergedQueryPut reads the stored aggregate of key and returns the put that
// adds d to it; ok is false when there is nothing to write (a click on a
// search this gateway never counted).
func (s *Service) mergedQueryPut(ctx context.Context, key string, d *QueryStats) (store.Put, bool, error) {
	var cur QueryStats
	var ver uint64
	rec, err := s.st.Get(ctx, CollQueries, key)
	switch {
	case err == nil:
		if cur, err = decode[QueryStats](rec); err != nil {
			return store.Put{}, false, err
		}
		ver = rec.Version
	case errors.Is(err, store.ErrNotFound):
		if d.Query == "" {
			return store.Put{}, false, nil
		}
	default:
		return store.Put{}, false, mapStoreErr("analytics", err)
	}
	if d.Query != "" {
		cur.Query = d.Query
	}
	cur.Searches += d.Searches
	cur.ZeroResults += d.ZeroResults
	cur.Clicks += d.Clicks
	if d.LastAt.After(cur.LastAt) {
		cur.LastAt, cur.LastHits = d.LastAt, d.LastHits
	}
	data, err := json.Marshal(cur)
	if err != nil {
		return store.Put{}, false, err
	}
	idx := map[string]string{"zero": "no"}
	if cur.LastHits == 0 {
		idx["zero"] = "yes"
	}
	return store.Put{Record: store.Record{Collection: CollQueries, ID: key, Data: data, Index: idx}, ExpectVersion: ver}, true, nil
}

func (s *Service) mergeQueryStats(ctx context.Context, key string, d *QueryStats) error {
	for attempt := 0; attempt < 5; attempt++ {
		put, ok, err := s.mergedQueryPut(ctx, key, d)
		if err != nil || !ok {
			return err
		}
		_, err = s.st.Commit(ctx, store.Tx{Puts: []store.Put{put}})
		if errors.Is(err, store.ErrConflict) {
			continue // another replica flushed the same query: re-read and add
		}
		return mapStoreErr("analytics", err)
	}
	return fmt.Errorf("analytics %s: %w", key, ErrConflict)
}

// maxAnalyticsScan bounds how many query records Gaps and TopQueries read.
const maxAnalyticsScan = 200000

func (s *Service) allQueryStats(ctx context.Context) ([]QueryStats, error) {
	if err := s.FlushAnalytics(ctx); err != nil {
		s.log.Warn("kb: analytics flush before report", "err", err)
	}
	var out []QueryStats
	cursor := ""
	for len(out) < maxAnalyticsScan {
		page, err := s.st.List(ctx, CollQueries, store.ListOptions{Limit: 1000, Cursor: cursor})
		if err != nil {
			return nil, mapStoreErr("analytics", err)
		}
		for _, rec := range page.Records {
			q, err := decode[QueryStats](rec)
			if err != nil {
				return nil, err
			}
			out = append(out, q)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	return out, nil
}

// Gap is a query that found nothing, or whose results nobody clicked.
type Gap struct {
	QueryStats
	Reason string `json:"reason"` // "zero_results" or "no_clicks"
}

// Gaps lists the queries that found nothing or were never clicked, most
// frequent first, so departments can write the missing answers.
func (s *Service) Gaps(ctx context.Context, limit int) ([]Gap, error) {
	all, err := s.allQueryStats(ctx)
	if err != nil {
		return nil, err
	}
	out := []Gap{}
	for _, q := range all {
		switch {
		case q.ZeroResults > 0:
			out = append(out, Gap{q, "zero_results"})
		case q.Clicks == 0:
			out = append(out, Gap{q, "no_clicks"})
		}
	}
	slices.SortFunc(out, func(a, b Gap) int {
		// Zero-result searches first (nothing at all to give), then volume.
		if a.ZeroResults != b.ZeroResults {
			return cmpDesc(a.ZeroResults, b.ZeroResults)
		}
		if a.Searches != b.Searches {
			return cmpDesc(a.Searches, b.Searches)
		}
		return strings.Compare(a.Query, b.Query)
	})
	return clip(out, limit), nil
}

// TopQueries lists the most frequent queries with their click-through.
func (s *Service) TopQueries(ctx context.Context, limit int) ([]QueryStats, error) {
	all, err := s.allQueryStats(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(all, func(a, b QueryStats) int {
		if a.Searches != b.Searches {
			return cmpDesc(a.Searches, b.Searches)
		}
		return strings.Compare(a.Query, b.Query)
	})
	if all == nil {
		all = []QueryStats{}
	}
	return clip(all, limit), nil
}

func cmpDesc(a, b int64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

func clip[T any](s []T, limit int) []T {
	if limit <= 0 {
		limit = 50
	}
	if len(s) > limit {
		return s[:limit]
	}
	return s
}

// Feedback is the "was this helpful" tally of one entry or item.
type Feedback struct {
	ID        string            `json:"id"`
	Helpful   int64             `json:"helpful"`
	Unhelpful int64             `json:"unhelpful"`
	Comments  []FeedbackComment `json:"comments,omitempty"`
}

// FeedbackComment is a short free-text remark; digit runs are masked so no
// phone number is kept.
type FeedbackComment struct {
	At      time.Time `json:"at"`
	Helpful bool      `json:"helpful"`
	Text    string    `json:"text"`
}

const maxFeedbackComments = 50

var digitRun = regexp.MustCompile(`[0-9０-９]{5,}`)

// RecordFeedback counts one "was this helpful" answer on an entry or item
// the actor can see.
func (s *Service) RecordFeedback(ctx context.Context, actor Actor, id string, helpful bool, comment string) (Feedback, error) {
	if _, err := s.GetEntry(ctx, actor, id); errors.Is(err, ErrNotFound) {
		if _, err := s.GetItem(ctx, actor, id); err != nil {
			return Feedback{}, err
		}
	} else if err != nil {
		return Feedback{}, err
	}
	comment = strings.TrimSpace(comment)
	if utf8.RuneCountInString(comment) > 500 {
		return Feedback{}, &ValidationError{Fields: []FieldError{{"comment", "at most 500 characters"}}}
	}
	comment = digitRun.ReplaceAllStringFunc(comment, func(m string) string { return strings.Repeat("*", utf8.RuneCountInString(m)) })
	for attempt := 0; attempt < 5; attempt++ {
		fb := Feedback{ID: id}
		var ver uint64
		rec, err := s.st.Get(ctx, CollFeedback, id)
		switch {
		case err == nil:
			if fb, err = decode[Feedback](rec); err != nil {
				return Feedback{}, err
			}
			ver = rec.Version
		case !errors.Is(err, store.ErrNotFound):
			return Feedback{}, mapStoreErr("feedback", err)
		}
		if helpful {
			fb.Helpful++
		} else {
			fb.Unhelpful++
		}
		if comment != "" {
			fb.Comments = append(fb.Comments, FeedbackComment{At: s.now().UTC(), Helpful: helpful, Text: comment})
			if len(fb.Comments) > maxFeedbackComments {
				fb.Comments = fb.Comments[len(fb.Comments)-maxFeedbackComments:]
			}
		}
		data, err := json.Marshal(fb)
		if err != nil {
			return Feedback{}, err
		}
		_, err = s.st.Commit(ctx, store.Tx{Puts: []store.Put{{
			Record: store.Record{Collection: CollFeedback, ID: id, Data: data}, ExpectVersion: ver}}})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return Feedback{}, mapStoreErr("feedback", err)
		}
		return fb, nil
	}
	return Feedback{}, fmt.Errorf("feedback %s: %w", id, ErrConflict)
}

// FeedbackFor returns the tally of an entry or item (zero when none).
func (s *Service) FeedbackFor(ctx context.Context, id string) (Feedback, error) {
	rec, err := s.st.Get(ctx, CollFeedback, id)
	if errors.Is(err, store.ErrNotFound) {
		return Feedback{ID: id}, nil
	}
	if err != nil {
		return Feedback{}, mapStoreErr("feedback", err)
	}
	return decode[Feedback](rec)
}
