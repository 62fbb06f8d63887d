package topics

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
)

// Store names used by the detector.
const (
	CollectionTopics = "topics"
	CollectionState  = "topic_state"
	StateID          = "engine"
	TopicSignal      = "topic-signal" // outbox topic of observed tickets
	TopicAlert       = "topic-alert"  // outbox topic of alerts to deliver
	LeaseName        = "topics/detector"
)

// Options configure a Detector.
type Options struct {
	Store  store.Store
	Engine EngineOptions
	// Owner names this replica in leases (default host-pid-random).
	Owner string
	// LeaseTTL is how long the processing lease lasts without renewal (15s).
	LeaseTTL time.Duration
	// PollInterval is the pause when the queue is empty or the lease is
	// held elsewhere (default 250ms).
	PollInterval time.Duration
	// Batch is the most signals processed per commit (default 256).
	Batch  int
	Logger *slog.Logger
	// Now is the clock for topic statuses (default time.Now).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Owner == "" {
		host, _ := os.Hostname()
		var b [4]byte
		_, _ = rand.Read(b[:])
		o.Owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	if o.LeaseTTL == 0 {
		o.LeaseTTL = 15 * time.Second
	}
	if o.PollInterval == 0 {
		o.PollInterval = 250 * time.Millisecond
	}
	if o.Batch == 0 {
		o.Batch = 256
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Validate reports every problem at once.
func (o Options) Validate() error {
	o = o.withDefaults()
	var errs []error
	if o.Store == nil {
		errs = append(errs, errors.New("Store is nil"))
	}
	if o.LeaseTTL < time.Second {
		errs = append(errs, fmt.Errorf("LeaseTTL %s is below 1s", o.LeaseTTL))
	}
	if o.PollInterval <= 0 || o.PollInterval >= o.LeaseTTL {
		errs = append(errs, fmt.Errorf("PollInterval %s must be positive and below LeaseTTL", o.PollInterval))
	}
	if o.Batch < 1 || o.Batch > store.MaxClaim {
		errs = append(errs, fmt.Errorf("Batch %d is outside [1, %d]", o.Batch, store.MaxClaim))
	}
	if err := o.Engine.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrBadOptions, err)
	}
	return nil
}

// Detector is the replicated front of the engine: any replica may Observe;
// the lease holder processes. See the package documentation.
type Detector struct {
	o Options

	mu      sync.Mutex
	eng     *Engine // nil until loaded under the lease
	version uint64  // version of the state record eng was loaded from or last wrote
	// leaseUntil is when the lease this replica last took or renewed runs
	// out at the earliest (measured before the call).
	leaseUntil time.Time
}

// Open validates the options and returns a detector. It does no I/O beyond
// what the store already did: the state is loaded when the lease is taken.
func Open(ctx context.Context, o Options) (*Detector, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &Detector{o: o.withDefaults()}, nil
}

// SignalItem returns the outbox item that queues s for detection, for a
// caller that wants to enqueue it in its own transaction (the ticket's
// commit) instead of paying a separate durable write in Observe.
func SignalItem(s TicketSignal) (store.OutboxItem, error) {
	if err := s.Validate(); err != nil {
		return store.OutboxItem{}, err
	}
	payload, err := json.Marshal(s)
	if err != nil {
		return store.OutboxItem{}, fmt.Errorf("topics signal %s: %w", s.ID, err)
	}
	return store.OutboxItem{ID: TopicSignal + "/" + s.ID, Topic: TopicSignal, Key: "topics", Payload: payload}, nil
}

// Observe queues a ticket for detection. It is durable when it returns and
// idempotent per ticket id (a signal already queued is not queued twice; a
// ticket processed in the last 24 h is ignored by the engine).
func (d *Detector) Observe(ctx context.Context, s TicketSignal) error {
	it, err := SignalItem(s)
	if err != nil {
		return err
	}
	_, err = d.o.Store.Commit(ctx, store.Tx{Enqueue: []store.OutboxItem{it}})
	if errors.Is(err, store.ErrConflict) {
		return nil // already queued
	}
	if err != nil {
		return fmt.Errorf("topics observe %s: %w", s.ID, err)
	}
	return nil
}

// Run processes queued signals while this replica holds the lease, until
// ctx ends. Errors of one round are logged and retried after PollInterval.
func (d *Detector) Run(ctx context.Context) error {
	defer func() {
		// Let another replica take over at once.
		_ = d.o.Store.ReleaseLease(context.WithoutCancel(ctx), LeaseName, d.o.Owner)
	}()
	for {
		n, err := d.ProcessOnce(ctx)
		if err != nil && ctx.Err() == nil {
			d.o.Logger.Warn("topics: processing round failed", "err", err)
		}
		if n > 0 && err == nil {
			continue // more may be waiting
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(d.o.PollInterval):
		}
	}
}

// ProcessOnce takes or renews the lease and, when held, processes one batch.
// It returns how many signals were processed.
func (d *Detector) ProcessOnce(ctx context.Context) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	// Renew only once a third of the lease has run: polling every 250 ms,
	// renewing each time was four store writes a second on an idle gateway.
	if d.eng == nil || time.Until(d.leaseUntil) < d.o.LeaseTTL*2/3 {
		start := time.Now()
		held, err := d.o.Store.AcquireLease(ctx, LeaseName, d.o.Owner, d.o.LeaseTTL)
		if err != nil {
			return 0, fmt.Errorf("topics lease: %w", err)
		}
		if !held {
			d.eng = nil // another replica moves the state on; reload when we get the lease back
			return 0, nil
		}
		d.leaseUntil = start.Add(d.o.LeaseTTL)
	}
	if d.eng == nil {
		if err := d.load(ctx); err != nil {
			return 0, err
		}
	}
	items, err := d.o.Store.Claim(ctx, TopicSignal, d.o.Owner, d.o.Batch, d.o.LeaseTTL)
	if err != nil || len(items) == 0 {
		return 0, err
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].CreatedAt.Before(items[j].CreatedAt) })
	changed := map[string]bool{}
	merged := map[string]string{}
	var alarms []Alarm
	var bad []store.OutboxItem
	for _, it := range items {
		var s TicketSignal
		if err := json.Unmarshal(it.Payload, &s); err != nil {
			bad = append(bad, it)
			continue
		}
		res, err := d.eng.Process(s)
		if err != nil {
			bad = append(bad, it)
			continue
		}
		if c := d.eng.Cluster(res.ClusterID); c != nil && c.Flagged {
			changed[c.ID] = true
		}
		for from, to := range res.Merged {
			merged[from] = to
			changed[to] = true
		}
		if res.Alarm != nil {
			alarms = append(alarms, *res.Alarm)
			changed[res.Alarm.TopicID] = true
		}
	}
	if err := d.commit(ctx, changed, merged, alarms); err != nil {
		d.eng = nil // the stored state is the truth: reload before the next round
		_ = d.o.Store.Release(context.WithoutCancel(ctx), items)
		return 0, err
	}
	for _, it := range bad {
		_ = d.o.Store.DeadLetter(ctx, it, "undecodable or invalid ticket signal")
	}
	for _, it := range items {
		if err := d.o.Store.Ack(ctx, it); err != nil && !errors.Is(err, store.ErrLeaseLost) && !errors.Is(err, store.ErrNotFound) {
			d.o.Logger.Warn("topics: ack failed; the signal will be replayed and ignored", "err", err)
		}
	}
	return len(items), nil
}

func (d *Detector) load(ctx context.Context) error {
	eng, err := NewEngine(d.o.Engine)
	if err != nil {
		return err
	}
	rec, err := d.o.Store.Get(ctx, CollectionState, StateID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		d.version = 0
	case err != nil:
		return fmt.Errorf("topics load state: %w", err)
	default:
		if err := eng.LoadState(rec.Data); err != nil {
			return err
		}
		d.version = rec.Version
	}
	d.eng = eng
	return nil
}

// commit writes the engine state, the changed topics and the new alerts in
// one transaction, guarded by the state's version so a replica that lost
// the lease cannot overwrite its successor's work.
func (d *Detector) commit(ctx context.Context, changed map[string]bool, merged map[string]string, alarms []Alarm) error {
	state, err := d.eng.MarshalState()
	if err != nil {
		return err
	}
	tx := store.Tx{Puts: []store.Put{{Record: store.Record{Collection: CollectionState, ID: StateID, Data: state}, ExpectVersion: d.version}}}
	fired := map[string]Alarm{}
	for _, a := range alarms {
		fired[a.TopicID] = a
	}
	ids := make([]string, 0, len(changed))
	for id := range changed {
		if _, gone := merged[id]; !gone {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		t, ok := d.eng.Topic(id)
		if !ok {
			continue
		}
		prev, err := d.getTopic(ctx, id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		t.Fired = prev.Fired
		t.Alpha = prev.Alpha
		if a, ok := fired[id]; ok && !t.Fired {
			t.Fired, t.Alpha = true, a.Alpha
			body, err := json.Marshal(alertBody{Event: "topic.flagged", Topic: t, Alarm: a})
			if err != nil {
				return err
			}
			tx.Enqueue = append(tx.Enqueue, store.OutboxItem{ID: TopicAlert + "/" + id, Topic: TopicAlert, Key: "webhook", Payload: body})
		}
		put, err := topicPut(t)
		if err != nil {
			return err
		}
		tx.Puts = append(tx.Puts, put)
	}
	// Topics absorbed by another point to it.
	gone := make([]string, 0, len(merged))
	for from := range merged {
		gone = append(gone, from)
	}
	sort.Strings(gone)
	for _, from := range gone {
		prev, err := d.getTopic(ctx, from)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		prev.Status, prev.MergedInto = StatusMerged, merged[from]
		put, err := topicPut(prev)
		if err != nil {
			return err
		}
		tx.Puts = append(tx.Puts, put)
	}
	recs, err := d.o.Store.Commit(ctx, tx)
	if err != nil {
		return fmt.Errorf("topics commit: %w", err)
	}
	d.version = recs[0].Version
	return nil
}

type alertBody struct {
	Event string `json:"event"`
	Topic Topic  `json:"topic"`
	Alarm Alarm  `json:"alarm"`
}

func topicPut(t Topic) (store.Put, error) {
	data, err := json.Marshal(t)
	if err != nil {
		return store.Put{}, fmt.Errorf("topics encode %s: %w", t.ID, err)
	}
	idx := map[string]string{"district": t.District}
	if t.Status == StatusMerged {
		idx["merged"] = "1"
	} else {
		idx["merged"] = "0"
	}
	return store.Put{Record: store.Record{Collection: CollectionTopics, ID: t.ID, Data: data, Index: idx}, Force: true}, nil
}

func (d *Detector) getTopic(ctx context.Context, id string) (Topic, error) {
	rec, err := d.o.Store.Get(ctx, CollectionTopics, id)
	if errors.Is(err, store.ErrNotFound) {
		return Topic{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return Topic{}, fmt.Errorf("topics get %s: %w", id, err)
	}
	var t Topic
	if err := json.Unmarshal(rec.Data, &t); err != nil {
		return Topic{}, fmt.Errorf("topics decode %s: %w", id, err)
	}
	return t, nil
}

// Get returns a stored topic with its status as of now.
func (d *Detector) Get(ctx context.Context, id string) (Topic, error) {
	t, err := d.getTopic(ctx, id)
	if err != nil {
		return Topic{}, err
	}
	eo := d.o.Engine.withDefaults()
	t.Status = t.StatusAt(d.o.Now(), eo.Window, eo.Cooldown)
	return t, nil
}

// ListFilter selects topics for the supervisor view.
type ListFilter struct {
	Status   string // rising, active, closed; "" = all but merged
	District string
	Limit    int // default 50
}

// List returns topics, most recently active first.
func (d *Detector) List(ctx context.Context, f ListFilter) ([]Topic, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	filter := map[string]string{"merged": "0"}
	if f.Status == StatusMerged {
		filter["merged"] = "1"
	}
	if f.District != "" {
		filter["district"] = f.District
	}
	eo := d.o.Engine.withDefaults()
	now := d.o.Now()
	var out []Topic
	cursor := ""
	for {
		page, err := d.o.Store.List(ctx, CollectionTopics, store.ListOptions{Filter: filter, Limit: store.MaxListLimit, Cursor: cursor})
		if err != nil {
			return nil, fmt.Errorf("topics list: %w", err)
		}
		for _, rec := range page.Records {
			var t Topic
			if err := json.Unmarshal(rec.Data, &t); err != nil {
				return nil, fmt.Errorf("topics decode %s: %w", rec.ID, err)
			}
			t.Status = t.StatusAt(now, eo.Window, eo.Cooldown)
			if f.Status != "" && t.Status != f.Status {
				continue
			}
			out = append(out, t)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].LastSeen.Equal(out[j].LastSeen) {
			return out[i].LastSeen.After(out[j].LastSeen)
		}
		return out[i].ID < out[j].ID
	})
	if len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}
