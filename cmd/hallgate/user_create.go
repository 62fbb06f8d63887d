package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/hallgate/hallgate/gateway"
	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/web"
)

// runUserCreate creates a staff user for the web pages directly in the
// store; the password is read from standard input (one line), never a flag.
func runUserCreate(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "user create")
	var cf configFlags
	cf.register(fs, false)
	username := fs.String("username", "", "sign-in name (required)")
	display := fs.String("name", "", "display name")
	roles := fs.String("roles", "agent", "comma-separated roles: agent, supervisor, editor, admin, department:<code>")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *username == "" {
		fmt.Fprintln(env.stderr, "user create needs --username; the password is read from standard input")
		return errUsage
	}
	st, password, err := storeAndPassword(ctx, env, &cf, "user create")
	if err != nil {
		return err
	}
	defer st.Close()
	var rs []auth.Role
	for _, r := range splitList(*roles) {
		rs = append(rs, auth.Role(r))
	}
	u, err := web.CreateUser(ctx, st, web.NewUser{Username: *username, DisplayName: *display, Password: password, Roles: rs})
	if err != nil {
		return err
	}
	if err := auditCLI(ctx, st, "user create", "user:"+u.Username, map[string]string{"roles": *roles}); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "user %s created with roles %v\n", u.Username, u.Roles)
	return nil
}

// runUserPassword is the way back into an account when no admin can sign
// in (the only admin locked out or disabled): it sets the password read
// from standard input, enables the account, lifts a lock and ends the
// user's sessions. With the embedded store the gateway must be stopped.
func runUserPassword(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "user password")
	var cf configFlags
	cf.register(fs, false)
	username := fs.String("username", "", "sign-in name (required)")
	mustChange := fs.Bool("must-change", false, "ask for a new password at the next sign-in (you reset it for someone else)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *username == "" {
		fmt.Fprintln(env.stderr, "user password needs --username; the password is read from standard input")
		return errUsage
	}
	st, password, err := storeAndPassword(ctx, env, &cf, "user password")
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := web.RecoverUser(ctx, st, auth.NewTokens(st, ""), *username, password, *mustChange)
	if err != nil {
		return err
	}
	if err := auditCLI(ctx, st, "user password", "user:"+u.Username, nil); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "user %s: password set, account enabled and unlocked, sessions ended\n", u.Username)
	return nil
}

// storeAndPassword reads one line of standard input as a password (never a
// flag: flags show in process lists) and opens the configured store.
func storeAndPassword(ctx context.Context, env *cliEnv, cf *configFlags, cmd string) (store.Store, string, error) {
	cfg, err := cf.load(env)
	if err != nil {
		return nil, "", err
	}
	if err := cfg.Validate(); err != nil {
		return nil, "", err
	}
	if env.stdin == nil {
		return nil, "", fmt.Errorf("%s reads the password from standard input", cmd)
	}
	line, err := bufio.NewReader(env.stdin).ReadString('\n')
	if err != nil && line == "" {
		return nil, "", fmt.Errorf("read password from standard input: %w", err)
	}
	st, err := gateway.OpenStore(ctx, cfg)
	if err != nil {
		return nil, "", err
	}
	return st, strings.TrimRight(line, "\r\n"), nil
}
