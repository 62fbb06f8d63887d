package connectorapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/kinds"
	"github.com/hallgate/hallgate/connectors/resilience"
	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/dispatch"
	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/gateway/httpapi/connectorapi"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/store/bolt"
)

const secret = "zjj-callback-secret-0001"

type env struct {
	app     *fiber.App
	st      store.Store
	relay   *dispatch.Relay
	mu      sync.Mutex
	applied []connectors.Event
	fail    error
}

type nopConn struct{}

func (nopConn) Name() string { return "zjj" }
func (nopConn) Deliver(context.Context, connectors.Delivery) (connectors.Receipt, error) {
	return connectors.Receipt{Reference: "R"}, nil
}

func setup(t *testing.T) *env {
	st, err := bolt.Open(t.Context(), bolt.Options{Path: t.TempDir() + "/api.db"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg := dispatch.NewRegistry()
	ch, _ := resilience.Chain(resilience.Config{}, nopConn{}, resilience.Deps{Department: "ZJJ"})
	if err := reg.Put(dispatch.Entry{Name: "zjj", Kind: "httpjson", Department: "ZJJ", CallbackSecret: secret, Connector: ch}); err != nil {
		t.Fatal(err)
	}
	relay, err := dispatch.New(st, reg, dispatch.Config{Consumer: "api-test"}, dispatch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{st: st, relay: relay}
	mod := connectorapi.New(connectorapi.Options{Relay: relay, Store: st, Kinds: kinds.Default(),
		Chain: func(dept string, c connectors.Connector) (connectors.Connector, error) {
			return resilience.Chain(resilience.Config{}, c, resilience.Deps{Department: dept})
		},
		Apply: func(_ context.Context, dept string, ev connectors.Event) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			if e.fail != nil {
				return e.fail
			}
			if dept != "ZJJ" {
				return errors.New("wrong department")
			}
			e.applied = append(e.applied, ev)
			return nil
		}})
	app := fiber.New(fiber.Config{DisableStartupMessage: true, ErrorHandler: func(c *fiber.Ctx, err error) error {
		p := httpapi.AsProblem(err)
		c.Set(fiber.HeaderContentType, "application/problem+json")
		return c.Status(p.Status).JSON(p)
	}})
	app.Use(func(c *fiber.Ctx) error {
		if h := c.Get("X-Test-Roles"); h != "" {
			var roles []auth.Role
			for _, r := range strings.Split(h, ",") {
				roles = append(roles, auth.Role(r))
			}
			auth.SetPrincipal(c, auth.Principal{ID: "u", Roles: roles})
		}
		return c.Next()
	})
	for _, r := range mod.Routes() {
		route := r
		app.Add(route.Method, route.Path, func(c *fiber.Ctx) error {
			p := auth.FromCtx(c)
			for _, role := range route.Roles {
				if p.Has(role) {
					return c.Next()
				}
			}
			return httpapi.Errorf(http.StatusForbidden, "role not admitted")
		}, route.Handler)
	}
	e.app = app
	return e
}

func (e *env) do(t *testing.T, method, path, roles string, body []byte, hdr map[string]string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if roles != "" {
		req.Header.Set("X-Test-Roles", roles)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := e.app.Test(req, 10000)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

func signed(body []byte, at time.Time, key string) map[string]string {
	ts := at.Unix()
	return map[string]string{connectors.HeaderTimestamp: strconv.FormatInt(ts, 10), connectors.HeaderSignature: connectors.Sign([]byte(key), ts, body)}
}

func (e *env) count() int { e.mu.Lock(); defer e.mu.Unlock(); return len(e.applied) }

func TestCallbacks(t *testing.T) {
	e := setup(t)
	ev, _ := json.Marshal(connectors.Event{ID: "ev-1", Type: connectors.EventAccepted, TicketCode: "2026000001", Note: "已受理"})
	path := "/api/v1/connectors/zjj/callbacks"

	for name, hdr := range map[string]map[string]string{
		"no signature":    nil,
		"wrong secret":    signed(ev, time.Now(), "another-secret-000000"),
		"old timestamp":   signed(ev, time.Now().Add(-6*time.Minute), secret),
		"future":          signed(ev, time.Now().Add(6*time.Minute), secret),
		"tampered header": {connectors.HeaderTimestamp: strconv.FormatInt(time.Now().Unix(), 10), connectors.HeaderSignature: "sha256=00"},
	} {
		if st, _ := e.do(t, "POST", path, "", ev, hdr); st != 401 {
			t.Errorf("%s: status %d, want 401", name, st)
		}
	}
	if e.count() != 0 {
		t.Fatal("a refused callback changed something")
	}
	if st, _ := e.do(t, "POST", "/api/v1/connectors/nope/callbacks", "", ev, signed(ev, time.Now(), secret)); st != 404 {
		t.Errorf("unknown connector: %d", st)
	}
	st, body := e.do(t, "POST", path, "", ev, signed(ev, time.Now(), secret))
	if st != 200 || body["applied"] != true || e.count() != 1 {
		t.Fatalf("valid callback: %d %v applied=%d", st, body, e.count())
	}
	st, body = e.do(t, "POST", path, "", ev, signed(ev, time.Now(), secret))
	if st != 200 || body["duplicate"] != true || e.count() != 1 {
		t.Fatalf("duplicate: %d %v applied=%d", st, body, e.count())
	}
	other, _ := json.Marshal(connectors.Event{ID: "ev-1", Type: connectors.EventReplied, TicketCode: "2026000001", Text: "x"})
	if st, _ := e.do(t, "POST", path, "", other, signed(other, time.Now(), secret)); st != 409 {
		t.Errorf("reused event id with other content: %d", st)
	}
	bad := []byte(`{"id":"ev-2","type":"accepted"`)
	if st, _ := e.do(t, "POST", path, "", bad, signed(bad, time.Now(), secret)); st != 400 {
		t.Errorf("malformed JSON: %d", st)
	}
	incomplete, _ := json.Marshal(map[string]any{"id": "", "type": "teleported"})
	st, body = e.do(t, "POST", path, "", incomplete, signed(incomplete, time.Now(), secret))
	if st != 422 || !strings.Contains(toJSON(body["fields"]), "type") || !strings.Contains(toJSON(body["fields"]), "id") {
		t.Errorf("incomplete event: %d %v", st, body)
	}
	// A failed apply forgets the event id, so the department may send again.
	e.fail = errors.New("ticket store down")
	ev3, _ := json.Marshal(connectors.Event{ID: "ev-3", Type: connectors.EventProgress, TicketID: "t1", Note: "现场查看"})
	if st, _ := e.do(t, "POST", path, "", ev3, signed(ev3, time.Now(), secret)); st != 500 {
		t.Errorf("failing apply: %d", st)
	}
	e.fail = nil
	if st, body := e.do(t, "POST", path, "", ev3, signed(ev3, time.Now(), secret)); st != 200 || body["applied"] != true {
		t.Errorf("retry after failed apply: %d %v", st, body)
	}
	// KB proposals are kept for editors, not applied to tickets.
	kb, _ := json.Marshal(connectors.Event{ID: "kb-1", Type: connectors.EventKBProposal, Proposal: json.RawMessage(`{"question":"居住证如何办理"}`)})
	if st, _ := e.do(t, "POST", path, "", kb, signed(kb, time.Now(), secret)); st != 200 {
		t.Errorf("kb proposal: %d", st)
	}
	if n, _ := e.st.Count(t.Context(), connectorapi.CollKBProposals, map[string]string{"department": "ZJJ"}); n != 1 {
		t.Errorf("kb proposals stored: %d", n)
	}
}

func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestHealthDeadLettersAndDeliveries(t *testing.T) {
	e := setup(t)
	ctx := t.Context()
	d := connectors.Delivery{IdempotencyKey: "t9/ZJJ/1", TicketID: "t9", Department: "ZJJ", Event: "dispatch", CreatedAt: time.Now()}
	payload, _ := json.Marshal(d)
	if _, err := e.st.Commit(ctx, store.Tx{Enqueue: []store.OutboxItem{{ID: d.IdempotencyKey, Topic: "delivery", Key: "ZJJ", Payload: payload}}}); err != nil {
		t.Fatal(err)
	}
	items, _ := e.st.Claim(ctx, "delivery", "x", 1, time.Minute)
	if err := e.st.DeadLetter(ctx, items[0], "permanent: status 422"); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.do(t, "GET", "/api/v1/connectors", "agent", nil, nil); st != 403 {
		t.Errorf("agent on connector health: %d", st)
	}
	st, body := e.do(t, "GET", "/api/v1/connectors", "supervisor", nil, nil)
	if st != 200 || !strings.Contains(toJSON(body), `"dead_letters":1`) || !strings.Contains(toJSON(body), `"breaker":"closed"`) {
		t.Fatalf("health: %d %v", st, body)
	}
	st, body = e.do(t, "GET", "/api/v1/deadletters?connector=zjj", "admin", nil, nil)
	if st != 200 || !strings.Contains(toJSON(body), `"ticket_id":"t9"`) {
		t.Fatalf("dead letters: %d %v", st, body)
	}
	if st, _ := e.do(t, "GET", "/api/v1/deadletters?limit=0", "admin", nil, nil); st != 400 {
		t.Errorf("bad limit: %d", st)
	}
	if st, _ := e.do(t, "POST", "/api/v1/deadletters/"+url.PathEscape("t9/ZJJ/1")+"/redrive", "agent", nil, nil); st != 403 {
		t.Errorf("agent redrive: %d", st)
	}
	// Supervisors watch dead letters and redrive them once a department is back.
	if st, body := e.do(t, "POST", "/api/v1/deadletters/"+url.PathEscape("t9/ZJJ/1")+"/redrive", "supervisor", nil, nil); st != 200 {
		t.Fatalf("redrive: %d %v", st, body)
	}
	if st, _ := e.do(t, "POST", "/api/v1/deadletters/"+url.PathEscape("t9/ZJJ/1")+"/redrive", "admin", nil, nil); st != 404 {
		t.Errorf("second redrive: %d", st)
	}
	if p, _ := e.st.Pending(ctx, "delivery"); p["ZJJ"].Depth != 1 {
		t.Fatalf("redriven item not queued: %+v", p)
	}
	// Run the relay so the ticket shows its delivery.
	rctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = e.relay.Run(rctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, body = e.do(t, "GET", "/api/v1/tickets/t9/deliveries", "agent", nil, nil)
		if strings.Contains(toJSON(body), `"state":"delivered"`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	if !strings.Contains(toJSON(body), `"state":"delivered"`) || !strings.Contains(toJSON(body), `"outcome":"delivered"`) {
		t.Fatalf("ticket deliveries: %v", body)
	}
	if _, body := e.do(t, "GET", "/api/v1/tickets/t9/deliveries", "department:TAX", nil, nil); toJSON(body["deliveries"]) != "[]" {
		t.Fatalf("another department sees the delivery: %v", body)
	}
	if _, body := e.do(t, "GET", "/api/v1/tickets/t9/deliveries", "department:ZJJ", nil, nil); toJSON(body["deliveries"]) == "[]" {
		t.Fatalf("own department does not see the delivery: %v", body)
	}
	if st, _ := e.do(t, "POST", "/api/v1/connectors/zjj/redrive", "admin", nil, nil); st != 200 {
		t.Errorf("redrive all: %d", st)
	}
}

func TestCreateConnector(t *testing.T) {
	e := setup(t)
	good := []byte(`{"name":"tax-soap","kind":"soap","department":"TAX","callback_secret":"tax-callback-secret-01","settings":{"url":"http://127.0.0.1:9/soap","action":"urn:x#Deliver"}}`)
	if st, body := e.do(t, "POST", "/api/v1/connectors", "admin", good, nil); st != 201 {
		t.Fatalf("create: %d %v", st, body)
	}
	if st, body := e.do(t, "GET", "/api/v1/connectors/tax-soap", "admin", nil, nil); st != 200 || body["department"] != "TAX" {
		t.Fatalf("get: %d %v", st, body)
	}
	st, body := e.do(t, "POST", "/api/v1/connectors", "admin", []byte(`{"name":"Bad Name","kind":"fax","settings":{}}`), nil)
	if st != 422 || !strings.Contains(toJSON(body["fields"]), "kind") || !strings.Contains(toJSON(body["fields"]), "department") {
		t.Fatalf("invalid create: %d %v", st, body)
	}
	if st, _ := e.do(t, "POST", "/api/v1/connectors", "admin", []byte(`{"name":"x","kind":"soap","department":"D","callback_secret":"0123456789abcdefg","settings":{"url":"nope"}}`), nil); st != 422 {
		t.Fatalf("invalid settings: %d", st)
	}
	if st, _ := e.do(t, "DELETE", "/api/v1/connectors/tax-soap", "supervisor", nil, nil); st != 403 {
		t.Fatalf("supervisor delete: %d", st)
	}
	if st, _ := e.do(t, "DELETE", "/api/v1/connectors/tax-soap", "admin", nil, nil); st != 204 {
		t.Fatalf("delete: %d", st)
	}
	if st, _ := e.do(t, "GET", "/api/v1/connectors/tax-soap", "admin", nil, nil); st != 404 {
		t.Fatalf("deleted connector still there: %d", st)
	}
	if st, body := e.do(t, "POST", "/api/v1/connectors", "admin", good, nil); st != 201 {
		t.Fatalf("re-create after delete: %d %v", st, body)
	}
	dup := []byte(`{"name":"tax-2","kind":"soap","department":"TAX","callback_secret":"tax-callback-secret-01","settings":{"url":"http://127.0.0.1:9/soap","action":"a"}}`)
	if st, _ := e.do(t, "POST", "/api/v1/connectors", "admin", dup, nil); st != 409 {
		t.Fatalf("second connector for one department: %d", st)
	}
}

// The callback scheme is the same as gateway/auth's HMAC helpers, so a
// department SDK built on either interoperates.
func TestCallbackAcceptsAuthSignHMAC(t *testing.T) {
	e := setup(t)
	ev, _ := json.Marshal(connectors.Event{ID: "ev-auth", Type: connectors.EventAccepted, TicketID: "t1"})
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	hdr := map[string]string{auth.HeaderTimestamp: ts, auth.HeaderSignature: auth.SignHMAC([]byte(secret), ts, ev)}
	if st, body := e.do(t, "POST", "/api/v1/connectors/zjj/callbacks", "", ev, hdr); st != 200 || body["applied"] != true {
		t.Fatalf("%d %v", st, body)
	}
	if err := auth.VerifyHMAC([]byte(secret), connectors.Sign([]byte(secret), 42, ev), "42", ev, time.Unix(42, 0), time.Minute); err != nil {
		t.Fatalf("auth.VerifyHMAC rejects connectors.Sign: %v", err)
	}
}
