package redis_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/store/redis"
	"github.com/hallgate/hallgate/gateway/store/storetest"
	goredis "github.com/redis/go-redis/v9"
)

// redisServer is a redis-server process owned by one test.
type redisServer struct {
	bin, dir string
	port     int
	cmd      *exec.Cmd
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// start runs redis-server with AOF fsync'd on every write and waits until it
// answers (after loading its AOF).
func (r *redisServer) start(t *testing.T) {
	t.Helper()
	r.cmd = exec.Command(r.bin, "--port", fmt.Sprint(r.port), "--bind", "127.0.0.1", "--dir", r.dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no", "--logfile", filepath.Join(r.dir, "redis.log"))
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(&goredis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", r.port)})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := c.Ping(context.Background()).Err()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r *redisServer) kill() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Signal(syscall.SIGKILL)
		_ = r.cmd.Wait()
	}
}

func (r *redisServer) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

// TestCrashServer kills redis-server itself (SIGKILL) in the middle of the
// child's writes, restarts it on the same AOF and checks every acknowledged
// write. Needs HALLGATE_TEST_REDIS_SERVER_BIN (the redis-server binary).
func TestCrashServer(t *testing.T) {
	bin := os.Getenv("HALLGATE_TEST_REDIS_SERVER_BIN")
	if bin == "" {
		t.Skip("HALLGATE_TEST_REDIS_SERVER_BIN is not set (path of redis-server); skipping the server crash test")
	}
	srv := &redisServer{bin: bin, dir: t.TempDir(), port: freePort(t)}
	srv.start(t)
	t.Cleanup(srv.kill)
	storetest.RunCrash(t, storetest.CrashOptions{
		Target: srv.url() + "|hallgate:",
		Open:   openTarget,
		Kill: func(t *testing.T, child *os.Process) {
			srv.kill()
			// The child stops on its first failed commit; make sure it is gone.
			time.AfterFunc(5*time.Second, func() { _ = child.Kill() })
		},
		Restart: func(t *testing.T) { srv.start(t) },
	})
}

// TestWaitReplicas: with no replica attached, a commit asking for one must
// fail with ErrNotReplicated after WaitTimeout (the write itself is applied).
func TestWaitReplicas(t *testing.T) {
	url := redisURL(t)
	prefix := freshPrefix()
	s, err := redis.Open(context.Background(), redis.Options{URL: url, Prefix: prefix, WaitReplicas: 1, WaitTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cleanup(s, prefix); _ = s.Close() })
	start := time.Now()
	_, err = s.Commit(context.Background(), store.Tx{Puts: []store.Put{{Record: store.Record{Collection: "c", ID: "a", Data: []byte(`1`)}}}})
	if !errors.Is(err, redis.ErrNotReplicated) {
		t.Fatalf("commit = %v, want ErrNotReplicated", err)
	}
	if d := time.Since(start); d < 90*time.Millisecond {
		t.Fatalf("WAIT returned after %s, before its timeout", d)
	}
	if r, err := s.Get(context.Background(), "c", "a"); err != nil || r.Version != 1 {
		t.Fatalf("record after unreplicated commit: %+v, %v", r, err)
	}
	// A conflict is reported as a conflict, not as a replication failure.
	_, err = s.Commit(context.Background(), store.Tx{Puts: []store.Put{{Record: store.Record{Collection: "c", ID: "a", Data: []byte(`1`)}}}})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("conflicting commit = %v", err)
	}
}
