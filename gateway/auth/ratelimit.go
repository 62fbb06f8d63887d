package auth

import (
	"context"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Limiter decides whether one more request of key may pass now. The
// in-process TokenBucket implements it; a Redis-backed limiter shared by
// replicas can implement it later without touching the middleware.
type Limiter interface {
	// Allow takes one token for key; when none is left it returns false
	// and how long until one will be.
	Allow(ctx context.Context, key string) (bool, time.Duration, error)
}

// TokenBucket is an in-process token bucket per key.
type TokenBucket struct {
	rate  float64 // tokens per second
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	sweepAt int
}

type bucket struct {
	tokens float64
	last   time.Time
}

var _ Limiter = (*TokenBucket)(nil)

// NewTokenBucket allows perSecond requests per key on average with bursts
// of burst. perSecond <= 0 allows everything.
func NewTokenBucket(perSecond float64, burst int) *TokenBucket {
	if burst < 1 {
		burst = 1
	}
	return &TokenBucket{rate: perSecond, burst: float64(burst), now: time.Now, buckets: map[string]*bucket{}, sweepAt: 10000}
}

// Allow implements Limiter.
func (l *TokenBucket) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	if l.rate <= 0 {
		return true, 0, nil
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= l.sweepAt {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0, nil
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait, nil
}

// sweep drops buckets that have refilled completely: they are
// indistinguishable from new ones, so memory stays bounded by active keys.
func (l *TokenBucket) sweep(now time.Time) {
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.last) >= full {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= l.sweepAt {
		l.sweepAt *= 2
	}
}

// RateLimit is Fiber middleware answering 429 with Retry-After when the
// limiter refuses key(c). A limiter error lets the request through: an outage
// of a shared limiter must not take the gateway down with it.
func RateLimit(l Limiter, key func(c *fiber.Ctx) string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ok, wait, err := l.Allow(c.UserContext(), key(c))
		if err != nil || ok {
			return c.Next()
		}
		secs := int(math.Ceil(wait.Seconds()))
		if secs < 1 {
			secs = 1
		}
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
		return fiber.NewError(fiber.StatusTooManyRequests, "请求过于频繁，请稍后再试 (rate limit exceeded)")
	}
}
