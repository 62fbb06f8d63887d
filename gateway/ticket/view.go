package ticket

import (
	"slices"
	"time"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/pii"
)

// seesCallerInClear decides, per principal and ticket, whether the caller's
// name and phone are shown (see the package doc for the policy).
func seesCallerInClear(p auth.Principal, t *Ticket) bool {
	if p.Has(auth.RoleAgent) || p.Has(auth.RoleSupervisor) || p.Has(auth.RoleAdmin) {
		return true
	}
	if !t.Caller.Confidential {
		for _, d := range p.Departments() {
			if t.Handles(d) {
				return true
			}
		}
	}
	return false
}

// ShowsCaller reports whether View(p, t) shows a caller's name or phone
// in clear (what the audit trail records as a read of personal data).
func ShowsCaller(p auth.Principal, t *Ticket) bool {
	return (t.Caller.Name != "" || t.Caller.Phone != "") && seesCallerInClear(p, t)
}

func masked(c Caller) Caller {
	return Caller{Name: pii.MaskName(c.Name), Phone: pii.MaskPhone(c.Phone), Confidential: c.Confidential}
}

// View returns the ticket as principal p may see it (a copy).
func View(p auth.Principal, t *Ticket) *Ticket {
	v := t.Clone()
	if !seesCallerInClear(p, t) {
		v.Caller = masked(t.Caller)
	}
	return v
}

// DepartmentView is the canonical ticket document delivered to a department:
// the caller in clear unless confidential, and no event log (the delivery
// names its event; the log carries other departments' notes).
func DepartmentView(t *Ticket) *Ticket {
	v := t.Clone()
	if t.Caller.Confidential {
		v.Caller = masked(t.Caller)
	}
	v.Events = nil
	return v
}

// PublicEvent is one step a citizen sees.
type PublicEvent struct {
	At    time.Time `json:"at"`
	Type  string    `json:"type"`
	Label string    `json:"label"`
}

// PublicTicket is what a citizen sees by code and the phone's last four digits:
// no personal data, no internal notes.
type PublicTicket struct {
	Code        string        `json:"code"`
	Type        RequestType   `json:"type"`
	Status      Status        `json:"status"`
	StatusLabel string        `json:"status_label"`
	Department  string        `json:"department,omitempty"`
	CreatedAt   time.Time     `json:"created_at"`
	Deadline    time.Time     `json:"deadline,omitzero"`
	Reply       string        `json:"reply,omitempty"`
	Rating      string        `json:"rating,omitempty"`
	ClosedAt    time.Time     `json:"closed_at,omitzero"`
	Events      []PublicEvent `json:"events"`
}

// StatusLabels are the Chinese names shown to citizens and agents.
var StatusLabels = map[Status]string{
	StatusReceived: "已受理", StatusAnswered: "已直接答复", StatusDispatched: "已派单", StatusAccepted: "办理中",
	StatusReturned: "退单待改派", StatusReplied: "已答复待回访", StatusClosed: "已办结", StatusDisposed: "不予受理（已告知途径）",
	StatusTransferred: "已转紧急热线", StatusMerged: "已并单",
}

var eventLabels = map[string]string{
	EvIntake: "受理", EvAnswer: "直接答复", EvDispatch: "派单", EvAccept: "签收", EvReturn: "退单", EvReply: "答复",
	EvRate: "评价", EvClose: "办结", EvReopen: "重办", EvExtendApprove: "延期获批", EvSupervise: "督办",
	EvMerge: "并单", EvDispose: "不予受理", EvTransfer: "转紧急热线", EvImport: "历史导入",
}

// Public builds the citizen's view.
func Public(t *Ticket) PublicTicket {
	pt := PublicTicket{Code: t.Code, Type: t.Type, Status: t.Status, StatusLabel: StatusLabels[t.Status], Department: t.Department,
		CreatedAt: t.CreatedAt, Deadline: t.Deadlines.Due, Reply: t.Reply, Rating: t.Rating, ClosedAt: t.ClosedAt, Events: []PublicEvent{}}
	if t.Status.Final() {
		pt.Deadline = time.Time{}
	}
	for _, e := range t.Events {
		if label, ok := eventLabels[e.Type]; ok {
			pt.Events = append(pt.Events, PublicEvent{At: e.At, Type: e.Type, Label: label})
		}
	}
	return pt
}

// Last4Matches compares the last four digits of the caller's phone in constant-ish time.
func Last4Matches(t *Ticket, last4 string) bool {
	var d []byte
	for i := 0; i < len(t.Caller.Phone); i++ {
		if c := t.Caller.Phone[i]; c >= '0' && c <= '9' {
			d = append(d, c)
		}
	}
	if len(d) < 4 || len(last4) != 4 {
		return false
	}
	tail := d[len(d)-4:]
	var diff byte
	for i := range 4 {
		diff |= tail[i] ^ last4[i]
	}
	return diff == 0
}

func sortedUnique(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}
