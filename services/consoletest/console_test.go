// Package consoletest drives the web console in Debian's Chromium with
// playwright-core (web/e2e/console.mjs) against a gateway started by the
// test: sign in, create a key, stream an answer, find the call in the log
// and the chart, approve a pending workflow step; it writes a screenshot
// of every page under test-output/console/.
package consoletest

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1/keyvaultv1connect"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	promptsv1 "github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1/promptsv1connect"
	quotav1 "github.com/manifoldgw/manifold/gen/go/manifold/quota/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/quota/v1/quotav1connect"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
	workflowsv1 "github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1/workflowsv1connect"
	"github.com/manifoldgw/manifold/services/internal/app"
	"github.com/manifoldgw/manifold/services/internal/console"
	"github.com/manifoldgw/manifold/services/internal/gatewaytest"
	"github.com/manifoldgw/manifold/services/workflows"
)

// chromium is Debian's package; the test never downloads a browser.
const chromium = "/usr/bin/chromium"

const adminToken = "console-test-bootstrap-admin-token"

// credentialSecret is stored in the vault; the console must only ever show
// it masked.
const credentialSecret = "sk-consoletest-0123456789abcdefghijklmnop"

func TestConsoleInChromium(t *testing.T) {
	root := repoRoot(t)
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s is missing (%v): install Debian's chromium package (make tools does)", chromium, err)
	}
	node := lookPath(t, "node", "install Node.js 20.19 or later")
	requireBuiltConsole(t, root)
	web := filepath.Join(root, "web")
	runOK(t, root, filepath.Join(root, "tools", "npm-install.sh"), web)

	url := startGateway(t)
	admin := bearer(adminToken)
	seed(t, url, admin)
	runs := startApprovalRuns(t, url, admin, "refunds", "invoices")
	approveID, rejectID := runs[0], runs[1]

	out := filepath.Join(root, "test-output", "console")
	if err := os.RemoveAll(out); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(web, "e2e", "console.mjs"))
	cmd.Dir = web
	cmd.Env = append(os.Environ(),
		"MANIFOLD_URL="+url,
		"MANIFOLD_ADMIN_KEY="+adminToken,
		"CHROMIUM="+chromium,
		"SCREENSHOTS="+out,
		"APPROVE_RUN_ID="+approveID,
		"REJECT_RUN_ID="+rejectID,
		"CREDENTIAL_SECRET="+credentialSecret,
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	t.Logf("browser script output:\n%s", stdout.String())
	if err != nil {
		t.Fatalf("browser script: %v\n%s", err, stderr.String())
	}

	// What the browser did, seen through the API.
	wf := workflowsv1connect.NewWorkflowServiceClient(http.DefaultClient, url, admin)
	approved := waitRun(t, wf, approveID, workflowsv1.RunStatus_RUN_STATUS_SUCCEEDED)
	if a := approved.GetSteps()[1].GetApprovals(); len(a) != 1 || a[0].GetDecision() != workflowsv1.ApprovalDecision_APPROVAL_DECISION_APPROVED || a[0].GetComment() != "approved in the browser test" {
		t.Errorf("approvals of the approved run's review step = %v, want the console's approval", a)
	}
	rejected := waitRun(t, wf, rejectID, workflowsv1.RunStatus_RUN_STATUS_REJECTED)
	if a := rejected.GetSteps()[1].GetApprovals(); len(a) != 1 || a[0].GetDecision() != workflowsv1.ApprovalDecision_APPROVAL_DECISION_REJECTED || a[0].GetComment() != "rejected in the browser test" {
		t.Errorf("approvals of the rejected run's review step = %v, want the console's rejection", a)
	}
	keys, err := keyvaultv1connect.NewKeyVaultServiceClient(http.DefaultClient, url, admin).ListVirtualKeys(t.Context(), connect.NewRequest(&keyvaultv1.ListVirtualKeysRequest{
		States: []keyvaultv1.KeyState{keyvaultv1.KeyState_KEY_STATE_REVOKED},
	}))
	if err != nil {
		t.Fatalf("ListVirtualKeys: %v", err)
	}
	// The key created and revoked on the keys page, and the playground's
	// key, revoked on sign-out.
	revoked := map[string]bool{}
	for _, k := range keys.Msg.GetKeys() {
		revoked[k.GetName()] = true
	}
	if len(revoked) != 2 || !revoked["browser-test key"] || !revoked["console playground (bootstrap)"] {
		t.Errorf("revoked keys = %v, want the console's browser-test key and playground key", keys.Msg.GetKeys())
	}
	for _, page := range []string{"sign-in", "keys", "playground", "calls", "call-detail", "usage", "usage-cost", "providers", "prompts", "runs", "run-detail", "approvals", "run-succeeded"} {
		file := filepath.Join(out, page+".png")
		if info, err := os.Stat(file); err != nil || info.Size() < 10_000 {
			t.Errorf("screenshot %s missing or blank: %v", file, err)
		}
	}
}

// requireBuiltConsole fails unless this test binary embeds the console
// built from the current sources: the embed happens at compile time, so
// `make web` must run before `go test`.
func requireBuiltConsole(t *testing.T, root string) {
	t.Helper()
	hint := "run `make web` (tools/web-build.sh), then run the test again"
	if out, err := exec.Command(filepath.Join(root, "tools", "web-build.sh")).CombinedOutput(); err != nil {
		t.Fatalf("building the console: %v\n%s", err, out)
	}
	onDisk, err := os.ReadFile(filepath.Join(root, "services", "internal", "console", "dist", "index.html"))
	if err != nil {
		t.Fatalf("the console is not built: %v: %s", err, hint)
	}
	rec := httptest.NewRecorder()
	console.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, console.Prefix, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("this test binary embeds no console (status %d): %s", rec.Code, hint)
	}
	if !bytes.Equal(rec.Body.Bytes(), onDisk) {
		t.Fatalf("this test binary embeds an older console build than services/internal/console/dist: %s", hint)
	}
}

// startGateway runs every service in-process on 127.0.0.1:0 (SQLite, the
// demo model streaming token by token, keys required, the embedded
// Temporal dev server from .cache/bin) until the test ends.
func startGateway(t *testing.T) string {
	t.Helper()
	cfg := app.DefaultConfig()
	cfg.KeyVault.AdminToken = adminToken
	return "http://" + gatewaytest.Run(t, cfg)
}

func text(s string) *mcpv1.ContentPart {
	return &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Text{Text: s}}
}

func userSays(s string) []*mcpv1.Message {
	return []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{text(s)}}}
}

// seed gives every page something to show: a provider with a vault
// credential, a route over the demo model, a price, and a prompt with two
// versions, a label and a publication.
func seed(t *testing.T, url string, admin connect.Option) {
	t.Helper()
	ctx := t.Context()
	vault := keyvaultv1connect.NewKeyVaultServiceClient(http.DefaultClient, url, admin)
	if _, err := vault.PutCredential(ctx, connect.NewRequest(&keyvaultv1.PutCredentialRequest{
		Credential: &keyvaultv1.ProviderCredential{Name: "openai-main", Provider: "openai", Description: "production OpenAI key"},
		Secret:     &keyvaultv1.CredentialSecret{Secret: &keyvaultv1.CredentialSecret_ApiKey{ApiKey: credentialSecret}},
	})); err != nil {
		t.Fatalf("PutCredential: %v", err)
	}
	rt := routerv1connect.NewRouterServiceClient(http.DefaultClient, url, admin)
	if _, err := rt.PutProvider(ctx, connect.NewRequest(&routerv1.PutProviderRequest{Provider: &routerv1.Provider{
		Name: "openai", Kind: routerv1.ProviderKind_PROVIDER_KIND_OPENAI, BaseUrl: "https://api.openai.com/v1",
		Credentials: []*routerv1.CredentialRef{{Name: "openai-main"}},
	}})); err != nil {
		t.Fatalf("PutProvider: %v", err)
	}
	// A priced model on the demo provider, so calls cost something.
	if _, err := rt.PutModel(ctx, connect.NewRequest(&routerv1.PutModelRequest{Model: &routerv1.Model{
		Name: "assistant", Provider: "demo", UpstreamModel: "demo", ContextWindow: 32768, MaxOutputTokens: 4096,
		Capabilities: []routerv1.Capability{routerv1.Capability_CAPABILITY_STREAMING},
		Prices:       &routerv1.Prices{InputPerMtokMicros: 30_000_000, OutputPerMtokMicros: 60_000_000},
	}})); err != nil {
		t.Fatalf("PutModel: %v", err)
	}
	quota := quotav1connect.NewQuotaServiceClient(http.DefaultClient, url, admin)
	if _, err := quota.PutPrice(ctx, connect.NewRequest(&quotav1.PutPriceRequest{Price: &quotav1.Price{
		Model: "assistant", InputPerMtokMicros: 30_000_000, OutputPerMtokMicros: 60_000_000,
	}})); err != nil {
		t.Fatalf("PutPrice: %v", err)
	}
	if _, err := rt.PutRoute(ctx, connect.NewRequest(&routerv1.PutRouteRequest{Route: &routerv1.Route{
		Name: "chat", Strategy: routerv1.Strategy_STRATEGY_PRIORITY, Targets: []*routerv1.Target{{Model: "assistant"}, {Model: "demo"}},
	}})); err != nil {
		t.Fatalf("PutRoute: %v", err)
	}
	pr := promptsv1connect.NewPromptServiceClient(http.DefaultClient, url, admin)
	if _, err := pr.CreatePrompt(ctx, connect.NewRequest(&promptsv1.CreatePromptRequest{
		Name: "support.reply", Description: "Answers a support ticket",
		Template: &promptsv1.PromptTemplate{Messages: userSays("Answer this ticket: {{ticket}}")},
		Message:  "first draft",
	})); err != nil {
		t.Fatalf("CreatePrompt: %v", err)
	}
	if _, err := pr.UpdatePrompt(ctx, connect.NewRequest(&promptsv1.UpdatePromptRequest{
		Name:     "support.reply",
		Template: &promptsv1.PromptTemplate{Messages: userSays("Answer this ticket politely, in two sentences: {{ticket}}")},
		Message:  "shorter, politer", Labels: []string{"production"},
	})); err != nil {
		t.Fatalf("UpdatePrompt: %v", err)
	}
	if _, err := pr.PublishPrompt(ctx, connect.NewRequest(&promptsv1.PublishPromptRequest{
		Slug: "support-reply", PromptName: "support.reply", Label: "production", AllowStreaming: true,
	})); err != nil {
		t.Fatalf("PublishPrompt: %v", err)
	}
}

// startApprovalRuns puts a chain that drafts with the demo model and waits
// for an admin's approval, starts a run about each topic through the
// WorkflowService API and waits, bounded, until each waits for approval.
func startApprovalRuns(t *testing.T, url string, admin connect.Option, topics ...string) []string {
	t.Helper()
	ctx := t.Context()
	wf := workflowsv1connect.NewWorkflowServiceClient(http.DefaultClient, url, admin)
	spec := &workflowsv1.ChainSpec{Steps: []*workflowsv1.Step{
		{Id: "draft", Kind: &workflowsv1.Step_ModelCall{ModelCall: &workflowsv1.ModelCallStep{
			Model: "demo", Input: &workflowsv1.ModelCallStep_Messages{Messages: &workflowsv1.InlineMessages{Messages: userSays("Draft a reply about {{topic}}")}},
		}}},
		{Id: "review", Kind: &workflowsv1.Step_Approval{Approval: &workflowsv1.ApprovalStep{
			Subject: &workflowsv1.ValueRef{Step: "draft", Pointer: "/text"}, Instructions: "Check the reply about {{topic}} before it is sent",
			Policy: &workflowsv1.ApprovalPolicy{
				Approvers: &workflowsv1.Approvers{Roles: []string{"admin"}},
				Timeout:   durationpb.New(time.Hour), OnTimeout: workflowsv1.ApprovalTimeoutAction_APPROVAL_TIMEOUT_ACTION_REJECT,
			},
		}}},
	}, Output: &workflowsv1.ValueRef{Step: "draft", Pointer: "/text"}}
	if _, err := wf.PutChain(ctx, connect.NewRequest(&workflowsv1.PutChainRequest{Name: "reply.review", Spec: spec, Message: "draft and review"})); err != nil {
		t.Fatalf("PutChain: %v", err)
	}
	// Started with an admin key, the run calls models with a virtual key
	// of its own.
	key, err := keyvaultv1connect.NewKeyVaultServiceClient(http.DefaultClient, url, admin).CreateVirtualKey(ctx, connect.NewRequest(&keyvaultv1.CreateVirtualKeyRequest{
		Name: "reply.review runs", Owner: &keyvaultv1.KeyOwner{Team: "support"}, Scopes: &keyvaultv1.KeyScopes{Models: []string{"demo"}},
	}))
	if err != nil {
		t.Fatalf("CreateVirtualKey: %v", err)
	}
	var ids []string
	for _, topic := range topics {
		input, _ := structpb.NewStruct(map[string]any{"topic": topic})
		start := connect.NewRequest(&workflowsv1.StartRunRequest{ChainName: "reply.review", Input: input})
		start.Header().Set(workflows.RunKeyHeader, key.Msg.GetSecret())
		res, err := wf.StartRun(ctx, start)
		if err != nil {
			t.Fatalf("StartRun: %v", err)
		}
		ids = append(ids, res.Msg.GetRun().GetId())
	}
	for _, id := range ids {
		waitRun(t, wf, id, workflowsv1.RunStatus_RUN_STATUS_WAITING_FOR_APPROVAL)
	}
	return ids
}

// waitRun polls a run, bounded, until it is in status.
func waitRun(t *testing.T, wf workflowsv1connect.WorkflowServiceClient, id string, status workflowsv1.RunStatus) *workflowsv1.Run {
	t.Helper()
	var last *workflowsv1.Run
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		got, err := wf.GetRun(t.Context(), connect.NewRequest(&workflowsv1.GetRunRequest{RunId: id}))
		if err != nil {
			continue
		}
		last = got.Msg.GetRun()
		if last.GetStatus() == status {
			return last
		}
	}
	t.Fatalf("run %s is not %v within 90s: %v", id, status, last)
	return nil
}

// bearer sends a token on every unary call of a generated client.
func bearer(token string) connect.Option {
	return connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Authorization", "Bearer "+token)
			return next(ctx, req)
		}
	}))
}

// repoRoot is the directory holding go.work.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.work above the working directory")
		}
		dir = parent
	}
}

// lookPath finds a program, failing (never skipping) when it is missing.
func lookPath(t *testing.T, name, hint string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is needed by the console's browser test and is missing (%v): %s", name, err, hint)
	}
	return path
}

func runOK(t *testing.T, dir, name string, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}
