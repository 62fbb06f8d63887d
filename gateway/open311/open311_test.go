package open311

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/pii"
	"github.com/hallgate/hallgate/gateway/store/bolt"
	"github.com/hallgate/hallgate/gateway/ticket"
)

const specPath = "../../../shared/specs/open311-georeport-v2.openapi.json"

type env struct {
	app     *fiber.App
	tickets *ticket.Service
	key     string
	router  routers.Router
}

func setup(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	st, err := bolt.Open(ctx, bolt.Options{Path: filepath.Join(t.TempDir(), "o.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sealer, err := pii.New(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32))
	if err != nil {
		t.Fatal(err)
	}
	tickets, err := ticket.NewService(st, ticket.Options{Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	tokens := auth.NewTokens(st, "")
	_, key, err := tokens.Create(ctx, "城市应用", []auth.Role{auth.RoleOpen311}, "test")
	if err != nil {
		t.Fatal(err)
	}
	cat := Catalogue{Departments: func(context.Context) ([]DepartmentInfo, error) {
		return []DepartmentInfo{{Code: "water", Name: "江川市水务局", ShortName: "水务局", Responsibilities: "负责供水、排水与污水管网；负责城市内涝。"}}, nil
	}}
	m := New(tickets, cat, Options{Jurisdiction: "jiangchuan", Authenticate: tokens.Authenticate})
	app := fiber.New()
	for _, r := range m.Routes() {
		app.Add(r.Method, r.Path, r.Handler)
	}
	e := &env{app: app, tickets: tickets, key: key}
	if raw, err := os.ReadFile(specPath); err == nil {
		openapi3.DefineStringFormatCallback("uid", func(string) error { return nil })
		openapi3.DefineStringFormatCallback("url", func(string) error { return nil })
		openapi3filter.RegisterBodyDecoder("application/xml", decodeXMLBySchema)
		doc, err := openapi3.NewLoader().LoadFromData(raw)
		if err != nil {
			t.Fatal(err)
		}
		doc.Servers = openapi3.Servers{{URL: "http://hallgate.test/open311/v2"}}
		if e.router, err = gorillamux.NewRouter(doc); err != nil {
			t.Fatal(err)
		}
	} else {
		t.Logf("spec not found at %s (%v): responses are not validated against it", specPath, err)
	}
	return e
}

// do sends a request and, when the spec is available, validates the
// response against mySociety's OpenAPI description.
func (e *env) do(t *testing.T, method, path string, form url.Values) (int, []byte) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, "http://hallgate.test"+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := e.app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	// discovery predates the description and is not part of it
	if e.router != nil && resp.StatusCode == http.StatusOK && !strings.Contains(path, "/discovery.") {
		vreq := httptest.NewRequest(method, "http://hallgate.test"+path, nil)
		route, params, err := e.router.FindRoute(vreq)
		if err != nil {
			t.Fatalf("%s %s: no route in the spec: %v", method, path, err)
		}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
				Options: &openapi3filter.Options{ExcludeRequestBody: true}},
			Status: resp.StatusCode, Header: resp.Header,
			Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
		}
		in.SetBodyBytes(raw)
		if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
			t.Errorf("%s %s: response does not validate against the Open311 description: %v\n%s", method, path, err, raw)
		}
	}
	return resp.StatusCode, raw
}

func TestServicesBothFormats(t *testing.T) {
	e := setup(t)
	for _, f := range []string{"json", "xml"} {
		code, body := e.do(t, "GET", "/open311/v2/services."+f, nil)
		if code != 200 || !bytes.Contains(body, []byte("water")) || !bytes.Contains(body, []byte(GeneralServiceCode)) {
			t.Fatalf("services.%s: %d %s", f, code, body)
		}
		code, body = e.do(t, "GET", "/open311/v2/services/water."+f, nil)
		if code != 200 || !bytes.Contains(body, []byte("request_type")) {
			t.Fatalf("definition.%s: %d %s", f, code, body)
		}
		if code, body = e.do(t, "GET", "/open311/v2/services/nope."+f, nil); code != 404 || !bytes.Contains(body, []byte("service_code not found")) {
			t.Fatalf("unknown definition.%s: %d %s", f, code, body)
		}
		if code, _ = e.do(t, "GET", "/open311/v2/discovery."+f, nil); code != 200 {
			t.Fatalf("discovery.%s: %d", f, code)
		}
	}
	if code, _ := e.do(t, "GET", "/open311/v2/services.yaml", nil); code != 404 {
		t.Fatalf("unknown format: %d", code)
	}
	if code, _ := e.do(t, "GET", "/open311/v2/services.json?jurisdiction_id=elsewhere", nil); code != 404 {
		t.Fatalf("other jurisdiction: %d", code)
	}
}

func validForm(key string) url.Values {
	return url.Values{"api_key": {key}, "service_code": {"water"}, "lat": {"30.52"}, "long": {"114.31"},
		"description": {"小区门口水管爆裂，水漫到马路上"}, "first_name": {"三"}, "last_name": {"张"}, "phone": {"13812345678"},
		"attribute[request_type]": {"求助"}}
}

func TestRequestLifecycleBothFormats(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	for _, f := range []string{"json", "xml"} {
		code, body := e.do(t, "POST", "/open311/v2/requests."+f, validForm(e.key))
		if code != 200 {
			t.Fatalf("POST requests.%s: %d %s", f, code, body)
		}
		var id, token string
		if f == "json" {
			var out []RequestResponse
			if err := json.Unmarshal(body, &out); err != nil || len(out) != 1 {
				t.Fatalf("POST answer %s: %v", body, err)
			}
			id, token = out[0].ServiceRequestID, out[0].Token
		} else {
			var out struct {
				Requests []RequestResponse `xml:"request"`
			}
			if err := xml.Unmarshal(body, &out); err != nil || len(out.Requests) != 1 {
				t.Fatalf("POST answer %s: %v", body, err)
			}
			id, token = out.Requests[0].ServiceRequestID, out.Requests[0].Token
		}
		if bytes.Contains(body, []byte("13812345678")) || bytes.Contains(body, []byte("张三")) {
			t.Fatalf("answer leaks personal data: %s", body)
		}
		if code, body = e.do(t, "GET", "/open311/v2/tokens/"+token+"."+f, nil); code != 200 || !bytes.Contains(body, []byte(id)) {
			t.Fatalf("token: %d %s", code, body)
		}
		code, body = e.do(t, "GET", "/open311/v2/requests/"+id+"."+f, nil)
		if code != 200 || !bytes.Contains(body, []byte("open")) || bytes.Contains(body, []byte("13812345678")) {
			t.Fatalf("GET request: %d %s", code, body)
		}

		// The ticket moves on inside hallgate; Open311 follows it.
		agent := auth.Principal{ID: "agent-1", Roles: []auth.Role{auth.RoleAgent}}
		dept := auth.Principal{ID: "water-sys", Roles: []auth.Role{auth.DepartmentRole("water")}}
		for _, step := range []struct {
			p   auth.Principal
			cmd ticket.Command
		}{
			{agent, ticket.Command{Type: ticket.EvDispatch, Department: "water"}},
			{dept, ticket.Command{Type: ticket.EvAccept}},
			{dept, ticket.Command{Type: ticket.EvReply, Text: "已派维修队关阀抢修，管道已修复。"}},
			{agent, ticket.Command{Type: ticket.EvRate, Rating: "满意"}},
		} {
			if _, err := e.tickets.Apply(ctx, step.p, id, step.cmd); err != nil {
				t.Fatalf("%s: %v", step.cmd.Type, err)
			}
		}
		tk, _ := e.tickets.Get(ctx, id)
		if tk.Status != ticket.StatusClosed {
			if _, err := e.tickets.Apply(ctx, agent, id, ticket.Command{Type: ticket.EvClose}); err != nil {
				t.Fatalf("close: %v", err)
			}
		}
		code, body = e.do(t, "GET", "/open311/v2/requests/"+id+"."+f, nil)
		if code != 200 || !bytes.Contains(body, []byte("closed")) || !bytes.Contains(body, []byte("管道已修复")) {
			t.Fatalf("closed request: %d %s", code, body)
		}
		code, body = e.do(t, "GET", "/open311/v2/servicerequestupdates."+f, nil)
		for _, want := range []string{"OPEN", "INVESTIGATING", "IN_PROGRESS", "ACTION_SCHEDULED", "CLOSED"} {
			if code != 200 || !bytes.Contains(body, []byte(want)) {
				t.Fatalf("updates.%s lacks %s: %d %s", f, want, code, body)
			}
		}
		code, body = e.do(t, "GET", "/open311/v2/requests."+f+"?status=closed&service_code=water", nil)
		if code != 200 || !bytes.Contains(body, []byte(id)) {
			t.Fatalf("list closed: %d %s", code, body)
		}
		code, body = e.do(t, "GET", "/open311/v2/requests."+f+"?status=open", nil)
		if code != 200 || bytes.Contains(body, []byte(id)) {
			t.Fatalf("list open shows a closed request: %d %s", code, body)
		}
	}
}

func TestBadRequests(t *testing.T) {
	e := setup(t)
	cases := []struct {
		name   string
		mutate func(url.Values)
		status int
		want   string
	}{
		{"no api_key", func(v url.Values) { v.Del("api_key") }, 403, "api_key"},
		{"wrong api_key", func(v url.Values) { v.Set("api_key", "hg_nope") }, 403, "api_key"},
		{"unknown service", func(v url.Values) { v.Set("service_code", "moon") }, 404, "service_code"},
		{"no location", func(v url.Values) { v.Del("lat"); v.Del("long") }, 400, "location"},
		{"bad lat", func(v url.Values) { v.Set("lat", "north") }, 400, "lat"},
		{"no description", func(v url.Values) { v.Del("description") }, 400, "description"},
		{"bad type", func(v url.Values) { v.Set("attribute[request_type]", "闲聊") }, 400, "request_type"},
	}
	for _, c := range cases {
		for _, f := range []string{"json", "xml"} {
			form := validForm(e.key)
			c.mutate(form)
			code, body := e.do(t, "POST", "/open311/v2/requests."+f, form)
			if code != c.status || !bytes.Contains(body, []byte(c.want)) {
				t.Errorf("%s (%s): %d %s", c.name, f, code, body)
				continue
			}
			// errors are the standard's [{code, description}]
			if f == "json" {
				var errs []APIError
				if err := json.Unmarshal(body, &errs); err != nil || len(errs) != 1 || errs[0].Code != c.status {
					t.Errorf("%s: error body %s: %v", c.name, body, err)
				}
			} else if !bytes.Contains(body, []byte("<errors><error><code>")) {
				t.Errorf("%s: xml error body %s", c.name, body)
			}
		}
	}
	// nothing was half-stored
	page, err := e.tickets.List(context.Background(), ticket.Filter{Limit: 10})
	if err != nil || len(page.Tickets) != 0 {
		t.Fatalf("refused requests left tickets: %d %v", len(page.Tickets), err)
	}
	if code, _ := e.do(t, "GET", "/open311/v2/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", nil); code != 400 {
		t.Fatalf("range over 90 days: %d", code)
	}
	if code, _ := e.do(t, "GET", "/open311/v2/requests/JC0000.json", nil); code != 404 {
		t.Fatalf("unknown request: %d", code)
	}
}

func TestHotlineTicketsAreNotPublic(t *testing.T) {
	e := setup(t)
	agent := auth.Principal{ID: "agent-1", Roles: []auth.Role{auth.RoleAgent}}
	ans, err := e.tickets.Create(context.Background(), agent, ticket.Intake{Channel: ticket.ChannelHotline, Type: ticket.TypeComplaint,
		Text: "邻居装修噪音扰民", Caller: ticket.Caller{Name: "李四", Phone: "13900001111"}}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	code := ans.Result.Ticket.Code
	if status, _ := e.do(t, "GET", "/open311/v2/requests/"+code+".json", nil); status != 404 {
		t.Fatalf("hotline ticket visible over Open311: %d", status)
	}
	_, body := e.do(t, "GET", "/open311/v2/requests.json", nil)
	if bytes.Contains(body, []byte(code)) {
		t.Fatalf("hotline ticket listed: %s", body)
	}
	_ = time.Now
}
