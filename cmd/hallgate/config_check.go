package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/hallgate/hallgate/config"
	"github.com/hallgate/hallgate/gateway/ticket/calendar"
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
	// The calendar file is read here too, so a schedule that does not parse
	// is found before the gateway refuses to start on it.
	var found config.Problems
	if cfg.Tickets.CalendarFile != "" && (err == nil || errors.As(err, &found)) {
		if _, cerr := calendar.Load(cfg.Tickets.CalendarFile, calendar.China, nil); cerr != nil {
			err = append(found, config.Problem{Path: "tickets.calendar_file", Message: cerr.Error()})
		}
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
