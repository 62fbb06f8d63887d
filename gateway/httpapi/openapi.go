package httpapi

import (
	"net/http"
	"sort"
	"strings"

	"github.com/hallgate/hallgate/gateway/auth"
)

// OpenAPIInfo is the document's info block.
type OpenAPIInfo struct {
	Title       string
	Version     string
	Description string
}

// OpenAPI builds an OpenAPI 3.0 document from the route table, so the
// description can never drift from the routes actually served: every route
// appears once, with its summary, its path parameters and the roles it
// admits (x-roles); routes that do not admit citizens require a bearer token.
func OpenAPI(info OpenAPIInfo, routes []Route) map[string]any {
	paths := map[string]map[string]any{}
	for _, r := range routes {
		p, params := OpenAPIPath(r.Path)
		ops := paths[p]
		if ops == nil {
			ops = map[string]any{}
			paths[p] = ops
		}
		ops[strings.ToLower(r.Method)] = operation(r, p, params)
	}
	out := map[string]any{}
	for p, ops := range paths {
		out[p] = ops
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       info.Title,
			"version":     info.Version,
			"description": info.Description,
		},
		"paths": out,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"bearerAuth": map[string]any{"type": "http", "scheme": "bearer", "description": "API token (hg_…) or the bootstrap admin token"},
			},
			"schemas": map[string]any{
				"Problem": map[string]any{
					"type": "object",
					"properties": map[string]any{
						"type":     map[string]any{"type": "string"},
						"title":    map[string]any{"type": "string"},
						"status":   map[string]any{"type": "integer"},
						"detail":   map[string]any{"type": "string"},
						"instance": map[string]any{"type": "string"},
					},
					"required":             []string{"title", "status"},
					"additionalProperties": true,
				},
			},
			"responses": map[string]any{
				"Problem": map[string]any{
					"description": "error (RFC 9457 problem+json)",
					"content": map[string]any{
						ContentTypeProblem: map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}},
					},
				},
			},
		},
	}
}

func operation(r Route, path string, params []string) map[string]any {
	roles := make([]string, 0, len(r.Roles))
	public := false
	for _, role := range r.Roles {
		roles = append(roles, string(role))
		if role == auth.RoleCitizen {
			public = true
		}
	}
	sort.Strings(roles)
	problem := map[string]any{"$ref": "#/components/responses/Problem"}
	responses := map[string]any{
		"200":     map[string]any{"description": "OK"},
		"default": problem,
	}
	op := map[string]any{
		"summary":     r.Summary,
		"operationId": operationID(r.Method, path),
		"x-roles":     roles,
		"responses":   responses,
	}
	if tag := tagOf(path); tag != "" {
		op["tags"] = []string{tag}
	}
	if !public {
		op["security"] = []map[string][]string{{"bearerAuth": {}}}
		responses["401"] = problem
		responses["403"] = problem
	}
	if len(params) > 0 {
		ps := make([]map[string]any, 0, len(params))
		for _, name := range params {
			ps = append(ps, map[string]any{"name": name, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		op["parameters"] = ps
	}
	if r.Unaudited != "" {
		op["x-unaudited"] = r.Unaudited // why this change is not in the audit trail
	}
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		op["requestBody"] = map[string]any{
			"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}},
		}
		responses["400"] = problem
		responses["413"] = problem
	}
	return op
}

// OpenAPIPath converts a Fiber path ("/tickets/:id", "/files/*") to an
// OpenAPI template ("/tickets/{id}", "/files/{path}") and lists its parameters.
func OpenAPIPath(fiberPath string) (string, []string) {
	segs := strings.Split(fiberPath, "/")
	var params []string
	for i, s := range segs {
		switch {
		case strings.HasPrefix(s, ":"):
			name := strings.TrimSuffix(strings.TrimPrefix(s, ":"), "?")
			// Fiber allows suffixes such as ":file.json"; keep the name only.
			if j := strings.IndexAny(name, ".-+"); j > 0 {
				segs[i] = "{" + name[:j] + "}" + name[j:]
				name = name[:j]
			} else {
				segs[i] = "{" + name + "}"
			}
			params = append(params, name)
		case s == "*" || s == "+":
			segs[i] = "{path}"
			params = append(params, "path")
		}
	}
	return strings.Join(segs, "/"), params
}

func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, s := range strings.Split(path, "/") {
		s = strings.NewReplacer("{", "", "}", "", ".", "_", "-", "_").Replace(s)
		if s == "" {
			continue
		}
		b.WriteString("_")
		b.WriteString(s)
	}
	return b.String()
}

func tagOf(path string) string {
	s := strings.TrimPrefix(path, "/api/v1/")
	if s == path {
		s = strings.TrimPrefix(path, "/")
	}
	seg, _, _ := strings.Cut(s, "/")
	if strings.HasPrefix(seg, "{") {
		return ""
	}
	return seg
}
