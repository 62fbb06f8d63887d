package topicsapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/gateway/store/bolt"
	"github.com/hallgate/hallgate/gateway/topics"
)

// detector builds a real detector on bolt and feeds it two days of
// background and one burst, so that exactly one topic is flagged.
func detector(t *testing.T) (*topics.Detector, string) {
	t.Helper()
	ctx := context.Background()
	st, err := bolt.Open(ctx, bolt.Options{Path: filepath.Join(t.TempDir(), "t.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	start := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	end := start.Add(50*time.Hour + 30*time.Minute)
	d, err := topics.Open(ctx, topics.Options{Store: st, Owner: "t", Now: func() time.Time { return end }})
	if err != nil {
		t.Fatal(err)
	}
	subjects := []string{"公积金提取需要什么材料", "孩子入学报名的时间", "个体户营业执照怎么年报", "出租车拒载", "路灯坏了不亮", "驾驶证到期换证"}
	for i := 0; i < 300; i++ {
		s := topics.TicketSignal{ID: fmt.Sprintf("bg-%d", i), Text: "来电咨询：" + subjects[i%len(subjects)], District: "甲区", Created: start.Add(time.Duration(i) * 10 * time.Minute)}
		if err := d.Observe(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	texts := []string{"滨江花园小区停水了，已经半天", "滨江花园整个小区没水，也没有停水通知", "我们滨江花园一直不来水，老人没法做饭",
		"滨江花园自来水停了，请尽快恢复供水", "滨江花园小区停水，什么时候来水", "滨江花园家里水龙头没水了"}
	for i, txt := range texts {
		s := topics.TicketSignal{ID: fmt.Sprintf("w-%d", i), Code: fmt.Sprintf("2026050600%02d", i), Text: txt, District: "乙区", Address: "乙区滨江花园",
			Department: "water", Created: start.Add(50*time.Hour + time.Duration(i*4)*time.Minute)}
		if err := d.Observe(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	for {
		n, err := d.ProcessOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	list, err := d.List(ctx, topics.ListFilter{District: "乙区"})
	if err != nil || len(list) != 1 {
		t.Fatalf("setup: topics in 乙区 = %d (%v)", len(list), err)
	}
	return d, list[0].ID
}

type recorder struct {
	into    string
	merged  []string
	answer  string
	ids     []string
	drafted []topics.KBDraft
}

func newApp(t *testing.T, wired bool) (*fiber.App, string, *recorder) {
	d, id := detector(t)
	rec := &recorder{}
	var acts Actions
	if wired {
		acts = Actions{
			CreateKBDraft: func(_ context.Context, dr topics.KBDraft) (string, error) {
				rec.drafted = append(rec.drafted, dr)
				return "kb-1", nil
			},
			MergeTickets: func(_ context.Context, into string, ids []string) error {
				rec.into, rec.merged = into, ids
				return nil
			},
			AnswerTickets: func(_ context.Context, ids []string, text string) error {
				rec.ids, rec.answer = ids, text
				return nil
			},
		}
	}
	app := fiber.New(fiber.Config{ErrorHandler: httpapi.NewErrorHandler(nil)})
	for _, r := range New(d, acts).Routes() {
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
	return app, id, rec
}

func do(t *testing.T, app *fiber.App, method, path, roles, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
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
			t.Fatalf("%s %s: not JSON: %s", method, path, raw)
		}
	}
	return resp.StatusCode, out
}

func TestListAndGet(t *testing.T) {
	app, id, _ := newApp(t, false)
	code, body := do(t, app, "GET", "/api/v1/topics?status=rising", "agent", "")
	if code != 200 {
		t.Fatalf("list: %d %v", code, body)
	}
	list := body["topics"].([]any)
	var found map[string]any
	for _, x := range list {
		if x.(map[string]any)["id"] == id {
			found = x.(map[string]any)
		}
	}
	if found == nil {
		t.Fatalf("topic %s not in the rising list %v", id, body)
	}
	if found["district"] != "乙区" || len(found["tickets"].([]any)) < 4 || len(found["trend"].([]any)) == 0 ||
		found["departments"].([]any)[0] != "water" || found["first_seen"] == nil || found["fired"] != true {
		t.Fatalf("topic view: %v", found)
	}
	if code, _ := do(t, app, "GET", "/api/v1/topics/"+id, "supervisor", ""); code != 200 {
		t.Fatalf("get: %d", code)
	}
	if code, _ := do(t, app, "GET", "/api/v1/topics/nope", "supervisor", ""); code != 404 {
		t.Fatalf("unknown topic: %d", code)
	}
	code, body = do(t, app, "GET", "/api/v1/topics?status=hot&limit=0", "admin", "")
	if code != 422 || len(body["fields"].([]any)) != 2 {
		t.Fatalf("bad query: %d %v", code, body)
	}
	if code, _ := do(t, app, "GET", "/api/v1/topics", "citizen", ""); code != 403 {
		t.Fatalf("citizen: %d", code)
	}
}

func TestDraftsAndActions(t *testing.T) {
	app, id, rec := newApp(t, true)
	code, body := do(t, app, "POST", "/api/v1/topics/"+id+"/kb-draft", "editor", "")
	if code != 201 || body["entry_id"] != "kb-1" || len(rec.drafted) != 1 || !strings.Contains(rec.drafted[0].Title, "滨江花园") {
		t.Fatalf("kb-draft: %d %v %+v", code, body, rec.drafted)
	}
	code, body = do(t, app, "POST", "/api/v1/topics/"+id+"/notice", "supervisor", "")
	if code != 200 || !strings.Contains(body["notice"].(map[string]any)["title"].(string), "滨江花园") {
		t.Fatalf("notice: %d %v", code, body)
	}
	if code, _ := do(t, app, "POST", "/api/v1/topics/"+id+"/notice", "agent", ""); code != 403 {
		t.Fatalf("agent notice: %d", code)
	}
	code, body = do(t, app, "POST", "/api/v1/topics/"+id+"/merge", "supervisor", `{"into":"w-0"}`)
	if code != 200 || rec.into != "w-0" || len(rec.merged) < 3 || slices.Contains(rec.merged, "w-0") {
		t.Fatalf("merge: %d %v %+v", code, body, rec)
	}
	if code, body := do(t, app, "POST", "/api/v1/topics/"+id+"/merge", "supervisor", `{"into":"bg-1"}`); code != 422 {
		t.Fatalf("merge into a foreign ticket: %d %v", code, body)
	}
	if code, _ := do(t, app, "POST", "/api/v1/topics/"+id+"/merge", "supervisor", `{"into":`); code != 400 {
		t.Fatalf("malformed: %d", code)
	}
	code, _ = do(t, app, "POST", "/api/v1/topics/"+id+"/answer", "admin", `{"text":"供水管道抢修中，预计今晚恢复供水。"}`)
	if code != 200 || rec.answer == "" || len(rec.ids) < 4 {
		t.Fatalf("answer: %d %+v", code, rec)
	}
	if code, _ := do(t, app, "POST", "/api/v1/topics/"+id+"/answer", "admin", `{"text":"  "}`); code != 422 {
		t.Fatalf("empty answer: %d", code)
	}
}

func TestActionsNotWired(t *testing.T) {
	app, id, _ := newApp(t, false)
	if code, body := do(t, app, "POST", "/api/v1/topics/"+id+"/kb-draft", "supervisor", ""); code != 200 || body["draft"] == nil {
		t.Fatalf("kb-draft without a KB: %d %v", code, body)
	}
	if code, _ := do(t, app, "POST", "/api/v1/topics/"+id+"/merge", "supervisor", `{"into":"w-1"}`); code != 501 {
		t.Fatalf("merge not wired: %d", code)
	}
	if code, _ := do(t, app, "POST", "/api/v1/topics/"+id+"/answer", "supervisor", `{"text":"好的"}`); code != 501 {
		t.Fatalf("answer not wired: %d", code)
	}
}
