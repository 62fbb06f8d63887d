package kbapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase"
)

const (
	admin  = "admin"
	editor = "editor"
	agentR = "agent"
	water  = "department:water"
)

func TestDepartmentsRoutes(t *testing.T) {
	app, _, _ := testApp(t, nil)
	if r := do(t, app, "POST", "/api/v1/departments/import", editor, deptsJSON); r.status != http.StatusForbidden {
		t.Fatalf("editor importing departments: %d", r.status)
	}
	if r := do(t, app, "POST", "/api/v1/departments/import", admin, `[{"code":"x"`); r.status != http.StatusBadRequest {
		t.Fatalf("malformed: %d %s", r.status, r.body)
	}
	r := do(t, app, "POST", "/api/v1/departments/import", admin, `[{"code":"ok","name":"好","consolidation_mode":"merged"},{"code":"","name":"","consolidation_mode":"?"}]`)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"[1].consolidation_mode"`) {
		t.Fatalf("invalid departments: %d %s", r.status, r.body)
	}
	if r := do(t, app, "POST", "/api/v1/departments/import", admin, deptsJSON); r.status != http.StatusOK {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	// Public information: anonymous citizens may list departments.
	var list struct {
		Departments []struct{ Code, Name string }
	}
	r = do(t, app, "GET", "/api/v1/departments", "", "")
	r.json(t, &list)
	if r.status != 200 || len(list.Departments) != 2 || list.Departments[0].Code != "hrss" {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	if r := do(t, app, "GET", "/api/v1/departments/nowhere", "", ""); r.status != http.StatusNotFound {
		t.Fatalf("unknown department: %d", r.status)
	}
}

func TestEntriesCRUDTransitionsAndVersions(t *testing.T) {
	app, _, _ := testApp(t, nil)
	do(t, app, "POST", "/api/v1/departments/import", admin, deptsJSON)

	entry := `{"id":"e-1","title":"自来水如何过户？","answer":"带身份证到营业厅办理。","category":"水电燃气/供水","department":"water","channels":["hotline"],"keywords":["过户"]}`
	if r := do(t, app, "POST", "/api/v1/kb/entries", agentR, entry); r.status != http.StatusForbidden {
		t.Fatalf("agent creating: %d", r.status)
	}
	if r := do(t, app, "POST", "/api/v1/kb/entries", "department:hrss", entry); r.status != http.StatusForbidden {
		t.Fatalf("other department creating: %d %s", r.status, r.body)
	}
	if r := do(t, app, "POST", "/api/v1/kb/entries", editor, strings.Replace(entry, `"water"`, `"caac"`, 1)); r.status != http.StatusUnprocessableEntity ||
		!strings.Contains(string(r.body), `"department"`) {
		t.Fatalf("unknown department: %d %s", r.status, r.body)
	}
	if r := do(t, app, "POST", "/api/v1/kb/entries", editor, `{"titel":"x"}`); r.status != http.StatusBadRequest {
		t.Fatalf("unknown field: %d", r.status)
	}
	r := do(t, app, "POST", "/api/v1/kb/entries", water, entry)
	if r.status != http.StatusCreated || r.header.Get("ETag") != `"1"` {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if r := do(t, app, "POST", "/api/v1/kb/entries", editor, strings.Replace(entry, `"e-1"`, `"e-2"`, 1)); r.status != http.StatusConflict {
		t.Fatalf("duplicate title: %d %s", r.status, r.body)
	}
	if r := do(t, app, "GET", "/api/v1/kb/entries/e-1", "", ""); r.status != http.StatusNotFound {
		t.Fatalf("citizen reading a draft: %d", r.status)
	}
	if r := do(t, app, "POST", "/api/v1/kb/entries/e-1/transitions", water, `{"to":"published"}`); r.status != http.StatusForbidden {
		t.Fatalf("department publishing: %d", r.status)
	}
	if r := do(t, app, "POST", "/api/v1/kb/entries/e-1/transitions", water, `{"to":"in_review","note":"请审核"}`); r.status != 200 {
		t.Fatalf("propose: %d %s", r.status, r.body)
	}
	if r := do(t, app, "POST", "/api/v1/kb/entries/e-1/transitions", editor, `{"to":"published"}`, "If-Match", `"1"`); r.status != http.StatusConflict {
		t.Fatalf("stale If-Match: %d", r.status)
	}
	if r := do(t, app, "POST", "/api/v1/kb/entries/e-1/transitions", editor, `{"to":"published"}`, "If-Match", `"2"`); r.status != 200 {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	if r := do(t, app, "POST", "/api/v1/kb/entries/e-1/transitions", editor, `{"to":"limbo"}`); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("unknown state: %d", r.status)
	}
	var got knowledgebase.Entry
	r = do(t, app, "GET", "/api/v1/kb/entries/e-1", "", "")
	r.json(t, &got)
	if r.status != 200 || got.Status != "published" || got.Version != 3 {
		t.Fatalf("citizen read: %d %s", r.status, r.body)
	}
	upd := strings.Replace(entry, "带身份证到营业厅办理。", "可在线办理。", 1)
	if r := do(t, app, "PUT", "/api/v1/kb/entries/e-1", editor, upd); r.status != http.StatusPreconditionRequired {
		t.Fatalf("update without version: %d", r.status)
	}
	if r := do(t, app, "PUT", "/api/v1/kb/entries/e-1", editor, upd, "If-Match", `W/"3"`); r.status != 200 || r.header.Get("ETag") != `"4"` {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	var vs struct{ Versions []knowledgebase.Version }
	r = do(t, app, "GET", "/api/v1/kb/entries/e-1/versions", agentR, "")
	r.json(t, &vs)
	if len(vs.Versions) != 4 || vs.Versions[3].Changes[0].Field != "answer" || vs.Versions[1].Note != "请审核" {
		t.Fatalf("versions: %s", r.body)
	}
	if r := do(t, app, "GET", "/api/v1/kb/entries/e-1/versions", "", ""); r.status != http.StatusForbidden {
		t.Fatalf("citizen reading versions: %d", r.status)
	}
	if r := do(t, app, "DELETE", "/api/v1/kb/entries/e-1", water, ""); r.status != http.StatusForbidden {
		t.Fatalf("department delete: %d", r.status)
	}
	if r := do(t, app, "DELETE", "/api/v1/kb/entries/e-1", editor, ""); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := do(t, app, "GET", "/api/v1/kb/entries/e-1", editor, ""); r.status != http.StatusNotFound {
		t.Fatalf("after delete: %d", r.status)
	}
}

func TestImportSearchAndAnalytics(t *testing.T) {
	app, _, _ := testApp(t, nil)
	do(t, app, "POST", "/api/v1/departments/import", admin, deptsJSON)
	body := strings.Join([]string{
		`{"id":"k-1","question":"自来水如何过户？","answer":"带身份证到营业厅办理。","department":"water","category":"水电燃气","channel":"hotline","keywords":["过户"]}`,
		`not json`,
		`{"id":"k-3","question":"自来水停水内部口径","answer":"先安抚再报修。","department":"water","category":"水电燃气","channel":"hotline","keywords":[],"visibility":"internal"}`,
		`{"id":"k-4","question":"自来水水质投诉","answer":"拨打12345。","department":"nowhere","category":"水电燃气","channel":"hotline","keywords":[]}`,
	}, "\n")
	if r := do(t, app, "POST", "/api/v1/kb/import", agentR, body); r.status != http.StatusForbidden {
		t.Fatalf("agent import: %d", r.status)
	}
	var res knowledgebase.ImportResult
	r := do(t, app, "POST", "/api/v1/kb/import", editor, body)
	r.json(t, &res)
	if r.status != 200 || res.Imported != 2 || len(res.Errors) != 2 || res.Errors[0].Line != 2 || res.Errors[1].Line != 4 {
		t.Fatalf("import: %d %s", r.status, r.body)
	}

	type hitsT struct {
		Hits []struct {
			ID, Kind, Question, Answer, Department, Highlight string
			Score                                             float64
		}
		Total    int
		TookMS   *float64 `json:"took_ms"`
		SearchID string   `json:"search_id"`
	}
	search := func(roles, query string) (int, hitsT) {
		var h hitsT
		r := do(t, app, "GET", "/api/v1/kb/search?"+query, roles, "")
		if r.status == 200 {
			r.json(t, &h)
		}
		return r.status, h
	}
	st, h := search("", "q="+url.QueryEscape("自来水"))
	if st != 200 || len(h.Hits) != 1 || h.Hits[0].ID != "k-1" || h.Hits[0].Question == "" || h.Hits[0].Answer == "" ||
		h.Hits[0].Department != "water" || h.Hits[0].Kind != "entry" || h.TookMS == nil || h.Total != 1 {
		t.Fatalf("citizen search: %d %+v", st, h)
	}
	if _, h := search(agentR, "q="+url.QueryEscape("自来水")); len(h.Hits) != 2 {
		t.Fatalf("agent sees internal: %+v", h)
	}
	for _, bad := range []string{"q=", "", "q=" + url.QueryEscape(strings.Repeat("水", 257)), "q=x&limit=0", "q=x&limit=abc", "q=x&offset=-1", "q=x&kind=faq"} {
		if st, _ := search("", bad); st != http.StatusBadRequest {
			t.Fatalf("search %q: %d, want 400", bad[:min(len(bad), 20)], st)
		}
	}
	if st, _ := search("", "q=x&department=nowhere"); st != http.StatusUnprocessableEntity {
		t.Fatalf("unknown department filter: %d", st)
	}
	if st, h := search("", "q="+url.QueryEscape(strings.Repeat("水", 256))+"&department=water"); st != 200 || h.SearchID == "" {
		t.Fatalf("256-character query: %d", st)
	}

	// Analytics: a zero-result query is a gap; a clicked one is not.
	search("", "q="+url.QueryEscape("无人机登记"))
	_, h = search("", "q="+url.QueryEscape("自来水过户"))
	if r := do(t, app, "POST", "/api/v1/kb/search/click", "", `{"search_id":"`+h.SearchID+`","id":"k-1"}`); r.status != http.StatusNoContent {
		t.Fatalf("click: %d %s", r.status, r.body)
	}
	if r := do(t, app, "POST", "/api/v1/kb/search/click", "", `{"search_id":"zz","id":"k-1"}`); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad click: %d", r.status)
	}
	var gaps struct{ Gaps []knowledgebase.Gap }
	r = do(t, app, "GET", "/api/v1/kb/gaps", editor, "")
	r.json(t, &gaps)
	queries := []string{}
	for _, g := range gaps.Gaps {
		queries = append(queries, g.Query)
	}
	joined := strings.Join(queries, "|")
	if !strings.HasPrefix(joined, "无人机登记") || strings.Contains(joined, "自来水过户") {
		t.Fatalf("gaps: %s", r.body)
	}
	if r := do(t, app, "GET", "/api/v1/kb/gaps", "", ""); r.status != http.StatusForbidden {
		t.Fatalf("citizen reading gaps: %d", r.status)
	}
	if r := do(t, app, "GET", "/api/v1/kb/queries/top?limit=2", "supervisor", ""); r.status != 200 || !strings.Contains(string(r.body), "自来水") {
		t.Fatalf("top: %d %s", r.status, r.body)
	}

	// Feedback.
	if r := do(t, app, "POST", "/api/v1/kb/entries/k-1/feedback", "", `{"helpful":true}`); r.status != http.StatusCreated {
		t.Fatalf("feedback: %d %s", r.status, r.body)
	}
	if r := do(t, app, "POST", "/api/v1/kb/entries/k-3/feedback", "", `{"helpful":true}`); r.status != http.StatusNotFound {
		t.Fatalf("citizen feedback on an internal entry: %d", r.status)
	}
	if r := do(t, app, "POST", "/api/v1/kb/entries/k-1/feedback", "", `{}`); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("feedback without helpful: %d", r.status)
	}
	if r := do(t, app, "GET", "/api/v1/kb/entries/k-1/feedback", agentR, ""); r.status != 200 || !strings.Contains(string(r.body), `"helpful":1`) {
		t.Fatalf("tally: %d %s", r.status, r.body)
	}

	// Export as JSONL, re-importable as-is.
	r = do(t, app, "GET", "/api/v1/kb/export", editor, "")
	if r.status != 200 || strings.Count(string(r.body), "\n") != 2 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/x-ndjson") {
		t.Fatalf("export: %d %q", r.status, r.body)
	}
	r = do(t, app, "POST", "/api/v1/kb/import", editor, string(r.body))
	r.json(t, &res)
	if res.Imported != 2 || res.Unchanged != 2 {
		t.Fatalf("re-import: %s", r.body)
	}
}

func TestSynonymsAndItems(t *testing.T) {
	app, _, _ := testApp(t, nil)
	do(t, app, "POST", "/api/v1/departments/import", admin, deptsJSON)
	if r := do(t, app, "GET", "/api/v1/kb/synonyms", agentR, ""); r.status != http.StatusForbidden {
		t.Fatalf("agent reading synonyms: %d", r.status)
	}
	r := do(t, app, "PUT", "/api/v1/kb/synonyms", editor, `{"groups":[["社保卡","社会保障卡"]]}`)
	if r.status != 200 || r.header.Get("ETag") != `"1"` {
		t.Fatalf("put synonyms: %d %s", r.status, r.body)
	}
	if r := do(t, app, "PUT", "/api/v1/kb/synonyms", editor, `{"groups":[["a","b"]]}`, "If-Match", `"7"`); r.status != http.StatusConflict {
		t.Fatalf("stale synonyms: %d", r.status)
	}
	if r := do(t, app, "PUT", "/api/v1/kb/synonyms", editor, `{"groups":[["a"]]}`); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad group: %d", r.status)
	}
	if r := do(t, app, "GET", "/api/v1/kb/synonyms", editor, ""); !strings.Contains(string(r.body), "社会保障卡") {
		t.Fatalf("get synonyms: %s", r.body)
	}

	item := `{"name":"供水用户过户","code":"360100-WATER-GG-0001","type":"公共服务","department":"water",
	 "materials":[{"name":"身份证","form":"原件","count":1}],"conditions":["持有不动产权证书"],"steps":["申请","审核"],
	 "promised_days":1,"statutory_days":5,"enquiry_phone":"12345","status":"published"}`
	if r := do(t, app, "POST", "/api/v1/items", water, item); r.status != http.StatusForbidden {
		t.Fatalf("department creating a published item: %d %s", r.status, r.body)
	}
	r = do(t, app, "POST", "/api/v1/items", editor, item)
	if r.status != http.StatusCreated {
		t.Fatalf("create item: %d %s", r.status, r.body)
	}
	var g knowledgebase.Guide
	r = do(t, app, "GET", "/api/v1/items/360100-WATER-GG-0001/guide", "", "")
	r.json(t, &g)
	if r.status != 200 || g.DepartmentName != "江川市水务集团" || len(g.Sections) < 4 || g.Materials[0].Name != "身份证" {
		t.Fatalf("guide: %d %s", r.status, r.body)
	}
	r = do(t, app, "GET", "/api/v1/kb/search?kind=item&q="+url.QueryEscape("供水过户"), "", "")
	if r.status != 200 || !strings.Contains(string(r.body), `"kind":"item"`) || !strings.Contains(string(r.body), `"id":"360100-WATER-GG-0001"`) {
		t.Fatalf("item search: %d %s", r.status, r.body)
	}
	r = do(t, app, "GET", "/api/v1/items", "", "")
	if r.status != 200 || !strings.Contains(string(r.body), "供水用户过户") {
		t.Fatalf("list items: %s", r.body)
	}
	bulk := `{"name":"供水用户销户","code":"360100-WATER-GG-0002","type":"公共服务","department":"water"}` + "\n" + `{"name":"x","code":"bad"}`
	if r := do(t, app, "POST", "/api/v1/items/import", water, bulk); r.status != http.StatusForbidden {
		t.Fatalf("department bulk import: %d", r.status)
	}
	r = do(t, app, "POST", "/api/v1/items/import", editor, bulk)
	if r.status != 200 || !strings.Contains(string(r.body), `"imported":1`) || !strings.Contains(string(r.body), `"line":2`) {
		t.Fatalf("item import: %d %s", r.status, r.body)
	}
	if r := do(t, app, "POST", "/api/v1/items/360100-WATER-GG-0001/transitions", editor, `{"to":"archived"}`); r.status != 200 {
		t.Fatalf("archive item: %d %s", r.status, r.body)
	}
	if r := do(t, app, "GET", "/api/v1/items/360100-WATER-GG-0001/guide", "", ""); r.status != http.StatusNotFound {
		t.Fatalf("citizen guide of an archived item: %d", r.status)
	}
	r = do(t, app, "GET", "/api/v1/items/360100-WATER-GG-0001/versions", agentR, "")
	if r.status != 200 || strings.Count(string(r.body), `"action"`) != 2 {
		t.Fatalf("item versions: %s", r.body)
	}
}

// A department's FAQ sheet as CSV through the API: imported by the
// Content-Type, searchable at once; a sheet without the required columns is
// a 422 naming them.
func TestImportCSVOverHTTP(t *testing.T) {
	app, _, _ := testApp(t, nil)
	do(t, app, "POST", "/api/v1/departments/import", admin, deptsJSON)
	sheet := "问题,答案,部门,分类,关键词\r\n自来水如何过户？,带身份证到营业厅办理。,water,水电燃气,过户\r\n"
	var res knowledgebase.ImportResult
	r := do(t, app, "POST", "/api/v1/kb/import", editor, sheet, "Content-Type", "text/csv; charset=utf-8")
	r.json(t, &res)
	if r.status != 200 || res.Imported != 1 || len(res.Errors) != 0 {
		t.Fatalf("CSV import: %d %s", r.status, r.body)
	}
	if r := do(t, app, "GET", "/api/v1/kb/search?q="+url.QueryEscape("过户"), "", ""); r.status != 200 || !strings.Contains(string(r.body), "自来水如何过户") {
		t.Errorf("search after the CSV import: %d %s", r.status, r.body)
	}
	ex := do(t, app, "GET", "/api/v1/kb/export?format=csv", editor, "")
	if ex.status != 200 || !strings.HasPrefix(ex.header.Get("Content-Type"), "text/csv") || !strings.Contains(string(ex.body), "自来水如何过户") {
		t.Errorf("CSV export: %d %v %s", ex.status, ex.header, ex.body)
	}
	if r := do(t, app, "GET", "/api/v1/kb/export?format=xml", editor, ""); r.status != http.StatusBadRequest {
		t.Errorf("unknown export format: %d", r.status)
	}
	r = do(t, app, "POST", "/api/v1/kb/import", editor, "问题,内容\r\nx,y\r\n", "Content-Type", "text/csv")
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), "answer") || !strings.Contains(string(r.body), "department") {
		t.Errorf("sheet without the columns: %d %s", r.status, r.body)
	}
}
