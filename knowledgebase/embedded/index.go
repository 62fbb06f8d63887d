package embedded

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

var (
	_ knowledgebase.Index          = (*Index)(nil)
	_ knowledgebase.DocumentSource = (*Index)(nil)
)

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

	pool sync.Pool     // *accum
	gen  atomic.Uint64 // bumped by every write; cached results carry it
	// closedFlag mirrors closed for the lock-free cache path of Search.
	closedFlag atomic.Bool
	cache      *resultCache
	// Sorted expiry instants of the documents, for the cache's validity
	// (cache.go), rebuilt when the generation moved.
	expMu    sync.Mutex
	expGen   uint64
	expiries []int64
	// Visible documents as bits (anonymous, staff) without the expiring
	// ones, for counting a pruned search's hits (cache.go).
	visGen         uint64
	visPub, visAll []uint64
	visExp         []uint32
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
	// The per-field term lists only live until reduceTerms: reuse them
	// (most of an import's garbage was these lists and their regrowth).
	ft := fieldTermsPool.Get().(*fieldTerms)
	for f := range ft {
		ft[f] = ft[f][:0]
	}
	ft[fTitle] = x.an.AppendIndexTerms(ft[fTitle], analysis.FieldTitle, d.Title)
	for _, alt := range d.Alternates {
		ft[fTitle] = x.an.AppendIndexTerms(ft[fTitle], analysis.FieldAlternates, alt)
	}
	for _, k := range d.Keywords {
		ft[fKeywords] = x.an.AppendIndexTerms(ft[fKeywords], analysis.FieldKeywords, k)
	}
	ft[fCategory] = x.an.AppendIndexTerms(ft[fCategory], analysis.FieldCategory, strings.ReplaceAll(d.Category, "/", " "))
	ft[fBody] = x.an.AppendIndexTerms(ft[fBody], analysis.FieldBody, d.Body)
	dt := reduceTerms(ft)
	for f := range ft {
		clear(ft[f]) // drop the texts' memory; docTerms holds what it needs
	}
	fieldTermsPool.Put(ft)
	return dt
}

var fieldTermsPool = sync.Pool{New: func() any { return new(fieldTerms) }}

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

// Document returns the indexed copy of the document with this id
// (knowledgebase.DocumentSource), so search hits need no store read.
func (x *Index) Document(id string) (knowledgebase.Document, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	ord, ok := x.byID[id]
	if !ok || x.closed {
		return knowledgebase.Document{}, false
	}
	return x.docs[ord], true
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
	x.closedFlag.Store(true)
	return err
}
