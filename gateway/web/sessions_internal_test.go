package web

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/store/bolt"
)

func TestSessionIdleExpiryRevokesTokens(t *testing.T) {
	ctx := context.Background()
	st, err := bolt.Open(ctx, bolt.Options{Path: filepath.Join(t.TempDir(), "web.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tokens := auth.NewTokens(st, "")
	users := NewUsers(st)
	users.cost = 4 // bcrypt.MinCost: the test checks the flow, not the hash cost
	u, err := users.Create(ctx, NewUser{Username: "li", DisplayName: "小李", Password: "li-password-1", Roles: []auth.Role{auth.RoleAgent}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := users.Verify(ctx, "li", "wrong-password"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := users.Verify(ctx, "nobody", "li-password-1"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("unknown user: %v", err)
	}
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	s := NewSessions(st, tokens, 10*time.Minute)
	s.now = func() time.Time { return now }
	cookie, sess, err := s.Start(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := s.Bearer(ctx, sess)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := tokens.Authenticate(ctx, raw); err != nil || !p.Has(auth.RoleAgent) {
		t.Fatalf("session token: %v %v", p, err)
	}
	// Activity keeps the session alive past the idle limit.
	for range 3 {
		now = now.Add(8 * time.Minute)
		if _, err := s.Lookup(ctx, cookie); err != nil {
			t.Fatalf("active session: %v", err)
		}
	}
	now = now.Add(11 * time.Minute)
	if _, err := s.Lookup(ctx, cookie); !errors.Is(err, ErrNoSession) {
		t.Fatalf("idle session: %v", err)
	}
	if _, err := tokens.Authenticate(ctx, raw); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("token of an expired session still works: %v", err)
	}

	// Sweep ends idle sessions nobody looks up again.
	c2, _, err := s.Start(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if n, err := s.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	if _, err := s.Lookup(ctx, c2); !errors.Is(err, ErrNoSession) {
		t.Fatalf("swept session: %v", err)
	}
	if n, _ := st.Count(ctx, SessionsCollection, nil); n != 0 {
		t.Fatalf("%d sessions left", n)
	}
}

func TestNewUserValidateListsEveryProblem(t *testing.T) {
	err := NewUser{Username: "X!", Password: "short", Roles: []auth.Role{"king"}}.Validate()
	if !errors.Is(err, ErrInvalidUser) {
		t.Fatal(err)
	}
	for _, f := range []string{"username", "display_name", "password", "roles"} {
		if !contains(err.Error(), f) {
			t.Errorf("%s not reported: %v", f, err)
		}
	}
	if err := (NewUser{Username: "ok.user", DisplayName: "好", Password: "0123456789a", Roles: []auth.Role{auth.RoleAgent}}).Validate(); err != nil {
		t.Fatal(err)
	}
	// 口令复杂度: ten characters of one kind are not enough.
	for _, weak := range []string{"0123456789", "abcdefghijk", "密码密码密码密码密码密", "!!!!!!!!!!"} {
		if err := (NewUser{Username: "ok.user", DisplayName: "好", Password: weak, Roles: []auth.Role{auth.RoleAgent}}).Validate(); !errors.Is(err, ErrInvalidUser) || !contains(err.Error(), "two kinds") {
			t.Errorf("%q accepted: %v", weak, err)
		}
	}
	for _, ok := range []string{"abcdefghij1", "abcdefghij-", "2026年11月28日开始"} {
		if !passwordOK(ok) {
			t.Errorf("%q refused", ok)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestHighlightEscapesAllButMarks(t *testing.T) {
	got := string(highlight(`<script>x</script>居<em>住证</em>"`))
	want := `&lt;script&gt;x&lt;/script&gt;居<mark>住证</mark>&#34;`
	if got != want {
		t.Fatalf("highlight: %s", got)
	}
	if safeNext("//evil.example") != "/agent" || safeNext("https://evil.example") != "/agent" || safeNext("/admin") != "/admin" {
		t.Fatal("safeNext lets an off-site redirect through")
	}
}
