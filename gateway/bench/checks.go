package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"time"
)

// Checks is the end-of-run verification: nothing filed is missing, nothing
// enqueued is undelivered.
type Checks struct {
	TicketsFiled   int `json:"tickets_filed"`
	TicketsMissing int `json:"tickets_missing"` // filed (2xx) but GET is not 200
	// DeliveriesChecked is false when the simulators are not ours (--url).
	DeliveriesChecked bool `json:"deliveries_checked"`
	// Enqueued are the deliveries the gateway recorded for the touched
	// tickets; MinExpected is a floor from the workload's own 2xx answers
	// (each intake with a department and each supervise causes ≥ 1).
	Enqueued    int      `json:"enqueued"`
	MinExpected int      `json:"min_expected"`
	Received    int      `json:"received_unique"`
	Duplicates  int      `json:"duplicates"` // repeated deliveries absorbed by the simulators
	Lost        int      `json:"lost"`       // enqueued but never received
	Unexpected  int      `json:"unexpected"` // received but not enqueued for a touched ticket
	StillQueued int      `json:"still_queued"`
	DrainS      float64  `json:"drain_s"`
	LostSample  []string `json:"lost_sample,omitempty"`
}

// OK reports no loss.
func (c Checks) OK() bool {
	return c.TicketsMissing == 0 && (!c.DeliveriesChecked || (c.Lost == 0 && c.Enqueued >= c.MinExpected && c.StillQueued == 0))
}

// parallel runs fn over items with n workers.
func parallel[T any](items []T, n int, fn func(T)) {
	ch := make(chan T)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range ch {
				fn(it)
			}
		}()
	}
	for _, it := range items {
		ch <- it
	}
	close(ch)
	wg.Wait()
}

func (w *workload) check(ctx context.Context, drain time.Duration) Checks {
	var out Checks
	w.mu.Lock()
	filed := append([]string(nil), w.filed...)
	w.mu.Unlock()
	out.TicketsFiled = len(filed)
	var mu sync.Mutex
	parallel(filed, 16, func(id string) {
		st, err := w.c.do(ctx, http.MethodGet, "/api/v1/tickets/"+url.PathEscape(id), nil, nil, nil)
		if err != nil || st != http.StatusOK {
			mu.Lock()
			out.TicketsMissing++
			mu.Unlock()
		}
	})
	if w.sims == nil {
		return out
	}
	out.DeliveriesChecked = true
	out.MinExpected = int(w.minDeliveries.Load())
	// Wait for the outbox to drain: every connector idle.
	start := time.Now()
	for {
		var res struct {
			Connectors []struct {
				QueueDepth int `json:"queue_depth"`
				InFlight   int `json:"in_flight"`
			} `json:"connectors"`
		}
		st, err := w.c.do(ctx, http.MethodGet, "/api/v1/connectors", nil, nil, &res)
		q := 0
		for _, c := range res.Connectors {
			q += c.QueueDepth + c.InFlight
		}
		out.StillQueued = q
		if (err == nil && st == http.StatusOK && q == 0) || time.Since(start) > drain || ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	out.DrainS = time.Since(start).Seconds()
	// Every delivery the gateway recorded for a ticket the run touched.
	expected := map[string]bool{}
	parallel(filed, 16, func(id string) {
		var res struct {
			Deliveries []struct {
				IdempotencyKey string `json:"idempotency_key"`
			} `json:"deliveries"`
			Attempts []struct {
				IdempotencyKey string `json:"idempotency_key"`
			} `json:"attempts"`
		}
		if st, err := w.c.do(ctx, http.MethodGet, "/api/v1/tickets/"+url.PathEscape(id)+"/deliveries", nil, nil, &res); err != nil || st != http.StatusOK {
			return
		}
		mu.Lock()
		// States keep the latest delivery per destination; attempts keep
		// every one that was tried. MinExpected catches any enqueued item
		// that is in neither.
		for _, d := range res.Deliveries {
			expected[d.IdempotencyKey] = true
		}
		for _, a := range res.Attempts {
			expected[a.IdempotencyKey] = true
		}
		mu.Unlock()
	})
	out.Enqueued = len(expected)
	received := map[string]int{}
	for _, s := range w.sims {
		for k, n := range s.Sim.Stats().Keys {
			received[k] += n
		}
	}
	out.Received = len(received)
	for k, n := range received {
		out.Duplicates += n - 1
		if !expected[k] {
			out.Unexpected++
		}
	}
	for k := range expected {
		if received[k] == 0 {
			out.Lost++
			out.LostSample = append(out.LostSample, k)
		}
	}
	sort.Strings(out.LostSample)
	if len(out.LostSample) > 10 {
		out.LostSample = out.LostSample[:10]
	}
	return out
}

func (c Checks) String() string {
	s := fmt.Sprintf("tickets: %d filed, %d missing", c.TicketsFiled, c.TicketsMissing)
	if !c.DeliveriesChecked {
		return s + "; deliveries: not checked (simulators not under this run's control)"
	}
	return s + fmt.Sprintf("; deliveries: %d enqueued (≥ %d expected), %d received, %d lost, %d duplicates absorbed, %d unexpected, %d still queued after %.1fs",
		c.Enqueued, c.MinExpected, c.Received, c.Lost, c.Duplicates, c.Unexpected, c.StillQueued, c.DrainS)
}
