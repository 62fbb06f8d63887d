package simulator_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/connectortest"
	"github.com/hallgate/hallgate/connectors/httpjson"
	"github.com/hallgate/hallgate/connectors/simulator"
	"github.com/hallgate/hallgate/connectors/soap"
)

func TestRESTAndSOAPDeduplicate(t *testing.T) {
	sim := simulator.New(simulator.Options{Department: "ZJJ"})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()
	rest, _ := httpjson.New("rest", httpjson.Config{URL: srv.URL + "/rest/deliveries"}, nil)
	sp, _ := soap.New("soap", soap.Config{URL: srv.URL + "/soap", Action: "urn:hallgate:dispatch#Deliver"}, nil)
	for _, c := range []connectors.Connector{rest, sp} {
		key := c.Name() + "-1"
		first, err := c.Deliver(t.Context(), connectortest.Delivery(key))
		if err != nil || first.Duplicate || first.Reference == "" {
			t.Fatalf("%s first: %+v %v", c.Name(), first, err)
		}
		again, err := c.Deliver(t.Context(), connectortest.Delivery(key))
		if err != nil || !again.Duplicate || again.Reference != first.Reference {
			t.Fatalf("%s duplicate: %+v %v", c.Name(), again, err)
		}
	}
	st := sim.Stats()
	if st.Unique != 2 || st.Duplicates != 2 || st.Total != 4 || st.Keys["soap-1"] != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestFaultsAndSignedCallbacks(t *testing.T) {
	secret := "callback-secret-0123"
	var mu sync.Mutex
	var got []connectors.Event
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := connectors.Verify([]byte(secret), r.Header.Get(connectors.HeaderTimestamp), r.Header.Get(connectors.HeaderSignature), body, time.Now(), time.Minute); err != nil {
			http.Error(w, err.Error(), 401)
			return
		}
		var ev connectors.Event
		_ = json.Unmarshal(body, &ev)
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
	}))
	defer gw.Close()
	sim := simulator.New(simulator.Options{CallbackURL: gw.URL, CallbackSecret: secret, CallbackDelay: 20 * time.Millisecond})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	rest, _ := httpjson.New("rest", httpjson.Config{URL: srv.URL + "/rest/deliveries"}, nil)

	post := func(f simulator.Faults) {
		b, _ := json.Marshal(f)
		resp, err := http.Post(srv.URL+"/admin/faults", "application/json", bytes.NewReader(b))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("set faults: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	post(simulator.Faults{ErrorRate: 1, RetryAfterSeconds: 3})
	_, err := rest.Deliver(t.Context(), connectortest.Delivery("f1"))
	var ce *connectors.Error
	if !errors.As(err, &ce) || ce.Status != 503 || ce.RetryAfter != 3*time.Second {
		t.Fatalf("injected error: %v", err)
	}
	post(simulator.Faults{OutageSeconds: 60})
	if _, err = rest.Deliver(t.Context(), connectortest.Delivery("f2")); !errors.Is(err, connectors.ErrRetryable) {
		t.Fatalf("outage: %v", err)
	}
	post(simulator.Faults{LostAckRate: 1})
	if _, err = rest.Deliver(t.Context(), connectortest.Delivery("f3")); !errors.Is(err, connectors.ErrRetryable) {
		t.Fatalf("lost ack: %v", err)
	}
	post(simulator.Faults{})
	if rc, err := rest.Deliver(t.Context(), connectortest.Delivery("f3")); err != nil || !rc.Duplicate {
		t.Fatalf("retry after lost ack must be a duplicate: %+v %v", rc, err)
	}
	resp, _ := http.Post(srv.URL+"/admin/faults", "application/json", bytes.NewReader([]byte(`{"error_rate":2}`)))
	if resp.StatusCode != 422 {
		t.Fatalf("out-of-range fault accepted: %d", resp.StatusCode)
	}
	resp.Body.Close()

	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	sim.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0].Type != connectors.EventAccepted || got[1].Type != connectors.EventReplied || got[0].TicketID != "t-f3" {
		t.Fatalf("callbacks %+v", got)
	}
	// Rejected may exceed 2: Go's transport retries a request carrying an
	// Idempotency-Key once on a fresh connection when a reused one is reset.
	if st := sim.Stats(); st.Rejected < 2 || st.Unique != 1 || st.Callbacks != 2 {
		t.Fatalf("stats %+v", st)
	}
}
