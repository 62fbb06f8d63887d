package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"
)

// ErrInvalidOptions is wrapped by Options.Validate.
var ErrInvalidOptions = errors.New("bench: invalid options")

// Options configure a run. Zero fields take Defaults.
type Options struct {
	Scenarios   []string      // mixed, search, intake, events, callbacks, calls, suggest
	Rate        float64       // requests per second offered
	Duration    time.Duration // measured time per scenario
	Warmup      time.Duration // unrecorded time before each scenario
	KBSize      int           // generated KB entries
	Concurrency int           // cap on requests in flight
	Store       string        // bolt or redis (self-started gateway)
	RedisURL    string
	Seed        uint64
	// URL and Token target a running gateway instead of starting one; the
	// delivery check and the store/index ceilings then need the in-process
	// parts and are skipped.
	URL, Token string
	// KBFile and DepartmentsFile, when set, replace the generated KB
	// (JSON Lines, import format) and departments (JSON array).
	KBFile, DepartmentsFile string
	// Pool is the number of setup tickets per pool (events, callbacks).
	Pool int
	// Drain bounds the wait for the outbox to empty before the loss check.
	Drain time.Duration
	// CeilingTime is how long each closed-loop ceiling (store, index,
	// client → simulator) runs; default min(Duration, 5 s).
	CeilingTime time.Duration
	// Logs receives the gateway's logs (default discarded).
	Logs io.Writer
	// Progress receives one line per phase (default discarded).
	Progress io.Writer
}

// Defaults returns the documented defaults.
func Defaults() Options {
	return Options{Scenarios: []string{ScenarioMix}, Rate: 200, Duration: 30 * time.Second, Warmup: 3 * time.Second, KBSize: 2000,
		Concurrency: 256, Store: "bolt", Seed: 1, Pool: 400, Drain: 60 * time.Second}
}

// WithDefaults fills zero fields.
func (o Options) WithDefaults() Options {
	d := Defaults()
	if len(o.Scenarios) == 0 {
		o.Scenarios = d.Scenarios
	}
	if o.Rate == 0 {
		o.Rate = d.Rate
	}
	if o.Duration == 0 {
		o.Duration = d.Duration
	}
	if o.KBSize == 0 {
		o.KBSize = d.KBSize
	}
	if o.Concurrency == 0 {
		o.Concurrency = d.Concurrency
	}
	if o.Store == "" {
		o.Store = d.Store
	}
	if o.Pool == 0 {
		o.Pool = d.Pool
	}
	if o.Drain == 0 {
		o.Drain = d.Drain
	}
	if o.CeilingTime == 0 {
		o.CeilingTime = min(o.Duration, 5*time.Second)
	}
	if o.Logs == nil {
		o.Logs = io.Discard
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return o
}

// Validate reports every problem at once.
func (o Options) Validate() error {
	var p []string
	for _, s := range o.Scenarios {
		if !slices.Contains(Scenarios, s) {
			p = append(p, fmt.Sprintf("scenario %q: want one of %s", s, strings.Join(Scenarios, ", ")))
		}
	}
	if o.Rate <= 0 || o.Rate > 100000 {
		p = append(p, "rate must be in (0, 100000] requests/s")
	}
	if o.Duration <= 0 || o.Duration > time.Hour {
		p = append(p, "duration must be in (0, 1h]")
	}
	if o.Warmup < 0 || o.Warmup > 10*time.Minute {
		p = append(p, "warmup must be in [0, 10m]")
	}
	if o.KBSize < 1 || o.KBSize > 1000000 {
		p = append(p, "kb-size must be in [1, 1000000]")
	}
	if o.Concurrency < 1 || o.Concurrency > 10000 {
		p = append(p, "concurrency must be in [1, 10000]")
	}
	switch o.Store {
	case "bolt":
	case "redis":
		if o.RedisURL == "" && o.URL == "" {
			p = append(p, "store redis needs redis-url")
		}
	default:
		p = append(p, fmt.Sprintf("store %q: want bolt or redis", o.Store))
	}
	if (o.URL == "") != (o.Token == "") {
		p = append(p, "url and token go together")
	}
	if o.CeilingTime < 0 || o.CeilingTime > 10*time.Minute {
		p = append(p, "ceiling-time must be in [0, 10m]")
	}
	if o.Pool < 1 {
		p = append(p, "pool must be ≥ 1")
	}
	if len(p) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidOptions, strings.Join(p, "; "))
	}
	return nil
}

// Run starts (or reaches) the gateway, measures the ceilings, runs each
// scenario and checks for loss. The report is returned even when the
// checks fail; ErrLoss is returned then.
func Run(ctx context.Context, o Options) (*Report, error) {
	o = o.WithDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	data := Generate(o.Seed, o.KBSize)
	if err := data.LoadFiles(o.KBFile, o.DepartmentsFile); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	rep0KB := len(data.KB)
	var tgt *Target
	if o.URL != "" {
		tgt = &Target{BaseURL: strings.TrimRight(o.URL, "/"), Token: o.Token}
	} else {
		fmt.Fprintf(o.Progress, "starting gateway (%s store) and %d department simulators\n", o.Store, len(data.Departments))
		var err error
		if tgt, err = StartLocal(ctx, data.Departments, o.Store, o.RedisURL, o.Logs); err != nil {
			return nil, err
		}
	}
	defer tgt.Close()
	w := &workload{c: newClient(tgt.BaseURL, tgt.Token, o.Concurrency), data: data, gen: NewGen(o.Seed, 1), runID: randHex(4)}
	defer w.c.hc.CloseIdleConnections()
	if tgt.Sims != nil {
		w.sims = map[string]*simDept{}
		for _, s := range tgt.Sims {
			w.sims[s.Code] = s
		}
	}
	fmt.Fprintf(o.Progress, "setup: %d departments, %d KB entries, %d pool tickets\n", len(data.Departments), len(data.KB), 2*o.Pool)
	if err := w.setup(ctx, o.Pool); err != nil {
		return nil, err
	}
	rep := &Report{Machine: Machine(), Rate: o.Rate, DurationS: o.Duration.Seconds(), Concurrency: o.Concurrency, Store: o.Store, KBSize: rep0KB}
	if o.URL != "" {
		rep.Store = "remote"
	}
	if err := measureCeilings(ctx, o, tgt, w, rep); err != nil {
		return nil, err
	}
	for _, sc := range o.Scenarios {
		fmt.Fprintf(o.Progress, "scenario %s: %.0f req/s for %s (+%s warmup)\n", sc, o.Rate, o.Duration, o.Warmup)
		before := delivered(tgt)
		t0 := time.Now()
		run := OpenLoop(ctx, Pace{Rate: o.Rate, Duration: o.Duration, Warmup: o.Warmup, Concurrency: o.Concurrency}, w.picker(sc))
		dps := float64(delivered(tgt)-before) / time.Since(t0).Seconds()
		all, byOp := Summarize(run.Samples, run.Window, o.Duration)
		all.Op = sc
		res := ScenarioResult{Scenario: sc, All: all, DeliveriesPerSec: dps}
		for _, m := range mixWeights {
			if s := byOp[m.op]; s != nil && sc == ScenarioMix {
				res.Ops = append(res.Ops, *s)
			}
		}
		rep.Scenarios = append(rep.Scenarios, res)
	}
	fmt.Fprintln(o.Progress, "checking tickets and deliveries")
	rep.Checks = w.check(ctx, o.Drain)
	rep.buildRows()
	if !rep.Checks.OK() {
		return rep, fmt.Errorf("%w: %s", ErrLoss, rep.Checks)
	}
	return rep, nil
}

// ErrLoss is returned when a filed ticket or an enqueued delivery is missing.
var ErrLoss = errors.New("bench: loss detected")

// delivered is the simulators' total answered deliveries so far.
func delivered(t *Target) int {
	n := 0
	for _, s := range t.Sims {
		n += s.Sim.Stats().Total
	}
	return n
}

func measureCeilings(ctx context.Context, o Options, tgt *Target, w *workload, rep *Report) error {
	fmt.Fprintf(o.Progress, "ceiling: /healthz at %.0f req/s for %s\n", o.Rate, o.Duration)
	hz := OpenLoop(ctx, Pace{Rate: o.Rate, Duration: o.Duration, Warmup: o.Warmup, Concurrency: o.Concurrency}, func(int) (string, Op) {
		return "healthz", func(ctx context.Context) (int, error) { return w.c.do(ctx, "GET", "/healthz", nil, nil, nil) }
	})
	all, _ := Summarize(hz.Samples, hz.Window, o.Duration)
	all.Op = "healthz"
	rep.Healthz = all
	cd := o.CeilingTime
	par := min(o.Concurrency, 64)
	fmt.Fprintf(o.Progress, "ceiling: store commits, %d writers for %s\n", par, cd)
	var (
		c   Ceiling
		err error
	)
	if tgt.App != nil {
		c, err = StoreCeiling(ctx, tgt.App.Store, par, cd)
	} else {
		c, err = TempStoreCeiling(ctx, par, cd)
	}
	if err != nil {
		return err
	}
	rep.Ceilings = append(rep.Ceilings, c)
	// One reader per CPU: more would measure the Go scheduler's queue.
	ipar := min(par, runtime.NumCPU())
	fmt.Fprintf(o.Progress, "ceiling: index search, %d readers for %s\n", ipar, cd)
	ix, err := FreshIndex(ctx, w.data)
	if err != nil {
		return err
	}
	c, err = IndexCeiling(ctx, "index.Search uncached (no HTTP)", ix, w.data.queries, ipar, cd)
	ix.Close()
	if err != nil {
		return err
	}
	rep.Ceilings = append(rep.Ceilings, c)
	if tgt.App != nil {
		if c, err = IndexCeiling(ctx, "index.Search gateway's index, cache on (no HTTP)", tgt.App.Caps.Index, w.data.queries, ipar, cd); err != nil {
			return err
		}
		rep.Ceilings = append(rep.Ceilings, c)
	}
	fmt.Fprintf(o.Progress, "ceiling: client → simulator, %d senders for %s\n", par, cd)
	c, err = DispatchCeiling(ctx, par, cd)
	if err != nil {
		return err
	}
	rep.Ceilings = append(rep.Ceilings, c)
	return nil
}
