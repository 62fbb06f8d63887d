package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSuggestRightAfterACityIsImported: a city adopting hallgate imports
// its departments, knowledge base and ticket history through the API and
// asks for a suggestion at once. The answer must come from a model that
// learned the history (the ticket import answers once the model learned it;
// a suggestion waits for any rebuild a bulk change left owed), not from the
// empty model the gateway started with.
func TestSuggestRightAfterACityIsImported(t *testing.T) {
	g := startFullGateway(t, testConfig(t), nil)
	importTestCity(t, g)
	for text, want := range testCityQuestions {
		r := g.do(http.MethodPost, "/api/v1/routing/suggest", testAdminToken, strings.NewReader(fmt.Sprintf(`{"text":%q}`, text)))
		if r.status != http.StatusOK {
			t.Fatalf("suggest: %d %s", r.status, r.body)
		}
		got := r.json(t)
		if got["department"] != want || got["model_pending"] == true {
			t.Errorf("%s: department %v (model_pending %v), want %s", text, got["department"], got["model_pending"], want)
		}
	}
}

// TestRoutingReplicasShareHistory: two gateways on one Redis; a city
// imported through one is learned by the other's routing model too.
func TestRoutingReplicasShareHistory(t *testing.T) {
	cfg := redisTestConfig(t, "the replicas' shared history test", "routingtest")
	cfg2 := cfg
	cfg2.Server.DataDir = t.TempDir()
	a, b := startFullGateway(t, cfg, nil), startFullGateway(t, cfg2, nil)
	importTestCity(t, a)
	deadline := time.Now().Add(60 * time.Second)
	for text, want := range testCityQuestions {
		for {
			r := b.do(http.MethodPost, "/api/v1/routing/suggest", testAdminToken, strings.NewReader(fmt.Sprintf(`{"text":%q}`, text)))
			if r.status != http.StatusOK {
				t.Fatalf("suggest: %d %s", r.status, r.body)
			}
			got := r.json(t)
			if got["department"] == want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica b still answers %v for %s, want %s: the history imported through a never reached it", got["department"], text, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// testCityQuestions are asked of a gateway that imported the test city,
// with the department its history teaches.
var testCityQuestions = map[string]string{"路边的树木修剪完枝叶堆着": "garden", "菜场的秤缺斤短两": "market", "家里自来水水压低还发黄": "water"}

// importTestCity imports a small city through the API: departments whose
// duties never mention the words of their history, one KB entry, and
// history tickets that teach those words.
func importTestCity(t *testing.T, g *testGateway) {
	t.Helper()
	depts := `[
	 {"code":"garden","name":"某市园林局","legacy_hotlines":[],"consolidation_mode":"merged","responsibilities":"负责城市公园管理。"},
	 {"code":"market","name":"某市商务局","legacy_hotlines":[],"consolidation_mode":"merged","responsibilities":"负责商贸流通管理。"},
	 {"code":"water","name":"某市水务局","legacy_hotlines":[],"consolidation_mode":"merged","responsibilities":"负责供水排水管理。"}]`
	if r := g.do(http.MethodPost, "/api/v1/departments/import", testAdminToken, strings.NewReader(depts)); r.status != http.StatusOK {
		t.Fatalf("departments: %d %s", r.status, r.body)
	}
	kb := `{"id":"kb-1","question":"停水通知在哪里查询？","answer":"请关注水务公告。","department":"water","category":"供水","channel":"hotline","keywords":["停水"]}` + "\n"
	if r := g.do(http.MethodPost, "/api/v1/kb/import", testAdminToken, strings.NewReader(kb), "Content-Type", "application/x-ndjson"); r.status != http.StatusOK {
		t.Fatalf("kb: %d %s", r.status, r.body)
	}
	// The history teaches words the duties never mention.
	topics := map[string][]string{
		"garden": {"行道树枝条遮挡路灯", "绿化带里的古树枯死", "树木修剪后枝叶没人清运"},
		"market": {"农贸市场摊位缺斤短两", "菜场摊主占道经营", "早市摊贩秤不准"},
		"water":  {"小区水压太低", "自来水发黄有异味", "水管爆裂一直没人修"},
	}
	// Two departments are named as an older system's export names them:
	// routing must still learn them under their codes.
	written := map[string]string{"garden": "园林局", "market": "某市商务局", "water": "water"}
	var lines strings.Builder
	n := 0
	for dept, texts := range topics {
		for i := range 12 {
			line, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("h-%s-%d", dept, i), "channel": "hotline",
				"text": fmt.Sprintf("市民来电反映：第%d次，%s，希望尽快处理。", i+1, texts[i%len(texts)]), "district": "东区",
				"type": "投诉", "department": written[dept], "co_departments": []string{}, "urgent": false})
			lines.Write(append(line, '\n'))
			n++
		}
	}
	r := g.do(http.MethodPost, "/api/v1/tickets/import", testAdminToken, strings.NewReader(lines.String()), "Content-Type", "application/x-ndjson")
	if r.status != http.StatusOK || r.json(t)["imported"] != float64(n) {
		t.Fatalf("tickets: %d %s", r.status, r.body)
	}
}

// TestConceptLexiconEditedThroughTheAPI: a supervisor teaches routing a
// city's own word through the API; bad lines are refused by line with
// nothing saved, a stale version conflicts, an agent may read but not edit,
// and the edit reaches suggestions once the model rebuilt (in_model).
func TestConceptLexiconEditedThroughTheAPI(t *testing.T) {
	cfg := testConfig(t)
	cfg.Routing.StarterExamples = false // what the lexicon and its edit do, alone
	g := startFullGateway(t, cfg, nil)
	importTestCity(t, g)
	const text = "嘀嘀宝横七竖八堆在小区门口"
	suggest := func() map[string]any {
		r := g.do(http.MethodPost, "/api/v1/routing/suggest", testAdminToken, strings.NewReader(fmt.Sprintf(`{"text":%q}`, text)))
		if r.status != http.StatusOK {
			t.Fatalf("suggest: %d %s", r.status, r.body)
		}
		return r.json(t)
	}
	if got := suggest()["department"]; got == "market" {
		t.Fatal("routed to market before the edit: the test proves nothing")
	}
	put := func(body, token string, header ...string) response {
		return g.do(http.MethodPut, "/api/v1/routing/concepts", token, strings.NewReader(body), append([]string{"Content-Type", "text/plain; charset=utf-8"}, header...)...)
	}
	p := expectProblem(t, put("商贸流通 | 嘀嘀宝\n没有竖线\n特种设备 | -不存在的词\n", testAdminToken), http.StatusUnprocessableEntity)
	probs, _ := p["problems"].([]any)
	if len(probs) != 2 || probs[0].(map[string]any)["line"] != float64(2) || probs[1].(map[string]any)["line"] != float64(3) {
		t.Fatalf("problems %v", p["problems"])
	}
	if v := g.do(http.MethodGet, "/api/v1/routing/concepts", testAdminToken, nil).json(t); v["edits"].(map[string]any)["version"] != float64(0) {
		t.Fatalf("a refused edit was saved: %v", v["edits"])
	}
	expectProblem(t, put("商贸流通 | 嘀嘀宝", testAdminToken, "Content-Type", "application/json"), http.StatusUnsupportedMediaType)

	r := g.do(http.MethodPost, "/api/v1/tokens", testAdminToken, strings.NewReader(`{"name":"坐席","roles":["agent"]}`))
	if r.status != http.StatusCreated {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	agent, _ := r.json(t)["token"].(string)
	expectProblem(t, put("商贸流通 | 嘀嘀宝", agent), http.StatusForbidden)

	r = put("商贸流通 | 嘀嘀宝", testAdminToken)
	if r.status != http.StatusOK {
		t.Fatalf("put: %d %s", r.status, r.body)
	}
	etag := r.header.Get("ETag")
	if ch := r.json(t)["change"].(map[string]any); ch["added"].(float64)+ch["extended"].(float64) != 1 || etag == "" {
		t.Fatalf("change %v, etag %q", ch, etag)
	}
	expectProblem(t, put("商贸流通 | 嘀嘀宝 小蓝宝", testAdminToken, "If-Match", `"99"`), http.StatusConflict)

	// The agent reads which concept a caller's word belongs to.
	r = g.do(http.MethodGet, "/api/v1/routing/concepts?text="+url.QueryEscape(text), agent, nil)
	if r.status != http.StatusOK {
		t.Fatalf("get: %d %s", r.status, r.body)
	}
	if m, _ := r.json(t)["matches"].([]any); len(m) == 0 || m[0].(map[string]any)["term"] != "嘀嘀宝" {
		t.Errorf("matches %s", r.body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for g.do(http.MethodGet, "/api/v1/routing/concepts", agent, nil).json(t)["in_model"] != true {
		if time.Now().After(deadline) {
			t.Fatal("the model never rebuilt with the edit")
		}
		time.Sleep(50 * time.Millisecond)
	}
	got := suggest()
	if got["department"] != "market" || !strings.Contains(fmt.Sprint(got["evidence"]), "「嘀嘀宝」属「商贸流通」") {
		t.Errorf("with the edit: department %v, evidence %v", got["department"], got["evidence"])
	}
	lex := g.do(http.MethodGet, "/api/v1/routing/concepts/lexicon", agent, nil)
	if lex.status != http.StatusOK || !strings.HasPrefix(lex.header.Get("Content-Type"), "text/plain") || !regexp.MustCompile(`\n商贸流通[^\n|]*\|[^\n]* 嘀嘀宝\n`).Match(lex.body) {
		t.Errorf("lexicon: %d %q", lex.status, lex.header.Get("Content-Type"))
	}
	if r := g.do(http.MethodDelete, "/api/v1/routing/concepts", testAdminToken, nil, "If-Match", etag); r.status != http.StatusOK {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
}

// TestDutyTemplatesShown: an agent sees which shipped duty template each
// department's name matched, with its text.
func TestDutyTemplatesShown(t *testing.T) {
	g := startFullGateway(t, testConfig(t), nil)
	importTestCity(t, g)
	r := g.do(http.MethodGet, "/api/v1/routing/templates", testAdminToken, nil)
	if r.status != http.StatusOK {
		t.Fatalf("templates: %d %s", r.status, r.body)
	}
	var out struct {
		Departments []struct {
			Department, Template, Text string
			Match                      []string
		}
	}
	if err := json.Unmarshal(r.body, &out); err != nil || len(out.Departments) != 3 {
		t.Fatalf("body %s (%v)", r.body, err)
	}
	for _, d := range out.Departments {
		if d.Department == "water" && (d.Template != "水务局" || !strings.Contains(d.Text, "负责") || len(d.Match) == 0) {
			t.Errorf("water: %+v", d)
		}
	}
}
