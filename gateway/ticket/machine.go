package ticket

import (
	"slices"

	"github.com/hallgate/hallgate/gateway/auth"
)

// Event types. The first group is posted through the API; the second is
// written by the service itself.
const (
	EvAnswer        = "answer"
	EvDispatch      = "dispatch"
	EvAccept        = "accept"
	EvReturn        = "return"
	EvProgress      = "progress"
	EvReply         = "reply"
	EvRate          = "rate"
	EvCallback      = "callback" // bad rating called back (100 % rule); annotation only
	EvClose         = "close"
	EvReopen        = "reopen"
	EvExtendRequest = "extend_request"
	EvExtendApprove = "extend_approve"
	EvExtendRefuse  = "extend_refuse"
	EvSupervise     = "supervise"
	EvMerge         = "merge"
	EvDispose       = "dispose"
	EvTransfer      = "transfer_emergency"

	EvIntake  = "intake"
	EvImport  = "import"
	EvAbsorb  = "absorb"  // another ticket was merged into this one
	EvWarning = "warning" // deadline near (scheduler)
	EvOverdue = "overdue" // deadline passed (scheduler)
)

// Command is the body of POST /api/v1/tickets/{id}/events.
type Command struct {
	Type          string   `json:"type"`
	KBEntry       string   `json:"kb_entry,omitempty"`
	Department    string   `json:"department,omitempty"`
	CoDepartments []string `json:"co_departments,omitempty"`
	Reason        string   `json:"reason,omitempty"`
	Text          string   `json:"text,omitempty"`
	Rating        string   `json:"rating,omitempty"`
	Days          int      `json:"days,omitempty"`
	Into          string   `json:"into,omitempty"`
	ReasonCode    string   `json:"reason_code,omitempty"`
	Number        string   `json:"number,omitempty"`
	Note          string   `json:"note,omitempty"`
	Attachments   []string `json:"attachments,omitempty"`
}

// who is the set of actor kinds a rule admits.
type who uint8

const (
	wAgent      who = 1 << iota // agent, supervisor, admin
	wSupervisor                 // supervisor, admin
	wLead                       // department principal of the lead department
	wCo                         // department principal of a co-department
	wSystem                     // the service itself (scheduler, merges)
)

// rule is one row group of the transition table: in any of from, the event
// moves to `to` (sameStatus = unchanged; a nil `to` is decided by apply).
type rule struct {
	from     []Status
	to       Status
	who      who
	required []string // body fields; missing → 422
}

const sameStatus Status = ""

var (
	open     = []Status{StatusReceived, StatusDispatched, StatusAccepted, StatusReturned, StatusReplied}
	handling = []Status{StatusDispatched, StatusAccepted}
)

// table is the state machine. Guards that depend on the ticket (return
// window, pending extension, first bad rating) live in apply and answer 409
// with a reason.
var table = map[string]rule{
	EvAnswer:        {from: []Status{StatusReceived, StatusReturned}, to: StatusAnswered, who: wAgent, required: []string{"kb_entry"}},
	EvDispatch:      {from: []Status{StatusReceived, StatusReturned, StatusDispatched, StatusAccepted}, to: StatusDispatched, who: wAgent, required: []string{"department"}},
	EvAccept:        {from: []Status{StatusDispatched}, to: StatusAccepted, who: wLead},
	EvReturn:        {from: []Status{StatusDispatched}, to: StatusReturned, who: wLead, required: []string{"reason"}},
	EvProgress:      {from: handling, to: sameStatus, who: wLead | wCo, required: []string{"note"}},
	EvReply:         {from: handling, to: StatusReplied, who: wLead, required: []string{"text"}},
	EvRate:          {from: []Status{StatusReplied, StatusClosed, StatusAnswered}, who: wAgent, required: []string{"rating"}},
	EvCallback:      {from: append(slices.Clone(open), StatusClosed, StatusAnswered), to: sameStatus, who: wAgent, required: []string{"note"}},
	EvClose:         {from: []Status{StatusReceived, StatusReplied}, to: StatusClosed, who: wAgent},
	EvReopen:        {from: []Status{StatusReplied, StatusClosed, StatusAnswered}, who: wSupervisor},
	EvExtendRequest: {from: handling, to: sameStatus, who: wLead, required: []string{"days", "reason"}},
	EvExtendApprove: {from: handling, to: sameStatus, who: wSupervisor},
	EvExtendRefuse:  {from: handling, to: sameStatus, who: wSupervisor},
	EvSupervise:     {from: open, to: sameStatus, who: wSupervisor},
	EvMerge:         {from: []Status{StatusReceived, StatusDispatched, StatusAccepted, StatusReturned}, to: StatusMerged, who: wAgent, required: []string{"into"}},
	EvDispose:       {from: []Status{StatusReceived, StatusReturned}, to: StatusDisposed, who: wAgent, required: []string{"reason_code"}},
	EvTransfer:      {from: []Status{StatusReceived, StatusReturned, StatusDispatched}, to: StatusTransferred, who: wAgent, required: []string{"number"}},

	EvAbsorb:  {from: open, to: sameStatus, who: wSystem},
	EvWarning: {from: open, to: sameStatus, who: wSystem},
	EvOverdue: {from: open, to: sameStatus, who: wSystem},
}

// PostableEvents are the event types the API accepts, in a stable order.
var PostableEvents = []string{EvAnswer, EvDispatch, EvAccept, EvReturn, EvProgress, EvReply, EvRate, EvCallback, EvClose, EvReopen,
	EvExtendRequest, EvExtendApprove, EvExtendRefuse, EvSupervise, EvMerge, EvDispose, EvTransfer}

// actorKinds says which kinds principal p is for ticket t.
func actorKinds(p auth.Principal, t *Ticket) who {
	var w who
	if p.Has(auth.RoleAgent) || p.Has(auth.RoleSupervisor) || p.Has(auth.RoleAdmin) {
		w |= wAgent
	}
	if p.Has(auth.RoleSupervisor) || p.Has(auth.RoleAdmin) {
		w |= wSupervisor
	}
	for _, d := range p.Departments() {
		if d == t.Department {
			w |= wLead
		} else if slices.Contains(t.CoDepartments, d) {
			w |= wCo
		}
	}
	return w
}

// Allowed lists the events p may post on t in its current state (guards
// that need the body, like the rating's value, are not evaluated).
func Allowed(p auth.Principal, t *Ticket) []string {
	kinds := actorKinds(p, t)
	var out []string
	for _, ev := range PostableEvents {
		r := table[ev]
		if r.who&kinds != 0 && slices.Contains(r.from, t.Status) {
			out = append(out, ev)
		}
	}
	return out
}
