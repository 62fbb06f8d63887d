package connectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Delivery is one (ticket, destination, event) to hand to a department's
// system. It is also the JSON payload of the "delivery" outbox topic.
type Delivery struct {
	IdempotencyKey string          `json:"idempotency_key"` // stable per (ticket, destination, event)
	TicketID       string          `json:"ticket_id"`
	TicketCode     string          `json:"ticket_code"` // public code read over the phone
	Department     string          `json:"department"`  // destination department code
	Role           string          `json:"role"`        // "lead" (主办) or "co" (协办)
	Event          string          `json:"event"`       // ticket event that caused it: dispatch, supervise, reopen, ...
	Ticket         json.RawMessage `json:"ticket"`      // canonical ticket document, personal data as the department may see it
	TraceParent    string          `json:"traceparent,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
}

// Receipt is what the department's system answered.
type Receipt struct {
	Reference string `json:"reference,omitempty"` // the department's own id for the ticket
	Status    int    `json:"status,omitempty"`    // transport status (HTTP code), 0 when none
	Duplicate bool   `json:"duplicate,omitempty"` // the system had already received this idempotency key
}

// Event kinds a department sends back.
const (
	EventAccepted           = "accepted"
	EventReturned           = "returned"
	EventProgress           = "progress"
	EventReplied            = "replied"
	EventExtensionRequested = "extension_requested"
	EventKBProposal         = "kb_proposal"
)

// Event is one message from a department's system about a ticket.
type Event struct {
	ID          string          `json:"id"` // unique per department system, for duplicate protection
	Type        string          `json:"type"`
	TicketID    string          `json:"ticket_id,omitempty"`
	TicketCode  string          `json:"ticket_code,omitempty"`
	Reference   string          `json:"reference,omitempty"`
	Reason      string          `json:"reason,omitempty"`
	Note        string          `json:"note,omitempty"`
	Text        string          `json:"text,omitempty"`
	Days        int             `json:"days,omitempty"`
	Attachments []string        `json:"attachments,omitempty"`
	Proposal    json.RawMessage `json:"proposal,omitempty"` // KB entry or service item for kb_proposal
	At          time.Time       `json:"at"`
}

// Connector delivers to one department system.
type Connector interface {
	Name() string
	Deliver(ctx context.Context, d Delivery) (Receipt, error)
}

// Optional powers, found by type assertion.
type (
	// HealthChecker reports whether the legacy system answers.
	HealthChecker interface {
		Health(ctx context.Context) error
	}
	// StatusPoller pulls events for systems that cannot call back.
	StatusPoller interface {
		Poll(ctx context.Context, since time.Time) ([]Event, error)
	}
	// CatalogueSyncer pulls a department's service items and FAQ entries.
	CatalogueSyncer interface {
		SyncCatalogue(ctx context.Context) (entries []json.RawMessage, items []json.RawMessage, err error)
	}
)

// ErrPermanent marks failures that no retry can fix (4xx, validation); they
// never trip a breaker. ErrRetryable marks transient failures.
var (
	ErrPermanent = errors.New("connectors: permanent failure")
	ErrRetryable = errors.New("connectors: retryable failure")
	// ErrNoConnector means the department has no connector configured.
	ErrNoConnector = errors.New("connectors: no connector for department")
)

// Error carries a classified failure with the downstream status and an
// optional Retry-After.
type Error struct {
	Kind       error // ErrPermanent or ErrRetryable
	Status     int
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("status %d: %v", e.Status, e.Err)
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() []error { return []error{e.Kind, e.Err} }

// Permanent wraps err as a permanent failure.
func Permanent(status int, err error) error {
	return &Error{Kind: ErrPermanent, Status: status, Err: err}
}

// Retryable wraps err as a retryable failure with an optional Retry-After.
func Retryable(status int, retryAfter time.Duration, err error) error {
	return &Error{Kind: ErrRetryable, Status: status, RetryAfter: retryAfter, Err: err}
}

// IsPermanent reports whether err must not be retried.
func IsPermanent(err error) bool { return errors.Is(err, ErrPermanent) }
