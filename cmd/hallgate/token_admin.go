package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/hallgate/hallgate/gateway"
	"github.com/hallgate/hallgate/gateway/auth"
)

// openTokens opens the configured store for the token subcommands.
func openTokens(ctx context.Context, env *cliEnv, cf *configFlags) (*auth.Tokens, func() error, error) {
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
	return auth.NewTokens(st, ""), st.Close, nil
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
	tokens, closeStore, err := openTokens(ctx, env, &cf)
	if err != nil {
		return err
	}
	defer closeStore()
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
	tokens, closeStore, err := openTokens(ctx, env, &cf)
	if err != nil {
		return err
	}
	defer closeStore()
	if err := tokens.Revoke(ctx, *id); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "revoked %s\n", *id)
	return nil
}
