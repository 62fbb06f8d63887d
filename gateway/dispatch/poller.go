package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/gateway/store"
)

// ApplyEvent applies a department's event to its ticket. The lead adapts
// ticket.Service.ApplyDepartmentEvent to it (dropping the *Ticket), which
// keeps dispatch free of an import of gateway/ticket.
type ApplyEvent func(ctx context.Context, department string, ev connectors.Event) error

// EventKey is the idempotency key of a department event: shared by signed
// callbacks and polling, so an event that arrives both ways applies once.
func EventKey(connector, eventID string) string { return "callback:" + connector + ":" + eventID }

// EventKeyTTL is how long event ids are remembered.
const EventKeyTTL = 7 * 24 * time.Hour

// CollPollCursors keeps, per polled connector, the time polled up to.
const CollPollCursors = "poll_cursors"

// PollerOptions tune the poller.
type PollerOptions struct {
	Interval time.Duration // default 1 m
	Owner    string        // this replica's id for the per-connector lease
	Logger   *slog.Logger
}

// Poller pulls events from connectors that implement
// connectors.StatusPoller (systems that cannot call back). One replica polls
// each connector at a time, under a lease.
type Poller struct {
	st    store.Store
	reg   *Registry
	apply ApplyEvent
	o     PollerOptions
	now   func() time.Time
}

// NewPoller builds a poller.
func NewPoller(st store.Store, reg *Registry, apply ApplyEvent, o PollerOptions) *Poller {
	if o.Interval <= 0 {
		o.Interval = time.Minute
	}
	if o.Owner == "" {
		o.Owner = fmt.Sprintf("poller-%d", time.Now().UnixNano())
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Poller{st: st, reg: reg, apply: apply, o: o, now: time.Now}
}

// Run polls every interval until ctx ends.
func (p *Poller) Run(ctx context.Context) error {
	t := time.NewTicker(p.o.Interval)
	defer t.Stop()
	for {
		if _, err := p.PollOnce(ctx); err != nil && ctx.Err() == nil {
			p.o.Logger.Warn("status poll failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func pollerOf(c connectors.Connector) (connectors.StatusPoller, bool) {
	for c != nil {
		if sp, ok := c.(connectors.StatusPoller); ok {
			return sp, true
		}
		u, ok := c.(interface{ Unwrap() connectors.Connector })
		if !ok {
			return nil, false
		}
		c = u.Unwrap()
	}
	return nil, false
}

type cursor struct {
	Since time.Time `json:"since"`
}

// PollOnce polls every pollable connector once and returns how many new
// events were applied. Errors of one connector do not stop the others.
func (p *Poller) PollOnce(ctx context.Context) (int, error) {
	applied := 0
	var errs []error
	for _, e := range p.reg.List() {
		sp, ok := pollerOf(e.Connector)
		if !ok {
			continue
		}
		n, err := p.pollOne(ctx, e, sp)
		applied += n
		if err != nil && !errors.Is(err, errNotOwner) {
			errs = append(errs, fmt.Errorf("poll %s: %w", e.Name, err))
		}
	}
	return applied, errors.Join(errs...)
}

var errNotOwner = errors.New("another replica polls this connector")

func (p *Poller) pollOne(ctx context.Context, e Entry, sp connectors.StatusPoller) (int, error) {
	lease := "poll:" + e.Name
	ok, err := p.st.AcquireLease(ctx, lease, p.o.Owner, 3*p.o.Interval)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, errNotOwner
	}
	var cur cursor
	ver := uint64(0)
	rec, err := p.st.Get(ctx, CollPollCursors, e.Name)
	switch {
	case err == nil:
		_ = json.Unmarshal(rec.Data, &cur)
		ver = rec.Version
	case errors.Is(err, store.ErrNotFound):
		cur.Since = p.now().Add(-24 * time.Hour) // first poll: the last day
	default:
		return 0, err
	}
	started := p.now()
	events, err := sp.Poll(ctx, cur.Since)
	if err != nil {
		return 0, err
	}
	applied := 0
	next := cur.Since
	for _, ev := range events {
		if ev.ID == "" {
			continue // cannot deduplicate: ignored rather than applied twice
		}
		if ev.TicketID == "" && ev.TicketCode == "" && ev.Reference != "" {
			id, err := TicketByReference(ctx, p.st, e.Department, ev.Reference)
			if err != nil {
				p.o.Logger.Warn("polled event for an unknown reference", "connector", e.Name, "event", ev.ID, "err", err)
				continue
			}
			ev.TicketID = id
		}
		key := EventKey(e.Name, ev.ID)
		_, fresh, err := p.st.PutIfAbsent(ctx, key, []byte("poll"), EventKeyTTL)
		if err != nil {
			return applied, err
		}
		if fresh && p.apply != nil {
			if err := p.apply(ctx, e.Department, ev); err != nil {
				_ = p.st.ForgetIdempotency(ctx, key)
				p.o.Logger.Warn("polled event not applied", "connector", e.Name, "event", ev.ID, "err", err)
				continue
			}
			applied++
		}
		if ev.At.After(next) {
			next = ev.At
		}
	}
	if len(events) == 0 {
		next = started.Add(-time.Minute) // tolerate clock skew with the legacy system
	}
	if next.After(cur.Since) {
		data, _ := json.Marshal(cursor{Since: next})
		put := store.Put{Record: store.Record{Collection: CollPollCursors, ID: e.Name, Data: data}, ExpectVersion: ver}
		if _, err := p.st.Commit(ctx, store.Tx{Puts: []store.Put{put}}); err != nil && !errors.Is(err, store.ErrConflict) {
			return applied, err
		}
	}
	return applied, nil
}
