package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors shared by every backend; check them with errors.Is.
var (
	ErrNotFound = errors.New("store: not found")
	ErrConflict = errors.New("store: version conflict")
	ErrClosed   = errors.New("store: closed")
	// ErrLeaseLost is returned when an outbox item is acked, retried or
	// dead-lettered with a lease that has expired or been taken by another worker.
	ErrLeaseLost = errors.New("store: lease lost")
)

// Record is one versioned document in a collection. Data is opaque JSON owned
// by the caller; Index holds the fields the caller wants to filter on
// (equality only), e.g. {"status": "dispatched", "caller": "<hmac>"}.
type Record struct {
	Collection string            `json:"collection"`
	ID         string            `json:"id"`
	Version    uint64            `json:"version"` // 1 after the first write; bumped by every write
	Data       []byte            `json:"data"`
	Index      map[string]string `json:"index,omitempty"`
	UpdatedAt  time.Time         `json:"updated_at"`
}

// Put writes a record. ExpectVersion 0 means "must not exist yet" (create);
// a positive value means "must currently have this version" (update). Any
// mismatch fails the whole transaction with ErrConflict. Set Force to skip
// the check (import, upsert by key).
type Put struct {
	Record        Record
	ExpectVersion uint64
	Force         bool
}

// Delete removes a record; ExpectVersion 0 with Force=false means "any version".
type Delete struct {
	Collection    string
	ID            string
	ExpectVersion uint64
}

// OutboxItem is one unit of work enqueued atomically with record changes.
type OutboxItem struct {
	ID        string    `json:"id"`         // set by the caller (unique, e.g. ticket/destination/event) or generated when empty
	Topic     string    `json:"topic"`      // e.g. "delivery"
	Key       string    `json:"key"`        // partition key, e.g. the connector or department
	Payload   []byte    `json:"payload"`    // opaque JSON
	Attempts  int       `json:"attempts"`   // counted attempts so far
	NotBefore time.Time `json:"not_before"` // zero = now
	CreatedAt time.Time `json:"created_at"`
	LastError string    `json:"last_error,omitempty"`
	// Lease is set on claimed items; pass the item back unchanged to Ack/Retry/DeadLetter.
	Lease string `json:"lease,omitempty"`
}

// DeadLetter is an outbox item that will not be retried automatically.
type DeadLetter struct {
	Item   OutboxItem `json:"item"`
	Reason string     `json:"reason"`
	At     time.Time  `json:"at"`
}

// Tx is one atomic commit: every put, delete and enqueue lands, or none does.
type Tx struct {
	Puts    []Put
	Deletes []Delete
	Enqueue []OutboxItem
}

// ListOptions selects records of one collection in ascending ID order
// (descending with Reverse). Filters are equalities on Index fields, ANDed.
// Cursor is the opaque NextCursor of the previous page.
type ListOptions struct {
	Filter  map[string]string
	Limit   int // 0 = 100
	Cursor  string
	Reverse bool
}

// Page is one page of a listing; NextCursor is empty on the last page.
type Page struct {
	Records    []Record
	NextCursor string
}

// Store is the persistence contract. Every method is safe for concurrent use.
// Commit returns only once the change is durable as configured (fsync on the
// embedded store; AOF/WAIT on Redis).
type Store interface {
	Get(ctx context.Context, collection, id string) (Record, error)
	// Commit applies tx atomically and returns the written records with
	// their new versions, in the order of tx.Puts.
	Commit(ctx context.Context, tx Tx) ([]Record, error)
	List(ctx context.Context, collection string, opts ListOptions) (Page, error)
	// Count returns the number of records matching filter (nil = all).
	Count(ctx context.Context, collection string, filter map[string]string) (int, error)

	Idempotency
	Counters
	Leases
	Outbox

	Ping(ctx context.Context) error
	Close() error
}

// Idempotency remembers the first answer given for a key.
type Idempotency interface {
	// PutIfAbsent stores value under key for ttl when the key is new and
	// returns (value, true); otherwise it returns the stored value and false.
	PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) ([]byte, bool, error)
	// ForgetIdempotency removes a key (e.g. when the first attempt failed).
	ForgetIdempotency(ctx context.Context, key string) error
}

// Counters hand out monotonically increasing numbers (ticket codes).
type Counters interface {
	Next(ctx context.Context, name string) (uint64, error)
}

// Leases give one holder among replicas the right to run a job for ttl.
type Leases interface {
	// AcquireLease takes or renews the named lease for owner; false when another owner holds it.
	AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, owner string) error
}

// Outbox is the work queue fed by Tx.Enqueue.
type Outbox interface {
	// Claim leases up to max due items of topic for lease; items whose lease
	// expires without Ack/Retry/DeadLetter become claimable again.
	Claim(ctx context.Context, topic, consumer string, max int, lease time.Duration) ([]OutboxItem, error)
	Ack(ctx context.Context, item OutboxItem) error
	// Retry releases a claimed item until at; countAttempt says whether the
	// attempt counts (false while waiting on an open breaker).
	Retry(ctx context.Context, item OutboxItem, at time.Time, lastError string, countAttempt bool) error
	// Release returns claimed items at once without counting an attempt (shutdown).
	Release(ctx context.Context, items []OutboxItem) error
	DeadLetter(ctx context.Context, item OutboxItem, reason string) error
	ListDeadLetters(ctx context.Context, topic string, limit int) ([]DeadLetter, error)
	// Redrive moves a dead letter back to the queue with its attempts reset.
	Redrive(ctx context.Context, topic, id string) error
	// Pending counts queued (not dead) items of topic per Key, and reports the
	// oldest CreatedAt per key.
	Pending(ctx context.Context, topic string) (map[string]QueueStats, error)
}

// QueueStats describes the waiting work of one outbox key.
type QueueStats struct {
	Depth  int       `json:"depth"`
	Oldest time.Time `json:"oldest"`
}
