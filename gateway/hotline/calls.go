package hotline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hallgate/hallgate/gateway/pii"
	"github.com/hallgate/hallgate/gateway/store"
)

// Call event types posted by CTI integrations.
const (
	EventRinging  = "ringing"
	EventAnswered = "answered"
	EventHangup   = "hangup"
)

// Call statuses.
const (
	StatusRinging    = "ringing"
	StatusAnswered   = "answered"
	StatusEnded      = "ended"
	StatusMissed     = "missed"      // hung up before an agent answered: on the call-back list
	StatusCalledBack = "called_back" // a missed call an agent has returned
)

const collCalls = "calls"

// CallEvent is the generic push of a CTI integration.
type CallEvent struct {
	CallID string    `json:"call_id"`
	Event  string    `json:"event"`
	From   string    `json:"from"`  // ANI: the caller
	To     string    `json:"to"`    // DNIS: the dialled number
	Agent  string    `json:"agent"` // agent id or seat
	At     time.Time `json:"at"`
}

// Validate reports every problem of the event at once.
func (e CallEvent) Validate() error {
	var problems []string
	if e.CallID == "" || len(e.CallID) > 128 {
		problems = append(problems, "call_id: 必填，且不超过128个字符")
	}
	switch e.Event {
	case EventRinging, EventAnswered, EventHangup:
	default:
		problems = append(problems, "event: 必须是 ringing、answered 或 hangup")
	}
	if e.Event == EventRinging && e.From == "" {
		problems = append(problems, "from: 振铃事件必须带主叫号码")
	}
	if len(e.From) > 64 || len(e.To) > 64 || len(e.Agent) > 64 {
		problems = append(problems, "from/to/agent: 过长")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(problems, "; "))
	}
	return nil
}

// Call is the record of one call. The caller's number is sealed; CallerHash
// is the keyed hash of its normalised form, the same one tickets carry.
type Call struct {
	ID           string    `json:"id"`
	CallerSealed string    `json:"caller_sealed,omitempty"`
	CallerHash   string    `json:"caller_hash,omitempty"`
	CallerKind   string    `json:"caller_kind,omitempty"`
	Confidence   float64   `json:"confidence"`
	Dialled      string    `json:"dialled"`
	Department   string    `json:"department,omitempty"`
	Agent        string    `json:"agent,omitempty"`
	Status       string    `json:"status"`
	RingingAt    time.Time `json:"ringing_at,omitzero"`
	AnsweredAt   time.Time `json:"answered_at,omitzero"`
	EndedAt      time.Time `json:"ended_at,omitzero"`
	CalledBackAt time.Time `json:"called_back_at,omitzero"`
	CalledBackBy string    `json:"called_back_by,omitempty"`
	Tickets      []string  `json:"tickets,omitempty"`
	Version      uint64    `json:"version"`
}

// TicketSummary is how a caller's earlier ticket appears on the screen pop.
type TicketSummary struct {
	ID         string    `json:"id"`
	Code       string    `json:"code"`
	Status     string    `json:"status"`
	Open       bool      `json:"open"`
	Type       string    `json:"type"`
	Department string    `json:"department"`
	Summary    string    `json:"summary"`
	CreatedAt  time.Time `json:"created_at"`
	Deadline   time.Time `json:"deadline,omitzero"`
}

// Suggestion is a knowledge-base entry offered for the dialled department.
type Suggestion struct {
	ID       string `json:"id"`
	Question string `json:"question"`
}

// ScreenPop is what the agent sees when the phone rings.
type ScreenPop struct {
	CallID string `json:"call_id"`
	Caller struct {
		Number     string  `json:"number"` // as the agent's role may see it
		Kind       string  `json:"kind"`
		Confidence float64 `json:"confidence"` // how sure the match of the number is
		Known      bool    `json:"known"`
		Tickets    int     `json:"tickets"`
		OpenCount  int     `json:"open_tickets"`
	} `json:"caller"`
	Dialled struct {
		Number       string `json:"number"`
		Department   string `json:"department,omitempty"`
		Mode         string `json:"mode,omitempty"`
		ServiceHours string `json:"service_hours,omitempty"`
	} `json:"dialled"`
	History     []TicketSummary `json:"history"`
	Suggestions []Suggestion    `json:"kb_suggestions"`
}

// Lookups connect the screen pop to the ticket store and the knowledge base.
type Lookups struct {
	// History returns the caller's tickets across all departments.
	History func(ctx context.Context, callerHash string, limit int) ([]TicketSummary, error)
	// Suggestions returns KB entries for a department.
	Suggestions func(ctx context.Context, department string, limit int) ([]Suggestion, error)
}

// Calls records call events and builds screen pops.
type Calls struct {
	st       store.Store
	registry *Registry
	norm     Normalizer
	sealer   *pii.Sealer
	lookups  Lookups
	now      func() time.Time
}

// NewCalls wires the call service.
func NewCalls(st store.Store, registry *Registry, norm Normalizer, sealer *pii.Sealer, lookups Lookups) *Calls {
	return &Calls{st: st, registry: registry, norm: norm, sealer: sealer, lookups: lookups, now: time.Now}
}

// CallerHash returns the keyed hash of a raw number's normalised form, the
// key tickets and calls are looked up by; ok is false for non-numbers.
func (s *Calls) CallerHash(raw string) (hash string, n Number, ok bool) {
	n, err := s.norm.Normalize(raw)
	if err != nil {
		return "", Number{}, false
	}
	return s.sealer.Hash(n.Key), n, true
}

// Handle records an event; on ringing it returns the screen pop.
func (s *Calls) Handle(ctx context.Context, ev CallEvent, historyLimit int) (*ScreenPop, Call, error) {
	if err := ev.Validate(); err != nil {
		return nil, Call{}, err
	}
	if ev.At.IsZero() {
		ev.At = s.now()
	}
	ev.At = ev.At.UTC()
	if ev.Event != EventRinging {
		call, err := s.apply(ctx, ev)
		return nil, call, err
	}
	// The agent waits for the pop while the phone rings: look the caller up
	// while the call record is being made durable, not after.
	var (
		wg       sync.WaitGroup
		call     Call
		applyErr error
	)
	wg.Go(func() { call, applyErr = s.apply(ctx, ev) })
	probe := Call{ID: ev.CallID, Dialled: ev.To}
	if h, n, ok := s.CallerHash(ev.From); ok {
		probe.CallerHash, probe.CallerKind, probe.Confidence = h, n.Kind, n.Confidence
	}
	pop, popErr := s.screenPop(ctx, probe, ev.From, historyLimit)
	wg.Wait()
	if applyErr != nil {
		return nil, Call{}, applyErr
	}
	return pop, call, popErr
}

func (s *Calls) apply(ctx context.Context, ev CallEvent) (Call, error) {
	for attempt := 0; ; attempt++ {
		call, err := s.Get(ctx, ev.CallID)
		if errors.Is(err, store.ErrNotFound) {
			call = Call{ID: ev.CallID}
		} else if err != nil {
			return Call{}, err
		}
		if err := s.fold(&call, ev); err != nil {
			return Call{}, err
		}
		saved, err := s.put(ctx, call)
		if errors.Is(err, store.ErrConflict) && attempt < 5 {
			continue // a concurrent event for the same call: fold again
		}
		return saved, err
	}
}

// fold applies ev to call; events may arrive out of order, so a later state
// is never overwritten by an earlier one.
func (s *Calls) fold(call *Call, ev CallEvent) error {
	if ev.From != "" && call.CallerSealed == "" {
		sealed, err := s.sealer.Seal(ev.From)
		if err != nil {
			return err
		}
		call.CallerSealed = sealed
		if h, n, ok := s.CallerHash(ev.From); ok {
			call.CallerHash, call.CallerKind, call.Confidence = h, n.Kind, n.Confidence
		}
	}
	if ev.To != "" && call.Dialled == "" {
		call.Dialled = ev.To
	}
	if ev.Agent != "" {
		call.Agent = ev.Agent
	}
	switch ev.Event {
	case EventRinging:
		if call.RingingAt.IsZero() {
			call.RingingAt = ev.At
		}
		if call.Status == "" {
			call.Status = StatusRinging
		}
	case EventAnswered:
		call.AnsweredAt = ev.At
		if call.Status == "" || call.Status == StatusRinging {
			call.Status = StatusAnswered
		}
	case EventHangup:
		call.EndedAt = ev.At
		switch call.Status {
		case StatusAnswered:
			call.Status = StatusEnded
		case "", StatusRinging:
			call.Status = StatusMissed
		}
	}
	return nil
}

// Get returns one call.
func (s *Calls) Get(ctx context.Context, id string) (Call, error) {
	rec, err := s.st.Get(ctx, collCalls, id)
	if err != nil {
		return Call{}, err
	}
	var c Call
	if err := json.Unmarshal(rec.Data, &c); err != nil {
		return Call{}, fmt.Errorf("decode call %s: %w", id, err)
	}
	c.Version = rec.Version
	return c, nil
}

func (s *Calls) put(ctx context.Context, c Call) (Call, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return Call{}, err
	}
	idx := callIndex(c)
	recs, err := s.st.Commit(ctx, store.Tx{Puts: []store.Put{{
		Record:        store.Record{Collection: collCalls, ID: c.ID, Data: data, Index: idx},
		ExpectVersion: c.Version,
	}}})
	if err != nil {
		return Call{}, err
	}
	c.Version = recs[0].Version
	return c, nil
}

func (s *Calls) screenPop(ctx context.Context, call Call, rawFrom string, historyLimit int) (*ScreenPop, error) {
	pop := &ScreenPop{CallID: call.ID, History: []TicketSummary{}, Suggestions: []Suggestion{}}
	pop.Caller.Number = rawFrom
	pop.Caller.Kind = call.CallerKind
	pop.Caller.Confidence = call.Confidence
	pop.Dialled.Number = call.Dialled
	if call.Dialled != "" && s.registry != nil {
		if h, err := s.registry.Get(ctx, call.Dialled); err == nil {
			pop.Dialled.Department, pop.Dialled.Mode, pop.Dialled.ServiceHours = h.Department, h.Mode, h.ServiceHours
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	if call.CallerHash != "" && s.lookups.History != nil {
		hist, err := s.lookups.History(ctx, call.CallerHash, historyLimit)
		if err != nil {
			return nil, fmt.Errorf("screen pop history: %w", err)
		}
		SortHistory(hist)
		pop.History = hist
		pop.Caller.Known = len(hist) > 0
		pop.Caller.Tickets = len(hist)
		for _, t := range hist {
			if t.Open {
				pop.Caller.OpenCount++
			}
		}
	}
	if pop.Dialled.Department != "" && s.lookups.Suggestions != nil {
		sug, err := s.lookups.Suggestions(ctx, pop.Dialled.Department, 5)
		if err == nil {
			pop.Suggestions = sug
		}
	}
	return pop, nil
}

// SortHistory puts open tickets first, then the newest.
func SortHistory(h []TicketSummary) {
	slices.SortStableFunc(h, func(a, b TicketSummary) int {
		if a.Open != b.Open {
			if a.Open {
				return -1
			}
			return 1
		}
		return b.CreatedAt.Compare(a.CreatedAt)
	})
}

// MissedCall is one entry of the call-back list, with the number opened for
// the agent who will call back.
type MissedCall struct {
	Call
	Number string `json:"number"`
}

// Missed lists missed calls not yet returned, oldest first.
func (s *Calls) Missed(ctx context.Context, limit int) ([]MissedCall, error) {
	page, err := s.st.List(ctx, collCalls, store.ListOptions{Filter: map[string]string{"status": StatusMissed}, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]MissedCall, 0, len(page.Records))
	for _, rec := range page.Records {
		var c Call
		if err := json.Unmarshal(rec.Data, &c); err != nil {
			return nil, err
		}
		c.Version = rec.Version
		num, err := s.sealer.Open(c.CallerSealed)
		if err != nil {
			return nil, err
		}
		c.CallerSealed = ""
		out = append(out, MissedCall{Call: c, Number: num})
	}
	slices.SortFunc(out, func(a, b MissedCall) int { return a.RingingAt.Compare(b.RingingAt) })
	return out, nil
}

// MarkCalledBack takes a missed call off the call-back list.
func (s *Calls) MarkCalledBack(ctx context.Context, id, agent string) (Call, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return Call{}, err
	}
	if c.Status != StatusMissed {
		return Call{}, fmt.Errorf("%w: 通话 %s 不在漏接回拨列表中（状态 %s）", ErrInvalid, id, c.Status)
	}
	c.Status, c.CalledBackAt, c.CalledBackBy = StatusCalledBack, s.now().UTC(), agent
	return s.put(ctx, c)
}

// LinkTicket records that ticketID was filed during the call.
func (s *Calls) LinkTicket(ctx context.Context, id, ticketID string) (Call, error) {
	for attempt := 0; ; attempt++ {
		c, err := s.Get(ctx, id)
		if err != nil {
			return Call{}, err
		}
		if slices.Contains(c.Tickets, ticketID) {
			return c, nil
		}
		c.Tickets = append(c.Tickets, ticketID)
		saved, err := s.put(ctx, c)
		if errors.Is(err, store.ErrConflict) && attempt < 5 {
			continue
		}
		return saved, err
	}
}
