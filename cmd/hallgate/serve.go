package main

import (
	"context"
	"fmt"

	"github.com/hallgate/hallgate/gateway"
	"github.com/hallgate/hallgate/gateway/demo"
)

func runServe(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "serve")
	var cf configFlags
	cf.register(fs, true)
	withDemo := fs.Bool("demo", false, "load the demo city (示范市: departments, hotlines, KB, service items, tickets, staff users) and start its department simulators")
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
	if *withDemo {
		fmt.Fprintf(env.stderr, "demo city: open http://%s/ — staff sign in at /login as agent / demo-agent-pass, boss / demo-boss-pass or admin / demo-admin-pass\n", displayAddr(cfg.Server.Addr))
		return demo.Listen(ctx, app, cfg.Server.Addr)
	}
	return app.Listen(ctx, cfg.Server.Addr)
}

// displayAddr turns ":8080" into "127.0.0.1:8080" for a clickable URL.
func displayAddr(addr string) string {
	if len(addr) > 0 && addr[0] == ':' {
		return "127.0.0.1" + addr
	}
	return addr
}
