package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	promptsv1 "github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1/promptsv1connect"
)

var promptsSummary = map[string]string{
	"create":    "Creates a prompt and its version 1 from --file (a PromptTemplate in YAML or JSON) or --text.",
	"update":    "Creates the next version of a prompt from --file or --text; versions never change.",
	"get":       "Shows a prompt and one version: --label, --version or --latest (default: the production label).",
	"list":      "Lists prompts by name.",
	"versions":  "Lists a prompt's versions, newest first.",
	"diff":      "Shows a unified diff between two versions of a prompt.",
	"label":     "Points a label at a version (--version), or splits it between versions (--split 1=50,2=50). Moving a label back is a rollback.",
	"render":    "Renders a prompt with --vars into the final messages.",
	"publish":   "Publishes a prompt's label as POST /apis/{slug}.",
	"unpublish": "Removes the API at /apis/{slug}.",
}

func promptsClient(r *remote) promptsv1connect.PromptServiceClient {
	hc, opts := r.client()
	return promptsv1connect.NewPromptServiceClient(hc, r.server, opts...)
}

// promptFlags are every `prompts` verb's flags; each verb registers those
// it uses.
type promptFlags struct {
	name, description, message, file, text, role string
	label, slug, vars, split, sticky, prefix     string
	version, from, to, base                      int
	latest, streaming                            bool
	labels                                       list
}

// prompts manages the prompt registry.
func prompts(ctx context.Context, args []string, env Env) error {
	verb, args, err := subcommand("prompts", args, env, "create", "update", "get", "list", "versions", "diff", "label", "render", "publish", "unpublish")
	if err != nil {
		return err
	}
	var r remote
	var f promptFlags
	fs := newFlagSet("prompts "+verb, promptsSummary[verb], env)
	r.register(fs)
	name := func() { fs.StringVar(&f.name, "name", "", "the prompt's name, e.g. support.triage (required)") }
	content := func() {
		fs.StringVar(&f.file, "file", "", "the template: a manifold.prompts.v1.PromptTemplate as YAML or JSON ('-' reads standard input)")
		fs.StringVar(&f.text, "text", "", "the template as one message's text, instead of --file (update: replaces the messages only)")
		fs.StringVar(&f.role, "role", "user", "the role of the --text message: system or user")
		fs.StringVar(&f.message, "message", "", "change note for the new version")
		fs.Var(&f.labels, "labels", "labels to point at the new version, comma-separated (e.g. production)")
	}
	switch verb {
	case "create":
		name()
		content()
		fs.StringVar(&f.description, "description", "", "what the prompt is for")
	case "update":
		name()
		content()
		fs.IntVar(&f.base, "base-version", 0, "fail if the latest version is no longer this one (0: no check)")
	case "get":
		name()
		fs.StringVar(&f.label, "label", "", "the version this label points at")
		fs.IntVar(&f.version, "version", 0, "an exact version")
		fs.BoolVar(&f.latest, "latest", false, "the newest version")
	case "list":
		fs.StringVar(&f.prefix, "prefix", "", "only names starting with this")
		fs.StringVar(&f.label, "label", "", "only prompts with this label")
	case "versions":
		name()
	case "diff":
		name()
		fs.IntVar(&f.from, "from", 0, "the older version (required)")
		fs.IntVar(&f.to, "to", 0, "the newer version (required)")
	case "label":
		name()
		fs.StringVar(&f.label, "label", "", "the label, e.g. production (required)")
		fs.IntVar(&f.version, "version", 0, "the version the label points at")
		fs.StringVar(&f.split, "split", "", "split traffic instead: version=weight pairs, e.g. 1=50,2=50")
		fs.StringVar(&f.sticky, "sticky", "request", "how a split picks a version: request (random), user or key")
	case "render":
		name()
		fs.StringVar(&f.label, "label", "", "render the version this label points at (default production)")
		fs.IntVar(&f.version, "version", 0, "render an exact version")
		fs.StringVar(&f.vars, "vars", "{}", "the variables as a JSON object")
	case "publish":
		fs.StringVar(&f.slug, "slug", "", "the API's path segment: POST /apis/{slug} (required)")
		name()
		fs.StringVar(&f.label, "label", "production", "the label the API serves")
		fs.BoolVar(&f.streaming, "streaming", false, "let callers ask for a server-sent-events stream")
		fs.StringVar(&f.description, "description", "", "what the API does, for its OpenAPI operation")
	case "unpublish":
		fs.StringVar(&f.slug, "slug", "", "the API's path segment (required)")
	}
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := r.validate(); err != nil {
		return err
	}
	if err := f.check(verb, fs); err != nil {
		return err
	}
	c := promptsClient(&r)
	switch verb {
	case "create":
		t, err := f.template(os.Stdin)
		if err != nil {
			return err
		}
		res, err := c.CreatePrompt(ctx, connect.NewRequest(&promptsv1.CreatePromptRequest{
			Name: f.name, Description: f.description, Template: t, Message: f.message, Labels: f.labels,
		}))
		if err != nil {
			return rpcError(err)
		}
		if r.output == "json" {
			return printJSON(env.Stdout, res.Msg)
		}
		return printTable(env.Stdout, versionHeader, [][]string{versionRow(res.Msg.GetVersion(), res.Msg.GetPrompt())})
	case "update":
		t, err := f.template(os.Stdin)
		if err != nil {
			return err
		}
		req := &promptsv1.UpdatePromptRequest{
			Name: f.name, Template: t, Message: f.message, Labels: f.labels, BaseVersion: int32(f.base),
		}
		if f.text != "" {
			// --text edits the messages only; defaults and the variables
			// schema carry over from the latest version.
			req.UpdateMask = &fieldmaskpb.FieldMask{Paths: []string{"messages"}}
		}
		res, err := c.UpdatePrompt(ctx, connect.NewRequest(req))
		if err != nil {
			return rpcError(err)
		}
		if r.output == "json" {
			return printJSON(env.Stdout, res.Msg)
		}
		if res.Msg.GetUnchanged() {
			fmt.Fprintf(env.Stderr, "template unchanged: no new version\n")
		}
		return printTable(env.Stdout, versionHeader, [][]string{versionRow(res.Msg.GetVersion(), res.Msg.GetPrompt())})
	case "get":
		req := &promptsv1.GetPromptRequest{Name: f.name}
		switch {
		case f.version > 0:
			req.Selector = &promptsv1.GetPromptRequest_Version{Version: int32(f.version)}
		case f.latest:
			req.Selector = &promptsv1.GetPromptRequest_Latest{Latest: true}
		case f.label != "":
			req.Selector = &promptsv1.GetPromptRequest_Label{Label: f.label}
		}
		res, err := c.GetPrompt(ctx, connect.NewRequest(req))
		if err != nil {
			return rpcError(err)
		}
		return printJSON(env.Stdout, res.Msg) // a template reads best as JSON
	case "list":
		res, err := c.ListPrompts(ctx, connect.NewRequest(&promptsv1.ListPromptsRequest{PageSize: 1000, NamePrefix: f.prefix, Label: f.label}))
		if err != nil {
			return rpcError(err)
		}
		if r.output == "json" {
			return printJSON(env.Stdout, res.Msg)
		}
		rows := [][]string{}
		for _, p := range res.Msg.GetPrompts() {
			rows = append(rows, []string{p.GetName(), strconv.Itoa(int(p.GetLatestVersion())), labelsText(p.GetLabels()), p.GetDescription()})
		}
		return printTable(env.Stdout, []string{"NAME", "LATEST", "LABELS", "DESCRIPTION"}, rows)
	case "versions":
		res, err := c.ListPromptVersions(ctx, connect.NewRequest(&promptsv1.ListPromptVersionsRequest{Name: f.name, PageSize: 1000}))
		if err != nil {
			return rpcError(err)
		}
		if r.output == "json" {
			return printJSON(env.Stdout, res.Msg)
		}
		rows := [][]string{}
		for _, v := range res.Msg.GetVersions() {
			rows = append(rows, []string{strconv.Itoa(int(v.GetVersion())), v.GetAuthor(), v.GetCreatedAt().AsTime().Format("2006-01-02 15:04:05"), v.GetMessage()})
		}
		return printTable(env.Stdout, []string{"VERSION", "AUTHOR", "CREATED", "MESSAGE"}, rows)
	case "diff":
		res, err := c.DiffPromptVersions(ctx, connect.NewRequest(&promptsv1.DiffPromptVersionsRequest{Name: f.name, FromVersion: int32(f.from), ToVersion: int32(f.to)}))
		if err != nil {
			return rpcError(err)
		}
		if r.output == "json" {
			return printJSON(env.Stdout, res.Msg)
		}
		if res.Msg.GetIdentical() {
			fmt.Fprintf(env.Stdout, "v%d and v%d are identical\n", f.from, f.to)
			return nil
		}
		_, err = fmt.Fprint(env.Stdout, res.Msg.GetUnifiedDiff())
		return err
	case "label":
		targets, err := f.targets()
		if err != nil {
			return err
		}
		sticky := map[string]promptsv1.LabelStickiness{
			"request": promptsv1.LabelStickiness_LABEL_STICKINESS_REQUEST,
			"user":    promptsv1.LabelStickiness_LABEL_STICKINESS_USER,
			"key":     promptsv1.LabelStickiness_LABEL_STICKINESS_KEY,
		}[f.sticky]
		res, err := c.SetLabel(ctx, connect.NewRequest(&promptsv1.SetLabelRequest{Name: f.name, Label: f.label, Targets: targets, Stickiness: sticky}))
		if err != nil {
			return rpcError(err)
		}
		if r.output == "json" {
			return printJSON(env.Stdout, res.Msg)
		}
		return printTable(env.Stdout, []string{"PROMPT", "LABEL", "TARGETS"}, [][]string{{f.name, f.label, targetsText(res.Msg.GetLabel())}})
	case "render":
		var m map[string]any
		if err := json.Unmarshal([]byte(f.vars), &m); err != nil || m == nil {
			return usageError{fmt.Errorf("invalid --vars: want a JSON object, e.g. '{\"topic\": \"tides\"}'")}
		}
		vars, err := structpb.NewStruct(m)
		if err != nil {
			return usageError{fmt.Errorf("invalid --vars: %w", err)}
		}
		req := &promptsv1.RenderPromptRequest{Name: f.name, Variables: vars}
		if f.version > 0 {
			req.Selector = &promptsv1.RenderPromptRequest_Version{Version: int32(f.version)}
		} else if f.label != "" {
			req.Selector = &promptsv1.RenderPromptRequest_Label{Label: f.label}
		}
		res, err := c.RenderPrompt(ctx, connect.NewRequest(req))
		if err != nil {
			return rpcError(err)
		}
		if r.output == "json" {
			return printJSON(env.Stdout, res.Msg)
		}
		fmt.Fprintf(env.Stdout, "# %s v%d\n", f.name, res.Msg.GetVersion())
		for _, m := range res.Msg.GetMessages() {
			fmt.Fprintf(env.Stdout, "[%s] %s\n", roleName(m.GetRole()), messageText(m))
		}
		return nil
	case "publish":
		res, err := c.PublishPrompt(ctx, connect.NewRequest(&promptsv1.PublishPromptRequest{
			Slug: f.slug, PromptName: f.name, Label: f.label, AllowStreaming: f.streaming, Description: f.description,
		}))
		if err != nil {
			return rpcError(err)
		}
		if r.output == "json" {
			return printJSON(env.Stdout, res.Msg)
		}
		p := res.Msg.GetPublication()
		return printTable(env.Stdout, []string{"PATH", "PROMPT", "STREAMING"}, [][]string{{"POST /apis/" + p.GetSlug(), p.GetPromptName() + "@" + p.GetLabel(), strconv.FormatBool(p.GetAllowStreaming())}})
	case "unpublish":
		if _, err := c.UnpublishPrompt(ctx, connect.NewRequest(&promptsv1.UnpublishPromptRequest{Slug: f.slug})); err != nil {
			return rpcError(err)
		}
		fmt.Fprintf(env.Stdout, "unpublished /apis/%s\n", f.slug)
		return nil
	}
	return nil
}

// check enforces the required flags of verb.
func (f *promptFlags) check(verb string, fs *flag.FlagSet) error {
	need := func(ok bool, flagName string) error {
		if !ok {
			return usageError{fmt.Errorf("missing --%s", flagName)}
		}
		return nil
	}
	switch verb {
	case "create", "update", "get", "versions", "diff", "label", "render":
		if err := need(f.name != "", "name"); err != nil {
			return err
		}
	}
	switch verb {
	case "create", "update":
		if (f.file == "") == (f.text == "") {
			return usageError{errors.New("give the template with either --file or --text")}
		}
		if f.role != "user" && f.role != "system" {
			return usageError{fmt.Errorf("invalid --role %q: want user or system", f.role)}
		}
	case "diff":
		if f.from <= 0 || f.to <= 0 {
			return usageError{errors.New("give two versions: --from N --to M")}
		}
	case "label":
		if err := need(f.label != "", "label"); err != nil {
			return err
		}
		if (f.version > 0) == (f.split != "") {
			return usageError{errors.New("give either --version N or --split V=W,...")}
		}
		if f.sticky != "request" && f.sticky != "user" && f.sticky != "key" {
			return usageError{fmt.Errorf("invalid --sticky %q: want request, user or key", f.sticky)}
		}
	case "publish":
		if err := need(f.slug != "", "slug"); err != nil {
			return err
		}
		return need(f.name != "", "name")
	case "unpublish":
		return need(f.slug != "", "slug")
	}
	if (verb == "get" || verb == "render") && isSet(fs, "version") && f.version <= 0 {
		return usageError{fmt.Errorf("invalid --version %d: versions start at 1", f.version)}
	}
	return nil
}

// template reads the template from --file (YAML or JSON; '-' is stdin) or
// builds it from --text.
func (f *promptFlags) template(stdin io.Reader) (*promptsv1.PromptTemplate, error) {
	if f.text != "" {
		role := mcpv1.Role_ROLE_USER
		if f.role == "system" {
			role = mcpv1.Role_ROLE_SYSTEM
		}
		return &promptsv1.PromptTemplate{Messages: []*mcpv1.Message{{
			Role: role, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: f.text}}},
		}}}, nil
	}
	t := &promptsv1.PromptTemplate{}
	if err := readResource(f.file, stdin, t); err != nil {
		return nil, err
	}
	return t, nil
}

// targets parses --version or --split.
func (f *promptFlags) targets() ([]*promptsv1.LabelTarget, error) {
	if f.version > 0 {
		return []*promptsv1.LabelTarget{{Version: int32(f.version)}}, nil
	}
	var out []*promptsv1.LabelTarget
	for _, part := range strings.Split(f.split, ",") {
		v, w, ok := strings.Cut(strings.TrimSpace(part), "=")
		version, err1 := strconv.Atoi(v)
		weight, err2 := strconv.Atoi(w)
		if !ok || err1 != nil || err2 != nil || version < 1 || weight < 1 || weight > 10000 {
			return nil, usageError{fmt.Errorf("invalid --split %q: want version=weight pairs, e.g. 1=50,2=50 (weights 1 to 10000)", f.split)}
		}
		out = append(out, &promptsv1.LabelTarget{Version: int32(version), Weight: uint32(weight)})
	}
	return out, nil
}

var versionHeader = []string{"PROMPT", "VERSION", "DIGEST", "LABELS"}

func versionRow(v *promptsv1.PromptVersion, p *promptsv1.Prompt) []string {
	digest := v.GetDigest()
	if len(digest) > 12 {
		digest = digest[:12]
	}
	return []string{v.GetPromptName(), strconv.Itoa(int(v.GetVersion())), digest, labelsText(p.GetLabels())}
}

// labelsText is "production=v2 staging=v1:50,v2:50".
func labelsText(ls []*promptsv1.Label) string {
	parts := make([]string, 0, len(ls))
	for _, l := range ls {
		parts = append(parts, l.GetName()+"="+targetsText(l))
	}
	return strings.Join(parts, " ")
}

func targetsText(l *promptsv1.Label) string {
	ts := l.GetTargets()
	if len(ts) == 1 {
		return fmt.Sprintf("v%d", ts[0].GetVersion())
	}
	parts := make([]string, 0, len(ts))
	for _, t := range ts {
		parts = append(parts, fmt.Sprintf("v%d:%d", t.GetVersion(), t.GetWeight()))
	}
	return strings.Join(parts, ",")
}

func roleName(r mcpv1.Role) string {
	return strings.ToLower(strings.TrimPrefix(r.String(), "ROLE_"))
}

func messageText(m *mcpv1.Message) string {
	var b strings.Builder
	for _, p := range m.GetContent() {
		b.WriteString(p.GetText())
	}
	return b.String()
}
