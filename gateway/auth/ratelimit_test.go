package auth

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

func TestTokenBucket(t *testing.T) {
	now := time.Unix(0, 0)
	l := NewTokenBucket(2, 3)
	l.now = func() time.Time { return now }
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if ok, _, _ := l.Allow(ctx, "a"); !ok {
			t.Fatalf("burst request %d refused", i)
		}
	}
	ok, wait, _ := l.Allow(ctx, "a")
	if ok || wait <= 0 || wait > 500*time.Millisecond {
		t.Fatalf("4th request: ok=%v wait=%v", ok, wait)
	}
	if ok, _, _ := l.Allow(ctx, "b"); !ok {
		t.Fatal("keys must not share a bucket")
	}
	now = now.Add(500 * time.Millisecond) // refills one token at 2/s
	if ok, _, _ := l.Allow(ctx, "a"); !ok {
		t.Fatal("refill did not happen")
	}
	if ok, _, _ := l.Allow(ctx, "a"); ok {
		t.Fatal("refilled more than the rate")
	}
	if ok, _, _ := NewTokenBucket(0, 1).Allow(ctx, "x"); !ok {
		t.Fatal("rate 0 must allow everything")
	}
}

func TestTokenBucketSweepBoundsMemory(t *testing.T) {
	now := time.Unix(0, 0)
	l := NewTokenBucket(10, 1)
	l.now = func() time.Time { return now }
	l.sweepAt = 100
	for i := 0; i < 1000; i++ {
		now = now.Add(time.Second)
		l.Allow(context.Background(), fmt.Sprint(i))
	}
	if n := len(l.buckets); n > 100 {
		t.Fatalf("%d buckets kept", n)
	}
}

func TestRateLimitMiddleware(t *testing.T) {
	app := fiber.New()
	app.Use(RateLimit(NewTokenBucket(0.001, 2), func(c *fiber.Ctx) string { return "k" }))
	app.Get("/", func(c *fiber.Ctx) error { return c.SendString("ok") })
	for i, want := range []int{200, 200, 429} {
		resp, err := app.Test(httptest.NewRequest("GET", "/", nil))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("request %d: %d, want %d", i, resp.StatusCode, want)
		}
		if want == 429 && resp.Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
	}
}

func BenchmarkTokenBucketParallel(b *testing.B) {
	l := NewTokenBucket(1e9, 1e6)
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.Allow(ctx, fmt.Sprint(i%64))
			i++
		}
	})
}
