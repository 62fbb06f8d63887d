package kbapi_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/httpapi/kbapi"
)

// TestRouteTable holds the route table to the gateway's rules (no
// duplicates; roles, handler and summary on every route) and to the brief's
// access decisions.
func TestRouteTable(t *testing.T) {
	routes := kbapi.New(nil, nil).Routes()
	seen := map[string]bool{}
	roles := map[string][]auth.Role{}
	for _, r := range routes {
		k := r.Method + " " + r.Path
		if seen[k] {
			t.Errorf("duplicate %s", k)
		}
		seen[k] = true
		if len(r.Roles) == 0 || r.Handler == nil || r.Summary == "" || !strings.HasPrefix(r.Path, "/api/v1/") {
			t.Errorf("incomplete route %s", k)
		}
		roles[k] = r.Roles
	}
	public := func(k string) bool { return slices.Contains(roles[k], auth.RoleCitizen) }
	for _, k := range []string{"GET /api/v1/kb/search", "GET /api/v1/departments", "GET /api/v1/items/:id/guide", "POST /api/v1/kb/search/click"} {
		if !public(k) {
			t.Errorf("%s must be public", k)
		}
	}
	for _, k := range []string{"POST /api/v1/kb/import", "PUT /api/v1/kb/synonyms", "POST /api/v1/departments/import", "GET /api/v1/kb/gaps", "DELETE /api/v1/kb/entries/:id"} {
		if _, ok := roles[k]; !ok {
			t.Errorf("missing route %s", k)
		}
		if public(k) {
			t.Errorf("%s must not be public", k)
		}
	}
	if !slices.Equal(roles["POST /api/v1/departments/import"], []auth.Role{auth.RoleAdmin}) {
		t.Errorf("department import is for admins only: %v", roles["POST /api/v1/departments/import"])
	}
}
