package ticket

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/store"
)

// maxCommitAttempts bounds optimistic-concurrency retries of one event.
const maxCommitAttempts = 8

// actor is who makes a change, as written in the log.
type actor struct {
	id   string
	role string
}

func actorOf(p auth.Principal) actor {
	role := ""
	if len(p.Roles) > 0 {
		role = string(p.Roles[0])
	}
	return actor{id: p.ID, role: role}
}

var systemActor = actor{id: "system", role: "system"}

// target is one destination of a delivery.
type target struct {
	department string
	role       string // lead or co
}

func allTargets(t *Ticket) []target {
	if t.Department == "" {
		return nil
	}
	out := []target{{t.Department, "lead"}}
	for _, d := range t.CoDepartments {
		out = append(out, target{d, "co"})
	}
	return out
}

func leadTarget(t *Ticket) []target {
	if t.Department == "" {
		return nil
	}
	return []target{{t.Department, "lead"}}
}

// change is the outcome of one transition, before it is committed.
type change struct {
	ticket  *Ticket
	others  []*Ticket // further tickets written in the same Tx (merge target)
	targets []target  // deliveries caused by the event
	closed  bool      // observers must see the ticket
}

// Apply posts command c as principal p on the ticket with this id or code.
func (s *Service) Apply(ctx context.Context, p auth.Principal, idOrCode string, c Command) (*Ticket, error) {
	r, ok := table[c.Type]
	if !ok || !slices.Contains(PostableEvents, c.Type) {
		ve := &ValidationError{}
		ve.add("type", "unknown event type; one of "+strings.Join(PostableEvents, ", "))
		return nil, ve
	}
	for attempt := 0; ; attempt++ {
		t, err := s.Get(ctx, idOrCode)
		if err != nil {
			return nil, err
		}
		kinds := actorKinds(p, t)
		if !p.IsStaff() || (kinds == 0 && p.Has(auth.RoleDepartment)) {
			return nil, fmt.Errorf("ticket %s: not dispatched to this principal: %w", t.Code, ErrForbidden)
		}
		if r.who&kinds == 0 {
			return nil, fmt.Errorf("ticket %s: %s may not post %s: %w", t.Code, actorOf(p).role, c.Type, ErrForbidden)
		}
		if !slices.Contains(r.from, t.Status) {
			return nil, &TransitionError{Event: c.Type, Status: t.Status, Allowed: Allowed(p, t)}
		}
		if err := checkRequired(r, c); err != nil {
			return nil, err
		}
		ch, err := s.transition(ctx, t, actorOf(p), c)
		if err != nil {
			var te *TransitionError
			if errors.As(err, &te) && te.Allowed == nil {
				te.Allowed = Allowed(p, t)
			}
			return nil, err
		}
		out, err := s.commit(ctx, ch)
		if errors.Is(err, store.ErrConflict) && attempt < maxCommitAttempts {
			continue // someone else changed the ticket: re-read and re-check
		}
		if err != nil {
			return nil, err
		}
		return out, nil
	}
}

func checkRequired(r rule, c Command) error {
	ve := &ValidationError{}
	for _, f := range r.required {
		missing := false
		switch f {
		case "kb_entry":
			missing = strings.TrimSpace(c.KBEntry) == ""
		case "department":
			missing = strings.TrimSpace(c.Department) == ""
		case "reason":
			missing = strings.TrimSpace(c.Reason) == ""
		case "text":
			missing = strings.TrimSpace(c.Text) == ""
		case "rating":
			missing = c.Rating == ""
		case "days":
			missing = c.Days == 0
		case "into":
			missing = strings.TrimSpace(c.Into) == ""
		case "reason_code":
			missing = c.ReasonCode == ""
		case "number":
			missing = c.Number == ""
		case "note":
			missing = strings.TrimSpace(c.Note) == "" && strings.TrimSpace(c.Text) == ""
		}
		if missing {
			ve.add(f, "required for "+c.Type)
		}
	}
	return ve.orNil()
}

// record appends an event to t's log and moves its status.
func record(t *Ticket, a actor, typ string, to Status, now time.Time, note string, data map[string]any) Event {
	from := t.Status
	if to == sameStatus {
		to = from
	}
	ev := Event{Seq: len(t.Events) + 1, Type: typ, Actor: a.id, Role: a.role, At: now, From: from, To: to, Note: note, Data: data}
	t.Events = append(t.Events, ev)
	t.Status = to
	t.UpdatedAt = now
	return ev
}

func (s *Service) reopenStatus(t *Ticket) Status {
	if t.Department != "" {
		return StatusDispatched
	}
	return StatusReceived
}

// reopen restarts the handling with a fresh time limit counted from now.
func (s *Service) reopen(t *Ticket, now time.Time) {
	t.Reopens++
	t.ClosedAt = time.Time{}
	t.Warned, t.Overdue = false, false
	s.setDue(t, now)
	t.Deadlines.ReturnUntil = s.cal.AddWorkingDays(now, s.opts.ReturnDays)
}

// limitDays is the time limit of t in working days.
func (s *Service) limitDays(t *Ticket) int {
	n := s.opts.Limits[t.Type]
	if t.Urgent && s.opts.UrgentDays > 0 && s.opts.UrgentDays < n {
		n = s.opts.UrgentDays
	}
	return n
}

// setDue computes due and warning dates from start.
func (s *Service) setDue(t *Ticket, start time.Time) {
	t.Deadlines.Due = s.cal.AddWorkingDays(start, s.limitDays(t))
	s.setWarning(t)
}

func (s *Service) setWarning(t *Ticket) {
	w := s.cal.SubWorkingDays(t.Deadlines.Due, s.opts.WarningDays)
	if w.Before(t.CreatedAt) {
		w = t.CreatedAt
	}
	t.Deadlines.Warning = w
}

func (s *Service) checkDepartments(ctx context.Context, c Command) error {
	ve := &ValidationError{}
	if slices.Contains(c.CoDepartments, c.Department) {
		ve.add("co_departments", "must not contain the lead department")
	}
	if len(sortedUnique(c.CoDepartments)) != len(c.CoDepartments) {
		ve.add("co_departments", "duplicate department")
	}
	if s.opts.DepartmentExists != nil {
		for i, d := range append([]string{c.Department}, c.CoDepartments...) {
			ok, err := s.opts.DepartmentExists(ctx, d)
			if err != nil {
				return fmt.Errorf("check department %q: %w", d, err)
			}
			if !ok {
				field := "department"
				if i > 0 {
					field = fmt.Sprintf("co_departments[%d]", i-1)
				}
				ve.add(field, fmt.Sprintf("unknown department %q", d))
			}
		}
	}
	return ve.orNil()
}

func refuse(c Command, t *Ticket, reason string) error {
	return &TransitionError{Event: c.Type, Status: t.Status, Reason: reason}
}

// transition computes the change of one event; it does not write.
func (s *Service) transition(ctx context.Context, cur *Ticket, a actor, c Command) (*change, error) {
	now := s.now()
	t := cur.Clone()
	r := table[c.Type]
	ch := &change{ticket: t}
	note := strings.TrimSpace(c.Note)
	switch c.Type {
	case EvAnswer:
		t.KBEntry, t.DirectAnswer, t.ClosedAt = c.KBEntry, true, now
		if c.Text != "" {
			t.Reply = c.Text
		}
		record(t, a, c.Type, r.to, now, note, map[string]any{"kb_entry": c.KBEntry})
		ch.closed = true
	case EvDispatch:
		if err := s.checkDepartments(ctx, c); err != nil {
			return nil, err
		}
		var recalled []target
		if cur.Department != "" && cur.Department != c.Department && (cur.Status == StatusDispatched || cur.Status == StatusAccepted) {
			recalled = []target{{cur.Department, "lead"}} // 改派: tell the old lead to stop
		}
		t.Department, t.CoDepartments = c.Department, slices.Clone(c.CoDepartments)
		t.Deadlines.ReturnUntil = s.cal.AddWorkingDays(now, s.opts.ReturnDays)
		if t.DispatchedAt.IsZero() {
			t.DispatchedAt = now
		}
		data := map[string]any{"department": c.Department}
		if len(c.CoDepartments) > 0 {
			data["co_departments"] = c.CoDepartments
		}
		record(t, a, c.Type, r.to, now, note, data)
		ch.targets = append(allTargets(t), recalled...)
	case EvAccept:
		record(t, a, c.Type, r.to, now, note, nil)
	case EvReturn:
		if now.After(t.Deadlines.ReturnUntil) {
			return nil, refuse(c, t, "the return window ended at "+t.Deadlines.ReturnUntil.Format(time.DateTime))
		}
		record(t, a, c.Type, r.to, now, c.Reason, map[string]any{"reason": c.Reason})
	case EvProgress:
		record(t, a, c.Type, r.to, now, firstNonEmpty(note, c.Text), nil)
	case EvReply:
		t.Reply = c.Text
		t.Attachments = append(t.Attachments, c.Attachments...)
		if t.RepliedAt.IsZero() {
			t.RepliedAt = now
		}
		record(t, a, c.Type, r.to, now, note, nil)
	case EvRate:
		if !slices.Contains(Ratings, c.Rating) {
			ve := &ValidationError{}
			ve.add("rating", "one of "+strings.Join(Ratings, ", "))
			return nil, ve
		}
		bad := BadRating(c.Rating)
		// A closed ticket that was never rated (closed on the spot, or closed
		// when the caller could not be reached) takes one unsatisfied rating,
		// which reopens it; a rated ticket keeps the rating its callback gave.
		if t.Status != StatusReplied && (!bad || t.Reopens > 0 || len(t.Ratings) > 0) {
			return nil, refuse(c, t, "a closed ticket takes only a first unsatisfied rating, which reopens it; this one was rated already")
		}
		t.Ratings = append(t.Ratings, c.Rating)
		t.Rating = c.Rating
		if bad && t.Reopens == 0 {
			s.reopen(t, now)
			record(t, a, c.Type, s.reopenStatus(t), now, note, map[string]any{"rating": c.Rating, "reopened": true})
			ch.targets = allTargets(t)
		} else {
			t.ClosedAt = now
			record(t, a, c.Type, StatusClosed, now, note, map[string]any{"rating": c.Rating})
			ch.closed = true
		}
	case EvCallback:
		if !BadRating(t.Rating) || t.CalledBack {
			return nil, refuse(c, t, "no bad rating awaiting its callback")
		}
		t.CalledBack = true
		record(t, a, c.Type, r.to, now, firstNonEmpty(note, c.Text), nil)
	case EvClose:
		t.ClosedAt = now
		record(t, a, c.Type, r.to, now, note, nil)
		ch.closed = true
	case EvReopen:
		s.reopen(t, now)
		record(t, a, c.Type, s.reopenStatus(t), now, firstNonEmpty(note, c.Reason), nil)
		ch.targets = allTargets(t)
	case EvExtendRequest:
		if t.Deadlines.PendingDays > 0 {
			return nil, refuse(c, t, "an extension request is already pending")
		}
		if c.Days < 1 || t.Deadlines.ExtendedDays+c.Days > s.opts.MaxExtensionDays {
			ve := &ValidationError{}
			ve.add("days", fmt.Sprintf("1..%d working days (already extended by %d)", s.opts.MaxExtensionDays-t.Deadlines.ExtendedDays, t.Deadlines.ExtendedDays))
			return nil, ve
		}
		t.Deadlines.PendingDays, t.Deadlines.PendingReason = c.Days, c.Reason
		record(t, a, c.Type, r.to, now, c.Reason, map[string]any{"days": c.Days})
	case EvExtendApprove:
		days := t.Deadlines.PendingDays
		if days == 0 {
			return nil, refuse(c, t, "no extension request is pending")
		}
		t.Deadlines.Due = s.cal.AddWorkingDays(t.Deadlines.Due, days)
		s.setWarning(t)
		t.Deadlines.ExtendedDays += days
		t.Deadlines.PendingDays, t.Deadlines.PendingReason = 0, ""
		if now.Before(t.Deadlines.Due) {
			t.Overdue = false
		}
		t.Warned = t.Warned && !now.Before(t.Deadlines.Warning)
		record(t, a, c.Type, r.to, now, note, map[string]any{"days": days, "due": t.Deadlines.Due})
		ch.targets = leadTarget(t)
	case EvExtendRefuse:
		if t.Deadlines.PendingDays == 0 {
			return nil, refuse(c, t, "no extension request is pending")
		}
		days := t.Deadlines.PendingDays
		t.Deadlines.PendingDays, t.Deadlines.PendingReason = 0, ""
		record(t, a, c.Type, r.to, now, firstNonEmpty(note, c.Reason), map[string]any{"days": days})
		ch.targets = leadTarget(t)
	case EvSupervise:
		t.Supervisions++
		record(t, a, c.Type, r.to, now, note, nil)
		ch.targets = allTargets(t)
	case EvMerge:
		into, err := s.Get(ctx, c.Into)
		if errors.Is(err, ErrNotFound) {
			ve := &ValidationError{}
			ve.add("into", "no such ticket")
			return nil, ve
		} else if err != nil {
			return nil, err
		}
		if into.ID == t.ID || into.Status.Final() {
			ve := &ValidationError{}
			ve.add("into", "must be another open ticket")
			return nil, ve
		}
		into = into.Clone()
		into.Merged = append(into.Merged, t.ID)
		record(into, systemActor, EvAbsorb, sameStatus, now, "", map[string]any{"ticket": t.ID, "code": t.Code})
		t.MergedInto, t.ClosedAt = into.ID, now
		record(t, a, c.Type, r.to, now, note, map[string]any{"into": into.ID, "into_code": into.Code})
		ch.others = []*Ticket{into}
		ch.targets = allTargets(t)
	case EvDispose:
		if !slices.Contains(DispositionCodes, c.ReasonCode) {
			ve := &ValidationError{}
			ve.add("reason_code", "one of "+strings.Join(DispositionCodes, ", "))
			return nil, ve
		}
		t.Disposition, t.ClosedAt = c.ReasonCode, now
		record(t, a, c.Type, r.to, now, firstNonEmpty(note, c.Reason), map[string]any{"reason_code": c.ReasonCode})
	case EvTransfer:
		if !slices.Contains(EmergencyNumbers, c.Number) {
			ve := &ValidationError{}
			ve.add("number", "one of "+strings.Join(EmergencyNumbers, ", "))
			return nil, ve
		}
		targets := allTargets(t)
		t.Emergency, t.ClosedAt = c.Number, now
		record(t, a, c.Type, r.to, now, note, map[string]any{"number": c.Number})
		if cur.Status == StatusDispatched {
			ch.targets = targets
		}
	default:
		return nil, fmt.Errorf("ticket: event %s has no transition: %w", c.Type, ErrInvalid)
	}
	return ch, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

// commit writes the change and its deliveries in one store.Tx.
func (s *Service) commit(ctx context.Context, ch *change) (*Ticket, error) {
	var tx store.Tx
	for _, t := range append([]*Ticket{ch.ticket}, ch.others...) {
		rec, err := s.encode(t)
		if err != nil {
			return nil, err
		}
		tx.Puts = append(tx.Puts, store.Put{Record: rec, ExpectVersion: t.Version})
	}
	t := ch.ticket
	last := t.Events[len(t.Events)-1]
	items, err := s.deliveries(t, last, ch.targets)
	if err != nil {
		return nil, err
	}
	tx.Enqueue = items
	recs, err := s.st.Commit(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("ticket %s: %s: %w", t.ID, last.Type, err)
	}
	t.Version = recs[0].Version
	s.log.InfoContext(ctx, "ticket event", "ticket", t.ID, "code", t.Code, "event", last.Type, "from", last.From, "to", last.To, "deliveries", len(items))
	if ch.closed {
		s.observe(ctx, t)
	}
	return t, nil
}

func (s *Service) observe(ctx context.Context, t *Ticket) {
	for _, o := range s.opts.Observers {
		o(ctx, t.Clone())
	}
}

// deliveries builds one outbox item per target for event ev.
func (s *Service) deliveries(t *Ticket, ev Event, targets []target) ([]store.OutboxItem, error) {
	if len(targets) == 0 {
		return nil, nil
	}
	doc, err := json.Marshal(DepartmentView(t))
	if err != nil {
		return nil, err
	}
	out := make([]store.OutboxItem, 0, len(targets))
	seen := map[string]bool{}
	for _, tg := range targets {
		if seen[tg.department] {
			continue
		}
		seen[tg.department] = true
		id := fmt.Sprintf("%s/%s/%d", t.ID, tg.department, ev.Seq)
		d := connectors.Delivery{IdempotencyKey: id, TicketID: t.ID, TicketCode: t.Code, Department: tg.department, Role: tg.role,
			Event: ev.Type, Ticket: doc, CreatedAt: ev.At}
		payload, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		out = append(out, store.OutboxItem{ID: id, Topic: DeliveryTopic, Key: tg.department, Payload: payload, CreatedAt: ev.At})
	}
	return out, nil
}

// departmentEvents maps a department system's event kinds to ticket events.
var departmentEvents = map[string]string{
	connectors.EventAccepted:           EvAccept,
	connectors.EventReturned:           EvReturn,
	connectors.EventProgress:           EvProgress,
	connectors.EventReplied:            EvReply,
	connectors.EventExtensionRequested: EvExtendRequest,
}

// ApplyDepartmentEvent applies an event from department's own system as if
// the department's principal had posted it (signed callbacks, polling).
func (s *Service) ApplyDepartmentEvent(ctx context.Context, department string, ev connectors.Event) (*Ticket, error) {
	typ, ok := departmentEvents[ev.Type]
	if !ok {
		ve := &ValidationError{}
		ve.add("type", fmt.Sprintf("department event %q does not change tickets", ev.Type))
		return nil, ve
	}
	ref := firstNonEmpty(ev.TicketID, ev.TicketCode)
	if ref == "" {
		ve := &ValidationError{}
		ve.add("ticket_id", "ticket_id or ticket_code is required")
		return nil, ve
	}
	c := Command{Type: typ, Reason: firstNonEmpty(ev.Reason, ev.Note), Note: firstNonEmpty(ev.Note, ev.Text), Text: ev.Text, Days: ev.Days, Attachments: ev.Attachments}
	if typ == EvReply {
		c.Note = ev.Note
	}
	p := auth.Principal{ID: "department:" + department, Name: department, Roles: []auth.Role{auth.DepartmentRole(department)}}
	return s.Apply(ctx, p, ref, c)
}
