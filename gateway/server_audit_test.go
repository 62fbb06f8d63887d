package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hallgate/hallgate/config"
	"github.com/hallgate/hallgate/gateway/audit"
	"github.com/hallgate/hallgate/gateway/auth"
)

// TestEveryChangeIsAudited walks the whole route table and sends each
// route that changes something one request it refuses (a role it does not
// admit, or anonymous, or an empty body); every one must leave exactly one
// entry naming its route, status and principal — and the routes that say
// why they are not audited must leave none. Routes added later are covered
// without touching this test.
func TestEveryChangeIsAudited(t *testing.T) {
	g := startFullGateway(t, testConfig(t), nil)
	ctx := context.Background()
	tok, agentToken, err := g.app.Tokens.Create(ctx, "probe agent", []auth.Role{auth.RoleAgent}, "test")
	if err != nil {
		t.Fatal(err)
	}
	agent := auth.Principal{ID: "token:" + tok.ID, Roles: tok.Roles}
	audited, unaudited := 0, 0
	for _, rt := range g.app.Routes() {
		switch rt.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			continue
		}
		path := paramPattern.ReplaceAllString(rt.Path, "probe")
		token, actor := agentToken, agent.ID
		switch {
		case rt.Unaudited != "" && auth.Admits(rt.Roles, auth.Anonymous):
			token, actor = "", auth.Anonymous.ID // admitted: not a denial, which is always recorded
		case rt.Unaudited != "" && auth.Admits(rt.Roles, auth.BootstrapPrincipal):
			token, actor = testAdminToken, auth.BootstrapPrincipal.ID
		case auth.Admits(rt.Roles, agent):
			token, actor = "", auth.Anonymous.ID // a route agents may use: ask it anonymously
		}
		r := g.do(rt.Method, path, token, strings.NewReader("{}"))
		action := rt.Method + " " + rt.Path
		page, err := g.app.Audit.List(ctx, audit.Query{Action: action})
		if err != nil {
			t.Fatal(err)
		}
		if rt.Unaudited != "" {
			unaudited++
			if r.status == http.StatusUnauthorized || r.status == http.StatusForbidden {
				t.Errorf("%s: %d for a role it admits", action, r.status)
			}
			if len(page.Entries) != 0 {
				t.Errorf("%s says it is not audited (%s), yet left %d entries", action, rt.Unaudited, len(page.Entries))
			}
			continue
		}
		audited++
		if len(page.Entries) != 1 {
			t.Errorf("%s answered %d and left %d audit entries, want 1", action, r.status, len(page.Entries))
			continue
		}
		e := page.Entries[0]
		if e.Status != r.status || e.Outcome != audit.OutcomeOf(r.status) || e.Summary != rt.Summary || e.IP == "" || e.RequestID == "" ||
			(e.Actor != actor && !strings.HasPrefix(rt.Path, "/ui/")) {
			t.Errorf("%s: entry %+v; want status %d, actor %s, the route's summary, an address and a request id", action, e, r.status, actor)
		}
		if strings.Contains(rt.Path, ":") && !strings.HasPrefix(rt.Path, "/open311/") && e.Target != "probe" {
			t.Errorf("%s: target %q, want the path's parameter", action, e.Target)
		}
	}
	if audited < 40 || unaudited == 0 {
		t.Fatalf("%d audited and %d unaudited routes checked: the table is not what this test expects", audited, unaudited)
	}
	t.Logf("%d changing routes audited, %d exempt with a reason", audited, unaudited)
}

// TestAuditTrailOfATicket follows one ticket: intake, dispatch and reads
// by an agent; reads by a department that sees the caller masked are not
// personal-data reads; the trail names them all, never the caller, and
// only admins read it.
func TestAuditTrailOfATicket(t *testing.T) {
	g := startFullGateway(t, testConfig(t), nil)
	ctx := context.Background()
	depts := `[{"code":"water","name":"某市水务局","legacy_hotlines":[],"consolidation_mode":"merged","responsibilities":"负责供水排水管理。"}]`
	if r := g.do(http.MethodPost, "/api/v1/departments/import", testAdminToken, strings.NewReader(depts)); r.status != http.StatusOK {
		t.Fatalf("departments: %d %s", r.status, r.body)
	}
	atok, agentToken, err := g.app.Tokens.Create(ctx, "坐席 07", []auth.Role{auth.RoleAgent}, "test")
	if err != nil {
		t.Fatal(err)
	}
	dtok, deptToken, err := g.app.Tokens.Create(ctx, "水务局系统", []auth.Role{auth.DepartmentRole("water")}, "test")
	if err != nil {
		t.Fatal(err)
	}
	const phone, name = "13912345678", "欧阳振邦"
	r := g.do(http.MethodPost, "/api/v1/tickets", agentToken, strings.NewReader(fmt.Sprintf(
		`{"channel":"hotline","type":"求助","text":"小区停水一天了","caller":{"name":%q,"phone":%q,"confidential":true}}`, name, phone)), "Idempotency-Key", "audit-1")
	if r.status != http.StatusCreated {
		t.Fatalf("intake: %d %s", r.status, r.body)
	}
	var created struct {
		Ticket struct{ ID, Code string } `json:"ticket"`
	}
	if err := json.Unmarshal(r.body, &created); err != nil {
		t.Fatal(err)
	}
	id := created.Ticket.ID
	if r := g.do(http.MethodPost, "/api/v1/tickets/"+created.Ticket.Code+"/events", agentToken, strings.NewReader(`{"type":"dispatch","department":"water"}`)); r.status != http.StatusOK {
		t.Fatalf("dispatch by code: %d %s", r.status, r.body)
	}
	if r := g.do(http.MethodPost, "/api/v1/tickets/"+id+"/events", agentToken, strings.NewReader(`{"type":"close"}`)); r.status != http.StatusConflict {
		t.Fatalf("forbidden close: %d %s", r.status, r.body)
	}
	if r := g.do(http.MethodGet, "/api/v1/tickets/"+id, agentToken, nil); r.status != http.StatusOK {
		t.Fatalf("agent read: %d", r.status)
	}
	// The caller asked for confidentiality: the department sees it masked.
	if r := g.do(http.MethodGet, "/api/v1/tickets/"+id, deptToken, nil); r.status != http.StatusOK || strings.Contains(string(r.body), phone) {
		t.Fatalf("department read: %d %s", r.status, r.body)
	}
	if r := g.do(http.MethodGet, "/api/v1/tickets?caller_phone="+phone, agentToken, nil); r.status != http.StatusOK {
		t.Fatalf("lookup: %d", r.status)
	}
	if r := g.do(http.MethodGet, "/api/v1/audit", agentToken, nil); r.status != http.StatusForbidden {
		t.Fatalf("an agent reading the audit trail: %d, want 403", r.status)
	}

	r = g.do(http.MethodGet, "/api/v1/audit?target="+url.QueryEscape(created.Ticket.Code), testAdminToken, nil)
	if r.status != http.StatusOK {
		t.Fatalf("audit: %d %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), phone) || strings.Contains(string(r.body), phone[3:]) || strings.Contains(string(r.body), name) {
		t.Fatalf("the audit trail holds the caller's data: %s", r.body)
	}
	var trail struct {
		Entries       []audit.Entry `json:"entries"`
		RetentionDays int           `json:"retention_days"`
	}
	if err := json.Unmarshal(r.body, &trail); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range trail.Entries {
		if e.Actor != "token:"+atok.ID {
			t.Errorf("entry by %q, want the agent's token", e.Actor)
		}
		got = append(got, fmt.Sprintf("%s %d %s %v", e.Action, e.Status, e.Details["event"], e.PersonalData))
	}
	want := []string{ // newest first
		"GET /api/v1/tickets/:id 200  true",
		"POST /api/v1/tickets/:id/events 409 close false",
		"POST /api/v1/tickets/:id/events 200 dispatch false",
		"POST /api/v1/tickets 201  false",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the ticket's trail:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if trail.Entries[0].ActorName != "坐席 07" || trail.RetentionDays != 180 {
		t.Errorf("actor name %q, retention %d", trail.Entries[0].ActorName, trail.RetentionDays)
	}
	// The lookup by number is a use of it, recorded without the number.
	r = g.do(http.MethodGet, "/api/v1/audit?action="+url.QueryEscape("GET /api/v1/tickets"), testAdminToken, nil)
	if err := json.Unmarshal(r.body, &trail); err != nil || len(trail.Entries) != 1 || !trail.Entries[0].PersonalData || trail.Entries[0].Details["lookup"] != "caller_phone" {
		t.Fatalf("the lookup by number: %s", r.body)
	}
	// The CSV for an inspection: the headings and one row per entry (the
	// agent's refused read of the trail is one: every denial is recorded).
	r = g.do(http.MethodGet, "/api/v1/audit?format=csv&actor="+url.QueryEscape("token:"+atok.ID), testAdminToken, nil)
	rows := strings.Split(strings.TrimSpace(strings.TrimPrefix(string(r.body), "\ufeff")), "\r\n")
	if r.status != http.StatusOK || !strings.HasPrefix(rows[0], "时间,操作人,") || len(rows) != 1+6 || strings.Contains(string(r.body), phone) {
		t.Fatalf("csv (%d rows): %d %s", len(rows), r.status, r.body)
	}
	// Taking the trail away is itself in it, and so is a ticket export.
	if r := g.do(http.MethodGet, "/api/v1/tickets/export", deptToken, nil); r.status != http.StatusOK {
		t.Fatalf("ticket export: %d", r.status)
	}
	r = g.do(http.MethodGet, "/api/v1/audit?outcome=done&action="+url.QueryEscape("GET /api/v1/audit"), testAdminToken, nil)
	if err := json.Unmarshal(r.body, &trail); err != nil || len(trail.Entries) != 1 || trail.Entries[0].Details["export"] != "audit" {
		t.Fatalf("the trail's own export: %s", r.body)
	}
	r = g.do(http.MethodGet, "/api/v1/audit?action="+url.QueryEscape("GET /api/v1/tickets/export"), testAdminToken, nil)
	if err := json.Unmarshal(r.body, &trail); err != nil || len(trail.Entries) != 1 || trail.Entries[0].Details["export"] != "tickets" || trail.Entries[0].Actor != "token:"+dtok.ID {
		t.Fatalf("the ticket export: %s", r.body)
	}
	// A caller asks who handled and read their tickets: the trail of every
	// ticket of that number, without the number.
	r = g.do(http.MethodGet, "/api/v1/audit/caller?phone="+url.QueryEscape("+86 139-1234-5678"), testAdminToken, nil)
	var mine struct {
		Tickets []string      `json:"tickets"`
		Entries []audit.Entry `json:"entries"`
	}
	if err := json.Unmarshal(r.body, &mine); r.status != http.StatusOK || err != nil || len(mine.Tickets) != 1 || mine.Tickets[0] != created.Ticket.Code ||
		len(mine.Entries) != 4 || strings.Contains(string(r.body), phone[3:]) {
		t.Fatalf("the caller's trail: %d %s", r.status, r.body)
	}
	if r := g.do(http.MethodGet, "/api/v1/audit/caller", testAdminToken, nil); r.status != http.StatusBadRequest {
		t.Errorf("the caller's trail without a number: %d", r.status)
	}
	for _, bad := range []string{"from=yesterday", "outcome=maybe", "limit=0", "format=xml", "from=2026-11-02&to=2026-11-01"} {
		if r := g.do(http.MethodGet, "/api/v1/audit?"+bad, testAdminToken, nil); r.status != http.StatusBadRequest && r.status != http.StatusUnprocessableEntity {
			t.Errorf("audit?%s: %d, want 400 or 422", bad, r.status)
		}
	}
}

// The retention job erases a closed ticket's caller data once the period
// has passed, and says so in the audit trail.
func TestCallerRetentionIsAudited(t *testing.T) {
	cfg := testConfig(t)
	cfg.Tickets.CallerRetentionDays = 30
	g := startFullGateway(t, cfg, nil)
	ctx := context.Background()
	r := g.do(http.MethodPost, "/api/v1/tickets", testAdminToken, strings.NewReader(
		`{"channel":"hotline","type":"咨询","text":"我叫欧阳振邦，社保卡怎么补办，回电13912345678","caller":{"name":"欧阳振邦","phone":"13912345678"}}`))
	if r.status != http.StatusCreated {
		t.Fatalf("intake: %d %s", r.status, r.body)
	}
	var created struct {
		Ticket struct{ ID, Code string } `json:"ticket"`
	}
	_ = json.Unmarshal(r.body, &created)
	if r := g.do(http.MethodPost, "/api/v1/tickets/"+created.Ticket.ID+"/events", testAdminToken, strings.NewReader(`{"type":"answer","kb_entry":"kb-x"}`)); r.status != http.StatusOK {
		t.Fatalf("answer: %d %s", r.status, r.body)
	}
	if n, err := eraseCallersOnce(ctx, g.app.Caps, g.app.Audit, 30, time.Now().AddDate(0, 0, 29)); err != nil || n != 0 {
		t.Fatalf("within the period: erased %d (%v)", n, err)
	}
	if n, err := eraseCallersOnce(ctx, g.app.Caps, g.app.Audit, 30, time.Now().AddDate(0, 0, 31)); err != nil || n != 1 {
		t.Fatalf("past the period: erased %d (%v), want 1", n, err)
	}
	r = g.do(http.MethodGet, "/api/v1/tickets/"+created.Ticket.ID, testAdminToken, nil)
	if r.status != http.StatusOK || strings.Contains(string(r.body), "13912345678") || strings.Contains(string(r.body), "欧阳振邦") ||
		!strings.Contains(string(r.body), "personal_data_erased_at") || !strings.Contains(string(r.body), "社保卡怎么补办") {
		t.Fatalf("the erased ticket: %d %s", r.status, r.body)
	}
	page, err := g.app.Audit.List(ctx, audit.Query{Actor: "system:retention"})
	if err != nil || len(page.Entries) != 1 || page.Entries[0].Target != created.Ticket.Code || page.Entries[0].Details["retention_days"] != "30" {
		t.Fatalf("audit of the erasure: %+v %v", page.Entries, err)
	}
}

// Sign-in attempts from one address are bounded whatever the usernames
// (trying one password on many accounts), beside each account's own lock;
// the refusal says when to retry and is in the audit trail.
func TestSignInAttemptsAreBoundedPerAddress(t *testing.T) {
	cfg := testConfig(t)
	cfg.RateLimit.SignIn = config.Bucket{PerSecond: 0.01, Burst: 3}
	g := startFullGateway(t, cfg, nil)
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Get(g.base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token on the sign-in page")
	}
	for i := range 4 {
		res, err := hc.PostForm(g.base+"/login", url.Values{"csrf_token": {string(m[1])}, "username": {fmt.Sprintf("staff%d", i)}, "password": {"spray-password-1"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		want := http.StatusUnauthorized
		if i == 3 {
			want = http.StatusTooManyRequests
		}
		if res.StatusCode != want {
			t.Fatalf("attempt %d: %d, want %d", i+1, res.StatusCode, want)
		}
		if i == 3 && res.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	page2, err := g.app.Audit.List(context.Background(), audit.Query{Action: "POST /login", Target: "user:staff3"})
	if err != nil || len(page2.Entries) != 1 || page2.Entries[0].Details["refused"] != "rate_limited" || page2.Entries[0].Status != http.StatusTooManyRequests {
		t.Fatalf("the refused attempt in the trail: %+v %v", page2.Entries, err)
	}
}
