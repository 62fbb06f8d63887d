package resilience

import (
	"context"

	"github.com/hallgate/hallgate/connectors"
)

// Bulkhead bounds concurrent deliveries to one department so that a slow
// system cannot take every relay worker; waiting for a slot respects ctx.
type Bulkhead struct{ slots chan struct{} }

// NewBulkhead allows max concurrent calls.
func NewBulkhead(max int) *Bulkhead { return &Bulkhead{slots: make(chan struct{}, max)} }

// InFlight reports the calls currently inside.
func (b *Bulkhead) InFlight() int { return len(b.slots) }

// Middleware acquires a slot around each call.
func (b *Bulkhead) Middleware() Middleware {
	return func(next connectors.Connector) connectors.Connector {
		return deliverFunc{name: next.Name(), fn: func(ctx context.Context, d connectors.Delivery) (connectors.Receipt, error) {
			select {
			case b.slots <- struct{}{}:
			case <-ctx.Done():
				return connectors.Receipt{}, ctx.Err()
			}
			defer func() { <-b.slots }()
			return next.Deliver(ctx, d)
		}}
	}
}
