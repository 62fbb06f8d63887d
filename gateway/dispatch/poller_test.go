package dispatch_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/httpjson"
	"github.com/hallgate/hallgate/connectors/open311"
	"github.com/hallgate/hallgate/connectors/resilience"
	"github.com/hallgate/hallgate/gateway/dispatch"
)

func TestPollerAppliesEachEventOnce(t *testing.T) {
	st := backend(t, "bolt")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `[{"id":"p1","ticket_id":"t1","status":3,"at":"2026-11-26T10:00:00Z"},{"id":"p2","ticket_id":"t1","status":11,"text":"已办结","at":"2026-11-26T11:00:00Z"},{"status":8}]`)
	}))
	defer srv.Close()
	c, err := httpjson.New("legacy", httpjson.Config{URL: srv.URL, StatusURL: srv.URL + "/status"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := resilience.Chain(resilience.Config{}, c, resilience.Deps{})
	reg := dispatch.NewRegistry()
	_ = reg.Put(dispatch.Entry{Name: "legacy", Department: "GA", Connector: ch})
	var mu sync.Mutex
	var got []connectors.Event
	p := dispatch.NewPoller(st, reg, func(_ context.Context, dept string, ev connectors.Event) error {
		mu.Lock()
		defer mu.Unlock()
		if dept != "GA" {
			t.Errorf("department %s", dept)
		}
		got = append(got, ev)
		return nil
	}, dispatch.PollerOptions{Owner: "a"})
	for range 2 {
		if _, err := p.PollOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 2 || got[0].Type != connectors.EventAccepted || got[1].Type != connectors.EventReplied {
		t.Fatalf("applied %+v, want accepted then replied once each", got)
	}
	// A second replica does not poll while the first holds the lease.
	other := dispatch.NewPoller(st, reg, nil, dispatch.PollerOptions{Owner: "b"})
	if n, err := other.PollOnce(t.Context()); n != 0 || err != nil {
		t.Fatalf("second replica polled: %d %v", n, err)
	}
}

func TestPollerResolvesReferences(t *testing.T) {
	st := backend(t, "bolt")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			_, _ = io.WriteString(w, `[{"service_request_id":"D-9"}]`)
			return
		}
		_, _ = io.WriteString(w, `[{"service_request_id":"D-9","status":"closed","status_notes":"已处理","updated_datetime":"2026-11-26T10:00:00Z"}]`)
	}))
	defer srv.Close()
	c, err := open311.New("district", open311.Config{URL: srv.URL, ServiceCode: "s"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := resilience.Chain(resilience.Config{}, c, resilience.Deps{})
	reg := dispatch.NewRegistry()
	_ = reg.Put(dispatch.Entry{Name: "district", Department: "QX", Connector: ch})
	_, stop := runRelay(t, st, reg, fastRelay())
	enqueue(t.Context(), t, st, "ref", 0, 1, 1, "QX")
	waitFor(t, 5*time.Second, "delivery", func() bool {
		s, _, _ := dispatch.TicketDeliveries(t.Context(), st, "t-ref-0")
		return len(s) == 1 && s[0].Reference == "D-9"
	})
	stop()
	var got []connectors.Event
	p := dispatch.NewPoller(st, reg, func(_ context.Context, _ string, ev connectors.Event) error {
		got = append(got, ev)
		return nil
	}, dispatch.PollerOptions{})
	if _, err := p.PollOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].TicketID != "t-ref-0" || got[0].Type != connectors.EventReplied {
		t.Fatalf("events %+v", got)
	}
}
