package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/hallgate/hallgate/config"
	"github.com/hallgate/hallgate/gateway/store"
)

// keysCollection holds keys generated for replicas that share a store.
const keysCollection = "gateway_keys"

// ensureSharedKeys fills the security keys the configuration leaves empty
// from the shared store, generating each once: the first replica to start
// creates it (create-only write), every other replica reads the same one.
// Production deployments should configure the keys from a secret instead,
// so that a copy of the store alone does not carry them.
func ensureSharedKeys(ctx context.Context, st store.Store, cfg *config.Config) error {
	for _, k := range []struct {
		id  string
		dst *config.Secret
	}{
		{"pii", &cfg.Security.PIIKey},
		{"hash", &cfg.Security.HashKey},
	} {
		if *k.dst != "" {
			continue
		}
		v, err := sharedKey(ctx, st, k.id)
		if err != nil {
			return fmt.Errorf("%w: %s key: %w", config.ErrKeys, k.id, err)
		}
		*k.dst = config.Secret(v)
	}
	return nil
}

func sharedKey(ctx context.Context, st store.Store, id string) (string, error) {
	for attempt := 0; attempt < 3; attempt++ {
		rec, err := st.Get(ctx, keysCollection, id)
		if err == nil {
			return string(rec.Data[1 : len(rec.Data)-1]), nil // a JSON string
		}
		if !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		v := base64.StdEncoding.EncodeToString(b)
		_, err = st.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{Collection: keysCollection, ID: id, Data: []byte(`"` + v + `"`)}}}})
		if err == nil {
			return v, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return "", err
		}
		// another replica created it first: read theirs
	}
	return "", errors.New("could not agree on a shared key")
}
