package resilience

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hallgate/hallgate/connectors"
)

// ErrRateLimited means a call could not get a token before its deadline.
var ErrRateLimited = errors.New("resilience: rate limited")

// TokenBucket limits the rate of calls to what a legacy system can take.
type TokenBucket struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
}

// NewTokenBucket returns a full bucket.
func NewTokenBucket(perSecond float64, burst int) *TokenBucket {
	return &TokenBucket{rate: perSecond, burst: float64(burst), tokens: float64(burst), last: time.Now()}
}

// reserve takes a token now or returns how long until one is due; the token
// is taken either way (the caller waits for it), which keeps waiters FIFO-ish
// without a queue.
func (b *TokenBucket) reserve(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.rate * float64(time.Second))
}

// cancel returns a token reserved by a caller that gave up waiting.
func (b *TokenBucket) cancel() {
	b.mu.Lock()
	b.tokens = min(b.burst, b.tokens+1)
	b.mu.Unlock()
}

// Wait blocks until a token is available or ctx ends.
func (b *TokenBucket) Wait(ctx context.Context) error {
	wait := b.reserve(time.Now())
	if wait == 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		b.cancel()
		// Our own limit, not the department's fault: excluded from the
		// breaker, and the relay comes back after the wait.
		return callerGone{connectors.Retryable(0, wait, fmt.Errorf("%w: wait %v exceeds the deadline", ErrRateLimited, wait))}
	}
	if !sleep(ctx, wait) {
		b.cancel()
		return ctx.Err()
	}
	return nil
}

// RateLimit waits for a token before each call; nil bucket = no limit.
func RateLimit(b *TokenBucket) Middleware {
	return func(next connectors.Connector) connectors.Connector {
		if b == nil {
			return next
		}
		return deliverFunc{name: next.Name(), fn: func(ctx context.Context, d connectors.Delivery) (connectors.Receipt, error) {
			if err := b.Wait(ctx); err != nil {
				return connectors.Receipt{}, err
			}
			return next.Deliver(ctx, d)
		}}
	}
}
