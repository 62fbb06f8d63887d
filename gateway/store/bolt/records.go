package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
	"go.etcd.io/bbolt"
)

// Get returns one record or ErrNotFound.
func (s *Store) Get(ctx context.Context, collection, id string) (store.Record, error) {
	if err := s.check(ctx); err != nil {
		return store.Record{}, err
	}
	var rec store.Record
	err := s.view(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bRecords).Bucket([]byte(collection))
		if b == nil {
			return store.ErrNotFound
		}
		v := b.Get([]byte(id))
		if v == nil {
			return store.ErrNotFound
		}
		return json.Unmarshal(v, &rec)
	})
	if err != nil {
		return store.Record{}, fmt.Errorf("get %s/%s: %w", collection, id, err)
	}
	return rec, nil
}

func indexKey(field, value, id string) []byte {
	return cat([]byte(field), nul, []byte(value), nul, []byte(id))
}

func indexPrefix(field, value string) []byte {
	return cat([]byte(field), nul, []byte(value), nul)
}

// Commit applies tx atomically in one fsync'd (batched) transaction.
func (s *Store) Commit(ctx context.Context, tx store.Tx) ([]store.Record, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	if err := tx.Validate(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	items := prepareItems(tx.Enqueue, time.Now())
	var out []store.Record
	err := s.update(func(btx *bbolt.Tx) error {
		out = make([]store.Record, 0, len(tx.Puts))
		now := time.Now().UTC()
		recs := btx.Bucket(bRecords)
		// Phase 1: every check before any write, so a failure writes nothing
		// even before bbolt's rollback.
		old := make([]*store.Record, len(tx.Puts))
		for i, p := range tx.Puts {
			r, err := loadRecord(recs, p.Record.Collection, p.Record.ID)
			if err != nil {
				return err
			}
			old[i] = r
			if p.Force {
				continue
			}
			if p.ExpectVersion == 0 && r != nil {
				return fmt.Errorf("create %s/%s: exists at version %d: %w", p.Record.Collection, p.Record.ID, r.Version, store.ErrConflict)
			}
			if p.ExpectVersion > 0 && (r == nil || r.Version != p.ExpectVersion) {
				return fmt.Errorf("update %s/%s: expected version %d: %w", p.Record.Collection, p.Record.ID, p.ExpectVersion, store.ErrConflict)
			}
		}
		dold := make([]*store.Record, len(tx.Deletes))
		for i, d := range tx.Deletes {
			r, err := loadRecord(recs, d.Collection, d.ID)
			if err != nil {
				return err
			}
			if r == nil {
				if d.ExpectVersion > 0 {
					return fmt.Errorf("delete %s/%s: expected version %d: %w", d.Collection, d.ID, d.ExpectVersion, store.ErrConflict)
				}
				return fmt.Errorf("delete %s/%s: %w", d.Collection, d.ID, store.ErrNotFound)
			}
			if d.ExpectVersion > 0 && r.Version != d.ExpectVersion {
				return fmt.Errorf("delete %s/%s: expected version %d, have %d: %w", d.Collection, d.ID, d.ExpectVersion, r.Version, store.ErrConflict)
			}
			dold[i] = r
		}
		for _, it := range items {
			k := itemKey(it.Topic, it.ID)
			if btx.Bucket(bItems).Get(k) != nil || btx.Bucket(bDead).Get(k) != nil {
				return fmt.Errorf("enqueue %s/%s: item exists: %w", it.Topic, it.ID, store.ErrConflict)
			}
		}
		// Phase 2: writes.
		for i, p := range tx.Puts {
			r := p.Record
			r.Version = 1
			if old[i] != nil {
				r.Version = old[i].Version + 1
			}
			r.UpdatedAt = now
			r.Data = clone(r.Data)
			r.Index = copyIndex(r.Index)
			if err := writeRecord(btx, old[i], &r); err != nil {
				return err
			}
			out = append(out, r)
		}
		for i := range tx.Deletes {
			if err := deleteRecord(btx, dold[i]); err != nil {
				return err
			}
		}
		for _, it := range items {
			if err := putItem(btx, &boltItem{Item: it, Due: dueOf(it.NotBefore, now)}, nil); err != nil {
				return err
			}
			if err := btx.Bucket(bPending).Put(pendingKey(it), nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return out, nil
}

func copyIndex(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func loadRecord(recs *bbolt.Bucket, coll, id string) (*store.Record, error) {
	b := recs.Bucket([]byte(coll))
	if b == nil {
		return nil, nil
	}
	v := b.Get([]byte(id))
	if v == nil {
		return nil, nil
	}
	var r store.Record
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("decode %s/%s: %w", coll, id, err)
	}
	return &r, nil
}

func writeRecord(btx *bbolt.Tx, old, r *store.Record) error {
	rb, err := btx.Bucket(bRecords).CreateBucketIfNotExists([]byte(r.Collection))
	if err != nil {
		return err
	}
	ib, err := btx.Bucket(bIndex).CreateBucketIfNotExists([]byte(r.Collection))
	if err != nil {
		return err
	}
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := rb.Put([]byte(r.ID), v); err != nil {
		return err
	}
	if old == nil {
		if err := addCount(btx, r.Collection, 1); err != nil {
			return err
		}
	} else {
		for f, ov := range old.Index {
			if nv, ok := r.Index[f]; ok && nv == ov {
				continue
			}
			if err := ib.Delete(indexKey(f, ov, r.ID)); err != nil {
				return err
			}
		}
	}
	for f, nv := range r.Index {
		if old != nil {
			if ov, ok := old.Index[f]; ok && ov == nv {
				continue
			}
		}
		if err := ib.Put(indexKey(f, nv, r.ID), nil); err != nil {
			return err
		}
	}
	return nil
}

func deleteRecord(btx *bbolt.Tx, old *store.Record) error {
	rb := btx.Bucket(bRecords).Bucket([]byte(old.Collection))
	if err := rb.Delete([]byte(old.ID)); err != nil {
		return err
	}
	if ib := btx.Bucket(bIndex).Bucket([]byte(old.Collection)); ib != nil {
		for f, v := range old.Index {
			if err := ib.Delete(indexKey(f, v, old.ID)); err != nil {
				return err
			}
		}
	}
	return addCount(btx, old.Collection, -1)
}

func addCount(btx *bbolt.Tx, coll string, d int64) error {
	b := btx.Bucket(bCounts)
	var n int64
	if v := b.Get([]byte(coll)); len(v) == 8 {
		n = int64(beUint(v))
	}
	n += d
	if n < 0 {
		n = 0
	}
	return b.Put([]byte(coll), u64(uint64(n)))
}

func beUint(b []byte) uint64 {
	var v uint64
	for _, c := range b[:8] {
		v = v<<8 | uint64(c)
	}
	return v
}

func checkFilter(filter map[string]string) error {
	for f, v := range filter {
		if err := store.CheckName("filter field", f, false); err != nil {
			return err
		}
		if err := store.CheckName("filter value", v, true); err != nil {
			return err
		}
	}
	return nil
}

// plan picks the filter with the fewest index entries (estimated up to a cap)
// to drive the scan; the others are checked by index-key lookups.
func plan(ib *bbolt.Bucket, filter map[string]string) (drive []byte, others [][2]string) {
	const probeCap = 512
	fields := make([]string, 0, len(filter))
	for f := range filter {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	best, bestN := "", -1
	for _, f := range fields {
		p := indexPrefix(f, filter[f])
		n := 0
		c := ib.Cursor()
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p) && n < probeCap; k, _ = c.Next() {
			n++
		}
		if bestN < 0 || n < bestN {
			best, bestN = f, n
		}
	}
	for _, f := range fields {
		if f != best {
			others = append(others, [2]string{f, filter[f]})
		}
	}
	return indexPrefix(best, filter[best]), others
}

// scan walks keys with prefix strictly after (before, if reverse) prefix+after,
// calling fn with the key suffix until fn returns false.
func scan(c *bbolt.Cursor, prefix []byte, after string, reverse bool, fn func(suffix, v []byte) bool) {
	var k, v []byte
	switch {
	case !reverse:
		start := cat(prefix, []byte(after))
		k, v = c.Seek(start)
		if after != "" && k != nil && bytes.Equal(k, start) {
			k, v = c.Next()
		}
	case after == "":
		if len(prefix) == 0 {
			k, v = c.Last()
		} else {
			end := clone(prefix)
			end[len(end)-1]++ // prefixes end in NUL, so this never overflows
			if k, _ = c.Seek(end); k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
		}
	default:
		if k, _ = c.Seek(cat(prefix, []byte(after))); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = step(c, reverse) {
		if !fn(k[len(prefix):], v) {
			return
		}
	}
}

func step(c *bbolt.Cursor, reverse bool) ([]byte, []byte) {
	if reverse {
		return c.Prev()
	}
	return c.Next()
}

// List returns one page of a collection in ID order.
func (s *Store) List(ctx context.Context, collection string, opts store.ListOptions) (store.Page, error) {
	if err := s.check(ctx); err != nil {
		return store.Page{}, err
	}
	limit, err := store.ListLimit(opts.Limit)
	if err != nil {
		return store.Page{}, err
	}
	after, err := store.DecodeCursor(opts.Cursor)
	if err != nil {
		return store.Page{}, err
	}
	if err := checkFilter(opts.Filter); err != nil {
		return store.Page{}, err
	}
	var page store.Page
	err = s.view(func(tx *bbolt.Tx) error {
		rb := tx.Bucket(bRecords).Bucket([]byte(collection))
		if rb == nil {
			return nil
		}
		var ferr error
		more := false
		take := func(id, v []byte) bool {
			if len(page.Records) == limit {
				more = true
				return false
			}
			if v == nil {
				if v = rb.Get(id); v == nil {
					return true // index entry without record cannot happen inside one tx; be safe
				}
			}
			var r store.Record
			if ferr = json.Unmarshal(v, &r); ferr != nil {
				return false
			}
			page.Records = append(page.Records, r)
			return true
		}
		if len(opts.Filter) == 0 {
			scan(rb.Cursor(), nil, after, opts.Reverse, take)
		} else {
			ib := tx.Bucket(bIndex).Bucket([]byte(collection))
			if ib == nil {
				return nil
			}
			drive, others := plan(ib, opts.Filter)
			scan(ib.Cursor(), drive, after, opts.Reverse, func(id, _ []byte) bool {
				for _, o := range others {
					if ib.Get(indexKey(o[0], o[1], string(id))) == nil {
						return true
					}
				}
				return take(id, nil)
			})
		}
		if ferr != nil {
			return ferr
		}
		if more {
			page.NextCursor = store.EncodeCursor(page.Records[len(page.Records)-1].ID)
		}
		return nil
	})
	if err != nil {
		return store.Page{}, fmt.Errorf("list %s: %w", collection, err)
	}
	return page, nil
}

// Count counts records matching filter without decoding them.
func (s *Store) Count(ctx context.Context, collection string, filter map[string]string) (int, error) {
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	if err := checkFilter(filter); err != nil {
		return 0, err
	}
	n := 0
	err := s.view(func(tx *bbolt.Tx) error {
		if len(filter) == 0 {
			if v := tx.Bucket(bCounts).Get([]byte(collection)); len(v) == 8 {
				n = int(beUint(v))
			}
			return nil
		}
		ib := tx.Bucket(bIndex).Bucket([]byte(collection))
		if ib == nil {
			return nil
		}
		drive, others := plan(ib, filter)
		scan(ib.Cursor(), drive, "", false, func(id, _ []byte) bool {
			for _, o := range others {
				if ib.Get(indexKey(o[0], o[1], string(id))) == nil {
					return true
				}
			}
			n++
			return true
		})
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", collection, err)
	}
	return n, nil
}
