package resilience

import (
	"fmt"

	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	"github.com/hallgate/hallgate/connectors"
)

// Deps are the chain's collaborators; all optional.
type Deps struct {
	Department     string                // for span attributes; defaults to the connector name
	TracerProvider trace.TracerProvider  // default otel.GetTracerProvider()
	Redis          redis.UniversalClient // when set, the breaker is shared across replicas
	Owner          string                // this replica's id for the shared lock
	OnStateChange  func(connector string, from, to State)
}

// Chained is a connector wrapped by Chain; it exposes its breaker's state.
type Chained struct {
	connectors.Connector
	inner    connectors.Connector
	breaker  *Breaker
	bulkhead *Bulkhead
}

// BreakerState reports the connector's breaker state for health pages.
func (c *Chained) BreakerState() State { return c.breaker.State() }

// InFlight reports deliveries currently inside the bulkhead.
func (c *Chained) InFlight() int { return c.bulkhead.InFlight() }

// Unwrap returns the bare connector (for its optional powers).
func (c *Chained) Unwrap() connectors.Connector { return c.inner }

// BreakerStater is implemented by chained connectors.
type BreakerStater interface{ BreakerState() State }

var (
	_ connectors.Connector = (*Chained)(nil)
	_ BreakerStater        = (*Chained)(nil)
)

// Chain wraps conn in the whole delivery pipeline. Read it outside in:
// a call is retried, passes the breaker, waits for a rate-limit token and a
// bulkhead slot, and each attempt is bounded by the timeout and traced.
func Chain(cfg Config, conn connectors.Connector, deps Deps) (*Chained, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("chain %s: %w", conn.Name(), err)
	}
	if deps.TracerProvider == nil {
		deps.TracerProvider = otel.GetTracerProvider()
	}
	if deps.Department == "" {
		deps.Department = conn.Name()
	}
	breaker, err := newBreaker(conn.Name(), cfg.Breaker, deps)
	if err != nil {
		return nil, err
	}
	var bucket *TokenBucket
	if cfg.RateLimit.PerSecond > 0 {
		bucket = NewTokenBucket(cfg.RateLimit.PerSecond, cfg.RateLimit.Burst)
	}
	bulkhead := NewBulkhead(cfg.Bulkhead.MaxConcurrent)

	stack := []Middleware{ // outermost first
		Retry(cfg.Retry),
		breaker.Middleware(),
		RateLimit(bucket),
		bulkhead.Middleware(),
		Timeout(cfg.Timeout),
		Tracing(deps.TracerProvider, deps.Department),
	}
	wrapped := conn
	for i := len(stack) - 1; i >= 0; i-- {
		wrapped = stack[i](wrapped)
	}
	return &Chained{Connector: wrapped, inner: conn, breaker: breaker, bulkhead: bulkhead}, nil
}

func newBreaker(name string, cfg BreakerConfig, deps Deps) (*Breaker, error) {
	var onChange func(string, gobreaker.State, gobreaker.State)
	if deps.OnStateChange != nil {
		onChange = func(n string, from, to gobreaker.State) {
			deps.OnStateChange(n, State(from.String()), State(to.String()))
		}
	}
	if deps.Redis != nil {
		return NewSharedBreaker(name, cfg, NewRedisSharedStore(deps.Redis, deps.Owner), onChange)
	}
	return NewBreaker(name, cfg, onChange), nil
}
