package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/hallgate/hallgate/config"
)

func runConfigCheck(ctx context.Context, env *cliEnv, args []string) error {
	_ = ctx
	fs := newFlagSet(env, "config check")
	var cf configFlags
	cf.register(fs, true)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := cf.load(env)
	if err == nil {
		err = cfg.Validate()
	}
	var ps config.Problems
	if errors.As(err, &ps) {
		for _, p := range ps {
			fmt.Fprintln(env.stdout, p.String())
		}
		return fmt.Errorf("%d configuration problem(s)", len(ps))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "configuration ok (store: %s, addr: %s, data dir: %s)\n", cfg.StoreBackend(), cfg.Server.Addr, cfg.Server.DataDir)
	return nil
}
