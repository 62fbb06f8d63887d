package gateway

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/httpapi"
)

// TestShutdownOrder proves Run's shutdown sequence: background workers see
// their ctx cancelled after HTTP stopped, stoppers run after the workers
// returned (last registered first), and the store closes last.
func TestShutdownOrder(t *testing.T) {
	var mu sync.Mutex
	var events []string
	record := func(s string) { mu.Lock(); events = append(events, s); mu.Unlock() }
	started := make(chan struct{})
	g := startGateway(t, testConfig(t), func(a *App) {
		a.Background = append(a.Background, func(ctx context.Context) error {
			close(started)
			<-ctx.Done()
			record("worker released its claims")
			return ctx.Err()
		})
		a.OnStop(func(ctx context.Context) error {
			if err := a.Store.Ping(ctx); err != nil {
				t.Errorf("store closed before stopper ran: %v", err)
			}
			record("stopper 1")
			return nil
		})
		a.OnStop(func(context.Context) error { record("stopper 2"); return nil })
	})
	<-started
	if r := g.do("GET", "/healthz", "", nil); r.status != 200 {
		t.Fatal("not serving")
	}
	if err := g.shutdown(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := []string{"worker released its claims", "stopper 2", "stopper 1"}
	if strings.Join(events, "|") != strings.Join(want, "|") {
		t.Fatalf("order %v, want %v", events, want)
	}
	if err := g.app.Store.Ping(context.Background()); err == nil {
		t.Fatal("store still open after Run returned")
	}
}

func TestBackgroundFailureIsReported(t *testing.T) {
	boom := errors.New("relay crashed")
	g := startGateway(t, testConfig(t), func(a *App) {
		a.Background = append(a.Background, func(context.Context) error { return boom })
	})
	if err := g.shutdown(); !errors.Is(err, boom) {
		t.Fatalf("Run returned %v, want the worker's error", err)
	}
}

func TestRateLimitOnModuleRoutesOnly(t *testing.T) {
	cfg := testConfig(t)
	cfg.RateLimit.Public.PerSecond = 0.01
	cfg.RateLimit.Public.Burst = 2
	g := startGateway(t, cfg, func(a *App) {
		a.Modules = append(a.Modules, pingModule{})
	})
	for i := 0; i < 2; i++ {
		if r := g.do("GET", "/test/ping", "", nil); r.status != 200 {
			t.Fatalf("request %d: %d", i, r.status)
		}
	}
	r := g.do("GET", "/test/ping", "", nil)
	expectProblem(t, r, 429)
	if r.header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	// Tokens have their own bucket (unlimited in this config).
	if r := g.do("GET", "/test/ping", testAdminToken, nil); r.status != 200 {
		t.Fatalf("authenticated caller limited by the public bucket: %d", r.status)
	}
	// Probes are never limited.
	for i := 0; i < 5; i++ {
		if r := g.do("GET", "/healthz", "", nil); r.status != 200 {
			t.Fatalf("healthz limited: %d", r.status)
		}
	}
}

type pingModule struct{}

func (pingModule) Routes() []httpapi.Route {
	return []httpapi.Route{{Method: "GET", Path: "/test/ping", Roles: []auth.Role{auth.RoleCitizen}, Summary: "ping",
		Handler: func(c *fiber.Ctx) error { return c.SendString("pong") }}}
}

func TestRedisBackendInProcess(t *testing.T) {
	cfg := redisTestConfig(t, "the Redis wiring test", "gatewaytest")
	if cfg.StoreBackend() != "redis" {
		t.Fatal("redis.url does not select Redis")
	}
	g := startFullGateway(t, cfg, nil)
	if r := g.do("GET", "/readyz", "", nil); r.status != 200 {
		t.Fatalf("readyz on Redis: %d %s", r.status, r.body)
	}
	r := g.do("POST", "/api/v1/tokens", testAdminToken, strings.NewReader(`{"name":"redis probe","roles":["agent"]}`))
	if r.status != 201 {
		t.Fatalf("create on Redis: %d %s", r.status, r.body)
	}
	if policy := checkRedisDurability(context.Background(), cfg, g.app.Log); policy == "unknown" {
		t.Log("server refuses CONFIG GET; durability unverified")
	} else if _, ok := fsyncStrength[policy]; !ok {
		t.Fatalf("unexpected policy %q", policy)
	}
}

// TestRedisRateLimitSharedByReplicas: two gateways on one Redis share the
// public budget, as replicas behind a load balancer must.
func TestRedisRateLimitSharedByReplicas(t *testing.T) {
	cfg := redisTestConfig(t, "the shared rate limit test", "gatewaytest")
	cfg.RateLimit.Public.PerSecond = 0.01
	cfg.RateLimit.Public.Burst = 3
	add := func(a *App) { a.Modules = append(a.Modules, pingModule{}) }
	cfg2 := cfg
	cfg2.Server.DataDir = t.TempDir()
	g1 := startGateway(t, cfg, add)
	g2 := startGateway(t, cfg2, add)
	allowed := 0
	for i := 0; i < 6; i++ {
		g := g1
		if i%2 == 1 {
			g = g2
		}
		switch r := g.do("GET", "/test/ping", "", nil); r.status {
		case 200:
			allowed++
		case 429:
		default:
			t.Fatalf("status %d", r.status)
		}
	}
	if allowed != 3 {
		t.Fatalf("%d of 6 allowed across two replicas, want the shared burst of 3", allowed)
	}
}
