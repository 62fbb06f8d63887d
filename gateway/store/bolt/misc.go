package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
	"go.etcd.io/bbolt"
)

// PutIfAbsent stores value under key for ttl unless a live value exists.
func (s *Store) PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) ([]byte, bool, error) {
	if err := s.check(ctx); err != nil {
		return nil, false, err
	}
	if err := store.CheckName("idempotency key", key, false); err != nil {
		return nil, false, err
	}
	if ttl <= 0 {
		return nil, false, fmt.Errorf("idempotency %s: %w: ttl must be positive", key, store.ErrInvalid)
	}
	var got []byte
	var fresh bool
	err := s.update(func(btx *bbolt.Tx) error {
		now := time.Now().UnixNano()
		b := btx.Bucket(bIdem)
		if v := b.Get([]byte(key)); len(v) >= 8 {
			exp := int64(beUint(v))
			if exp > now {
				got, fresh = clone(v[8:]), false
				return nil
			}
			if err := btx.Bucket(bIdemExp).Delete(cat(v[:8], []byte(key))); err != nil {
				return err
			}
		}
		exp := u64(uint64(now + int64(ttl)))
		if err := b.Put([]byte(key), cat(exp, value)); err != nil {
			return err
		}
		got, fresh = clone(value), true
		return btx.Bucket(bIdemExp).Put(cat(exp, []byte(key)), nil)
	})
	if err != nil {
		return nil, false, fmt.Errorf("idempotency %s: %w", key, err)
	}
	return got, fresh, nil
}

// ForgetIdempotency removes key (no error when absent).
func (s *Store) ForgetIdempotency(ctx context.Context, key string) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	err := s.update(func(btx *bbolt.Tx) error {
		b := btx.Bucket(bIdem)
		v := b.Get([]byte(key))
		if len(v) < 8 {
			return nil
		}
		if err := btx.Bucket(bIdemExp).Delete(cat(v[:8], []byte(key))); err != nil {
			return err
		}
		return b.Delete([]byte(key))
	})
	if err != nil {
		return fmt.Errorf("forget idempotency %s: %w", key, err)
	}
	return nil
}

// sweepIdempotency deletes expired keys, a bounded number per run.
func (s *Store) sweepIdempotency(now time.Time) error {
	const perRun = 10000
	return mapErr(s.db.Update(func(btx *bbolt.Tx) error {
		var dead [][]byte
		limit := u64(uint64(now.UnixNano()))
		c := btx.Bucket(bIdemExp).Cursor()
		for k, _ := c.First(); k != nil && len(dead) < perRun && bytes.Compare(k[:8], limit) <= 0; k, _ = c.Next() {
			dead = append(dead, clone(k))
		}
		for _, k := range dead {
			if err := btx.Bucket(bIdemExp).Delete(k); err != nil {
				return err
			}
			if v := btx.Bucket(bIdem).Get(k[8:]); len(v) >= 8 && bytes.Equal(v[:8], k[:8]) {
				if err := btx.Bucket(bIdem).Delete(k[8:]); err != nil {
					return err
				}
			}
		}
		return nil
	}))
}

// Next returns the next value of counter name, starting at 1.
func (s *Store) Next(ctx context.Context, name string) (uint64, error) {
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	if err := store.CheckName("counter", name, false); err != nil {
		return 0, err
	}
	var n uint64
	err := s.update(func(btx *bbolt.Tx) error {
		b := btx.Bucket(bCounters)
		n = 0
		if v := b.Get([]byte(name)); len(v) == 8 {
			n = beUint(v)
		}
		n++
		return b.Put([]byte(name), u64(n))
	})
	if err != nil {
		return 0, fmt.Errorf("counter %s: %w", name, err)
	}
	return n, nil
}

type leaseState struct {
	Owner string `json:"owner"`
	Until int64  `json:"until"`
}

// AcquireLease takes or renews the named lease for owner.
func (s *Store) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	if err := s.check(ctx); err != nil {
		return false, err
	}
	if err := store.CheckName("lease", name, false); err != nil {
		return false, err
	}
	if owner == "" || ttl <= 0 {
		return false, fmt.Errorf("lease %s: %w: owner and ttl required", name, store.ErrInvalid)
	}
	var ok bool
	err := s.update(func(btx *bbolt.Tx) error {
		now := time.Now().UnixNano()
		b := btx.Bucket(bLeases)
		ok = false
		if v := b.Get([]byte(name)); v != nil {
			var cur leaseState
			if err := json.Unmarshal(v, &cur); err != nil {
				return err
			}
			if cur.Owner != owner && cur.Until > now {
				return nil
			}
		}
		v, err := json.Marshal(leaseState{Owner: owner, Until: now + int64(ttl)})
		if err != nil {
			return err
		}
		ok = true
		return b.Put([]byte(name), v)
	})
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", name, err)
	}
	return ok, nil
}

// ReleaseLease gives the lease up if owner holds it; otherwise it does nothing.
func (s *Store) ReleaseLease(ctx context.Context, name, owner string) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	err := s.update(func(btx *bbolt.Tx) error {
		b := btx.Bucket(bLeases)
		v := b.Get([]byte(name))
		if v == nil {
			return nil
		}
		var cur leaseState
		if err := json.Unmarshal(v, &cur); err != nil {
			return err
		}
		if cur.Owner != owner {
			return nil
		}
		return b.Delete([]byte(name))
	})
	if err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}
