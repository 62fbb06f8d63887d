package resilience

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/sony/gobreaker/v2"

	"github.com/hallgate/hallgate/connectors"
)

// ErrBreakerOpen is returned without calling the department while its
// breaker is open or its half-open probe budget is spent. It is retryable in
// the outbox sense (the relay parks the item without spending an attempt) but
// never retried in-call.
var ErrBreakerOpen = errors.New("resilience: circuit breaker open")

// State is a breaker state for health pages: "closed", "half-open", "open".
type State string

// Breaker is one connector's circuit breaker, local or shared via Redis.
type Breaker struct {
	name  string
	local *gobreaker.CircuitBreaker[connectors.Receipt]
	dist  *gobreaker.DistributedCircuitBreaker[connectors.Receipt]
	// distMu serialises this process's calls before they contend for the
	// shared Redis lock, which gobreaker polls every 500 ms otherwise.
	distMu sync.Mutex
}

// callerGone marks an error caused by the caller's own cancellation or
// deadline, so the breaker excludes it from its counts.
type callerGone struct{ err error }

func (e callerGone) Error() string { return e.err.Error() }
func (e callerGone) Unwrap() error { return e.err }

// breakerSettings turns the config into gobreaker settings: trip after N
// consecutive failures or at a failure ratio over a minimum of requests;
// permanent errors count as successes (the department answered) and the
// caller's cancellations are excluded altogether.
func breakerSettings(name string, cfg BreakerConfig, onChange func(name string, from, to gobreaker.State)) gobreaker.Settings {
	return gobreaker.Settings{
		Name:        name,
		MaxRequests: cfg.HalfOpenProbes,
		Interval:    cfg.Interval,
		Timeout:     cfg.OpenTimeout,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			if c.ConsecutiveFailures >= cfg.ConsecutiveFailures {
				return true
			}
			return c.Requests >= cfg.MinRequests && float64(c.TotalFailures)/float64(c.Requests) >= cfg.FailureRatio
		},
		IsSuccessful: func(err error) bool { return err == nil || connectors.IsPermanent(err) },
		IsExcluded: func(err error) bool {
			var cg callerGone
			return errors.As(err, &cg)
		},
		OnStateChange: onChange,
	}
}

// NewBreaker builds a process-local breaker.
func NewBreaker(name string, cfg BreakerConfig, onChange func(name string, from, to gobreaker.State)) *Breaker {
	return &Breaker{name: name, local: gobreaker.NewCircuitBreaker[connectors.Receipt](breakerSettings(name, cfg, onChange))}
}

// NewSharedBreaker builds a breaker whose state lives in a SharedDataStore
// (see RedisSharedStore) so every replica sees the same state. gobreaker
// v2.4.0 holds the shared lock for the whole request; to keep a department's
// calls concurrent, a closed breaker lets the call run outside the lock and
// then records its outcome through the distributed breaker, and only
// half-open probes run inside it (which also enforces the probe budget
// across replicas).
func NewSharedBreaker(name string, cfg BreakerConfig, st gobreaker.SharedDataStore, onChange func(name string, from, to gobreaker.State)) (*Breaker, error) {
	d, err := gobreaker.NewDistributedCircuitBreaker[connectors.Receipt](st, breakerSettings(name, cfg, onChange))
	if err != nil {
		return nil, fmt.Errorf("shared breaker %s: %w", name, err)
	}
	return &Breaker{name: name, dist: d}, nil
}

// State reports the breaker's state; a shared breaker whose store is
// unreachable reports "unknown".
func (b *Breaker) State() State {
	if b == nil {
		return "none"
	}
	var (
		s   gobreaker.State
		err error
	)
	if b.dist != nil {
		s, err = b.dist.State()
		if err != nil {
			return "unknown"
		}
	} else {
		s = b.local.State()
	}
	return State(s.String())
}

func (b *Breaker) execute(fn func() (connectors.Receipt, error)) (connectors.Receipt, error) {
	if b.dist == nil {
		return b.local.Execute(fn)
	}
	b.distMu.Lock()
	st, err := b.dist.State()
	b.distMu.Unlock()
	switch {
	case err != nil:
		// The shared store is unreachable: deliver anyway rather than
		// block every department on Redis; the outcome cannot be counted.
		return fn()
	case st == gobreaker.StateOpen:
		return connectors.Receipt{}, gobreaker.ErrOpenState
	case st == gobreaker.StateHalfOpen:
		b.distMu.Lock()
		defer b.distMu.Unlock()
		return b.dist.Execute(fn)
	}
	rc, callErr := fn()
	b.distMu.Lock()
	// ErrOpenState here means another replica opened the breaker while
	// this call ran: its result stands all the same.
	_, _ = b.dist.Execute(func() (connectors.Receipt, error) { return rc, callErr })
	b.distMu.Unlock()
	return rc, callErr
}

// Middleware guards calls with the breaker.
func (b *Breaker) Middleware() Middleware {
	return func(next connectors.Connector) connectors.Connector {
		return deliverFunc{name: next.Name(), fn: func(ctx context.Context, d connectors.Delivery) (connectors.Receipt, error) {
			rc, err := b.execute(func() (connectors.Receipt, error) {
				rc, err := next.Deliver(ctx, d)
				if err != nil && ctx.Err() != nil {
					return rc, callerGone{err}
				}
				return rc, err
			})
			var cg callerGone
			if errors.As(err, &cg) {
				return rc, cg.err
			}
			if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
				return rc, connectors.Retryable(0, 0, fmt.Errorf("%s: %w (%w)", b.name, ErrBreakerOpen, err))
			}
			return rc, err
		}}
	}
}
