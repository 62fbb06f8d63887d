package partner_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/partner"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/store/bolt"
	"github.com/hallgate/hallgate/gateway/store/redis"
)

// stores returns the embedded store and, when HALLGATE_TEST_REDIS_URL is
// set, Redis too: usage must be exact on both.
func stores(t *testing.T) map[string]store.Store {
	t.Helper()
	return benchStores(t)
}

func benchStores(t testing.TB) map[string]store.Store {
	t.Helper()
	ctx := context.Background()
	out := map[string]store.Store{}
	b, err := bolt.Open(ctx, bolt.Options{Path: filepath.Join(t.TempDir(), "h.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	out["bolt"] = b
	if url := os.Getenv("HALLGATE_TEST_REDIS_URL"); url != "" {
		r, err := redis.Open(ctx, redis.Options{URL: url, Prefix: fmt.Sprintf("hgtest-partner-%s-%d:", t.Name(), time.Now().UnixNano())})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Close() })
		out["redis"] = r
	} else {
		t.Log("HALLGATE_TEST_REDIS_URL unset: Redis variant skipped")
	}
	return out
}

var spec = partner.Spec{Name: "县融媒体中心", Origins: []string{"https://media.example.cn"}, RateLimitPerMinute: 60,
	Features: []partner.Feature{partner.FeatureSearch, partner.FeatureMessages}}

func TestSpecValidateListsEveryProblem(t *testing.T) {
	bad := partner.Spec{Origins: []string{"https://a.example.cn/path", "*.example.cn", "HTTPS://B.CN"}, Features: []partner.Feature{"search", "nope"}}
	err := bad.Normalize().Validate()
	var ve *partner.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want ValidationError, got %v", err)
	}
	fields := map[string]int{}
	for _, f := range ve.Fields {
		fields[f.Field]++
	}
	if fields["name"] != 1 || fields["origins"] != 3 || fields["rate_limit_per_minute"] != 1 || fields["features"] != 1 {
		t.Fatalf("fields = %v (%v)", fields, err)
	}
	if err := spec.Normalize().Validate(); err != nil {
		t.Fatalf("valid spec refused: %v", err)
	}
}

func TestKeyHashedAtRestAndRevocable(t *testing.T) {
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			reg := partner.NewRegistry(st, auth.NewTokens(st, ""))
			p, key, err := reg.Create(ctx, spec, "admin")
			if err != nil {
				t.Fatal(err)
			}
			if len(key) < 32 {
				t.Fatalf("key too short: %d", len(key))
			}
			// The store never holds the key: not in the partner, not in the token.
			for _, coll := range []string{partner.Collection, auth.TokensCollection} {
				page, err := st.List(ctx, coll, store.ListOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Records) == 0 {
					t.Fatalf("%s: no records", coll)
				}
				for _, rec := range page.Records {
					if bytes.Contains(rec.Data, []byte(key)) {
						t.Fatalf("%s/%s holds the key in clear", coll, rec.ID)
					}
				}
			}
			tok, err := st.Get(ctx, auth.TokensCollection, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256([]byte(key))
			if !bytes.Contains(tok.Data, []byte(hex.EncodeToString(sum[:]))) {
				t.Fatal("token record does not hold the key's SHA-256")
			}
			got, err := reg.Resolve(ctx, key)
			if err != nil || got.ID != p.ID {
				t.Fatalf("Resolve = %v, %v", got.ID, err)
			}
			if _, err := reg.Resolve(ctx, key+"x"); !errors.Is(err, partner.ErrUnauthenticated) {
				t.Fatalf("wrong key: %v", err)
			}
			if ok, err := reg.OriginKnown(ctx, "https://media.example.cn"); err != nil || !ok {
				t.Fatalf("origin not known: %v %v", ok, err)
			}
			if _, err := reg.Revoke(ctx, p.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := reg.Resolve(ctx, key); !errors.Is(err, partner.ErrUnauthenticated) {
				t.Fatalf("revoked key resolves: %v", err)
			}
			if _, err := reg.Revoke(ctx, p.ID); !errors.Is(err, partner.ErrRevoked) {
				t.Fatalf("second revoke: %v", err)
			}
			if ok, _ := reg.OriginKnown(ctx, "https://media.example.cn"); ok {
				t.Fatal("revoked partner's origin still known")
			}
			list, err := reg.List(ctx)
			if err != nil || len(list) != 1 || !list[0].Revoked {
				t.Fatalf("List = %+v, %v", list, err)
			}
		})
	}
}

func TestUsageExactUnderConcurrency(t *testing.T) {
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			reg := partner.NewRegistry(st, auth.NewTokens(st, ""))
			a, _, err := reg.Create(ctx, spec, "admin")
			if err != nil {
				t.Fatal(err)
			}
			b, _, err := reg.Create(ctx, spec, "admin")
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]map[string]int{a.ID: {"search": 37, "messages": 11}, b.ID: {"search": 5}}
			var wg sync.WaitGroup
			errs := make(chan error, 100)
			for id, eps := range want {
				for ep, n := range eps {
					for range n {
						wg.Add(1)
						go func() {
							defer wg.Done()
							if err := reg.Count(ctx, id, ep); err != nil {
								errs <- err
							}
						}()
					}
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			for id, eps := range want {
				u, err := reg.Usage(ctx, id, "", "", []string{"search", "messages", "tracking"})
				if err != nil {
					t.Fatal(err)
				}
				total := 0
				for _, n := range eps {
					total += n
				}
				if u.Total != total || len(u.Days) != 7 {
					t.Fatalf("%s: total %d want %d, days %d", id, u.Total, total, len(u.Days))
				}
				today := u.Days[len(u.Days)-1]
				for ep, n := range eps {
					if today.ByEndpoint[ep] != n {
						t.Fatalf("%s %s: %d want %d", id, ep, today.ByEndpoint[ep], n)
					}
				}
				if len(today.ByEndpoint) != len(eps) {
					t.Fatalf("%s: endpoints %v", id, today.ByEndpoint)
				}
			}
			if _, err := reg.Usage(ctx, a.ID, "2026-01-02", "2026-01-01", nil); !errors.Is(err, partner.ErrBadRange) {
				t.Fatalf("reversed range: %v", err)
			}
		})
	}
}
