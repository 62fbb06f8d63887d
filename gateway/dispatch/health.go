package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/resilience"
	"github.com/hallgate/hallgate/gateway/store"
)

// latencyWindow is how many recent attempts the p95 is computed over.
const latencyWindow = 256

type connStats struct {
	lastSuccess, lastFailure time.Time
	lastError                string
	delivered, failed        int64
	lat                      [latencyWindow]time.Duration
	n                        int
}

type statsBook struct {
	mu sync.Mutex
	m  map[string]*connStats
}

func newStatsBook() *statsBook { return &statsBook{m: map[string]*connStats{}} }

func (b *statsBook) observe(name string, a resilience.Attempt) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.m[name]
	if s == nil {
		s = &connStats{}
		b.m[name] = s
	}
	s.lat[s.n%latencyWindow] = a.Duration
	s.n++
	end := a.Start.Add(a.Duration)
	switch a.Outcome {
	case resilience.OutcomeDelivered, resilience.OutcomeDuplicate, resilience.OutcomePermanent:
		// A permanent refusal still shows the system is up.
		if a.Outcome != resilience.OutcomePermanent {
			s.delivered++
		}
		s.lastSuccess = end
	case resilience.OutcomeRetryable:
		s.failed++
		s.lastFailure, s.lastError = end, a.Error
	}
}

func (b *statsBook) snapshot(name string) (connStats, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.m[name]
	if s == nil {
		return connStats{}, 0
	}
	k := min(s.n, latencyWindow)
	lat := slices.Clone(s.lat[:k])
	slices.Sort(lat)
	var p95 time.Duration
	if k > 0 {
		p95 = lat[(k*95+99)/100-1]
	}
	return *s, p95
}

// ConnectorHealth is one row of GET /api/v1/connectors.
type ConnectorHealth struct {
	Name          string    `json:"name"`
	Kind          string    `json:"kind,omitempty"`
	Department    string    `json:"department"`
	Breaker       string    `json:"breaker"` // closed, half-open, open, none
	QueueDepth    int       `json:"queue_depth"`
	OldestWaiting time.Time `json:"oldest_waiting,omitzero"`
	LastSuccess   time.Time `json:"last_success,omitzero"`
	LastFailure   time.Time `json:"last_failure,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
	P95Ms         float64   `json:"p95_ms"`
	Delivered     int64     `json:"delivered"`
	Failed        int64     `json:"failed"`
	DeadLetters   int       `json:"dead_letters"`
	InFlight      int       `json:"in_flight"`
	Status        string    `json:"status"` // Chinese summary for the admin page
}

// maxDeadScan bounds the dead letters read for health figures.
const maxDeadScan = 10000

// Health reports every connector, plus departments with queued work and no
// connector (so that nothing waits invisibly).
func (r *Relay) Health(ctx context.Context) ([]ConnectorHealth, error) {
	pending, err := r.st.Pending(ctx, r.cfg.Topic)
	if err != nil {
		return nil, fmt.Errorf("health: %w", err)
	}
	dead, err := r.st.ListDeadLetters(ctx, r.cfg.Topic, maxDeadScan)
	if err != nil {
		return nil, fmt.Errorf("health: %w", err)
	}
	deadBy := map[string]int{}
	for _, d := range dead {
		deadBy[d.Item.Key]++
	}
	var out []ConnectorHealth
	seen := map[string]bool{}
	for _, e := range r.reg.List() {
		seen[e.Department] = true
		s, p95 := r.stats.snapshot(e.Name)
		h := ConnectorHealth{Name: e.Name, Kind: e.Kind, Department: e.Department, Breaker: string(e.BreakerState()),
			QueueDepth: pending[e.Department].Depth, OldestWaiting: pending[e.Department].Oldest,
			LastSuccess: s.lastSuccess, LastFailure: s.lastFailure, LastError: s.lastError,
			P95Ms: float64(p95.Microseconds()) / 1000, Delivered: s.delivered, Failed: s.failed, DeadLetters: deadBy[e.Department]}
		if c, ok := e.Connector.(interface{ InFlight() int }); ok {
			h.InFlight = c.InFlight()
		}
		switch h.Breaker {
		case "open":
			h.Status = "部门系统离线，工单已排队"
		case "half-open":
			h.Status = "正在试探部门系统"
		default:
			h.Status = "正常"
		}
		out = append(out, h)
	}
	for dept, q := range pending {
		if !seen[dept] {
			out = append(out, ConnectorHealth{Department: dept, Breaker: "none", QueueDepth: q.Depth, OldestWaiting: q.Oldest,
				DeadLetters: deadBy[dept], Status: StateNoConnectorMsg})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Department < out[j].Department })
	return out, nil
}

// DeadLetterView is one row of GET /api/v1/deadletters.
type DeadLetterView struct {
	ID         string    `json:"id"`
	TicketID   string    `json:"ticket_id,omitempty"`
	TicketCode string    `json:"ticket_code,omitempty"`
	Department string    `json:"department"`
	Connector  string    `json:"connector,omitempty"`
	Event      string    `json:"event,omitempty"`
	Reason     string    `json:"reason"`
	Attempts   int       `json:"attempts"`
	LastError  string    `json:"last_error,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	At         time.Time `json:"at"`
}

// DeadLetters lists dead letters, optionally of one connector's department.
func (r *Relay) DeadLetters(ctx context.Context, connector string, limit int) ([]DeadLetterView, error) {
	dept := ""
	if connector != "" {
		e, ok := r.reg.ByName(connector)
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrUnknownConnector, connector)
		}
		dept = e.Department
	}
	dead, err := r.st.ListDeadLetters(ctx, r.cfg.Topic, maxDeadScan)
	if err != nil {
		return nil, err
	}
	out := []DeadLetterView{}
	for _, dl := range dead {
		if dept != "" && dl.Item.Key != dept {
			continue
		}
		v := DeadLetterView{ID: dl.Item.ID, Department: dl.Item.Key, Reason: dl.Reason, Attempts: dl.Item.Attempts,
			LastError: dl.Item.LastError, CreatedAt: dl.Item.CreatedAt, At: dl.At}
		var d connectors.Delivery
		if json.Unmarshal(dl.Item.Payload, &d) == nil {
			v.TicketID, v.TicketCode, v.Event = d.TicketID, d.TicketCode, d.Event
		}
		if e, ok := r.reg.ByDepartment(dl.Item.Key); ok {
			v.Connector = e.Name
		}
		out = append(out, v)
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}

// Redrive puts one dead letter back on the queue with its attempts reset.
func (r *Relay) Redrive(ctx context.Context, id string) error {
	if err := r.st.Redrive(ctx, r.cfg.Topic, id); err != nil {
		return fmt.Errorf("redrive %s: %w", id, err)
	}
	return nil
}

// RedriveConnector redrives every dead letter of the connector's department
// and returns how many went back on the queue.
func (r *Relay) RedriveConnector(ctx context.Context, name string) (int, error) {
	views, err := r.DeadLetters(ctx, name, 0)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, v := range views {
		if err := r.st.Redrive(ctx, r.cfg.Topic, v.ID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				continue // redriven concurrently
			}
			return n, fmt.Errorf("redrive %s: %w", v.ID, err)
		}
		n++
	}
	return n, nil
}

// Registry returns the relay's connector registry.
func (r *Relay) Registry() *Registry { return r.reg }
