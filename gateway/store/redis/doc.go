// Package redis is the Redis store backend (go-redis v9), for several
// stateless gateway replicas sharing one system of record.
//
// Records are hashes with a version; every commit is one Lua script that
// checks all versions and then writes puts, deletes, index updates and
// outbox entries, so a Tx is atomic and costs one round trip. Indexes are
// sorted sets (score 0, lexicographic members) per (collection, field, value)
// plus one per collection for ordering. The outbox is a Redis Stream per topic
// with the consumer group "hallgate": XREADGROUP claims new entries, XCLAIM
// reclaims the entries whose per-item lease ended (a sorted set of lease ends
// says which — XAUTOCLAIM's single min-idle-time cannot honour a different
// lease per Claim call), XACK+XDEL acknowledge. Delayed items (NotBefore,
// Retry) wait in a sorted set of due times and are moved into the stream when
// due. Dead letters keep their item hash and sit in a sorted set by time.
// Idempotency keys use SET NX PX, counters INCR, leases SET NX PX with Lua
// compare-and-renew/delete. Time comes from the server (TIME in the scripts),
// so replicas with skewed clocks agree on lease ends.
//
// # Durability: what a returned Commit means
//
// Redis persists what the server's configuration says; the store cannot
// change that, so operators choose:
//
//   - appendonly yes, appendfsync always: the AOF is fsync'd before the reply,
//     so an acknowledged commit survives a crash of the Redis process or of
//     the machine. Slowest setting; the crash test checks it.
//   - appendonly yes, appendfsync everysec (Redis' default for AOF): up to
//     about one second of acknowledged commits can be lost if the machine (not
//     only the process) crashes. A killed redis-server alone loses nothing
//     that reached the kernel.
//   - Options.WaitReplicas = N > 0: after each commit the store issues
//     WAIT N WaitTimeout on the same connection; Commit fails with
//     ErrNotReplicated when fewer replicas acknowledged in time (the write is
//     applied on the primary but may be lost on fail-over, so callers should
//     treat it as unknown and retry idempotently). Combine with everysec for
//     "survives the loss of one machine" without an fsync per write.
//   - No AOF (RDB snapshots only): recent commits are lost on any crash; not
//     for production.
//
// go-redis retries a command after a network error; a commit whose reply was
// lost may therefore run twice. The second run cannot double-apply: outbox
// item IDs are fixed before the first send and creates check versions, so it
// fails with ErrConflict (the first run did commit); forced puts are simply
// written again with the same content.
//
// Requires Redis 7.0 or later (ZINTERCARD; scripts use effect replication so
// that TIME may be read before writing).
//
// Keys are built inside the scripts from Options.Prefix; on Redis Cluster use
// a hash-tag prefix such as "{hallgate}:" so every key lands in one slot.
package redis
