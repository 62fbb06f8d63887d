package topics

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinel errors of the package.
var (
	ErrInvalid    = errors.New("topics: invalid input")
	ErrNotFound   = errors.New("topics: topic not found")
	ErrBadOptions = errors.New("topics: bad options")
	ErrNoAction   = errors.New("topics: action not configured")
)

// TicketSignal is what the detector needs to know about one ticket. It is
// deliberately independent of gateway/ticket so the core has no dependency
// on the ticket service. Text may contain personal data: the detector keeps
// only its terms, never the text itself.
type TicketSignal struct {
	ID         string    `json:"id"`
	Code       string    `json:"code,omitempty"`
	Text       string    `json:"text"`
	District   string    `json:"district,omitempty"`
	Address    string    `json:"address,omitempty"`
	Category   string    `json:"category,omitempty"`
	Department string    `json:"department,omitempty"`
	Type       string    `json:"type,omitempty"`
	Created    time.Time `json:"created"`
}

// MaxTextBytes bounds the analysed text of one signal.
const MaxTextBytes = 16 << 10

// Validate reports every problem at once.
func (s TicketSignal) Validate() error {
	var errs []error
	if strings.TrimSpace(s.ID) == "" {
		errs = append(errs, errors.New("id is empty"))
	}
	if strings.TrimSpace(s.Text) == "" {
		errs = append(errs, errors.New("text is empty"))
	}
	if !utf8.ValidString(s.Text) {
		errs = append(errs, errors.New("text is not UTF-8"))
	}
	if s.Created.IsZero() {
		errs = append(errs, errors.New("created is zero"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}
