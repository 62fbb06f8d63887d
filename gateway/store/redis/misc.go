package redis

import (
	"context"
	"fmt"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
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
	raw, err := s.run(ctx, putIfAbsentScript, []string{s.p + "idem:" + key}, value, ms(ttl))
	if err != nil {
		return nil, false, fmt.Errorf("idempotency %s: %w", key, err)
	}
	res, _ := raw.([]any)
	if len(res) < 2 {
		return nil, false, fmt.Errorf("idempotency %s: unexpected reply %v", key, raw)
	}
	return []byte(str(res[1])), num(res[0]) == 1, nil
}

// ForgetIdempotency removes key (no error when absent).
func (s *Store) ForgetIdempotency(ctx context.Context, key string) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if err := s.rdb.Del(ctx, s.p+"idem:"+key).Err(); err != nil {
		return fmt.Errorf("forget idempotency %s: %w", key, mapErr(err))
	}
	return nil
}

// Next returns the next value of counter name (INCR), starting at 1.
func (s *Store) Next(ctx context.Context, name string) (uint64, error) {
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	if err := store.CheckName("counter", name, false); err != nil {
		return 0, err
	}
	n, err := s.rdb.Incr(ctx, s.p+"n:"+name).Result()
	if err != nil {
		return 0, fmt.Errorf("counter %s: %w", name, mapErr(err))
	}
	return uint64(n), nil
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
	raw, err := s.run(ctx, acquireScript, []string{s.p + "lease:" + name}, owner, ms(ttl))
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", name, err)
	}
	return num(raw) == 1, nil
}

// ReleaseLease gives the lease up if owner holds it; otherwise it does nothing.
func (s *Store) ReleaseLease(ctx context.Context, name, owner string) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if _, err := s.run(ctx, releaseLeaseScript, []string{s.p + "lease:" + name}, owner); err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}
