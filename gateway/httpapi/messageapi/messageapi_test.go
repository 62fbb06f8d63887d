package messageapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/gateway/message"
	"github.com/hallgate/hallgate/gateway/pii"
	"github.com/hallgate/hallgate/gateway/store/bolt"
	"github.com/hallgate/hallgate/gateway/ticket"
)

func newApp(t *testing.T, limiter auth.Limiter) (*fiber.App, *ticket.Service) {
	t.Helper()
	st, err := bolt.Open(context.Background(), bolt.Options{Path: filepath.Join(t.TempDir(), "m.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sealer, _ := pii.New(bytes.Repeat([]byte{5}, 32), bytes.Repeat([]byte{6}, 32))
	tickets, err := ticket.NewService(st, ticket.Options{Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New(fiber.Config{ErrorHandler: httpapi.NewErrorHandler(nil)})
	for _, r := range New(message.NewService(st, tickets, message.Options{}), limiter).Routes() {
		app.Add(r.Method, r.Path, r.Handler)
	}
	return app, tickets
}

func post(t *testing.T, app *fiber.App, body string) (int, map[string]any, string) {
	t.Helper()
	req := httptest.NewRequest("POST", "/api/v1/messages", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out, resp.Header.Get("Retry-After")
}

func TestSubmitAndRateLimit(t *testing.T) {
	app, tickets := newApp(t, auth.NewTokenBucket(0.01, 2))
	ok := `{"title":"路灯不亮","content":"幸福路东段路灯连续一周不亮，夜里很危险。","name":"赵六","phone":"13912345678"}`
	for i := 0; i < 2; i++ {
		code, out, _ := post(t, app, ok)
		if code != 201 || !strings.HasPrefix(out["code"].(string), "JC") {
			t.Fatalf("submit %d: %d %v", i, code, out)
		}
	}
	code, out, retry := post(t, app, ok)
	if code != 429 || retry == "" || !strings.Contains(out["detail"].(string), "频繁") {
		t.Fatalf("over the limit: %d %v retry-after=%q", code, out, retry)
	}
	page, _ := tickets.List(context.Background(), ticket.Filter{Limit: 10})
	if len(page.Tickets) != 2 {
		t.Fatalf("tickets = %d, want 2 (the refused one stored nothing)", len(page.Tickets))
	}
}

func TestSubmitRefusals(t *testing.T) {
	app, tickets := newApp(t, nil)
	long := strings.Repeat("很", message.MaxContentRunes+1)
	code, out, _ := post(t, app, `{"title":"t","content":"`+long+`","phone":"13912345678"}`)
	if code != 422 || !strings.Contains(out["detail"].(string), "content") {
		t.Fatalf("too long: %d %v", code, out)
	}
	if code, out, _ = post(t, app, `{"title":"t",`); code != 400 {
		t.Fatalf("malformed: %d %v", code, out)
	}
	if code, out, _ = post(t, app, `{"title":"t","content":"足够长的内容啊","phone":"13912345678","evil":1}`); code != 400 {
		t.Fatalf("unknown field: %d %v", code, out)
	}
	page, _ := tickets.List(context.Background(), ticket.Filter{Limit: 10})
	if len(page.Tickets) != 0 {
		t.Fatalf("refused messages stored %d tickets", len(page.Tickets))
	}
}
