package httpapi

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/auth"
)

func TestOpenAPIPath(t *testing.T) {
	cases := []struct {
		in     string
		out    string
		params []string
	}{
		{"/healthz", "/healthz", nil},
		{"/api/v1/tickets/:id", "/api/v1/tickets/{id}", []string{"id"}},
		{"/api/v1/tickets/:id/events/:seq?", "/api/v1/tickets/{id}/events/{seq}", []string{"id", "seq"}},
		{"/open311/v2/requests/:id.json", "/open311/v2/requests/{id}.json", []string{"id"}},
		{"/static/*", "/static/{path}", []string{"path"}},
	}
	for _, c := range cases {
		out, params := OpenAPIPath(c.in)
		if out != c.out || !reflect.DeepEqual(params, c.params) {
			t.Errorf("%s → %s %v, want %s %v", c.in, out, params, c.out, c.params)
		}
	}
}

func TestOpenAPIOperations(t *testing.T) {
	h := func(*fiber.Ctx) error { return nil }
	doc := OpenAPI(OpenAPIInfo{Title: "t", Version: "1"}, []Route{
		{Method: "GET", Path: "/public", Roles: []auth.Role{auth.RoleCitizen}, Summary: "p", Handler: h},
		{Method: "POST", Path: "/api/v1/things/:id", Roles: []auth.Role{auth.RoleAgent, auth.RoleAdmin}, Summary: "s", Handler: h},
		{Method: "POST", Path: "/api/v1/questions", Roles: []auth.Role{auth.RoleAgent}, Summary: "q", Handler: h, Unaudited: "a question"},
	})
	b, _ := json.Marshal(doc)
	s := string(b)
	for _, want := range []string{`"/api/v1/things/{id}"`, `"x-roles":["admin","agent"]`, `"bearerAuth"`, `"operationId":"post_api_v1_things_id"`, `"requestBody"`, `"x-unaudited":"a question"`} {
		if !strings.Contains(s, want) {
			t.Errorf("document lacks %s", want)
		}
	}
	pub := doc["paths"].(map[string]any)["/public"].(map[string]any)["get"].(map[string]any)
	if _, has := pub["security"]; has {
		t.Error("public route requires security")
	}
	if strings.Count(s, "x-unaudited") != 1 {
		t.Error("x-unaudited on a route that is audited")
	}
}

func TestErrorHandler(t *testing.T) {
	app := fiber.New(fiber.Config{ErrorHandler: NewErrorHandler(nil)})
	shared := Errorf(409, "conflict").With("fields", []string{"a"})
	app.Get("/problem", func(c *fiber.Ctx) error {
		c.Locals(RequestIDLocal, "rid")
		return shared
	})
	app.Get("/fiber", func(c *fiber.Ctx) error { return fiber.NewError(418, "teapot") })
	app.Get("/plain", func(c *fiber.Ctx) error { return io.ErrUnexpectedEOF })
	for path, want := range map[string]int{"/problem": 409, "/fiber": 418, "/plain": 500, "/missing": 404} {
		resp, err := app.Test(httptest.NewRequest("GET", path, nil))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want || resp.Header.Get("Content-Type") != ContentTypeProblem {
			t.Errorf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil || m["instance"] != path {
			t.Errorf("%s: body %s", path, body)
		}
		if path == "/plain" && strings.Contains(string(body), "unexpected EOF") {
			t.Error("internal error leaked")
		}
		if path == "/problem" && (m["request_id"] != "rid" || m["fields"] == nil) {
			t.Errorf("extensions lost: %s", body)
		}
	}
	if shared.Instance != "" || len(shared.Extra) != 1 {
		t.Fatal("error handler mutated a shared problem")
	}
}
