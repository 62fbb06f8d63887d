package gateway

import (
	"context"
	"errors"

	"github.com/hallgate/hallgate/config"
	"github.com/hallgate/hallgate/gateway/store"
)

// openRedis is replaced by the real backend once gateway/store/redis lands.
func openRedis(ctx context.Context, cfg config.Config) (store.Store, error) {
	_ = ctx
	_ = cfg
	return nil, errors.New("redis store backend not built into this binary yet")
}
