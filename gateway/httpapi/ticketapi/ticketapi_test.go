package ticketapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/gateway/pii"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/store/bolt"
	"github.com/hallgate/hallgate/gateway/ticket"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

type harness struct {
	app  *fiber.App
	svc  *ticket.Service
	st   store.Store
	logs *syncBuf
}

// newHarness wires the module like the gateway does: the route's roles are
// enforced by auth.Require, errors by the one problem+json handler. The
// test principal comes from the X-Test-Roles header ("agent", "department:tax").
func newHarness(t testing.TB, mods ...func(*ticket.Options)) *harness {
	t.Helper()
	st, err := bolt.Open(context.Background(), bolt.Options{Path: filepath.Join(t.TempDir(), "api.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	logs := &syncBuf{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sealer, err := pii.New(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32))
	if err != nil {
		t.Fatal(err)
	}
	opts := ticket.Options{Sealer: sealer, Logger: log,
		DepartmentExists: func(_ context.Context, code string) (bool, error) {
			return code == "tax" || code == "housing" || code == "eco", nil
		}}
	for _, mod := range mods {
		mod(&opts)
	}
	svc, err := ticket.NewService(st, opts)
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New(fiber.Config{ErrorHandler: httpapi.NewErrorHandler(log)})
	app.Use(func(c *fiber.Ctx) error {
		if roles := c.Get("X-Test-Roles"); roles != "" {
			p := auth.Principal{ID: "u-" + roles, Name: "测试"}
			for _, r := range strings.Split(roles, ",") {
				p.Roles = append(p.Roles, auth.Role(r))
			}
			auth.SetPrincipal(c, p)
		}
		return c.Next()
	})
	for _, r := range New(svc).Routes() {
		app.Add(r.Method, r.Path, auth.Require(r.Roles), r.Handler)
	}
	return &harness{app: app, svc: svc, st: st, logs: logs}
}

type reply struct {
	status int
	body   []byte
	header http.Header
}

func (r reply) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	return m
}

func (h *harness) do(t testing.TB, method, path, roles string, body any, hdr ...string) reply {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if roles != "" {
		req.Header.Set("X-Test-Roles", roles)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := h.app.Test(req, 10000)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, b, resp.Header}
}

const (
	phone = "13912345678"
	name  = "李建国"
)

func intake() map[string]any {
	return map[string]any{"channel": "hotline", "type": "投诉", "text": "小区垃圾三天没人清运，气味很大。",
		"caller": map[string]any{"name": name, "phone": phone}, "district": "江川区", "address": "江川区人民路1号", "department": "housing"}
}

func fields(t testing.TB, m map[string]any) []string {
	t.Helper()
	raw, _ := m["fields"].([]any)
	var out []string
	for _, f := range raw {
		out = append(out, f.(map[string]any)["field"].(string))
	}
	return out
}

func TestIntakeIdempotencyAndValidation(t *testing.T) {
	h := newHarness(t)
	first := h.do(t, "POST", "/api/v1/tickets", "agent", intake(), "Idempotency-Key", "abc")
	if first.status != 201 {
		t.Fatalf("%d %s", first.status, first.body)
	}
	again := h.do(t, "POST", "/api/v1/tickets", "agent", intake(), "Idempotency-Key", "abc")
	if again.status != 201 || !bytes.Equal(first.body, again.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %d replayed=%q same=%v", again.status, again.header.Get("Idempotent-Replayed"), bytes.Equal(first.body, again.body))
	}
	other := intake()
	other["text"] = "另一件事"
	if r := h.do(t, "POST", "/api/v1/tickets", "agent", other, "Idempotency-Key", "abc"); r.status != 422 {
		t.Errorf("key reuse: %d %s", r.status, r.body)
	}
	if n, _ := h.st.Count(context.Background(), ticket.Collection, nil); n != 1 {
		t.Errorf("%d tickets", n)
	}
	r := h.do(t, "POST", "/api/v1/tickets", "agent", map[string]any{"caller": map[string]any{"phone": "x"}, "department": "mars"})
	if r.status != 422 || r.header.Get("Content-Type") != httpapi.ContentTypeProblem {
		t.Fatalf("missing fields: %d %s", r.status, r.body)
	}
	got := strings.Join(fields(t, r.json(t)), ",")
	for _, want := range []string{"channel", "type", "text", "caller.phone", "department"} {
		if !strings.Contains(got, want) {
			t.Errorf("422 lacks %s: %s", want, got)
		}
	}
	if r := h.do(t, "POST", "/api/v1/tickets", "agent", `{"channel": "hotline",`); r.status != 400 {
		t.Errorf("malformed JSON: %d", r.status)
	}
	if r := h.do(t, "POST", "/api/v1/tickets", "editor", intake()); r.status != 403 {
		t.Errorf("editor intake: %d", r.status)
	}
	if r := h.do(t, "POST", "/api/v1/tickets", "", intake()); r.status != 401 {
		t.Errorf("anonymous intake: %d", r.status)
	}
	// A department centre in parallel mode files its own tickets.
	d := intake()
	delete(d, "department")
	d["channel"] = "department"
	r = h.do(t, "POST", "/api/v1/tickets", "department:tax", d)
	if r.status != 201 {
		t.Fatalf("department intake: %d %s", r.status, r.body)
	}
	if tk := r.json(t)["ticket"].(map[string]any); tk["department"] != "tax" || tk["status"] != "dispatched" {
		t.Errorf("department intake ticket %v %v", tk["department"], tk["status"])
	}
}

func TestEventsStatusesAndErrors(t *testing.T) {
	h := newHarness(t)
	created := h.do(t, "POST", "/api/v1/tickets", "agent", intake()).json(t)["ticket"].(map[string]any)
	id, code := created["id"].(string), created["code"].(string)
	ev := func(roles string, body map[string]any) reply {
		return h.do(t, "POST", "/api/v1/tickets/"+id+"/events", roles, body)
	}
	if r := ev("department:tax", map[string]any{"type": "accept"}); r.status != 403 {
		t.Errorf("foreign department: %d %s", r.status, r.body)
	}
	if r := ev("agent", map[string]any{"type": "accept"}); r.status != 403 {
		t.Errorf("agent accept: %d", r.status)
	}
	r := ev("agent", map[string]any{"type": "answer", "kb_entry": "kb-1"})
	if r.status != 409 {
		t.Fatalf("answer on dispatched: %d %s", r.status, r.body)
	}
	m := r.json(t)
	allowed, _ := m["allowed"].([]any)
	if m["status"] != "dispatched" || len(allowed) == 0 {
		t.Errorf("409 without allowed events: %s", r.body)
	}
	if r := ev("department:housing", map[string]any{"type": "return"}); r.status != 422 || fields(t, r.json(t))[0] != "reason" {
		t.Errorf("return without reason: %d %s", r.status, r.body)
	}
	if r := ev("agent", map[string]any{"type": "fly"}); r.status != 422 {
		t.Errorf("unknown event: %d", r.status)
	}
	if r := ev("agent", map[string]any{"type": "rate", "bogus": 1}); r.status != 400 {
		t.Errorf("unknown field: %d", r.status)
	}
	steps := []struct {
		roles string
		body  map[string]any
		want  string
	}{
		{"department:housing", map[string]any{"type": "accept"}, "accepted"},
		{"department:housing", map[string]any{"type": "reply", "text": "已安排清运。"}, "replied"},
		{"agent", map[string]any{"type": "rate", "rating": "满意"}, "closed"},
	}
	for _, s := range steps {
		r := ev(s.roles, s.body)
		if r.status != 200 || r.json(t)["status"] != s.want {
			t.Fatalf("%v: %d %s", s.body, r.status, r.body)
		}
	}
	g := h.do(t, "GET", "/api/v1/tickets/"+code, "agent", nil)
	gm := g.json(t)
	if g.status != 200 || gm["status"] != "closed" || gm["deadline"] == nil || len(gm["events"].([]any)) != 5 {
		t.Errorf("get by code: %d %s", g.status, g.body)
	}
	if r := h.do(t, "GET", "/api/v1/tickets/nope", "agent", nil); r.status != 404 {
		t.Errorf("unknown ticket %d", r.status)
	}
	if r := h.do(t, "GET", "/api/v1/tickets/"+id, "department:eco", nil); r.status != 403 {
		t.Errorf("other department reads: %d", r.status)
	}
	// Tracking: public view, no personal data, one answer for wrong digits and wrong codes.
	tr := h.do(t, "GET", "/api/v1/tickets/track?code="+code+"&phone_last4=5678", "", nil)
	if tr.status != 200 || bytes.Contains(tr.body, []byte(phone)) || bytes.Contains(tr.body, []byte(name)) || tr.json(t)["status_label"] != "已办结" {
		t.Errorf("track: %d %s", tr.status, tr.body)
	}
	w1 := h.do(t, "GET", "/api/v1/tickets/track?code="+code+"&phone_last4=0000", "", nil)
	w2 := h.do(t, "GET", "/api/v1/tickets/track?code=JC000&phone_last4=5678", "", nil)
	if w1.status != 404 || w2.status != 404 || w1.json(t)["detail"] != w2.json(t)["detail"] {
		t.Errorf("track mismatch: %d %d", w1.status, w2.status)
	}
	if r := h.do(t, "GET", "/api/v1/tickets/track?code=", "", nil); r.status != 422 || len(fields(t, r.json(t))) != 2 {
		t.Errorf("track without params: %d %s", r.status, r.body)
	}
	st := h.do(t, "GET", "/api/v1/stats?from=2000-01-01", "supervisor", nil)
	if st.status != 200 || st.json(t)["tickets"].(float64) != 1 {
		t.Errorf("stats: %d %s", st.status, st.body)
	}
	if r := h.do(t, "GET", "/api/v1/stats?department=tax", "department:housing", nil); r.status != 403 {
		t.Errorf("department reading others' stats: %d", r.status)
	}
	if r := h.do(t, "GET", "/api/v1/stats?from=yesterday", "supervisor", nil); r.status != 400 {
		t.Errorf("bad from: %d", r.status)
	}
	// The export: a CSV a spreadsheet opens, without the caller.
	ex := h.do(t, "GET", "/api/v1/tickets/export?from=2000-01-01", "supervisor", nil)
	if ex.status != 200 || !strings.HasPrefix(ex.header.Get("Content-Type"), "text/csv") || !strings.Contains(ex.header.Get("Content-Disposition"), "tickets-20000101.csv") ||
		!bytes.HasPrefix(ex.body, []byte("\ufeff工单编号,")) || !bytes.Contains(ex.body, []byte(code)) || bytes.Contains(ex.body, []byte(phone)) || bytes.Contains(ex.body, []byte(name)) {
		t.Errorf("export: %d %v %s", ex.status, ex.header, ex.body)
	}
	if r := h.do(t, "GET", "/api/v1/tickets/export", "department:housing", nil); r.status != 200 || !bytes.Contains(r.body, []byte(code)) {
		t.Errorf("department export of its own tickets: %d %s", r.status, r.body)
	}
	if r := h.do(t, "GET", "/api/v1/tickets/export", "department:eco", nil); r.status != 200 || bytes.Contains(r.body, []byte(code)) {
		t.Errorf("another department's export holds the ticket: %d %s", r.status, r.body)
	}
	for q, want := range map[string]int{"department=housing&from=x": 400, "historical=maybe": 400, "from=2026-02-01&to=2026-01-01": 422} {
		if r := h.do(t, "GET", "/api/v1/tickets/export?"+q, "supervisor", nil); r.status != want {
			t.Errorf("export?%s: %d, want %d", q, r.status, want)
		}
	}
	if r := h.do(t, "GET", "/api/v1/tickets/export", "agent", nil); r.status != 403 {
		t.Errorf("agent export: %d", r.status)
	}
}

func TestListMasksAndScopes(t *testing.T) {
	h := newHarness(t)
	conf := intake()
	conf["caller"] = map[string]any{"name": name, "phone": phone, "confidential": true}
	h.do(t, "POST", "/api/v1/tickets", "agent", conf)
	other := intake()
	other["department"] = "tax"
	h.do(t, "POST", "/api/v1/tickets", "agent", other)

	r := h.do(t, "GET", "/api/v1/tickets", "department:housing", nil)
	list := r.json(t)["tickets"].([]any)
	if r.status != 200 || len(list) != 1 || bytes.Contains(r.body, []byte(phone)) || !bytes.Contains(r.body, []byte("139****5678")) {
		t.Errorf("department list: %d %s", r.status, r.body)
	}
	if r := h.do(t, "GET", "/api/v1/tickets?department=tax", "department:housing", nil); r.status != 403 {
		t.Errorf("other department's list: %d", r.status)
	}
	if r := h.do(t, "GET", "/api/v1/tickets?caller_phone=13912345678", "department:housing", nil); r.status != 403 {
		t.Errorf("caller lookup by a department: %d", r.status)
	}
	r = h.do(t, "GET", "/api/v1/tickets?caller_phone=%2B86%20139%201234%205678&limit=1", "agent", nil)
	m := r.json(t)
	if r.status != 200 || len(m["tickets"].([]any)) != 1 || m["next_cursor"] == "" {
		t.Fatalf("agent caller lookup: %d %s", r.status, r.body)
	}
	r2 := h.do(t, "GET", "/api/v1/tickets?caller_phone=13912345678&limit=1&cursor="+m["next_cursor"].(string), "agent", nil)
	if len(r2.json(t)["tickets"].([]any)) != 1 {
		t.Errorf("second page: %s", r2.body)
	}
	if r := h.do(t, "GET", "/api/v1/tickets?limit=0&overdue=maybe", "agent", nil); r.status != 400 || len(fields(t, r.json(t))) != 2 {
		t.Errorf("bad query: %d %s", r.status, r.body)
	}
}

func TestImportOverHTTP(t *testing.T) {
	h := newHarness(t)
	lines := `{"id":"h-1","channel":"hotline","text":"咨询公积金提取","district":"江川区","type":"咨询","department":"housing","co_departments":[],"urgent":false,"direct_answer":true}
{"id":"h-2","text":"无部门","type":"投诉"}
`
	r := h.do(t, "POST", "/api/v1/tickets/import", "supervisor", lines)
	m := r.json(t)
	if r.status != 200 || m["imported"].(float64) != 1 || len(m["errors"].([]any)) != 1 {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	if r := h.do(t, "POST", "/api/v1/tickets/import", "agent", lines); r.status != 403 {
		t.Errorf("agent import: %d", r.status)
	}

	// The same import as a spreadsheet's CSV, chosen by the Content-Type.
	csv := "工单编号,诉求内容,诉求类型,承办单位,备注\nc-1,小区路灯不亮,求助,housing,无\nc-2,无部门,投诉,,\n"
	r = h.do(t, "POST", "/api/v1/tickets/import", "supervisor", csv, "Content-Type", "text/csv; charset=utf-8")
	m = r.json(t)
	if r.status != 200 || m["imported"].(float64) != 1 || len(m["errors"].([]any)) != 1 || fmt.Sprint(m["ignored_columns"]) != "[备注]" {
		t.Fatalf("CSV import: %d %s", r.status, r.body)
	}
	r = h.do(t, "POST", "/api/v1/tickets/import", "supervisor", "编号,内容\nx,y\n", "Content-Type", "text/csv")
	if f := fields(t, r.json(t)); r.status != 422 || len(f) != 2 {
		t.Fatalf("CSV without type and department columns: %d %s", r.status, r.body)
	}
}

// TestNoPersonalDataInLogs runs a whole flow and reads every log line.
func TestNoPersonalDataInLogs(t *testing.T) {
	h := newHarness(t)
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(h.logs, nil))) // catch stray default-logger lines too
	t.Cleanup(func() { slog.SetDefault(prev) })
	in := intake()
	in["caller"] = map[string]any{"name": name, "phone": "+86 139-1234-5678"}
	tk := h.do(t, "POST", "/api/v1/tickets", "agent", in, "Idempotency-Key", "log-1").json(t)["ticket"].(map[string]any)
	h.do(t, "POST", "/api/v1/tickets", "agent", in, "Idempotency-Key", "log-1")
	id := tk["id"].(string)
	for _, s := range []struct{ roles, body string }{
		{"department:housing", `{"type":"accept"}`},
		{"department:housing", `{"type":"extend_request","days":2,"reason":"联系` + name + `核实"}`},
		{"supervisor", `{"type":"extend_approve"}`},
		{"department:housing", `{"type":"reply","text":"已电话联系市民"}`},
		{"agent", `{"type":"rate","rating":"不满意"}`},
		{"agent", `{"type":"close"}`},
	} {
		h.do(t, "POST", "/api/v1/tickets/"+id+"/events", s.roles, s.body)
	}
	h.do(t, "GET", "/api/v1/tickets?caller_phone=13912345678", "agent", nil)
	h.do(t, "GET", "/api/v1/tickets/track?code="+tk["code"].(string)+"&phone_last4=5678", "", nil)
	h.do(t, "POST", "/api/v1/tickets", "agent", map[string]any{"caller": map[string]any{"name": name, "phone": phone}})
	if _, _, err := h.svc.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "ticket filed") || !strings.Contains(logs, "ticket event") {
		t.Fatalf("the flow logged nothing; the test would prove nothing:\n%s", logs)
	}
	for _, secret := range []string{phone, "1391234", "139-1234", "12345678", name, "建国"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q:\n%s", secret, logs)
		}
	}
}

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}

var _ = time.Second

// GET /api/v1/tickets?q= finds tickets by the words of their text and
// address, scoped as any list; bad parameters are a 400.
func TestListSearch(t *testing.T) {
	h := newHarness(t)
	in := intake()
	in["text"], in["address"] = "小区门口井盖丢了，晚上很危险", "江川区槐荫巷3号"
	h.do(t, "POST", "/api/v1/tickets", "agent", in)
	h.do(t, "POST", "/api/v1/tickets", "agent", intake())
	r := h.do(t, "GET", "/api/v1/tickets?q="+url.QueryEscape("槐荫巷 井盖"), "agent", nil)
	ts, _ := r.json(t)["tickets"].([]any)
	if r.status != 200 || len(ts) != 1 {
		t.Fatalf("search: %d %s", r.status, r.body)
	}
	if r := h.do(t, "GET", "/api/v1/tickets?q="+url.QueryEscape("槐荫巷"), "department:eco", nil); r.status != 200 || len(r.json(t)["tickets"].([]any)) != 0 {
		t.Errorf("another department's search: %d %s", r.status, r.body)
	}
	if r := h.do(t, "GET", "/api/v1/tickets?q="+strings.Repeat("路", 101)+"&from=yesterday", "agent", nil); r.status != 400 || len(fields(t, r.json(t))) != 2 {
		t.Errorf("bad search: %d %s", r.status, r.body)
	}
}
