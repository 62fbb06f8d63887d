package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrKeys is wrapped when the security keys cannot be read or created.
var ErrKeys = errors.New("config: keys")

// EnsureKeys fills empty security keys from <data_dir>/keys/, generating and
// writing (mode 0600) the missing ones on first start, so encrypted data
// stays readable across restarts. Keys given in the configuration win and
// are never written to disk.
func EnsureKeys(cfg *Config) error {
	dir := filepath.Join(cfg.Server.DataDir, "keys")
	for _, k := range []struct {
		name string
		dst  *Secret
		size int
	}{
		{"pii.key", &cfg.Security.PIIKey, 32},
		{"hash.key", &cfg.Security.HashKey, 32},
	} {
		if *k.dst != "" {
			continue
		}
		v, err := loadOrCreateKey(filepath.Join(dir, k.name), k.size)
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrKeys, k.name, err)
		}
		*k.dst = Secret(v)
	}
	return nil
}

func loadOrCreateKey(path string, size int) (string, error) {
	raw, err := os.ReadFile(path)
	if err == nil {
		v := strings.TrimSpace(string(raw))
		if b, err := base64.StdEncoding.DecodeString(v); err != nil || len(b) < size {
			return "", fmt.Errorf("%s is not %d bytes of base64", path, size)
		}
		return v, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	b := make([]byte, size)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	v := base64.StdEncoding.EncodeToString(b)
	// Write a temporary file and link it into place: link fails when the key
	// exists, so two processes starting on one data dir never overwrite each
	// other's key, and a reader never sees a half-written file.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".key-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(v + "\n"); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return loadOrCreateKey(path, size)
		}
		return "", err
	}
	return v, nil
}

// DecodeKey returns the raw bytes of a base64 key.
func DecodeKey(s Secret) ([]byte, error) {
	return base64.StdEncoding.DecodeString(s.Reveal())
}
