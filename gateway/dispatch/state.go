package dispatch

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/resilience"
	"github.com/hallgate/hallgate/gateway/store"
)

// Collections written by the relay.
const (
	CollDeliveries = "deliveries" // per (ticket, destination); ID "<ticket>/<department>"
	CollAttempts   = "attempts"   // one per call that reached a connector; index ticket_id
)

// Delivery states.
const (
	StateQueued         = "queued"
	StateDelivered      = "delivered"
	StateRetrying       = "retrying"
	StateBreakerOpen    = "waiting_breaker_open"
	StateDead           = "dead"
	StateNoConnector    = "no_connector"
	StateNoConnectorMsg = "无对接系统，请部门在工作台处理"
	StateBreakerOpenMsg = "已排队，部门系统离线"
)

// DeliveryState is what a ticket shows for one destination.
type DeliveryState struct {
	TicketID       string    `json:"ticket_id"`
	Department     string    `json:"department"`
	Role           string    `json:"role,omitempty"`
	Connector      string    `json:"connector,omitempty"`
	Event          string    `json:"event"`
	IdempotencyKey string    `json:"idempotency_key"`
	OutboxID       string    `json:"outbox_id"`
	State          string    `json:"state"`
	Message        string    `json:"message,omitempty"` // Chinese, for the console
	Reference      string    `json:"reference,omitempty"`
	Duplicate      bool      `json:"duplicate,omitempty"`
	Attempts       int       `json:"attempts"`
	NextTry        time.Time `json:"next_try,omitzero"`
	LastError      string    `json:"last_error,omitempty"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// AttemptRecord is one stored attempt.
type AttemptRecord struct {
	resilience.Attempt
	TicketID       string `json:"ticket_id"`
	Department     string `json:"department"`
	Connector      string `json:"connector"`
	Event          string `json:"event"`
	IdempotencyKey string `json:"idempotency_key"`
	OutboxID       string `json:"outbox_id"`
	Relay          string `json:"relay"` // consumer that made it
}

// StateID is the record ID of a (ticket, destination) delivery state.
func StateID(ticketID, department string) string { return ticketID + "/" + department }

// QueuedPut is a put the ticket service may add to the Tx that enqueues a
// delivery, so the ticket shows "queued" from the first instant.
func QueuedPut(d connectors.Delivery, outboxID string, now time.Time) store.Put {
	st := DeliveryState{TicketID: d.TicketID, Department: d.Department, Role: d.Role, Event: d.Event,
		IdempotencyKey: d.IdempotencyKey, OutboxID: outboxID, State: StateQueued, UpdatedAt: now}
	return statePut(st)
}

func statePut(st DeliveryState) store.Put {
	data, _ := json.Marshal(st)
	idx := map[string]string{"ticket_id": st.TicketID, "department": st.Department, "state": st.State}
	if st.Reference != "" {
		// Polled systems name tickets by their own reference only.
		idx["reference"] = st.Department + ":" + st.Reference
	}
	return store.Put{Force: true, Record: store.Record{
		Collection: CollDeliveries, ID: StateID(st.TicketID, st.Department), Data: data, Index: idx,
	}}
}

// TicketByReference finds the ticket a department's own reference belongs to.
func TicketByReference(ctx context.Context, st store.Store, department, reference string) (string, error) {
	page, err := st.List(ctx, CollDeliveries, store.ListOptions{Filter: map[string]string{"reference": department + ":" + reference}, Limit: 1})
	if err != nil {
		return "", err
	}
	if len(page.Records) == 0 {
		return "", store.ErrNotFound
	}
	var s DeliveryState
	if err := json.Unmarshal(page.Records[0].Data, &s); err != nil {
		return "", err
	}
	return s.TicketID, nil
}

func attemptPut(a AttemptRecord, seq int) store.Put {
	data, _ := json.Marshal(a)
	return store.Put{Force: true, Record: store.Record{
		Collection: CollAttempts, ID: fmt.Sprintf("%s/%020d/%d", a.OutboxID, a.Start.UnixNano(), seq), Data: data,
		Index: map[string]string{"ticket_id": a.TicketID, "department": a.Department, "outcome": a.Outcome},
	}}
}

// TicketDeliveries lists a ticket's delivery states and attempts.
func TicketDeliveries(ctx context.Context, st store.Store, ticketID string) ([]DeliveryState, []AttemptRecord, error) {
	var states []DeliveryState
	if err := listAll(ctx, st, CollDeliveries, map[string]string{"ticket_id": ticketID}, func(r store.Record) error {
		var s DeliveryState
		if err := json.Unmarshal(r.Data, &s); err != nil {
			return err
		}
		states = append(states, s)
		return nil
	}); err != nil {
		return nil, nil, err
	}
	var attempts []AttemptRecord
	if err := listAll(ctx, st, CollAttempts, map[string]string{"ticket_id": ticketID}, func(r store.Record) error {
		var a AttemptRecord
		if err := json.Unmarshal(r.Data, &a); err != nil {
			return err
		}
		attempts = append(attempts, a)
		return nil
	}); err != nil {
		return nil, nil, err
	}
	return states, attempts, nil
}

func listAll(ctx context.Context, st store.Store, coll string, filter map[string]string, fn func(store.Record) error) error {
	cursor := ""
	for {
		page, err := st.List(ctx, coll, store.ListOptions{Filter: filter, Limit: store.MaxListLimit, Cursor: cursor})
		if err != nil {
			return fmt.Errorf("list %s: %w", coll, err)
		}
		for _, r := range page.Records {
			if err := fn(r); err != nil {
				return err
			}
		}
		if page.NextCursor == "" {
			return nil
		}
		cursor = page.NextCursor
	}
}
