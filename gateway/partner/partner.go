package partner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/store"
)

// Sentinel errors of the partner package.
var (
	ErrNotFound        = errors.New("partner: not found")
	ErrUnauthenticated = errors.New("partner: invalid or revoked key")
	ErrRevoked         = errors.New("partner: already revoked")
)

// Collection holds one record per partner, keyed by its id.
const Collection = "partners"

// Feature is one part of the public partner API a partner may use.
type Feature string

// The features a partner can be granted.
const (
	FeatureSearch   Feature = "search"   // KB and service-item search
	FeatureGuides   Feature = "guides"   // service items and their guides
	FeatureReplies  Feature = "replies"  // published messages and replies
	FeatureMessages Feature = "messages" // message submission (channel partner)
	FeatureTracking Feature = "tracking" // ticket tracking by code + last 4 digits
)

// Features lists every feature, in the order they are documented.
func Features() []Feature {
	return []Feature{FeatureSearch, FeatureGuides, FeatureReplies, FeatureMessages, FeatureTracking}
}

// Partner is the stored description of a partner; it never holds the key.
type Partner struct {
	ID                 string    `json:"id"`
	Name               string    `json:"name"`
	Origins            []string  `json:"origins"`
	RateLimitPerMinute int       `json:"rate_limit_per_minute"`
	Features           []Feature `json:"features"`
	CreatedAt          time.Time `json:"created_at"`
	CreatedBy          string    `json:"created_by,omitempty"`
	Revoked            bool      `json:"revoked"`
	RevokedAt          time.Time `json:"revoked_at,omitzero"`
}

// Has reports whether the partner was granted f.
func (p Partner) Has(f Feature) bool { return slices.Contains(p.Features, f) }

// AllowsOrigin reports whether origin is one of the partner's exact origins.
func (p Partner) AllowsOrigin(origin string) bool { return slices.Contains(p.Origins, origin) }

// Principal is who a partner's request acts as below the HTTP layer.
func (p Partner) Principal() auth.Principal {
	return auth.Principal{ID: "partner:" + p.ID, Name: p.Name, Roles: []auth.Role{auth.RolePartner}}
}

// Spec is what an admin registers.
type Spec struct {
	Name               string    `json:"name"`
	Origins            []string  `json:"origins"`
	RateLimitPerMinute int       `json:"rate_limit_per_minute"`
	Features           []Feature `json:"features"`
}

// Limits of a spec.
const (
	MaxOrigins       = 20
	MaxRatePerMinute = 100000
)

// FieldError names one invalid field of a spec.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// ValidationError lists every problem of a spec at once.
type ValidationError struct{ Fields []FieldError }

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Reason
	}
	return "partner: invalid: " + strings.Join(parts, "; ")
}

// Normalize trims the spec and drops duplicate origins and features.
func (s Spec) Normalize() Spec {
	s.Name = strings.TrimSpace(s.Name)
	var origins []string
	for _, o := range s.Origins {
		o = strings.TrimSpace(o)
		if !slices.Contains(origins, o) {
			origins = append(origins, o)
		}
	}
	s.Origins = origins
	var fs []Feature
	for _, f := range s.Features {
		f = Feature(strings.TrimSpace(string(f)))
		if !slices.Contains(fs, f) {
			fs = append(fs, f)
		}
	}
	s.Features = fs
	return s
}

// Validate reports every problem of a normalized spec.
func (s Spec) Validate() error {
	var fe []FieldError
	if n := len([]rune(s.Name)); n == 0 || n > 100 {
		fe = append(fe, FieldError{"name", "1–100 characters required"})
	}
	switch {
	case len(s.Origins) == 0:
		fe = append(fe, FieldError{"origins", "at least one exact origin such as https://media.example.cn is required"})
	case len(s.Origins) > MaxOrigins:
		fe = append(fe, FieldError{"origins", fmt.Sprintf("at most %d origins", MaxOrigins)})
	default:
		for _, o := range s.Origins {
			if reason := checkOrigin(o); reason != "" {
				fe = append(fe, FieldError{"origins", fmt.Sprintf("%q: %s", o, reason)})
			}
		}
	}
	if s.RateLimitPerMinute < 1 || s.RateLimitPerMinute > MaxRatePerMinute {
		fe = append(fe, FieldError{"rate_limit_per_minute", fmt.Sprintf("an integer from 1 to %d", MaxRatePerMinute)})
	}
	if len(s.Features) == 0 {
		fe = append(fe, FieldError{"features", "at least one feature is required"})
	}
	for _, f := range s.Features {
		if !slices.Contains(Features(), f) {
			fe = append(fe, FieldError{"features", fmt.Sprintf("unknown feature %q (allowed: search, guides, replies, messages, tracking)", f)})
		}
	}
	if len(fe) > 0 {
		return &ValidationError{Fields: fe}
	}
	return nil
}

// checkOrigin accepts exactly what browsers send in the Origin header:
// scheme://host[:port], no path, no wildcard.
func checkOrigin(o string) string {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "must be scheme://host[:port] with http or https"
	}
	if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.HasSuffix(o, "/") {
		return "an origin has no path, query, fragment or credentials"
	}
	if strings.Contains(u.Host, "*") {
		return "wildcards are not allowed; list exact origins"
	}
	if o != strings.ToLower(o) {
		return "must be lower case, as browsers send it"
	}
	return ""
}

// Keys mints, resolves and revokes partner keys; *auth.Tokens implements it.
type Keys interface {
	Create(ctx context.Context, name string, roles []auth.Role, createdBy string) (auth.Token, string, error)
	Revoke(ctx context.Context, id string) error
	Authenticate(ctx context.Context, bearer string) (auth.Principal, error)
}

var _ Keys = (*auth.Tokens)(nil)

// Registry is the partner registry over a store.
type Registry struct {
	st   store.Store
	keys Keys
	now  func() time.Time

	// origins caches the union of active partners' origins for CORS
	// preflights, which carry no key; other replicas' changes show within
	// originTTL.
	mu        sync.Mutex
	origins   map[string]bool
	originsAt time.Time
}

// originTTL bounds how long a replica answers preflights from a stale list.
const originTTL = 2 * time.Second

// NewRegistry returns the registry over st, minting keys with keys.
func NewRegistry(st store.Store, keys Keys) *Registry {
	return &Registry{st: st, keys: keys, now: time.Now}
}

// Create registers a partner and returns it with its key; the key is shown
// only here.
func (r *Registry) Create(ctx context.Context, spec Spec, createdBy string) (Partner, string, error) {
	spec = spec.Normalize()
	if err := spec.Validate(); err != nil {
		return Partner{}, "", err
	}
	tok, key, err := r.keys.Create(ctx, "partner: "+spec.Name, []auth.Role{auth.RolePartner}, createdBy)
	if err != nil {
		return Partner{}, "", fmt.Errorf("partner key: %w", err)
	}
	p := Partner{ID: tok.ID, Name: spec.Name, Origins: spec.Origins, RateLimitPerMinute: spec.RateLimitPerMinute,
		Features: spec.Features, CreatedAt: r.now().UTC(), CreatedBy: createdBy}
	if err := r.put(ctx, p, 0); err != nil {
		// Never leave a working key without its partner.
		_ = r.keys.Revoke(context.WithoutCancel(ctx), tok.ID)
		return Partner{}, "", err
	}
	r.invalidate()
	return p, key, nil
}

func (r *Registry) put(ctx context.Context, p Partner, version uint64) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	state := "active"
	if p.Revoked {
		state = "revoked"
	}
	_, err = r.st.Commit(ctx, store.Tx{Puts: []store.Put{{
		Record:        store.Record{Collection: Collection, ID: p.ID, Data: data, Index: map[string]string{"state": state}},
		ExpectVersion: version,
	}}})
	return err
}

// Get returns one partner (revoked ones too).
func (r *Registry) Get(ctx context.Context, id string) (Partner, error) {
	p, _, err := r.get(ctx, id)
	return p, err
}

func (r *Registry) get(ctx context.Context, id string) (Partner, uint64, error) {
	rec, err := r.st.Get(ctx, Collection, id)
	if errors.Is(err, store.ErrNotFound) {
		return Partner{}, 0, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return Partner{}, 0, err
	}
	var p Partner
	if err := json.Unmarshal(rec.Data, &p); err != nil {
		return Partner{}, 0, fmt.Errorf("partner %s: %w", id, err)
	}
	return p, rec.Version, nil
}

// List returns every partner in id order.
func (r *Registry) List(ctx context.Context) ([]Partner, error) {
	out := []Partner{}
	cursor := ""
	for {
		page, err := r.st.List(ctx, Collection, store.ListOptions{Limit: 500, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		for _, rec := range page.Records {
			var p Partner
			if err := json.Unmarshal(rec.Data, &p); err != nil {
				return nil, fmt.Errorf("partner %s: %w", rec.ID, err)
			}
			out = append(out, p)
		}
		if page.NextCursor == "" {
			return out, nil
		}
		cursor = page.NextCursor
	}
}

// Revoke revokes the partner's key and marks the partner revoked. The
// record stays so usage remains readable.
func (r *Registry) Revoke(ctx context.Context, id string) (Partner, error) {
	for {
		p, version, err := r.get(ctx, id)
		if err != nil {
			return Partner{}, err
		}
		if p.Revoked {
			return p, ErrRevoked
		}
		// Revoke the key first: once it is gone the partner cannot call,
		// whatever happens to the record write.
		if err := r.keys.Revoke(ctx, id); err != nil && !errors.Is(err, auth.ErrTokenNotFound) {
			return Partner{}, fmt.Errorf("revoke key: %w", err)
		}
		p.Revoked, p.RevokedAt = true, r.now().UTC()
		err = r.put(ctx, p, version)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return Partner{}, err
		}
		r.invalidate()
		return p, nil
	}
}

// Resolve returns the active partner owning key; unknown, revoked or
// malformed keys are ErrUnauthenticated.
func (r *Registry) Resolve(ctx context.Context, key string) (Partner, error) {
	pr, err := r.keys.Authenticate(ctx, key)
	if errors.Is(err, auth.ErrUnauthenticated) {
		return Partner{}, ErrUnauthenticated
	}
	if err != nil {
		return Partner{}, err
	}
	return r.FromPrincipal(ctx, pr)
}

// FromPrincipal returns the active partner behind a principal the auth
// middleware resolved from a bearer partner key ("token:<id>", role partner).
func (r *Registry) FromPrincipal(ctx context.Context, pr auth.Principal) (Partner, error) {
	id, ok := strings.CutPrefix(pr.ID, "token:")
	if !ok || !pr.Has(auth.RolePartner) {
		return Partner{}, ErrUnauthenticated
	}
	p, err := r.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Partner{}, ErrUnauthenticated
	}
	if err != nil {
		return Partner{}, err
	}
	if p.Revoked {
		return Partner{}, ErrUnauthenticated
	}
	return p, nil
}

// OriginKnown reports whether any active partner lists origin; CORS
// preflights (which carry no key) are answered from it.
func (r *Registry) OriginKnown(ctx context.Context, origin string) (bool, error) {
	r.mu.Lock()
	fresh := r.origins != nil && r.now().Sub(r.originsAt) < originTTL
	known := r.origins[origin]
	r.mu.Unlock()
	if fresh {
		return known, nil
	}
	ps, err := r.List(ctx)
	if err != nil {
		return false, err
	}
	set := map[string]bool{}
	for _, p := range ps {
		if !p.Revoked {
			for _, o := range p.Origins {
				set[o] = true
			}
		}
	}
	r.mu.Lock()
	r.origins, r.originsAt = set, r.now()
	r.mu.Unlock()
	return set[origin], nil
}

func (r *Registry) invalidate() {
	r.mu.Lock()
	r.origins = nil
	r.mu.Unlock()
}
