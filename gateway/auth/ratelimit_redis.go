package auth

import (
	"context"
	"fmt"
	"math"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// RedisLimiter is a token bucket per key kept in Redis, so every replica
// draws from one budget (an in-process bucket per replica would multiply
// the limit by the number of replicas). The bucket is updated atomically
// by a script that reads Redis' own clock, so replicas with skewed clocks
// agree.
type RedisLimiter struct {
	rdb    goredis.Scripter
	prefix string
	rate   float64
	burst  int
}

var _ Limiter = (*RedisLimiter)(nil)

// NewRedisLimiter limits perSecond requests per key with bursts of burst;
// keys are stored under prefix. perSecond <= 0 allows everything.
func NewRedisLimiter(rdb goredis.Scripter, prefix string, perSecond float64, burst int) *RedisLimiter {
	if burst < 1 {
		burst = 1
	}
	return &RedisLimiter{rdb: rdb, prefix: prefix, rate: perSecond, burst: burst}
}

// tokenBucketScript: KEYS[1] bucket; ARGV rate (tokens/s), burst.
// Returns {allowed (0/1), wait in ms}.
var tokenBucketScript = goredis.NewScript(`
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(v[1])
local ts = tonumber(v[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {allowed, wait}
`)

// Allow implements Limiter.
func (l *RedisLimiter) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	if l.rate <= 0 {
		return true, 0, nil
	}
	res, err := tokenBucketScript.Run(ctx, l.rdb, []string{l.prefix + key}, l.rate, l.burst).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("rate limit %s: %w", key, err)
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("rate limit %s: unexpected reply %v", key, res)
	}
	wait := time.Duration(math.Max(0, float64(res[1]))) * time.Millisecond
	return res[0] == 1, wait, nil
}
