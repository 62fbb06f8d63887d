package open311

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/connectortest"
)

func TestDeliverAndPoll(t *testing.T) {
	var form url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			body, _ := io.ReadAll(r.Body)
			form, _ = url.ParseQuery(string(body))
			if form.Get("api_key") != "k" {
				w.WriteHeader(403)
				_, _ = io.WriteString(w, `[{"code":403,"description":"invalid api_key"}]`)
				return
			}
			_, _ = io.WriteString(w, `[{"service_request_id":"D-77","service_notice":""}]`)
		case http.MethodGet:
			if r.URL.Query().Get("service_code") != "streetlight" {
				w.WriteHeader(400)
				return
			}
			_, _ = io.WriteString(w, `[{"service_request_id":"D-77","status":"closed","status_notes":"已更换灯泡","updated_datetime":"2026-11-26T10:00:00+08:00"},{"service_request_id":"D-78","status":"open","updated_datetime":"2026-11-26T10:00:00+08:00"}]`)
		}
	}))
	defer srv.Close()
	c, err := New("district", Config{URL: srv.URL + "/", APIKey: "k", ServiceCode: "streetlight"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := c.Deliver(t.Context(), connectortest.Delivery("x"))
	if err != nil || rc.Reference != "D-77" {
		t.Fatalf("rc=%+v err=%v", rc, err)
	}
	if !strings.Contains(form.Get("description"), "噪声扰民") || form.Get("service_code") != "streetlight" {
		t.Fatalf("form %v", form)
	}
	evs, err := c.Poll(t.Context(), time.Now().Add(-time.Hour))
	if err != nil || len(evs) != 1 || evs[0].Type != connectors.EventReplied || evs[0].Reference != "D-77" || evs[0].Text != "已更换灯泡" {
		t.Fatalf("poll %+v %v", evs, err)
	}
	bad, _ := New("district", Config{URL: srv.URL, APIKey: "wrong", ServiceCode: "streetlight"}, nil)
	if _, err := bad.Deliver(t.Context(), connectortest.Delivery("x")); !connectors.IsPermanent(err) || !strings.Contains(err.Error(), "invalid api_key") {
		t.Fatalf("403: %v", err)
	}
}

func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Kind{Name: "open311", Dialect: connectortest.Dialect{
		Success: func(w http.ResponseWriter, ref string) {
			_, _ = io.WriteString(w, `[{"service_request_id":"`+ref+`"}]`)
		},
		Retryable: func(w http.ResponseWriter) { w.WriteHeader(503) },
		Permanent: func(w http.ResponseWriter) {
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `[{"code":400,"description":"service_code not found"}]`)
		},
		Malformed: func(w http.ResponseWriter) { _, _ = io.WriteString(w, `{"oops"`) },
	}, New: func(t *testing.T, u string) connectors.Connector {
		c, err := New("o", Config{URL: u, ServiceCode: "s"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}})
}
