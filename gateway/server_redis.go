package gateway

import (
	"context"
	"log/slog"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hallgate/hallgate/config"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/store/redis"
)

func openRedis(ctx context.Context, cfg config.Config) (store.Store, error) {
	return redis.Open(ctx, redis.Options{
		URL:          cfg.Redis.URL,
		Prefix:       cfg.Redis.Prefix,
		WaitReplicas: cfg.Redis.WaitReplicas,
		WaitTimeout:  cfg.Redis.WaitTimeout,
	})
}

// fsyncStrength orders AOF policies from weakest to strongest.
var fsyncStrength = map[string]int{"": 0, "no": 1, "everysec": 2, "always": 3}

// checkRedisDurability compares the server's AOF policy with the one the
// configuration expects and warns when the server promises less: the
// gateway still starts (a plain redis-server must work with no other
// change), but the operator learns that acknowledged tickets could be lost.
// It returns the server's effective policy ("" when AOF is off, "unknown"
// when CONFIG is not allowed).
func checkRedisDurability(ctx context.Context, cfg config.Config, log *slog.Logger) string {
	opts, err := goredis.ParseURL(cfg.Redis.URL)
	if err != nil {
		return "unknown"
	}
	rdb := goredis.NewClient(opts)
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	vals, err := rdb.ConfigGet(ctx, "append*").Result()
	if err != nil {
		log.WarnContext(ctx, "cannot read the Redis AOF policy (CONFIG GET refused); durability unverified", "error", err.Error())
		return "unknown"
	}
	policy := vals["appendfsync"]
	if vals["appendonly"] != "yes" {
		policy = ""
	}
	if want := cfg.Redis.AppendFsync; want != "" && fsyncStrength[policy] < fsyncStrength[want] {
		shown := policy
		if shown == "" {
			shown = "AOF off"
		}
		log.WarnContext(ctx, "Redis durability is weaker than configured: acknowledged writes may be lost on a crash",
			"server", shown, "configured", want)
	}
	return policy
}
