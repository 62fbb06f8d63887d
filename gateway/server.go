package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/hallgate/hallgate/gateway/audit"
	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/httpapi"
)

// Fiber returns the gateway's HTTP app, built once. The middleware order is
// the one place to read how a request is handled:
//
//  1. request id (X-Request-ID in and out)
//  2. OTel server span (W3C traceparent extracted)
//  3. metrics, the access log and the audit trail (see the final status,
//     including errors; gateway/audit says what is recorded)
//  4. errors → problem+json (the one error handler)
//  5. recover (a panic becomes a 500 problem)
//  6. per route: authentication (bearer token → principal; none →
//     anonymous citizen; a bad token → 401 even on public routes),
//     authorization from the route table, rate limit, handler
//
// Authentication runs inside the matched route so metrics and logs of a
// 401 name the route, and unknown paths cost no token lookup.
//
// Bodies over server.body_limit are refused by the HTTP layer before any
// middleware runs; Fiber hands that 413 to the same error handler.
func (a *App) Fiber() *fiber.App {
	a.fiberOnce.Do(a.buildFiber)
	return a.fiber
}

func (a *App) buildFiber() {
	errHandler := httpapi.NewErrorHandler(a.Log)
	app := fiber.New(fiber.Config{
		AppName:               "hallgate",
		BodyLimit:             a.Config.Server.BodyLimit,
		ReadTimeout:           a.Config.Server.ReadTimeout,
		WriteTimeout:          a.Config.Server.WriteTimeout,
		IdleTimeout:           a.Config.Server.IdleTimeout,
		ErrorHandler:          errHandler,
		DisableStartupMessage: true,
		ProxyHeader:           a.Config.Server.ProxyHeader,
		// With a proxy header, only the listed proxies may set it.
		EnableTrustedProxyCheck: a.Config.Server.ProxyHeader != "",
		TrustedProxies:          a.Config.Server.TrustedProxies,
		// Handlers may keep strings from params and headers; the cost is
		// small next to the bugs that fasthttp's buffer reuse causes.
		Immutable: true,
	})
	routes := a.Routes()
	known := make(map[string]audit.Route, len(routes))
	for _, r := range routes {
		known[r.Method+" "+r.Path] = audit.Route{Method: r.Method, Path: r.Path, Summary: r.Summary, Unaudited: r.Unaudited}
	}
	m := newHTTPMetrics(a.Telemetry.Meter("hallgate/http"))
	tracer := a.Telemetry.Tracer("hallgate/http")
	prop := a.Telemetry.Propagator

	app.Use(requestID)
	app.Use(func(c *fiber.Ctx) error { return a.observe(c, tracer, prop, m, known, errHandler) })
	app.Use(recoverPanic)

	authenticate := auth.Authenticate(a.Tokens)
	limit := auth.RateLimit(a.rateLimiter(), rateKey)
	system := systemPaths()
	for _, r := range routes {
		chain := []fiber.Handler{authenticate, auth.Require(r.Roles)}
		if !system[r.Path] {
			chain = append(chain, limit)
		}
		chain = append(chain, r.Handler)
		app.Add(r.Method, r.Path, chain...)
	}
	app.Use(func(c *fiber.Ctx) error {
		return httpapi.Errorf(fiber.StatusNotFound, "没有这个地址 (no route for %s %s)", c.Method(), c.Path())
	})
	a.fiber = app
}

// Routes is the whole route table: the system routes and every module's.
// A malformed table (duplicate method and path, a route without roles, a
// handler or a summary) is a wiring error and panics when the app is built
// rather than shadowing or exposing a route silently; New checks it first.
func (a *App) Routes() []httpapi.Route {
	routes, err := a.routeTable()
	if err != nil {
		panic(err.Error())
	}
	return routes
}

func (a *App) routeTable() ([]httpapi.Route, error) {
	routes := a.systemRoutes()
	for _, m := range a.Modules {
		routes = append(routes, m.Routes()...)
	}
	return routes, checkRoutes(routes)
}

func checkRoutes(routes []httpapi.Route) error {
	seen := map[string]bool{}
	var problems []string
	for _, r := range routes {
		k := r.Method + " " + r.Path
		if seen[k] {
			problems = append(problems, "duplicate route "+k)
		}
		seen[k] = true
		if len(r.Roles) == 0 {
			problems = append(problems, k+" declares no roles")
		}
		if r.Handler == nil {
			problems = append(problems, k+" has no handler")
		}
		if r.Summary == "" {
			problems = append(problems, k+" has no summary")
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("gateway: route table: %s", strings.Join(problems, "; "))
	}
	return nil
}

// Listen serves on addr until ctx is cancelled (see Run).
func (a *App) Listen(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	return a.Run(ctx, ln)
}

// Run serves on ln and runs the background workers until ctx is cancelled,
// then shuts down in order: /readyz turns 503, the listener stops accepting,
// in-flight requests finish (bounded by server.shutdown_timeout), workers
// are cancelled and awaited (they release claimed work), stoppers run, the
// store closes and telemetry flushes.
func (a *App) Run(ctx context.Context, ln net.Listener) error {
	app := a.Fiber()
	bgCtx, cancelBg := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	bgErrs := make(chan error, len(a.Background))
	for _, work := range a.Background {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := work(bgCtx); err != nil && !errors.Is(err, context.Canceled) {
				a.Log.Error("background worker stopped", "error", err.Error())
				bgErrs <- err
			}
		}()
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- app.Listener(ln) }()
	a.Log.Info("hallgate serving", "addr", ln.Addr().String(), "store", a.Config.StoreBackend(), "version", a.Version)

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		runErr = fmt.Errorf("serve: %w", err)
	}

	a.draining.Store(true)
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.Config.Server.ShutdownTimeout)
	defer cancel()
	a.Log.Info("shutting down", "timeout", a.Config.Server.ShutdownTimeout.String())
	if err := app.ShutdownWithContext(stopCtx); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("http shutdown: %w", err))
	}
	cancelBg()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-stopCtx.Done():
		runErr = errors.Join(runErr, errors.New("background workers did not stop in time"))
	}
	close(bgErrs)
	for err := range bgErrs {
		runErr = errors.Join(runErr, err)
	}
	if err := a.Close(stopCtx); err != nil {
		runErr = errors.Join(runErr, err)
	}
	a.Log.Info("stopped")
	return runErr
}

// systemPaths are exempt from rate limits (probes and scrapers poll them).
func systemPaths() map[string]bool {
	return map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true, "/openapi.json": true}
}

var publicRoles = []auth.Role{auth.RoleCitizen}

func (a *App) systemRoutes() []httpapi.Route {
	metrics := adaptor.HTTPHandler(a.Telemetry.MetricsHandler())
	return []httpapi.Route{
		{Method: fiber.MethodGet, Path: "/healthz", Roles: publicRoles, Summary: "存活检查 (liveness)", Handler: func(c *fiber.Ctx) error {
			return c.JSON(fiber.Map{"status": "ok"})
		}},
		{Method: fiber.MethodGet, Path: "/readyz", Roles: publicRoles, Summary: "就绪检查：存储与索引可用 (readiness)", Handler: a.readyz},
		{Method: fiber.MethodGet, Path: "/metrics", Roles: publicRoles, Summary: "Prometheus 指标 (metrics)", Handler: metrics},
		{Method: fiber.MethodGet, Path: "/openapi.json", Roles: publicRoles, Summary: "OpenAPI 3 接口描述", Handler: a.openapi},
	}
}

func (a *App) readyz(c *fiber.Ctx) error {
	if a.draining.Load() {
		return httpapi.Errorf(fiber.StatusServiceUnavailable, "正在停止 (shutting down)")
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
	defer cancel()
	checks := append([]ReadinessCheck{{Name: "store", Check: a.Store.Ping}}, a.Readiness...)
	var failed []string
	status := map[string]string{}
	for _, ch := range checks {
		if err := ch.Check(ctx); err != nil {
			failed = append(failed, ch.Name+": "+err.Error())
			status[ch.Name] = "unavailable"
			continue
		}
		status[ch.Name] = "ok"
	}
	if len(failed) > 0 {
		return httpapi.Errorf(fiber.StatusServiceUnavailable, "未就绪 (not ready): %s", strings.Join(failed, "; ")).With("checks", status)
	}
	return c.JSON(fiber.Map{"status": "ready", "checks": status})
}

func (a *App) openapi(c *fiber.Ctx) error {
	routes := a.Routes()
	sort.SliceStable(routes, func(i, j int) bool { return routes[i].Path < routes[j].Path })
	doc := httpapi.OpenAPI(httpapi.OpenAPIInfo{
		Title:       "hallgate",
		Version:     a.Version,
		Description: "12345 热线与政务服务大厅集成网关 (one number, one window, one knowledge base)",
	}, routes)
	return c.JSON(doc)
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// requestID accepts a well-formed incoming X-Request-ID (so a caller's id
// follows the request through logs) and otherwise makes one.
func requestID(c *fiber.Ctx) error {
	id := c.Get(fiber.HeaderXRequestID)
	if !requestIDPattern.MatchString(id) {
		id = newRequestID()
	}
	c.Locals(httpapi.RequestIDLocal, id)
	c.Set(fiber.HeaderXRequestID, id)
	return c.Next()
}

func recoverPanic(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return c.Next()
}

// observe wraps the rest of the chain in a server span, records metrics
// and writes the access log. It runs the error handler itself so the span,
// the metrics and the log see the final status of failed requests.
func (a *App) observe(c *fiber.Ctx, tracer trace.Tracer, prop propagation.TextMapPropagator, m *httpMetrics, known map[string]audit.Route, errHandler fiber.ErrorHandler) error {
	start := time.Now()
	ctx := prop.Extract(c.UserContext(), headerCarrier{c})
	ctx, span := tracer.Start(ctx, c.Method(), trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.request.method", c.Method())))
	defer span.End()
	c.SetUserContext(ctx)

	if err := c.Next(); err != nil {
		if herr := errHandler(c, err); herr != nil {
			return herr
		}
	}

	status := c.Response().StatusCode()
	route := "unmatched"
	rt, matched := audit.Route{}, false
	if r := c.Route(); r != nil {
		rt, matched = known[c.Method()+" "+r.Path]
	}
	if matched {
		route = rt.Path
	}
	span.SetName(c.Method() + " " + route)
	span.SetAttributes(attribute.String("http.route", route), attribute.Int("http.response.status_code", status))
	if status >= 500 {
		span.SetStatus(codes.Error, fmt.Sprintf("HTTP %d", status))
	}
	elapsed := time.Since(start)
	attrs := metric.WithAttributes(
		attribute.String("http.route", route),
		attribute.String("http.request.method", c.Method()),
		attribute.Int("http.response.status_code", status),
	)
	m.requests.Add(ctx, 1, attrs)
	m.duration.Record(ctx, elapsed.Seconds(), attrs)

	// Only the route template, never the concrete path, query or body: they
	// may carry a citizen's phone number or name.
	reqID, _ := c.Locals(httpapi.RequestIDLocal).(string)
	if matched && a.Audit != nil {
		a.Audit.RecordRequest(c, rt, status, reqID, span.SpanContext().TraceID().String())
	}
	a.Log.InfoContext(ctx, "request",
		"method", c.Method(),
		"route", route,
		"status", status,
		"duration_ms", float64(elapsed.Microseconds())/1000,
		"bytes", len(c.Response().Body()),
		"request_id", reqID,
		"principal", auth.FromCtx(c).ID,
	)
	return nil
}

type httpMetrics struct {
	requests metric.Int64Counter
	duration metric.Float64Histogram
}

func newHTTPMetrics(meter metric.Meter) *httpMetrics {
	requests, _ := meter.Int64Counter("http.server.requests",
		metric.WithDescription("HTTP requests by route template, method and status"))
	duration, _ := meter.Float64Histogram("http.server.request.duration",
		metric.WithUnit("s"),
		metric.WithDescription("HTTP request latency by route template, method and status"),
		metric.WithExplicitBucketBoundaries(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
	return &httpMetrics{requests: requests, duration: duration}
}

// headerCarrier adapts fasthttp request headers to the OTel propagator.
type headerCarrier struct{ c *fiber.Ctx }

func (h headerCarrier) Get(key string) string { return h.c.Get(key) }
func (h headerCarrier) Set(key, value string) { h.c.Request().Header.Set(key, value) }
func (h headerCarrier) Keys() []string {
	var keys []string
	h.c.Request().Header.VisitAll(func(k, _ []byte) { keys = append(keys, string(k)) })
	return keys
}
