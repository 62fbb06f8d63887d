package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/hallgate/hallgate/config"
	"github.com/hallgate/hallgate/connectors/httpjson"
	"github.com/hallgate/hallgate/connectors/simulator"
	"github.com/hallgate/hallgate/gateway"
)

// simDept is one simulated department system and its connector name.
type simDept struct {
	Code, Connector, Secret string
	Sim                     *simulator.Simulator
	srv                     *http.Server
}

// Target is the gateway under load.
type Target struct {
	BaseURL string
	Token   string
	App     *gateway.App // nil when targeting a running gateway by URL
	Sims    []*simDept   // nil when targeting by URL
	stop    []func()
}

// Close stops the gateway, the simulators and removes temporary data.
func (t *Target) Close() {
	for i := len(t.stop) - 1; i >= 0; i-- {
		t.stop[i]()
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// serveLoopback serves h on a fresh loopback port.
func serveLoopback(h http.Handler) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return srv, "http://" + ln.Addr().String(), nil
}

// StartLocal starts one department simulator per department, then a full
// in-process gateway on loopback with an httpjson connector per simulator
// (the same wiring `hallgate serve` builds from a configuration file).
// Store is "bolt" or "redis" (with redisURL; keys get a per-run prefix).
func StartLocal(ctx context.Context, depts []Department, storeBackend, redisURL string, logs io.Writer) (*Target, error) {
	t := &Target{Token: "bench-" + randHex(16)}
	ok := false
	defer func() {
		if !ok {
			t.Close()
		}
	}()
	dir, err := os.MkdirTemp("", "hallgate-bench-")
	if err != nil {
		return nil, err
	}
	t.stop = append(t.stop, func() { _ = os.RemoveAll(dir) })

	cfg := config.Default()
	cfg.Server.DataDir = dir
	cfg.Server.BodyLimit = 256 << 20
	cfg.Auth.BootstrapAdminToken = config.Secret(t.Token)
	cfg.RateLimit.Public.PerSecond = 0
	cfg.RateLimit.Authenticated.PerSecond = 0
	cfg.RateLimit.Messages.PerSecond = 0
	switch storeBackend {
	case "", config.BackendBolt:
		cfg.Store.Backend = config.BackendBolt
	case config.BackendRedis:
		cfg.Store.Backend = config.BackendRedis
		cfg.Redis.URL = redisURL
		cfg.Redis.Prefix = "hallgate-bench-" + randHex(4) + ":"
	default:
		return nil, fmt.Errorf("%w: store %q", ErrInvalidOptions, storeBackend)
	}

	// The gateway's port is chosen first: the simulators call it back.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t.BaseURL = "http://" + ln.Addr().String()
	for _, d := range depts {
		sd := &simDept{Code: d.Code, Connector: "sim-" + strings.ToLower(d.Code), Secret: randHex(16)}
		// No automatic callbacks: the workload sends them itself, on its
		// clock, so callback load is part of the fixed rate.
		sd.Sim = simulator.New(simulator.Options{Department: d.Code})
		srv, url, err := serveLoopback(sd.Sim)
		if err != nil {
			ln.Close()
			return nil, err
		}
		sd.srv = srv
		t.stop = append(t.stop, func() { sd.Sim.Close(); _ = srv.Close() })
		t.Sims = append(t.Sims, sd)
		cfg.Connectors = append(cfg.Connectors, config.Connector{Name: sd.Connector, Kind: config.KindHTTPJSON, Department: d.Code,
			CallbackSecret: config.Secret(sd.Secret), HTTPJSON: &httpjson.Config{URL: url + "/rest/deliveries"}})
	}
	app, err := gateway.New(ctx, cfg, gateway.Options{LogOutput: logs})
	if err != nil {
		ln.Close()
		return nil, err
	}
	t.App = app
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- app.Run(runCtx, ln) }()
	t.stop = append(t.stop, func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
		}
	})
	if err := waitReady(ctx, t.BaseURL); err != nil {
		return nil, err
	}
	ok = true
	return t, nil
}

func waitReady(ctx context.Context, base string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return errors.New("bench: gateway did not become ready within 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
