package partnerapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/hallgate/hallgate/config"
	"github.com/hallgate/hallgate/gateway"
)

const adminToken = "partnerapi-test-bootstrap-admin-0123456789"

// startGateway serves a full in-process gateway (gateway.New, temp data
// dir, embedded store and index) on loopback and returns its base URL.
func startGateway(t *testing.T) string {
	t.Helper()
	return startGatewayWith(t, nil)
}

// startGatewayWith lets the test adjust the configuration first (e.g. a
// Redis store shared by several replicas).
func startGatewayWith(t *testing.T, adjust func(*config.Config)) string {
	t.Helper()
	cfg := config.Default()
	cfg.Server.DataDir = t.TempDir()
	cfg.Server.Addr = "127.0.0.1:0"
	cfg.Server.ShutdownTimeout = 20 * time.Second
	cfg.Auth.BootstrapAdminToken = adminToken
	cfg.RateLimit.Public.PerSecond = 0
	cfg.RateLimit.Authenticated.PerSecond = 0
	if adjust != nil {
		adjust(&cfg)
	}
	app, err := gateway.New(context.Background(), cfg, gateway.Options{LogOutput: io.Discard, Version: "test"})
	if err != nil {
		t.Fatalf("gateway.New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("gateway run: %v", err)
			}
		case <-time.After(40 * time.Second):
			t.Error("gateway did not stop")
		}
	})
	return "http://" + ln.Addr().String()
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

var client = &http.Client{Timeout: 60 * time.Second}

// call sends one request; headers are name, value pairs.
func call(t *testing.T, method, url, body string, headers ...string) resp {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = bytes.NewBufferString(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

func admin(t *testing.T, method, url, body string) resp {
	t.Helper()
	return call(t, method, url, body, "Authorization", "Bearer "+adminToken)
}

// seed creates two departments, a published FAQ entry and a published
// service item through the API.
func seed(t *testing.T, base string) {
	t.Helper()
	steps := []struct{ method, path, body string }{
		{"POST", "/api/v1/departments/import", `[{"code":"water","name":"测试市水务集团","short_name":"水务","legacy_hotlines":[],"consolidation_mode":"merged","responsibilities":"供水"},
			{"code":"hrss","name":"测试市人力资源和社会保障局","short_name":"人社局","legacy_hotlines":[],"consolidation_mode":"merged","responsibilities":"社保就业"}]`},
		{"POST", "/api/v1/kb/entries", `{"id":"t-water-1","title":"自来水如何办理过户？","answer":"携带身份证和房产证明到供水营业厅办理过户。","category":"水电燃气/供水","department":"water","channels":["website"],"keywords":["过户"]}`},
		{"POST", "/api/v1/kb/entries/t-water-1/transitions", `{"to":"in_review"}`},
		{"POST", "/api/v1/kb/entries/t-water-1/transitions", `{"to":"published"}`},
		{"POST", "/api/v1/kb/entries", `{"id":"t-draft-1","title":"自来水草稿问题不应公开","answer":"草稿内容。","category":"水电燃气/供水","department":"water","channels":["website"]}`},
		{"POST", "/api/v1/items", `{"name":"供水用户过户","code":"990000-TEST-0001","type":"公共服务","department":"water",
			"materials":[{"name":"身份证","form":"原件","count":1}],"conditions":["持有不动产权证书"],"steps":["申请","审核"],
			"promised_days":1,"statutory_days":5,"enquiry_phone":"12345","status":"published"}`},
	}
	for _, s := range steps {
		if r := admin(t, s.method, base+s.path, s.body); r.status >= 300 {
			t.Fatalf("seed %s %s: %d %s", s.method, s.path, r.status, r.body)
		}
	}
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
