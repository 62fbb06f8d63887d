package gateway

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hallgate/hallgate/config"
	"github.com/hallgate/hallgate/gateway/store/bolt"
)

// Replicas that start together on one store agree on one generated key,
// and a configured key is never replaced.
func TestSharedKeysAgree(t *testing.T) {
	ctx := context.Background()
	st, err := bolt.Open(ctx, bolt.Options{Path: filepath.Join(t.TempDir(), "k.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfgs := make([]config.Config, 6)
	var wg sync.WaitGroup
	for i := range cfgs {
		wg.Go(func() {
			if err := ensureSharedKeys(ctx, st, &cfgs[i]); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i, c := range cfgs {
		if c.Security.PIIKey == "" || c.Security.PIIKey != cfgs[0].Security.PIIKey || c.Security.HashKey != cfgs[0].Security.HashKey {
			t.Fatalf("replica %d got other keys", i)
		}
		if b, err := config.DecodeKey(c.Security.PIIKey); err != nil || len(b) != 32 {
			t.Fatalf("pii key is not 32 bytes of base64: %v", err)
		}
	}
	if cfgs[0].Security.PIIKey == cfgs[0].Security.HashKey {
		t.Fatal("pii and hash keys are equal")
	}
	own := config.Config{Security: config.Security{PIIKey: "configured"}}
	if err := ensureSharedKeys(ctx, st, &own); err != nil || own.Security.PIIKey != "configured" || own.Security.HashKey != cfgs[0].Security.HashKey {
		t.Fatalf("configured key replaced or hash key missing: %+v %v", own.Security, err)
	}
}
