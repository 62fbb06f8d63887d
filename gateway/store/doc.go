// Package store defines hallgate's persistence contract: versioned JSON records
// with secondary indexes, idempotency keys, counters, leases and a
// transactional outbox. Backends live in subpackages (bolt, redis) and all pass
// the exported conformance suite in storetest.
package store
