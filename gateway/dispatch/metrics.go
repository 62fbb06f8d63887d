package dispatch

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/hallgate/hallgate/connectors/resilience"
)

// instruments are the relay's OTel metrics: the same figures as Health.
type instruments struct {
	attempts metric.Int64Counter
	duration metric.Float64Histogram
}

var breakerValue = map[string]int64{"closed": 0, "half-open": 1, "open": 2}

// registerMetrics creates the counters and the observable gauges; the
// gauges read Health once per collection.
func (r *Relay) registerMetrics(mp metric.MeterProvider) error {
	m := mp.Meter("github.com/hallgate/hallgate/gateway/dispatch")
	var err error
	if r.ins.attempts, err = m.Int64Counter("hallgate.dispatch.attempts", metric.WithDescription("Delivery attempts that reached a connector, by outcome")); err != nil {
		return err
	}
	if r.ins.duration, err = m.Float64Histogram("hallgate.dispatch.attempt.duration", metric.WithUnit("s"), metric.WithDescription("Duration of one delivery attempt")); err != nil {
		return err
	}
	breaker, err := m.Int64ObservableGauge("hallgate.connector.breaker_state", metric.WithDescription("0 closed, 1 half-open, 2 open"))
	if err != nil {
		return err
	}
	depth, err := m.Int64ObservableGauge("hallgate.dispatch.queue_depth", metric.WithDescription("Deliveries waiting per department"))
	if err != nil {
		return err
	}
	oldest, err := m.Float64ObservableGauge("hallgate.dispatch.oldest_waiting", metric.WithUnit("s"), metric.WithDescription("Age of the oldest waiting delivery per department"))
	if err != nil {
		return err
	}
	dead, err := m.Int64ObservableGauge("hallgate.dispatch.dead_letters", metric.WithDescription("Dead letters per department"))
	if err != nil {
		return err
	}
	_, err = m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		hs, err := r.Health(ctx)
		if err != nil {
			return fmt.Errorf("dispatch metrics: %w", err)
		}
		now := r.now()
		for _, h := range hs {
			attrs := metric.WithAttributes(attribute.String("department", h.Department), attribute.String("connector", h.Name))
			if v, ok := breakerValue[h.Breaker]; ok {
				o.ObserveInt64(breaker, v, attrs)
			}
			o.ObserveInt64(depth, int64(h.QueueDepth), attrs)
			o.ObserveInt64(dead, int64(h.DeadLetters), attrs)
			if !h.OldestWaiting.IsZero() {
				o.ObserveFloat64(oldest, now.Sub(h.OldestWaiting).Seconds(), attrs)
			} else {
				o.ObserveFloat64(oldest, 0, attrs)
			}
		}
		return nil
	}, breaker, depth, oldest, dead)
	return err
}

func (r *Relay) recordAttempt(ctx context.Context, connector string, a resilience.Attempt) {
	attrs := metric.WithAttributes(attribute.String("connector", connector), attribute.String("outcome", a.Outcome))
	r.ins.attempts.Add(ctx, 1, attrs)
	r.ins.duration.Record(ctx, a.Duration.Seconds(), metric.WithAttributes(attribute.String("connector", connector)))
}
