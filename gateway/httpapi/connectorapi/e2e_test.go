package connectorapi_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/httpjson"
	"github.com/hallgate/hallgate/connectors/resilience"
	"github.com/hallgate/hallgate/connectors/simulator"
	"github.com/hallgate/hallgate/gateway/dispatch"
	"github.com/hallgate/hallgate/gateway/store"
)

// TestEndToEndDeliveryAndSignedCallbacks: the relay delivers to the
// simulator over loopback, the simulator calls the gateway back with signed
// events, and each event is applied once.
func TestEndToEndDeliveryAndSignedCallbacks(t *testing.T) {
	e := setup(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.app.Listener(ln) }()
	defer e.app.Shutdown()

	sim := simulator.New(simulator.Options{Department: "ZJJ", CallbackURL: "http://" + ln.Addr().String() + "/api/v1/connectors/zjj/callbacks",
		CallbackSecret: secret, CallbackDelay: 20 * time.Millisecond})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c, _ := httpjson.New("zjj", httpjson.Config{URL: srv.URL + "/rest/deliveries"}, nil)
	ch, _ := resilience.Chain(resilience.Config{}, c, resilience.Deps{Department: "ZJJ"})
	_ = e.relay.Registry().Put(dispatch.Entry{Name: "zjj", Kind: "httpjson", Department: "ZJJ", CallbackSecret: secret, Connector: ch})

	ctx := t.Context()
	var tx store.Tx
	for i := range 5 {
		d := connectors.Delivery{IdempotencyKey: "e2e-" + string(rune('a'+i)), TicketID: "t-" + string(rune('a'+i)), Department: "ZJJ", Event: "dispatch", CreatedAt: time.Now()}
		payload, _ := json.Marshal(d)
		tx.Enqueue = append(tx.Enqueue, store.OutboxItem{ID: d.IdempotencyKey, Topic: "delivery", Key: "ZJJ", Payload: payload})
	}
	if _, err := e.st.Commit(ctx, tx); err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = e.relay.Run(rctx); close(done) }()
	deadline := time.Now().Add(15 * time.Second)
	for e.count() < 10 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	sim.Close()
	e.mu.Lock()
	defer e.mu.Unlock()
	types := map[string]int{}
	for _, ev := range e.applied {
		types[ev.Type]++
	}
	if len(e.applied) != 10 || types[connectors.EventAccepted] != 5 || types[connectors.EventReplied] != 5 {
		t.Fatalf("applied %d events %v, want 5 accepted and 5 replied", len(e.applied), types)
	}
	if st := sim.Stats(); st.Unique != 5 || st.Callbacks != 10 {
		t.Fatalf("simulator %+v", st)
	}
}
