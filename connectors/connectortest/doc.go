// Package connectortest is the conformance suite every connector kind runs
// against a scripted fake legacy server: success, retryable 5xx, permanent
// 4xx, malformed answers, a slow backend against the caller's deadline, and,
// through the resilience chain, the breaker opening after N failures (but not
// after the caller's cancellations) and recovering through half-open.
// A kind supplies a constructor and its Dialect (how its system answers).
package connectortest
