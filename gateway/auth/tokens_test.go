package auth

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/gateway/store/bolt"
)

func openTokens(t *testing.T, bootstrap string) *Tokens {
	t.Helper()
	st, err := bolt.Open(context.Background(), bolt.Options{Path: filepath.Join(t.TempDir(), "t.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return NewTokens(st, bootstrap)
}

func TestTokenCreateAuthenticateRevoke(t *testing.T) {
	ctx := context.Background()
	ts := openTokens(t, "")
	tok, secret, err := ts.Create(ctx, "agent one", []Role{RoleAgent, DepartmentRole("D1")}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if tok.Hash != "" || !strings.HasPrefix(secret, TokenPrefix+tok.ID+"_") {
		t.Fatalf("token %+v secret %q", tok, secret)
	}
	p, err := ts.Authenticate(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "agent one" || !p.Has(RoleAgent) || !p.Has(RoleDepartment) || p.Has(RoleAdmin) {
		t.Fatalf("principal %+v", p)
	}
	list, err := ts.List(ctx)
	if err != nil || len(list) != 1 || list[0].Hash != "" {
		t.Fatalf("list %+v %v", list, err)
	}
	for _, bad := range []string{"", "hg_", "hg_" + tok.ID, secret + "x", strings.Replace(secret, tok.ID, "0000000000000000", 1), "other"} {
		if _, err := ts.Authenticate(ctx, bad); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%q: want ErrUnauthenticated, got %v", bad, err)
		}
	}
	if err := ts.Revoke(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Authenticate(ctx, secret); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("revoked token accepted: %v", err)
	}
	if err := ts.Revoke(ctx, tok.ID); !errors.Is(err, ErrTokenNotFound) {
		t.Fatalf("second revoke: %v", err)
	}
}

func TestBootstrapToken(t *testing.T) {
	ts := openTokens(t, "bootstrap-token-0123456789")
	p, err := ts.Authenticate(context.Background(), "bootstrap-token-0123456789")
	if err != nil || !p.Has(RoleAdmin) {
		t.Fatalf("bootstrap: %+v %v", p, err)
	}
	if _, err := ts.Authenticate(context.Background(), "bootstrap-token-012345678"); !errors.Is(err, ErrUnauthenticated) {
		t.Fatal("prefix of bootstrap token accepted")
	}
	// Without a bootstrap token configured, the empty string is not admin.
	if _, err := openTokens(t, "").Authenticate(context.Background(), ""); !errors.Is(err, ErrUnauthenticated) {
		t.Fatal("empty bearer accepted")
	}
}

func TestStoreFailureIsNotUnauthenticated(t *testing.T) {
	ctx := context.Background()
	st, err := bolt.Open(ctx, bolt.Options{Path: filepath.Join(t.TempDir(), "t.db")})
	if err != nil {
		t.Fatal(err)
	}
	ts := NewTokens(st, "")
	_, secret, err := ts.Create(ctx, "x", []Role{RoleAgent}, "")
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, err := ts.Authenticate(ctx, secret); err == nil || errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("store outage must not look like a bad token: %v", err)
	}
}

func TestValidateRoles(t *testing.T) {
	for _, ok := range [][]Role{{RoleAgent}, {RoleAdmin, RoleOpen311}, {DepartmentRole("SCJG_01")}} {
		if err := ValidateRoles(ok); err != nil {
			t.Errorf("%v: %v", ok, err)
		}
	}
	for _, bad := range [][]Role{nil, {RoleCitizen}, {RoleDepartment}, {"department:"}, {"department:a b"}, {"root"}} {
		if err := ValidateRoles(bad); !errors.Is(err, ErrInvalidRole) {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestAdmits(t *testing.T) {
	agent := Principal{ID: "a", Roles: []Role{RoleAgent}}
	dept := Principal{ID: "d", Roles: []Role{DepartmentRole("X")}}
	cases := []struct {
		roles []Role
		p     Principal
		want  bool
	}{
		{[]Role{RoleCitizen}, Anonymous, true},
		{[]Role{RoleCitizen}, agent, true},
		{[]Role{RoleAgent}, Anonymous, false},
		{[]Role{RoleAgent}, agent, true},
		{[]Role{RoleAdmin}, agent, false},
		{[]Role{RoleDepartment}, dept, true},
		{[]Role{RoleDepartment}, agent, false},
		{[]Role{DepartmentRole("Y")}, dept, false},
	}
	for i, c := range cases {
		if got := Admits(c.roles, c.p); got != c.want {
			t.Errorf("case %d: Admits(%v, %v) = %v", i, c.roles, c.p.Roles, got)
		}
	}
}
