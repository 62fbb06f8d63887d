package web

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/store/bolt"
)

func openUsers(t *testing.T) (store.Store, *Users, *time.Time) {
	t.Helper()
	st, err := bolt.Open(context.Background(), bolt.Options{Path: filepath.Join(t.TempDir(), "users.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	u := NewUsers(st)
	u.cost = 4 // bcrypt.MinCost: the tests check the flow, not the hash cost
	u.now = func() time.Time { return now }
	return st, u, &now
}

func TestWrongPasswordsLockTheAccount(t *testing.T) {
	ctx := context.Background()
	_, users, now := openUsers(t)
	if _, err := users.Create(ctx, NewUser{Username: "li", DisplayName: "小李", Password: "li-password-1", Roles: []auth.Role{auth.RoleAgent}}, "cli"); err != nil {
		t.Fatal(err)
	}
	// Four wrong, then the right one: the run is forgotten.
	for range MaxFailedLogins - 1 {
		if _, err := users.Verify(ctx, "li", "guess-guess"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
	}
	if _, err := users.Verify(ctx, "li", "li-password-1"); err != nil {
		t.Fatalf("right password after four wrong: %v", err)
	}
	// Four wrong, a pause longer than the window, four more: no lock.
	for range MaxFailedLogins - 1 {
		_, _ = users.Verify(ctx, "li", "guess-guess")
	}
	*now = now.Add(FailureWindow + time.Minute)
	for range MaxFailedLogins - 1 {
		if _, err := users.Verify(ctx, "li", "guess-guess"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("after the window: %v", err)
		}
	}
	// The fifth in the window locks, and then even the right password is
	// refused without being checked.
	var locked *LockedError
	if _, err := users.Verify(ctx, "li", "guess-guess"); !errors.As(err, &locked) || !locked.Until.Equal(now.Add(LockFor)) {
		t.Fatalf("fifth wrong password: %v, want locked until %v", err, now.Add(LockFor))
	}
	if _, err := users.Verify(ctx, "li", "li-password-1"); !errors.As(err, &locked) {
		t.Fatalf("right password while locked: %v", err)
	}
	if u, _ := users.Get(ctx, "li"); u.StatusLabel() == "正常" || !u.Locked(*now) {
		t.Errorf("locked account reads %q", u.StatusLabel())
	}
	*now = now.Add(LockFor + time.Second)
	if _, err := users.Verify(ctx, "li", "li-password-1"); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
	// An admin's reset lifts a lock at once and asks for a new password.
	for range MaxFailedLogins {
		_, _ = users.Verify(ctx, "li", "guess-guess")
	}
	if _, err := users.SetPassword(ctx, "li", "temporary-pass", false); err != nil {
		t.Fatal(err)
	}
	u, err := users.Verify(ctx, "li", "temporary-pass")
	if err != nil || !u.MustChangePassword {
		t.Fatalf("after the reset: %v, must change %v", err, u.MustChangePassword)
	}
	if _, err := users.SetPassword(ctx, "li", "temporary-pass", true); !errors.Is(err, ErrInvalidUser) {
		t.Fatalf("the same password again: %v", err)
	}
	if u, err := users.SetPassword(ctx, "li", "my-own-password", true); err != nil || u.MustChangePassword {
		t.Fatalf("the user's own password: %v, must change %v", err, u.MustChangePassword)
	}
}

func TestDisabledAccountsAndTheLastAdmin(t *testing.T) {
	ctx := context.Background()
	st, users, _ := openUsers(t)
	for _, n := range []NewUser{
		{Username: "root", DisplayName: "管理员", Password: "root-password", Roles: []auth.Role{auth.RoleAdmin}},
		{Username: "boss", DisplayName: "班长", Password: "boss-password", Roles: []auth.Role{auth.RoleSupervisor, auth.RoleAdmin}},
		{Username: "li", DisplayName: "小李", Password: "li-password-1", Roles: []auth.Role{auth.RoleAgent}},
	} {
		u, err := users.Create(ctx, n, "user:root")
		if err != nil {
			t.Fatal(err)
		}
		if !u.MustChangePassword {
			t.Errorf("%s created by an admin need not change the password", n.Username)
		}
	}
	if _, err := users.SetDisabled(ctx, "li", true, "user:root"); err != nil {
		t.Fatal(err)
	}
	if _, err := users.Verify(ctx, "li", "li-password-1"); !errors.Is(err, ErrDisabled) {
		t.Fatalf("right password, disabled: %v", err)
	}
	if _, err := users.Verify(ctx, "li", "wrong-password"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong password, disabled: %v (must not tell the account is disabled)", err)
	}
	if _, err := users.SetDisabled(ctx, "li", false, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := users.Verify(ctx, "li", "li-password-1"); err != nil {
		t.Fatalf("enabled again: %v", err)
	}
	// Two admins: one may go; the other then may neither be disabled nor
	// lose the admin role.
	if _, err := users.SetRoles(ctx, "boss", []auth.Role{auth.RoleSupervisor}); err != nil {
		t.Fatal(err)
	}
	if _, err := users.SetDisabled(ctx, "root", true, "x"); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("disabling the last admin: %v", err)
	}
	if _, err := users.SetRoles(ctx, "root", []auth.Role{auth.RoleAgent}); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("demoting the last admin: %v", err)
	}
	if _, err := users.SetRoles(ctx, "li", []auth.Role{"root"}); !errors.Is(err, ErrInvalidUser) {
		t.Fatalf("an unknown role: %v", err)
	}
	if _, err := users.SetDisabled(ctx, "nobody", true, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an unknown user: %v", err)
	}
	// The command line's way back: password set, enabled, unlocked.
	if _, err := users.SetDisabled(ctx, "li", true, "x"); err != nil {
		t.Fatal(err)
	}
	u, err := RecoverUser(ctx, st, auth.NewTokens(st, ""), "li", "recovered-pass", false)
	if err != nil || u.Disabled || u.MustChangePassword {
		t.Fatalf("recover: %+v %v", u, err)
	}
	if _, err := users.Verify(ctx, "li", "recovered-pass"); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

func TestEndUserEndsEveryOtherSession(t *testing.T) {
	ctx := context.Background()
	st, users, _ := openUsers(t)
	tokens := auth.NewTokens(st, "")
	u, err := users.Create(ctx, NewUser{Username: "li", DisplayName: "小李", Password: "li-password-1", Roles: []auth.Role{auth.RoleAgent}}, "cli")
	if err != nil {
		t.Fatal(err)
	}
	other, err := users.Create(ctx, NewUser{Username: "wang", DisplayName: "小王", Password: "wang-password", Roles: []auth.Role{auth.RoleAgent}}, "cli")
	if err != nil {
		t.Fatal(err)
	}
	s := NewSessions(st, tokens, 0)
	var cookies []string
	for range 3 {
		c, sess, err := s.Start(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Bearer(ctx, sess); err != nil {
			t.Fatal(err)
		}
		cookies = append(cookies, c)
	}
	wangCookie, _, err := s.Start(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.EndUser(ctx, "li", cookies[0])
	if err != nil || n != 2 {
		t.Fatalf("ended %d (%v), want 2", n, err)
	}
	for i, c := range cookies {
		_, err := s.Lookup(ctx, c)
		if (i == 0) != (err == nil) {
			t.Errorf("session %d after EndUser keeping 0: %v", i, err)
		}
	}
	if _, err := s.Lookup(ctx, wangCookie); err != nil {
		t.Errorf("another user's session ended: %v", err)
	}
	toks, err := tokens.List(ctx)
	if err != nil || len(toks) != 1 {
		t.Fatalf("%d session tokens left (%v), want the kept session's one", len(toks), err)
	}
}
