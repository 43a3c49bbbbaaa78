package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"connectrpc.com/connect"

	workflowsv1 "github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1/workflowsv1connect"
)

var chainsSummary = map[string]string{
	"put":      "Creates a chain or its next version from --file (a manifold.workflows.v1.ChainSpec in YAML or JSON); a spec identical to the latest version creates nothing, but --labels and --description still apply.",
	"get":      "Shows a chain and one version: --label, --version or --latest (default: the production label, else the latest version).",
	"list":     "Lists chains by name.",
	"versions": "Lists a chain's versions, newest first.",
}

func workflowsClient(r *remote) workflowsv1connect.WorkflowServiceClient {
	hc, opts := r.client()
	return workflowsv1connect.NewWorkflowServiceClient(hc, r.server, opts...)
}

// chains manages chain definitions.
func chains(ctx context.Context, args []string, env Env) error {
	verb, args, err := subcommand("chains", args, env, "put", "get", "list", "versions")
	if err != nil {
		return err
	}
	var r remote
	var name, file, message, description, label, prefix string
	var version, base int
	var latest bool
	var labels list
	fs := newFlagSet("chains "+verb, chainsSummary[verb], env)
	r.register(fs)
	if verb != "list" {
		fs.StringVar(&name, "name", "", "the chain's name, e.g. refund.review (required)")
	}
	switch verb {
	case "put":
		fs.StringVar(&file, "file", "", "the chain: a manifold.workflows.v1.ChainSpec as YAML or JSON ('-' reads standard input) (required)")
		fs.StringVar(&message, "message", "", "change note for the new version")
		fs.StringVar(&description, "description", "", "what the chain is for")
		fs.Var(&labels, "labels", "labels to point at the new version (the latest one if the spec is unchanged), comma-separated (e.g. production)")
		fs.IntVar(&base, "base-version", 0, "fail if the latest version is no longer this one (0: no check)")
	case "get":
		fs.StringVar(&label, "label", "", "the version this label points at")
		fs.IntVar(&version, "version", 0, "an exact version")
		fs.BoolVar(&latest, "latest", false, "the newest version")
	case "list":
		fs.StringVar(&prefix, "prefix", "", "only names starting with this")
	}
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := r.validate(); err != nil {
		return err
	}
	if verb != "list" && name == "" {
		return usageError{fmt.Errorf("chains %s: --name is required", verb)}
	}
	c := workflowsClient(&r)
	switch verb {
	case "put":
		if file == "" {
			return usageError{fmt.Errorf("chains put: --file is required")}
		}
		spec := &workflowsv1.ChainSpec{}
		if err := readResource(file, os.Stdin, spec); err != nil {
			return err
		}
		req := &workflowsv1.PutChainRequest{Name: name, Spec: spec, Message: message, Labels: labels, BaseVersion: int32(base)}
		if description != "" {
			req.Description = &description
		}
		res, err := c.PutChain(ctx, connect.NewRequest(req))
		if err != nil {
			return rpcError(err)
		}
		if r.output == "json" {
			return printJSON(env.Stdout, res.Msg)
		}
		if res.Msg.GetUnchanged() {
			fmt.Fprintf(env.Stderr, "spec unchanged: no new version\n")
		}
		return printTable(env.Stdout, chainVersionHeader, [][]string{chainVersionRow(res.Msg.GetVersion(), res.Msg.GetChain())})
	case "get":
		req := &workflowsv1.GetChainRequest{Name: name}
		switch {
		case latest:
			req.Selector = &workflowsv1.GetChainRequest_Latest{Latest: true}
		case version > 0:
			req.Selector = &workflowsv1.GetChainRequest_Version{Version: int32(version)}
		case label != "":
			req.Selector = &workflowsv1.GetChainRequest_Label{Label: label}
		}
		res, err := c.GetChain(ctx, connect.NewRequest(req))
		if err != nil {
			return rpcError(err)
		}
		if r.output == "json" {
			return printJSON(env.Stdout, res.Msg)
		}
		if err := printTable(env.Stdout, chainVersionHeader, [][]string{chainVersionRow(res.Msg.GetVersion(), res.Msg.GetChain())}); err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout)
		return printJSON(env.Stdout, res.Msg.GetVersion().GetSpec())
	case "list":
		res, err := c.ListChains(ctx, connect.NewRequest(&workflowsv1.ListChainsRequest{NamePrefix: prefix, PageSize: 1000}))
		if err != nil {
			return rpcError(err)
		}
		if r.output == "json" {
			return printJSON(env.Stdout, res.Msg)
		}
		var rows [][]string
		for _, ch := range res.Msg.GetChains() {
			rows = append(rows, []string{ch.GetName(), fmt.Sprint(ch.GetLatestVersion()), chainLabels(ch), ch.GetUpdatedAt().AsTime().Format(time.RFC3339)})
		}
		return printTable(env.Stdout, []string{"NAME", "LATEST", "LABELS", "UPDATED"}, rows)
	case "versions":
		res, err := c.ListChainVersions(ctx, connect.NewRequest(&workflowsv1.ListChainVersionsRequest{Name: name, PageSize: 1000}))
		if err != nil {
			return rpcError(err)
		}
		if r.output == "json" {
			return printJSON(env.Stdout, res.Msg)
		}
		// Versions carry no labels; the chain has them.
		ch, err := c.GetChain(ctx, connect.NewRequest(&workflowsv1.GetChainRequest{Name: name, Selector: &workflowsv1.GetChainRequest_Latest{Latest: true}}))
		if err != nil {
			return rpcError(err)
		}
		var rows [][]string
		for _, v := range res.Msg.GetVersions() {
			rows = append(rows, chainVersionRow(v, ch.Msg.GetChain()))
		}
		return printTable(env.Stdout, chainVersionHeader, rows)
	}
	return nil
}

var chainVersionHeader = []string{"CHAIN", "VERSION", "LABELS", "AUTHOR", "CREATED", "DIGEST", "MESSAGE"}

func chainVersionRow(v *workflowsv1.ChainVersion, c *workflowsv1.Chain) []string {
	var labels []string
	for _, l := range c.GetLabels() {
		if l.GetVersion() == v.GetVersion() {
			labels = append(labels, l.GetName())
		}
	}
	digest := v.GetDigest()
	if len(digest) > 12 {
		digest = digest[:12]
	}
	return []string{v.GetChainName(), fmt.Sprint(v.GetVersion()), strings.Join(labels, ","), v.GetAuthor(), v.GetCreatedAt().AsTime().Format(time.RFC3339), digest, v.GetMessage()}
}

func chainLabels(c *workflowsv1.Chain) string {
	var out []string
	for _, l := range c.GetLabels() {
		out = append(out, fmt.Sprintf("%s=%d", l.GetName(), l.GetVersion()))
	}
	return strings.Join(out, ",")
}
