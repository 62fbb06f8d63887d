package faults_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	adminToken     = "faults-admin-token-0123456789abcdef"
	callbackSecret = "faults-callback-secret-0123456789"
	dept           = "ZJJ"
	connectorName  = "zjj"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// longRun reports whether the long variants were asked for.
func longRun() bool { return os.Getenv("HALLGATE_FAULTS") == "long" }

// hallgateBinary builds cmd/hallgate once per test run (without -race: the
// processes under test are the product, not the test).
func hallgateBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hallgate-faults-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "hallgate")
		cmd := exec.Command("go", "build", "-o", binPath, "github.com/hallgate/hallgate/cmd/hallgate")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// proc is one child process with its combined output captured.
type proc struct {
	name string
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
	err  error
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func (p *proc) logs() string { p.mu.Lock(); defer p.mu.Unlock(); return p.out.String() }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func startProc(t *testing.T, name string, env []string, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p, p
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.kill() })
	return p
}

// kill sends SIGKILL (no drain, no shutdown hooks) and waits for the exit.
func (p *proc) kill() {
	if !p.exited() {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	}
}

// term sends SIGTERM and waits up to 30 s.
func (p *proc) term(t *testing.T) {
	t.Helper()
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.kill()
		t.Errorf("%s: no exit within 30 s of SIGTERM", p.name)
	}
}

// gateway is one `hallgate serve` replica; restart reuses its data dir,
// address and environment.
type gateway struct {
	t       *testing.T
	name    string
	addr    string
	base    string
	dataDir string
	cfgPath string
	env     []string
	p       *proc
	// history keeps the output of earlier lives for the log scan.
	history []string
}

type gatewayOpts struct {
	name     string
	dataDir  string // default t.TempDir()/data
	cfgPath  string
	redisURL string
	prefix   string
	env      []string
}

func newGateway(t *testing.T, o gatewayOpts) *gateway {
	t.Helper()
	if o.dataDir == "" {
		o.dataDir = filepath.Join(t.TempDir(), "data")
	}
	if o.name == "" {
		o.name = "gateway"
	}
	g := &gateway{t: t, name: o.name, addr: freeAddr(t), dataDir: o.dataDir, cfgPath: o.cfgPath}
	g.base = "http://" + g.addr
	g.env = append([]string{"HALLGATE_BOOTSTRAP_ADMIN_TOKEN=" + adminToken, "HALLGATE_DATA_DIR=" + o.dataDir,
		// rate limits high enough for load generators on one address
		"HALLGATE_LOG_LEVEL=info"}, o.env...)
	if o.redisURL != "" {
		g.env = append(g.env, "HALLGATE_REDIS_URL="+o.redisURL, "HALLGATE_REDIS_PREFIX="+o.prefix)
	}
	return g
}

func (g *gateway) start() {
	g.t.Helper()
	args := []string{"serve", "--addr", g.addr}
	if g.cfgPath != "" {
		args = append(args, "--config", g.cfgPath)
	}
	if g.p != nil {
		g.history = append(g.history, g.p.logs())
	}
	g.p = startProc(g.t, g.name, g.env, hallgateBinary(g.t), args...)
	deadline := time.Now().Add(45 * time.Second)
	for time.Now().Before(deadline) {
		if g.p.exited() {
			g.t.Fatalf("%s exited early: %v\n%s", g.name, g.p.err, g.p.logs())
		}
		if st, _, err := do(context.Background(), "GET", g.base+"/readyz", "", "", nil); err == nil && st == 200 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	g.t.Fatalf("%s not ready within 45 s\n%s", g.name, g.p.logs())
}

// allLogs is the output of every life of this replica.
func (g *gateway) allLogs() string {
	s := strings.Join(g.history, "")
	if g.p != nil {
		s += g.p.logs()
	}
	return s
}

var httpClient = &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// do sends one request; body is JSON unless ctype says otherwise.
func do(ctx context.Context, method, url, token, body string, hdr map[string]string) (int, []byte, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func mustDo(t *testing.T, method, url, token, body string, want int) []byte {
	t.Helper()
	st, b, err := do(context.Background(), method, url, token, body, nil)
	if err != nil || st != want {
		t.Fatalf("%s %s: %d %v %s", method, url, st, err, b)
	}
	return b
}

// seedDepartment registers the test department (data, not a dev entry).
func seedDepartment(t *testing.T, base string) {
	t.Helper()
	mustDo(t, "POST", base+"/api/v1/departments/import", adminToken,
		`[{"code":"`+dept+`","name":"故障演练住建局","legacy_hotlines":[],"consolidation_mode":"merged"}]`, 200)
}

// writeConfig writes a YAML config with one httpjson connector to simURL.
func writeConfig(t *testing.T, simURL string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hallgate.yaml")
	cfg := fmt.Sprintf(`rate_limit:
  public: {per_second: 100000, burst: 100000}
  authenticated: {per_second: 100000, burst: 100000}
connectors:
  - name: %s
    kind: httpjson
    department: %s
    callback_secret: %q
    resilience:
      timeout: 2s
      retry: {max_attempts: 2, base_delay: 50ms, max_delay: 200ms}
      breaker: {consecutive_failures: 5, open_timeout: 1s}
    httpjson:
      url: %s/rest/deliveries
`, connectorName, dept, callbackSecret, simURL)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// simulator is one `hallgate simulate` department system.
type simulator struct {
	base string
	p    *proc
}

// startSimulator starts a department system that calls back gatewayBase
// (empty: no callbacks).
func startSimulator(t *testing.T, gatewayBase string) *simulator {
	t.Helper()
	addr := freeAddr(t)
	args := []string{"simulate", "--addr", addr, "--department", dept, "--callback-delay", "100ms"}
	if gatewayBase != "" {
		args = append(args, "--callback-url", gatewayBase+"/api/v1/connectors/"+connectorName+"/callbacks", "--callback-secret", callbackSecret)
	}
	s := &simulator{base: "http://" + addr, p: startProc(t, "simulator", nil, hallgateBinary(t), args...)}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if st, _, err := do(context.Background(), "GET", s.base+"/admin/received", "", "", nil); err == nil && st == 200 {
			return s
		}
		time.Sleep(30 * time.Millisecond)
	}
	t.Fatalf("simulator not up\n%s", s.p.logs())
	return nil
}

type received struct {
	Total      int            `json:"total"`
	Unique     int            `json:"unique"`
	Duplicates int            `json:"duplicates"`
	Rejected   int            `json:"rejected"`
	Keys       map[string]int `json:"keys"`
	Callbacks  int            `json:"callbacks"`
}

func (s *simulator) stats(t *testing.T) received {
	t.Helper()
	var r received
	if err := json.Unmarshal(mustDo(t, "GET", s.base+"/admin/received", "", "", 200), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func (s *simulator) faults(t *testing.T, body string) {
	t.Helper()
	mustDo(t, "POST", s.base+"/admin/faults", "", body, 200)
}

// deliveredTickets maps ticket id → distinct delivery keys the department
// stored for it. Keys are "<ticket>/<department>/<event seq>".
func (r received) deliveredTickets() map[string]int {
	out := map[string]int{}
	for k := range r.Keys {
		id, _, _ := strings.Cut(k, "/")
		out[id]++
	}
	return out
}

// fileTicket files one ticket with an Idempotency-Key, retrying transport
// errors and 5xx until ctx ends: the client the brief describes.
func fileTicket(ctx context.Context, base, key, text string) (id string, attempts int, err error) {
	body := fmt.Sprintf(`{"channel":"hotline","type":"投诉","text":%q,"department":%q}`, text, dept)
	for {
		attempts++
		st, b, err := do(ctx, "POST", base+"/api/v1/tickets", adminToken, body, map[string]string{"Idempotency-Key": key})
		if err == nil && (st == 201 || st == 200) {
			var res struct {
				Ticket struct{ ID string } `json:"ticket"`
			}
			if err := json.Unmarshal(b, &res); err != nil || res.Ticket.ID == "" {
				return "", attempts, fmt.Errorf("answer %d %s: %v", st, b, err)
			}
			return res.Ticket.ID, attempts, nil
		}
		if err == nil && st < 500 && st != 409 && st != 429 {
			return "", attempts, fmt.Errorf("refused %d: %s", st, b)
		}
		select {
		case <-ctx.Done():
			return "", attempts, fmt.Errorf("gave up after %d attempts: %w (last %d %v)", attempts, ctx.Err(), st, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

type ticketRow struct {
	ID     string `json:"id"`
	Text   string `json:"text"`
	Status string `json:"status"`
}

// listTickets pages through every ticket the gateway holds.
func listTickets(t *testing.T, base string) []ticketRow {
	t.Helper()
	var all []ticketRow
	cursor := ""
	for {
		var page struct {
			Tickets    []ticketRow `json:"tickets"`
			NextCursor string      `json:"next_cursor"`
		}
		b := mustDo(t, "GET", base+"/api/v1/tickets?limit=1000&cursor="+cursor, adminToken, "", 200)
		if err := json.Unmarshal(b, &page); err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Tickets...)
		if page.NextCursor == "" {
			return all
		}
		cursor = page.NextCursor
	}
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkDeliveries fails on any lost or duplicated delivery: every ticket
// in want has exactly one stored dispatch at the department, no other
// ticket has any.
func checkDeliveries(t *testing.T, r received, want map[string]bool) {
	t.Helper()
	got := r.deliveredTickets()
	for id := range want {
		switch got[id] {
		case 1:
		case 0:
			t.Errorf("ticket %s: delivery lost", id)
		default:
			t.Errorf("ticket %s: %d distinct deliveries (duplicate effect)", id, got[id])
		}
	}
	for id := range got {
		if !want[id] {
			t.Errorf("delivery for unknown ticket %s", id)
		}
	}
}

// doForm posts an application/x-www-form-urlencoded body.
func doForm(ctx context.Context, target string, form url.Values) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", target, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// undelivered returns the tickets whose delivery the gateway itself does
// not yet record as delivered (state per destination, written with the
// outbox acknowledgement): the department's count alone cannot see a
// delivery that arrived but whose acknowledgement died with a process.
func undelivered(t *testing.T, base string, ids map[string]bool) []string {
	t.Helper()
	var out []string
	for id := range ids {
		var r struct {
			Deliveries []struct {
				State string `json:"state"`
			} `json:"deliveries"`
		}
		st, b, err := do(context.Background(), "GET", base+"/api/v1/tickets/"+id+"/deliveries", adminToken, "", nil)
		if err != nil || st != 200 || json.Unmarshal(b, &r) != nil {
			out = append(out, id)
			continue
		}
		ok := len(r.Deliveries) > 0
		for _, d := range r.Deliveries {
			ok = ok && d.State == "delivered"
		}
		if !ok {
			out = append(out, id)
		}
	}
	return out
}

// waitDelivered waits until the department holds a delivery for every
// ticket and the gateway records every one as delivered.
func waitDelivered(t *testing.T, d time.Duration, what, base string, sim *simulator, want map[string]bool) time.Duration {
	t.Helper()
	start := time.Now()
	var left []string
	defer func() {
		if t.Failed() { // waitFor gave up: say what is missing
			t.Logf("the simulator holds %d of %d tickets; the gateway has not recorded as delivered: %v", len(sim.stats(t).deliveredTickets()), len(want), left)
		}
	}()
	waitFor(t, d, what, func() bool {
		if len(sim.stats(t).deliveredTickets()) < len(want) {
			return false
		}
		left = undelivered(t, base, want)
		return len(left) == 0
	})
	return time.Since(start)
}

// doNDJSON posts a JSON Lines body (imports) as the admin.
func doNDJSON(ctx context.Context, target, body string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", target, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}
