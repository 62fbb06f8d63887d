package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hallgate/hallgate/config"
	"github.com/hallgate/hallgate/gateway/audit"
	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/telemetry"
)

const testAdminToken = "test-bootstrap-admin-token-0123456789"

// testGateway is a full gateway serving on loopback.
type testGateway struct {
	t    testing.TB
	app  *App
	base string
	logs *syncBuffer
	done chan error
	stop context.CancelFunc
}

// syncBuffer collects logs for assertions; discard drops them (benchmarks).
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	discard bool
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.discard {
		s.b.Write(p)
	}
	return len(p), nil
}

// String returns everything logged so far.
func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testConfig(t testing.TB) config.Config {
	cfg := config.Default()
	cfg.Server.DataDir = t.TempDir()
	cfg.Server.Addr = "127.0.0.1:0"
	cfg.Server.BodyLimit = 64 << 10
	cfg.Server.ShutdownTimeout = 5 * time.Second
	cfg.Auth.BootstrapAdminToken = testAdminToken
	cfg.RateLimit.Public.PerSecond = 0
	cfg.RateLimit.Authenticated.PerSecond = 0
	return cfg
}

// startGateway serves a minimal gateway on loopback: the server, auth,
// telemetry, store and the token module, without the capabilities (index,
// tickets, …) whose start-up cost the server's own tests do not need.
func startGateway(t testing.TB, cfg config.Config, prepare func(*App)) *testGateway {
	t.Helper()
	return serveApp(t, cfg, prepare, false)
}

// startFullGateway serves the gateway exactly as New wires it, with every
// module: for tests that must cover the whole route table.
func startFullGateway(t testing.TB, cfg config.Config, prepare func(*App)) *testGateway {
	t.Helper()
	return serveApp(t, cfg, prepare, true)
}

func serveApp(t testing.TB, cfg config.Config, prepare func(*App), full bool) *testGateway {
	t.Helper()
	_, bench := t.(*testing.B)
	logs := &syncBuffer{discard: bench}
	var app *App
	var err error
	if full {
		app, err = New(context.Background(), cfg, Options{LogOutput: logs, Version: "test"})
	} else {
		app, err = newMinimalApp(cfg, logs)
	}
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if prepare != nil {
		prepare(app)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &testGateway{t: t, app: app, base: "http://" + ln.Addr().String(), logs: logs, done: make(chan error, 1), stop: cancel}
	go func() { g.done <- app.Run(ctx, ln) }()
	t.Cleanup(func() { g.shutdown() })
	return g
}

// newMinimalApp is New without the capability wiring.
func newMinimalApp(cfg config.Config, logs io.Writer) (*App, error) {
	ctx := context.Background()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := config.EnsureKeys(&cfg); err != nil {
		return nil, err
	}
	tel, err := telemetry.New(ctx, telemetry.Options{LogOutput: logs, LogLevel: telemetry.ParseLevel(cfg.Telemetry.LogLevel)})
	if err != nil {
		return nil, err
	}
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Store: st, Telemetry: tel, Log: tel.Logger, Version: "test",
		Tokens: auth.NewTokens(st, cfg.Auth.BootstrapAdminToken.Reveal())}
	a.Audit = audit.New(st, audit.Options{})
	a.OnStop(a.Audit.Flush)
	registerErrorMappings()
	a.Modules = append(a.Modules, &tokenModule{tokens: a.Tokens})
	if _, err := a.routeTable(); err != nil {
		return nil, err
	}
	return a, nil
}

// shutdown stops the gateway and returns Run's error (once).
func (g *testGateway) shutdown() error {
	g.stop()
	select {
	case err, ok := <-g.done:
		if ok {
			close(g.done)
		}
		return err
	case <-time.After(15 * time.Second):
		g.t.Fatal("gateway did not stop")
		return nil
	}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %q", r.body)
	}
	return m
}

func (g *testGateway) do(method, path, token string, body io.Reader, header ...string) response {
	g.t.Helper()
	req, err := http.NewRequest(method, g.base+path, body)
	if err != nil {
		g.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// rawRequest writes raw HTTP/1.1 to the gateway and reads one response.
func rawRequest(t *testing.T, g *testGateway, raw string) response {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(g.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// expectProblem asserts a problem+json answer with the status.
func expectProblem(t *testing.T, r response, status int) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("content type %q, want application/problem+json (body %s)", ct, r.body)
	}
	m := r.json(t)
	if int(m["status"].(float64)) != status || m["title"] == "" || m["detail"] == nil {
		t.Fatalf("problem body incomplete: %v", m)
	}
	return m
}

// redisTestConfig is testConfig on the Redis that HALLGATE_TEST_REDIS_URL
// names, under a fresh key prefix; it skips the test when none is set.
func redisTestConfig(t *testing.T, what, prefix string) config.Config {
	t.Helper()
	url := os.Getenv("HALLGATE_TEST_REDIS_URL")
	if url == "" {
		t.Skip("HALLGATE_TEST_REDIS_URL not set; skipping " + what + " (bash .ci/run sets it)")
	}
	cfg := testConfig(t)
	cfg.Redis.URL = url
	cfg.Redis.Prefix = fmt.Sprintf("%s:%d:", prefix, time.Now().UnixNano())
	return cfg
}
