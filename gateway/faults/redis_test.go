package faults_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// redisServer is this test's own redis-server child (appendfsync always),
// so it can be SIGKILLed and restarted on the same port and directory.
type redisServer struct {
	t    *testing.T
	bin  string
	port string
	dir  string
	p    *proc
}

func startRedis(t *testing.T) *redisServer {
	t.Helper()
	bin := os.Getenv("HALLGATE_TEST_REDIS_SERVER_BIN")
	if bin == "" {
		t.Skip("HALLGATE_TEST_REDIS_SERVER_BIN (path of redis-server) not set; skipping the Redis fault case")
	}
	_, port, _ := net.SplitHostPort(freeAddr(t))
	r := &redisServer{t: t, bin: bin, port: port, dir: t.TempDir()}
	r.start()
	return r
}

func (r *redisServer) url() string { return "redis://127.0.0.1:" + r.port + "/0" }

func (r *redisServer) start() {
	r.t.Helper()
	r.p = startProc(r.t, "redis", nil, r.bin, "--port", r.port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
		"--appendfsync", "always", "--dir", r.dir, "--daemonize", "no")
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", "127.0.0.1:"+r.port); err == nil {
			fmt.Fprint(c, "PING\r\n")
			buf := make([]byte, 64)
			c.SetReadDeadline(time.Now().Add(time.Second))
			n, _ := c.Read(buf)
			c.Close()
			if strings.HasPrefix(string(buf[:n]), "+PONG") {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.t.Fatalf("redis-server not up\n%s", r.p.logs())
}

// TestRedisRestartDuringIntake (c): redis-server is SIGKILLed and
// restarted (AOF, appendfsync always) while clients file tickets and the
// relay dispatches; every acknowledged ticket exists once, every delivery
// arrives once in effect.
func TestRedisRestartDuringIntake(t *testing.T) {
	t.Parallel()
	rs := startRedis(t)
	n := 60
	if longRun() {
		n = 600
	}
	g := newGateway(t, gatewayOpts{redisURL: rs.url(), prefix: "faults:"})
	sim := startSimulator(t, g.base)
	g.cfgPath = writeConfig(t, sim.base)
	g.start()
	seedDepartment(t, g.base)

	var killed atomic.Bool
	restarted := make(chan struct{})
	onAck := func(k int) {
		if k >= n/3 && killed.CompareAndSwap(false, true) {
			rs.p.kill()
			go func() {
				time.Sleep(time.Second)
				rs.start()
				close(restarted)
			}()
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	acked := intake(t, ctx, func() string { return g.base }, "redis", n, 8, onAck)
	<-restarted
	stored := checkStored(t, g.base, acked)
	want := idSet(acked)
	// A delivery whose acknowledgement was lost with Redis returns when its
	// 2-minute lease ends.
	took := waitDelivered(t, 170*time.Second, "every delivery after the Redis restart", g.base, sim, want)
	r := sim.stats(t)
	checkDeliveries(t, r, want)
	t.Logf("redis SIGKILL+restart during intake: sent %d, acknowledged %d, stored %d, delivered %d unique (%d duplicates absorbed; drained %v after intake)",
		n, len(acked), stored, r.Unique, r.Duplicates, took.Round(time.Second))
}

// TestReplicaDiesHoldingClaims (e): two replicas share one Redis; one is
// SIGKILLed while its claimed deliveries wait on a slow department; the
// other delivers them after their lease (2 minutes) ends.
func TestReplicaDiesHoldingClaims(t *testing.T) {
	t.Parallel()
	if !longRun() {
		t.Skip("waits out the relay's 2-minute delivery lease; set HALLGATE_FAULTS=long")
	}
	rs := startRedis(t)
	a := newGateway(t, gatewayOpts{name: "replica-a", redisURL: rs.url(), prefix: "faults:"})
	b := newGateway(t, gatewayOpts{name: "replica-b", redisURL: rs.url(), prefix: "faults:", dataDir: a.dataDir + "-b"})
	sim := startSimulator(t, a.base)
	a.cfgPath = writeConfig(t, sim.base)
	b.cfgPath = a.cfgPath
	a.start()
	b.start()
	seedDepartment(t, a.base)
	// Every delivery hangs until the connector gives up (nothing stored), so
	// both replicas hold claimed items when one of them is killed.
	sim.faults(t, `{"timeout_rate":1}`)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	n := 120
	var i atomic.Int64
	acked := intake(t, ctx, func() string {
		if i.Add(1)%2 == 0 {
			return a.base
		}
		return b.base
	}, "replica", n, 8, nil)
	time.Sleep(time.Second)
	atKill := sim.stats(t).Unique
	a.p.kill()
	sim.faults(t, `{}`)
	killedAt := time.Now()
	want := idSet(acked)
	waitDelivered(t, 200*time.Second, "every delivery by the surviving replica", b.base, sim, want)
	took := time.Since(killedAt)
	r := sim.stats(t)
	checkDeliveries(t, r, want)
	stored := checkStored(t, b.base, acked)
	t.Logf("replica SIGKILL holding claims: sent %d, stored %d, delivered %d unique (%d before the kill, %d duplicates absorbed), all delivered %v after the kill",
		n, stored, r.Unique, atKill, r.Duplicates, took.Round(time.Second))
}
