package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
)

// ErrSetup is wrapped by errors from New.
var ErrSetup = errors.New("telemetry: setup")

// Options configures telemetry. The zero value is usable.
type Options struct {
	ServiceName    string  // default "hallgate"
	ServiceVersion string  // optional
	OTLPEndpoint   string  // OTLP/HTTP base URL, e.g. http://collector:4318; empty = no export
	SampleRatio    float64 // 0..1 of new root traces; default 1 when 0 and Sampled is unset
	LogLevel       slog.Level
	LogOutput      io.Writer // default os.Stderr is chosen by the caller; nil = io.Discard
}

// Telemetry owns the providers of one process.
type Telemetry struct {
	TracerProvider *sdktrace.TracerProvider
	MeterProvider  *sdkmetric.MeterProvider
	Propagator     propagation.TextMapPropagator
	Registry       *prometheus.Registry
	Logger         *slog.Logger
}

// New builds the providers. It does not install them globally: call
// InstallGlobal from main so libraries using otel.Tracer see them, while tests
// can keep several gateways apart.
func New(ctx context.Context, o Options) (*Telemetry, error) {
	if o.ServiceName == "" {
		o.ServiceName = "hallgate"
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		semconv.ServiceName(o.ServiceName),
		semconv.ServiceVersion(o.ServiceVersion),
	))
	if err != nil {
		return nil, fmt.Errorf("%w: resource: %w", ErrSetup, err)
	}

	ratio := o.SampleRatio
	if ratio <= 0 {
		ratio = 1
	}
	tpOpts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
	}
	if o.OTLPEndpoint != "" {
		exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(tracesURL(o.OTLPEndpoint)))
		if err != nil {
			return nil, fmt.Errorf("%w: otlp exporter: %w", ErrSetup, err)
		}
		tpOpts = append(tpOpts, sdktrace.WithBatcher(exp))
	}
	tp := sdktrace.NewTracerProvider(tpOpts...)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	promExp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
	if err != nil {
		_ = tp.Shutdown(ctx)
		return nil, fmt.Errorf("%w: prometheus exporter: %w", ErrSetup, err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(promExp))

	out := o.LogOutput
	if out == nil {
		out = io.Discard
	}
	return &Telemetry{
		TracerProvider: tp,
		MeterProvider:  mp,
		Propagator:     propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
		Registry:       reg,
		Logger:         slog.New(NewLogHandler(out, o.LogLevel)),
	}, nil
}

// tracesURL appends the OTLP traces path when the endpoint is a bare base URL
// (the exporter uses a given URL path as is).
func tracesURL(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Path != "" && u.Path != "/") {
		return endpoint
	}
	u.Path = "/v1/traces"
	return u.String()
}

// InstallGlobal makes t the process-wide OTel provider set.
func (t *Telemetry) InstallGlobal() {
	otel.SetTracerProvider(t.TracerProvider)
	otel.SetMeterProvider(t.MeterProvider)
	otel.SetTextMapPropagator(t.Propagator)
}

// Tracer returns a named tracer of this process.
func (t *Telemetry) Tracer(name string) trace.Tracer { return t.TracerProvider.Tracer(name) }

// Meter returns a named meter of this process.
func (t *Telemetry) Meter(name string) metric.Meter { return t.MeterProvider.Meter(name) }

// MetricsHandler serves the Prometheus text format of this process's registry.
func (t *Telemetry) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(t.Registry, promhttp.HandlerOpts{Registry: t.Registry})
}

// Shutdown flushes pending spans and stops the providers.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	return errors.Join(t.TracerProvider.Shutdown(ctx), t.MeterProvider.Shutdown(ctx))
}

// ParseLevel maps debug/info/warn/error to a slog level (info otherwise).
func ParseLevel(s string) slog.Level {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}
