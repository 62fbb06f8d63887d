package bench

import (
	"os"
	"strings"
	"testing"
	"time"
)

// A short mixed run against a self-started gateway with simulators: every
// operation answers, the loss check passes and the table has every row.
func TestShortMixedRun(t *testing.T) {
	o := Options{Scenarios: []string{ScenarioMix}, Rate: 50, Duration: 2 * time.Second, Warmup: 200 * time.Millisecond,
		KBSize: 300, Concurrency: 64, Pool: 20, Seed: 7, Drain: 30 * time.Second, CeilingTime: 500 * time.Millisecond}
	if url := os.Getenv("HALLGATE_TEST_REDIS_URL"); url != "" && os.Getenv("HALLGATE_BENCH_REDIS") != "" {
		o.Store, o.RedisURL = "redis", url
	}
	rep, err := Run(t.Context(), o)
	if err != nil {
		if rep != nil {
			var b strings.Builder
			_ = rep.WriteTable(&b)
			t.Log(b.String())
		}
		t.Fatal(err)
	}
	var table strings.Builder
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	t.Log(table.String())
	if len(rep.Scenarios) != 1 {
		t.Fatalf("%d scenarios", len(rep.Scenarios))
	}
	mix := rep.Scenarios[0]
	if mix.All.Achieved <= 0 {
		t.Fatalf("no throughput: %+v", mix.All)
	}
	ops := map[string]Summary{}
	for _, s := range mix.Ops {
		ops[s.Op] = s
	}
	for _, m := range mixWeights {
		s, ok := ops[m.op]
		if !ok || s.Achieved <= 0 || s.OK == 0 {
			t.Errorf("op %s: no successful requests (%+v)", m.op, s)
		}
		if len(s.Errors) > 0 {
			t.Errorf("op %s: errors %v", m.op, s.Errors)
		}
	}
	c := rep.Checks
	if !c.OK() || !c.DeliveriesChecked || c.TicketsFiled < 2*o.Pool || c.Enqueued < c.MinExpected || c.Received < c.Enqueued || c.Lost != 0 {
		t.Fatalf("checks: %s", c)
	}
	if mix.DeliveriesPerSec <= 0 {
		t.Fatal("no deliveries during the run")
	}
	// Every ceiling is measured and every figure has its row.
	for _, name := range []string{"store.Commit", "index.Search uncached", "index.Search gateway", "client → simulator"} {
		cl, ok := rep.ceiling(name)
		if !ok || cl.PerSec <= 0 || cl.Samples == 0 {
			t.Errorf("ceiling %s missing or empty: %+v", name, cl)
		}
	}
	if rep.Healthz.OK == 0 {
		t.Error("healthz ceiling empty")
	}
	rows := map[string]bool{}
	for _, r := range rep.Rows {
		rows[r.Scenario+"|"+r.Figure+"|"+r.Ceiling] = true
		if r.CeilVal <= 0 {
			t.Errorf("row %+v without a ceiling value", r)
		}
	}
	want := []string{
		"mixed|achieved req/s|offered req/s", "mixed|p50 ms|/healthz p50 ms", "mixed|p99 ms|/healthz p99 ms",
		"mixed/search|p50 ms|index.Search uncached p50 ms", "mixed/intake|intakes/s|store commits/s",
		"mixed|deliveries/s|client→simulator req/s",
	}
	for _, m := range mixWeights {
		want = append(want, "mixed/"+m.op+"|p50 ms|/healthz p50 ms")
	}
	for _, k := range want {
		if !rows[k] {
			t.Errorf("row %q missing", k)
		}
	}
}
