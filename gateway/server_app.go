package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/config"
	"github.com/hallgate/hallgate/gateway/audit"
	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/store/bolt"
	"github.com/hallgate/hallgate/gateway/telemetry"
)

// ErrUnknownBackend is returned when the configuration names a store backend
// that is not registered.
var ErrUnknownBackend = errors.New("gateway: unknown store backend")

// StoreFactory opens one kind of store from the configuration.
type StoreFactory func(ctx context.Context, cfg config.Config) (store.Store, error)

// StoreBackends is the explicit registry of store backends, keyed by the
// value of store.backend (see config.Config.StoreBackend).
func StoreBackends() map[string]StoreFactory {
	return map[string]StoreFactory{
		config.BackendBolt:  openBolt,
		config.BackendRedis: openRedis,
	}
}

// BoltFile is the embedded store's file name inside the data directory.
const BoltFile = "hallgate.db"

func openBolt(ctx context.Context, cfg config.Config) (store.Store, error) {
	return bolt.Open(ctx, bolt.Options{Path: filepath.Join(cfg.Server.DataDir, BoltFile)})
}

// OpenStore opens the store the configuration selects.
func OpenStore(ctx context.Context, cfg config.Config) (store.Store, error) {
	name := cfg.StoreBackend()
	open, ok := StoreBackends()[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownBackend, name)
	}
	st, err := open(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s store: %w", name, err)
	}
	return st, nil
}

// ReadinessCheck is one dependency /readyz checks besides the store, e.g.
// the search index. Check must respect ctx.
type ReadinessCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// Options are what a caller may add to a gateway beyond its configuration.
type Options struct {
	// LogOutput receives the JSON logs; nil = os.Stderr.
	LogOutput io.Writer
	// Version is reported in /openapi.json and the OTel resource.
	Version string
	// Store, when set, is used instead of opening the configured backend
	// (tests); the App closes it.
	Store store.Store
	// GlobalTelemetry installs the providers process-wide (the binary does;
	// in-process tests leave it off so several gateways do not collide).
	GlobalTelemetry bool
}

// App is one gateway: its configuration, store, telemetry, modules and
// background workers.
type App struct {
	Config    config.Config
	Store     store.Store
	Telemetry *telemetry.Telemetry
	Log       *slog.Logger
	Tokens    *auth.Tokens
	// Audit is the audit trail: the request middleware records every
	// change and every read of personal data in clear into it.
	Audit   *audit.Trail
	Version string

	// Modules contribute routes. Add to it before the first call to Fiber
	// or Run (see server_modules.go for the standard set).
	Modules []httpapi.Module
	// Background workers run for the life of Run; each must return soon
	// after its ctx is cancelled, having released claimed work.
	Background []func(ctx context.Context) error
	// Stoppers run after HTTP drained and workers returned, in reverse
	// order of registration (close what was opened last first).
	Stoppers []func(ctx context.Context) error
	// Readiness checks run by /readyz in addition to the store ping.
	Readiness []ReadinessCheck
	// Caps are the capabilities wired by wireCapabilities.
	Caps *Capabilities

	fiberOnce sync.Once
	fiber     *fiber.App
	draining  atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// New validates cfg, materialises missing keys in the data directory,
// starts telemetry, opens the store and wires the standard modules. On error
// everything opened so far is closed again.
func New(ctx context.Context, cfg config.Config, opts Options) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Server.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	// The embedded store keeps generated keys beside it in the data
	// directory; replicas sharing a Redis share generated keys through the
	// store itself (below), or every replica would seal with its own.
	sharedKeys := cfg.StoreBackend() == config.BackendRedis
	if !sharedKeys {
		if err := config.EnsureKeys(&cfg); err != nil {
			return nil, err
		}
	}
	out := opts.LogOutput
	if out == nil {
		out = os.Stderr
	}
	tel, err := telemetry.New(ctx, telemetry.Options{
		ServiceName:    cfg.Telemetry.ServiceName,
		ServiceVersion: opts.Version,
		OTLPEndpoint:   cfg.Telemetry.OTLPEndpoint,
		SampleRatio:    cfg.Telemetry.SampleRatio,
		LogLevel:       telemetry.ParseLevel(cfg.Telemetry.LogLevel),
		LogOutput:      out,
	})
	if err != nil {
		return nil, err
	}
	if opts.GlobalTelemetry {
		tel.InstallGlobal()
	}
	st := opts.Store
	if st == nil {
		st, err = OpenStore(ctx, cfg)
		if err != nil {
			_ = tel.Shutdown(ctx)
			return nil, err
		}
	}
	if sharedKeys {
		if err := ensureSharedKeys(ctx, st, &cfg); err != nil {
			_ = st.Close()
			_ = tel.Shutdown(ctx)
			return nil, err
		}
	}
	a := &App{
		Config:    cfg,
		Store:     st,
		Telemetry: tel,
		Log:       tel.Logger,
		Tokens:    auth.NewTokens(st, cfg.Auth.BootstrapAdminToken.Reveal()),
		Version:   opts.Version,
	}
	a.Audit = audit.New(st, audit.Options{Retention: time.Duration(cfg.Audit.RetentionDays) * 24 * time.Hour, Logger: a.Log})
	a.Background = append(a.Background, a.Audit.Run)
	a.OnStop(a.Audit.Flush)
	if a.Version == "" {
		a.Version = "dev"
	}
	if cfg.StoreBackend() == config.BackendRedis && opts.Store == nil {
		checkRedisDurability(ctx, cfg, a.Log)
	}
	registerErrorMappings()
	if err := a.wireModules(ctx); err != nil {
		_ = a.Close(ctx)
		return nil, fmt.Errorf("wire modules: %w", err)
	}
	if _, err := a.routeTable(); err != nil {
		_ = a.Close(ctx)
		return nil, err
	}
	return a, nil
}

// OnStop registers a stopper (see App.Stoppers).
func (a *App) OnStop(fn func(ctx context.Context) error) { a.Stoppers = append(a.Stoppers, fn) }

// Close runs the stoppers, closes the store and flushes telemetry. Run calls
// it; call it yourself only when you never called Run.
func (a *App) Close(ctx context.Context) error {
	a.closeOnce.Do(func() {
		var errs []error
		for i := len(a.Stoppers) - 1; i >= 0; i-- {
			if err := a.Stoppers[i](ctx); err != nil {
				errs = append(errs, err)
			}
		}
		if err := a.Store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close store: %w", err))
		}
		if err := a.Telemetry.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("telemetry shutdown: %w", err))
		}
		a.closeErr = errors.Join(errs...)
	})
	return a.closeErr
}

var mapOnce sync.Once

// registerErrorMappings maps the sentinels of the packages wired here to
// HTTP statuses, once per process.
func registerErrorMappings() {
	mapOnce.Do(func() {
		httpapi.MapError(store.ErrNotFound, fiber.StatusNotFound)
		httpapi.MapError(store.ErrConflict, fiber.StatusConflict)
		httpapi.MapError(auth.ErrTokenNotFound, fiber.StatusNotFound)
		httpapi.MapError(auth.ErrInvalidRole, fiber.StatusUnprocessableEntity)
		httpapi.MapError(auth.ErrInvalidName, fiber.StatusUnprocessableEntity)
		httpapi.MapError(auth.ErrForbidden, fiber.StatusForbidden)
		httpapi.MapError(auth.ErrUnauthenticated, fiber.StatusUnauthorized)
	})
}
