package knowledgebase

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
)

// reindexBatch is how many documents one Index.Upsert carries in a rebuild.
const reindexBatch = 500

// projectionStamp names this version of the projection (Entry.Document,
// ServiceItem.Document). Bump it when they change so persistent indexes
// built by an older binary are rebuilt at start.
const projectionStamp = "kb-projection-1"

// BuildStamper is an optional power of persistent indexes (embedded): they
// remember the stamp of their last complete build and forget it when their
// persisted form was unusable or reset, which tells the owner to rebuild.
type BuildStamper interface {
	Stamp() string
	MarkBuilt(ctx context.Context, stamp string) error
}

// Reindex rebuilds the index from the store: it resets the index and
// projects every entry and item (unpublished ones as not searchable, so the
// index's count matches the store's). It returns the number of documents.
func (s *Service) Reindex(ctx context.Context) (int, error) {
	// Clear the flag first: a write failing during the rebuild sets it again.
	s.indexDirty.Store(false)
	if err := s.idx.Reset(ctx); err != nil {
		s.indexDirty.Store(true)
		return 0, fmt.Errorf("reindex reset: %w", err)
	}
	n, err := s.projectAll(ctx, []string{CollEntries, CollItems}, nil, func(Document, time.Time) bool { return true })
	if err != nil {
		s.indexDirty.Store(true)
		return n, fmt.Errorf("reindex: %w", err)
	}
	if err := s.indexDatedEntries(ctx); err != nil {
		return n, fmt.Errorf("reindex: %w", err)
	}
	if bs, ok := s.idx.(BuildStamper); ok {
		if err := bs.MarkBuilt(ctx, projectionStamp); err != nil {
			return n, fmt.Errorf("reindex mark built: %w", err)
		}
	}
	s.mu.Lock()
	s.lastSweep = s.now()
	s.mu.Unlock()
	s.log.Info("kb: index rebuilt", "documents", n)
	return n, nil
}

// projectAll upserts the projection of every record of colls (entries,
// items) that filter selects and keep accepts (given the document and, for
// entries, the effective date), in batches, and returns how many were
// upserted.
func (s *Service) projectAll(ctx context.Context, colls []string, filter map[string]string, keep func(doc Document, effective time.Time) bool) (int, error) {
	now := s.now()
	batch := make([]Document, 0, reindexBatch)
	total := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := s.idx.Upsert(ctx, batch...); err != nil {
			return err
		}
		total += len(batch)
		batch = batch[:0]
		return nil
	}
	for _, coll := range colls {
		cursor := ""
		for {
			page, err := s.st.List(ctx, coll, store.ListOptions{Filter: filter, Limit: reindexBatch, Cursor: cursor})
			if err != nil {
				return total, err
			}
			for _, rec := range page.Records {
				var doc Document
				var effective time.Time
				if coll == CollEntries {
					e, err := decode[Entry](rec)
					if err != nil {
						return total, err
					}
					e.Version = rec.Version
					doc = e.Document(now)
					effective = e.EffectiveFrom.Time
				} else {
					it, err := decode[ServiceItem](rec)
					if err != nil {
						return total, err
					}
					doc = it.Document(now)
				}
				if !keep(doc, effective) {
					continue
				}
				batch = append(batch, doc)
				if len(batch) == reindexBatch {
					if err := flush(); err != nil {
						return total, err
					}
				}
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
	}
	return total, flush()
}

// StoredCount is the number of entries and items in the store, which a
// fresh index holds as documents.
func (s *Service) StoredCount(ctx context.Context) (int, error) {
	ne, err := s.st.Count(ctx, CollEntries, nil)
	if err != nil {
		return 0, mapStoreErr("count entries", err)
	}
	ni, err := s.st.Count(ctx, CollItems, nil)
	if err != nil {
		return 0, mapStoreErr("count items", err)
	}
	return ne + ni, nil
}

// EnsureIndex rebuilds the index when its document count differs from the
// store's (empty, or stale after writes it missed), or when a persistent
// index's build stamp is not this projection's (never built, built by an
// older binary, or its log was cut short by a crash). It reports whether it
// rebuilt.
func (s *Service) EnsureIndex(ctx context.Context) (bool, error) {
	want, err := s.StoredCount(ctx)
	if err != nil {
		return false, err
	}
	have, err := s.idx.Count(ctx)
	if err != nil {
		return false, fmt.Errorf("index count: %w", err)
	}
	stampOK := true
	if bs, ok := s.idx.(BuildStamper); ok {
		stampOK = bs.Stamp() == projectionStamp
	}
	if have == want && stampOK {
		return false, nil
	}
	s.log.Info("kb: index is stale, rebuilding", "index", have, "store", want, "stamp_ok", stampOK)
	_, err = s.Reindex(ctx)
	return err == nil, err
}

// Sweep re-projects the entries whose effective date or expiry passed since
// the previous sweep (all dated entries on the first sweep), so they join or
// leave public search on time even in a persistent index. It returns how
// many it re-projected. It reads the dated entries only (the store's
// indexDated): at 100,000 entries, reading them all each minute cost 2.5
// CPU-seconds and paged the whole store file into memory (RSS 490 → 760 MiB).
func (s *Service) Sweep(ctx context.Context) (int, error) {
	if err := s.ensureDatedIndex(ctx); err != nil {
		return 0, fmt.Errorf("sweep: %w", err)
	}
	s.mu.Lock()
	since := s.lastSweep
	s.mu.Unlock()
	now := s.now()
	crossed := func(d time.Time) bool {
		return !d.IsZero() && !d.After(now) && (since.IsZero() || d.After(since))
	}
	n, err := s.projectAll(ctx, []string{CollEntries}, map[string]string{indexDated: "1"}, func(doc Document, effective time.Time) bool {
		return doc.Kind == KindEntry && (crossed(doc.ExpiresAt) || crossed(effective))
	})
	if err != nil {
		return n, fmt.Errorf("sweep: %w", err)
	}
	s.mu.Lock()
	s.lastSweep = now
	s.mu.Unlock()
	return n, nil
}

// ensureDatedIndex makes sure every dated entry carries indexDated: entries
// stored by a release without that index are rewritten once (data
// unchanged, a new version), then a marker in the settings says it is done,
// for this process and every other replica.
func (s *Service) ensureDatedIndex(ctx context.Context) error {
	if s.datedIndexed.Load() {
		return nil
	}
	if _, err := s.st.Get(ctx, CollSettings, settingDatedIndex); err == nil {
		s.datedIndexed.Store(true)
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("dated index marker: %w", err)
	}
	return s.indexDatedEntries(ctx)
}

// indexDatedEntries rewrites every dated entry that lacks indexDated and
// sets the marker. A conflict means someone else rewrote the entry
// meanwhile, with its index. Reindex runs it whatever the marker says: a
// replica of an older release still running during a rolling upgrade
// writes dated entries without the index, and a reindex after the upgrade
// (`hallgate reindex`, POST /api/v1/kb/reindex) puts them back on the
// sweep's list.
func (s *Service) indexDatedEntries(ctx context.Context) error {
	var puts []store.Put
	commit := func() error {
		if len(puts) == 0 {
			return nil
		}
		_, err := s.st.Commit(ctx, store.Tx{Puts: puts})
		if errors.Is(err, store.ErrConflict) {
			err = nil
			for _, p := range puts {
				if _, e := s.st.Commit(ctx, store.Tx{Puts: []store.Put{p}}); e != nil && !errors.Is(e, store.ErrConflict) {
					err = e
					break
				}
			}
		}
		puts = puts[:0]
		return err
	}
	scanned, rewritten, cursor := 0, 0, ""
	for {
		page, err := s.st.List(ctx, CollEntries, store.ListOptions{Limit: reindexBatch, Cursor: cursor})
		if err != nil {
			return fmt.Errorf("dated index: %w", err)
		}
		scanned += len(page.Records)
		for _, rec := range page.Records {
			if rec.Index[indexDated] == "1" {
				continue
			}
			e, err := decode[Entry](rec)
			if err != nil {
				return err
			}
			if !e.dated() {
				continue
			}
			puts = append(puts, store.Put{Record: store.Record{Collection: CollEntries, ID: rec.ID, Data: rec.Data, Index: entryIndex(&e)}, ExpectVersion: rec.Version})
			rewritten++
		}
		if err := commit(); err != nil {
			return fmt.Errorf("dated index: %w", err)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	marker := store.Record{Collection: CollSettings, ID: settingDatedIndex, Data: []byte(`{"indexed":true}`)}
	if _, err := s.st.Commit(ctx, store.Tx{Puts: []store.Put{{Record: marker, Force: true}}}); err != nil {
		return fmt.Errorf("dated index marker: %w", err)
	}
	s.log.Info("kb: dated entries indexed for the sweep", "entries", scanned, "rewritten", rewritten)
	s.datedIndexed.Store(true)
	return nil
}
