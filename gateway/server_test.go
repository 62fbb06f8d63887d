package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/httpapi"
)

func TestHealthAndReadiness(t *testing.T) {
	failing := false
	g := startGateway(t, testConfig(t), func(a *App) {
		a.Readiness = append(a.Readiness, ReadinessCheck{Name: "index", Check: func(context.Context) error {
			if failing {
				return errors.New("index closed")
			}
			return nil
		}})
	})
	if r := g.do("GET", "/healthz", "", nil); r.status != 200 || r.json(t)["status"] != "ok" {
		t.Fatalf("healthz: %d %s", r.status, r.body)
	}
	r := g.do("GET", "/readyz", "", nil)
	if r.status != 200 {
		t.Fatalf("readyz: %d %s", r.status, r.body)
	}
	checks := r.json(t)["checks"].(map[string]any)
	if checks["store"] != "ok" || checks["index"] != "ok" {
		t.Fatalf("checks: %v", checks)
	}
	failing = true
	p := expectProblem(t, g.do("GET", "/readyz", "", nil), 503)
	if !strings.Contains(p["detail"].(string), "index: index closed") {
		t.Fatalf("503 does not say why: %v", p)
	}
	failing = false
	// A closed store makes the gateway unready.
	g.app.Store.Close()
	p = expectProblem(t, g.do("GET", "/readyz", "", nil), 503)
	if !strings.Contains(p["detail"].(string), "store") {
		t.Fatalf("503 does not name the store: %v", p)
	}
}

func TestRequestID(t *testing.T) {
	g := startGateway(t, testConfig(t), nil)
	r := g.do("GET", "/healthz", "", nil, "X-Request-ID", "abc-123.x")
	if r.header.Get("X-Request-ID") != "abc-123.x" {
		t.Fatalf("incoming id not kept: %q", r.header.Get("X-Request-ID"))
	}
	r = g.do("GET", "/healthz", "", nil, "X-Request-ID", "bad id with spaces")
	id := r.header.Get("X-Request-ID")
	if id == "" || strings.Contains(id, " ") {
		t.Fatalf("malformed id not replaced: %q", id)
	}
	r2 := g.do("GET", "/healthz", "", nil)
	if r2.header.Get("X-Request-ID") == "" || r2.header.Get("X-Request-ID") == id {
		t.Fatal("ids must be generated and unique")
	}
	// Errors carry the id too.
	p := expectProblem(t, g.do("GET", "/nope", "", nil, "X-Request-ID", "err-1"), 404)
	if p["request_id"] != "err-1" {
		t.Fatalf("problem lacks request id: %v", p)
	}
	if id, _ := p["trace_id"].(string); len(id) != 32 {
		t.Fatalf("problem lacks trace id: %v", p)
	}
}

func TestAccessLogHasTraceAndNoPersonalData(t *testing.T) {
	g := startGateway(t, testConfig(t), nil)
	traceID := "4bf92f3577b34da6a3ce929d0e0e4736"
	g.do("GET", "/healthz?phone=13800138000&name=张三", "", nil,
		"traceparent", "00-"+traceID+"-00f067aa0ba902b7-01", "X-Request-ID", "log-1")
	logs := g.logs.String()
	var line map[string]any
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, `"request_id":"log-1"`) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if line == nil {
		t.Fatalf("no access log line:\n%s", logs)
	}
	if line["trace_id"] != traceID {
		t.Fatalf("trace id not propagated from traceparent: %v", line)
	}
	if line["route"] != "/healthz" || line["status"] != float64(200) {
		t.Fatalf("access log fields: %v", line)
	}
	if strings.Contains(logs, "13800138000") || strings.Contains(logs, "张三") {
		t.Fatal("query string leaked into logs")
	}
}

func TestMetricsByRouteAndStatus(t *testing.T) {
	g := startGateway(t, testConfig(t), nil)
	g.do("GET", "/healthz", "", nil)
	g.do("GET", "/api/v1/tokens", "", nil) // 401
	g.do("GET", "/api/v1/tokens/abc/def", "", nil)
	g.do("GET", "/healthz", "hg_bad", nil)
	body := string(g.do("GET", "/metrics", "", nil).body)
	for _, want := range []string{
		`http_server_requests_total{http_request_method="GET",http_response_status_code="200",http_route="/healthz"} 1`,
		`http_server_requests_total{http_request_method="GET",http_response_status_code="401",http_route="/api/v1/tokens"} 1`,
		`http_server_requests_total{http_request_method="GET",http_response_status_code="404",http_route="unmatched"} 1`,
		`http_server_requests_total{http_request_method="GET",http_response_status_code="401",http_route="/healthz"} 1`,
		`http_server_request_duration_seconds_bucket{http_request_method="GET",http_response_status_code="200",http_route="/healthz",le="0.001"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "abc/def") {
		t.Error("concrete paths leak into metric labels")
	}
}

func TestProblemsForBadRequests(t *testing.T) {
	g := startGateway(t, testConfig(t), func(a *App) {
		a.Modules = append(a.Modules, testModule{})
	})
	// 413: body over the limit (64 KiB here). The server answers as soon as
	// it reads the Content-Length, so the client sends headers only (a client
	// still writing the body would see the connection reset instead).
	expectProblem(t, rawRequest(t, g, "POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+testAdminToken+
		"\r\nContent-Type: application/json\r\nContent-Length: 102400\r\n\r\n"), 413)
	// 400: malformed JSON, with the position.
	p := expectProblem(t, g.do("POST", "/api/v1/tokens", testAdminToken, strings.NewReader(`{"name": "x",}`)), 400)
	if !strings.Contains(p["detail"].(string), "line 1") {
		t.Fatalf("no position in %v", p)
	}
	// 400: unknown field named.
	p = expectProblem(t, g.do("POST", "/api/v1/tokens", testAdminToken, strings.NewReader(`{"name":"x","roles":["agent"],"rolez":1}`)), 400)
	if !strings.Contains(p["detail"].(string), `"rolez"`) {
		t.Fatalf("unknown field not named: %v", p)
	}
	// 400: wrong type names the field.
	p = expectProblem(t, g.do("POST", "/api/v1/tokens", testAdminToken, strings.NewReader(`{"name":5}`)), 400)
	if !strings.Contains(p["detail"].(string), `"name"`) {
		t.Fatalf("field not named: %v", p)
	}
	// 422: semantic problems list the fields.
	p = expectProblem(t, g.do("POST", "/api/v1/tokens", testAdminToken, strings.NewReader(`{"name":"","roles":["root"]}`)), 422)
	if f, _ := json.Marshal(p["fields"]); string(f) != `["name","roles"]` {
		t.Fatalf("fields: %s", f)
	}
	// 500 from a panic, without internals.
	p = expectProblem(t, g.do("GET", "/test/panic", "", nil), 500)
	if strings.Contains(p["detail"].(string), "secret-internal") {
		t.Fatal("panic value leaked")
	}
	if !strings.Contains(g.logs.String(), "secret-internal") {
		t.Fatal("panic not logged for operators")
	}
	// 404 for unknown routes.
	expectProblem(t, g.do("GET", "/api/v1/nothing", "", nil), 404)
	// The gateway still serves after the panic.
	if r := g.do("GET", "/healthz", "", nil); r.status != 200 {
		t.Fatal("gateway broken after panic")
	}
}

type testModule struct{}

func (testModule) Routes() []httpapi.Route {
	return []httpapi.Route{{Method: "GET", Path: "/test/panic", Roles: []auth.Role{auth.RoleCitizen}, Summary: "panics",
		Handler: func(*fiber.Ctx) error { panic("secret-internal") }}}
}

func TestTokenLifecycle(t *testing.T) {
	g := startGateway(t, testConfig(t), nil)
	r := g.do("POST", "/api/v1/tokens", testAdminToken, strings.NewReader(`{"name":"坐席一号","roles":["agent","department:A01"]}`))
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	created := r.json(t)
	tok, id := created["token"].(string), created["id"].(string)
	if !strings.HasPrefix(tok, auth.TokenPrefix) || id == "" {
		t.Fatalf("created: %v", created)
	}
	// The agent token works on public routes, is refused admin routes.
	if r := g.do("GET", "/healthz", tok, nil); r.status != 200 {
		t.Fatalf("agent token on public route: %d", r.status)
	}
	expectProblem(t, g.do("GET", "/api/v1/tokens", tok, nil), 403)
	// Listing shows no secrets.
	r = g.do("GET", "/api/v1/tokens", testAdminToken, nil)
	if r.status != 200 || strings.Contains(string(r.body), tok) || strings.Contains(string(r.body), "hash") {
		t.Fatalf("list leaks or fails: %d %s", r.status, r.body)
	}
	if !strings.Contains(string(r.body), id) {
		t.Fatalf("list lacks token: %s", r.body)
	}
	// Only hashes are stored.
	rec, err := g.app.Store.Get(context.Background(), auth.TokensCollection, id)
	if err != nil || strings.Contains(string(rec.Data), tok) {
		t.Fatalf("stored record holds the secret or is missing: %v %s", err, rec.Data)
	}
	// Revoke: the token stops working at once, even on public routes.
	if r := g.do("DELETE", "/api/v1/tokens/"+id, testAdminToken, nil); r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	expectProblem(t, g.do("GET", "/healthz", tok, nil), 401)
	expectProblem(t, g.do("DELETE", "/api/v1/tokens/"+id, testAdminToken, nil), 404)
	// A token with a forged secret but a real id is refused.
	r = g.do("POST", "/api/v1/tokens", testAdminToken, strings.NewReader(`{"name":"x","roles":["admin"]}`))
	other := r.json(t)
	forged := other["token"].(string)
	forged = forged[:len(forged)-4] + "AAAA"
	expectProblem(t, g.do("GET", "/api/v1/tokens", forged, nil), 401)
	// Wrong scheme is 401 too.
	r = g.do("GET", "/healthz", "", nil, "Authorization", "Basic dXNlcjpwYXNz")
	expectProblem(t, r, 401)
	if r.header.Get("WWW-Authenticate") == "" {
		t.Fatal("401 without WWW-Authenticate")
	}
}

var paramPattern = regexp.MustCompile(`:[A-Za-z_]+\??|\*|\+`)

// TestEveryRouteRefusesRolesItDoesNotAdmit walks the whole route table —
// including every module wired in server_modules.go — and proves that each
// route answers 401 to anonymous callers and 403 to every role it does not
// list. Routes added later are covered without touching this test.
func TestEveryRouteRefusesRolesItDoesNotAdmit(t *testing.T) {
	g := startFullGateway(t, testConfig(t), nil)
	roles := []auth.Role{auth.RoleAgent, auth.RoleSupervisor, auth.RoleEditor, auth.RoleAdmin,
		auth.RoleOpen311, auth.RolePartner, auth.DepartmentRole("T01")}
	tokens := map[auth.Role]string{}
	for _, r := range roles {
		_, secret, err := g.app.Tokens.Create(context.Background(), "probe "+string(r), []auth.Role{r}, "test")
		if err != nil {
			t.Fatal(err)
		}
		tokens[r] = secret
	}
	routes := g.app.Routes()
	if len(routes) < 7 {
		t.Fatalf("route table suspiciously small: %d", len(routes))
	}
	checked := 0
	for _, rt := range routes {
		path := paramPattern.ReplaceAllString(rt.Path, "probe")
		var body func() *strings.Reader
		if rt.Method == http.MethodPost || rt.Method == http.MethodPut || rt.Method == http.MethodPatch {
			body = func() *strings.Reader { return strings.NewReader("{}") }
		}
		send := func(token string) response {
			if body != nil {
				return g.do(rt.Method, path, token, body())
			}
			return g.do(rt.Method, path, token, nil)
		}
		if !auth.Admits(rt.Roles, auth.Anonymous) {
			expectProblem(t, send(""), http.StatusUnauthorized)
			checked++
		}
		for _, role := range roles {
			p := auth.Principal{ID: "x", Roles: []auth.Role{role}}
			if auth.Admits(rt.Roles, p) {
				continue
			}
			r := send(tokens[role])
			if r.status != http.StatusForbidden {
				t.Errorf("%s %s as %s: status %d, want 403 (%s)", rt.Method, rt.Path, role, r.status, r.body)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no refusal checked")
	}
	t.Logf("%d routes, %d refusals checked", len(routes), checked)
}

// TestOpenAPIMatchesRoutes checks /openapi.json is a valid OpenAPI 3 document
// and that every registered route is documented, and nothing else.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	g := startFullGateway(t, testConfig(t), nil)
	r := g.do("GET", "/openapi.json", "", nil)
	if r.status != 200 {
		t.Fatalf("openapi: %d", r.status)
	}
	doc, err := openapi3.NewLoader().LoadFromData(r.body)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("invalid OpenAPI document: %v", err)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			documented[method+" "+path] = true
			if op.Summary == "" {
				t.Errorf("%s %s has no summary", method, path)
			}
		}
	}
	served := map[string]bool{}
	for _, rt := range g.app.Routes() {
		p, _ := httpapi.OpenAPIPath(rt.Path)
		k := rt.Method + " " + p
		served[k] = true
		if !documented[k] {
			t.Errorf("route %s not documented", k)
		}
	}
	for k := range documented {
		if !served[k] {
			t.Errorf("documented %s is not served", k)
		}
	}
	// Staff routes declare bearer auth; public ones don't.
	if op := doc.Paths.Find("/api/v1/tokens").Post; op.Security == nil || len(*op.Security) == 0 {
		t.Error("POST /api/v1/tokens lacks security")
	}
}

func TestDuplicateRouteRefused(t *testing.T) {
	routes := append(testModule{}.Routes(), testModule{}.Routes()...)
	if err := checkRoutes(routes); err == nil || !strings.Contains(err.Error(), "/test/panic") {
		t.Fatalf("duplicate route accepted: %v", err)
	}
	if err := checkRoutes(testModule{}.Routes()); err != nil {
		t.Fatal(err)
	}
	bad := []httpapi.Route{{Method: "GET", Path: "/x", Summary: "no roles", Handler: func(*fiber.Ctx) error { return nil }}}
	if err := checkRoutes(bad); err == nil {
		t.Fatal("route without roles accepted")
	}
}
