package audit

import (
	"maps"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/auth"
)

const localsKey = "hallgate.audit"

// notes are what handlers add to the request's entry.
type notes struct {
	target       string
	details      map[string]string
	personalData bool
	bulkRead     bool
	actor, name  string // on whose behalf (the pages' signed-in user)
	outcome      string
	recorded     bool
}

func notesOf(c *fiber.Ctx) *notes {
	if n := peek(c); n != nil {
		return n
	}
	n := &notes{}
	c.Locals(localsKey, n)
	return n
}

// peek returns the request's notes, nil when no handler added any (most
// reads): deciding not to record costs no allocation.
func peek(c *fiber.Ctx) *notes {
	n, _ := c.Locals(localsKey).(*notes)
	return n
}

// Note adds a detail to the request's entry: a short identifier such as
// the ticket event's type, never personal data.
func Note(c *fiber.Ctx, key, value string) {
	n := notesOf(c)
	if n.details == nil {
		n.details = map[string]string{}
	}
	n.details[key] = value
}

// SetOutcome overrides the outcome the status implies: a page's form
// that redirects (303) after refusing its input is OutcomeInvalid.
func SetOutcome(c *fiber.Ctx, outcome string) { notesOf(c).outcome = outcome }

// SetTarget names what the request acted on, in place of the route's
// first parameter (the ticket's code, whichever of its id or code the
// path named).
func SetTarget(c *fiber.Ctx, target string) { notesOf(c).target = target }

// PersonalDataShown marks a read that showed a caller's name or phone in
// clear: it is recorded like a change.
func PersonalDataShown(c *fiber.Ctx) { notesOf(c).personalData = true }

// BulkRead marks a read that takes data away in bulk (an export of the
// tickets or of the audit trail itself): it is recorded like a change,
// with what was exported.
func BulkRead(c *fiber.Ctx, what string) {
	n := notesOf(c)
	n.bulkRead = true
	if n.details == nil {
		n.details = map[string]string{}
	}
	n.details["export"] = what
}

// OnBehalfOf names the signed-in user a session credential acts for; the
// entry's actor is the user and Via the credential.
func OnBehalfOf(c *fiber.Ctx, actor, name string) {
	n := notesOf(c)
	n.actor, n.name = actor, name
}

// Route is what the recorder needs of the matched route.
type Route struct {
	Method, Path, Summary string
	// Unaudited, on a method that changes things, says why the route is
	// not recorded (a search sent as POST); empty means recorded.
	Unaudited string
}

// Recorded reports whether a request to r answered with status is
// recorded: every change, every denial (401, 403), a read that showed
// personal data and a bulk export.
func (r Route) Recorded(c *fiber.Ctx, status int) bool {
	if OutcomeOf(status) == OutcomeDenied {
		return true
	}
	switch r.Method {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		n := peek(c)
		return n != nil && (n.personalData || n.bulkRead)
	}
	return r.Unaudited == ""
}

// RecordRequest records the answered request c to route r, once per
// request (the pages' bridge routes a request twice).
func (t *Trail) RecordRequest(c *fiber.Ctx, r Route, status int, requestID, traceID string) {
	if n := peek(c); (n != nil && n.recorded) || !r.Recorded(c, status) {
		return
	}
	n := notesOf(c)
	n.recorded = true
	p := auth.FromCtx(c)
	e := Entry{
		Actor: p.ID, ActorName: p.Name, Action: r.Method + " " + r.Path, Summary: r.Summary,
		Target: n.target, PersonalData: n.personalData, Status: status, Outcome: n.outcome,
		RequestID: requestID, TraceID: traceID, IP: c.IP(),
	}
	for _, role := range p.Roles {
		e.Roles = append(e.Roles, string(role))
	}
	if n.actor != "" {
		e.Via, e.Actor, e.ActorName = p.ID, n.actor, n.name
		if p.ID == auth.Anonymous.ID {
			e.Via, e.Roles = "session", nil // refused before the session's credential was used
		}
	}
	if e.Target == "" {
		if rt := c.Route(); rt != nil && len(rt.Params) > 0 {
			e.Target = c.Params(rt.Params[0])
		}
	}
	if len(n.details) > 0 {
		e.Details = maps.Clone(n.details)
	}
	t.Record(e)
}
