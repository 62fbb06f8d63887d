// Package gatewaytest starts whole in-process gateways on loopback for the
// tests of packages that sit beside the gateway (partner API, widget), and
// talks to them over real HTTP.
package gatewaytest

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/hallgate/hallgate/config"
	"github.com/hallgate/hallgate/gateway"
)

// Start serves a full gateway (gateway.New, temp data dir, embedded store
// and index unless adjust says otherwise, rate limits off, adminToken as
// the bootstrap admin token) on loopback and returns its base URL; it stops
// with the test.
func Start(t *testing.T, adminToken string, adjust func(*config.Config)) string {
	t.Helper()
	cfg := config.Default()
	cfg.Server.DataDir = t.TempDir()
	cfg.Server.Addr = "127.0.0.1:0"
	cfg.Server.ShutdownTimeout = 20 * time.Second
	cfg.Auth.BootstrapAdminToken = config.Secret(adminToken)
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

var client = &http.Client{Timeout: 60 * time.Second}

// Call sends one request (a JSON body when body is not empty; headers are
// name, value pairs) and returns the status, headers and body.
func Call(t *testing.T, method, url, body string, headers ...string) (int, http.Header, []byte) {
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
	return res.StatusCode, res.Header, b
}

// SeedSmallCity creates, through the API, two departments (water, hrss), a
// published FAQ entry, a draft that must stay hidden, and a published
// service item.
func SeedSmallCity(t *testing.T, base, adminToken string) {
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
		if status, _, body := Call(t, s.method, base+s.path, s.body, "Authorization", "Bearer "+adminToken); status >= 300 {
			t.Fatalf("seed %s %s: %d %s", s.method, s.path, status, body)
		}
	}
}
