package widget_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/hallgate/hallgate/gateway/internal/gatewaytest"
)

const adminToken = "widget-test-bootstrap-admin-0123456789"

// startGateway serves a full in-process gateway on loopback.
func startGateway(t *testing.T) string {
	t.Helper()
	return gatewaytest.Start(t, adminToken, nil)
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// call sends one request; headers are name, value pairs.
func call(t *testing.T, method, url, body string, headers ...string) resp {
	t.Helper()
	status, header, b := gatewaytest.Call(t, method, url, body, headers...)
	return resp{status: status, header: header, body: b}
}

func admin(t *testing.T, method, url, body string) resp {
	t.Helper()
	return call(t, method, url, body, "Authorization", "Bearer "+adminToken)
}

// seed creates two departments, a published FAQ entry and a published
// service item through the API.
func seed(t *testing.T, base string) {
	t.Helper()
	gatewaytest.SeedSmallCity(t, base, adminToken)
}

type created struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

func createPartner(t *testing.T, base, body string) created {
	t.Helper()
	r := admin(t, "POST", base+"/api/v1/partners", body)
	if r.status != http.StatusCreated {
		t.Fatalf("create partner: %d %s", r.status, r.body)
	}
	var c created
	r.json(t, &c)
	if c.ID == "" || c.Key == "" {
		t.Fatalf("create partner: %s", r.body)
	}
	return c
}
