package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"

	"github.com/hallgate/hallgate/gateway"
	"github.com/hallgate/hallgate/gateway/audit"
	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/store"
)

// openTokens opens the configured store for the token subcommands.
func openTokens(ctx context.Context, env *cliEnv, cf *configFlags) (*auth.Tokens, store.Store, error) {
	cfg, err := cf.load(env)
	if err != nil {
		return nil, nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	st, err := gateway.OpenStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return auth.NewTokens(st, ""), st, nil
}

// auditCLI records a change made from the command line in the audit
// trail, as the operating-system user who ran it.
func auditCLI(ctx context.Context, st store.Store, action, target string, details map[string]string) error {
	who := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		who = u.Username
	}
	e := audit.Entry{Actor: "cli:" + who, ActorName: who, Action: "CLI hallgate " + action, Target: target, Details: details, Status: 200}
	if err := audit.New(st, audit.Options{}).Write(ctx, e); err != nil {
		return fmt.Errorf("the change is made, but the audit trail could not record it: %w", err)
	}
	return nil
}

// runTokenList prints every token without secrets.
func runTokenList(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "token list")
	var cf configFlags
	cf.register(fs, false)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tokens, st, err := openTokens(ctx, env, &cf)
	if err != nil {
		return err
	}
	defer st.Close()
	list, err := tokens.List(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		if list == nil {
			list = []auth.Token{}
		}
		return json.NewEncoder(env.stdout).Encode(list)
	}
	w := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tROLES\tCREATED")
	for _, t := range list {
		roles := make([]string, len(t.Roles))
		for i, r := range t.Roles {
			roles[i] = string(r)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", t.ID, t.Name, strings.Join(roles, ","), t.CreatedAt.Format("2006-01-02 15:04"))
	}
	return w.Flush()
}

// runTokenRevoke deletes a token by id.
func runTokenRevoke(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "token revoke")
	var cf configFlags
	cf.register(fs, false)
	id := fs.String("id", "", "id of the token to revoke (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *id == "" {
		fs.Usage()
		return fmt.Errorf("%w: --id is required", errUsage)
	}
	tokens, st, err := openTokens(ctx, env, &cf)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := tokens.Revoke(ctx, *id); err != nil {
		return err
	}
	if err := auditCLI(ctx, st, "token revoke", *id, nil); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "revoked %s\n", *id)
	return nil
}
