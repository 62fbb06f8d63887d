package dispatch_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hallgate/hallgate/connectors/simulator"
	"github.com/hallgate/hallgate/gateway/dispatch"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/store/bolt"
	"github.com/hallgate/hallgate/gateway/store/redis"
)

// Environment of a relay child process (the test binary re-executed).
const (
	envChildStore = "HALLGATE_DISPATCH_CHILD_STORE" // "bolt:<path>" or "redis:<url>|<prefix>"
	envChildSim   = "HALLGATE_DISPATCH_CHILD_SIM"   // simulator base URL
)

func TestMain(m *testing.M) {
	if target := os.Getenv(envChildStore); target != "" {
		os.Exit(relayChild(target, os.Getenv(envChildSim)))
	}
	os.Exit(m.Run())
}

func openTarget(ctx context.Context, target string) (store.Store, error) {
	kind, arg, _ := strings.Cut(target, ":")
	switch kind {
	case "bolt":
		return bolt.Open(ctx, bolt.Options{Path: arg})
	case "redis":
		u, prefix, _ := strings.Cut(arg, "|")
		return redis.Open(ctx, redis.Options{URL: u, Prefix: prefix})
	}
	return nil, fmt.Errorf("unknown target %q", target)
}

// relayChild runs a relay until SIGTERM, like `hallgate serve` would.
func relayChild(target, simURL string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	st, err := openTarget(ctx, target)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		return 2
	}
	defer st.Close()
	reg := dispatch.NewRegistry()
	_ = reg.Put(restEntry(&testing.T{}, "zjj-rest", "ZJJ", simURL, nil))
	cfg := fastRelay()
	cfg.Consumer = fmt.Sprintf("child-%d", os.Getpid())
	cfg.Lease = 2 * time.Second
	cfg.Workers = 16
	relay, err := dispatch.New(st, reg, cfg, dispatch.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child relay:", err)
		return 2
	}
	fmt.Println("ready")
	// Report the queue so the parent knows when the work is done (it
	// cannot open the bolt file while this process holds it).
	go func() {
		for ctx.Err() == nil {
			if p, err := st.Pending(ctx, "delivery"); err == nil {
				fmt.Printf("pending %d\n", p["ZJJ"].Depth)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	if err := relay.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "child run:", err)
		return 1
	}
	return 0
}

// child is a relay process and the last queue depth it reported.
type child struct {
	*exec.Cmd
	pending atomic.Int64
}

func startChild(t *testing.T, target, simURL string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChildStore+"="+target, envChildSim+"="+simURL)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(out)
	line, _ := rd.ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("relay child did not start: %q", line)
	}
	c := &child{Cmd: cmd}
	c.pending.Store(-1)
	go func() {
		sc := bufio.NewScanner(rd)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "pending "); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				c.pending.Store(n)
			}
		}
	}()
	return c
}

// TestRelayKilledMidDispatch kills the relay process with SIGKILL in the
// middle of 1,000 deliveries; a restarted relay completes every one.
func TestRelayKilledMidDispatch(t *testing.T) {
	if testing.Short() {
		t.Skip("starts relay processes; skipped with -short")
	}
	for _, kind := range []string{"bolt", "redis"} {
		t.Run(kind, func(t *testing.T) { t.Parallel(); killed(t, kind) })
	}
}

func killed(t *testing.T, kind string) {
	const n = 1000
	ctx := t.Context()
	var target string
	switch kind {
	case "bolt":
		target = "bolt:" + filepath.Join(t.TempDir(), "hallgate.db")
	case "redis":
		u := os.Getenv("HALLGATE_TEST_REDIS_URL")
		if u == "" {
			t.Skip("HALLGATE_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6397/0); skipping Redis variant")
		}
		target = fmt.Sprintf("redis:%s|dispatchkill:%d:", u, time.Now().UnixNano())
	}
	st, err := openTarget(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	enqueue(ctx, t, st, "k", 0, n, 100, "ZJJ")
	if kind == "bolt" {
		st.Close() // one process holds the file
	} else {
		defer st.Close()
	}

	sim := simulator.New(simulator.Options{Department: "ZJJ"})
	sim.SetFaults(simulator.Faults{LatencyMS: 5})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()

	child := startChild(t, target, srv.URL)
	waitFor(t, 30*time.Second, "deliveries to start arriving", func() bool { return sim.Stats().Unique >= n/4 })
	_ = child.Process.Signal(syscall.SIGKILL)
	_ = child.Wait()
	atKill := sim.Stats().Unique

	child = startChild(t, target, srv.URL)
	// Items the killed relay had claimed come back when their lease ends.
	waitFor(t, 60*time.Second, "every delivery after the restart", func() bool {
		return sim.Stats().Unique == n && child.pending.Load() == 0
	})
	_ = child.Process.Signal(syscall.SIGTERM)
	if err := child.Wait(); err != nil {
		t.Fatalf("relay did not stop cleanly on SIGTERM: %v", err)
	}

	if kind == "bolt" {
		if st, err = openTarget(ctx, target); err != nil {
			t.Fatal(err)
		}
		defer st.Close()
	}
	s := sim.Stats()
	p, _ := st.Pending(ctx, "delivery")
	dead, _ := st.ListDeadLetters(ctx, "delivery", 10)
	delivered, _ := st.Count(ctx, dispatch.CollDeliveries, map[string]string{"state": dispatch.StateDelivered})
	t.Logf("%s: sent %d, arrived %d unique (%d before SIGKILL), %d duplicates absorbed; pending %d, dead %d, delivered states %d",
		kind, n, s.Unique, atKill, s.Duplicates, p["ZJJ"].Depth, len(dead), delivered)
	if atKill >= n {
		t.Fatalf("the relay finished before it was killed; the test proves nothing")
	}
	if p["ZJJ"].Depth != 0 || len(dead) != 0 || delivered != n {
		t.Fatalf("after restart: pending %d, dead %d, delivered states %d", p["ZJJ"].Depth, len(dead), delivered)
	}
}

// TestRedisRestartedMidDispatch restarts a redis-server (its own, on a
// free port, AOF with appendfsync always) in the middle of 1,000 deliveries.
func TestRedisRestartedMidDispatch(t *testing.T) {
	if os.Getenv("HALLGATE_TEST_REDIS_URL") == "" {
		t.Skip("HALLGATE_TEST_REDIS_URL is not set; skipping Redis restart test")
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not on PATH; skipping Redis restart test")
	}
	const n = 1000
	port := freePort(t)
	dir := t.TempDir()
	startRedis := func() *exec.Cmd {
		cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "redis-server to listen", func() bool {
			c, err := net.Dial("tcp", "127.0.0.1:"+port)
			if err == nil {
				c.Close()
			}
			return err == nil
		})
		return cmd
	}
	rs := startRedis()
	defer func() { _ = rs.Process.Kill(); _ = rs.Wait() }()

	ctx := t.Context()
	st, err := redis.Open(ctx, redis.Options{URL: "redis://127.0.0.1:" + port + "/0"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sim := simulator.New(simulator.Options{Department: "ZJJ"})
	sim.SetFaults(simulator.Faults{LatencyMS: 5})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()
	reg := dispatch.NewRegistry()
	_ = reg.Put(restEntry(t, "zjj-rest", "ZJJ", srv.URL, nil))
	cfg := fastRelay()
	cfg.Lease = 2 * time.Second
	_, stop := runRelay(t, st, reg, cfg)

	enqueue(ctx, t, st, "r", 0, n, 100, "ZJJ")
	waitFor(t, 30*time.Second, "deliveries to start arriving", func() bool { return sim.Stats().Unique >= n/4 })
	_ = rs.Process.Signal(syscall.SIGKILL)
	_ = rs.Wait()
	atKill := sim.Stats().Unique
	time.Sleep(500 * time.Millisecond)
	rs = startRedis()
	waitFor(t, 60*time.Second, "every delivery after the Redis restart", func() bool {
		p, err := st.Pending(ctx, "delivery")
		return err == nil && sim.Stats().Unique == n && p["ZJJ"].Depth == 0
	})
	stop()
	s := sim.Stats()
	dead, _ := st.ListDeadLetters(ctx, "delivery", 10)
	t.Logf("redis restart: sent %d, arrived %d unique (%d before the kill), %d duplicates absorbed, dead %d", n, s.Unique, atKill, s.Duplicates, len(dead))
	if len(dead) != 0 {
		t.Fatalf("dead letters after a Redis restart: %+v", dead)
	}
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}
