package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/auth"
)

// Route is one line of the route table: every route declares the roles it
// admits. A route admitting auth.RoleCitizen is public.
type Route struct {
	Method  string
	Path    string // Fiber syntax, e.g. "/api/v1/tickets/:id"
	Roles   []auth.Role
	Summary string // one line for /openapi.json
	// Unaudited, on a method that changes things (POST, PUT, PATCH,
	// DELETE), says why requests to the route are not recorded in the
	// audit trail: a search sent as POST, a citizen's anonymous click.
	// Empty: recorded (see gateway/audit).
	Unaudited string
	Handler   fiber.Handler
}

// Module is a capability that contributes routes to the gateway.
type Module interface {
	Routes() []Route
}
