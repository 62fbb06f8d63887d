// Package telemetry sets up OpenTelemetry for one process: a tracer provider
// (exporting over OTLP/HTTP when an endpoint is configured, otherwise
// creating spans that are never exported so trace ids still appear in logs),
// the W3C trace-context propagator, a meter provider read by a Prometheus
// exporter on its own registry (served at /metrics), and a slog JSON handler
// that adds trace_id and span_id from the context.
package telemetry
