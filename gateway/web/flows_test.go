package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/hallgate/hallgate/connectors/simulator"
	"github.com/hallgate/hallgate/gateway/demo"
	"github.com/hallgate/hallgate/gateway/ticket"
)

// A citizen searches, reads a guide, leaves a message and follows it by code.
func TestBrowserCitizenFindsAnswerAndFollowsMessage(t *testing.T) {
	ctx := browser(t)
	c := startCity(t)
	dir := artifacts(t)
	var guideTitle, code, status string
	run(t, ctx, dir, "search",
		chromedp.Navigate(c.base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#q")),
		chromedp.SendKeys(chromedp.CSS("#q"), "居住证怎么办"),
		chromedp.Submit(chromedp.CSS("#q")),
		chromedp.WaitVisible(chromedp.CSS("#hits")),
		waitJS(`document.querySelectorAll("#hits mark").length > 0`),
		shot(t, dir, "01-search-results"),
	)
	run(t, ctx, dir, "guide",
		chromedp.Click(chromedp.CSS(`#hits a[href^="/items/"]`)),
		chromedp.WaitVisible(chromedp.CSS("article.guide")),
		shot(t, dir, "02-guide"),
	)
	guideTitle = text(t, ctx, "h1")
	if !strings.Contains(guideTitle, "居住证") {
		t.Fatalf("guide title %q", guideTitle)
	}
	var guide string
	guide = text(t, ctx, "article.guide")
	for _, want := range []string{"受理条件", "申请材料", "办理流程", "承诺时限", "收费", "地点", "网上办理"} {
		if !strings.Contains(guide, want) {
			t.Errorf("guide lacks %s", want)
		}
	}
	run(t, ctx, dir, "message",
		chromedp.Navigate(c.base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#message-form")),
		chromedp.SendKeys(chromedp.CSS("#m-title"), "小区路灯不亮"),
		chromedp.SendKeys(chromedp.CSS("#m-content"), "幸福小区东门外的路灯已经坏了一周，晚上出行不安全，请尽快维修。"),
		chromedp.SetValue(chromedp.CSS("#m-type"), "求助"),
		chromedp.SendKeys(chromedp.CSS("#m-name"), "王女士"),
		chromedp.SendKeys(chromedp.CSS("#m-phone"), "13600136006"),
		chromedp.Click(chromedp.CSS(`#message-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#message-code")),
		shot(t, dir, "03-message-sent"),
	)
	code = text(t, ctx, "#message-code")
	if code == "" {
		t.Fatal("no message code")
	}
	run(t, ctx, dir, "track",
		chromedp.Navigate(c.base+"/track"),
		chromedp.WaitVisible(chromedp.CSS("#t-code")),
		chromedp.SendKeys(chromedp.CSS("#t-code"), code),
		chromedp.SendKeys(chromedp.CSS("#t-last4"), "6006"),
		chromedp.Submit(chromedp.CSS("#t-last4")),
		chromedp.WaitVisible(chromedp.CSS("#track-status")),
		shot(t, dir, "04-tracked"),
	)
	status = text(t, ctx, "#track-status")
	if status == "" {
		t.Fatal("no status shown")
	}
	// The wrong last four digits find nothing.
	var problem string
	run(t, ctx, dir, "track-wrong",
		chromedp.Navigate(c.base+"/track?code="+code+"&phone_last4=0000"),
		chromedp.WaitVisible(chromedp.CSS(".error")),
	)
	problem = text(t, ctx, ".error")
	if !strings.Contains(problem, "未找到") {
		t.Fatalf("wrong digits: %q", problem)
	}
}

// An agent takes a call, sees the caller's history, files a ticket with the
// suggested department; the simulator accepts and replies; the agent calls
// back, records the rating, and the ticket is closed.
func TestBrowserAgentCallToClosedTicket(t *testing.T) {
	ctx := browser(t)
	c := startCity(t)
	dir := artifacts(t)
	var history, dept string
	run(t, ctx, dir, "login", loginAs(c.base, "agent", "demo-agent-pass"),
		chromedp.WaitVisible(chromedp.CSS("#ring-btn")), shot(t, dir, "01-console"))
	run(t, ctx, dir, "call",
		chromedp.SetValue(chromedp.CSS("#ring-from"), demo.CallerPhone),
		chromedp.Click(chromedp.CSS("#ring-btn")),
		chromedp.WaitVisible(chromedp.CSS("#history")),
		shot(t, dir, "02-screen-pop"),
	)
	history = text(t, ctx, "#history")
	if !strings.Contains(history, "居住证") || !strings.Contains(history, "公交") {
		t.Fatalf("screen pop history lacks the caller's earlier tickets: %q", history)
	}
	run(t, ctx, dir, "kb",
		chromedp.SendKeys(chromedp.CSS("#kb-q"), "路灯"),
		waitJS(`document.querySelectorAll("#kb-hits mark").length > 0`),
		shot(t, dir, "03-kb-search"),
	)
	run(t, ctx, dir, "suggest",
		chromedp.SendKeys(chromedp.CSS("#tf-text"), "人民路和解放路交叉口的路灯坏了好几天，晚上很黑，请派人维修"),
		chromedp.SendKeys(chromedp.CSS("#tf-name"), "张先生"),
		chromedp.Click(chromedp.CSS("#suggest-btn")),
		chromedp.WaitVisible(chromedp.CSS("#suggested-dept")),
		shot(t, dir, "04-suggestion"),
	)
	dept = value(t, ctx, "#tf-dept")
	if dept != "cgj" {
		t.Fatalf("suggested department %q, want cgj (城管局)", dept)
	}
	var code string
	run(t, ctx, dir, "file",
		chromedp.Click(chromedp.CSS("#file-btn")),
		chromedp.WaitVisible(chromedp.CSS("#new-code")),
		shot(t, dir, "05-filed"),
	)
	code = text(t, ctx, "#new-code")
	run(t, ctx, dir, "department-replies",
		waitJS(`(() => { const s = document.querySelector("#detail-status"); return s && s.dataset.status === "replied" && document.querySelector("#detail-code").textContent === `+jsString(code)+`; })()`),
		waitJS(`!!document.querySelector("#rate-btn") && !!document.querySelector('#deliveries tr[data-state="delivered"]')`),
		shot(t, dir, "06-replied"),
	)
	var reply string
	reply = text(t, ctx, "#detail-reply")
	if !strings.Contains(reply, "模拟") {
		t.Fatalf("reply %q is not the simulator's", reply)
	}
	run(t, ctx, dir, "callback-and-close",
		chromedp.SetValue(chromedp.CSS("#rate-sel"), "满意"),
		chromedp.Click(chromedp.CSS("#rate-btn")),
		waitJS(`document.querySelector("#detail-status").dataset.status === "closed"`),
		shot(t, dir, "07-closed"),
	)
	tk, err := c.app.Caps.Tickets.Get(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Status != ticket.StatusClosed || tk.Department != "cgj" || tk.Rating != "满意" || tk.Caller.Phone == "" {
		t.Fatalf("ticket after the flow: status %s dept %s rating %s", tk.Status, tk.Department, tk.Rating)
	}
	if n := c.sims.Simulator("cgj").Stats().Unique; n < 1 {
		t.Fatalf("simulator received %d deliveries", n)
	}
}

// A caller reports a fire: the suggestion names 119, and one click files
// the ticket and transfers it, on record with the caller's words.
func TestBrowserAgentTransfersEmergency(t *testing.T) {
	ctx := browser(t)
	c := startCity(t)
	dir := artifacts(t)
	run(t, ctx, dir, "login", loginAs(c.base, "agent", "demo-agent-pass"),
		chromedp.WaitVisible(chromedp.CSS("#ring-btn")))
	run(t, ctx, dir, "suggest",
		chromedp.SendKeys(chromedp.CSS("#tf-text"), "我家楼下的饭店厨房起火了，冒出很多浓烟，请赶紧派人来"),
		chromedp.Click(chromedp.CSS("#suggest-btn")),
		chromedp.WaitVisible(chromedp.CSS("#emergency-119")),
		shot(t, dir, "01-emergency"),
	)
	run(t, ctx, dir, "transfer",
		chromedp.Click(chromedp.CSS("#emergency-119")),
		chromedp.WaitVisible(chromedp.CSS("#new-code")),
		waitJS(`(() => { const s = document.querySelector("#detail-status"); return s && s.dataset.status === "transferred"; })()`),
		waitJS(`!!document.querySelector('#timeline li[data-type="transfer_emergency"]')`),
		shot(t, dir, "02-transferred"),
	)
	code := text(t, ctx, "#new-code")
	tk, err := c.app.Caps.Tickets.Get(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Status != ticket.StatusTransferred {
		t.Fatalf("ticket %s is %s, want transferred", code, tk.Status)
	}
	last := tk.Events[len(tk.Events)-1]
	if last.Type != ticket.EvTransfer || last.Data["number"] != "119" || !strings.Contains(last.Note, "起火") {
		t.Fatalf("last event %+v, want a transfer to 119 citing the fire", last)
	}
}

// A supervisor (the demo admin: redrive is an admin route) finds a dead
// letter and redrives it once the department system is back.
func TestBrowserSupervisorRedrivesDeadLetter(t *testing.T) {
	ctx := browser(t)
	c := startCity(t)
	dir := artifacts(t)
	sim := c.sims.Simulator("gjj")
	sim.SetFaults(simulator.Faults{ErrorRate: 1, ErrorStatus: 422})
	admin := client(t)
	csrf := login(t, admin, c.base, "admin", "demo-admin-pass")
	body, _ := json.Marshal(map[string]any{"channel": "hotline", "type": "咨询", "text": "公积金租房提取一直没到账", "caller": map[string]string{"phone": "13500135005"}, "department": "gjj"})
	if code, resp := do(t, admin, "POST", c.base+"/ui/api/v1/tickets", csrf, string(body)); code != 201 {
		t.Fatalf("intake: %d %s", code, resp)
	}
	start := time.Now()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, resp := do(t, admin, "GET", c.base+"/ui/api/v1/deadletters", "", "")
		if strings.Contains(resp, `"department":"gjj"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no dead letter for gjj: %s", resp)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("dead letter after %v", time.Since(start))
	sim.SetFaults(simulator.Faults{})
	before := sim.Stats().Unique
	run(t, ctx, dir, "login", loginAs(c.base, "admin", "demo-admin-pass"))
	t.Logf("login after %v", time.Since(start))
	run(t, ctx, dir, "admin", chromedp.Navigate(c.base+"/admin"))
	t.Logf("nav after %v", time.Since(start))
	run(t, ctx, dir, "admin-wait", chromedp.WaitVisible(chromedp.CSS(".redrive-btn")))
	t.Logf("visible after %v", time.Since(start))
	// The deadline rules in force, and the calendar alert exactly when the
	// API raises one (it depends on the date: 45 days before a year without
	// a holiday schedule).
	_, rulesResp := do(t, admin, "GET", c.base+"/ui/api/v1/deadlines", "", "")
	var rules struct {
		Warning string `json:"warning"`
	}
	if err := json.Unmarshal([]byte(rulesResp), &rules); err != nil {
		t.Fatalf("deadlines: %v %s", err, rulesResp)
	}
	run(t, ctx, dir, "admin-rules", waitJS(`(document.querySelector("#dl-limits")||{textContent:""}).textContent.includes("投诉 15")`))
	// The statistics rank the lead departments: the ticket just filed is
	// gjj's, named as the city names it.
	run(t, ctx, dir, "admin-depts", waitJS(`(document.querySelector('#st-depts tr[data-dept="gjj"]')||{textContent:""}).textContent.startsWith("公积金中心")`))
	// The period's export link downloads this month's tickets as CSV.
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#st-export").getAttribute("href")`))
	if err != nil || !strings.HasPrefix(href, "/ui/api/v1/tickets/export?from=") {
		t.Fatalf("export link %q %v", href, err)
	}
	if code, csv := do(t, admin, "GET", c.base+href, "", ""); code != 200 || !strings.HasPrefix(csv, "\ufeff工单编号,") || !strings.Contains(csv, "公积金租房提取一直没到账") || strings.Contains(csv, "13500135005") {
		t.Fatalf("export: %d %.200s", code, csv)
	}
	kbHref, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#kb-export").getAttribute("href")`))
	if err != nil {
		t.Fatal(err)
	}
	if code, sheet := do(t, admin, "GET", c.base+kbHref, "", ""); code != 200 || !strings.HasPrefix(sheet, "\ufeff编号,问题,答案,") {
		t.Fatalf("KB sheet from %q: %d %.200s", kbHref, code, sheet)
	}
	warning, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("#dl-calendar-warning")||{textContent:""}).textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if warning != rules.Warning {
		t.Fatalf("calendar alert on the page %q, the API's %q", warning, rules.Warning)
	}
	run(t, ctx, dir, "admin-shot", shot(t, dir, "01-dead-letter"))
	t.Logf("admin page after %v", time.Since(start))
	run(t, ctx, dir, "redrive",
		chromedp.Click(chromedp.CSS(".redrive-btn")),
		waitJS(`(document.querySelector("#dead-msg")||{}).textContent.includes("已重投")`),
		waitJS(`document.querySelectorAll(".redrive-btn").length === 0`),
		shot(t, dir, "02-redriven"),
	)
	deadline = time.Now().Add(30 * time.Second)
	for sim.Stats().Unique <= before {
		if time.Now().After(deadline) {
			t.Fatalf("the redriven delivery never reached the department system")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A supervisor adopting hallgate imports the old system's ticket export, a
// GBK spreadsheet CSV naming departments by name, from the admin page; the
// refused row and the unknown column are shown, and the imported tickets
// are in the store with their departments' codes.
func TestBrowserSupervisorImportsOldTickets(t *testing.T) {
	ctx := browser(t)
	c := startCity(t)
	dir := artifacts(t)
	suffix := time.Now().Format("150405.000")
	csv := strings.Join([]string{
		"工单编号,受理时间,来源,诉求内容,诉求类型,承办单位,坐席工号",
		"OLD-" + suffix + "-1,2025/3/4 9:30,电话,公积金租房提取申请后多久到账,咨询,公积金中心,A01",
		"OLD-" + suffix + "-2,2025/3/5 10:00,网站,工伤认定需要哪些材料,咨询,示范市人力资源和社会保障局,A02",
		"OLD-" + suffix + "-3,2025/3/6 11:00,电话,问题描述,闲聊,rsj,A03",
	}, "\r\n")
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(csv)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "旧系统工单.csv")
	if err := os.WriteFile(path, []byte(gbk), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, dir, "login", loginAs(c.base, "admin", "demo-admin-pass"))
	run(t, ctx, dir, "admin", chromedp.Navigate(c.base+"/admin"), chromedp.WaitVisible(chromedp.CSS("#im-file")))
	run(t, ctx, dir, "import",
		chromedp.SetUploadFiles(chromedp.CSS("#im-file"), []string{path}),
		chromedp.Click(chromedp.CSS("#im-submit")),
		waitJS(`(document.querySelector("#import-summary")||{textContent:""}).textContent.includes("已导入")`),
		shot(t, dir, "01-imported"),
	)
	if got := text(t, ctx, "#import-summary"); got != "已导入 2 条，1 行有误未导入。" {
		t.Fatalf("summary %q", got)
	}
	if got := text(t, ctx, "#import-ignored"); !strings.Contains(got, "坐席工号") {
		t.Errorf("ignored columns %q", got)
	}
	if got := text(t, ctx, "#import-result tbody"); !strings.Contains(got, "4") || !strings.Contains(got, "type") {
		t.Errorf("refused row %q", got)
	}
	// Importing the same file again skips what is already there.
	run(t, ctx, dir, "again",
		waitJS(`(document.querySelector("#import-summary").textContent = "", true)`),
		chromedp.Click(chromedp.CSS("#im-submit")),
		waitJS(`(document.querySelector("#import-summary")||{textContent:""}).textContent.includes("已导入")`),
	)
	if got := text(t, ctx, "#import-summary"); !strings.Contains(got, "已导入 0 条，跳过 2 条") {
		t.Fatalf("second import %q", got)
	}
	for _, want := range []struct{ id, dept string }{{"OLD-" + suffix + "-1", "gjj"}, {"OLD-" + suffix + "-2", "rsj"}} {
		n, err := c.app.Store.Count(context.Background(), ticket.Collection, map[string]string{"ext": want.id, "lead": want.dept})
		if err != nil || n != 1 {
			t.Errorf("%s under %s: %d stored (%v)", want.id, want.dept, n, err)
		}
	}
}

// An agent finds an earlier ticket by words of its text and address, typed
// as callers say them, and opens it.
func TestBrowserAgentFindsEarlierTicket(t *testing.T) {
	ctx := browser(t)
	c := startCity(t)
	dir := artifacts(t)
	agent := client(t)
	csrf := login(t, agent, c.base, "agent", "demo-agent-pass")
	marker := "槐荫巷" + time.Now().Format("150405")
	body, _ := json.Marshal(map[string]any{"channel": "hotline", "type": "投诉", "text": "楼下烧烤店油烟很大，晚上十点后还在营业",
		"address": "示范市" + marker + "3号", "caller": map[string]string{"phone": "13500135077"}, "department": "hbj"})
	code, resp := do(t, agent, "POST", c.base+"/ui/api/v1/tickets", csrf, string(body))
	if code != 201 {
		t.Fatalf("intake: %d %s", code, resp)
	}
	var created struct {
		Ticket struct {
			ID, Code string
		}
	}
	if err := json.Unmarshal([]byte(resp), &created); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, dir, "login", loginAs(c.base, "agent", "demo-agent-pass"), chromedp.WaitVisible(chromedp.CSS("#tl-q")))
	run(t, ctx, dir, "search",
		chromedp.SendKeys(chromedp.CSS("#tl-q"), marker+" 油烟"),
		waitJS(`document.querySelectorAll("#tickets tr[data-id]").length === 1 && document.querySelector("#tickets tr[data-id]").dataset.id === `+jsString(created.Ticket.ID)),
		shot(t, dir, "01-found"),
	)
	if note := text(t, ctx, "#tl-note"); !strings.Contains(note, marker) {
		t.Errorf("note %q", note)
	}
	if dept := text(t, ctx, "#tickets tr[data-id] td:nth-child(4)"); dept != "示范市生态环境局" {
		t.Errorf("the list names the department %q, want its name", dept)
	}
	run(t, ctx, dir, "none",
		chromedp.SendKeys(chromedp.CSS("#tl-q"), "没有这样的词"),
		waitJS(`document.querySelectorAll("#tickets tr[data-id]").length === 0 && document.querySelector("#tl-note").textContent.includes("没有")`),
	)
}

// An administrator reads the audit trail on the admin page: an agent's
// intake and dispatch through the pages name the signed-in agent and the
// ticket's code, a wrong password names the username tried, a filter by
// the ticket narrows the list, and the CSV export follows the filter; the
// caller's number appears nowhere.
func TestBrowserAdminReadsAuditTrail(t *testing.T) {
	ctx := browser(t)
	c := startCity(t)
	dir := artifacts(t)
	phone := fmt.Sprintf("139%08d", time.Now().UnixNano()%100000000)
	agent := client(t)
	csrf := login(t, agent, c.base, "agent", "demo-agent-pass")
	body, _ := json.Marshal(map[string]any{"channel": "hotline", "type": "求助", "text": "楼道灯坏了一个月没人修", "caller": map[string]string{"phone": phone}})
	code, resp := do(t, agent, "POST", c.base+"/ui/api/v1/tickets", csrf, string(body))
	if code != 201 {
		t.Fatalf("intake: %d %s", code, resp)
	}
	var created struct {
		Ticket struct{ ID, Code string } `json:"ticket"`
	}
	if err := json.Unmarshal([]byte(resp), &created); err != nil {
		t.Fatal(err)
	}
	if code, resp := do(t, agent, "POST", c.base+"/ui/api/v1/tickets/"+created.Ticket.ID+"/events", csrf, `{"type":"dispatch","department":"gjj"}`); code != 200 {
		t.Fatalf("dispatch: %d %s", code, resp)
	}
	// A wrong password from another browser.
	stranger := client(t)
	_, _, tok := getPage(t, stranger, c.base+"/login")
	res, err := stranger.PostForm(c.base+"/login", url.Values{"csrf_token": {tok}, "username": {"agent"}, "password": {"guess-1234567"}, "next": {"/agent"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", res.StatusCode)
	}

	run(t, ctx, dir, "login", loginAs(c.base, "admin", "demo-admin-pass"))
	run(t, ctx, dir, "admin", chromedp.Navigate(c.base+"/admin"), chromedp.WaitVisible(chromedp.CSS("#audit-table")))
	run(t, ctx, dir, "denied", chromedp.SetValue(chromedp.CSS("#au-outcome"), "denied"), chromedp.Click(chromedp.CSS("#au-submit")),
		waitJS(`[...document.querySelectorAll("#audit-table tbody tr")].some(r => r.textContent.includes("username=agent") && r.textContent.includes("拒绝 401"))`))
	run(t, ctx, dir, "by-ticket",
		chromedp.SetValue(chromedp.CSS("#au-outcome"), ""),
		chromedp.SetValue(chromedp.CSS("#au-target"), created.Ticket.Code),
		chromedp.Click(chromedp.CSS("#au-submit")),
		waitJS(`document.querySelectorAll("#audit-table tbody tr").length === 2`),
		shot(t, dir, "01-audit-by-ticket"),
	)
	rows := text(t, ctx, "#audit-table tbody")
	for _, want := range []string{"user:agent", "受理工单", "工单流转事件", "event=dispatch", created.Ticket.Code, "成功 201", "成功 200"} {
		if !strings.Contains(rows, want) {
			t.Errorf("the ticket's trail lacks %q: %s", want, rows)
		}
	}
	// The same trail found from the caller's number, as when a citizen asks
	// who handled their data.
	run(t, ctx, dir, "by-caller",
		waitJS(fmt.Sprintf(`(document.querySelector("#au-target").value = "", document.querySelector("#au-phone").value = %q, true)`, phone)),
		chromedp.Click(chromedp.CSS("#au-submit")),
		waitJS(`!!document.querySelector("#audit-caller")`),
	)
	if got := text(t, ctx, "#audit-caller"); !strings.Contains(got, created.Ticket.Code) || !strings.Contains(text(t, ctx, "#audit-table tbody"), "event=dispatch") {
		t.Errorf("the caller's trail: %q", got)
	}
	run(t, ctx, dir, "back", waitJS(fmt.Sprintf(`(document.querySelector("#au-phone").value = "", document.querySelector("#au-target").value = %q, true)`, created.Ticket.Code)),
		chromedp.Click(chromedp.CSS("#au-submit")), waitJS(`!document.querySelector("#audit-caller") && document.querySelectorAll("#audit-table tbody tr").length === 2`))
	if page := text(t, ctx, "main"); strings.Contains(page, phone) || strings.Contains(page, phone[7:]+" ") {
		t.Fatalf("the admin page shows the caller's number")
	}
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#audit-export").getAttribute("href")`))
	if err != nil || !strings.Contains(href, "target="+created.Ticket.Code) {
		t.Fatalf("export link %q %v", href, err)
	}
	admin := client(t)
	login(t, admin, c.base, "admin", "demo-admin-pass")
	code, sheet := do(t, admin, "GET", c.base+href, "", "")
	lines := strings.Split(strings.TrimSpace(sheet), "\r\n")
	if code != 200 || !strings.HasPrefix(sheet, "\ufeff时间,操作人,") || len(lines) != 3 || strings.Contains(sheet, phone) {
		t.Fatalf("export: %d %d lines %.300s", code, len(lines), sheet)
	}
}
