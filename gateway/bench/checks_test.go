package bench

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The loss check must be able to fail: tickets are filed and delivered,
// then one department system forgets what it received (as a system that
// lost its data would), and the check reports those deliveries as lost.
func TestCheckReportsLostDeliveries(t *testing.T) {
	ctx := t.Context()
	data := Generate(3, 50)
	tgt, err := StartLocal(ctx, data.Departments, "bolt", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	w := &workload{c: newClient(tgt.BaseURL, tgt.Token, 8), data: data, gen: NewGen(3, 1), runID: "losstest", sims: map[string]*simDept{}}
	for _, s := range tgt.Sims {
		w.sims[s.Code] = s
	}
	if err := w.setup(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if c := w.check(ctx, 20*time.Second); !c.OK() || c.Enqueued == 0 {
		t.Fatalf("clean run: %s", c)
	}
	// Forget one department's deliveries through the simulator's own
	// admin endpoint.
	var victim *simDept
	for _, s := range tgt.Sims {
		if s.Sim.Stats().Unique > 0 {
			victim = s
			break
		}
	}
	if victim == nil {
		t.Fatal("no simulator received anything")
	}
	forgotten := victim.Sim.Stats().Unique
	rec := httptest.NewRecorder()
	victim.Sim.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/admin/reset", nil))
	if rec.Code != http.StatusNoContent {
		t.Fatalf("reset: %d", rec.Code)
	}
	c := w.check(ctx, 5*time.Second)
	if c.OK() || c.Lost != forgotten {
		t.Fatalf("after forgetting %d deliveries: %s (ok=%v)", forgotten, c, c.OK())
	}
}
