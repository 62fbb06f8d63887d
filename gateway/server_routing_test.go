package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
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
	var lines strings.Builder
	n := 0
	for dept, texts := range topics {
		for i := range 12 {
			line, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("h-%s-%d", dept, i), "channel": "hotline",
				"text": fmt.Sprintf("市民来电反映：第%d次，%s，希望尽快处理。", i+1, texts[i%len(texts)]), "district": "东区",
				"type": "投诉", "department": dept, "co_departments": []string{}, "urgent": false})
			lines.Write(append(line, '\n'))
			n++
		}
	}
	r := g.do(http.MethodPost, "/api/v1/tickets/import", testAdminToken, strings.NewReader(lines.String()), "Content-Type", "application/x-ndjson")
	if r.status != http.StatusOK || r.json(t)["imported"] != float64(n) {
		t.Fatalf("tickets: %d %s", r.status, r.body)
	}
}
