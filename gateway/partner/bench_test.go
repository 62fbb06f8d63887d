package partner_test

import (
	"context"
	"testing"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/partner"
)

// BenchmarkCount is the per-call cost of exact usage counting (one durable
// record per call), in parallel as under real traffic.
func BenchmarkCount(b *testing.B) {
	for name, st := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			reg := partner.NewRegistry(st, auth.NewTokens(st, ""))
			p, _, err := reg.Create(ctx, spec, "admin")
			if err != nil {
				b.Fatal(err)
			}
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := reg.Count(ctx, p.ID, "search"); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkResolve is the cost of turning an X-Partner-Key into its partner.
func BenchmarkResolve(b *testing.B) {
	for name, st := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			reg := partner.NewRegistry(st, auth.NewTokens(st, ""))
			_, key, err := reg.Create(ctx, spec, "admin")
			if err != nil {
				b.Fatal(err)
			}
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := reg.Resolve(ctx, key); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
