package main

import (
	"context"
	"fmt"

	"github.com/hallgate/hallgate/gateway/topics"
)

// runEvalTopics replays a background stream built from a labelled ticket
// file with generated bursts injected, and prints detection rate, tickets
// and time to detect, and false alarms per simulated day.
func runEvalTopics(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "eval topics")
	var o topics.EvalOptions
	fs.StringVar(&o.TicketsPath, "tickets", "", "background tickets, JSON Lines (id, text, district, type, department) (required)")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed")
	fs.IntVar(&o.Days, "days", 7, "judged simulated days")
	fs.IntVar(&o.WarmupDays, "warmup-days", 3, "days of background before judging")
	fs.IntVar(&o.TicketsPerDay, "tickets-per-day", 300, "background volume")
	fs.IntVar(&o.BurstsPerDay, "bursts-per-day", 2, "injected bursts per judged day")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.TicketsPath == "" {
		fmt.Fprintln(env.stderr, "eval topics needs --tickets")
		return errUsage
	}
	rep, err := topics.Evaluate(ctx, env.stdout, o)
	if err != nil {
		return err
	}
	if !rep.MeetsTargets() {
		return fmt.Errorf("targets missed: a burst of ≥ 8 tickets not detected within its first 10, or more than one false alarm per day")
	}
	return nil
}
