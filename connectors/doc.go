// Package connectors is the contract between hallgate and the departments'
// legacy systems: a Connector delivers one Delivery and returns a Receipt;
// departments answer with Events (pushed through signed callbacks or polled).
// Each kind of legacy system has its own subpackage; resilience wraps any
// Connector in retry, breaker, rate limit, bulkhead, timeout and tracing.
package connectors
