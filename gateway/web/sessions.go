package web

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
	"sync"
	"time"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/store"
)

// SessionsCollection holds sessions keyed by the SHA-256 of the cookie
// value, so a copy of the store does not hold live cookies.
const SessionsCollection = "sessions"

// ErrNoSession is a missing, unknown or expired session.
var ErrNoSession = errors.New("web: no session")

// Session is one signed-in browser.
type Session struct {
	Username string      `json:"username"`
	Name     string      `json:"name"`
	Roles    []auth.Role `json:"roles"`
	CSRF     string      `json:"csrf"`
	Created  time.Time   `json:"created"`
	LastSeen time.Time   `json:"last_seen"`
	// TokenIDs are the API tokens minted for this session's bridge calls;
	// they are revoked at sign-out and expiry.
	TokenIDs []string `json:"token_ids,omitempty"`
	// MustChangePassword keeps the session to the password page until
	// the user has replaced a password an admin chose.
	MustChangePassword bool `json:"must_change_password,omitempty"`

	key     string
	version uint64
}

// Principal is who the session acts as.
func (s Session) Principal() auth.Principal {
	return auth.Principal{ID: "user:" + s.Username, Name: s.Name, Roles: append([]auth.Role(nil), s.Roles...)}
}

// CSRFMatches compares a presented token with the session's in constant time.
func (s Session) CSRFMatches(tok string) bool {
	return tok != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.CSRF)) == 1
}

// Sessions keeps sessions in the store with an idle expiry.
type Sessions struct {
	st     store.Store
	tokens *auth.Tokens
	idle   time.Duration
	now    func() time.Time

	mu     sync.Mutex
	bearer map[string]string // session key → raw API token (memory only)
	mintMu sync.Mutex
}

// NewSessions returns the session store; idle <= 0 means 30 minutes.
func NewSessions(st store.Store, tokens *auth.Tokens, idle time.Duration) *Sessions {
	if idle <= 0 {
		idle = 30 * time.Minute
	}
	return &Sessions{st: st, tokens: tokens, idle: idle, now: time.Now, bearer: map[string]string{}}
}

// RandomToken returns n random bytes, base64url-encoded.
func RandomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("web: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func sessionKey(cookie string) string {
	sum := sha256.Sum256([]byte(cookie))
	return hex.EncodeToString(sum[:])
}

// Start creates a session for u and returns the cookie value.
func (s *Sessions) Start(ctx context.Context, u User) (string, Session, error) {
	cookie := RandomToken(32)
	now := s.now().UTC()
	sess := Session{Username: u.Username, Name: u.DisplayName, Roles: u.Roles, CSRF: RandomToken(24), Created: now, LastSeen: now, key: sessionKey(cookie),
		MustChangePassword: u.MustChangePassword}
	data, _ := json.Marshal(sess)
	recs, err := s.st.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{Collection: SessionsCollection, ID: sess.key, Data: data, Index: sessionIndex(sess)}}}})
	if err != nil {
		return "", Session{}, fmt.Errorf("start session: %w", err)
	}
	sess.version = recs[0].Version
	return cookie, sess, nil
}

// Lookup returns the live session of a cookie and records the visit (at
// most once a minute, to keep page views from writing on every request).
func (s *Sessions) Lookup(ctx context.Context, cookie string) (Session, error) {
	if cookie == "" {
		return Session{}, ErrNoSession
	}
	key := sessionKey(cookie)
	r, err := s.st.Get(ctx, SessionsCollection, key)
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", err)
	}
	var sess Session
	if err := json.Unmarshal(r.Data, &sess); err != nil {
		return Session{}, fmt.Errorf("session: %w", err)
	}
	sess.key, sess.version = key, r.Version
	now := s.now().UTC()
	if now.Sub(sess.LastSeen) > s.idle {
		_ = s.end(ctx, sess)
		return Session{}, ErrNoSession
	}
	if now.Sub(sess.LastSeen) > time.Minute {
		sess.LastSeen = now
		if err := s.save(ctx, &sess); err != nil && !errors.Is(err, store.ErrConflict) {
			return Session{}, err
		}
	}
	return sess, nil
}

func (s *Sessions) save(ctx context.Context, sess *Session) error {
	data, _ := json.Marshal(sess)
	recs, err := s.st.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{Collection: SessionsCollection, ID: sess.key, Data: data, Index: sessionIndex(*sess)}, ExpectVersion: sess.version}}})
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	sess.version = recs[0].Version
	return nil
}

// End signs the session of a cookie out: the record is deleted and its API
// tokens revoked.
func (s *Sessions) End(ctx context.Context, cookie string) error {
	sess, err := s.Lookup(ctx, cookie)
	if errors.Is(err, ErrNoSession) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.end(ctx, sess)
}

// sessionIndex finds a user's sessions (EndUser). Sessions started by a
// release before it gain the index at their next save (a visit, at most a
// minute apart), or end by idling.
func sessionIndex(sess Session) map[string]string { return map[string]string{"user": sess.Username} }

// EndUser ends every session of username, except the one whose cookie is
// keep ("": none), and revokes their API tokens: after a password change,
// a new set of roles or the account disabled, nothing signed in before
// acts on. It returns how many it ended.
func (s *Sessions) EndUser(ctx context.Context, username, keep string) (int, error) {
	keepKey := ""
	if keep != "" {
		keepKey = sessionKey(keep)
	}
	n := 0
	for {
		page, err := s.st.List(ctx, SessionsCollection, store.ListOptions{Filter: map[string]string{"user": username}, Limit: 200})
		if err != nil {
			return n, fmt.Errorf("end sessions of %s: %w", username, err)
		}
		ended := 0
		for _, r := range page.Records {
			if r.ID == keepKey {
				continue
			}
			var sess Session
			if err := json.Unmarshal(r.Data, &sess); err != nil {
				return n, fmt.Errorf("session: %w", err)
			}
			sess.key, sess.version = r.ID, r.Version
			if err := s.end(ctx, sess); err != nil {
				return n, err
			}
			n++
			ended++
		}
		if ended == 0 || page.NextCursor == "" {
			return n, nil
		}
	}
}

// ClearMustChange marks the session of cookie as past its password change.
func (s *Sessions) ClearMustChange(ctx context.Context, cookie string) error {
	for attempt := 0; ; attempt++ {
		sess, err := s.Lookup(ctx, cookie)
		if err != nil {
			return err
		}
		sess.MustChangePassword = false
		err = s.save(ctx, &sess)
		if err == nil || !errors.Is(err, store.ErrConflict) || attempt >= 8 {
			return err
		}
	}
}

func (s *Sessions) end(ctx context.Context, sess Session) error {
	s.mu.Lock()
	delete(s.bearer, sess.key)
	s.mu.Unlock()
	for _, id := range sess.TokenIDs {
		if err := s.tokens.Revoke(ctx, id); err != nil && !errors.Is(err, auth.ErrTokenNotFound) {
			return err
		}
	}
	_, err := s.st.Commit(ctx, store.Tx{Deletes: []store.Delete{{Collection: SessionsCollection, ID: sess.key}}})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// Bearer returns the API token the bridge uses for sess, minting one (with
// the session's roles) the first time this process needs it. The raw token
// stays in memory; the store keeps only its id, to revoke it later. Minting
// is serialised so a page's burst of first requests mints one token.
func (s *Sessions) Bearer(ctx context.Context, sess Session) (string, error) {
	if raw, ok := s.cached(sess.key); ok {
		return raw, nil
	}
	s.mintMu.Lock()
	defer s.mintMu.Unlock()
	if raw, ok := s.cached(sess.key); ok {
		return raw, nil
	}
	tok, raw, err := s.tokens.Create(ctx, "会话 "+sess.Username, sess.Roles, "user:"+sess.Username)
	if err != nil {
		return "", fmt.Errorf("session token: %w", err)
	}
	if err := s.addToken(ctx, sess.key, tok.ID); err != nil {
		_ = s.tokens.Revoke(ctx, tok.ID)
		return "", err
	}
	s.mu.Lock()
	s.bearer[sess.key] = raw
	s.mu.Unlock()
	return raw, nil
}

func (s *Sessions) cached(key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw, ok := s.bearer[key]
	return raw, ok
}

// addToken records a minted token id on the session, re-reading it on a
// concurrent update (a visit touching LastSeen).
func (s *Sessions) addToken(ctx context.Context, key, id string) error {
	for attempt := 0; ; attempt++ {
		r, err := s.st.Get(ctx, SessionsCollection, key)
		if errors.Is(err, store.ErrNotFound) {
			return ErrNoSession
		}
		if err != nil {
			return fmt.Errorf("session token: %w", err)
		}
		var sess Session
		if err := json.Unmarshal(r.Data, &sess); err != nil {
			return fmt.Errorf("session token: %w", err)
		}
		sess.key, sess.version = key, r.Version
		sess.TokenIDs = append(sess.TokenIDs, id)
		err = s.save(ctx, &sess)
		if err == nil || !errors.Is(err, store.ErrConflict) || attempt >= 8 {
			return err
		}
	}
}

// Sweep ends sessions idle for longer than the expiry; it returns how many.
func (s *Sessions) Sweep(ctx context.Context) (int, error) {
	n := 0
	opts := store.ListOptions{Limit: 200}
	now := s.now().UTC()
	for {
		page, err := s.st.List(ctx, SessionsCollection, opts)
		if err != nil {
			return n, fmt.Errorf("sweep sessions: %w", err)
		}
		for _, r := range page.Records {
			var sess Session
			if json.Unmarshal(r.Data, &sess) != nil {
				continue
			}
			sess.key, sess.version = r.ID, r.Version
			if now.Sub(sess.LastSeen) > s.idle {
				if err := s.end(ctx, sess); err == nil {
					n++
				}
			}
		}
		if page.NextCursor == "" {
			return n, nil
		}
		opts.Cursor = page.NextCursor
	}
}

// Run sweeps expired sessions every few minutes until ctx ends.
func (s *Sessions) Run(ctx context.Context) error {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			_, _ = s.Sweep(ctx)
		}
	}
}
