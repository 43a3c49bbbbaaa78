package prompts_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	promptsv1 "github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1/promptsv1connect"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/prompts"
	"github.com/manifoldgw/manifold/services/prompts/promptstest"
)

// forEachDriver runs fn against a registry served over real HTTP on each
// storage engine, with each client protocol.
func forEachDriver(t *testing.T, fn func(t *testing.T, c promptsv1connect.PromptServiceClient)) {
	for _, d := range promptstest.Drivers {
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			url := promptstest.Serve(t, d.Open(t), prompts.DefaultConfig())
			fn(t, promptsv1connect.NewPromptServiceClient(http.DefaultClient, url))
		})
	}
}

func textMsg(role mcpv1.Role, s string) *mcpv1.Message {
	return &mcpv1.Message{Role: role, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: s}}}}
}

// tmpl is a template with one user message.
func tmpl(s string) *promptsv1.PromptTemplate {
	return &promptsv1.PromptTemplate{
		Messages: []*mcpv1.Message{textMsg(mcpv1.Role_ROLE_USER, s)},
		Defaults: &promptsv1.RequestDefaults{Model: "demo"},
	}
}

func vars(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatalf("NewStruct: %v", err)
	}
	return s
}

func firstText(msgs []*mcpv1.Message) string {
	if len(msgs) == 0 || len(msgs[0].GetContent()) == 0 {
		return ""
	}
	return msgs[0].GetContent()[0].GetText()
}

func create(t *testing.T, c promptsv1connect.PromptServiceClient, name, text string, labels ...string) *promptsv1.CreatePromptResponse {
	t.Helper()
	res, err := c.CreatePrompt(t.Context(), connect.NewRequest(&promptsv1.CreatePromptRequest{
		Name: name, Template: tmpl(text), Message: "first", Labels: labels,
	}))
	if err != nil {
		t.Fatalf("CreatePrompt(%s): %v", name, err)
	}
	return res.Msg
}

func update(t *testing.T, c promptsv1connect.PromptServiceClient, name, text string, labels ...string) *promptsv1.UpdatePromptResponse {
	t.Helper()
	res, err := c.UpdatePrompt(t.Context(), connect.NewRequest(&promptsv1.UpdatePromptRequest{
		Name: name, Template: tmpl(text), Message: "edit", Labels: labels,
	}))
	if err != nil {
		t.Fatalf("UpdatePrompt(%s): %v", name, err)
	}
	return res.Msg
}

func setLabel(t *testing.T, c promptsv1connect.PromptServiceClient, name, label string, targets ...*promptsv1.LabelTarget) {
	t.Helper()
	if _, err := c.SetLabel(t.Context(), connect.NewRequest(&promptsv1.SetLabelRequest{Name: name, Label: label, Targets: targets})); err != nil {
		t.Fatalf("SetLabel(%s@%s): %v", name, label, err)
	}
}

func render(t *testing.T, c promptsv1connect.PromptServiceClient, req *promptsv1.RenderPromptRequest) (*promptsv1.RenderPromptResponse, error) {
	t.Helper()
	res, err := c.RenderPrompt(t.Context(), connect.NewRequest(req))
	if err != nil {
		return nil, err
	}
	return res.Msg, nil
}

// wantError checks err's Connect code and, when field is not empty, the
// field its ErrorDetail names.
func wantError(t *testing.T, err error, code connect.Code, field string) {
	t.Helper()
	if connect.CodeOf(err) != code {
		t.Fatalf("error = %v (code %s), want code %s", err, connect.CodeOf(err), code)
	}
	if field != "" {
		if got := apierror.As(err).Field; got != field {
			t.Errorf("error field = %q, want %q (error %v)", got, field, err)
		}
	}
}

func TestUpdateNeverChangesAVersion(t *testing.T) {
	forEachDriver(t, func(t *testing.T, c promptsv1connect.PromptServiceClient) {
		v1 := create(t, c, "support.triage", "Classify: {{ticket}}", "production").GetVersion()
		up := update(t, c, "support.triage", "Classify carefully: {{ticket}}", "staging")
		if up.GetVersion().GetVersion() != 2 || up.GetUnchanged() {
			t.Fatalf("update made version %d (unchanged %v), want 2", up.GetVersion().GetVersion(), up.GetUnchanged())
		}
		got, err := c.GetPrompt(t.Context(), connect.NewRequest(&promptsv1.GetPromptRequest{
			Name: "support.triage", Selector: &promptsv1.GetPromptRequest_Version{Version: 1},
		}))
		if err != nil {
			t.Fatalf("GetPrompt v1: %v", err)
		}
		if !proto.Equal(got.Msg.GetVersion().GetTemplate(), v1.GetTemplate()) || got.Msg.GetVersion().GetDigest() != v1.GetDigest() {
			t.Errorf("version 1 changed after an update: %v", got.Msg.GetVersion().GetTemplate())
		}
		if got.Msg.GetVersion().GetMessage() != "first" || got.Msg.GetPrompt().GetLatestVersion() != 2 {
			t.Errorf("v1 message %q, latest %d; want first, 2", got.Msg.GetVersion().GetMessage(), got.Msg.GetPrompt().GetLatestVersion())
		}
		// production still serves v1; staging serves v2.
		for label, want := range map[string]int32{"production": 1, "staging": 2} {
			r, err := render(t, c, &promptsv1.RenderPromptRequest{Name: "support.triage", Selector: &promptsv1.RenderPromptRequest_Label{Label: label}, Variables: vars(t, map[string]any{"ticket": "x"})})
			if err != nil || r.GetVersion() != want {
				t.Errorf("render @%s: version %d, err %v; want %d", label, r.GetVersion(), err, want)
			}
		}
		// Re-applying the same template creates no version.
		again := update(t, c, "support.triage", "Classify carefully: {{ticket}}")
		if !again.GetUnchanged() || again.GetVersion().GetVersion() != 2 {
			t.Errorf("same template: unchanged %v version %d, want true 2", again.GetUnchanged(), again.GetVersion().GetVersion())
		}
		// A stale base version is refused and changes nothing.
		_, err = c.UpdatePrompt(t.Context(), connect.NewRequest(&promptsv1.UpdatePromptRequest{
			Name: "support.triage", Template: tmpl("other"), BaseVersion: 1,
		}))
		wantError(t, err, connect.CodeAborted, "")
		vs, err := c.ListPromptVersions(t.Context(), connect.NewRequest(&promptsv1.ListPromptVersionsRequest{Name: "support.triage"}))
		if err != nil {
			t.Fatalf("ListPromptVersions: %v", err)
		}
		if n := len(vs.Msg.GetVersions()); n != 2 || vs.Msg.GetVersions()[0].GetVersion() != 2 {
			t.Errorf("versions = %d (newest %d), want 2 newest first", n, vs.Msg.GetVersions()[0].GetVersion())
		}
		// A second create of the same name fails.
		_, err = c.CreatePrompt(t.Context(), connect.NewRequest(&promptsv1.CreatePromptRequest{Name: "support.triage", Template: tmpl("x")}))
		wantError(t, err, connect.CodeAlreadyExists, "")
	})
}

func TestMovingALabelBackRendersTheOlderVersion(t *testing.T) {
	forEachDriver(t, func(t *testing.T, c promptsv1connect.PromptServiceClient) {
		create(t, c, "greet", "Hello v1 {{name}}", "production")
		update(t, c, "greet", "Hello v2 {{name}}", "production")
		req := &promptsv1.RenderPromptRequest{Name: "greet", Variables: vars(t, map[string]any{"name": "Ada"})}
		r, err := render(t, c, req)
		if err != nil || r.GetVersion() != 2 || firstText(r.GetMessages()) != "Hello v2 Ada" {
			t.Fatalf("render = v%d %q, %v; want v2 %q", r.GetVersion(), firstText(r.GetMessages()), err, "Hello v2 Ada")
		}
		setLabel(t, c, "greet", "production", &promptsv1.LabelTarget{Version: 1})
		r, err = render(t, c, req)
		if err != nil || r.GetVersion() != 1 || firstText(r.GetMessages()) != "Hello v1 Ada" || r.GetLabel() != "production" {
			t.Fatalf("after rollback render = v%d %q @%s, %v; want v1 %q", r.GetVersion(), firstText(r.GetMessages()), r.GetLabel(), err, "Hello v1 Ada")
		}
		// A label cannot point at a version that does not exist.
		_, err = c.SetLabel(t.Context(), connect.NewRequest(&promptsv1.SetLabelRequest{Name: "greet", Label: "production", Targets: []*promptsv1.LabelTarget{{Version: 9}}}))
		wantError(t, err, connect.CodeInvalidArgument, "targets")
		if r, _ := render(t, c, req); r.GetVersion() != 1 {
			t.Errorf("a refused SetLabel moved the label to v%d", r.GetVersion())
		}
	})
}

func TestRenderVariables(t *testing.T) {
	forEachDriver(t, func(t *testing.T, c promptsv1connect.PromptServiceClient) {
		schema := vars(t, map[string]any{
			"type":     "object",
			"required": []any{"topic", "count"},
			"properties": map[string]any{
				"topic": map[string]any{"type": "string"},
				"count": map[string]any{"type": "integer", "minimum": 1},
				"tone":  map[string]any{"type": "string", "default": "friendly"},
			},
		})
		tp := tmpl("Write {{count}} {{ tone }} lines about {{topic}}.")
		tp.VariablesSchema = schema
		if _, err := c.CreatePrompt(t.Context(), connect.NewRequest(&promptsv1.CreatePromptRequest{Name: "poem", Template: tp, Labels: []string{"production"}})); err != nil {
			t.Fatalf("CreatePrompt: %v", err)
		}
		r, err := render(t, c, &promptsv1.RenderPromptRequest{Name: "poem", Variables: vars(t, map[string]any{"topic": "the sea", "count": 3})})
		if err != nil || firstText(r.GetMessages()) != "Write 3 friendly lines about the sea." {
			t.Fatalf("render = %q, %v", firstText(r.GetMessages()), err)
		}
		if r.GetDefaults().GetModel() != "demo" {
			t.Errorf("defaults.model = %q, want demo", r.GetDefaults().GetModel())
		}
		// A variable whose value looks like a placeholder is sent literally.
		r, err = render(t, c, &promptsv1.RenderPromptRequest{Name: "poem", Variables: vars(t, map[string]any{"topic": "{{count}} and {{other}}", "count": 2})})
		if err != nil || firstText(r.GetMessages()) != "Write 2 friendly lines about {{count}} and {{other}}." {
			t.Fatalf("render = %q, %v; want the value inserted literally", firstText(r.GetMessages()), err)
		}
		for _, tc := range []struct {
			name  string
			vars  map[string]any
			field string
		}{
			{"missing", map[string]any{"count": 2}, "variables.topic"},
			{"ill-typed", map[string]any{"topic": "x", "count": "two"}, "variables.count"},
			{"out of range", map[string]any{"topic": "x", "count": 0}, "variables.count"},
		} {
			_, err := render(t, c, &promptsv1.RenderPromptRequest{Name: "poem", Variables: vars(t, tc.vars)})
			wantError(t, err, connect.CodeInvalidArgument, tc.field)
			if err != nil && !strings.Contains(err.Error(), strings.TrimPrefix(tc.field, "variables.")) {
				t.Errorf("%s: message %q does not name the variable", tc.name, err)
			}
		}
		// Without a schema every placeholder is required.
		create(t, c, "plain", "Hi {{who}}", "production")
		_, err = render(t, c, &promptsv1.RenderPromptRequest{Name: "plain"})
		wantError(t, err, connect.CodeInvalidArgument, "variables.who")
		// A schema outside the supported subset is refused when saved.
		bad := tmpl("x")
		bad.VariablesSchema = vars(t, map[string]any{"oneOf": []any{}})
		_, err = c.CreatePrompt(t.Context(), connect.NewRequest(&promptsv1.CreatePromptRequest{Name: "bad", Template: bad}))
		wantError(t, err, connect.CodeInvalidArgument, "template.variables_schema")
		_, err = c.GetPrompt(t.Context(), connect.NewRequest(&promptsv1.GetPromptRequest{Name: "bad"}))
		wantError(t, err, connect.CodeNotFound, "")
	})
}

func TestDiff(t *testing.T) {
	forEachDriver(t, func(t *testing.T, c promptsv1connect.PromptServiceClient) {
		create(t, c, "d", "line one {{x}}")
		update(t, c, "d", "line two {{x}}")
		res, err := c.DiffPromptVersions(t.Context(), connect.NewRequest(&promptsv1.DiffPromptVersionsRequest{Name: "d", FromVersion: 1, ToVersion: 2}))
		if err != nil {
			t.Fatalf("DiffPromptVersions: %v", err)
		}
		d := res.Msg.GetUnifiedDiff()
		if res.Msg.GetIdentical() || !strings.Contains(d, "--- v1") || !strings.Contains(d, "+++ v2") ||
			!strings.Contains(d, "-") || !strings.Contains(d, "line one") || !strings.Contains(d, "line two") {
			t.Errorf("diff:\n%s", d)
		}
		same, err := c.DiffPromptVersions(t.Context(), connect.NewRequest(&promptsv1.DiffPromptVersionsRequest{Name: "d", FromVersion: 2, ToVersion: 2}))
		if err != nil || !same.Msg.GetIdentical() || same.Msg.GetUnifiedDiff() != "" {
			t.Errorf("diff of a version with itself: %v, %v", same.Msg, err)
		}
		_, err = c.DiffPromptVersions(t.Context(), connect.NewRequest(&promptsv1.DiffPromptVersionsRequest{Name: "d", FromVersion: 1, ToVersion: 7}))
		wantError(t, err, connect.CodeNotFound, "")
	})
}

func TestPublications(t *testing.T) {
	forEachDriver(t, func(t *testing.T, c promptsv1connect.PromptServiceClient) {
		create(t, c, "summarize", "Summarize {{text}}", "production")
		create(t, c, "other", "x", "production")
		pub := func(slug, name, label string) error {
			_, err := c.PublishPrompt(t.Context(), connect.NewRequest(&promptsv1.PublishPromptRequest{Slug: slug, PromptName: name, Label: label, Description: "Summaries"}))
			return err
		}
		if err := pub("summarize", "summarize", "production"); err != nil {
			t.Fatalf("PublishPrompt: %v", err)
		}
		wantError(t, pub("summarize", "other", "production"), connect.CodeAlreadyExists, "")
		wantError(t, pub("s2", "summarize", "nolabel"), connect.CodeInvalidArgument, "label")
		wantError(t, pub("bad slug", "summarize", "production"), connect.CodeInvalidArgument, "slug")
		// The served label cannot be deleted, nor the prompt without force.
		_, err := c.DeleteLabel(t.Context(), connect.NewRequest(&promptsv1.DeleteLabelRequest{Name: "summarize", Label: "production"}))
		wantError(t, err, connect.CodeFailedPrecondition, "")
		_, err = c.DeletePrompt(t.Context(), connect.NewRequest(&promptsv1.DeletePromptRequest{Name: "summarize"}))
		wantError(t, err, connect.CodeFailedPrecondition, "")

		doc, err := c.GetOpenApiDocument(t.Context(), connect.NewRequest(&promptsv1.GetOpenApiDocumentRequest{ServerUrl: "https://llm.example.com"}))
		if err != nil {
			t.Fatalf("GetOpenApiDocument: %v", err)
		}
		if j := doc.Msg.GetDocumentJson(); !strings.Contains(j, `"/apis/summarize"`) || !strings.Contains(j, `"text"`) || !strings.Contains(j, "https://llm.example.com") {
			t.Errorf("OpenAPI document lacks the publication:\n%s", j)
		}
		list, err := c.ListPublications(t.Context(), connect.NewRequest(&promptsv1.ListPublicationsRequest{}))
		if err != nil || len(list.Msg.GetPublications()) != 1 || list.Msg.GetPublications()[0].GetSlug() != "summarize" {
			t.Fatalf("ListPublications = %v, %v", list.Msg, err)
		}
		if _, err := c.UnpublishPrompt(t.Context(), connect.NewRequest(&promptsv1.UnpublishPromptRequest{Slug: "summarize"})); err != nil {
			t.Fatalf("UnpublishPrompt: %v", err)
		}
		// Unpublishing again finds nothing, as deleting any other resource.
		if _, err := c.UnpublishPrompt(t.Context(), connect.NewRequest(&promptsv1.UnpublishPromptRequest{Slug: "summarize"})); connect.CodeOf(err) != connect.CodeNotFound {
			t.Errorf("UnpublishPrompt of an unpublished slug: %v, want not_found", err)
		}
		list, err = c.ListPublications(t.Context(), connect.NewRequest(&promptsv1.ListPublicationsRequest{}))
		if err != nil || len(list.Msg.GetPublications()) != 0 {
			t.Errorf("after unpublish: %v, %v", list.Msg, err)
		}
		if _, err := c.DeletePrompt(t.Context(), connect.NewRequest(&promptsv1.DeletePromptRequest{Name: "summarize"})); err != nil {
			t.Errorf("DeletePrompt after unpublish: %v", err)
		}
	})
}

func TestConcurrentUpdatesGetDistinctVersions(t *testing.T) {
	forEachDriver(t, func(t *testing.T, c promptsv1connect.PromptServiceClient) {
		create(t, c, "busy", "v1")
		const n = 8
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				_, err := c.UpdatePrompt(t.Context(), connect.NewRequest(&promptsv1.UpdatePromptRequest{Name: "busy", Template: tmpl(fmt.Sprintf("edit %d", i))}))
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("concurrent UpdatePrompt: %v", err)
			}
		}
		vs, err := c.ListPromptVersions(t.Context(), connect.NewRequest(&promptsv1.ListPromptVersionsRequest{Name: "busy"}))
		if err != nil {
			t.Fatalf("ListPromptVersions: %v", err)
		}
		seen := map[string]bool{}
		for i, v := range vs.Msg.GetVersions() {
			if v.GetVersion() != int32(n+1-i) {
				t.Errorf("versions[%d] = v%d, want v%d", i, v.GetVersion(), n+1-i)
			}
			seen[firstText(v.GetTemplate().GetMessages())] = true
		}
		if len(vs.Msg.GetVersions()) != n+1 || len(seen) != n+1 {
			t.Errorf("got %d versions with %d distinct templates, want %d", len(vs.Msg.GetVersions()), len(seen), n+1)
		}
	})
}
