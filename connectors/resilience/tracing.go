package resilience

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/hallgate/hallgate/connectors"
)

// Attempt describes one call that reached the connector.
type Attempt struct {
	Number   int           `json:"attempt"`
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration"`
	Outcome  string        `json:"outcome"` // Outcome* constants
	Status   int           `json:"status,omitempty"`
	Error    string        `json:"error,omitempty"`
	TraceID  string        `json:"trace_id,omitempty"`
}

// Attempt outcomes.
const (
	OutcomeDelivered = "delivered"
	OutcomeDuplicate = "duplicate"
	OutcomeRetryable = "retryable"
	OutcomePermanent = "permanent"
	OutcomeCancelled = "cancelled"
)

// Classify names the outcome of a call.
func Classify(rc connectors.Receipt, err error) string {
	switch {
	case err == nil && rc.Duplicate:
		return OutcomeDuplicate
	case err == nil:
		return OutcomeDelivered
	case connectors.IsPermanent(err):
		return OutcomePermanent
	case errors.Is(err, context.Canceled) || (errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ErrAttemptTimeout)):
		return OutcomeCancelled
	default:
		return OutcomeRetryable
	}
}

// StatusOf returns the downstream status of a call: the receipt's or the
// classified error's.
func StatusOf(rc connectors.Receipt, err error) int {
	var ce *connectors.Error
	if errors.As(err, &ce) {
		return ce.Status
	}
	return rc.Status
}

type recorderKey struct{}

// WithAttemptRecorder makes every attempt of calls made with the returned
// ctx reported to fn (the relay records them on the ticket). fn must be safe
// for concurrent use.
func WithAttemptRecorder(ctx context.Context, fn func(Attempt)) context.Context {
	return context.WithValue(ctx, recorderKey{}, fn)
}

// Tracing opens one span per attempt with the department's response status
// and reports the attempt to the ctx's recorder.
func Tracing(tp trace.TracerProvider, department string) Middleware {
	tracer := tp.Tracer("github.com/hallgate/hallgate/connectors/resilience")
	return func(next connectors.Connector) connectors.Connector {
		return deliverFunc{name: next.Name(), fn: func(ctx context.Context, d connectors.Delivery) (connectors.Receipt, error) {
			n := AttemptFrom(ctx)
			ctx, span := tracer.Start(ctx, "connector.deliver", trace.WithSpanKind(trace.SpanKindClient))
			recording := span.IsRecording() // skip attribute work under a no-op provider
			if recording {
				span.SetAttributes(
					attribute.String("connector", next.Name()),
					attribute.String("department", department),
					attribute.Int("attempt", n),
					attribute.String("ticket.id", d.TicketID),
				)
			}
			start := time.Now()
			rc, err := next.Deliver(ctx, d)
			dur := time.Since(start)
			outcome, status := Classify(rc, err), StatusOf(rc, err)
			if recording {
				span.SetAttributes(attribute.String("outcome", outcome))
				if status != 0 {
					span.SetAttributes(attribute.Int("http.status_code", status))
				}
			}
			if err != nil && recording {
				span.RecordError(err)
				span.SetStatus(codes.Error, outcome)
			}
			span.End()
			if rec, ok := ctx.Value(recorderKey{}).(func(Attempt)); ok {
				a := Attempt{Number: n, Start: start, Duration: dur, Outcome: outcome, Status: status}
				if err != nil {
					a.Error = err.Error()
				}
				if sc := span.SpanContext(); sc.HasTraceID() {
					a.TraceID = sc.TraceID().String()
				}
				rec(a)
			}
			return rc, err
		}}
	}
}
