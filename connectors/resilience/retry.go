package resilience

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/hallgate/hallgate/connectors"
)

// Retry retries retryable failures with exponential backoff and full jitter
// (sleep = rand[0, min(max, base·2ⁿ))), honouring a downstream Retry-After.
// It gives up at once on permanent errors, on an open breaker, when ctx ends,
// or when the next wait (e.g. a long Retry-After) would not fit before ctx's
// deadline or exceeds MaxDelay: the relay then reschedules the item instead of
// holding a worker.
func Retry(cfg RetryConfig) Middleware {
	return func(next connectors.Connector) connectors.Connector {
		return deliverFunc{name: next.Name(), fn: func(ctx context.Context, d connectors.Delivery) (connectors.Receipt, error) {
			var (
				rc  connectors.Receipt
				err error
			)
			for attempt := 1; ; attempt++ {
				rc, err = next.Deliver(withAttempt(ctx, attempt), d)
				if err == nil || attempt >= cfg.MaxAttempts || !retryable(err) || ctx.Err() != nil {
					return rc, err
				}
				wait := backoff(cfg.BaseDelay, cfg.MaxDelay, attempt)
				if ra := RetryAfter(err); ra > 0 {
					if ra > cfg.MaxDelay {
						return rc, err
					}
					wait = ra
				}
				if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
					return rc, err
				}
				if !sleep(ctx, wait) {
					return rc, err
				}
			}
		}}
	}
}

// retryable reports whether another in-call attempt may help.
func retryable(err error) bool {
	return errors.Is(err, connectors.ErrRetryable) && !errors.Is(err, ErrBreakerOpen)
}

// RetryAfter extracts the downstream's Retry-After from a classified error.
func RetryAfter(err error) time.Duration {
	var ce *connectors.Error
	if errors.As(err, &ce) {
		return ce.RetryAfter
	}
	return 0
}

// backoff returns a full-jitter exponential delay for the given 1-based attempt.
func backoff(base, maxDelay time.Duration, attempt int) time.Duration {
	if base <= 0 {
		return 0
	}
	d := base
	for i := 1; i < attempt && d < maxDelay; i++ {
		d *= 2
	}
	d = min(d, maxDelay)
	return time.Duration(rand.Int64N(int64(d) + 1))
}

// sleep waits d or until ctx ends; false when ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

type attemptKey struct{}

func withAttempt(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, attemptKey{}, n)
}

// AttemptFrom returns the in-call attempt number (1-based) carried by ctx.
func AttemptFrom(ctx context.Context) int {
	if n, ok := ctx.Value(attemptKey{}).(int); ok {
		return n
	}
	return 1
}
