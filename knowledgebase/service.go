package knowledgebase

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
)

// Store collections owned by the knowledge base.
const (
	CollEntries   = "kb_entries"
	CollItems     = "kb_items"
	CollVersions  = "kb_versions"
	CollTitles    = "kb_titles"
	CollQueries   = "kb_queries"
	CollFeedback  = "kb_feedback"
	CollSettings  = "kb_settings"
	counterEntry  = "kb_entry_id"
	settingSynSet = "synonyms"
	// settingDatedIndex marks that every dated entry carries indexDated
	// (entries stored before the index existed were rewritten once).
	settingDatedIndex = "dated-index"
	// indexDated is the store index of dated entries.
	indexDated = "dated"
)

// DepartmentDirectory tells whether a department code is known and, for
// imports, which department a name from an older system's export means;
// *department.Service implements it. Resolve's error wraps
// department.ErrUnknownDepartment when nothing, or more than one
// department, fits; imports report it as the line's reason.
type DepartmentDirectory interface {
	Exists(ctx context.Context, code string) (bool, error)
	Resolve(ctx context.Context, ref string) (string, error)
}

// Options configure the Service; zero values take the documented defaults.
type Options struct {
	// SweepInterval is how often Run re-projects entries whose validity
	// started or ended, flushes search analytics and reloads synonyms
	// changed by other replicas. Default 1 minute.
	SweepInterval time.Duration
	// ImportBatch is how many valid import lines share one commit (and at
	// most 8 MiB of them); a failed batch is retried line by line, so each
	// line stays atomic. Default 1000: at 100,000 entries, batches of 1,000
	// imported 10–25 % faster than batches of 100 (fewer fsyncs and page
	// rewrites), batches of 2,000 only a little more.
	ImportBatch int
	// MaxImportLineBytes bounds one JSONL line. Default 1 MiB.
	MaxImportLineBytes int
	// MaxTrackedQueries bounds the in-memory analytics between flushes.
	// Default 10,000.
	MaxTrackedQueries int
	// HitCacheTTL is how long a search hit's question and answer, read from
	// the store, are reused. This process's writes invalidate at once;
	// another replica's show within the TTL. Default 2s; negative disables.
	HitCacheTTL time.Duration
	// HydrateFromIndex fills search hits from the documents the index keeps
	// (an Index that is a DocumentSource) instead of reading each hit from
	// the store. Set it only when this process is the store's only writer
	// (the embedded store): then every change reaches the index right after
	// its commit, and a failed index write makes searches read the store
	// again until the index is repaired. With a shared store leave it off:
	// another replica's withdrawal reaches this index late, and the store
	// read is what hides it.
	HydrateFromIndex bool
	// Now is the clock (tests). Default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.SweepInterval == 0 {
		o.SweepInterval = time.Minute
	}
	if o.ImportBatch == 0 {
		o.ImportBatch = 1000
	}
	if o.MaxImportLineBytes == 0 {
		o.MaxImportLineBytes = 1 << 20
	}
	if o.MaxTrackedQueries == 0 {
		o.MaxTrackedQueries = 10000
	}
	if o.HitCacheTTL == 0 {
		o.HitCacheTTL = 2 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Validate reports every problem of o at once.
func (o Options) Validate() error {
	var errs []error
	if o.SweepInterval < 0 {
		errs = append(errs, errors.New("knowledgebase: SweepInterval must not be negative"))
	}
	if o.ImportBatch < 0 || o.ImportBatch > 10000 {
		errs = append(errs, errors.New("knowledgebase: ImportBatch must be 0–10000"))
	}
	if o.MaxImportLineBytes < 0 {
		errs = append(errs, errors.New("knowledgebase: MaxImportLineBytes must not be negative"))
	}
	if o.MaxTrackedQueries < 0 {
		errs = append(errs, errors.New("knowledgebase: MaxTrackedQueries must not be negative"))
	}
	return errors.Join(errs...)
}

// Actor is who performs an operation, reduced to what the rules need.
type Actor struct {
	ID string
	// Editor: editors and admins review, publish and archive, and edit any
	// department's entries.
	Editor bool
	// Staff sees internal entries and unpublished ones (agents, supervisors,
	// editors, admins).
	Staff bool
	// Departments a department principal acts for: it proposes and edits
	// its own entries only.
	Departments []string
	// System marks a machine caller (routing, screen pops): its searches
	// are not counted in the search analytics, which describe people.
	System bool
}

func (a Actor) owns(dept string) bool {
	for _, d := range a.Departments {
		if d == dept {
			return true
		}
	}
	return false
}

func (a Actor) canEdit(dept string) bool { return a.Editor || a.owns(dept) }

// public reports whether a is an outside reader (citizen, partner): it sees
// published, public material only.
func (a Actor) public() bool { return !a.Staff && !a.Editor && len(a.Departments) == 0 }

// listFilter normalises a page limit (default 50, at most 500) and builds
// the equality filter of the non-empty fields, given as name, value pairs.
func listFilter(limit *int, pairs ...string) map[string]string {
	if *limit <= 0 {
		*limit = 50
	}
	*limit = min(*limit, 500)
	filter := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			filter[pairs[i]] = pairs[i+1]
		}
	}
	return filter
}

// Service is the knowledge base's use cases over the store (system of
// record) and an Index (a projection of it).
type Service struct {
	st    store.Store
	idx   Index
	depts DepartmentDirectory
	opts  Options
	log   *slog.Logger

	indexDirty   atomic.Bool // an index write failed: Run rebuilds
	shutdown     atomic.Bool // Shutdown ran
	datedIndexed atomic.Bool // every dated entry carries indexDated

	mu        sync.Mutex
	lastSweep time.Time
	synVer    uint64
	stale     map[string]bool // index doc ids a search found out of date
	staleN    atomic.Int32    // len(stale), read without the lock

	analytics analytics
	hits      hitCache
}

// NewService returns the knowledge-base service. Call Open before use and
// Run in the background for the periodic sweep.
func NewService(st store.Store, idx Index, depts DepartmentDirectory, opts Options) *Service {
	opts = opts.withDefaults()
	s := &Service{st: st, idx: idx, depts: depts, opts: opts, log: opts.Logger}
	s.analytics.init(opts.MaxTrackedQueries)
	return s
}

func (s *Service) now() time.Time { return s.opts.Now() }

// Open validates the options, applies the stored runtime synonyms to the
// index and rebuilds the index when it is empty or stale (its document count
// differs from the store's entries and items).
func (s *Service) Open(ctx context.Context) error {
	if err := s.opts.Validate(); err != nil {
		return err
	}
	if s.st == nil || s.idx == nil || s.depts == nil {
		return errors.New("knowledgebase: store, index and department directory are required")
	}
	if err := s.loadSynonyms(ctx, true); err != nil {
		return err
	}
	if _, err := s.EnsureIndex(ctx); err != nil {
		return err
	}
	// A store without entries has nothing to index for the sweep: say so
	// now, or the first sweep after a large import reads it all once.
	if n, err := s.st.Count(ctx, CollEntries, nil); err == nil && n == 0 {
		if err := s.ensureDatedIndex(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Run sweeps until ctx ends: entries whose validity began or ended are
// re-projected (so they leave or join public search on time), analytics
// are flushed, synonyms changed elsewhere are reloaded and a dirty index is
// rebuilt. It flushes analytics once more on the way out.
func (s *Service) Run(ctx context.Context) error {
	// Callers that skipped Open (EnsureIndex only) still get the stored
	// synonyms at once rather than at the first tick.
	if err := s.loadSynonyms(ctx, false); err != nil {
		s.log.Warn("kb: synonyms load", "err", err)
	}
	t := time.NewTicker(s.opts.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			// The run context is gone; give the last work its own.
			stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			err := s.Shutdown(stopCtx)
			cancel()
			if err != nil {
				s.log.Warn("kb: shutdown", "err", err)
			}
			return nil
		case <-t.C:
			s.Tick(ctx)
		}
	}
}

// Shutdown flushes analytics and, when every change of this process reached
// the index, records a build stamp on a persistent index (a snapshot), so
// the next start reuses the index instead of rebuilding it. After a crash
// the stamp is missing and the next start rebuilds. Run calls it on exit;
// call it yourself when not using Run, before closing the index.
func (s *Service) Shutdown(ctx context.Context) error {
	// Run's exit and the owner's stop hook may both call it; once is enough
	// (and the index may already be closed the second time).
	if !s.shutdown.CompareAndSwap(false, true) {
		return nil
	}
	var errs []error
	if err := s.FlushAnalytics(ctx); err != nil {
		errs = append(errs, fmt.Errorf("flush analytics: %w", err))
	}
	if err := s.repairStale(ctx); err != nil {
		errs = append(errs, fmt.Errorf("re-project stale documents: %w", err))
	}
	if bs, ok := s.idx.(BuildStamper); ok && !s.indexDirty.Load() {
		if err := bs.MarkBuilt(ctx, projectionStamp); err != nil {
			errs = append(errs, fmt.Errorf("mark index built: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Tick runs one round of Run's periodic work; it logs failures and goes on.
func (s *Service) Tick(ctx context.Context) {
	if _, err := s.Sweep(ctx); err != nil {
		s.log.Warn("kb: sweep", "err", err)
	}
	if err := s.FlushAnalytics(ctx); err != nil {
		s.log.Warn("kb: analytics flush", "err", err)
	}
	if err := s.loadSynonyms(ctx, false); err != nil {
		s.log.Warn("kb: synonyms reload", "err", err)
	}
	if err := s.repairStale(ctx); err != nil {
		s.log.Warn("kb: re-project stale documents", "err", err)
	}
	if s.indexDirty.Load() {
		if _, err := s.Reindex(ctx); err != nil {
			s.log.Warn("kb: reindex after failed index write", "err", err)
		}
	}
}

// project writes docs to the index after a committed change. The store is
// already right; a failure only marks the index dirty for the next Tick.
func (s *Service) project(ctx context.Context, docs ...Document) {
	if len(docs) == 0 {
		return
	}
	for _, d := range docs {
		s.hits.forget(d.ID)
	}
	if err := s.idx.Upsert(ctx, docs...); err != nil {
		s.indexDirty.Store(true)
		s.log.Warn("kb: index upsert failed; index marked dirty", "err", err, "docs", len(docs))
	}
}

func (s *Service) unproject(ctx context.Context, ids ...string) {
	s.hits.forget(ids...)
	if err := s.idx.Delete(ctx, ids...); err != nil {
		s.indexDirty.Store(true)
		s.log.Warn("kb: index delete failed; index marked dirty", "err", err)
	}
}

// checkDepartment adds a field error when dept is not a known department.
func (s *Service) checkDepartment(ctx context.Context, fe *fieldErrors, field, dept string) error {
	if dept == "" {
		return nil
	}
	ok, err := s.depts.Exists(ctx, dept)
	if err != nil {
		return fmt.Errorf("check department %s: %w", dept, err)
	}
	if !ok {
		fe.add(field, reasonUnknownDepartment)
	}
	return nil
}

// mapStoreErr turns the store's sentinels into the package's.
func mapStoreErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%s: %w", op, ErrNotFound)
	case errors.Is(err, store.ErrConflict):
		return fmt.Errorf("%s: %w", op, ErrConflict)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func decode[T any](rec store.Record) (T, error) {
	var v T
	if err := json.Unmarshal(rec.Data, &v); err != nil {
		return v, fmt.Errorf("decode %s/%s: %w", rec.Collection, rec.ID, err)
	}
	return v, nil
}

// markStale remembers an index document that disagreed with the store.
func (s *Service) markStale(docID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stale == nil {
		s.stale = map[string]bool{}
	}
	if len(s.stale) < 10000 {
		s.stale[docID] = true
	}
	s.staleN.Store(int32(len(s.stale)))
}

func (s *Service) isStale(docID string) bool {
	if s.staleN.Load() == 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stale[docID]
}

// repairStale re-projects (or removes) the documents markStale collected.
func (s *Service) repairStale(ctx context.Context) error {
	s.mu.Lock()
	ids := s.stale
	s.stale = nil
	s.staleN.Store(0)
	s.mu.Unlock()
	now := s.now()
	var docs []Document
	var gone []string
	for id := range ids {
		var doc Document
		var err error
		if itemID, ok := strings.CutPrefix(id, "item:"); ok {
			var it ServiceItem
			if it, err = s.loadItem(ctx, itemID); err == nil {
				doc = it.Document(now)
			}
		} else {
			var e Entry
			if e, err = s.loadEntry(ctx, id); err == nil {
				doc = e.Document(now)
			}
		}
		switch {
		case errors.Is(err, ErrNotFound):
			gone = append(gone, id)
		case err != nil:
			return err
		default:
			docs = append(docs, doc)
		}
	}
	if len(gone) > 0 {
		if err := s.idx.Delete(ctx, gone...); err != nil {
			return err
		}
	}
	if len(docs) > 0 {
		return s.idx.Upsert(ctx, docs...)
	}
	return nil
}
