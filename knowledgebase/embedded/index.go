package embedded

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

var _ knowledgebase.Index = (*Index)(nil)

// Errors of this package.
var (
	ErrBadOptions = errors.New("embedded: bad options")
	ErrClosed     = errors.New("embedded: index closed")
	ErrCorrupt    = errors.New("embedded: corrupt index file")
)

// Query limits, as in the knowledgebase contract.
const (
	defaultLimit  = 10
	maxLimit      = 100
	maxQueryRunes = 256
)

// Options configure an Index. Dir empty means memory only (tests).
type Options struct {
	// Dir holds index.snap and wal.jsonl; created if missing.
	Dir string
	// SnapshotEvery rewrites the snapshot after this many logged document
	// changes, bounding re-open time. Default 20000.
	SnapshotEvery int
	// SyncWrites fsyncs the write-ahead log on every write. The index is a
	// projection of the store, so the default (false) trades the last
	// writes on power loss for throughput; Stamp tells the caller to rebuild.
	SyncWrites bool
	// CacheSize is how many recent results are kept (default 1024, < 0
	// disables the cache).
	CacheSize int
	// Analyzer options for this index's own analyzer (runtime synonyms are
	// per index, so it does not share analysis.Shared()).
	Analysis analysis.Options
}

func (o *Options) defaults() {
	if o.SnapshotEvery == 0 {
		o.SnapshotEvery = 20000
	}
	if o.CacheSize == 0 {
		o.CacheSize = 1024
	}
}

// Validate reports every problem at once.
func (o Options) Validate() error {
	var errs []error
	if o.SnapshotEvery < 0 {
		errs = append(errs, fmt.Errorf("SnapshotEvery %d < 0", o.SnapshotEvery))
	}
	if err := o.Analysis.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrBadOptions, err)
	}
	return nil
}

// Index is the embedded knowledgebase.Index. Safe for concurrent use:
// searches share a read lock, writes analyse outside the lock and then
// apply under the write lock.
type Index struct {
	opts Options
	an   *analysis.Analyzer

	mu       sync.RWMutex
	closed   bool
	core     *Core
	docs     []knowledgebase.Document // by ordinal; zero value when dead
	meta     []docMeta                // by ordinal: what every match checks, cache-compact
	byID     map[string]uint32
	synonyms [][]string
	stamp    string
	wal      *wal // nil when memory only
	logged   int  // document changes since the snapshot
	unlogged bool // some of them are not in the WAL (see log)

	pool  sync.Pool     // *accum
	gen   atomic.Uint64 // bumped by every write; cached results carry it
	cache *resultCache
}

// Open builds the index, loading Dir's snapshot and replaying its log.
func Open(ctx context.Context, opts Options) (*Index, error) {
	opts.defaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	an, err := analysis.New(opts.Analysis)
	if err != nil {
		return nil, fmt.Errorf("embedded open: %w", err)
	}
	x := &Index{opts: opts, an: an, core: NewCore(), byID: make(map[string]uint32)}
	x.pool.New = func() any { return &accum{} }
	x.cache = newResultCache(opts.CacheSize)
	if opts.Dir == "" {
		return x, nil
	}
	if err := x.load(ctx); err != nil {
		return nil, fmt.Errorf("embedded open %s: %w", opts.Dir, err)
	}
	return x, nil
}

// Analyzer returns the index's analyzer (with its runtime synonyms).
func (x *Index) Analyzer() *analysis.Analyzer { return x.an }

// analyse computes the stored terms of a document (no lock needed).
func (x *Index) analyse(d *knowledgebase.Document) *docTerms {
	var ft fieldTerms
	ft[fTitle] = x.an.IndexTerms(analysis.FieldTitle, d.Title)
	for _, alt := range d.Alternates {
		ft[fTitle] = append(ft[fTitle], x.an.IndexTerms(analysis.FieldAlternates, alt)...)
	}
	for _, k := range d.Keywords {
		ft[fKeywords] = append(ft[fKeywords], x.an.IndexTerms(analysis.FieldKeywords, k)...)
	}
	ft[fCategory] = x.an.IndexTerms(analysis.FieldCategory, strings.ReplaceAll(d.Category, "/", " "))
	ft[fBody] = x.an.IndexTerms(analysis.FieldBody, d.Body)
	return reduceTerms(&ft)
}

// analyseAll analyses documents on all cores.
func (x *Index) analyseAll(ctx context.Context, docs []knowledgebase.Document) ([]*docTerms, error) {
	out := make([]*docTerms, len(docs))
	workers := runtime.GOMAXPROCS(0)
	if len(docs) < 64 {
		workers = 1
	}
	var wg sync.WaitGroup
	next := make(chan int, workers)
	go func() {
		defer close(next)
		for i := range docs {
			if ctx.Err() != nil {
				return
			}
			next <- i
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = x.analyse(&docs[i])
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// applyUpsert inserts or replaces documents; caller holds mu.
func (x *Index) applyUpsert(docs []knowledgebase.Document, fts []*docTerms) {
	for i := range docs {
		if old, ok := x.byID[docs[i].ID]; ok {
			x.core.remove(old)
			x.docs[old] = knowledgebase.Document{}
			x.meta[old] = 0
		}
		ord := x.core.add(fts[i])
		x.docs = append(x.docs, docs[i])
		x.meta = append(x.meta, metaOf(&docs[i]))
		x.byID[docs[i].ID] = ord
	}
	x.core.refreshNorms(false)
	x.maybeCompact()
}

func (x *Index) applyDelete(ids []string) {
	for _, id := range ids {
		if ord, ok := x.byID[id]; ok {
			x.core.remove(ord)
			x.docs[ord] = knowledgebase.Document{}
			x.meta[ord] = 0
			delete(x.byID, id)
		}
	}
	x.maybeCompact()
}

func (x *Index) applyReset() {
	x.core = NewCore()
	x.docs = nil
	x.meta = nil
	x.byID = make(map[string]uint32)
	x.stamp = ""
}

// maybeCompact reclaims postings of replaced documents once they are a
// quarter of the index (amortised O(1) per write).
func (x *Index) maybeCompact() {
	d := x.core.dead()
	if d < 1000 || d*4 < len(x.docs) {
		return
	}
	x.compactLocked()
}

func (x *Index) compactLocked() {
	remap := x.core.compact()
	docs, meta := x.docs[:0], x.meta[:0]
	for old, r := range remap {
		if r >= 0 {
			docs = append(docs, x.docs[old])
			meta = append(meta, x.meta[old])
		}
	}
	clear(x.docs[len(docs):])
	x.docs, x.meta = docs, meta
	for i := range x.docs {
		x.byID[x.docs[i].ID] = uint32(i)
	}
}

// Upsert inserts or replaces documents by ID.
func (x *Index) Upsert(ctx context.Context, docs ...knowledgebase.Document) error {
	if len(docs) == 0 {
		return nil
	}
	for i := range docs {
		if docs[i].ID == "" {
			return fmt.Errorf("embedded upsert: document %d has no id: %w", i, knowledgebase.ErrBadQuery)
		}
	}
	fts, err := x.analyseAll(ctx, docs)
	if err != nil {
		return fmt.Errorf("embedded upsert: %w", err)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return ErrClosed
	}
	if err := x.log(walOp{Op: opUpsert, Docs: docs}, len(docs)); err != nil {
		return err
	}
	x.applyUpsert(docs, fts)
	x.gen.Add(1)
	return x.maybeSnapshot()
}

// Delete removes documents; unknown ids are ignored.
func (x *Index) Delete(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return ErrClosed
	}
	if err := x.log(walOp{Op: opDelete, IDs: ids}, len(ids)); err != nil {
		return err
	}
	x.applyDelete(ids)
	x.core.refreshNorms(false)
	x.gen.Add(1)
	return x.maybeSnapshot()
}

// Reset removes every document and the build stamp.
func (x *Index) Reset(ctx context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return ErrClosed
	}
	x.applyReset()
	x.gen.Add(1)
	return x.snapshotLocked() // an empty snapshot also truncates the log
}

// Count returns the number of documents, searchable or not.
func (x *Index) Count(ctx context.Context) (int, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return 0, ErrClosed
	}
	return len(x.byID), nil
}

// SetSynonyms replaces the runtime synonym groups (the shipped defaults
// stay). Index terms do not depend on them, so nothing is re-indexed.
func (x *Index) SetSynonyms(ctx context.Context, groups [][]string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return ErrClosed
	}
	if err := x.log(walOp{Op: opSynonyms, Groups: groups}, 0); err != nil {
		return err
	}
	x.synonyms = groups
	x.an.SetSynonyms(groups)
	x.gen.Add(1)
	return nil
}

// Stamp returns what the caller recorded with MarkBuilt after its last
// full build, or "" if the index was never built, was reset, or its
// persisted form was unusable. The KB service compares it with its own
// notion (e.g. the store's entry count and last change) and rebuilds when
// they differ.
func (x *Index) Stamp() string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.stamp
}

// MarkBuilt records the stamp of a completed full build and snapshots, so
// the next Open starts from it.
func (x *Index) MarkBuilt(ctx context.Context, stamp string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return ErrClosed
	}
	x.stamp = stamp
	return x.snapshotLocked()
}

// Snapshot writes the whole index and truncates the log.
func (x *Index) Snapshot(ctx context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return ErrClosed
	}
	return x.snapshotLocked()
}

// Close snapshots (if the log holds changes) and releases files.
func (x *Index) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil
	}
	var err error
	if x.wal != nil && (x.logged > 0 || x.unlogged) {
		err = x.snapshotLocked()
	}
	if x.wal != nil {
		err = errors.Join(err, x.wal.close())
	}
	x.closed = true
	return err
}

// Search runs a query with filters and paging.
func (x *Index) Search(ctx context.Context, q knowledgebase.Query) (knowledgebase.Result, error) {
	text := strings.TrimSpace(q.Text)
	if text == "" || utf8.RuneCountInString(text) > maxQueryRunes {
		return knowledgebase.Result{}, fmt.Errorf("embedded search: %w", knowledgebase.ErrBadQuery)
	}
	if q.Limit <= 0 {
		q.Limit = defaultLimit
	}
	if q.Limit > maxLimit {
		q.Limit = maxLimit
	}
	if q.Offset < 0 {
		q.Offset = 0
	}
	explicitNow := !q.Now.IsZero()
	wall := time.Now()
	if !explicitNow {
		q.Now = wall
	}
	q.Text = text
	key := keyOf(q, explicitNow)
	gen := x.gen.Load()
	if res, ok := x.cache.get(key, gen, wall); ok {
		return res, nil
	}
	res, err := x.search(q, text)
	if err == nil {
		var ttl time.Time
		if !explicitNow {
			ttl = wall.Add(cacheTTL)
		}
		x.cache.put(key, gen, res, ttl)
	}
	return res, err
}

// search is Search without the result cache.
func (x *Index) search(q knowledgebase.Query, text string) (knowledgebase.Result, error) {
	qt := x.an.QueryTerms(text)

	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return knowledgebase.Result{}, ErrClosed
	}
	acc := x.pool.Get().(*accum)
	defer x.pool.Put(acc)
	x.core.score(qt, acc)
	cands := x.rank(q, acc)
	if prfDocs > 0 && len(cands.top) > 1 {
		// Second pass with the feedback terms only, on top of the first
		// pass's scores: it can bring in an entry the caller's words missed.
		// Only the pool and the documents the expansion changed can reach
		// the page, so only they are ranked again.
		if exp := x.feedback(qt, cands.top); len(exp) > 0 {
			acc.startTracking()
			x.core.addTerms(exp, acc, true, len(x.core.alive)+1)
			cands.top, cands.total = x.rerankChanged(q, acc, cands.top, cands.total)
		}
	}
	if k := q.Offset + q.Limit; len(cands.top) > k {
		cands.top = cands.top[:k]
	}

	res := knowledgebase.Result{Total: cands.total, Hits: []knowledgebase.Hit{}}
	var marks [2]*marker
	if q.Offset < len(cands.top) {
		marks = markers(qt)
	}
	for i := q.Offset; i < len(cands.top); i++ {
		c := cands.top[i]
		d := &x.docs[c.doc]
		res.Hits = append(res.Hits, knowledgebase.Hit{
			ID: d.ID, Kind: d.Kind, Score: float64(c.score),
			Highlight: highlight(d, marks),
		})
	}
	return res, nil
}

// SearchIDs is Search returning only ids, for evaluation.
func (x *Index) SearchIDs(ctx context.Context, text string, limit int) ([]string, error) {
	res, err := x.Search(ctx, knowledgebase.Query{Text: text, Limit: limit})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	return ids, nil
}

// docMeta is what every candidate is checked against, one byte per
// document (kept apart from the Document so the match loop stays in cache;
// the expiry time itself is read only for documents that have one).
type docMeta uint8

const (
	metaSearchable docMeta = 1 << iota
	metaInternal
	metaExpires
)

func metaOf(d *knowledgebase.Document) docMeta {
	var m docMeta
	if d.Searchable {
		m |= metaSearchable
	}
	if d.Internal {
		m |= metaInternal
	}
	if !d.ExpiresAt.IsZero() {
		m |= metaExpires
	}
	return m
}

// hasFilters reports whether q filters on fields outside docMeta.
func hasFilters(q *knowledgebase.Query) bool {
	return q.Department != "" || q.Kind != "" || q.Category != "" || q.Channel != ""
}

func (x *Index) visible(ord uint32, q *knowledgebase.Query, now int64, filters bool) bool {
	m := x.meta[ord]
	if m&metaSearchable == 0 || (m&metaInternal != 0 && !q.IncludeInternal) {
		return false
	}
	if m&metaExpires != 0 && x.docs[ord].ExpiresAt.UnixNano() < now {
		return false
	}
	if !filters {
		return true
	}
	d := &x.docs[ord]
	if q.Department != "" && d.Department != q.Department {
		return false
	}
	if q.Kind != "" && d.Kind != q.Kind {
		return false
	}
	if q.Category != "" && d.Category != q.Category && !strings.HasPrefix(d.Category, q.Category+"/") {
		return false
	}
	if q.Channel != "" {
		found := false
		for _, c := range d.Channels {
			if c == q.Channel {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// rerankChanged merges the first pass's pool (with updated scores) and the
// documents changed by the feedback pass into a new pool.
func (x *Index) rerankChanged(q knowledgebase.Query, acc *accum, pool []cand, total int) ([]cand, int) {
	for i := range pool {
		sl := &acc.slot[pool[i].doc]
		sl.pool = true
		pool[i].score = sl.score
	}
	defer func() {
		for _, c := range pool {
			acc.slot[c.doc].pool = false
		}
	}()
	now, filters := q.Now.UnixNano(), hasFilters(&q)
	size := max(len(pool), q.Offset+q.Limit)
	h := candHeap(pool)
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
	for _, d := range acc.newly {
		if x.core.alive[d] && x.visible(d, &q, now, filters) {
			total++ // matched only through feedback
		}
	}
	for _, d := range acc.changed {
		if acc.slot[d].pool || !x.core.alive[d] {
			continue
		}
		if !x.visible(d, &q, now, filters) {
			continue
		}
		if sl := acc.slot[d]; !sl.strong || sl.score == 0 {
			continue
		}
		c := cand{doc: d, score: acc.slot[d].score}
		if len(h) < size {
			h = append(h, c)
			h.up(len(h) - 1)
		} else if c.score > h[0].score || (c.score == h[0].score && c.doc < h[0].doc) {
			h[0] = c
			h.down(0)
		}
	}
	top := []cand(h)
	sortCands(top)
	return top, total
}

type cand struct {
	doc   uint32
	score float32
}

// candHeap is a min-heap on (score, then reverse ordinal) for top-k.
type candHeap []cand

func (h candHeap) Len() int { return len(h) }
func (h candHeap) Less(i, j int) bool {
	if h[i].score != h[j].score {
		return h[i].score < h[j].score
	}
	return h[i].doc > h[j].doc
}
func (h candHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }

// up and down are container/heap's sift operations on the concrete type
// (no interface boxing per candidate on the hot path).
func (h candHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.Less(j, i) {
			break
		}
		h.Swap(i, j)
		j = i
	}
}

func (h candHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		j := l
		if r := l + 1; r < n && h.Less(r, l) {
			j = r
		}
		if !h.Less(j, i) {
			return
		}
		h.Swap(i, j)
		i = j
	}
}

type ranked struct {
	top   []cand // best first, offset+limit long at most
	total int
}

// rank filters the scored documents and returns the best (at least
// rerankDepth, for feedback) in order, with the number of matches.
func (x *Index) rank(q knowledgebase.Query, acc *accum) ranked {
	k := q.Offset + q.Limit
	pool := k
	if pool < rerankDepth {
		pool = rerankDepth
	}
	h := make(candHeap, 0, pool+1)
	total := 0
	now, filters := q.Now.UnixNano(), hasFilters(&q)
	for _, d := range acc.touched {
		if !acc.slot[d].strong || !x.core.alive[d] {
			continue
		}
		if !x.visible(d, &q, now, filters) {
			continue
		}
		total++
		c := cand{doc: d, score: acc.slot[d].score}
		if len(h) < pool {
			h = append(h, c)
			h.up(len(h) - 1)
		} else if c.score > h[0].score || (c.score == h[0].score && c.doc < h[0].doc) {
			h[0] = c
			h.down(0)
		}
	}
	top := []cand(h)
	sortCands(top)
	return ranked{top: top, total: total}
}
