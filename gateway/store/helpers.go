package store

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrInvalid reports a malformed argument (empty or unencodable name, bad
// cursor, negative limit, the same record twice in one Tx). Backends wrap it
// so callers can map it to 400/422 rather than 500.
var ErrInvalid = errors.New("store: invalid argument")

// Limits shared by every backend so that both answer alike.
const (
	DefaultListLimit = 100
	MaxListLimit     = 1000
	MaxClaim         = 1000
)

// CheckName validates a collection, ID, index field/value, topic, key or
// counter name. NUL is reserved as the separator of composite keys in both
// backends, so it is refused everywhere; emptiness only where it matters.
func CheckName(kind, s string, allowEmpty bool) error {
	if s == "" && !allowEmpty {
		return fmt.Errorf("%w: empty %s", ErrInvalid, kind)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%w: %s contains NUL", ErrInvalid, kind)
	}
	return nil
}

// Validate reports every problem of tx at once (nil when it can be applied).
// It does not look at stored state.
func (tx Tx) Validate() error {
	var errs []error
	seen := make(map[[2]string]bool, len(tx.Puts)+len(tx.Deletes))
	mark := func(coll, id string) {
		k := [2]string{coll, id}
		if seen[k] {
			errs = append(errs, fmt.Errorf("%w: %s/%s appears twice in one transaction", ErrInvalid, coll, id))
		}
		seen[k] = true
	}
	for i, p := range tx.Puts {
		r := p.Record
		if err := CheckName("collection", r.Collection, false); err != nil {
			errs = append(errs, fmt.Errorf("puts[%d]: %w", i, err))
		}
		if err := CheckName("id", r.ID, false); err != nil {
			errs = append(errs, fmt.Errorf("puts[%d]: %w", i, err))
		}
		for f, v := range r.Index {
			if err := CheckName("index field", f, false); err != nil {
				errs = append(errs, fmt.Errorf("puts[%d]: %w", i, err))
			}
			if err := CheckName("index value", v, true); err != nil {
				errs = append(errs, fmt.Errorf("puts[%d].index[%s]: %w", i, f, err))
			}
		}
		mark(r.Collection, r.ID)
	}
	for i, d := range tx.Deletes {
		if err := CheckName("collection", d.Collection, false); err != nil {
			errs = append(errs, fmt.Errorf("deletes[%d]: %w", i, err))
		}
		if err := CheckName("id", d.ID, false); err != nil {
			errs = append(errs, fmt.Errorf("deletes[%d]: %w", i, err))
		}
		mark(d.Collection, d.ID)
	}
	ids := make(map[[2]string]bool, len(tx.Enqueue))
	for i, it := range tx.Enqueue {
		if err := CheckName("topic", it.Topic, false); err != nil {
			errs = append(errs, fmt.Errorf("enqueue[%d]: %w", i, err))
		}
		if err := CheckName("key", it.Key, true); err != nil {
			errs = append(errs, fmt.Errorf("enqueue[%d]: %w", i, err))
		}
		if err := CheckName("id", it.ID, true); err != nil {
			errs = append(errs, fmt.Errorf("enqueue[%d]: %w", i, err))
		}
		if it.ID != "" {
			k := [2]string{it.Topic, it.ID}
			if ids[k] {
				errs = append(errs, fmt.Errorf("%w: enqueue[%d]: item %s/%s appears twice", ErrInvalid, i, it.Topic, it.ID))
			}
			ids[k] = true
		}
	}
	return errors.Join(errs...)
}

// NewID returns a unique, roughly time-ordered ID (32 hex characters: 8 bytes
// of Unix nanoseconds then 8 random bytes), used for outbox items enqueued
// without an ID and for lease tokens.
func NewID() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixNano()))
	if _, err := rand.Read(b[8:]); err != nil {
		// crypto/rand never fails on supported platforms (Go ≥ 1.24 panics instead).
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

// ListLimit applies the default and the cap to opts.Limit.
func ListLimit(limit int) (int, error) {
	switch {
	case limit < 0:
		return 0, fmt.Errorf("%w: negative limit %d", ErrInvalid, limit)
	case limit == 0:
		return DefaultListLimit, nil
	case limit > MaxListLimit:
		return MaxListLimit, nil
	}
	return limit, nil
}

// EncodeCursor turns the last ID of a page into an opaque cursor. Both
// backends page by "strictly after (before, when reversed) this ID", which
// cannot skip or repeat records however the collection changes between pages.
func EncodeCursor(lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("c1:" + lastID))
}

// DecodeCursor reverses EncodeCursor; "" decodes to "" (first page).
func DecodeCursor(cursor string) (string, error) {
	if cursor == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || !strings.HasPrefix(string(b), "c1:") || len(b) == 3 {
		return "", fmt.Errorf("%w: malformed cursor", ErrInvalid)
	}
	return string(b[3:]), nil
}
