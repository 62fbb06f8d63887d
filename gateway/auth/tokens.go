package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
)

// Sentinel errors of the auth package.
var (
	// ErrUnauthenticated: a credential was presented but is unknown, revoked
	// or malformed.
	ErrUnauthenticated = errors.New("auth: invalid credentials")
	// ErrForbidden: the principal lacks every role the route admits.
	ErrForbidden = errors.New("auth: forbidden")
	// ErrInvalidRole: a token was requested with an unknown role.
	ErrInvalidRole = errors.New("auth: invalid role")
	// ErrInvalidName: a token name is empty or too long.
	ErrInvalidName = errors.New("auth: invalid token name")
	// ErrTokenNotFound: no token with that id.
	ErrTokenNotFound = errors.New("auth: token not found")
)

// TokensCollection is the store collection holding token hashes.
const TokensCollection = "tokens"

// TokenPrefix starts every API token, so leaked tokens are easy to spot
// (secret scanners) and easy to tell from other credentials.
const TokenPrefix = "hg_"

// Token is the stored description of an API token. The secret itself is
// never stored: only its SHA-256 hash.
type Token struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Roles     []Role    `json:"roles"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	Hash      string    `json:"hash,omitempty"` // hex SHA-256 of the whole token; never sent to clients
}

// Public returns the token without its hash, for listings.
func (t Token) Public() Token { t.Hash = ""; return t }

// Tokens mints, checks and revokes API tokens kept in a store.
type Tokens struct {
	st        store.Store
	bootstrap []byte
	now       func() time.Time
}

// NewTokens returns the token service over st. bootstrapAdmin, when not
// empty, is accepted as an admin bearer token without being stored.
func NewTokens(st store.Store, bootstrapAdmin string) *Tokens {
	t := &Tokens{st: st, now: time.Now}
	if bootstrapAdmin != "" {
		h := sha256.Sum256([]byte(bootstrapAdmin))
		t.bootstrap = h[:]
	}
	return t
}

// BootstrapPrincipal is the principal of the bootstrap admin token.
var BootstrapPrincipal = Principal{ID: "bootstrap-admin", Name: "bootstrap admin", Roles: []Role{RoleAdmin}}

// ValidateRoles checks that every role can be granted to a token: the named
// staff and client roles, or department:<code>. Citizen (anonymous) and the
// bare "department" wildcard cannot be granted.
func ValidateRoles(roles []Role) error {
	if len(roles) == 0 {
		return fmt.Errorf("%w: at least one role is required", ErrInvalidRole)
	}
	var bad []string
	for _, r := range roles {
		switch r {
		case RoleAgent, RoleSupervisor, RoleEditor, RoleAdmin, RoleOpen311, RolePartner:
			continue
		}
		if code, ok := strings.CutPrefix(string(r), "department:"); ok && validCode(code) {
			continue
		}
		bad = append(bad, string(r))
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s (allowed: agent, supervisor, editor, admin, open311, partner, department:<code>)", ErrInvalidRole, strings.Join(bad, ", "))
	}
	return nil
}

func validCode(code string) bool {
	if code == "" || len(code) > 32 {
		return false
	}
	for _, c := range code {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Create mints a token and returns its description and the secret token
// string, which is shown once and never again.
func (t *Tokens) Create(ctx context.Context, name string, roles []Role, createdBy string) (Token, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 100 {
		return Token{}, "", fmt.Errorf("%w: 1-100 characters required", ErrInvalidName)
	}
	if err := ValidateRoles(roles); err != nil {
		return Token{}, "", err
	}
	idb := make([]byte, 8)
	secret := make([]byte, 32)
	if _, err := rand.Read(idb); err != nil {
		return Token{}, "", fmt.Errorf("create token: %w", err)
	}
	if _, err := rand.Read(secret); err != nil {
		return Token{}, "", fmt.Errorf("create token: %w", err)
	}
	id := hex.EncodeToString(idb)
	raw := TokenPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(secret)
	sum := sha256.Sum256([]byte(raw))
	tok := Token{ID: id, Name: name, Roles: append([]Role(nil), roles...), CreatedAt: t.now().UTC(), CreatedBy: createdBy, Hash: hex.EncodeToString(sum[:])}
	data, err := json.Marshal(tok)
	if err != nil {
		return Token{}, "", fmt.Errorf("create token: %w", err)
	}
	if _, err := t.st.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{Collection: TokensCollection, ID: id, Data: data}}}}); err != nil {
		return Token{}, "", fmt.Errorf("create token: %w", err)
	}
	return tok.Public(), raw, nil
}

// List returns every token, without hashes, ordered by id.
func (t *Tokens) List(ctx context.Context) ([]Token, error) {
	var out []Token
	opts := store.ListOptions{Limit: 500}
	for {
		page, err := t.st.List(ctx, TokensCollection, opts)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		for _, r := range page.Records {
			var tok Token
			if err := json.Unmarshal(r.Data, &tok); err != nil {
				return nil, fmt.Errorf("list tokens: %s: %w", r.ID, err)
			}
			out = append(out, tok.Public())
		}
		if page.NextCursor == "" {
			return out, nil
		}
		opts.Cursor = page.NextCursor
	}
}

// Revoke deletes the token; it stops working at once.
func (t *Tokens) Revoke(ctx context.Context, id string) error {
	if _, err := t.st.Get(ctx, TokensCollection, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("revoke %s: %w", id, ErrTokenNotFound)
		}
		return fmt.Errorf("revoke %s: %w", id, err)
	}
	if _, err := t.st.Commit(ctx, store.Tx{Deletes: []store.Delete{{Collection: TokensCollection, ID: id}}}); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("revoke %s: %w", id, ErrTokenNotFound)
		}
		return fmt.Errorf("revoke %s: %w", id, err)
	}
	return nil
}

// Authenticate resolves a bearer token to its principal. Unknown, revoked
// and malformed tokens are ErrUnauthenticated; store failures are returned
// as they are (the caller answers 5xx, not 401, so an outage is not mistaken
// for a bad credential).
func (t *Tokens) Authenticate(ctx context.Context, bearer string) (Principal, error) {
	sum := sha256.Sum256([]byte(bearer))
	if t.bootstrap != nil && subtle.ConstantTimeCompare(sum[:], t.bootstrap) == 1 {
		return BootstrapPrincipal, nil
	}
	rest, ok := strings.CutPrefix(bearer, TokenPrefix)
	if !ok {
		return Principal{}, ErrUnauthenticated
	}
	id, _, ok := strings.Cut(rest, "_")
	if !ok || len(id) != 16 {
		return Principal{}, ErrUnauthenticated
	}
	rec, err := t.st.Get(ctx, TokensCollection, id)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	var tok Token
	if err := json.Unmarshal(rec.Data, &tok); err != nil {
		return Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	want, err := hex.DecodeString(tok.Hash)
	if err != nil || subtle.ConstantTimeCompare(sum[:], want) != 1 {
		return Principal{}, ErrUnauthenticated
	}
	return Principal{ID: "token:" + tok.ID, Name: tok.Name, Roles: tok.Roles}, nil
}
