package dispatch_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/resilience"
	"github.com/hallgate/hallgate/connectors/simulator"
	"github.com/hallgate/hallgate/gateway/dispatch"
	"github.com/hallgate/hallgate/gateway/store"
)

func runRelay(t *testing.T, st store.Store, reg *dispatch.Registry, cfg dispatch.Config) (*dispatch.Relay, func()) {
	t.Helper()
	r, err := dispatch.New(st, reg, cfg, dispatch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return runRelayWith(t, r)
}

func runRelayWith(t *testing.T, r *dispatch.Relay) (*dispatch.Relay, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = r.Run(ctx) })
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return r, stop
}

// TestOutageEveryDeliveryArrives is the done-when fault test: the department
// goes down during 1,000 dispatches (and loses some acks before that); every
// delivery arrives once it is back, duplicates are absorbed, the breaker
// opens and closes again, nothing is dead-lettered.
func TestOutageEveryDeliveryArrives(t *testing.T) {
	// The Redis variant also shares the breaker through Redis, as
	// replicas would.
	for _, kind := range []string{"bolt", "redis-shared-breaker"} {
		t.Run(kind, func(t *testing.T) { t.Parallel(); outage(t, kind) })
	}
}

func outage(t *testing.T, kind string) {
	label := kind
	var deps resilience.Deps
	if kind == "redis-shared-breaker" {
		kind = "redis"
		if u := os.Getenv("HALLGATE_TEST_REDIS_URL"); u != "" {
			opt, err := goredis.ParseURL(u)
			if err != nil {
				t.Fatal(err)
			}
			client := goredis.NewClient(opt)
			defer client.Close()
			deps = resilience.Deps{Redis: client, Owner: "outage-test"}
		}
	}
	const n = 1000
	st := backend(t, kind)
	sim := simulator.New(simulator.Options{Department: "ZJJ"})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()
	sim.SetFaults(simulator.Faults{LostAckRate: 0.05})

	tr := &transitions{}
	reg := dispatch.NewRegistry()
	name := fmt.Sprintf("zjj-%d", time.Now().UnixNano()) // fresh shared breaker state per run
	if err := reg.Put(restEntryDeps(t, name, "ZJJ", srv.URL, tr, deps)); err != nil {
		t.Fatal(err)
	}
	relay, stop := runRelay(t, st, reg, fastRelay())

	ctx := t.Context()
	enqueue(ctx, t, st, "o", 0, 300, 50, "ZJJ")
	waitFor(t, 20*time.Second, "300 arrivals before the outage", func() bool { return sim.Stats().Unique >= 250 })
	sim.SetFaults(simulator.Faults{OutageSeconds: 2})
	enqueue(ctx, t, st, "o", 300, n-300, 50, "ZJJ")
	waitFor(t, 5*time.Second, "breaker to open", func() bool { return slices.Contains(tr.list(), "closed→open") })
	hs, err := relay.Health(ctx)
	if err != nil || len(hs) != 1 || hs[0].QueueDepth == 0 {
		t.Fatalf("health during outage: %+v %v", hs, err)
	}
	waitFor(t, 60*time.Second, "every delivery to arrive", func() bool {
		p, _ := st.Pending(ctx, "delivery")
		return sim.Stats().Unique == n && p["ZJJ"].Depth == 0
	})
	stop()

	s := sim.Stats()
	dead, _ := st.ListDeadLetters(ctx, "delivery", 10)
	for i := range n {
		if s.Keys[delivery("o", i, "ZJJ").ID] == 0 {
			t.Fatalf("delivery %d never arrived", i)
		}
	}
	states, _ := st.Count(ctx, dispatch.CollDeliveries, map[string]string{"state": dispatch.StateDelivered})
	seq := tr.list()
	t.Logf("%s: sent %d, arrived %d unique, %d duplicates absorbed, %d refused during faults, dead letters %d, breaker %v",
		label, n, s.Unique, s.Duplicates, s.Rejected, len(dead), seq)
	if len(dead) != 0 {
		t.Fatalf("dead letters after an outage: %+v", dead)
	}
	if states != n {
		t.Fatalf("%d delivery states are delivered, want %d", states, n)
	}
	if seq[len(seq)-1] != "half-open→closed" {
		t.Fatalf("breaker did not close again: %v", seq)
	}
	hs, _ = relay.Health(ctx)
	if hs[0].Breaker != "closed" || hs[0].QueueDepth != 0 || hs[0].P95Ms <= 0 || hs[0].Delivered == 0 {
		t.Fatalf("health after recovery: %+v", hs[0])
	}
}

func TestPermanentDeadLettersAndRedrive(t *testing.T) {
	st := backend(t, "bolt")
	var reject sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, bad := reject.Load("on"); bad {
			http.Error(w, `{"error":"字段缺失"}`, http.StatusUnprocessableEntity)
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"R-1"}`))
	}))
	defer srv.Close()
	reject.Store("on", true)
	reg := dispatch.NewRegistry()
	e := restEntry(t, "tax", "TAX", srv.URL, nil)
	e.Connector = rebase(t, e, srv.URL)
	_ = reg.Put(e)
	relay, stop := runRelay(t, st, reg, fastRelay())
	ctx := t.Context()
	enqueue(ctx, t, st, "p", 0, 3, 3, "TAX")
	// A department without a connector is visible, not dropped.
	enqueue(ctx, t, st, "p", 10, 1, 1, "NONE")
	waitFor(t, 5*time.Second, "dead letters", func() bool {
		d, _ := relay.DeadLetters(ctx, "tax", 0)
		return len(d) == 3
	})
	dl, _ := relay.DeadLetters(ctx, "tax", 0)
	if !strings.Contains(dl[0].Reason, "permanent") || dl[0].TicketID == "" || dl[0].Connector != "tax" {
		t.Fatalf("dead letter %+v", dl[0])
	}
	states, attempts, err := dispatch.TicketDeliveries(ctx, st, dl[0].TicketID)
	if err != nil || len(states) != 1 || states[0].State != dispatch.StateDead || len(attempts) != 1 || attempts[0].Status != 422 || attempts[0].Outcome != "permanent" {
		t.Fatalf("ticket deliveries: %+v %+v %v", states, attempts, err)
	}
	waitFor(t, 5*time.Second, "no_connector state", func() bool {
		s, _, _ := dispatch.TicketDeliveries(ctx, st, "t-p-10")
		return len(s) == 1 && s[0].State == dispatch.StateNoConnector
	})
	hs, _ := relay.Health(ctx)
	var none *dispatch.ConnectorHealth
	for i := range hs {
		if hs[i].Department == "NONE" {
			none = &hs[i]
		}
	}
	if none == nil || none.QueueDepth != 1 || none.Status != dispatch.StateNoConnectorMsg {
		t.Fatalf("department without connector not visible in health: %+v", hs)
	}

	reject.Delete("on")
	n, err := relay.RedriveConnector(ctx, "tax")
	if err != nil || n != 3 {
		t.Fatalf("redrive: %d %v", n, err)
	}
	waitFor(t, 5*time.Second, "redriven deliveries", func() bool {
		c, _ := st.Count(ctx, dispatch.CollDeliveries, map[string]string{"state": dispatch.StateDelivered, "department": "TAX"})
		return c == 3
	})
	s, _, _ := dispatch.TicketDeliveries(ctx, st, dl[0].TicketID)
	if s[0].Reference != "R-1" {
		t.Fatalf("reference not kept: %+v", s[0])
	}
	if err := relay.Redrive(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("redrive of unknown id: %v", err)
	}
	stop()
}

// rebase points the entry at a plain server root (not /rest/deliveries).
func rebase(t *testing.T, e dispatch.Entry, url string) connectors.Connector {
	return restEntryAt(t, e.Name, e.Department, url)
}

// TestShutdownDrainsInFlightDeliveries: a call in flight when the relay is
// stopped finishes and is acked instead of being released and sent again.
func TestShutdownDrainsInFlightDeliveries(t *testing.T) {
	st := backend(t, "bolt")
	sim := simulator.New(simulator.Options{Department: "ZJJ"})
	sim.SetFaults(simulator.Faults{LatencyMS: 300})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()
	reg := dispatch.NewRegistry()
	_ = reg.Put(restEntry(t, "zjj", "ZJJ", srv.URL, nil))
	ctx := t.Context()
	enqueue(ctx, t, st, "d", 0, 3, 3, "ZJJ")
	_, stop := runRelay(t, st, reg, fastRelay())
	time.Sleep(100 * time.Millisecond) // the calls are in flight
	stop()
	p, _ := st.Pending(ctx, "delivery")
	delivered, _ := st.Count(ctx, dispatch.CollDeliveries, map[string]string{"state": dispatch.StateDelivered})
	if p["ZJJ"].Depth != 0 || delivered != 3 || sim.Stats().Total != 3 {
		t.Fatalf("after shutdown: pending %d, delivered %d, simulator %+v", p["ZJJ"].Depth, delivered, sim.Stats())
	}
}

// TestWakeSkipsThePollInterval: with a long poll interval, Wake delivers
// new work at once.
func TestWakeSkipsThePollInterval(t *testing.T) {
	st := backend(t, "bolt")
	sim := simulator.New(simulator.Options{Department: "ZJJ"})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()
	reg := dispatch.NewRegistry()
	_ = reg.Put(restEntry(t, "zjj", "ZJJ", srv.URL, nil))
	cfg := fastRelay()
	cfg.PollInterval = time.Hour
	relay, _ := runRelay(t, st, reg, cfg)
	time.Sleep(50 * time.Millisecond) // the relay's first claim found nothing and sleeps an hour
	enqueue(t.Context(), t, st, "w", 0, 1, 1, "ZJJ")
	relay.Wake()
	waitFor(t, 5*time.Second, "the woken relay to deliver", func() bool { return sim.Stats().Unique == 1 })
}
