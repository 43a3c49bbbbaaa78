package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1/keyvaultv1connect"
)

func keyVaultClient(r *remote) keyvaultv1connect.KeyVaultServiceClient {
	hc, opts := r.client()
	return keyvaultv1connect.NewKeyVaultServiceClient(hc, r.server, opts...)
}

// subcommand splits "<verb> [flags]" and checks the verb; "--help" lists
// the verbs.
func subcommand(cmd string, args []string, env Env, verbs ...string) (string, []string, error) {
	usage := fmt.Sprintf("manifold %s %s [flags]", cmd, strings.Join(verbs, "|"))
	if len(args) == 0 {
		return "", nil, usageError{fmt.Errorf("usage: %s (missing verb)", usage)}
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprintf(env.Stdout, "Usage: %s\n\nRun 'manifold %s <verb> --help' for a verb's flags.\n", usage, cmd)
		return "", nil, flag.ErrHelp
	}
	for _, v := range verbs {
		if args[0] == v {
			return v, args[1:], nil
		}
	}
	return "", nil, usageError{fmt.Errorf("usage: %s (unknown verb %q)", usage, args[0])}
}

// list is a comma-separated flag value.
type list []string

func (l *list) String() string { return strings.Join(*l, ",") }

func (l *list) Set(v string) error {
	*l = nil
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// keys manages virtual keys: create, list, revoke, rotate.
func keys(ctx context.Context, args []string, env Env) error {
	verb, args, err := subcommand("keys", args, env, "create", "list", "revoke", "rotate")
	if err != nil {
		return err
	}
	var r remote
	fs := newFlagSet("keys "+verb, keysSummary[verb], env)
	r.register(fs)
	var (
		id, name, user, team, project, reason string
		routes, models, promptAPIs, budgets   list
		expiresIn, grace                      time.Duration
		all                                   bool
	)
	switch verb {
	case "create":
		fs.StringVar(&name, "name", "", "the key's name, e.g. \"checkout prod\" (required)")
		fs.StringVar(&user, "user", "", "the user the key belongs to")
		fs.StringVar(&team, "team", "", "the team the key belongs to")
		fs.StringVar(&project, "project", "", "the project the key belongs to")
		fs.Var(&routes, "routes", "routes the key may call, comma-separated patterns ('*' matches anything); default all")
		fs.Var(&models, "models", "models the key may call directly, comma-separated patterns; default none")
		fs.Var(&promptAPIs, "prompt-apis", "prompt-API slugs the key may call, comma-separated patterns; default none")
		fs.Var(&budgets, "budgets", "budget ids to charge, comma-separated")
		fs.DurationVar(&expiresIn, "expires-in", 0, "the key stops working after this long (0: never)")
	case "list":
		fs.BoolVar(&all, "all", false, "also list revoked and expired keys")
	case "revoke":
		fs.StringVar(&id, "id", "", "the key's id, vk_… (required)")
		fs.StringVar(&reason, "reason", "", "why, for the audit log")
	case "rotate":
		fs.StringVar(&id, "id", "", "the key's id, vk_… (required)")
		fs.DurationVar(&grace, "grace", 24*time.Hour, "how long the previous secret keeps working (0 stops it at once)")
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
		if name == "" {
			return usageError{errors.New("missing --name")}
		}
		if user == "" && team == "" && project == "" {
			return usageError{errors.New("name an owner: --user, --team or --project")}
		}
		if expiresIn < 0 {
			return usageError{fmt.Errorf("invalid --expires-in %s: must not be negative", expiresIn)}
		}
		if !isSet(fs, "routes") {
			routes = list{"*"}
		}
		req := &keyvaultv1.CreateVirtualKeyRequest{
			Name: name, Owner: &keyvaultv1.KeyOwner{User: user, Team: team, Project: project},
			Scopes:    &keyvaultv1.KeyScopes{Routes: routes, Models: models, PromptApis: promptAPIs},
			BudgetIds: budgets,
		}
		if expiresIn > 0 {
			req.ExpiresAt = timestamppb.New(time.Now().Add(expiresIn))
		}
		res, err := c.CreateVirtualKey(ctx, connect.NewRequest(req))
		if err != nil {
			return rpcError(err)
		}
		return printSecretKey(env, r.output, res.Msg, res.Msg.GetKey(), res.Msg.GetSecret())
	case "list":
		req := &keyvaultv1.ListVirtualKeysRequest{PageSize: 1000}
		if all {
			req.States = []keyvaultv1.KeyState{keyvaultv1.KeyState_KEY_STATE_ACTIVE, keyvaultv1.KeyState_KEY_STATE_REVOKED, keyvaultv1.KeyState_KEY_STATE_EXPIRED}
		}
		res, err := c.ListVirtualKeys(ctx, connect.NewRequest(req))
		if err != nil {
			return rpcError(err)
		}
		if r.output == "json" {
			return printJSON(env.Stdout, res.Msg)
		}
		rows := make([][]string, 0, len(res.Msg.GetKeys()))
		for _, k := range res.Msg.GetKeys() {
			rows = append(rows, keyRow(k))
		}
		return printTable(env.Stdout, keyHeader, rows)
	case "revoke":
		if id == "" {
			return usageError{errors.New("missing --id")}
		}
		res, err := c.RevokeVirtualKey(ctx, connect.NewRequest(&keyvaultv1.RevokeVirtualKeyRequest{KeyId: id, Reason: reason}))
		if err != nil {
			return rpcError(err)
		}
		if r.output == "json" {
			return printJSON(env.Stdout, res.Msg)
		}
		return printTable(env.Stdout, keyHeader, [][]string{keyRow(res.Msg.GetKey())})
	default: // rotate
		if id == "" {
			return usageError{errors.New("missing --id")}
		}
		if grace < 0 {
			return usageError{fmt.Errorf("invalid --grace %s: must not be negative", grace)}
		}
		res, err := c.RotateVirtualKey(ctx, connect.NewRequest(&keyvaultv1.RotateVirtualKeyRequest{KeyId: id, GracePeriod: durationpb.New(grace)}))
		if err != nil {
			return rpcError(err)
		}
		return printSecretKey(env, r.output, res.Msg, res.Msg.GetKey(), res.Msg.GetSecret())
	}
}

var keysSummary = map[string]string{
	"create": "Creates a virtual key for an application and prints its secret, once: it cannot be shown again.",
	"list":   "Lists virtual keys, newest first (never their secrets).",
	"revoke": "Revokes a virtual key for good; every router refuses it within a second.",
	"rotate": "Gives a virtual key a new secret, printed once; the key's id and settings stay, the previous secret works for --grace.",
}

var keyHeader = []string{"ID", "NAME", "OWNER", "STATE", "SECRET", "ROUTES", "EXPIRES"}

func keyRow(k *keyvaultv1.VirtualKey) []string {
	o := k.GetOwner()
	var owner []string
	for _, p := range [][2]string{{"user", o.GetUser()}, {"team", o.GetTeam()}, {"project", o.GetProject()}} {
		if p[1] != "" {
			owner = append(owner, p[0]+"="+p[1])
		}
	}
	expires := "never"
	if k.GetExpiresAt() != nil {
		expires = k.GetExpiresAt().AsTime().Local().Format(time.DateTime)
	}
	return []string{k.GetId(), k.GetName(), strings.Join(owner, " "), stateText(k.GetState()),
		k.GetSecretHint() + "…", strings.Join(k.GetScopes().GetRoutes(), ","), expires}
}

func stateText(s keyvaultv1.KeyState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "KEY_STATE_"))
}

// printSecretKey prints a key with its one-time secret.
func printSecretKey(env Env, output string, msg proto.Message, k *keyvaultv1.VirtualKey, secret string) error {
	if output == "json" {
		return printJSON(env.Stdout, msg)
	}
	if err := printTable(env.Stdout, keyHeader, [][]string{keyRow(k)}); err != nil {
		return err
	}
	_, err := fmt.Fprintf(env.Stdout, "\nsecret: %s\nStore it now: it is shown only once.\n", secret)
	return err
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
