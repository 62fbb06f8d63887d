package ticket

import (
	"errors"
	"slices"
	"time"
)

// Sentinel errors; handlers map them to HTTP statuses.
var (
	ErrNotFound   = errors.New("ticket: not found")
	ErrForbidden  = errors.New("ticket: forbidden") // role or department may not do this
	ErrConflict   = errors.New("ticket: conflict")  // concurrent update that retries could not resolve
	ErrInvalid    = errors.New("ticket: invalid")   // see *ValidationError
	ErrTransition = errors.New("ticket: transition not allowed")
	ErrIdemReuse  = errors.New("ticket: idempotency key reused with a different request")
	ErrInProgress = errors.New("ticket: a request with this idempotency key is in progress")
)

// Channel is where a request came in.
type Channel string

// Channels.
const (
	ChannelHotline    Channel = "hotline"
	ChannelWebsite    Channel = "website"
	ChannelApp        Channel = "app"
	ChannelOpen311    Channel = "open311"
	ChannelHall       Channel = "hall"
	ChannelDepartment Channel = "department" // parallel-mode department call centres
	ChannelPartner    Channel = "partner"
)

// Channels lists the accepted channels.
var Channels = []Channel{ChannelHotline, ChannelWebsite, ChannelApp, ChannelOpen311, ChannelHall, ChannelDepartment, ChannelPartner}

// RequestType is the 诉求类型.
type RequestType string

// Request types.
const (
	TypeEnquiry    RequestType = "咨询"
	TypeHelp       RequestType = "求助"
	TypeComplaint  RequestType = "投诉"
	TypeReport     RequestType = "举报"
	TypeSuggestion RequestType = "建议"
	TypePraise     RequestType = "表扬"
)

// RequestTypes lists the accepted request types.
var RequestTypes = []RequestType{TypeEnquiry, TypeHelp, TypeComplaint, TypeReport, TypeSuggestion, TypePraise}

// Status of a ticket.
type Status string

// Statuses.
const (
	StatusReceived    Status = "received"    // 受理
	StatusAnswered    Status = "answered"    // 直接答复: closed on the spot from the KB
	StatusDispatched  Status = "dispatched"  // 派单
	StatusAccepted    Status = "accepted"    // 签收
	StatusReturned    Status = "returned"    // 退单, waiting for re-assignment
	StatusReplied     Status = "replied"     // 答复, waiting for callback and rating
	StatusClosed      Status = "closed"      // 办结
	StatusDisposed    Status = "disposed"    // not accepted by 12345, routed elsewhere with a reason code
	StatusTransferred Status = "transferred" // emergency, transferred to 110/119/120/122
	StatusMerged      Status = "merged"      // 并单 into another ticket
)

// Final reports whether s ends the handling (deadlines stop counting).
func (s Status) Final() bool {
	switch s {
	case StatusAnswered, StatusClosed, StatusDisposed, StatusTransferred, StatusMerged:
		return true
	}
	return false
}

// Ratings on the 好差评 scale, best first.
var Ratings = []string{"非常满意", "满意", "基本满意", "不满意", "非常不满意"}

// BadRating reports whether r is one of the two bad ratings.
func BadRating(r string) bool { return r == "不满意" || r == "非常不满意" }

// Disposition reason codes for requests 12345 does not accept.
var DispositionCodes = []string{"litigation", "arbitration", "discipline", "reconsideration", "disclosure", "petition", "secrets"}

// EmergencyNumbers are the transfer targets.
var EmergencyNumbers = []string{"110", "119", "120", "122"}

// Caller is who called, in clear. At rest it is sealed (see sealedCaller).
type Caller struct {
	Name         string `json:"name,omitempty"`
	Phone        string `json:"phone,omitempty"`
	Confidential bool   `json:"confidential,omitempty"`
}

// Deadlines are computed on the working-day calendar and stored on the ticket.
type Deadlines struct {
	Dispatch      time.Time `json:"dispatch,omitzero"`     // 按时转出: dispatch (or answer) by then
	Due           time.Time `json:"due,omitzero"`          // reply due (办理时限), moved by extensions
	Warning       time.Time `json:"warning,omitzero"`      // scheduler warns from then on
	ReturnUntil   time.Time `json:"return_until,omitzero"` // the lead may return until then
	ExtendedDays  int       `json:"extended_days,omitempty"`
	PendingDays   int       `json:"pending_days,omitempty"` // extension asked, not decided
	PendingReason string    `json:"pending_reason,omitempty"`
}

// Event is one line of the append-only log.
type Event struct {
	Seq   int            `json:"seq"` // 1-based position in the log
	Type  string         `json:"type"`
	Actor string         `json:"actor"`
	Role  string         `json:"role,omitempty"`
	At    time.Time      `json:"at"`
	From  Status         `json:"from"`
	To    Status         `json:"to"`
	Note  string         `json:"note,omitempty"`
	Data  map[string]any `json:"data,omitempty"`
}

// Ticket is the 工单.
type Ticket struct {
	ID            string      `json:"id"`   // time-sortable: store order = intake order
	Code          string      `json:"code"` // public, read over the phone: JC20260301000042
	ExternalID    string      `json:"external_id,omitempty"`
	Historical    bool        `json:"historical,omitempty"` // imported, never handled here
	Channel       Channel     `json:"channel"`
	Type          RequestType `json:"type"`
	Text          string      `json:"text"`
	Caller        Caller      `json:"caller"`
	District      string      `json:"district,omitempty"`
	Address       string      `json:"address,omitempty"`
	Lat           *float64    `json:"lat,omitempty"`
	Long          *float64    `json:"long,omitempty"`
	Attachments   []string    `json:"attachments,omitempty"`
	Category      string      `json:"category,omitempty"`
	Urgent        bool        `json:"urgent,omitempty"`
	Department    string      `json:"department,omitempty"` // lead, 主办
	CoDepartments []string    `json:"co_departments,omitempty"`
	Related       []string    `json:"related,omitempty"`
	Merged        []string    `json:"merged,omitempty"` // tickets merged into this one
	MergedInto    string      `json:"merged_into,omitempty"`
	KBEntry       string      `json:"kb_entry,omitempty"`
	DirectAnswer  bool        `json:"direct_answer,omitempty"` // answered on the spot (首呼解决)
	Disposition   string      `json:"disposition,omitempty"`
	Emergency     string      `json:"emergency,omitempty"`
	Reply         string      `json:"reply,omitempty"`
	Rating        string      `json:"rating,omitempty"` // the rating that counts (the last one)
	Ratings       []string    `json:"ratings,omitempty"`
	Reopens       int         `json:"reopens,omitempty"`
	CalledBack    bool        `json:"called_back,omitempty"` // bad rating called back
	Supervisions  int         `json:"supervisions,omitempty"`
	Status        Status      `json:"status"`
	Deadlines     Deadlines   `json:"deadlines"`
	Warned        bool        `json:"warned,omitempty"`  // idempotent scheduler markers
	Overdue       bool        `json:"overdue,omitempty"` //
	CreatedAt     time.Time   `json:"created_at"`
	DispatchedAt  time.Time   `json:"dispatched_at,omitzero"` // first dispatch or answer
	RepliedAt     time.Time   `json:"replied_at,omitzero"`    // first reply
	ClosedAt      time.Time   `json:"closed_at,omitzero"`
	UpdatedAt     time.Time   `json:"updated_at"`
	// PersonalDataErasedAt is when the retention sweep removed the
	// caller's name and phone and scrubbed the texts (ErasePersonalData).
	PersonalDataErasedAt time.Time `json:"personal_data_erased_at,omitzero"`
	Events               []Event   `json:"events"`
	Version              uint64    `json:"version"`
}

// Deadline is the reply deadline shown to users.
func (t *Ticket) Deadline() time.Time { return t.Deadlines.Due }

// Handles reports whether department code is the lead or a co-department.
func (t *Ticket) Handles(code string) bool {
	return code != "" && (t.Department == code || slices.Contains(t.CoDepartments, code))
}

// Clone returns a deep copy, so transitions never mutate a shared value.
func (t *Ticket) Clone() *Ticket {
	c := *t
	c.Attachments = slices.Clone(t.Attachments)
	c.CoDepartments = slices.Clone(t.CoDepartments)
	c.Related = slices.Clone(t.Related)
	c.Merged = slices.Clone(t.Merged)
	c.Ratings = slices.Clone(t.Ratings)
	c.Events = slices.Clone(t.Events)
	return &c
}

// FieldError names one invalid field.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// ValidationError lists every invalid field at once; it wraps ErrInvalid.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	s := "ticket: invalid:"
	for _, f := range e.Fields {
		s += " " + f.Field + " (" + f.Reason + ")"
	}
	return s
}

func (e *ValidationError) Unwrap() error { return ErrInvalid }

func (e *ValidationError) add(field, reason string) {
	e.Fields = append(e.Fields, FieldError{field, reason})
}

func (e *ValidationError) orNil() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// TransitionError says an event is not allowed now and lists what is.
type TransitionError struct {
	Event   string
	Status  Status
	Reason  string
	Allowed []string
}

func (e *TransitionError) Error() string {
	s := "ticket: event " + e.Event + " not allowed in status " + string(e.Status)
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

func (e *TransitionError) Unwrap() error { return ErrTransition }
