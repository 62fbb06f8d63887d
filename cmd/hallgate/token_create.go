package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/hallgate/hallgate/gateway/auth"
)

// runTokenCreate writes a token straight into the configured store. With
// the embedded store the gateway must not be running (the file is locked);
// use POST /api/v1/tokens then.
func runTokenCreate(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "token create")
	var cf configFlags
	cf.register(fs, false)
	name := fs.String("name", "", "what the token is for (required)")
	roles := fs.String("roles", "", "comma-separated roles: agent, supervisor, editor, admin, open311, partner, department:<code>")
	asJSON := fs.Bool("json", false, "print {id, token, name, roles} as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *name == "" || *roles == "" {
		fs.Usage()
		return fmt.Errorf("%w: --name and --roles are required", errUsage)
	}
	var rs []auth.Role
	for _, r := range splitList(*roles) {
		rs = append(rs, auth.Role(r))
	}
	if err := auth.ValidateRoles(rs); err != nil {
		return err
	}
	tokens, st, err := openTokens(ctx, env, &cf)
	if err != nil {
		return err
	}
	defer st.Close()
	tok, secret, err := tokens.Create(ctx, *name, rs, "cli")
	if err != nil {
		return err
	}
	if err := printToken(env.stdout, *asJSON, tok, secret); err != nil {
		return err
	}
	return auditCLI(ctx, st, "token create", tok.ID, map[string]string{"roles": *roles})
}

func printToken(w io.Writer, asJSON bool, tok auth.Token, secret string) error {
	if asJSON {
		return json.NewEncoder(w).Encode(map[string]any{"id": tok.ID, "token": secret, "name": tok.Name, "roles": tok.Roles})
	}
	_, err := fmt.Fprintf(w, "id:    %s\ntoken: %s\n(the token is shown once; store it now)\n", tok.ID, secret)
	return err
}
