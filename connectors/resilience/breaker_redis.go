package resilience

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"
)

// RedisSharedStore implements gobreaker.SharedDataStore on go-redis: the
// state is a plain key and the lock a SET NX PX with a per-store token, so a
// crashed replica's lock expires instead of wedging the breaker.
type RedisSharedStore struct {
	Client  redis.UniversalClient
	Prefix  string        // key prefix, default "hallgate:"
	LockTTL time.Duration // must exceed the longest attempt; default 30 s
	// OpTimeout bounds each Redis call (gobreaker's interface has no ctx).
	OpTimeout time.Duration
	// LockWait is how long Lock keeps trying before it reports ErrLocked;
	// gobreaker itself then sleeps 500 ms between tries, far too long for
	// a lock held for a few round trips.
	LockWait time.Duration
	token    string
}

var _ gobreaker.SharedDataStore = (*RedisSharedStore)(nil)

// ErrLocked is returned by Lock when another holder has the lock.
var ErrLocked = errors.New("resilience: shared breaker locked")

// NewRedisSharedStore returns a store with defaults filled in.
func NewRedisSharedStore(client redis.UniversalClient, owner string) *RedisSharedStore {
	return &RedisSharedStore{Client: client, Prefix: "hallgate:", LockTTL: 30 * time.Second, OpTimeout: 2 * time.Second, LockWait: 2 * time.Second, token: owner + fmt.Sprintf(":%d", time.Now().UnixNano())}
}

func (s *RedisSharedStore) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.OpTimeout)
}

// Lock takes the named lock, retrying briefly, or returns ErrLocked.
func (s *RedisSharedStore) Lock(name string) error {
	deadline := time.Now().Add(s.LockWait)
	for wait := time.Millisecond; ; wait = min(2*wait, 20*time.Millisecond) {
		ctx, cancel := s.ctx()
		ok, err := s.Client.SetNX(ctx, s.Prefix+name, s.token, s.LockTTL).Result()
		cancel()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return ErrLocked
		}
		time.Sleep(wait)
	}
}

var unlockScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

// Unlock releases the lock only if this store still holds it.
func (s *RedisSharedStore) Unlock(name string) error {
	ctx, cancel := s.ctx()
	defer cancel()
	return unlockScript.Run(ctx, s.Client, []string{s.Prefix + name}, s.token).Err()
}

// GetData returns the stored state or nil when there is none.
func (s *RedisSharedStore) GetData(name string) ([]byte, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	b, err := s.Client.Get(ctx, s.Prefix+name).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return b, err
}

// SetData stores the state.
func (s *RedisSharedStore) SetData(name string, data []byte) error {
	ctx, cancel := s.ctx()
	defer cancel()
	return s.Client.Set(ctx, s.Prefix+name, data, 0).Err()
}
