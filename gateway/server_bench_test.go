package gateway

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/hallgate/hallgate/gateway/auth"
)

// startBenchGateway serves on loopback with logs discarded; the numbers
// include the whole middleware stack (request id, span, metrics, access
// log, authentication, authorization).
func startBenchGateway(b *testing.B) *testGateway {
	return startGateway(b, testConfig(b), nil)
}

func runParallelGET(b *testing.B, url, token string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("GET", url, nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}

func BenchmarkGatewayAnonymousHealthz(b *testing.B) {
	g := startBenchGateway(b)
	runParallelGET(b, g.base+"/healthz", "")
}

func BenchmarkGatewayTokenAuthenticated(b *testing.B) {
	g := startBenchGateway(b)
	_, secret, err := g.app.Tokens.Create(context.Background(), "bench", []auth.Role{auth.RoleAdmin}, "bench")
	if err != nil {
		b.Fatal(err)
	}
	runParallelGET(b, g.base+"/healthz", secret)
}

func BenchmarkGatewayTokenList(b *testing.B) {
	g := startBenchGateway(b)
	runParallelGET(b, g.base+"/api/v1/tokens", testAdminToken)
}
