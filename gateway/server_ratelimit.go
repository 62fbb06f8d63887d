package gateway

import (
	"context"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	goredis "github.com/redis/go-redis/v9"

	"github.com/hallgate/hallgate/config"
	"github.com/hallgate/hallgate/gateway/auth"
)

// rateLimiter builds the limiter for module routes: on Redis the buckets
// are shared by every replica; on the embedded store (one process) they
// are in-process.
func (a *App) rateLimiter() auth.Limiter {
	pub, au := a.Config.RateLimit.Public, a.Config.RateLimit.Authenticated
	if a.Config.StoreBackend() == config.BackendRedis {
		if opts, err := goredis.ParseURL(a.Config.Redis.URL); err == nil {
			rdb := goredis.NewClient(opts)
			a.OnStop(func(context.Context) error { return rdb.Close() })
			prefix := a.Config.Redis.Prefix + "ratelimit:"
			return principalLimiter{
				public: auth.NewRedisLimiter(rdb, prefix, pub.PerSecond, pub.Burst),
				authed: auth.NewRedisLimiter(rdb, prefix, au.PerSecond, au.Burst),
			}
		}
	}
	return principalLimiter{
		public: auth.NewTokenBucket(pub.PerSecond, pub.Burst),
		authed: auth.NewTokenBucket(au.PerSecond, au.Burst),
	}
}

// signInLimiter bounds staff sign-in attempts per client address
// (rate_limit.sign_in), shared across replicas on Redis.
func (a *App) signInLimiter() auth.Limiter {
	b := a.Config.RateLimit.SignIn
	if a.Config.StoreBackend() == config.BackendRedis {
		if opts, err := goredis.ParseURL(a.Config.Redis.URL); err == nil {
			rdb := goredis.NewClient(opts)
			a.OnStop(func(context.Context) error { return rdb.Close() })
			return auth.NewRedisLimiter(rdb, a.Config.Redis.Prefix+"ratelimit:", b.PerSecond, b.Burst)
		}
	}
	return auth.NewTokenBucket(b.PerSecond, b.Burst)
}

// principalLimiter applies the public bucket to anonymous callers (keyed by
// address) and the authenticated bucket to tokens (keyed by principal).
type principalLimiter struct{ public, authed auth.Limiter }

func (l principalLimiter) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	if strings.HasPrefix(key, "ip:") {
		return l.public.Allow(ctx, key)
	}
	return l.authed.Allow(ctx, key)
}

func rateKey(c *fiber.Ctx) string {
	p := auth.FromCtx(c)
	if p.ID == auth.Anonymous.ID {
		return "ip:" + c.IP()
	}
	return "p:" + p.ID
}
