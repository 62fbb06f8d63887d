package main

import (
	"context"
	"fmt"
	"time"

	"github.com/hallgate/hallgate/gateway"
)

// runReindex rebuilds the search index (embedded or Meilisearch) from the
// store, the system of record. With the embedded store, run it while the
// gateway is stopped (the store file is locked by a running gateway).
func runReindex(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "reindex")
	var cf configFlags
	cf.register(fs, false)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := cf.load(env)
	if err != nil {
		return err
	}
	app, err := gateway.New(ctx, cfg, gateway.Options{LogOutput: env.stderr, Version: version})
	if err != nil {
		return err
	}
	defer app.Close(context.WithoutCancel(ctx))
	start := time.Now()
	n, err := app.Caps.KB.Reindex(ctx)
	if err != nil {
		return err
	}
	if err := app.Caps.KB.Shutdown(ctx); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "reindexed %d documents in %s\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}
