package ticket

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/devdata"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/pii"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/store/bolt"
	"github.com/hallgate/hallgate/gateway/store/redis"
	goredis "github.com/redis/go-redis/v9"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func cst(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, time.FixedZone("CST", 8*3600))
	if err != nil {
		panic(err)
	}
	return t
}

func testSealer(t testing.TB) *pii.Sealer {
	t.Helper()
	s, err := pii.New(bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var knownDepartments = map[string]bool{"tax": true, "housing": true, "eco": true, "transport": true, "water": true, "health": true}

type env struct {
	st   store.Store
	svc  *Service
	clk  *clock
	logs *syncBuffer
}

func openBolt(t testing.TB) store.Store {
	t.Helper()
	st, err := bolt.Open(context.Background(), bolt.Options{Path: filepath.Join(t.TempDir(), "t.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Buffer.Write(p)
}

func newEnv(t testing.TB, mod func(*Options)) *env {
	t.Helper()
	st := openBolt(t)
	return newEnvOn(t, st, mod)
}

func newEnvOn(t testing.TB, st store.Store, mod func(*Options)) *env {
	t.Helper()
	clk := &clock{t: cst("2026-03-02 09:00")} // a Monday
	logs := &syncBuffer{}
	opts := Options{
		Sealer: testSealer(t),
		Now:    clk.Now,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		DepartmentExists: func(_ context.Context, code string) (bool, error) {
			return knownDepartments[code], nil
		},
	}
	if mod != nil {
		mod(&opts)
	}
	svc, err := NewService(st, opts)
	if err != nil {
		t.Fatal(err)
	}
	return &env{st: st, svc: svc, clk: clk, logs: logs}
}

var (
	agent      = auth.Principal{ID: "a1", Name: "坐席1", Roles: []auth.Role{auth.RoleAgent}}
	supervisor = auth.Principal{ID: "s1", Name: "班长", Roles: []auth.Role{auth.RoleSupervisor}}
	editor     = auth.Principal{ID: "e1", Roles: []auth.Role{auth.RoleEditor}}
)

func dept(code string) auth.Principal {
	return auth.Principal{ID: "dept-" + code, Roles: []auth.Role{auth.DepartmentRole(code)}}
}

const (
	testPhone = "13812345678"
	testName  = "王小明"
)

func sampleIntake() Intake {
	return Intake{Channel: ChannelHotline, Type: TypeComplaint, Text: "小区门口夜间施工噪音很大，影响休息。",
		Caller: Caller{Name: testName, Phone: testPhone}, District: "江川区", Address: "江川区滨江路8号", Category: "噪音"}
}

func (e *env) create(t testing.TB, in Intake) *Ticket {
	t.Helper()
	ans, err := e.svc.Create(context.Background(), agent, in, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return ans.Result.Ticket
}

func (e *env) apply(t testing.TB, p auth.Principal, id string, c Command) *Ticket {
	t.Helper()
	tk, err := e.svc.Apply(context.Background(), p, id, c)
	if err != nil {
		t.Fatalf("%s: %v", c.Type, err)
	}
	return tk
}

// drain claims every queued delivery.
func drain(t testing.TB, st store.Store) []connectors.Delivery {
	t.Helper()
	items, err := st.Claim(context.Background(), DeliveryTopic, "test", 1000, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var out []connectors.Delivery
	for _, it := range items {
		var d connectors.Delivery
		if err := json.Unmarshal(it.Payload, &d); err != nil {
			t.Fatal(err)
		}
		if d.IdempotencyKey != it.ID || it.Key != d.Department {
			t.Fatalf("item %s key %s does not match delivery %+v", it.ID, it.Key, d)
		}
		if err := st.Ack(context.Background(), it); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// devData returns ../shared/data/<name> relative to the repository root, or skips.
func devData(t testing.TB, name string) string { return devdata.File(t, name) }

func eventOf(typ, code string) connectors.Event {
	return connectors.Event{ID: "ev-" + typ, Type: typ, TicketCode: code, At: time.Now()}
}

// opener opens a fresh, empty store for one test.
type opener func(t testing.TB) store.Store

// forEachStore runs fn on bolt, and on Redis when HALLGATE_TEST_REDIS_URL is
// set (each run under its own key prefix, deleted afterwards).
func forEachStore(t *testing.T, fn func(t *testing.T, open opener)) {
	t.Run("bolt", func(t *testing.T) { fn(t, openBolt) })
	t.Run("redis", func(t *testing.T) {
		url := os.Getenv("HALLGATE_TEST_REDIS_URL")
		if url == "" {
			t.Skip("HALLGATE_TEST_REDIS_URL unset (e.g. redis://127.0.0.1:6390/0): Redis variant skipped")
		}
		fn(t, func(t testing.TB) store.Store {
			prefix := fmt.Sprintf("hgticket%d:", time.Now().UnixNano())
			st, err := redis.Open(context.Background(), redis.Options{URL: url, Prefix: prefix})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				_ = st.Close()
				opt, err := goredis.ParseURL(url)
				if err != nil {
					return
				}
				c := goredis.NewClient(opt)
				defer c.Close()
				ctx := context.Background()
				iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
				for iter.Next(ctx) {
					c.Del(ctx, iter.Val())
				}
			})
			return st
		})
	})
}
