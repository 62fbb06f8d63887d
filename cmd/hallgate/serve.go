package main

import (
	"context"
	"fmt"

	"github.com/hallgate/hallgate/gateway"
)

func runServe(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "serve")
	var cf configFlags
	cf.register(fs, true)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := cf.load(env)
	if err != nil {
		return err
	}
	app, err := gateway.New(ctx, cfg, gateway.Options{LogOutput: env.stderr, Version: version, GlobalTelemetry: true})
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	// Listen returns after ctx (SIGTERM/SIGINT) is cancelled and the
	// gateway has drained and closed its store.
	return app.Listen(ctx, cfg.Server.Addr)
}
