// Package bolt is the embedded store backend: one bbolt file, fsync'd on every
// commit (NoSync stays false), so Commit returns only once the change is on
// disk. Concurrent writers go through bbolt's DB.Batch (Options.BatchDelay,
// default 1ms), so a burst of commits shares one fsync instead of paying one
// each.
//
// Layout (top-level buckets):
//
//	records/<collection>   id → JSON Record
//	index/<collection>     field \x00 value \x00 id → ""   (filtered List/Count without a scan)
//	counts                 collection → uint64             (Count without filter)
//	ob.items               topic \x00 id → item state (lease token, lease end, due time)
//	ob.due                 topic \x00 due(8B) id → ""      (claim in due-time order)
//	ob.pending             topic \x00 key \x00 created(8B) id → ""   (Pending per key)
//	ob.dead, ob.deadat     dead letters by id and by time
//	idem, idem.exp         idempotency values and their expiry order (swept in the background)
//	counters, leases
//
// A claimed item's due time is its lease end, so "claimable" is always "due
// time ≤ now": a crashed worker's items come back without any reaper.
// Only one process may open the file; Open fails with ErrLocked after
// Options.LockTimeout.
package bolt
