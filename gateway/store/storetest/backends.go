package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/store/bolt"
	"github.com/hallgate/hallgate/gateway/store/redis"
)

// Backends returns openers of a fresh store for a package's own tests
// that run on both backends: bolt always (a file in the test's temporary
// directory), Redis when HALLGATE_TEST_REDIS_URL is set (a random key
// prefix under name). Each store is closed when its test ends.
func Backends(t *testing.T, name string) map[string]func(t *testing.T) store.Store {
	out := map[string]func(t *testing.T) store.Store{
		"bolt": func(t *testing.T) store.Store {
			st, err := bolt.Open(context.Background(), bolt.Options{Path: filepath.Join(t.TempDir(), name+".db")})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			return st
		},
	}
	if url := os.Getenv("HALLGATE_TEST_REDIS_URL"); url != "" {
		out["redis"] = func(t *testing.T) store.Store {
			var b [6]byte
			_, _ = rand.Read(b[:])
			st, err := redis.Open(context.Background(), redis.Options{URL: url, Prefix: name + "test:" + hex.EncodeToString(b[:]) + ":"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			return st
		}
	} else {
		t.Log("HALLGATE_TEST_REDIS_URL not set; the Redis variant is skipped")
	}
	return out
}
