package routing

import (
	"context"
	"errors"
)

// Sentinel errors; wrap with %w and check with errors.Is.
var (
	ErrInvalid     = errors.New("routing: invalid input")
	ErrNotFound    = errors.New("routing: not found")
	ErrConflict    = errors.New("routing: conflict")
	ErrUnknownDept = errors.New("routing: unknown department")
)

// Request types (诉求类型) as DOMAIN.md names them.
var RequestTypes = []string{"咨询", "求助", "投诉", "举报", "建议", "表扬"}

// DepartmentInfo is what the suggester needs to know about a department.
type DepartmentInfo struct {
	Code             string `json:"code"`
	Name             string `json:"name"`
	ShortName        string `json:"short_name"`
	Responsibilities string `json:"responsibilities"`
}

// Example is one labelled ticket the suggester learns from.
type Example struct {
	ID            string   `json:"id,omitempty"`
	Text          string   `json:"text"`
	District      string   `json:"district,omitempty"`
	Channel       string   `json:"channel,omitempty"`
	Type          string   `json:"type,omitempty"`
	Department    string   `json:"department"`
	CoDepartments []string `json:"co_departments,omitempty"`
	Urgent        bool     `json:"urgent"`
	DirectAnswer  bool     `json:"direct_answer"`
	// starter marks a shipped starter example (starter.go): learned from,
	// never quoted, never a vote on urgency or co-departments.
	starter bool
}

// KBEntry is a knowledge-base entry as training material: its department
// labels its question, keywords and answer.
type KBEntry struct {
	ID         string   `json:"id"`
	Question   string   `json:"question"`
	Answer     string   `json:"answer"`
	Department string   `json:"department"`
	Category   string   `json:"category"`
	Keywords   []string `json:"keywords"`
}

// KBHit is one knowledge-base search result offered to the suggester.
type KBHit struct {
	ID         string  `json:"id"`
	Question   string  `json:"question"`
	Department string  `json:"department"`
	Score      float64 `json:"score"`
}

// KBSearch searches the knowledge base (the lead wires it to the index).
type KBSearch func(ctx context.Context, text string, limit int) ([]KBHit, error)

// KBEntries lists the knowledge base's entries as training material.
type KBEntries func(ctx context.Context) ([]KBEntry, error)

// Departments lists the departments the suggester may propose.
type Departments func(ctx context.Context) ([]DepartmentInfo, error)

// Query is one suggestion request.
type Query struct {
	Text     string `json:"text"`
	District string `json:"district,omitempty"`
	Channel  string `json:"channel,omitempty"`
}

// Candidate is one scored department.
type Candidate struct {
	Department string  `json:"department"`
	Score      float64 `json:"score"`
}

// DirectAnswer is a KB entry an agent could answer from on the spot.
type DirectAnswer struct {
	ID       string `json:"id"`
	Question string `json:"question"`
}

// Suggestion is the suggester's answer, with its reasons in Chinese.
type Suggestion struct {
	Department    string         `json:"department"`
	CoDepartments []string       `json:"co_departments"`
	Candidates    []Candidate    `json:"candidates"`
	Type          string         `json:"type"`
	Urgent        bool           `json:"urgent"`
	UrgentScore   float64        `json:"urgent_score"`
	DirectAnswer  []DirectAnswer `json:"direct_answer"`
	Evidence      []string       `json:"evidence"`
	// Emergency: the services (110, 119, 120, 122) an urgent request should
	// be transferred to at once; empty when none.
	Emergency []Emergency `json:"emergency"`
	// ModelPending: the model is being rebuilt after a bulk change and the
	// suggestion did not wait for it (Options.StaleWait).
	ModelPending bool `json:"model_pending,omitempty"`
}
