package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/gateway/audit"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/store/bolt"
	"github.com/hallgate/hallgate/gateway/web"
)

func runCLI(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &cliEnv{stdout: &out, stderr: &errb, lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	err := dispatch(context.Background(), e, args)
	return out.String(), errb.String(), err
}

func repoFile(parts ...string) string {
	return filepath.Join(append([]string{"..", ".."}, parts...)...)
}

func TestConfigCheck(t *testing.T) {
	out, _, err := runCLI(t, nil, "config", "check", "--config", repoFile("config", "example.yaml"))
	if err != nil || !strings.Contains(out, "configuration ok") {
		t.Fatalf("example.yaml: %v %s", err, out)
	}
	out, _, err = runCLI(t, map[string]string{"HALLGATE_CONFIG": repoFile("config", "testdata", "bad.yaml")}, "config", "check")
	if err == nil {
		t.Fatal("bad config accepted")
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 10 || !strings.HasPrefix(lines[0], "server.addr: ") {
		t.Fatalf("every problem with its key path expected, got:\n%s", out)
	}
	// The calendar file is read: a holiday that ends before it starts is
	// named with its key, beside the other problems.
	cal := filepath.Join(t.TempDir(), "calendar.yaml")
	if err := os.WriteFile(cal, []byte("years:\n  - year: 2027\n    holidays: [{name: 元旦, from: 2027-01-05, to: 2027-01-01}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err = runCLI(t, map[string]string{"HALLGATE_CALENDAR_FILE": cal}, "config", "check")
	if err == nil || !strings.Contains(out, "tickets.calendar_file: ") {
		t.Fatalf("a bad calendar file: %v\n%s", err, out)
	}
	out, _, err = runCLI(t, map[string]string{"HALLGATE_CONFIG": repoFile("config", "testdata", "bad.yaml"), "HALLGATE_CALENDAR_FILE": cal}, "config", "check")
	if err == nil || !strings.Contains(out, "tickets.calendar_file: ") || !strings.Contains(out, "server.addr: ") {
		t.Fatalf("a bad calendar file among other problems: %v\n%s", err, out)
	}
	// Flags win over the environment.
	out, _, err = runCLI(t, map[string]string{"HALLGATE_ADDR": "bad"}, "config", "check", "--addr", ":9000")
	if err != nil || !strings.Contains(out, ":9000") {
		t.Fatalf("flag precedence: %v %s", err, out)
	}
}

func TestTokenCreateCLI(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"HALLGATE_DATA_DIR": dir}
	out, _, err := runCLI(t, env, "token", "create", "--name", "automation", "--roles", "admin, agent", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		ID    string   `json:"id"`
		Token string   `json:"token"`
		Roles []string `json:"roles"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || !strings.HasPrefix(got.Token, "hg_") || len(got.Roles) != 2 {
		t.Fatalf("output %q: %v", out, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "hallgate.db")); err != nil {
		t.Fatal("token not written to the data dir's store")
	}
	out, _, err = runCLI(t, env, "token", "list")
	if err != nil || !strings.Contains(out, got.ID) || !strings.Contains(out, "admin,agent") || strings.Contains(out, got.Token) {
		t.Fatalf("list: %v\n%s", err, out)
	}
	if out, _, err = runCLI(t, env, "token", "revoke", "--id", got.ID); err != nil || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: %v %s", err, out)
	}
	out, _, err = runCLI(t, env, "token", "list", "--json")
	if err != nil || strings.TrimSpace(out) != "[]" {
		t.Fatalf("list after revoke: %v %q", err, out)
	}
	if _, _, err := runCLI(t, env, "token", "revoke", "--id", got.ID); err == nil {
		t.Fatal("second revoke succeeded")
	}
	if _, _, err := runCLI(t, env, "token", "create", "--name", "x", "--roles", "root"); err == nil {
		t.Fatal("unknown role accepted")
	}
	if _, _, err := runCLI(t, env, "token", "create", "--roles", "agent"); !errors.Is(err, errUsage) {
		t.Fatalf("missing name: %v", err)
	}
	// The command line's changes are in the audit trail: the creation and
	// the revocation, by the operating-system user; not the refused ones.
	st, err := bolt.Open(context.Background(), bolt.Options{Path: filepath.Join(dir, "hallgate.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	page, err := audit.New(st, audit.Options{}).List(context.Background(), audit.Query{Target: got.ID})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range page.Entries {
		if !strings.HasPrefix(e.Actor, "cli:") {
			t.Errorf("entry by %q, want cli:<user>", e.Actor)
		}
		actions = append(actions, e.Action+" "+e.Details["roles"])
	}
	if strings.Join(actions, "; ") != "CLI hallgate token revoke ; CLI hallgate token create admin, agent" {
		t.Fatalf("the trail of the token: %q", actions)
	}
}

func TestUsage(t *testing.T) {
	if _, errOut, err := runCLI(t, nil, "frobnicate"); !errors.Is(err, errUsage) || !strings.Contains(errOut, "config check") {
		t.Fatalf("unknown command: %v %s", err, errOut)
	}
	if out, _, err := runCLI(t, nil, "help"); err != nil || !strings.Contains(out, "token create") {
		t.Fatal("help")
	}
}

// The way back into an account from the command line: a user created, then
// locked out by wrong passwords and disabled, signs in again after `user
// password`; the change is in the audit trail.
func TestUserPasswordCLI(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"HALLGATE_DATA_DIR": dir}
	withStdin := func(in string, args ...string) (string, error) {
		var out, errb bytes.Buffer
		e := &cliEnv{stdin: strings.NewReader(in), stdout: &out, stderr: &errb, lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
		err := dispatch(context.Background(), e, args)
		return out.String() + errb.String(), err
	}
	if out, err := withStdin("first-password\n", "user", "create", "--username", "root", "--name", "管理员", "--roles", "admin"); err != nil {
		t.Fatalf("create: %v %s", err, out)
	}
	ctx := context.Background()
	open := func() store.Store {
		st, err := bolt.Open(ctx, bolt.Options{Path: filepath.Join(dir, "hallgate.db")})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := open()
	users := web.NewUsers(st)
	for range web.MaxFailedLogins {
		_, _ = users.Verify(ctx, "root", "wrong-password")
	}
	var locked *web.LockedError
	if _, err := users.Verify(ctx, "root", "first-password"); !errors.As(err, &locked) {
		t.Fatalf("not locked: %v", err)
	}
	st.Close()
	if out, err := withStdin("short\n", "user", "password", "--username", "root"); err == nil {
		t.Fatalf("a short password accepted: %s", out)
	}
	if out, err := withStdin("second-password\n", "user", "password", "--username", "root"); err != nil || !strings.Contains(out, "unlocked") {
		t.Fatalf("user password: %v %s", err, out)
	}
	st = open()
	defer st.Close()
	if u, err := web.NewUsers(st).Verify(ctx, "root", "second-password"); err != nil || u.MustChangePassword {
		t.Fatalf("sign-in after the reset: %v (must change %v)", err, u.MustChangePassword)
	}
	page, err := audit.New(st, audit.Options{}).List(ctx, audit.Query{Target: "user:root"})
	if err != nil || len(page.Entries) != 2 || page.Entries[0].Action != "CLI hallgate user password" {
		t.Fatalf("the audit trail of root: %+v %v", page.Entries, err)
	}
}
