package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hallgate/hallgate/connectors"
)

// client talks to the gateway with the admin token.
type client struct {
	base, token string
	hc          *http.Client
}

func newClient(base, token string, conns int) *client {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: 30 * time.Second}
	return &client{base: base, token: token, hc: &http.Client{Transport: tr, Timeout: 15 * time.Second}}
}

// do sends a request and decodes a 2xx JSON answer into out (when non-nil).
func (c *client) do(ctx context.Context, method, path string, hdr http.Header, body []byte, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	// An explicitly empty Authorization means "send none" (signed callbacks).
	if v, set := req.Header["Authorization"]; set && (len(v) == 0 || v[0] == "") {
		req.Header.Del("Authorization")
	} else if !set && c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode/100 == 2 {
		return resp.StatusCode, json.NewDecoder(resp.Body).Decode(out)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// Weights of the mixed scenario (sum 1).
var mixWeights = []struct {
	op string
	w  float64
}{{OpSearch, 0.50}, {OpIntake, 0.15}, {OpEvents, 0.15}, {OpCallbacks, 0.10}, {OpCalls, 0.10}}

// Operation names, also the single-endpoint scenarios.
const (
	OpSearch    = "search"
	OpIntake    = "intake"
	OpEvents    = "events"
	OpCallbacks = "callbacks"
	OpCalls     = "calls"
	OpSuggest   = "suggest"
	ScenarioMix = "mixed"
)

// Scenarios are the valid --scenario values.
var Scenarios = []string{ScenarioMix, OpSearch, OpIntake, OpEvents, OpCallbacks, OpCalls, OpSuggest}

// pooled is a ticket filed during setup, dispatched to dept.
type pooled struct{ ID, Dept, Phone string }

// workload holds what the operations draw on and what the checks verify.
type workload struct {
	c    *client
	data *Data
	gen  *Gen // used by the scheduler goroutine only
	sims map[string]*simDept
	// Setup tickets: even ones take agent events, odd ones department
	// callbacks, so the two never race on one ticket.
	eventPool, callbackPool []pooled
	seq                     atomic.Int64
	runID                   string

	mu    sync.Mutex
	filed []string // ticket ids filed by intake during the runs
	// goodEvents counts 2xx supervise events and intakes: each must have
	// caused at least one delivery.
	minDeliveries atomic.Int64
}

// setup imports departments and the KB, files the ticket pools and has the
// department systems accept the callback pool.
func (w *workload) setup(ctx context.Context, pool int) error {
	body, _ := json.Marshal(w.data.Departments)
	if st, err := w.c.do(ctx, http.MethodPost, "/api/v1/departments/import", nil, body, nil); err != nil || st/100 != 2 {
		return fmt.Errorf("bench setup: import departments: status %d: %v", st, err)
	}
	// Every entry must land: a search figure over a partly empty KB would
	// measure nothing.
	var imp struct {
		Imported  int `json:"imported"`
		Unchanged int `json:"unchanged"`
		Errors    []struct {
			Line  int    `json:"line"`
			Error string `json:"error"`
		} `json:"errors"`
	}
	if st, err := w.c.do(ctx, http.MethodPost, "/api/v1/kb/import", http.Header{"Content-Type": {"application/x-ndjson"}}, w.data.KBLines(), &imp); err != nil || st/100 != 2 {
		return fmt.Errorf("bench setup: import KB: status %d: %v", st, err)
	}
	if len(imp.Errors) > 0 {
		return fmt.Errorf("bench setup: import KB: %d of %d lines refused, line %d: %s", len(imp.Errors), len(w.data.KB), imp.Errors[0].Line, imp.Errors[0].Error)
	}
	if got := imp.Imported + imp.Unchanged; got != len(w.data.KB) {
		return fmt.Errorf("bench setup: import KB: %d of %d entries imported", got, len(w.data.KB))
	}
	// Inputs are drawn in order (deterministic per seed), filed by 8
	// workers, and split into the two pools by position.
	type job struct {
		i                                 int
		name, phone, text, dept, district string
	}
	var jobs []job
	for i := range 2 * pool {
		name, phone := w.gen.Caller()
		text, dept, district := w.gen.Complaint(w.data)
		if w.sims != nil && w.sims[dept] == nil {
			continue
		}
		jobs = append(jobs, job{i, name, phone, text, dept, district})
	}
	filed := make([]pooled, len(jobs))
	errs := make([]error, len(jobs))
	idx := make(chan int)
	go func() {
		for k := range jobs {
			idx <- k
		}
		close(idx)
	}()
	parallel(make([]struct{}, 8), 8, func(struct{}) {
		for k := range idx {
			j := jobs[k]
			id, st, err := w.intake(ctx, j.name, j.phone, j.text, j.dept, j.district)
			if err != nil || st/100 != 2 {
				errs[k] = fmt.Errorf("bench setup: file ticket: status %d: %v", st, err)
				continue
			}
			p := pooled{ID: id, Dept: j.dept, Phone: j.phone}
			if j.i%2 == 1 && w.sims != nil {
				st, err := w.callback(ctx, p, connectors.EventAccepted, "已签收（压测）")
				if err != nil || st/100 != 2 {
					errs[k] = fmt.Errorf("bench setup: accept callback: status %d: %v", st, err)
					continue
				}
			}
			filed[k] = p
		}
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for k, j := range jobs {
		switch {
		case j.i%2 == 0:
			w.eventPool = append(w.eventPool, filed[k])
		case w.sims != nil:
			w.callbackPool = append(w.callbackPool, filed[k])
		}
	}
	return nil
}

func (w *workload) intake(ctx context.Context, name, phone, text, dept, district string) (string, int, error) {
	body, _ := json.Marshal(map[string]any{"channel": "hotline", "type": "投诉", "text": text, "district": district,
		"caller": map[string]any{"name": name, "phone": phone}, "department": dept})
	var res struct {
		Ticket struct {
			ID string `json:"id"`
		} `json:"ticket"`
	}
	key := fmt.Sprintf("bench-%s-%d", w.runID, w.seq.Add(1))
	st, err := w.c.do(ctx, http.MethodPost, "/api/v1/tickets", http.Header{"Idempotency-Key": {key}}, body, &res)
	if st/100 == 2 && err == nil {
		w.mu.Lock()
		w.filed = append(w.filed, res.Ticket.ID)
		w.mu.Unlock()
		w.minDeliveries.Add(1)
	}
	return res.Ticket.ID, st, err
}

// callback posts a signed department event, as the department's system would.
func (w *workload) callback(ctx context.Context, p pooled, typ, note string) (int, error) {
	sd := w.sims[p.Dept]
	ev := connectors.Event{ID: fmt.Sprintf("bench-%s-%d", w.runID, w.seq.Add(1)), Type: typ, TicketID: p.ID, Note: note, At: time.Now().UTC()}
	body, _ := json.Marshal(ev)
	ts := time.Now().Unix()
	hdr := http.Header{
		"Content-Type":             {"application/json"},
		connectors.HeaderTimestamp: {strconv.FormatInt(ts, 10)},
		connectors.HeaderSignature: {connectors.Sign([]byte(sd.Secret), ts, body)},
		"Authorization":            {""}, // public route: the signature is the credential
	}
	return w.c.do(ctx, http.MethodPost, "/api/v1/connectors/"+url.PathEscape(sd.Connector)+"/callbacks", hdr, body, nil)
}

// op builds request i of operation name; it runs on the scheduler's
// goroutine, so it may draw from w.gen.
func (w *workload) op(name string, i int) Op {
	switch name {
	case OpSearch:
		q := w.gen.Query(w.data)
		return func(ctx context.Context) (int, error) {
			return w.c.do(ctx, http.MethodGet, "/api/v1/kb/search?q="+url.QueryEscape(q), nil, nil, nil)
		}
	case OpIntake:
		n, ph := w.gen.Caller()
		text, dept, district := w.gen.Complaint(w.data)
		return func(ctx context.Context) (int, error) {
			_, st, err := w.intake(ctx, n, ph, text, dept, district)
			return st, err
		}
	case OpEvents:
		p := w.eventPool[i%len(w.eventPool)]
		body, _ := json.Marshal(map[string]any{"type": "supervise", "note": "请加快办理（压测督办）"})
		return func(ctx context.Context) (int, error) {
			st, err := w.c.do(ctx, http.MethodPost, "/api/v1/tickets/"+url.PathEscape(p.ID)+"/events", nil, body, nil)
			if st/100 == 2 {
				w.minDeliveries.Add(1)
			}
			return st, err
		}
	case OpCallbacks:
		if len(w.callbackPool) == 0 {
			return func(context.Context) (int, error) { return 0, fmt.Errorf("bench: no callback pool (targeting by URL)") }
		}
		p := w.callbackPool[i%len(w.callbackPool)]
		return func(ctx context.Context) (int, error) {
			return w.callback(ctx, p, connectors.EventProgress, "正在办理（压测）")
		}
	case OpCalls:
		phone := w.eventPool[i%len(w.eventPool)].Phone
		if w.gen.Float() < 0.5 {
			_, phone = w.gen.Caller()
		}
		body, _ := json.Marshal(map[string]any{"call_id": fmt.Sprintf("bench-%s-call-%d", w.runID, w.seq.Add(1)), "event": "ringing",
			"from": phone, "to": "12345", "agent": "bench-01", "at": time.Now().UTC()})
		return func(ctx context.Context) (int, error) {
			return w.c.do(ctx, http.MethodPost, "/api/v1/calls", nil, body, nil)
		}
	case OpSuggest:
		text, _, district := w.gen.Complaint(w.data)
		body, _ := json.Marshal(map[string]any{"text": text, "district": district, "channel": "hotline"})
		return func(ctx context.Context) (int, error) {
			return w.c.do(ctx, http.MethodPost, "/api/v1/routing/suggest", nil, body, nil)
		}
	}
	return func(context.Context) (int, error) { return 0, fmt.Errorf("bench: unknown op %q", name) }
}

// picker returns the scenario's request picker.
func (w *workload) picker(scenario string) Picker {
	if scenario != ScenarioMix {
		return func(i int) (string, Op) { return scenario, w.op(scenario, i) }
	}
	return func(i int) (string, Op) {
		x := w.gen.Float()
		for _, m := range mixWeights {
			if x < m.w {
				return m.op, w.op(m.op, i)
			}
			x -= m.w
		}
		last := mixWeights[len(mixWeights)-1].op
		return last, w.op(last, i)
	}
}
