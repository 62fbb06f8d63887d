package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvalRoutingThroughHTTP: a tiny city written for this test, imported
// through a fresh gateway's API per split and asked at once. Its history
// teaches words the duties never mention, so the table is only high when
// the answers come from a model that learned the imported history.
func TestEvalRoutingThroughHTTP(t *testing.T) {
	dir := t.TempDir()
	depts := `[
	 {"code":"garden","name":"某市园林局","legacy_hotlines":[],"consolidation_mode":"merged","responsibilities":"负责城市公园管理。"},
	 {"code":"market","name":"某市商务局","legacy_hotlines":[],"consolidation_mode":"merged","responsibilities":"负责商贸流通管理。"},
	 {"code":"water","name":"某市水务局","legacy_hotlines":[],"consolidation_mode":"merged","responsibilities":"负责供水排水管理。"}]`
	topics := map[string][]string{
		"garden": {"行道树枝条遮挡路灯", "绿化带里的古树枯死", "树木修剪后枝叶没人清运", "公园草坪被车碾坏"},
		"market": {"农贸市场摊位缺斤短两", "菜场摊主占道经营", "早市摊贩秤不准", "超市临期食品混卖"},
		"water":  {"小区水压太低", "自来水发黄有异味", "水管爆裂一直没人修", "停水没有提前通知"},
	}
	var tickets strings.Builder
	n := 0
	for _, dept := range []string{"garden", "market", "water"} {
		for i := range 16 {
			line, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("e-%s-%d", dept, i), "channel": "hotline",
				"text": fmt.Sprintf("市民来电反映：%s，第%d次反映了。", topics[dept][i%4], i+1), "district": "东区",
				"type": "投诉", "department": dept, "co_departments": []string{}, "urgent": false, "direct_answer": false})
			tickets.Write(append(line, '\n'))
			n++
		}
	}
	files := map[string]string{"departments.json": depts, "tickets.jsonl": tickets.String(), "kb.jsonl": evalKB}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// evalKB's departments (police, hpf) are not this city's: the KB import
	// must be refused, and the command must say so rather than go on.
	_, _, err := runCLI(t, nil, "eval", "routing", "--mode", "http", "--departments", filepath.Join(dir, "departments.json"),
		"--tickets", filepath.Join(dir, "tickets.jsonl"), "--kb", filepath.Join(dir, "kb.jsonl"), "--splits", "1", "--folds", "-1")
	if err == nil || !strings.Contains(err.Error(), "rejected") {
		t.Fatalf("a KB with unknown departments: want the rejected lines reported, got %v", err)
	}
	out, errOut, err := runCLI(t, nil, "eval", "routing", "--mode", "http", "--departments", filepath.Join(dir, "departments.json"),
		"--tickets", filepath.Join(dir, "tickets.jsonl"), "--splits", "2", "--folds", "-1")
	if err != nil {
		t.Fatalf("eval routing --mode http: %v\n%s\n%s", err, out, errOut)
	}
	if !strings.Contains(out, "33 history tickets imported (answered after") || !strings.Contains(out, "15 asked (first answer after") {
		t.Fatalf("output lacks the per-split import line:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 3 && f[0] == "mean" {
			if f[2] < "0.900" {
				t.Fatalf("mean top-1 %s through the API, want ≥ 0.900 on a city this plain:\n%s", f[2], out)
			}
			return
		}
	}
	t.Fatalf("no mean row:\n%s", out)
}
