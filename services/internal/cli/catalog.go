package cli

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
)

func routerClient(r *remote) routerv1connect.RouterServiceClient {
	hc, opts := r.client()
	return routerv1connect.NewRouterServiceClient(hc, r.server, opts...)
}

var catalogSummary = map[string]map[string]string{
	"providers": {
		"put":    "Creates or replaces a provider from a YAML or JSON file (fields of manifold.router.v1.Provider, e.g. name, kind, base_url, credentials).",
		"get":    "Shows a provider.",
		"list":   "Lists the providers.",
		"delete": "Deletes a provider that no model uses.",
	},
	"routes": {
		"put":    "Creates or replaces a route from a YAML or JSON file (fields of manifold.router.v1.Route, e.g. name, targets, strategy, retry).",
		"get":    "Shows a route.",
		"list":   "Lists the routes.",
		"delete": "Deletes a route.",
	},
	"models": {
		"put":    "Creates or replaces a catalog model from a YAML or JSON file (fields of manifold.router.v1.Model, e.g. name, provider, upstream_model, capabilities, prices).",
		"list":   "Lists the catalog's models.",
		"delete": "Deletes a catalog model that no route uses.",
	},
}

// providers, routes and models change the router's catalog at run time.
func providers(ctx context.Context, args []string, env Env) error {
	return catalogCmd(ctx, "providers", args, env)
}

func routes(ctx context.Context, args []string, env Env) error {
	return catalogCmd(ctx, "routes", args, env)
}

func models(ctx context.Context, args []string, env Env) error {
	return catalogCmd(ctx, "models", args, env)
}

func catalogCmd(ctx context.Context, cmd string, args []string, env Env) error {
	verbs := []string{"put", "get", "list", "delete"}
	if cmd == "models" {
		verbs = []string{"put", "list", "delete"}
	}
	verb, args, err := subcommand(cmd, args, env, verbs...)
	if err != nil {
		return err
	}
	var r remote
	fs := newFlagSet(cmd+" "+verb, catalogSummary[cmd][verb], env)
	r.register(fs)
	var file, name string
	switch verb {
	case "put":
		fs.StringVar(&file, "file", "", "YAML or JSON file with the resource, or - for standard input (required)")
	case "get", "delete":
		fs.StringVar(&name, "name", "", "the resource's name (required)")
	}
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := r.validate(); err != nil {
		return err
	}
	switch {
	case verb == "put" && file == "":
		return usageError{errors.New("missing --file")}
	case (verb == "get" || verb == "delete") && name == "":
		return usageError{errors.New("missing --name")}
	}
	c := routerClient(&r)
	var (
		out  proto.Message
		rows [][]string
	)
	header := []string{"NAME", "KIND", "BASE URL", "CREDENTIALS"}
	switch cmd {
	case "routes":
		header = []string{"NAME", "STRATEGY", "TARGETS", "RETRY ATTEMPTS"}
	case "models":
		header = []string{"NAME", "PROVIDER", "UPSTREAM MODEL", "CONTEXT", "CAPABILITIES"}
	}
	switch cmd + " " + verb {
	case "providers put":
		p := &routerv1.Provider{}
		if err := readResource(file, os.Stdin, p); err != nil {
			return err
		}
		res, err := c.PutProvider(ctx, connect.NewRequest(&routerv1.PutProviderRequest{Provider: p}))
		if err != nil {
			return rpcError(err)
		}
		out, rows = res.Msg, providerRows(res.Msg.GetProvider())
	case "providers get":
		res, err := c.GetProvider(ctx, connect.NewRequest(&routerv1.GetProviderRequest{Name: name}))
		if err != nil {
			return rpcError(err)
		}
		out, rows = res.Msg, providerRows(res.Msg.GetProvider())
	case "providers list":
		res, err := c.ListProviders(ctx, connect.NewRequest(&routerv1.ListProvidersRequest{}))
		if err != nil {
			return rpcError(err)
		}
		out, rows = res.Msg, providerRows(res.Msg.GetProviders()...)
	case "providers delete":
		res, err := c.DeleteProvider(ctx, connect.NewRequest(&routerv1.DeleteProviderRequest{Name: name}))
		if err != nil {
			return rpcError(err)
		}
		out, header, rows = res.Msg, []string{"DELETED"}, [][]string{{name}}
	case "routes put":
		rt := &routerv1.Route{}
		if err := readResource(file, os.Stdin, rt); err != nil {
			return err
		}
		res, err := c.PutRoute(ctx, connect.NewRequest(&routerv1.PutRouteRequest{Route: rt}))
		if err != nil {
			return rpcError(err)
		}
		out, rows = res.Msg, routeRows(res.Msg.GetRoute())
	case "routes get":
		res, err := c.GetRoute(ctx, connect.NewRequest(&routerv1.GetRouteRequest{Name: name}))
		if err != nil {
			return rpcError(err)
		}
		out, rows = res.Msg, routeRows(res.Msg.GetRoute())
	case "routes list":
		res, err := c.ListRoutes(ctx, connect.NewRequest(&routerv1.ListRoutesRequest{}))
		if err != nil {
			return rpcError(err)
		}
		out, rows = res.Msg, routeRows(res.Msg.GetRoutes()...)
	case "routes delete":
		res, err := c.DeleteRoute(ctx, connect.NewRequest(&routerv1.DeleteRouteRequest{Name: name}))
		if err != nil {
			return rpcError(err)
		}
		out, header, rows = res.Msg, []string{"DELETED"}, [][]string{{name}}
	case "models put":
		m := &routerv1.Model{}
		if err := readResource(file, os.Stdin, m); err != nil {
			return err
		}
		res, err := c.PutModel(ctx, connect.NewRequest(&routerv1.PutModelRequest{Model: m}))
		if err != nil {
			return rpcError(err)
		}
		out, rows = res.Msg, modelRows(res.Msg.GetModel())
	case "models list":
		res, err := c.ListModels(ctx, connect.NewRequest(&routerv1.ListModelsRequest{}))
		if err != nil {
			return rpcError(err)
		}
		out, rows = res.Msg, modelRows(res.Msg.GetModels()...)
	case "models delete":
		res, err := c.DeleteModel(ctx, connect.NewRequest(&routerv1.DeleteModelRequest{Name: name}))
		if err != nil {
			return rpcError(err)
		}
		out, header, rows = res.Msg, []string{"DELETED"}, [][]string{{name}}
	}
	if r.output == "json" {
		return printJSON(env.Stdout, out)
	}
	return printTable(env.Stdout, header, rows)
}

func providerRows(ps ...*routerv1.Provider) [][]string {
	var rows [][]string
	for _, p := range ps {
		var creds []string
		for _, c := range p.GetCredentials() {
			creds = append(creds, c.GetName())
		}
		rows = append(rows, []string{p.GetName(), enumName(p.GetKind().String(), "PROVIDER_KIND_"), p.GetBaseUrl(), strings.Join(creds, ",")})
	}
	return rows
}

func routeRows(rs ...*routerv1.Route) [][]string {
	var rows [][]string
	for _, r := range rs {
		var targets []string
		for _, t := range r.GetTargets() {
			targets = append(targets, t.GetModel())
		}
		rows = append(rows, []string{r.GetName(), enumName(r.GetStrategy().String(), "STRATEGY_"), strings.Join(targets, ","),
			strconv.Itoa(int(r.GetRetry().GetMaxAttempts()))})
	}
	return rows
}

func modelRows(ms ...*routerv1.Model) [][]string {
	var rows [][]string
	for _, m := range ms {
		var caps []string
		for _, c := range m.GetCapabilities() {
			caps = append(caps, enumName(c.String(), "CAPABILITY_"))
		}
		rows = append(rows, []string{m.GetName(), m.GetProvider(), m.GetUpstreamModel(),
			strconv.FormatInt(m.GetContextWindow(), 10), strings.Join(caps, ",")})
	}
	return rows
}
