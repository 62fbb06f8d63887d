// Package audit keeps the gateway's audit trail (操作日志): who changed
// what, when, from where and with what outcome, and who was shown a
// citizen's personal data.
//
// Every request to a route that changes something (any method but GET,
// HEAD and OPTIONS, unless its route says why it does not) becomes one
// Entry once it has been answered, whatever the answer: done, refused as
// invalid, denied (401/403) or failed (5xx). Any request denied (401/403)
// is recorded, a read included, and so is a read that showed a caller's
// name or phone in clear, when its handler says so with PersonalDataShown,
// and a bulk export (BulkRead). The gateway records them from its request
// middleware, so a route added later is covered without touching it.
//
// An entry names the route (its template, never the concrete path or
// query), the target taken from the route's parameters, the principal and,
// for the pages, the signed-in user on whose behalf the session's token
// acted, the status, the request and trace ids and the client address.
// It never holds a request body: a body may carry a citizen's name or phone
// number. Handlers add what the route alone does not say with Note (the
// ticket event's type, the user created), which must never be personal data.
//
// Entries are buffered and committed in batches (every FlushEvery, or at
// once when BatchSize are waiting), so auditing a busy gateway costs a
// store commit per batch rather than per request. A crash can lose the
// batch not yet committed (at most FlushEvery of entries); the changes
// themselves are not affected, and a ticket's own event log is committed
// with each change. Entries are kept for Retention (180 days by default,
// the six months the Cybersecurity Law asks of network logs) and swept
// daily by one replica at a time.
package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
)

// Collection holds the entries; their ids begin with their time, so a
// listing in id order is a listing in time order.
const Collection = "audit"

// sweepLease makes one replica at a time sweep expired entries.
const sweepLease = "audit-retention-sweep"

// MinRetention is the shortest retention allowed: the Cybersecurity Law
// (网络安全法, art. 21) asks network operators to keep logs at least six
// months.
const MinRetention = 180 * 24 * time.Hour

// Outcomes of an entry, from its HTTP status.
const (
	OutcomeDone    = "done"    // 1xx–3xx
	OutcomeDenied  = "denied"  // 401, 403
	OutcomeInvalid = "invalid" // other 4xx: refused, nothing changed
	OutcomeFailed  = "failed"  // 5xx
)

// Entry is one audited request.
type Entry struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
	// Actor is who acted: the principal's id ("token:…", "user:…",
	// "anonymous", "cli:…"), or for the pages the signed-in user.
	Actor     string   `json:"actor"`
	ActorName string   `json:"actor_name,omitempty"`
	Roles     []string `json:"roles,omitempty"`
	// Via is the credential the actor used when it is not the actor
	// itself: the session token of a signed-in user.
	Via string `json:"via,omitempty"`
	// Action is the method and route template, e.g.
	// "POST /api/v1/tickets/:id/events"; Summary is the route's.
	Action  string `json:"action"`
	Summary string `json:"summary,omitempty"`
	// Target is what the action was on: the route's first parameter, or
	// what its handler named (the ticket's code).
	Target string `json:"target,omitempty"`
	// Details are the handler's notes (the ticket event's type, the
	// username signed in); never personal data.
	Details map[string]string `json:"details,omitempty"`
	// PersonalData is set on a read that showed a caller's data in clear.
	PersonalData bool   `json:"personal_data,omitempty"`
	Status       int    `json:"status"`
	Outcome      string `json:"outcome"`
	RequestID    string `json:"request_id,omitempty"`
	TraceID      string `json:"trace_id,omitempty"`
	IP           string `json:"ip,omitempty"`
}

// OutcomeOf maps an HTTP status to an outcome.
func OutcomeOf(status int) string {
	switch {
	case status == 401 || status == 403:
		return OutcomeDenied
	case status >= 500:
		return OutcomeFailed
	case status >= 400:
		return OutcomeInvalid
	}
	return OutcomeDone
}

// Options tune a Trail; zero values take the defaults shown.
type Options struct {
	Retention  time.Duration // 180 days; never less than MinRetention
	BatchSize  int           // 256 entries wake the writer at once
	FlushEvery time.Duration // 200 ms
	// MaxPending bounds the entries held while the store is unavailable;
	// past it the oldest are dropped, counted and logged (100,000).
	MaxPending int
	// Owner names this replica for the sweep's lease.
	Owner  string
	Now    func() time.Time
	Logger *slog.Logger
}

// Trail records and lists audit entries.
type Trail struct {
	st store.Store
	o  Options

	mu      sync.Mutex
	pending []Entry
	base    uint64 // sequence number of pending[0]
	dropped int
	wake    chan struct{}
	// flushMu keeps one commit of pending entries in flight, so batches
	// land in the order they were taken.
	flushMu sync.Mutex
}

// New returns a Trail over st.
func New(st store.Store, o Options) *Trail {
	if o.Retention < MinRetention {
		o.Retention = MinRetention
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 256
	}
	if o.FlushEvery <= 0 {
		o.FlushEvery = 200 * time.Millisecond
	}
	if o.MaxPending <= 0 {
		o.MaxPending = 100_000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Owner == "" {
		o.Owner = randomHex(8)
	}
	return &Trail{st: st, o: o, wake: make(chan struct{}, 1)}
}

// Retention is how long entries are kept.
func (t *Trail) Retention() time.Duration { return t.o.Retention }

// Record queues e; its id and time are set here when empty. It never
// blocks on the store.
func (t *Trail) Record(e Entry) {
	if e.At.IsZero() {
		e.At = t.o.Now()
	}
	e.At = e.At.UTC()
	if e.ID == "" {
		e.ID = entryID(e.At)
	}
	if e.Outcome == "" {
		e.Outcome = OutcomeOf(e.Status)
	}
	t.mu.Lock()
	t.pending = append(t.pending, e)
	if over := len(t.pending) - t.o.MaxPending; over > 0 {
		t.pending = append(t.pending[:0], t.pending[over:]...)
		t.base += uint64(over)
		t.dropped += over
	}
	full := len(t.pending) >= t.o.BatchSize
	t.mu.Unlock()
	if full {
		select {
		case t.wake <- struct{}{}:
		default:
		}
	}
}

// Write commits entries at once (the command line, which has no writer
// running).
func (t *Trail) Write(ctx context.Context, entries ...Entry) error {
	for _, e := range entries {
		t.Record(e)
	}
	return t.Flush(ctx)
}

// Flush commits every queued entry. On a store error the entries stay
// queued for the next flush.
func (t *Trail) Flush(ctx context.Context) error {
	t.flushMu.Lock()
	defer t.flushMu.Unlock()
	for {
		t.mu.Lock()
		n := min(len(t.pending), 500)
		batch, first := append([]Entry(nil), t.pending[:n]...), t.base
		dropped := t.dropped
		t.dropped = 0
		t.mu.Unlock()
		if dropped > 0 {
			t.o.Logger.Error("audit entries dropped: the store was unavailable and too many were waiting", "dropped", dropped)
		}
		if n == 0 {
			return nil
		}
		tx := store.Tx{Puts: make([]store.Put, 0, n)}
		for _, e := range batch {
			data, err := json.Marshal(e)
			if err != nil {
				return fmt.Errorf("audit: encode %s: %w", e.ID, err)
			}
			tx.Puts = append(tx.Puts, store.Put{Record: store.Record{Collection: Collection, ID: e.ID, Data: data, Index: index(e)}, Force: true})
		}
		if _, err := t.st.Commit(ctx, tx); err != nil {
			return fmt.Errorf("audit: commit %d entries: %w", n, err)
		}
		// Record may have dropped entries from the front while the commit
		// ran: remove only what is still queued of the committed batch.
		t.mu.Lock()
		if end := first + uint64(n); end > t.base {
			k := min(int(end-t.base), len(t.pending))
			t.pending = append(t.pending[:0], t.pending[k:]...)
			t.base += uint64(k)
		}
		t.mu.Unlock()
	}
}

// Run flushes queued entries every FlushEvery (or as soon as a batch is
// full) and sweeps expired entries once a day on the replica holding the
// lease, until ctx ends; then it flushes what is left.
func (t *Trail) Run(ctx context.Context) error {
	tick := time.NewTicker(t.o.FlushEvery)
	defer tick.Stop()
	nextSweep := t.o.Now()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := t.Flush(fctx); err != nil {
				t.o.Logger.Error("audit: final flush failed", "error", err.Error(), "pending", t.Pending())
			}
			return nil
		case <-tick.C:
		case <-t.wake:
		}
		if err := t.Flush(ctx); err != nil && ctx.Err() == nil {
			t.o.Logger.Error("audit: flush failed, will retry", "error", err.Error(), "pending", t.Pending())
		}
		if now := t.o.Now(); !now.Before(nextSweep) {
			nextSweep = now.Add(24 * time.Hour)
			if ok, err := t.st.AcquireLease(ctx, sweepLease, t.o.Owner, time.Hour); err == nil && ok {
				n, err := t.Sweep(ctx)
				switch {
				case err != nil && ctx.Err() == nil:
					t.o.Logger.Error("audit: retention sweep failed", "error", err.Error())
					nextSweep = now.Add(time.Hour)
				case n > 0:
					t.o.Logger.Info("audit: expired entries removed", "entries", n, "retention_days", int(t.o.Retention.Hours()/24))
				}
			}
		}
	}
}

// Pending is the number of entries not yet committed.
func (t *Trail) Pending() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pending)
}

// Sweep deletes the entries older than the retention and returns how many.
func (t *Trail) Sweep(ctx context.Context) (int, error) {
	stop := idPrefix(t.o.Now().Add(-t.o.Retention))
	removed := 0
	for {
		page, err := t.st.List(ctx, Collection, store.ListOptions{Limit: 500})
		if err != nil {
			return removed, err
		}
		var tx store.Tx
		for _, r := range page.Records {
			if r.ID >= stop {
				break
			}
			tx.Deletes = append(tx.Deletes, store.Delete{Collection: Collection, ID: r.ID})
		}
		if len(tx.Deletes) == 0 {
			return removed, nil
		}
		if _, err := t.st.Commit(ctx, tx); err != nil && !errors.Is(err, store.ErrNotFound) {
			return removed, err
		}
		removed += len(tx.Deletes)
		if len(tx.Deletes) < len(page.Records) || page.NextCursor == "" {
			return removed, nil
		}
	}
}

// Query selects entries; zero fields select everything.
type Query struct {
	From, To time.Time // To is exclusive
	Actor    string
	Target   string
	Action   string // "POST /api/v1/tickets/:id/events"
	Outcome  string
	Cursor   string
	Limit    int // 50 by default, at most 500
}

// Page is one page of entries, newest first.
type Page struct {
	Entries    []Entry `json:"entries"`
	NextCursor string  `json:"next_cursor,omitempty"`
}

// List returns the entries matching q, newest first, after flushing this
// replica's queue so that a reader sees what was just done.
func (t *Trail) List(ctx context.Context, q Query) (Page, error) {
	if err := t.Flush(ctx); err != nil {
		t.o.Logger.Error("audit: flush before listing failed", "error", err.Error())
	}
	limit := q.Limit
	switch {
	case limit <= 0:
		limit = 50
	case limit > 500:
		limit = 500
	}
	filter := map[string]string{}
	for k, v := range map[string]string{"actor": q.Actor, "target": q.Target, "action": q.Action, "outcome": q.Outcome} {
		if v != "" {
			filter[k] = v
		}
	}
	cursor := q.Cursor
	if cursor == "" && !q.To.IsZero() {
		cursor = store.EncodeCursor(idPrefix(q.To))
	}
	stop := ""
	if !q.From.IsZero() {
		stop = idPrefix(q.From)
	}
	var out Page
	for {
		page, err := t.st.List(ctx, Collection, store.ListOptions{Filter: filter, Limit: limit - len(out.Entries), Cursor: cursor, Reverse: true})
		if err != nil {
			return Page{}, err
		}
		for _, r := range page.Records {
			if r.ID < stop {
				return out, nil
			}
			var e Entry
			if err := json.Unmarshal(r.Data, &e); err != nil {
				return Page{}, fmt.Errorf("audit: entry %s: %w", r.ID, err)
			}
			out.Entries = append(out.Entries, e)
		}
		if page.NextCursor == "" {
			return out, nil
		}
		cursor = page.NextCursor
		if len(out.Entries) >= limit {
			out.NextCursor = cursor
			return out, nil
		}
	}
}

func index(e Entry) map[string]string {
	ix := map[string]string{"actor": e.Actor, "action": e.Action, "outcome": e.Outcome}
	if e.Target != "" {
		ix["target"] = e.Target
	}
	return ix
}

// idLayout is fixed-width, so ids sort as their times do.
const idLayout = "20060102T150405.000000000Z"

func idPrefix(t time.Time) string { return t.UTC().Format(idLayout) }

func entryID(at time.Time) string { return idPrefix(at) + "-" + randomHex(4) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
