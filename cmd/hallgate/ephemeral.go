package main

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
	"time"

	"github.com/hallgate/hallgate/config"
	"github.com/hallgate/hallgate/gateway"
)

// ephemeral is a full gateway on a loopback port with a throw-away data
// directory, for evaluation and load commands that must go through the
// same HTTP API users do.
type ephemeral struct {
	App     *gateway.App
	BaseURL string
	Token   string // bootstrap admin token
	dir     string
	cancel  context.CancelFunc
	done    chan error
}

// startEphemeral starts a gateway with default configuration, a fresh data
// directory (or dataDir when given) and rate limits off.
func startEphemeral(ctx context.Context, dataDir string, logs io.Writer, tune ...func(*config.Config)) (*ephemeral, error) {
	e := &ephemeral{}
	if dataDir == "" {
		d, err := os.MkdirTemp("", "hallgate-eval-")
		if err != nil {
			return nil, err
		}
		dataDir, e.dir = d, d
	}
	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		return nil, err
	}
	e.Token = "eval-" + hex.EncodeToString(tok)
	cfg := config.Default()
	cfg.Server.DataDir = dataDir
	cfg.Server.BodyLimit = 256 << 20
	cfg.Auth.BootstrapAdminToken = config.Secret(e.Token)
	cfg.RateLimit.Public.PerSecond = 0
	cfg.RateLimit.Authenticated.PerSecond = 0
	cfg.RateLimit.Messages.PerSecond = 0
	for _, f := range tune {
		f(&cfg)
	}
	if logs == nil {
		logs = io.Discard
	}
	app, err := gateway.New(ctx, cfg, gateway.Options{LogOutput: logs, Version: version})
	if err != nil {
		e.cleanup()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = app.Close(ctx)
		e.cleanup()
		return nil, err
	}
	e.App, e.BaseURL = app, "http://"+ln.Addr().String()
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.cancel, e.done = cancel, make(chan error, 1)
	go func() { e.done <- app.Run(runCtx, ln) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(e.BaseURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return e, nil
			}
		}
		if time.Now().After(deadline) {
			e.Stop()
			return nil, errors.New("ephemeral gateway did not become ready within 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Header carries the admin token.
func (e *ephemeral) Header() http.Header {
	return http.Header{"Authorization": {"Bearer " + e.Token}}
}

// Stop drains the gateway and removes a temporary data directory.
func (e *ephemeral) Stop() {
	if e.cancel != nil {
		e.cancel()
		select {
		case <-e.done:
		case <-time.After(30 * time.Second):
		}
	}
	e.cleanup()
}

func (e *ephemeral) cleanup() {
	if e.dir != "" {
		_ = os.RemoveAll(e.dir)
	}
}

// post sends body to path with the admin token and fails on a non-2xx answer.
func (e *ephemeral) post(ctx context.Context, path, contentType string, body io.Reader) ([]byte, error) {
	return e.send(ctx, http.MethodPost, path, contentType, body)
}

// send is post with any method.
func (e *ephemeral) send(ctx context.Context, method, path, contentType string, body io.Reader) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, e.BaseURL+path, body)
	if err != nil {
		return nil, err
	}
	req.Header = e.Header()
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return out, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, out)
	}
	return out, nil
}
