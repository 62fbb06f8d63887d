package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/resilience"
	"github.com/hallgate/hallgate/gateway/store"
)

// Relay moves deliveries from the outbox to the departments' systems.
type Relay struct {
	st    store.Store
	reg   *Registry
	cfg   Config
	log   *slog.Logger
	stats *statsBook
	ins   instruments
	now   func() time.Time

	// lastState remembers the state written per delivery so that an item
	// bouncing off an open breaker is not rewritten every few seconds.
	lastMu    sync.Mutex
	lastState map[string]string

	wake chan struct{}
}

// Options are the relay's collaborators.
type Options struct {
	Logger        *slog.Logger
	MeterProvider metric.MeterProvider // default otel.GetMeterProvider()
}

// New validates cfg (after defaults) and builds a relay.
func New(st store.Store, reg *Registry, cfg Config, opts Options) (*Relay, error) {
	if cfg.Consumer == "" {
		host, _ := os.Hostname()
		cfg.Consumer = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MeterProvider == nil {
		opts.MeterProvider = otel.GetMeterProvider()
	}
	r := &Relay{st: st, reg: reg, cfg: cfg, log: opts.Logger, stats: newStatsBook(), now: time.Now, lastState: map[string]string{}, wake: make(chan struct{}, 1)}
	if err := r.registerMetrics(opts.MeterProvider); err != nil {
		return nil, fmt.Errorf("dispatch metrics: %w", err)
	}
	return r, nil
}

// Config returns the effective configuration.
func (r *Relay) Config() Config { return r.cfg }

// Wake makes an idle relay claim at once instead of at its next poll; call
// it after committing a Tx that enqueued deliveries (cheap, never blocks).
// Other replicas still find the work at their next poll.
func (r *Relay) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run claims and delivers until ctx ends; items in flight at shutdown are
// released (not counted) so another replica takes them at once.
func (r *Relay) Run(ctx context.Context) error {
	sem := make(chan struct{}, r.cfg.Workers)
	var wg sync.WaitGroup
	// Deliveries in flight when ctx ends get DrainTimeout to finish and be
	// acked; only then are they cancelled and released. Without the grace
	// a department that already took the item would get it again.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	stopDrain := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(r.cfg.DrainTimeout, cancelWork)
		<-work.Done()
		t.Stop()
	})
	defer func() {
		wg.Wait()
		stopDrain()
		cancelWork()
	}()
	idle := time.NewTimer(0)
	defer idle.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-idle.C:
		case <-r.wake:
			if !idle.Stop() {
				select {
				case <-idle.C:
				default:
				}
			}
		}
		// Claim only as many items as there are free workers, so nothing
		// sits claimed behind a busy worker while its lease runs.
		free := 0
	fill:
		for free < r.cfg.Batch {
			select {
			case sem <- struct{}{}:
				free++
			default:
				break fill
			}
		}
		if free == 0 {
			select { // every worker busy: wait for one
			case sem <- struct{}{}:
				free = 1
			case <-ctx.Done():
				return nil
			}
		}
		items, err := r.st.Claim(ctx, r.cfg.Topic, r.cfg.Consumer, free, r.cfg.Lease)
		for range free - len(items) {
			<-sem
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.log.Warn("dispatch claim failed", "err", err)
			idle.Reset(time.Second)
			continue
		}
		for _, it := range items {
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				r.process(work, it)
			}()
		}
		if len(items) == 0 {
			idle.Reset(r.cfg.PollInterval)
		} else {
			idle.Reset(0)
		}
	}
}

// storeCtx outlives the run ctx briefly so that results of a finished call
// and releases at shutdown still reach the store.
func storeCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

// process handles one claimed item end to end.
func (r *Relay) process(ctx context.Context, it store.OutboxItem) {
	sctx, cancel := storeCtx(ctx)
	defer cancel()
	var d connectors.Delivery
	if err := json.Unmarshal(it.Payload, &d); err != nil || d.TicketID == "" {
		r.deadLetter(sctx, it, nil, fmt.Sprintf("malformed delivery payload: %v", err))
		return
	}
	if d.Department == "" {
		d.Department = it.Key
	}
	st := DeliveryState{TicketID: d.TicketID, Department: d.Department, Role: d.Role, Event: d.Event,
		IdempotencyKey: d.IdempotencyKey, OutboxID: it.ID, Attempts: it.Attempts}
	age := r.now().Sub(firstNonZero(d.CreatedAt, it.CreatedAt))

	entry, ok := r.reg.ByDepartment(d.Department)
	if !ok {
		st.State, st.Message = StateNoConnector, StateNoConnectorMsg
		if age > r.cfg.MaxAge {
			st.State = StateDead
			r.deadLetter(sctx, it, &st, "no connector for department "+d.Department)
			return
		}
		st.NextTry = r.now().Add(r.cfg.NoConnectorWait)
		r.writeState(sctx, st, nil)
		r.retry(sctx, it, st.NextTry, connectors.ErrNoConnector.Error(), false)
		return
	}
	st.Connector = entry.Name

	// A delivery never outlives its lease: past it another worker may
	// already have the item.
	dctx, dcancel := context.WithTimeout(ctx, max(r.cfg.Lease-r.cfg.Lease/10, r.cfg.Lease/2))
	defer dcancel()
	if d.TraceParent != "" {
		dctx = propagation.TraceContext{}.Extract(dctx, propagation.MapCarrier{"traceparent": d.TraceParent})
	}
	var (
		amu      sync.Mutex
		attempts []resilience.Attempt
	)
	dctx = resilience.WithAttemptRecorder(dctx, func(a resilience.Attempt) {
		amu.Lock()
		attempts = append(attempts, a)
		amu.Unlock()
	})
	rc, err := entry.Connector.Deliver(dctx, d)
	amu.Lock()
	recs := make([]AttemptRecord, 0, len(attempts))
	for _, a := range attempts {
		recs = append(recs, AttemptRecord{Attempt: a, TicketID: d.TicketID, Department: d.Department, Connector: entry.Name,
			Event: d.Event, IdempotencyKey: d.IdempotencyKey, OutboxID: it.ID, Relay: r.cfg.Consumer})
		r.stats.observe(entry.Name, a)
		r.recordAttempt(sctx, entry.Name, a)
	}
	amu.Unlock()

	switch {
	case err == nil:
		st.State, st.Reference, st.Duplicate, st.Attempts = StateDelivered, rc.Reference, rc.Duplicate, it.Attempts+1
		r.writeState(sctx, st, recs)
		if err := r.st.Ack(sctx, it); err != nil && !errors.Is(err, store.ErrLeaseLost) {
			r.log.Warn("dispatch ack failed", "outbox_id", it.ID, "err", err)
		}
		r.forget(st)
	case errors.Is(err, resilience.ErrBreakerOpen):
		st.State, st.Message = StateBreakerOpen, StateBreakerOpenMsg
		st.NextTry = r.now().Add(jitterUp(r.cfg.BreakerWait))
		r.writeState(sctx, st, recs)
		r.retry(sctx, it, st.NextTry, err.Error(), false)
	case ctx.Err() != nil:
		// Shutdown: hand the item back untouched.
		r.writeState(sctx, st, recs)
		if err := r.st.Release(sctx, []store.OutboxItem{it}); err != nil {
			r.log.Warn("dispatch release failed", "outbox_id", it.ID, "err", err)
		}
	case connectors.IsPermanent(err):
		st.State, st.LastError, st.Attempts = StateDead, err.Error(), it.Attempts+1
		r.deadLetter(sctx, it, &st, "permanent: "+err.Error(), recs...)
	default:
		st.Attempts, st.LastError = it.Attempts+1, err.Error()
		if age > r.cfg.MaxAge {
			st.State = StateDead
			r.deadLetter(sctx, it, &st, fmt.Sprintf("still failing after %v: %v", age.Round(time.Second), err), recs...)
			return
		}
		st.State = StateRetrying
		st.NextTry = r.now().Add(r.backoff(it.Attempts+1, resilience.RetryAfter(err)))
		r.writeState(sctx, st, recs)
		r.retry(sctx, it, st.NextTry, err.Error(), true)
	}
}

// backoff is the relay's wait before counted attempt n+1: exponential,
// capped, equal-jittered so that a department coming back is not hit by
// every item at once; a longer Retry-After wins.
func (r *Relay) backoff(attempts int, retryAfter time.Duration) time.Duration {
	d := r.cfg.RetryBase
	for i := 1; i < attempts && d < r.cfg.RetryMax; i++ {
		d *= 2
	}
	d = min(d, r.cfg.RetryMax)
	d = d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
	return max(d, retryAfter)
}

func jitterUp(d time.Duration) time.Duration {
	return d + time.Duration(rand.Int64N(int64(d/2)+1))
}

func (r *Relay) retry(ctx context.Context, it store.OutboxItem, at time.Time, lastErr string, count bool) {
	if err := r.st.Retry(ctx, it, at, truncate(lastErr, 500), count); err != nil && !errors.Is(err, store.ErrLeaseLost) {
		r.log.Warn("dispatch retry failed", "outbox_id", it.ID, "err", err)
	}
}

func (r *Relay) deadLetter(ctx context.Context, it store.OutboxItem, st *DeliveryState, reason string, recs ...AttemptRecord) {
	if st != nil {
		st.State, st.LastError = StateDead, truncate(reason, 500)
		r.writeState(ctx, *st, recs)
		r.forget(*st)
	}
	// The reason may quote a department's answer, which can echo personal
	// data of the ticket: it is kept with the dead letter, not logged.
	r.log.Warn("delivery dead-lettered", "outbox_id", it.ID, "department", it.Key, "attempts", it.Attempts)
	if err := r.st.DeadLetter(ctx, it, truncate(reason, 500)); err != nil && !errors.Is(err, store.ErrLeaseLost) {
		r.log.Warn("dispatch dead-letter failed", "outbox_id", it.ID, "err", err)
	}
}

// writeState commits the attempts and, when it changed, the delivery state.
func (r *Relay) writeState(ctx context.Context, st DeliveryState, recs []AttemptRecord) {
	id := StateID(st.TicketID, st.Department)
	r.lastMu.Lock()
	same := r.lastState[id] == st.State+"|"+st.OutboxID
	r.lastState[id] = st.State + "|" + st.OutboxID
	r.lastMu.Unlock()
	var tx store.Tx
	if !same || st.State == StateRetrying {
		st.UpdatedAt = r.now().UTC()
		tx.Puts = append(tx.Puts, statePut(st))
	}
	for i, a := range recs {
		tx.Puts = append(tx.Puts, attemptPut(a, i))
	}
	if len(tx.Puts) == 0 {
		return
	}
	if _, err := r.st.Commit(ctx, tx); err != nil {
		r.log.Warn("dispatch record failed", "outbox_id", st.OutboxID, "err", err)
	}
}

func (r *Relay) forget(st DeliveryState) {
	r.lastMu.Lock()
	delete(r.lastState, StateID(st.TicketID, st.Department))
	r.lastMu.Unlock()
}

func firstNonZero(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Now()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) > n {
		r = r[:n]
	}
	return string(r) + "…"
}
