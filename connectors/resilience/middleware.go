package resilience

import (
	"context"

	"github.com/hallgate/hallgate/connectors"
)

// Middleware decorates a connector with one concern.
type Middleware func(connectors.Connector) connectors.Connector

// deliverFunc adapts a function to connectors.Connector under a name.
type deliverFunc struct {
	name string
	fn   func(ctx context.Context, d connectors.Delivery) (connectors.Receipt, error)
}

func (f deliverFunc) Name() string { return f.name }

func (f deliverFunc) Deliver(ctx context.Context, d connectors.Delivery) (connectors.Receipt, error) {
	return f.fn(ctx, d)
}

var _ connectors.Connector = deliverFunc{}
