package kbapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase"
)

// After a burst of concurrent searches and clicks, /kb/queries/top and
// /kb/gaps report every one of them: exact search, zero-result and click
// counts, twice in a row (the second burst adds to what the first report
// flushed to the store).
func TestAnalyticsAfterSearchBurst(t *testing.T) {
	app, _, _ := testApp(t, nil)
	if r := do(t, app, "POST", "/api/v1/departments/import", admin, deptsJSON); r.status != 200 {
		t.Fatalf("departments: %d %s", r.status, r.body)
	}
	var lines []string
	for _, e := range []map[string]any{
		{"id": "ab-1", "question": "自来水如何过户？", "answer": "带身份证到营业厅办理。", "department": "water"},
		{"id": "ab-2", "question": "社保卡丢了怎么补办？", "answer": "到社保经办网点补办。", "department": "hrss"},
	} {
		e["category"], e["channel"] = "综合/测试", "hotline"
		b, _ := json.Marshal(e)
		lines = append(lines, string(b))
	}
	if r := do(t, app, "POST", "/api/v1/kb/import", editor, strings.Join(lines, "\n")); r.status != 200 {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	burst := map[string]int{"自来水过户": 40, "社保卡补办": 25, "无人机登记": 15}
	const clicks = 7 // on 社保卡补办's answer
	for round := 1; round <= 2; round++ {
		var jobs []string
		for q, n := range burst {
			for range n {
				jobs = append(jobs, q)
			}
		}
		ids := make(chan string, len(jobs))
		var wg sync.WaitGroup
		work := make(chan string)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for q := range work {
					r := do(t, app, "GET", "/api/v1/kb/search?q="+url.QueryEscape(q), "", "")
					var res knowledgebase.SearchResult
					if r.status != 200 || json.Unmarshal(r.body, &res) != nil {
						t.Errorf("search %q: %d %s", q, r.status, r.body)
						return
					}
					if (q == "无人机登记") != (res.Total == 0) {
						t.Errorf("search %q: %d hits", q, res.Total)
					}
					if q == "社保卡补办" {
						ids <- res.SearchID
					}
				}
			}()
		}
		for _, q := range jobs {
			work <- q
		}
		close(work)
		wg.Wait()
		close(ids)
		sid := <-ids
		for range clicks {
			if r := do(t, app, "POST", "/api/v1/kb/search/click", "", `{"search_id":"`+sid+`","id":"ab-2"}`); r.status != http.StatusNoContent {
				t.Fatalf("click: %d %s", r.status, r.body)
			}
		}

		var top struct{ Queries []knowledgebase.QueryStats }
		r := do(t, app, "GET", "/api/v1/kb/queries/top?limit=10", "supervisor", "")
		r.json(t, &top)
		want := []knowledgebase.QueryStats{
			{Query: "自来水过户", Searches: int64(40 * round), LastHits: 1},
			{Query: "社保卡补办", Searches: int64(25 * round), Clicks: int64(clicks * round), LastHits: 1},
			{Query: "无人机登记", Searches: int64(15 * round), ZeroResults: int64(15 * round)},
		}
		if len(top.Queries) != len(want) {
			t.Fatalf("round %d: top %s", round, r.body)
		}
		for i, w := range want {
			g := top.Queries[i]
			g.LastAt = w.LastAt
			if g != w {
				t.Fatalf("round %d: top[%d] = %+v, want %+v (%s)", round, i, g, w, r.body)
			}
		}
		var gaps struct{ Gaps []knowledgebase.Gap }
		r = do(t, app, "GET", "/api/v1/kb/gaps", editor, "")
		r.json(t, &gaps)
		if len(gaps.Gaps) != 2 || gaps.Gaps[0].Query != "无人机登记" || gaps.Gaps[0].Reason != "zero_results" ||
			gaps.Gaps[0].ZeroResults != int64(15*round) || gaps.Gaps[1].Query != "自来水过户" ||
			gaps.Gaps[1].Reason != "no_clicks" || gaps.Gaps[1].Searches != int64(40*round) {
			t.Fatalf("round %d: gaps %s", round, r.body)
		}
	}
}
