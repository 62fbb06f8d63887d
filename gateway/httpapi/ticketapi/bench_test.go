package ticketapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/gateway/pii"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/store/bolt"
	"github.com/hallgate/hallgate/gateway/store/redis"
	"github.com/hallgate/hallgate/gateway/ticket"
	goredis "github.com/redis/go-redis/v9"
)

// benchStores opens each backend available here: bolt always, Redis when
// HALLGATE_TEST_REDIS_URL is set (under a fresh key prefix).
func benchStores(b *testing.B) map[string]func(b *testing.B) store.Store {
	out := map[string]func(b *testing.B) store.Store{
		"bolt": func(b *testing.B) store.Store {
			st, err := bolt.Open(context.Background(), bolt.Options{Path: filepath.Join(b.TempDir(), "bench.db")})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = st.Close() })
			return st
		},
	}
	if url := os.Getenv("HALLGATE_TEST_REDIS_URL"); url != "" {
		out["redis"] = func(b *testing.B) store.Store {
			prefix := fmt.Sprintf("hgbench%d:", time.Now().UnixNano())
			st, err := redis.Open(context.Background(), redis.Options{URL: url, Prefix: prefix})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() {
				_ = st.Close()
				opt, err := goredis.ParseURL(url)
				if err != nil {
					return
				}
				c := goredis.NewClient(opt)
				defer c.Close()
				ctx := context.Background()
				for iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator(); iter.Next(ctx); {
					c.Del(ctx, iter.Val())
				}
			})
			return st
		}
	} else {
		b.Log("HALLGATE_TEST_REDIS_URL unset: Redis variant skipped")
	}
	return out
}

// serve runs the module on a real loopback listener.
func serve(b *testing.B, st store.Store) string {
	sealer, _ := pii.New(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32))
	svc, err := ticket.NewService(st, ticket.Options{Sealer: sealer, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	app := fiber.New(fiber.Config{ErrorHandler: httpapi.NewErrorHandler(nil), DisableStartupMessage: true})
	app.Use(func(c *fiber.Ctx) error {
		auth.SetPrincipal(c, auth.Principal{ID: "bench", Roles: []auth.Role{auth.RoleAgent}})
		return c.Next()
	})
	for _, r := range New(svc).Routes() {
		app.Add(r.Method, r.Path, auth.Require(r.Roles), r.Handler)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	b.Cleanup(func() { _ = app.Shutdown() })
	return "http://" + ln.Addr().String()
}

// BenchmarkIntakeHTTP files tickets (dispatched at intake, so each commit
// carries a ticket, an idempotency answer and a delivery) through the HTTP
// handler; a 201 means the ticket is durable. Compare with
// BenchmarkBareCommit, the same run's store write rate.
func BenchmarkIntakeHTTP(b *testing.B) {
	for name, open := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			base := serve(b, open(b))
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}
			bodyOf := func(n int64) []byte { // distinct callers and places, as on a real day
				b, _ := json.Marshal(map[string]any{"channel": "hotline", "type": "投诉", "text": strings.Repeat("小区夜间施工噪音扰民，", 10),
					"caller": map[string]any{"name": "张三", "phone": fmt.Sprintf("138%08d", n)}, "district": "江川区",
					"address": fmt.Sprintf("人民路%d号", n), "department": "housing"})
				return b
			}
			var seq atomic.Int64
			b.SetParallelism(8)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := seq.Add(1)
					req, _ := http.NewRequest("POST", base+"/api/v1/tickets", bytes.NewReader(bodyOf(n)))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%d", n))
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 201 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tickets/s")
		})
	}
}

// BenchmarkBareCommit is the store's own rate for a commit of the same shape
// (ticket-sized record, answer record, one outbox item), at the same parallelism.
func BenchmarkBareCommit(b *testing.B) {
	for name, open := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			st := open(b)
			data := bytes.Repeat([]byte("x"), 1800)
			var seq atomic.Int64
			b.SetParallelism(8)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := fmt.Sprintf("r%012d", seq.Add(1))
					_, err := st.Commit(context.Background(), store.Tx{
						Puts: []store.Put{
							{Record: store.Record{Collection: "bench", ID: id, Data: data, Index: map[string]string{"status": "dispatched", "open": "1", "d:housing": "1"}}},
							{Record: store.Record{Collection: "bench_answers", ID: id, Data: data[:600]}},
						},
						Enqueue: []store.OutboxItem{{ID: id, Topic: "bench", Key: "housing", Payload: data}},
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "commits/s")
		})
	}
}
