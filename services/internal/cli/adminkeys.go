package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
)

var adminKeysSummary = map[string]string{
	"create": "Creates an admin key with a role (admin, developer or viewer) and prints its secret once.",
	"list":   "Lists admin keys (never their secrets).",
	"revoke": "Revokes an admin key at once.",
}

var adminRoles = map[string]keyvaultv1.AdminRole{
	"admin":     keyvaultv1.AdminRole_ADMIN_ROLE_ADMIN,
	"developer": keyvaultv1.AdminRole_ADMIN_ROLE_DEVELOPER,
	"viewer":    keyvaultv1.AdminRole_ADMIN_ROLE_VIEWER,
}

// adminKeys manages the keys of the people and tools that administer
// Manifold: create, list, revoke.
func adminKeys(ctx context.Context, args []string, env Env) error {
	verb, args, err := subcommand("admin-keys", args, env, "create", "list", "revoke")
	if err != nil {
		return err
	}
	var r remote
	fs := newFlagSet("admin-keys "+verb, adminKeysSummary[verb], env)
	r.register(fs)
	var (
		name, role, user, id, reason string
		expiresIn                    time.Duration
	)
	switch verb {
	case "create":
		fs.StringVar(&name, "name", "", "the key's name, e.g. \"ci deploys\" (required)")
		fs.StringVar(&role, "role", "", "admin, developer or viewer (required)")
		fs.StringVar(&user, "user", "", "the person or tool the key belongs to (required)")
		fs.DurationVar(&expiresIn, "expires-in", 0, "the key stops working after this long (0: never)")
	case "revoke":
		fs.StringVar(&id, "id", "", "the key's id (required)")
		fs.StringVar(&reason, "reason", "", "why, for the audit log")
	}
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := r.validate(); err != nil {
		return err
	}
	c := keyVaultClient(&r)
	switch verb {
	case "create":
		rl, ok := adminRoles[role]
		switch {
		case name == "":
			return usageError{errors.New("missing --name")}
		case user == "":
			return usageError{errors.New("missing --user")}
		case !ok:
			return usageError{fmt.Errorf("invalid --role %q: want admin, developer or viewer", role)}
		case expiresIn < 0:
			return usageError{fmt.Errorf("invalid --expires-in %s: must not be negative", expiresIn)}
		}
		req := &keyvaultv1.CreateAdminKeyRequest{Name: name, Role: rl, User: user}
		if expiresIn > 0 {
			req.ExpiresAt = timestamppb.New(time.Now().Add(expiresIn))
		}
		res, err := c.CreateAdminKey(ctx, connect.NewRequest(req))
		if err != nil {
			return rpcError(err)
		}
		if r.output == "json" {
			return printJSON(env.Stdout, res.Msg)
		}
		if err := printTable(env.Stdout, adminKeyHeader, [][]string{adminKeyRow(res.Msg.GetKey())}); err != nil {
			return err
		}
		_, err = fmt.Fprintf(env.Stdout, "\nsecret: %s\nStore it now: it is shown only once.\n", res.Msg.GetSecret())
		return err
	case "list":
		res, err := c.ListAdminKeys(ctx, connect.NewRequest(&keyvaultv1.ListAdminKeysRequest{PageSize: 1000}))
		if err != nil {
			return rpcError(err)
		}
		if r.output == "json" {
			return printJSON(env.Stdout, res.Msg)
		}
		var rows [][]string
		for _, k := range res.Msg.GetKeys() {
			rows = append(rows, adminKeyRow(k))
		}
		return printTable(env.Stdout, adminKeyHeader, rows)
	default: // revoke
		if id == "" {
			return usageError{errors.New("missing --id")}
		}
		res, err := c.RevokeAdminKey(ctx, connect.NewRequest(&keyvaultv1.RevokeAdminKeyRequest{KeyId: id, Reason: reason}))
		if err != nil {
			return rpcError(err)
		}
		if r.output == "json" {
			return printJSON(env.Stdout, res.Msg)
		}
		return printTable(env.Stdout, []string{"REVOKED"}, [][]string{{id}})
	}
}

var adminKeyHeader = []string{"ID", "NAME", "ROLE", "USER", "STATE", "SECRET", "EXPIRES"}

func adminKeyRow(k *keyvaultv1.AdminKey) []string {
	expires := "never"
	if k.GetExpiresAt() != nil {
		expires = k.GetExpiresAt().AsTime().Format(time.RFC3339)
	}
	return []string{k.GetId(), k.GetName(), enumName(k.GetRole().String(), "ADMIN_ROLE_"), k.GetUser(),
		enumName(k.GetState().String(), "KEY_STATE_"), k.GetSecretHint() + "…", expires}
}
