package dispatch_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/resilience"
	"github.com/hallgate/hallgate/gateway/dispatch"
	"github.com/hallgate/hallgate/gateway/store"
)

type downConn struct{ calls atomic.Int32 }

func (c *downConn) Name() string { return "down" }
func (c *downConn) Deliver(context.Context, connectors.Delivery) (connectors.Receipt, error) {
	c.calls.Add(1)
	return connectors.Receipt{}, connectors.Retryable(503, 0, errors.New("系统维护中"))
}

func aged(id, dept string, age time.Duration) store.OutboxItem {
	d := connectors.Delivery{IdempotencyKey: id, TicketID: "t-" + id, Department: dept, Event: "dispatch", CreatedAt: time.Now().Add(-age)}
	payload, _ := json.Marshal(d)
	return store.OutboxItem{ID: id, Topic: "delivery", Key: dept, Payload: payload, CreatedAt: d.CreatedAt}
}

// TestOutageOfHoursNeverDeadLetters: with the default max age a delivery
// failing for ten hours is retried, one failing for four days is
// dead-lettered with its reason; while the breaker is open no attempts are
// spent.
func TestOutageOfHoursNeverDeadLetters(t *testing.T) {
	st := backend(t, "bolt")
	conn := &downConn{}
	cfg := resilience.Defaults()
	cfg.Retry.MaxAttempts = 1
	cfg.Breaker.ConsecutiveFailures = 2
	cfg.Breaker.OpenTimeout = time.Hour
	ch, _ := resilience.Chain(cfg, conn, resilience.Deps{})
	reg := dispatch.NewRegistry()
	_ = reg.Put(dispatch.Entry{Name: "down", Department: "D", Connector: ch})
	rc := fastRelay()
	rc.MaxAge = 0 // the default, 72 h
	rc.BreakerWait = 50 * time.Millisecond
	ctx := t.Context()
	if _, err := st.Commit(ctx, store.Tx{Enqueue: []store.OutboxItem{aged("ten-hours", "D", 10*time.Hour), aged("four-days", "D", 96*time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	relay, stop := runRelay(t, st, reg, rc)
	waitFor(t, 5*time.Second, "the old delivery to be dead-lettered and the breaker to open", func() bool {
		d, _ := relay.DeadLetters(ctx, "", 0)
		return len(d) == 1 && ch.BreakerState() == "open"
	})
	time.Sleep(300 * time.Millisecond) // several breaker waits go by
	stop()
	dead, _ := relay.DeadLetters(ctx, "", 0)
	if dead[0].ID != "four-days" || !strings.Contains(dead[0].Reason, "still failing after") {
		t.Fatalf("dead letter %+v", dead[0])
	}
	states, _, _ := dispatch.TicketDeliveries(ctx, st, "t-ten-hours")
	if len(states) != 1 || (states[0].State != dispatch.StateBreakerOpen && states[0].State != dispatch.StateRetrying) {
		t.Fatalf("ten-hour-old delivery: %+v", states)
	}
	if conn.calls.Load() != 2 {
		t.Fatalf("%d calls reached the department, want 2 (then the breaker holds them)", conn.calls.Load())
	}
	// Parked behind the open breaker: attempts stay as they were.
	items, err := st.Claim(ctx, "delivery", "inspector", 10, time.Minute)
	for len(items) == 0 && err == nil {
		time.Sleep(20 * time.Millisecond)
		items, err = st.Claim(ctx, "delivery", "inspector", 10, time.Minute)
	}
	if err != nil || len(items) != 1 || items[0].Attempts > 1 {
		t.Fatalf("parked item %+v %v, want at most the one counted attempt", items, err)
	}
}
