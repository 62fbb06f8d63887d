package gateway

import (
	"context"
)

// wireModules adds the standard modules to a. Adding a capability is one
// line here (plus its own readiness checks, background workers and stoppers
// when it has any).
func (a *App) wireModules(ctx context.Context) error {
	a.Modules = append(a.Modules,
		&tokenModule{tokens: a.Tokens},
	)
	return a.wireCapabilities(ctx)
}
