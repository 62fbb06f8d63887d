package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
	goredis "github.com/redis/go-redis/v9"
)

func (s *Store) recKey(coll, id string) string { return s.p + "r:" + coll + "\x00" + id }

// Get returns one record or ErrNotFound.
func (s *Store) Get(ctx context.Context, collection, id string) (store.Record, error) {
	if err := s.check(ctx); err != nil {
		return store.Record{}, err
	}
	vals, err := s.rdb.HMGet(ctx, s.recKey(collection, id), "v", "d", "x", "t").Result()
	if err != nil {
		return store.Record{}, fmt.Errorf("get %s/%s: %w", collection, id, mapErr(err))
	}
	if vals[0] == nil {
		return store.Record{}, fmt.Errorf("get %s/%s: %w", collection, id, store.ErrNotFound)
	}
	return decodeRecord(collection, id, vals[0], vals[1], vals[2], vals[3])
}

func decodeRecord(coll, id string, v, d, x, t any) (store.Record, error) {
	r := store.Record{Collection: coll, ID: id, Version: uint64(num(v)), Data: []byte(str(d)), UpdatedAt: parseStamp(str(t))}
	if xs := str(x); xs != "" && xs != "{}" {
		if err := json.Unmarshal([]byte(xs), &r.Index); err != nil {
			return store.Record{}, fmt.Errorf("decode index of %s/%s: %w", coll, id, err)
		}
	}
	return r, nil
}

type metaPut struct {
	C string `json:"c"`
	I string `json:"i"`
	E uint64 `json:"e"`
	F bool   `json:"f"`
	X string `json:"x"`
}

type metaDel struct {
	C string `json:"c"`
	I string `json:"i"`
	E uint64 `json:"e"`
}

type metaItem struct {
	T   string `json:"t"`
	I   string `json:"i"`
	K   string `json:"k"`
	C   string `json:"c"`   // created, ns
	CM  int64  `json:"cm"`  // created, ms (pending score)
	NB  string `json:"nb"`  // not before, ns or ""
	NBM int64  `json:"nbm"` // not before, ms
	A   int    `json:"a"`
	E   string `json:"e"`
}

type meta struct {
	P []metaPut  `json:"p"`
	D []metaDel  `json:"d"`
	Q []metaItem `json:"q"`
}

// Commit applies tx atomically with one Lua script (and WAIT when configured).
func (s *Store) Commit(ctx context.Context, tx store.Tx) ([]store.Record, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	if err := tx.Validate(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	m := meta{P: make([]metaPut, 0, len(tx.Puts)), D: make([]metaDel, 0, len(tx.Deletes)), Q: make([]metaItem, 0, len(tx.Enqueue))}
	args := []any{s.p, nil}
	for _, p := range tx.Puts {
		idx := p.Record.Index
		if idx == nil {
			idx = map[string]string{}
		}
		x, err := json.Marshal(idx)
		if err != nil {
			return nil, fmt.Errorf("commit: %w", err)
		}
		m.P = append(m.P, metaPut{C: p.Record.Collection, I: p.Record.ID, E: p.ExpectVersion, F: p.Force, X: string(x)})
		args = append(args, p.Record.Data)
	}
	for _, d := range tx.Deletes {
		m.D = append(m.D, metaDel{C: d.Collection, I: d.ID, E: d.ExpectVersion})
	}
	now := time.Now()
	for _, it := range tx.Enqueue {
		if it.ID == "" {
			it.ID = store.NewID()
		}
		if it.CreatedAt.IsZero() {
			it.CreatedAt = now
		}
		mi := metaItem{T: it.Topic, I: it.ID, K: it.Key, C: nsString(it.CreatedAt), CM: it.CreatedAt.UnixMilli(), A: it.Attempts, E: it.LastError, NB: nsString(it.NotBefore)}
		if !it.NotBefore.IsZero() {
			mi.NBM = it.NotBefore.UnixMilli()
		}
		m.Q = append(m.Q, mi)
		args = append(args, it.Payload)
	}
	mj, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	args[1] = mj
	var raw any
	if s.opts.WaitReplicas > 0 {
		raw, err = s.commitAndWait(ctx, args)
	} else {
		raw, err = s.run(ctx, commitScript, nil, args...)
	}
	if err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	res, _ := raw.([]any)
	if len(res) < 2 {
		return nil, fmt.Errorf("commit: unexpected reply %v", raw)
	}
	switch str(res[0]) {
	case "OK":
	case "CONFLICT":
		return nil, fmt.Errorf("commit: %s: %w", str(res[1]), store.ErrConflict)
	case "NOTFOUND":
		return nil, fmt.Errorf("commit: %s: %w", str(res[1]), store.ErrNotFound)
	default:
		return nil, fmt.Errorf("commit: unexpected reply %v", raw)
	}
	at := parseStamp(str(res[1]))
	out := make([]store.Record, len(tx.Puts))
	for i, p := range tx.Puts {
		r := p.Record
		r.Version = uint64(num(res[2+i]))
		r.UpdatedAt = at
		if len(r.Index) == 0 {
			r.Index = nil
		}
		out[i] = r
	}
	return out, nil
}

// commitAndWait sends the script and WAIT on one connection (a pipeline), as
// WAIT only covers the writes of its own connection.
func (s *Store) commitAndWait(ctx context.Context, args []any) (any, error) {
	for attempt := 0; ; attempt++ {
		pipe := s.rdb.Pipeline()
		ev := pipe.EvalSha(ctx, commitScript.Hash(), nil, args...)
		wait := pipe.Do(ctx, "WAIT", s.opts.WaitReplicas, s.opts.WaitTimeout.Milliseconds())
		_, err := pipe.Exec(ctx)
		if err != nil && goredis.HasErrorPrefix(ev.Err(), "NOSCRIPT") && attempt == 0 {
			if err := commitScript.Load(ctx, s.rdb).Err(); err != nil {
				return nil, mapErr(err)
			}
			continue
		}
		if ev.Err() != nil {
			return nil, mapErr(ev.Err())
		}
		raw := ev.Val()
		if res, _ := raw.([]any); len(res) > 0 && str(res[0]) == "OK" {
			if wait.Err() != nil {
				return nil, fmt.Errorf("%w: %v", ErrNotReplicated, wait.Err())
			}
			if n, _ := wait.Int64(); n < int64(s.opts.WaitReplicas) {
				return nil, fmt.Errorf("%w: %d of %d within %s", ErrNotReplicated, n, s.opts.WaitReplicas, s.opts.WaitTimeout)
			}
		}
		return raw, nil
	}
}

func checkFilter(filter map[string]string) error {
	var errs []error
	for f, v := range filter {
		errs = append(errs, store.CheckName("filter field", f, false), store.CheckName("filter value", v, true))
	}
	return errors.Join(errs...)
}

// List returns one page of a collection in ID order (one atomic script).
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
	rev := "0"
	if opts.Reverse {
		rev = "1"
	}
	args := s.args(collection, limit, after, rev, len(opts.Filter))
	fields := make([]string, 0, len(opts.Filter))
	for f := range opts.Filter {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		args = append(args, f, opts.Filter[f])
	}
	raw, err := s.run(ctx, listScript, nil, args...)
	if err != nil {
		return store.Page{}, fmt.Errorf("list %s: %w", collection, err)
	}
	rows, _ := raw.([]any)
	var page store.Page
	for _, row := range rows {
		f, _ := row.([]any)
		if len(f) < 5 || f[1] == nil {
			continue
		}
		if len(page.Records) == limit {
			page.NextCursor = store.EncodeCursor(page.Records[limit-1].ID)
			break
		}
		r, err := decodeRecord(collection, str(f[0]), f[1], f[2], f[3], f[4])
		if err != nil {
			return store.Page{}, err
		}
		page.Records = append(page.Records, r)
	}
	return page, nil
}

// Count counts with ZCARD (no or one filter) or ZINTERCARD (several).
func (s *Store) Count(ctx context.Context, collection string, filter map[string]string) (int, error) {
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	if err := checkFilter(filter); err != nil {
		return 0, err
	}
	var n int64
	var err error
	switch len(filter) {
	case 0:
		n, err = s.rdb.ZCard(ctx, s.p+"c:"+collection).Result()
	case 1:
		for f, v := range filter {
			n, err = s.rdb.ZCard(ctx, s.idxKey(collection, f, v)).Result()
		}
	default:
		keys := make([]string, 0, len(filter))
		for f, v := range filter {
			keys = append(keys, s.idxKey(collection, f, v))
		}
		n, err = s.rdb.ZInterCard(ctx, 0, keys...).Result()
	}
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", collection, mapErr(err))
	}
	return int(n), nil
}

func (s *Store) idxKey(coll, field, value string) string {
	return s.p + "i:" + coll + "\x00" + field + "\x00" + value
}
