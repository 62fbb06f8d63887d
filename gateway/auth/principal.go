package auth

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Role names a set of permissions. Department principals carry
// "department:<code>".
type Role string

const (
	RoleAgent      Role = "agent"
	RoleSupervisor Role = "supervisor"
	RoleEditor     Role = "editor"
	RoleAdmin      Role = "admin"
	RoleOpen311    Role = "open311"
	RolePartner    Role = "partner"
	RoleCitizen    Role = "citizen" // anonymous
	// RoleDepartment matches any "department:<code>" role in route tables.
	RoleDepartment Role = "department"
)

// DepartmentRole returns the role of the department with the given code.
func DepartmentRole(code string) Role { return Role("department:" + code) }

// JoinRoles writes roles as "agent,department:gjj".
func JoinRoles(rs []Role) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return strings.Join(out, ",")
}

// Principal is who makes a request.
type Principal struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Roles []Role `json:"roles"`
}

// Anonymous is the principal of requests without credentials.
var Anonymous = Principal{ID: "anonymous", Name: "citizen", Roles: []Role{RoleCitizen}}

// Has reports whether p holds role r; RoleDepartment matches any department role.
func (p Principal) Has(r Role) bool {
	for _, have := range p.Roles {
		if have == r || (r == RoleDepartment && strings.HasPrefix(string(have), "department:")) {
			return true
		}
	}
	return false
}

// Departments lists the department codes p acts for.
func (p Principal) Departments() []string {
	var out []string
	for _, have := range p.Roles {
		if code, ok := strings.CutPrefix(string(have), "department:"); ok {
			out = append(out, code)
		}
	}
	return out
}

// IsStaff reports whether p is an authenticated member of staff (not a
// citizen, partner or Open311 client).
func (p Principal) IsStaff() bool {
	return p.Has(RoleAgent) || p.Has(RoleSupervisor) || p.Has(RoleEditor) || p.Has(RoleAdmin) || p.Has(RoleDepartment)
}

const localsKey = "hallgate.principal"

// SetPrincipal stores p on the request (used by the authentication middleware).
func SetPrincipal(c *fiber.Ctx, p Principal) { c.Locals(localsKey, p) }

// FromCtx returns the request's principal, Anonymous when none was set.
func FromCtx(c *fiber.Ctx) Principal {
	if p, ok := c.Locals(localsKey).(Principal); ok {
		return p
	}
	return Anonymous
}
