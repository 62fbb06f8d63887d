package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hallgate/hallgate/gateway/bench"
)

// runBench drives a gateway at a fixed rate for a fixed time and prints
// figures beside ceilings measured in the same run; it fails on any loss.
// It starts its own gateway and department simulators unless --url is given
// (bench.StartLocal rather than startEphemeral: the connectors must point
// at simulators that exist before the gateway is configured).
func runBench(ctx context.Context, env *cliEnv, args []string) error {
	d := bench.Defaults()
	fs := newFlagSet(env, "bench")
	scenario := fs.String("scenario", "mixed", "comma-separated: "+strings.Join(bench.Scenarios, ", "))
	fs.Float64Var(&d.Rate, "rate", d.Rate, "offered requests per second (open loop)")
	fs.DurationVar(&d.Duration, "duration", d.Duration, "measured time per scenario")
	fs.DurationVar(&d.Warmup, "warmup", d.Warmup, "unrecorded time before each scenario")
	fs.IntVar(&d.KBSize, "kb-size", d.KBSize, "generated knowledge base entries")
	fs.IntVar(&d.Concurrency, "concurrency", d.Concurrency, "cap on requests in flight")
	fs.StringVar(&d.Store, "store", d.Store, "store of the self-started gateway: bolt or redis")
	fs.StringVar(&d.RedisURL, "redis-url", "", "Redis URL for --store redis")
	fs.Uint64Var(&d.Seed, "seed", d.Seed, "seed of the generated data and workload")
	fs.StringVar(&d.URL, "url", "", "target a running gateway (needs --token; no delivery check)")
	fs.StringVar(&d.Token, "token", "", "admin token for --url")
	fs.IntVar(&d.Pool, "pool", d.Pool, "setup tickets per pool (agent events, department callbacks)")
	fs.DurationVar(&d.Drain, "drain", d.Drain, "wait for the outbox to empty before the loss check")
	fs.DurationVar(&d.CeilingTime, "ceiling-time", 0, "time of each closed-loop ceiling (default min(duration, 5s))")
	fs.StringVar(&d.KBFile, "kb", "", "load the KB from this JSON Lines file instead of generating one")
	fs.StringVar(&d.DepartmentsFile, "departments", "", "load departments from this JSON array file")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	d.Scenarios = splitList(*scenario)
	d.Progress = env.stderr
	if err := d.Validate(); err != nil {
		fmt.Fprintln(env.stderr, err)
		return errUsage
	}
	rep, err := bench.Run(ctx, d)
	if rep != nil {
		var werr error
		if *asJSON {
			werr = rep.WriteJSON(env.stdout)
		} else {
			werr = rep.WriteTable(env.stdout)
		}
		err = errors.Join(err, werr)
	}
	return err
}
