package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/simulator"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/store/bolt"
	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/embedded"
)

// Ceiling is a raw figure of a component measured in the same run.
type Ceiling struct {
	Name    string  `json:"name"`
	PerSec  float64 `json:"per_sec"` // operations per second (parallel, closed loop)
	P50     Millis  `json:"p50_ms"`
	P99     Millis  `json:"p99_ms"`
	Samples int     `json:"samples"`
	Note    string  `json:"note,omitempty"`
}

// closedLoop runs fn from n goroutines for d and summarizes.
func closedLoop(ctx context.Context, name string, n int, d time.Duration, fn func(ctx context.Context, g, i int) error) (Ceiling, error) {
	var (
		mu    sync.Mutex
		lats  []time.Duration
		fails atomic.Int64
		first error
		wg    sync.WaitGroup
	)
	stop := time.Now().Add(d)
	start := time.Now()
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for i := 0; time.Now().Before(stop) && ctx.Err() == nil; i++ {
				t0 := time.Now()
				if err := fn(ctx, g, i); err != nil {
					if fails.Add(1) == 1 {
						mu.Lock()
						first = err
						mu.Unlock()
					}
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	if first != nil && len(lats) == 0 {
		return Ceiling{Name: name}, fmt.Errorf("ceiling %s: %w", name, first)
	}
	slices.Sort(lats)
	c := Ceiling{Name: name, PerSec: float64(len(lats)) / el.Seconds(), P50: ms(pct(lats, 0.5)), P99: ms(pct(lats, 0.99)), Samples: len(lats)}
	if f := fails.Load(); f > 0 {
		c.Note = fmt.Sprintf("%d failed: %v", f, first)
	}
	return c, nil
}

// StoreCeiling is the raw durable commit rate of a ticket-sized record.
func StoreCeiling(ctx context.Context, st store.Store, n int, d time.Duration) (Ceiling, error) {
	data := bytes.Repeat([]byte("x"), 2048) // about a ticket with a few events
	doc, _ := json.Marshal(map[string]string{"text": string(data)})
	run := randHex(4)
	return closedLoop(ctx, "store.Commit (2 KiB record)", n, d, func(ctx context.Context, g, i int) error {
		_, err := st.Commit(ctx, store.Tx{Puts: []store.Put{{Force: true, Record: store.Record{
			Collection: "bench_ceiling", ID: fmt.Sprintf("%s-%d-%d", run, g, i), Data: doc,
			Index: map[string]string{"status": "dispatched", "department": "BJ01"},
		}}}})
		return err
	})
}

// IndexCeiling is the index library's raw query time (no HTTP).
func IndexCeiling(ctx context.Context, name string, ix knowledgebase.Index, queries []string, n int, d time.Duration) (Ceiling, error) {
	return closedLoop(ctx, name, n, d, func(ctx context.Context, g, i int) error {
		_, err := ix.Search(ctx, knowledgebase.Query{Text: queries[(g*7919+i)%len(queries)], Limit: 10})
		return err
	})
}

// FreshIndex is an in-memory embedded index with the result cache off,
// holding the generated KB: the library's own query time, not a cache hit's.
func FreshIndex(ctx context.Context, d *Data) (knowledgebase.Index, error) {
	ix, err := embedded.Open(ctx, embedded.Options{CacheSize: -1})
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	docs := make([]knowledgebase.Document, 0, len(d.KB))
	for _, e := range d.KB {
		var kw []string
		switch v := e["keywords"].(type) {
		case []string:
			kw = v
		case []any: // loaded from a file
			for _, x := range v {
				if s, ok := x.(string); ok {
					kw = append(kw, s)
				}
			}
		}
		str := func(k string) string { s, _ := e[k].(string); return s }
		docs = append(docs, knowledgebase.Document{ID: str("id"), Kind: knowledgebase.KindEntry, Title: str("question"), Body: str("answer"),
			Department: str("department"), Category: str("category"), Channels: []string{"hotline"}, Keywords: kw, Searchable: true, UpdatedAt: now})
	}
	for len(docs) > 0 {
		n := min(len(docs), 1000)
		if err := ix.Upsert(ctx, docs[:n]...); err != nil {
			ix.Close()
			return nil, err
		}
		docs = docs[n:]
	}
	return ix, nil
}

// TempStoreCeiling measures a throw-away bolt store in a temp directory
// (for --url runs, where the gateway's own store is out of reach).
func TempStoreCeiling(ctx context.Context, n int, d time.Duration) (Ceiling, error) {
	dir, err := os.MkdirTemp("", "hallgate-bench-store-")
	if err != nil {
		return Ceiling{}, err
	}
	defer os.RemoveAll(dir)
	st, err := bolt.Open(ctx, bolt.Options{Path: filepath.Join(dir, "ceiling.db")})
	if err != nil {
		return Ceiling{}, err
	}
	defer st.Close()
	c, err := StoreCeiling(ctx, st, n, d)
	c.Note = strings.TrimSpace("local temp bolt store " + c.Note)
	return c, err
}

// DispatchCeiling is a bare loopback HTTP client posting deliveries to a
// fresh department simulator (not the ones the checks count).
func DispatchCeiling(ctx context.Context, n int, d time.Duration) (Ceiling, error) {
	sim := simulator.New(simulator.Options{Department: "CEIL"})
	srv, base, err := serveLoopback(sim)
	if err != nil {
		return Ceiling{}, err
	}
	defer func() { sim.Close(); _ = srv.Close() }()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}, Timeout: 10 * time.Second}
	defer hc.CloseIdleConnections()
	return closedLoop(ctx, "client → simulator POST", n, d, func(ctx context.Context, g, i int) error {
		key := fmt.Sprintf("ceil-%d-%d", g, i)
		body, _ := json.Marshal(connectors.Delivery{IdempotencyKey: key, TicketID: key, Department: "CEIL", Event: "dispatch", CreatedAt: time.Now()})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/rest/deliveries", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	})
}
