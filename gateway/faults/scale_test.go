package faults_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Synthetic knowledge base for the scale run (not city data): subjects ×
// actions, so a query has a known set of matching entries.
var (
	scaleSubjects = []string{"居住证", "营业执照", "公积金", "医保卡", "驾驶证", "不动产登记", "残疾人证", "养老保险", "出生证明", "排水许可"}
	scaleActions  = []string{"办理", "补办", "变更", "注销", "查询进度", "异地转移", "到期换领", "材料清单", "收费标准", "网上预约"}
)

func scaleKB() string {
	var b strings.Builder
	for i, s := range scaleSubjects {
		for j, a := range scaleActions {
			line, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("scale-%02d-%02d", i, j), "question": s + a + "怎么做", "channel": "hotline",
				"answer": fmt.Sprintf("%s%s可在政务服务大厅或网上办理，携带身份证原件。", s, a), "category": "政务服务", "department": dept})
			b.Write(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

type opStats struct {
	mu        sync.Mutex
	lat       map[string][]time.Duration // op → latencies
	errs      map[string]int
	perTarget map[string]int
}

func newOpStats() *opStats {
	return &opStats{lat: map[string][]time.Duration{}, errs: map[string]int{}, perTarget: map[string]int{}}
}

func (s *opStats) add(op, target string, d time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.errs[op]++
		return
	}
	s.lat[op] = append(s.lat[op], d)
	s.perTarget[target]++
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

// load runs clients against targets (round-robin) for d: each client
// alternates a ticket intake and a KB search. It returns the acknowledged
// tickets.
func load(t *testing.T, targets []*gateway, clients int, d time.Duration, run string, st *opStats) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	var (
		mu    sync.Mutex
		acked = map[string]string{}
		seq   atomic.Int64
		wg    sync.WaitGroup
	)
	for c := range clients {
		g := targets[c%len(targets)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				if i%2 == 0 {
					n := seq.Add(1)
					key := fmt.Sprintf("%s-%06d", run, n)
					body := fmt.Sprintf(`{"channel":"hotline","type":"咨询","text":"扩容演练%s第%d号：%s%s需要什么材料","department":%q}`,
						run, n, scaleSubjects[n%10], scaleActions[(n/10)%10], dept)
					start := time.Now()
					code, b, err := do(ctx, "POST", g.base+"/api/v1/tickets", adminToken, body, map[string]string{"Idempotency-Key": key})
					if ctx.Err() != nil {
						// The run ended mid-request: the answer is unknown, so the
						// ticket is not counted; it is looked for below anyway.
						mu.Lock()
						acked[key] = ""
						mu.Unlock()
						return
					}
					if err == nil && code != 201 {
						err = fmt.Errorf("%d %s", code, b)
					}
					var res struct {
						Ticket struct{ ID string } `json:"ticket"`
					}
					if err == nil {
						err = json.Unmarshal(b, &res)
					}
					st.add("intake", g.name, time.Since(start), err)
					if err == nil {
						mu.Lock()
						acked[key] = res.Ticket.ID
						mu.Unlock()
					}
				} else {
					q := scaleSubjects[(c+i)%10] + scaleActions[(c*7+i)%10]
					start := time.Now()
					code, b, err := do(ctx, "GET", g.base+"/api/v1/kb/search?q="+url.QueryEscape(q), adminToken, "", nil)
					if ctx.Err() != nil {
						return
					}
					if err == nil && (code != 200 || !strings.Contains(string(b), "scale-")) {
						err = fmt.Errorf("search %q: %d %.200s", q, code, b)
					}
					st.add("search", g.name, time.Since(start), err)
				}
			}
		}()
	}
	wg.Wait()
	return acked
}

func (s *opStats) report(t *testing.T, label string, d time.Duration) {
	t.Helper()
	for _, op := range []string{"intake", "search"} {
		l := s.lat[op]
		t.Logf("%s %s: %d ok (%.0f/s), %d errors, p50 %v p95 %v p99 %v", label, op, len(l), float64(len(l))/d.Seconds(), s.errs[op],
			pct(l, .50).Round(time.Microsecond*10), pct(l, .95).Round(time.Microsecond*10), pct(l, .99).Round(time.Microsecond*10))
	}
	t.Logf("%s requests answered per replica: %v", label, s.perTarget)
}

func connectorBreaker(t *testing.T, g *gateway) string {
	t.Helper()
	var h struct {
		Breaker string `json:"breaker"`
	}
	b := mustDo(t, "GET", g.base+"/api/v1/connectors/"+connectorName, adminToken, "", 200)
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatalf("connector health: %v %s", err, b)
	}
	return h.Breaker
}

// TestThreeReplicasShareOneRedis is the measured run of docs/SCALE.md:
// three `hallgate serve` processes on one machine share one redis-server.
// It measures intake + search spread over the three against the same load
// on one replica, checks every acknowledged ticket is stored once and every
// delivery arrives once, shows what each replica's embedded index sees, and
// opens the department's breaker through one replica to read it on the
// others.
func TestThreeReplicasShareOneRedis(t *testing.T) {
	rs := startRedis(t)
	d, clients := 3*time.Second, 12
	if longRun() {
		d, clients = 60*time.Second, 24
	}
	if v := os.Getenv("HALLGATE_SCALE_SECONDS"); v != "" {
		if n, err := time.ParseDuration(v + "s"); err == nil {
			d = n
		}
	}
	sim := startSimulator(t, "")
	cfg := writeConfig(t, sim.base)
	keys := sharedKeyEnv(t)
	var reps []*gateway
	for _, name := range []string{"replica-a", "replica-b", "replica-c"} {
		reps = append(reps, newGateway(t, gatewayOpts{name: name, redisURL: rs.url(), prefix: "scale:", env: append([]string{"HALLGATE_LOG_LEVEL=warn"}, keys...)}))
		reps[len(reps)-1].cfgPath = cfg
	}
	a := reps[0]
	a.start()
	seedDepartment(t, a.base)
	var imp struct{ Imported int }
	code, body, err := doNDJSON(context.Background(), a.base+"/api/v1/kb/import", scaleKB())
	if err != nil || code != 200 || json.Unmarshal(body, &imp) != nil || imp.Imported != len(scaleSubjects)*len(scaleActions) {
		t.Fatalf("kb import: %d %v %s", code, err, body)
	}
	// B and C start after the import: each builds its embedded index from
	// the shared store at start.
	for _, g := range reps[1:] {
		g.start()
	}

	// Baseline: the same clients on replica A alone.
	one := newOpStats()
	ackedOne := load(t, reps[:1], clients, d, "one", one)
	one.report(t, "1 replica", d)
	three := newOpStats()
	ackedThree := load(t, reps, clients, d, "three", three)
	three.report(t, "3 replicas", d)

	acked := map[string]string{}
	unknown := 0
	for _, m := range []map[string]string{ackedOne, ackedThree} {
		for k, v := range m {
			if v == "" {
				unknown++
				continue
			}
			acked[k] = v
		}
	}
	time.Sleep(time.Second) // requests cut off by the end of the run may still commit
	stored := checkStored(t, reps[1].base, acked)
	if stored < len(acked) || stored > len(acked)+unknown {
		t.Errorf("stored %d tickets for %d acknowledged (+%d cut off by the end of the run)", stored, len(acked), unknown)
	}
	start := time.Now()
	waitFor(t, 120*time.Second, "every delivery", func() bool { return len(sim.stats(t).deliveredTickets()) >= stored })
	r := sim.stats(t)
	want := idSet(acked)
	got := r.deliveredTickets()
	for id := range want {
		if got[id] != 1 {
			t.Errorf("ticket %s: %d distinct deliveries", id, got[id])
		}
	}
	if r.Duplicates > 0 || len(got) != stored {
		t.Logf("note: department holds %d tickets for %d stored", len(got), stored)
	}
	t.Logf("tickets: acknowledged %d (+%d cut off by the end of the run), stored %d, delivered %d unique in %v after the load (%d duplicates absorbed)",
		len(acked), unknown, stored, r.Unique, time.Since(start).Round(100*time.Millisecond), r.Duplicates)

	// An entry written through A after B and C started.
	line, _ := json.Marshal(map[string]any{"id": "scale-late", "question": "人才公寓申请条件", "channel": "hotline", "answer": "满足学历与社保条件者可申请。", "category": "政务服务", "department": dept})
	if code, body, err := doNDJSON(context.Background(), a.base+"/api/v1/kb/import", string(line)+"\n"); err != nil || code != 200 {
		t.Fatalf("late import: %d %v %s", code, err, body)
	}
	time.Sleep(time.Second)
	seen := map[string]bool{}
	for _, g := range reps {
		_, b, _ := do(context.Background(), "GET", g.base+"/api/v1/kb/search?q="+url.QueryEscape("人才公寓申请"), adminToken, "", nil)
		seen[g.name] = strings.Contains(string(b), "scale-late")
	}
	t.Logf("entry written through replica-a after the others started, found by search on: %v", seen)
	if !seen["replica-a"] {
		t.Error("the writing replica does not find its own entry")
	}

	// Breaker: the department goes down; deliveries from all replicas fail
	// until the breaker opens; every replica reads the same state.
	sim.faults(t, `{"outage":true}`)
	_ = intake(t, t.Context(), func() string { return a.base }, "breaker", 20, 4, nil)
	var states map[string]string
	waitFor(t, 60*time.Second, "the breaker to open", func() bool {
		states = map[string]string{}
		open := 0
		for _, g := range reps {
			states[g.name] = connectorBreaker(t, g)
			if states[g.name] == "open" {
				open++
			}
		}
		return open > 0
	})
	time.Sleep(500 * time.Millisecond)
	for _, g := range reps {
		states[g.name] = connectorBreaker(t, g)
	}
	t.Logf("breaker state per replica after the outage: %v", states)
	for name, s := range states {
		if s != "open" {
			t.Errorf("%s reads breaker %q while another replica has it open: state not shared", name, s)
		}
	}
	sim.faults(t, `{}`)
}
