package routingapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/department"
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
	return newAppWith(t, nil)
}

// newAppWith is newApp with the suggester's options adjusted by set.
func newAppWith(t *testing.T, set func(*routing.Options)) *fiber.App {
	t.Helper()
	return newAppModule(t, set, nil)
}

// newAppModule is newAppWith with the module adjusted by mod.
func newAppModule(t *testing.T, set func(*routing.Options), mod func(*Module)) *fiber.App {
	t.Helper()
	st, err := bolt.Open(context.Background(), bolt.Options{Path: filepath.Join(t.TempDir(), "r.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	opts := routing.Options{Store: st, Tokenizer: routing.CharNGrams,
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Departments: func(context.Context) ([]routing.DepartmentInfo, error) { return depts, nil }}
	if set != nil {
		set(&opts)
	}
	s, err := routing.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	app := fiber.New(fiber.Config{ErrorHandler: httpapi.NewErrorHandler(nil)})
	m := New(s)
	if mod != nil {
		mod(m)
	}
	for _, r := range m.Routes() {
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
	ct := ""
	if body != "" {
		ct = "application/json"
	}
	return doText(t, app, method, path, roles, ct, body)
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

// doText sends body with the given content type (none when empty) and
// decodes the JSON answer, if any.
func doText(t *testing.T, app *fiber.App, method, path, roles, contentType, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
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

// A guide written for this test's three departments; its lines claim
// matters their 三定 texts do not mention.
const testGuide = "# 测试市派单指引\n\n" +
	"通用规则：\n" +
	"- urgent=true 仅用于：水管爆裂淹到马路、变电箱冒烟起火。\n\n" +
	"各部门归口：\n" +
	"- `water`（水务集团）：二次供水水箱清洗、小区消防栓漏水（物业管理的协办 power）。\n" +
	"- `power`（供电公司）：充电桩报装、路边箱变嗡嗡响；学校停电归 edu。\n" +
	"- `edu`（教育局）：研学旅行收费、课后托管。\n"

func TestImportGuide(t *testing.T) {
	app := newApp(t)
	// (Before the guide, 研学旅行收费 matches no duty text and was suggested
	// to power.)
	if code, out := doText(t, app, "PUT", "/api/v1/routing/guide", "agent", "text/markdown", testGuide); code != 403 {
		t.Fatalf("agent imports guide: %d %v", code, out)
	}
	// A hand-made rule that a guide import must leave alone.
	if code, out := do(t, app, "POST", "/api/v1/routing/rules", "supervisor", `{"keywords":["校车"],"department":"edu","priority":5}`); code != 201 {
		t.Fatalf("create rule: %d %v", code, out)
	}
	code, out := doText(t, app, "PUT", "/api/v1/routing/guide", "supervisor", "text/markdown; charset=utf-8", testGuide)
	if code != 200 || out["created"].(float64) != 4 || out["updated"].(float64) != 0 || out["removed"].(float64) != 0 {
		t.Fatalf("import guide: %d %v", code, out)
	}
	byID := func() map[string]map[string]any {
		_, out := do(t, app, "GET", "/api/v1/routing/rules", "agent", "")
		m := map[string]map[string]any{}
		for _, r := range out["rules"].([]any) {
			r := r.(map[string]any)
			m[r["id"].(string)] = r
		}
		return m
	}
	rules := byID()
	if len(rules) != 5 || rules["guide-water"] == nil || !strings.Contains(toJSON(rules["guide-water"]["scope"]), "二次供水") {
		t.Fatalf("rules after import: %v", toJSON(rules))
	}
	if code, out = do(t, app, "POST", "/api/v1/routing/retrain", "admin", ""); code != 200 {
		t.Fatalf("retrain: %d %v", code, out)
	}
	for text, want := range map[string]string{"我们小区的二次供水水箱好几年没清洗了": "water", "学校组织研学旅行收费太高": "edu", "路边箱变一直嗡嗡响": "power"} {
		code, out = do(t, app, "POST", "/api/v1/routing/suggest", "agent", toJSON(map[string]string{"text": text}))
		if code != 200 || out["department"] != want {
			t.Fatalf("suggest %s after guide: %d %v", text, code, toJSON(out))
		}
	}
	code, out = do(t, app, "POST", "/api/v1/routing/suggest", "agent", `{"text":"路口水管爆裂淹到马路了"}`)
	if code != 200 || out["urgent"] != true {
		t.Fatalf("urgent phrase from the guide not applied: %d %v", code, toJSON(out))
	}

	// An administrator lowers one line; a revised guide drops edu's line.
	g := rules["guide-power"]
	g["priority"] = float64(2)
	delete(g, "version")
	if code, out = do(t, app, "PUT", "/api/v1/routing/rules/guide-power", "admin", toJSON(g)); code != 200 {
		t.Fatalf("lower guide-power: %d %v", code, out)
	}
	revised := strings.Replace(testGuide, "- `edu`（教育局）：研学旅行收费、课后托管。\n", "", 1)
	code, out = doText(t, app, "PUT", "/api/v1/routing/guide", "admin", "text/plain", revised)
	if code != 200 || out["created"].(float64) != 0 || out["updated"].(float64) != 3 || out["removed"].(float64) != 1 {
		t.Fatalf("re-import: %d %v", code, out)
	}
	rules = byID()
	if len(rules) != 4 || rules["guide-edu"] != nil || rules["guide-power"]["priority"].(float64) != 2 {
		t.Fatalf("after re-import: %v", toJSON(rules))
	}

	// A guide with problems changes nothing and lists every problem by line.
	bad := revised + "- `nowhere`（不存在）：某事。\n- `water`（又一行）：重复。\n"
	code, out = doText(t, app, "PUT", "/api/v1/routing/guide", "admin", "text/markdown", bad)
	problems := toJSON(out["problems"])
	if code != 422 || !strings.Contains(problems, "unknown department nowhere") || !strings.Contains(problems, "already has line") {
		t.Fatalf("bad guide: %d %v", code, out)
	}
	if after := byID(); len(after) != 4 || after["guide-power"]["version"] != rules["guide-power"]["version"] {
		t.Fatalf("a refused guide changed the catalogue: %v", toJSON(after))
	}
	if code, out = doText(t, app, "PUT", "/api/v1/routing/guide", "admin", "text/markdown", " \n "); code != 400 {
		t.Fatalf("empty guide: %d %v", code, out)
	}
	if code, out = doText(t, app, "PUT", "/api/v1/routing/guide", "admin", "application/json", `{"guide":1}`); code != 415 {
		t.Fatalf("json guide: %d %v", code, out)
	}
	if code, out = doText(t, app, "PUT", "/api/v1/routing/guide", "admin", "text/markdown", "# 只有标题\n"); code != 422 {
		t.Fatalf("guide without department lines: %d %v", code, out)
	}
}

// TestImportAnswersOnceLearned: the examples import answers when the model
// has learned the examples, so a suggestion asked next — even one that
// never waits for a rebuild (StaleWait < 0) — comes from that model.
func TestImportAnswersOnceLearned(t *testing.T) {
	app := newAppWith(t, func(o *routing.Options) { o.StaleWait = -1; o.RetrainDelay = 200 * time.Millisecond })
	var lines []string
	for i, where := range []string{"东城区", "西城区", "南湖路", "北山镇", "滨河街道", "花园小区"} {
		for j, tx := range []string{"井盖丢了没人管", "路口井盖松动", "人行道井盖塌陷"} {
			b, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("m%d-%d", i, j), "text": "来电反映" + where + tx + "，请处理",
				"department": "power", "type": "投诉", "urgent": false, "channel": "hotline"})
			lines = append(lines, string(b))
		}
	}
	code, out := do(t, app, "POST", "/api/v1/routing/examples/import", "admin", strings.Join(lines, "\n"))
	if code != 200 || out["model_learned"] != true {
		t.Fatalf("import: %d %v, want model_learned", code, out)
	}
	code, out = do(t, app, "POST", "/api/v1/routing/suggest", "agent", `{"text":"小区门口井盖丢了"}`)
	if code != 200 || out["department"] != "power" || out["model_pending"] == true {
		t.Fatalf("suggest right after the import: %d %v, want power from the learned model", code, out)
	}
}

// The examples import takes departments by the names older systems export,
// stores codes, and refuses a name that fits several departments with its
// candidates; a failing directory is a server error, not a bad line.
func TestImportExamplesResolvesNames(t *testing.T) {
	var calls int
	var failing bool
	app := newAppModule(t, nil, func(m *Module) {
		m.ResolveDepartments(func(_ context.Context, ref string) (string, error) {
			calls++
			if failing {
				return "", errors.New("store down")
			}
			switch ref {
			case "供电公司", "95598":
				return "power", nil
			case "管理局":
				return "", &department.AmbiguousError{Ref: ref, Candidates: []string{"power", "water"}}
			}
			return "", fmt.Errorf("department %q: %w", ref, department.ErrUnknownDepartment)
		})
	})
	body := `{"text":"小区停电了","department":"供电公司","type":"求助"}` + "\n" +
		`{"text":"电压不稳","department":"95598","co_departments":["供电公司"]}` + "\n" +
		`{"text":"停水","department":"water"}`
	code, out := do(t, app, "POST", "/api/v1/routing/examples/import", "admin", body)
	if code != 200 || out["imported"] != float64(3) {
		t.Fatalf("import: %d %v", code, out)
	}
	if calls != 2 {
		t.Errorf("resolver called %d times, want once per distinct name (2)", calls)
	}
	code, out = do(t, app, "POST", "/api/v1/routing/examples/import", "admin", `{"text":"x","department":"管理局"}`+"\n"+`{"text":"y","department":"民航局"}`)
	f, _ := out["fields"].(map[string]any)
	if code != 422 || !strings.Contains(fmt.Sprint(f["line 1: department"]), "power, water") || !strings.Contains(fmt.Sprint(f["line 2: department"]), "unknown department 民航局") {
		t.Fatalf("bad names: %d %v", code, out)
	}
	failing = true
	if code, out = do(t, app, "POST", "/api/v1/routing/examples/import", "admin", `{"text":"x","department":"电力"}`); code != 500 {
		t.Fatalf("failing directory: %d %v", code, out)
	}
}
