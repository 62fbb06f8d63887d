package routing

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/hallgate/hallgate/gateway/store"
)

// Store collections owned by this package.
const (
	CollectionRules    = "routing_rules"
	CollectionExamples = "routing_examples"
)

// RecordStore is the part of store.Store the routing package uses.
type RecordStore interface {
	Get(ctx context.Context, collection, id string) (store.Record, error)
	Commit(ctx context.Context, tx store.Tx) ([]store.Record, error)
	List(ctx context.Context, collection string, opts store.ListOptions) (store.Page, error)
}

var _ RecordStore = (store.Store)(nil)

// ValidationError lists every invalid field of an input; it wraps ErrInvalid.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	keys := slices.Sorted(maps.Keys(e.Fields))
	s := "routing: invalid input:"
	for _, k := range keys {
		s += fmt.Sprintf(" %s: %s;", k, e.Fields[k])
	}
	return s
}

func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Catalogue is the dispatch catalogue: rules kept in the store and edited
// through the API. Every change calls onChange so the suggester picks it up.
type Catalogue struct {
	st       RecordStore
	known    func(ctx context.Context) (map[string]bool, error)
	onChange func(ctx context.Context)
	// onConcepts is called after the city's concept edits were saved.
	onConcepts func(ctx context.Context)
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// List returns every rule in ID order.
func (c *Catalogue) List(ctx context.Context) ([]Rule, error) {
	var out []Rule
	cursor := ""
	for {
		page, err := c.st.List(ctx, CollectionRules, store.ListOptions{Limit: 500, Cursor: cursor})
		if err != nil {
			return nil, fmt.Errorf("routing: list rules: %w", err)
		}
		for _, rec := range page.Records {
			r, err := decodeRule(rec)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		if page.NextCursor == "" {
			return out, nil
		}
		cursor = page.NextCursor
	}
}

func decodeRule(rec store.Record) (Rule, error) {
	var r Rule
	if err := json.Unmarshal(rec.Data, &r); err != nil {
		return r, fmt.Errorf("routing: decode rule %s: %w", rec.ID, err)
	}
	r.ID, r.Version = rec.ID, rec.Version
	return r, nil
}

// Get returns one rule.
func (c *Catalogue) Get(ctx context.Context, id string) (Rule, error) {
	rec, err := c.st.Get(ctx, CollectionRules, id)
	if errors.Is(err, store.ErrNotFound) {
		return Rule{}, fmt.Errorf("rule %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Rule{}, fmt.Errorf("routing: get rule %s: %w", id, err)
	}
	return decodeRule(rec)
}

func (c *Catalogue) validate(ctx context.Context, r Rule) error {
	known, err := c.known(ctx)
	if err != nil {
		return err
	}
	if bad := r.Validate(known); len(bad) > 0 {
		return &ValidationError{Fields: bad}
	}
	return nil
}

func (c *Catalogue) put(ctx context.Context, r Rule, expect uint64, create bool) (Rule, error) {
	r.Version = 0
	data, err := json.Marshal(r)
	if err != nil {
		return Rule{}, fmt.Errorf("routing: encode rule: %w", err)
	}
	// An urgent rule has no department: no empty index value for it.
	var index map[string]string
	if r.Department != "" {
		index = map[string]string{"department": r.Department}
	}
	put := store.Put{Record: store.Record{Collection: CollectionRules, ID: r.ID, Data: data,
		Index: index}, ExpectVersion: expect}
	recs, err := c.st.Commit(ctx, store.Tx{Puts: []store.Put{put}})
	if errors.Is(err, store.ErrConflict) {
		if create {
			return Rule{}, fmt.Errorf("rule %s exists: %w", r.ID, ErrConflict)
		}
		return Rule{}, fmt.Errorf("rule %s changed meanwhile (version %d expected): %w", r.ID, expect, ErrConflict)
	}
	if err != nil {
		return Rule{}, fmt.Errorf("routing: save rule %s: %w", r.ID, err)
	}
	r.Version = recs[0].Version
	if c.onChange != nil {
		c.onChange(ctx)
	}
	return r, nil
}

// Create stores a new rule; an empty ID is generated.
func (c *Catalogue) Create(ctx context.Context, r Rule) (Rule, error) {
	if err := c.validate(ctx, r); err != nil {
		return Rule{}, err
	}
	if r.ID == "" {
		r.ID = newID()
	}
	return c.put(ctx, r, 0, true)
}

// Update replaces rule r.ID. With r.Version > 0 the update applies only to
// that version (optimistic concurrency); 0 means the current version.
func (c *Catalogue) Update(ctx context.Context, r Rule) (Rule, error) {
	if err := c.validate(ctx, r); err != nil {
		return Rule{}, err
	}
	expect := r.Version
	if expect == 0 {
		cur, err := c.Get(ctx, r.ID)
		if err != nil {
			return Rule{}, err
		}
		expect = cur.Version
	} else if _, err := c.Get(ctx, r.ID); err != nil {
		return Rule{}, err
	}
	return c.put(ctx, r, expect, false)
}

// Delete removes a rule.
func (c *Catalogue) Delete(ctx context.Context, id string) error {
	if _, err := c.Get(ctx, id); err != nil {
		return err
	}
	if _, err := c.st.Commit(ctx, store.Tx{Deletes: []store.Delete{{Collection: CollectionRules, ID: id}}}); err != nil {
		return fmt.Errorf("routing: delete rule %s: %w", id, err)
	}
	if c.onChange != nil {
		c.onChange(ctx)
	}
	return nil
}
