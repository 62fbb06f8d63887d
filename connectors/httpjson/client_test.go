package httpjson

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/connectortest"
)

type seen struct {
	header http.Header
	body   []byte
}

func server(t *testing.T, status int, body string, hdr map[string]string) (*httptest.Server, *seen) {
	s := &seen{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.header = r.Header.Clone()
		s.body, _ = io.ReadAll(r.Body)
		for k, v := range hdr {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, s
}

func TestAuthAndHeaders(t *testing.T) {
	secret := "0123456789abcdef-secret"
	for _, tc := range []struct {
		auth  Auth
		check func(t *testing.T, s *seen)
	}{
		{Auth{Type: AuthBearer, Token: "tok"}, func(t *testing.T, s *seen) {
			if got := s.header.Get("Authorization"); got != "Bearer tok" {
				t.Errorf("authorization %q", got)
			}
		}},
		{Auth{Type: AuthBasic, Username: "u", Password: "p"}, func(t *testing.T, s *seen) {
			if got := s.header.Get("Authorization"); got != "Basic dTpw" {
				t.Errorf("authorization %q", got)
			}
		}},
		{Auth{Type: AuthHMAC}, func(t *testing.T, s *seen) {
			err := connectors.Verify([]byte(secret), s.header.Get(connectors.HeaderTimestamp), s.header.Get(connectors.HeaderSignature), s.body, time.Now(), time.Minute)
			if err != nil {
				t.Errorf("signature does not verify: %v", err)
			}
		}},
	} {
		t.Run(tc.auth.Type, func(t *testing.T) {
			srv, s := server(t, 201, `{"data":{"caseNo":"WJ-1"}}`, nil)
			c, err := New("d", Config{URL: srv.URL, Auth: tc.auth, Secret: secret, ReferenceField: "data.caseNo"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			tp := sdktrace.NewTracerProvider()
			ctx, span := tp.Tracer("t").Start(t.Context(), "x")
			rc, err := c.Deliver(ctx, connectortest.Delivery("key-1"))
			span.End()
			if err != nil || rc.Reference != "WJ-1" || rc.Status != 201 {
				t.Fatalf("rc=%+v err=%v", rc, err)
			}
			if s.header.Get("Idempotency-Key") != "key-1" {
				t.Errorf("idempotency key %q", s.header.Get("Idempotency-Key"))
			}
			if tp := s.header.Get("traceparent"); !strings.Contains(tp, span.SpanContext().TraceID().String()) {
				t.Errorf("traceparent %q lacks trace id %s", tp, span.SpanContext().TraceID())
			}
			var d connectors.Delivery
			if err := json.Unmarshal(s.body, &d); err != nil || d.IdempotencyKey != "key-1" {
				t.Errorf("body is not the canonical delivery: %v", err)
			}
			tc.check(t, s)
		})
	}
}

func TestClassification(t *testing.T) {
	for _, tc := range []struct {
		status     int
		body       string
		hdr        map[string]string
		permanent  bool
		retryable  bool
		duplicate  bool
		retryAfter time.Duration
	}{
		{status: 409, body: `{"id":"X9"}`, duplicate: true},
		{status: 409, body: `not json`, duplicate: true},
		{status: 429, hdr: map[string]string{"Retry-After": "7"}, retryable: true, retryAfter: 7 * time.Second},
		{status: 408, retryable: true},
		{status: 502, retryable: true},
		{status: 400, permanent: true},
		{status: 404, permanent: true},
		{status: 200, body: `<html>`, retryable: true},
		{status: 204},
	} {
		srv, _ := server(t, tc.status, tc.body, tc.hdr)
		c, _ := New("d", Config{URL: srv.URL}, nil)
		rc, err := c.Deliver(t.Context(), connectortest.Delivery("k"))
		if connectors.IsPermanent(err) != tc.permanent || errors.Is(err, connectors.ErrRetryable) != tc.retryable {
			t.Errorf("%d %q: err=%v", tc.status, tc.body, err)
		}
		if rc.Duplicate != tc.duplicate {
			t.Errorf("%d: duplicate=%v", tc.status, rc.Duplicate)
		}
		var ce *connectors.Error
		if tc.retryAfter > 0 && (!errors.As(err, &ce) || ce.RetryAfter != tc.retryAfter || ce.Status != tc.status) {
			t.Errorf("%d: retry-after lost: %v", tc.status, err)
		}
	}
}

func TestTemplateBody(t *testing.T) {
	srv, s := server(t, 200, `{"reference":"R"}`, nil)
	c, err := New("d", Config{URL: srv.URL, Template: `{"caseTitle":{{json .Ticket.title}},"no":{{json .Delivery.TicketCode}}}`}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Deliver(t.Context(), connectortest.Delivery("k")); err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal(s.body, &got); err != nil || got["caseTitle"] != "噪声扰民" || got["no"] != "T-k" {
		t.Fatalf("templated body %s (%v)", s.body, err)
	}
}

func TestPollTranslatesStatusCodes(t *testing.T) {
	var since string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		since = r.URL.Query().Get("since")
		_, _ = io.WriteString(w, `[{"id":"e1","ticket_id":"t1","status":3},{"id":"e2","ticket_id":"t1","status":"11","text":"已修复"},{"id":"e3","status":99},{"id":"e4","ticket_id":"t2","status":4,"reason":"不属本部门"}]`)
	}))
	defer srv.Close()
	c, err := New("d", Config{URL: srv.URL, StatusURL: srv.URL + "/status"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := c.Poll(t.Context(), time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if since != "2026-01-02T03:04:05Z" {
		t.Errorf("since=%q", since)
	}
	if len(evs) != 3 || evs[0].Type != connectors.EventAccepted || evs[1].Type != connectors.EventReplied || evs[1].Text != "已修复" ||
		evs[2].Type != connectors.EventReturned || evs[2].Reason != "不属本部门" {
		t.Fatalf("events %+v", evs)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	err := Config{URL: "ftp://x", Auth: Auth{Type: "oauth"}, Template: "{{", StatusMap: connectors.StatusMap{"1": {Event: "nope"}}}.WithDefaults().Validate()
	if !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("got %v", err)
	}
	for _, key := range []string{"url", "auth.type", "template", "nope"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("%q does not name %s", err, key)
		}
	}
}

func FuzzClassify(f *testing.F) {
	f.Add(200, []byte(`{"reference":"x"}`))
	f.Add(409, []byte(`{"id":1.5e3}`))
	f.Add(503, []byte(``))
	c, _ := New("d", Config{URL: "http://127.0.0.1:1", ReferenceField: "a.b"}, nil)
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		_, _ = c.classify(&http.Response{StatusCode: status, Header: http.Header{}}, body)
	})
}
