// Package resilience wraps any connectors.Connector in the delivery pipeline:
// retry → circuit breaker → rate limit → bulkhead → per-attempt timeout →
// tracing → the connector's call. Each concern is one middleware in its own
// file; Chain stacks them in that fixed order in one readable function.
//
// The in-call retry is deliberately short: a department outage of hours is
// ridden out by the dispatch relay, which reschedules outbox items over time
// and parks them without spending attempts while the breaker is open.
package resilience
