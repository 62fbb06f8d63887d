package resilience

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hallgate/hallgate/connectors"
)

// ErrAttemptTimeout is the department not answering within the per-attempt
// timeout; unlike the caller's own deadline it counts against the breaker.
var ErrAttemptTimeout = errors.New("resilience: attempt timed out")

// Timeout bounds each attempt. When the attempt's own deadline fired while
// the caller's ctx is still alive, the failure is the department's: it is
// reported as retryable ErrAttemptTimeout instead of a bare ctx error.
func Timeout(d time.Duration) Middleware {
	return func(next connectors.Connector) connectors.Connector {
		return deliverFunc{name: next.Name(), fn: func(ctx context.Context, del connectors.Delivery) (connectors.Receipt, error) {
			actx, cancel := context.WithTimeout(ctx, d)
			defer cancel()
			rc, err := next.Deliver(actx, del)
			if err != nil && ctx.Err() == nil && actx.Err() != nil {
				return rc, connectors.Retryable(0, 0, fmt.Errorf("%w after %v: %w", ErrAttemptTimeout, d, err))
			}
			return rc, err
		}}
	}
}
