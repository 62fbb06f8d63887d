package connectorapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/kinds"
	"github.com/hallgate/hallgate/connectors/resilience"
	"github.com/hallgate/hallgate/gateway/dispatch"
	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/gateway/httpapi/connectorapi"
	"github.com/hallgate/hallgate/gateway/store/bolt"
)

// FuzzCallback posts department callbacks (headers and body from outside)
// to the real handler: no 5xx, a bad or missing signature is 401 and never
// applied, a signed body is applied only when it decodes to a complete
// event, and every error is problem+json.
func FuzzCallback(f *testing.F) {
	for _, s := range []string{
		`{"id":"e1","type":"accepted","ticket_id":"t1","reference":"ZJJ-000001"}`,
		`{"id":"e2","type":"replied","ticket_id":"t1","text":"已处理"}`,
		`{"id":"e3","type":"extension_requested","ticket_code":"JC20261102000001","days":0}`,
		`{"id":"e4","type":"kb_proposal","proposal":{}}`,
		`{"id":"","type":"nope"}`, `{"id":"e5","type":"accepted","ticket_id":"t1","unknown":1}`,
		`[1,2]`, `{`, ``, "\xff\xfe",
	} {
		f.Add([]byte(s), true, int64(0))
		f.Add([]byte(s), false, int64(10))
	}
	st, err := bolt.Open(context.Background(), bolt.Options{Path: f.TempDir() + "/cb.db"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	reg := dispatch.NewRegistry()
	ch, _ := resilience.Chain(resilience.Config{}, nopConn{}, resilience.Deps{Department: "ZJJ"})
	if err := reg.Put(dispatch.Entry{Name: "zjj", Kind: "httpjson", Department: "ZJJ", CallbackSecret: secret, Connector: ch}); err != nil {
		f.Fatal(err)
	}
	relay, err := dispatch.New(st, reg, dispatch.Config{Consumer: "fuzz"}, dispatch.Options{})
	if err != nil {
		f.Fatal(err)
	}
	var applied atomic.Int64
	mod := connectorapi.New(connectorapi.Options{Relay: relay, Store: st, Kinds: kinds.Default(),
		Apply: func(_ context.Context, _ string, ev connectors.Event) error {
			if ev.ID == "" || ev.Type == "" {
				return io.ErrUnexpectedEOF
			}
			applied.Add(1)
			return nil
		}})
	app := fiber.New(fiber.Config{DisableStartupMessage: true, ErrorHandler: func(c *fiber.Ctx, err error) error {
		p := httpapi.AsProblem(err)
		c.Set(fiber.HeaderContentType, "application/problem+json")
		return c.Status(p.Status).JSON(p)
	}})
	for _, r := range mod.Routes() {
		if r.Path == "/api/v1/connectors/:name/callbacks" {
			app.Add(r.Method, r.Path, r.Handler)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, sign bool, skew int64) {
		req := httptest.NewRequest("POST", "/api/v1/connectors/zjj/callbacks", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		ts := time.Now().Add(time.Duration(skew%3600) * time.Second).Unix()
		req.Header.Set(connectors.HeaderTimestamp, strconv.FormatInt(ts, 10))
		if sign {
			req.Header.Set(connectors.HeaderSignature, connectors.Sign([]byte(secret), ts, body))
		} else {
			req.Header.Set(connectors.HeaderSignature, connectors.Sign([]byte("not-the-secret-0123456789"), ts, body))
		}
		before := applied.Load()
		resp, err := app.Test(req, 10000)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 500 {
			t.Fatalf("5xx for outside input: %d %s (body %q)", resp.StatusCode, raw, body)
		}
		if !sign {
			if resp.StatusCode != 401 || applied.Load() != before {
				t.Fatalf("unsigned callback: %d, applied %d", resp.StatusCode, applied.Load()-before)
			}
		}
		if resp.StatusCode >= 400 {
			var p struct{ Status int }
			if json.Unmarshal(raw, &p) != nil || p.Status != resp.StatusCode {
				t.Fatalf("error is not problem+json: %d %s", resp.StatusCode, raw)
			}
			if applied.Load() != before {
				t.Fatalf("refused (%d) but applied", resp.StatusCode)
			}
		}
	})
}
