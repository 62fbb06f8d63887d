package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/store/redis"
	"github.com/hallgate/hallgate/gateway/store/storetest"
)

func TestMain(m *testing.M) {
	storetest.CrashChild(openTarget)
	code := m.Run()
	for _, f := range sharedCleanups {
		f()
	}
	os.Exit(code)
}

// sharedCleanups remove stores that outlive one test or benchmark.
var sharedCleanups []func()

// openShared opens a store under a fresh prefix that lives until the process ends.
func openShared(t testing.TB, url string) *redis.Store {
	t.Helper()
	prefix := freshPrefix()
	s, err := redis.Open(context.Background(), redis.Options{URL: url, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	sharedCleanups = append(sharedCleanups, func() {
		cleanup(s, prefix)
		_ = s.Close()
	})
	return s
}

// openTarget opens "url|prefix".
func openTarget(ctx context.Context, target string) (store.Store, error) {
	url, prefix, _ := strings.Cut(target, "|")
	return redis.Open(ctx, redis.Options{URL: url, Prefix: prefix})
}

func redisURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("HALLGATE_TEST_REDIS_URL")
	if u == "" {
		t.Skip("HALLGATE_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6390/0); skipping Redis tests")
	}
	return u
}

func freshPrefix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "hgtest:" + hex.EncodeToString(b[:]) + ":"
}

// openFresh opens a store under a random prefix and deletes its keys afterwards.
func openFresh(t testing.TB, url string) *redis.Store {
	t.Helper()
	prefix := freshPrefix()
	s, err := redis.Open(context.Background(), redis.Options{URL: url, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cleanup(s, prefix)
		_ = s.Close()
	})
	return s
}

func cleanup(s *redis.Store, prefix string) {
	ctx := context.Background()
	iter := s.Client().Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
		if len(keys) == 500 {
			s.Client().Unlink(ctx, keys...)
			keys = keys[:0]
		}
	}
	if len(keys) > 0 {
		s.Client().Unlink(ctx, keys...)
	}
}

func TestConformance(t *testing.T) {
	url := redisURL(t)
	storetest.Run(t, func(t *testing.T) store.Store { return openFresh(t, url) }, storetest.Features{ExactLeaseExpiry: true})
}

func TestValidate(t *testing.T) {
	err := redis.Options{URL: "http://x", WaitReplicas: -1, Prefix: "a\x00"}.Validate()
	if err == nil {
		t.Fatal("invalid options accepted")
	}
	for _, want := range []string{"url", "wait_replicas", "prefix"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("%q missing from %q", want, err)
		}
	}
	if err := (redis.Options{}).Validate(); err == nil || !strings.Contains(err.Error(), "url: required") {
		t.Fatalf("empty url: %v", err)
	}
	if err := (redis.Options{URL: "redis://127.0.0.1:6379/0"}).WithDefaults().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestCrashClient(t *testing.T) {
	url := redisURL(t)
	prefix := freshPrefix()
	t.Cleanup(func() {
		if s, err := redis.Open(context.Background(), redis.Options{URL: url, Prefix: prefix}); err == nil {
			cleanup(s, prefix)
			_ = s.Close()
		}
	})
	storetest.RunCrash(t, storetest.CrashOptions{Target: url + "|" + prefix, Open: openTarget})
}
