package knowledgebase

import (
	"errors"
	"strings"
)

// Sentinel errors of the knowledge-base service; check them with errors.Is.
// The HTTP layer maps them: ErrNotFound 404, ErrInvalid and
// ErrUnknownDepartment 422, ErrForbidden 403, ErrConflict, ErrDuplicateTitle
// and ErrTransition 409, ErrVersionRequired 428, ErrBadQuery 400.
var (
	ErrNotFound          = errors.New("knowledgebase: not found")
	ErrInvalid           = errors.New("knowledgebase: invalid")
	ErrUnknownDepartment = errors.New("knowledgebase: unknown department")
	ErrForbidden         = errors.New("knowledgebase: forbidden")
	ErrConflict          = errors.New("knowledgebase: version conflict")
	ErrDuplicateTitle    = errors.New("knowledgebase: duplicate title")
	ErrTransition        = errors.New("knowledgebase: transition not allowed")
	ErrVersionRequired   = errors.New("knowledgebase: version required")
)

// FieldError names one invalid field.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// ValidationError lists every problem of one entry or item; it wraps
// ErrInvalid, or ErrUnknownDepartment when that is the only problem.
type ValidationError struct{ Fields []FieldError }

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Reason
	}
	return "invalid: " + strings.Join(parts, "; ")
}

// Unwrap lets errors.Is see ErrInvalid, and ErrUnknownDepartment when a
// department field is unknown.
func (e *ValidationError) Unwrap() []error {
	out := []error{ErrInvalid}
	for _, f := range e.Fields {
		if f.Reason == reasonUnknownDepartment {
			out = append(out, ErrUnknownDepartment)
			break
		}
	}
	return out
}

const reasonUnknownDepartment = "unknown department"

type fieldErrors []FieldError

func (f *fieldErrors) add(field, reason string) { *f = append(*f, FieldError{field, reason}) }

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &ValidationError{Fields: f}
}
