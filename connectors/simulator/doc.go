// Package simulator is a department's legacy system to run against (as
// `hallgate simulate`, in tests, demos and benchmarks): a REST flavour
// (POST /rest/deliveries) and a SOAP flavour (POST /soap) that accept
// deliveries, deduplicate them by idempotency key, count what they received
// (GET /admin/received), call the gateway back with HMAC-signed events after
// a delay, and inject latency, errors, hangs and outages on command
// (POST /admin/faults).
package simulator
