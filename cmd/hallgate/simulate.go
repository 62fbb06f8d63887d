package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/hallgate/hallgate/connectors/simulator"
)

// runSimulate runs a department's legacy system (REST and SOAP flavours,
// deduplication, signed callbacks, fault injection on POST /admin/faults).
func runSimulate(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "simulate")
	opts := simulator.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := opts.Validate(); err != nil {
		fmt.Fprintln(env.stderr, err)
		return errUsage
	}
	opts.Logger = slog.New(slog.NewJSONHandler(env.stderr, nil))
	fmt.Fprintf(env.stderr, "department simulator %s listening on %s\n", opts.Department, opts.Addr)
	return simulator.Run(ctx, *opts)
}
