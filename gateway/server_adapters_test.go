package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/gateway/department"
	"github.com/hallgate/hallgate/gateway/store/bolt"
	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/embedded"
)

// TestRoutingKBEntriesSpreadsTheBudget: the routing model's KB reader
// shares its budget over the departments (one with few entries leaves its
// share to the others), reads only published entries, and reads
// everything when the budget allows.
func TestRoutingKBEntriesSpreadsTheBudget(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := bolt.Open(ctx, bolt.Options{Path: filepath.Join(dir, "hallgate.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	idx, err := embedded.Open(ctx, embedded.Options{Dir: filepath.Join(dir, "index")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	depts := department.NewService(st)
	counts := map[string]int{"aa": 10, "bb": 2, "cc": 30}
	var ds []department.Department
	for code := range counts {
		ds = append(ds, department.Department{Code: code, Name: code + "局", LegacyHotlines: []string{}, ConsolidationMode: "merged"})
	}
	if _, err := depts.Import(ctx, ds); err != nil {
		t.Fatal(err)
	}
	kb := knowledgebase.NewService(st, idx, depts, knowledgebase.Options{})
	var lines strings.Builder
	for code, n := range counts {
		for i := range n {
			line, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("%s-%02d", code, i), "question": fmt.Sprintf("%s第%d个问题怎么办理", code, i),
				"answer": "按规定办理。", "department": code, "category": "测试", "channel": "hotline", "keywords": []string{"测试"}})
			lines.Write(append(line, '\n'))
		}
	}
	// A draft is never training material.
	lines.WriteString(`{"id":"cc-draft","question":"草稿问题不应参与训练","answer":"草稿","department":"cc","category":"测试","channel":"hotline","keywords":[],"status":"draft"}` + "\n")
	res, err := kb.Import(ctx, knowledgebase.Actor{ID: "editor", Editor: true, Staff: true}, strings.NewReader(lines.String()))
	if err != nil || len(res.Errors) > 0 || res.Imported != 43 {
		t.Fatalf("import: %+v %v", res, err)
	}
	byDept := func(max int) (map[string]int, int) {
		got, err := routingKBEntries(kb, depts, max)(ctx)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		out := map[string]int{}
		for _, e := range got {
			if seen[e.ID] || e.ID == "cc-draft" {
				t.Fatalf("entry %s read twice or a draft read", e.ID)
			}
			seen[e.ID] = true
			out[e.Department]++
		}
		return out, len(got)
	}
	if got, n := byDept(12); n != 12 || got["bb"] != 2 || got["aa"] != 5 || got["cc"] != 5 {
		t.Errorf("budget 12: %d entries %v, want 12 with bb 2, aa 5, cc 5", n, got)
	}
	if got, n := byDept(3); n != 3 || got["aa"] != 1 || got["bb"] != 1 || got["cc"] != 1 {
		t.Errorf("budget 3: %d entries %v, want one each", n, got)
	}
	for _, max := range []int{-1, 42, 1000} {
		if got, n := byDept(max); n != 42 || got["aa"] != 10 || got["bb"] != 2 || got["cc"] != 30 {
			t.Errorf("budget %d: %d entries %v, want all 42 published", max, n, got)
		}
	}
}
