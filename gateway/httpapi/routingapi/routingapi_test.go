package routingapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/gateway/routing"
	"github.com/hallgate/hallgate/gateway/store/bolt"
)

var depts = []routing.DepartmentInfo{
	{Code: "water", Name: "水务集团", ShortName: "水务", Responsibilities: "负责城市供水、水压水质、水费和排水管网。"},
	{Code: "power", Name: "供电公司", ShortName: "供电", Responsibilities: "负责停电抢修、电费电价和用电报装。"},
	{Code: "edu", Name: "教育局", ShortName: "教育", Responsibilities: "负责入学报名、学位分配和校外培训机构监管。"},
}

// newApp mounts the module behind a role check like the gateway's: the test
// principal's roles come from the X-Test-Roles header.
func newApp(t *testing.T) *fiber.App {
	t.Helper()
	st, err := bolt.Open(context.Background(), bolt.Options{Path: filepath.Join(t.TempDir(), "r.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	s, err := routing.Open(context.Background(), routing.Options{Store: st, Tokenizer: routing.CharNGrams,
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Departments: func(context.Context) ([]routing.DepartmentInfo, error) { return depts, nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	app := fiber.New(fiber.Config{ErrorHandler: httpapi.NewErrorHandler(nil)})
	for _, r := range New(s).Routes() {
		r := r
		app.Add(r.Method, r.Path, func(c *fiber.Ctx) error {
			var roles []auth.Role
			for _, x := range strings.Split(c.Get("X-Test-Roles"), ",") {
				if x != "" {
					roles = append(roles, auth.Role(x))
				}
			}
			p := auth.Principal{ID: "t", Roles: roles}
			if !slices.ContainsFunc(r.Roles, p.Has) {
				return httpapi.Errorf(fiber.StatusForbidden, "role")
			}
			auth.SetPrincipal(c, p)
			return r.Handler(c)
		})
	}
	return app
}

func do(t *testing.T, app *fiber.App, method, path, roles, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Test-Roles", roles)
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: body %q: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, out
}

func TestImportSuggestAndRules(t *testing.T) {
	app := newApp(t)
	var lines []string
	topics := map[string][]string{
		"water": {"家里停水了", "自来水发黄", "水压太低"},
		"power": {"突然停电了", "电费太高", "电压不稳"},
		"edu":   {"孩子入学报名", "培训机构跑路", "学位不够"},
	}
	i := 0
	for d, ts := range topics {
		for _, tx := range ts {
			for _, where := range []string{"东城区", "西城区", "南湖路"} {
				i++
				b, _ := json.Marshal(map[string]any{"id": "h" + string(rune('a'+i)), "text": "来电反映" + where + tx + "，请处理", "department": d, "type": "投诉", "urgent": false, "channel": "hotline"})
				lines = append(lines, string(b))
			}
		}
	}
	body := strings.Join(lines, "\n")
	if code, _ := do(t, app, "POST", "/api/v1/routing/examples/import", "agent", body); code != http.StatusForbidden {
		t.Fatalf("agent import: %d, want 403", code)
	}
	code, out := do(t, app, "POST", "/api/v1/routing/examples/import", "admin", body)
	if code != 200 || out["imported"].(float64) != float64(len(lines)) {
		t.Fatalf("import: %d %v", code, out)
	}
	code, out = do(t, app, "POST", "/api/v1/routing/examples/import", "admin", `{"text":"x","department":"nowhere"}`)
	if code != 422 || out["fields"] == nil {
		t.Fatalf("import unknown department: %d %v", code, out)
	}
	code, out = do(t, app, "POST", "/api/v1/routing/examples/import", "admin", `{"text":"停水","department":"water","type":"闲聊","co_departments":["nowhere"]}`)
	if f, _ := out["fields"].(map[string]any); code != 422 || f["line 1: type"] == nil || f["line 1: co_departments[0]"] == nil {
		t.Fatalf("import bad type/co-department: %d %v", code, out)
	}
	if code, _ = do(t, app, "POST", "/api/v1/routing/examples/import", "admin", `{"text":`); code != 400 {
		t.Fatalf("malformed import: %d", code)
	}
	if code, _ = do(t, app, "POST", "/api/v1/routing/retrain", "admin", ""); code != 200 {
		t.Fatalf("retrain: %d", code)
	}

	code, out = do(t, app, "POST", "/api/v1/routing/suggest", "agent", `{"text":"北山镇家里停水三天了","district":"东城区","channel":"hotline"}`)
	if code != 200 || out["department"] != "water" {
		t.Fatalf("suggest: %d %v", code, out)
	}
	for _, k := range []string{"co_departments", "candidates", "type", "urgent", "direct_answer", "evidence"} {
		if _, ok := out[k]; !ok {
			t.Errorf("suggest answer lacks %s: %v", k, out)
		}
	}
	code, out = do(t, app, "POST", "/api/v1/routing/suggest", "agent", `{"text":"  "}`)
	if code != 422 || out["fields"] == nil {
		t.Fatalf("empty text: %d %v", code, out)
	}
	if code, _ = do(t, app, "POST", "/api/v1/routing/suggest", "agent", `{"text":1}`); code != 400 {
		t.Fatalf("malformed suggest: %d", code)
	}
	if code, _ = do(t, app, "POST", "/api/v1/routing/suggest", "citizen", `{"text":"停水"}`); code != 403 {
		t.Fatalf("citizen suggest: %d", code)
	}

	// Rules CRUD.
	if code, _ = do(t, app, "POST", "/api/v1/routing/rules", "agent", `{"keywords":["校车"],"department":"edu"}`); code != 403 {
		t.Fatalf("agent creates rule: %d", code)
	}
	code, out = do(t, app, "POST", "/api/v1/routing/rules", "supervisor", `{"keywords":[],"department":"nowhere","priority":20}`)
	if code != 422 {
		t.Fatalf("bad rule: %d %v", code, out)
	}
	fields, _ := out["fields"].(map[string]any)
	for _, f := range []string{"keywords", "department", "priority"} {
		if _, ok := fields[f]; !ok {
			t.Errorf("422 fields %v lack %s", fields, f)
		}
	}
	code, out = do(t, app, "POST", "/api/v1/routing/rules", "supervisor", `{"keywords":["校车"],"department":"edu","co_departments":["power"],"priority":5,"note":"校车归教育"}`)
	if code != 201 {
		t.Fatalf("create rule: %d %v", code, out)
	}
	id := out["id"].(string)
	code, out = do(t, app, "POST", "/api/v1/routing/suggest", "agent", `{"text":"校车停在路边没人管"}`)
	if code != 200 || out["department"] != "edu" || !strings.Contains(toJSON(out["co_departments"]), "power") {
		t.Fatalf("rule not applied: %v", out)
	}
	code, out = do(t, app, "GET", "/api/v1/routing/rules", "agent", "")
	if code != 200 || len(out["rules"].([]any)) != 1 {
		t.Fatalf("list: %d %v", code, out)
	}
	code, out = do(t, app, "PUT", "/api/v1/routing/rules/"+id, "admin", `{"keywords":["校车","接送车"],"department":"edu","priority":6}`)
	if code != 200 || out["version"].(float64) != 2 {
		t.Fatalf("update: %d %v", code, out)
	}
	req := httptest.NewRequest("PUT", "/api/v1/routing/rules/"+id, strings.NewReader(`{"keywords":["校车"],"department":"edu"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Test-Roles", "admin")
	req.Header.Set("If-Match", "1")
	resp, _ := app.Test(req, -1)
	if resp.StatusCode != 409 {
		t.Fatalf("stale If-Match: %d", resp.StatusCode)
	}
	if code, _ = do(t, app, "DELETE", "/api/v1/routing/rules/"+id, "admin", ""); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if code, _ = do(t, app, "GET", "/api/v1/routing/rules/"+id, "admin", ""); code != 404 {
		t.Fatalf("get deleted: %d", code)
	}
}

func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }
