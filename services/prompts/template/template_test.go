package template_test

import (
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	promptsv1 "github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/prompts/template"
)

func userText(s string) *mcpv1.Message {
	return &mcpv1.Message{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: s}}}}
}

func mustStruct(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatalf("NewStruct: %v", err)
	}
	return s
}

func TestRenderSubstitutes(t *testing.T) {
	tmpl := &promptsv1.PromptTemplate{Messages: []*mcpv1.Message{
		userText("Hi {{ name }}, about {{topic}}: {{user.city}} {{count}} {{flags}} {{not a placeholder}} {{ }} {{1bad}}"),
		{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Document{Document: &mcpv1.DocumentPart{Source: &mcpv1.DocumentPart_Text{Text: "doc {{name}}"}}}}}},
	}}
	vars := mustStruct(t, map[string]any{
		"name": "Ada", "topic": "{{name}} and {{ other }}", "user": map[string]any{"city": "Paris"},
		"count": 3, "flags": []any{true, "x"},
	})
	msgs, err := template.Render(tmpl, vars)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	want := `Hi Ada, about {{name}} and {{ other }}: Paris 3 [true,"x"] {{not a placeholder}} {{ }} {{1bad}}`
	if got := msgs[0].GetContent()[0].GetText(); got != want {
		t.Errorf("text = %q\nwant   %q", got, want)
	}
	if got := msgs[1].GetContent()[0].GetDocument().GetText(); got != "doc Ada" {
		t.Errorf("document text = %q", got)
	}
	// The template itself is untouched.
	if got := tmpl.GetMessages()[0].GetContent()[0].GetText(); !strings.HasPrefix(got, "Hi {{ name }}") {
		t.Errorf("template changed: %q", got)
	}
	if got := template.Variables(tmpl); strings.Join(got, ",") != "name,topic,user,count,flags" {
		t.Errorf("Variables = %v", got)
	}
}

func TestRenderErrorsNameTheVariable(t *testing.T) {
	schema := map[string]any{
		"type":     "object",
		"required": []any{"topic", "count"},
		"properties": map[string]any{
			"topic": map[string]any{"type": "string", "minLength": 2, "maxLength": 20},
			"count": map[string]any{"type": "integer", "minimum": 1, "maximum": 10},
			"tone":  map[string]any{"type": "string", "enum": []any{"formal", "casual"}, "default": "casual"},
		},
	}
	tmpl := &promptsv1.PromptTemplate{
		Messages:        []*mcpv1.Message{userText("{{topic}} x{{count}} ({{tone}})")},
		VariablesSchema: mustStruct(t, schema),
	}
	tests := []struct {
		name  string
		vars  map[string]any
		field string
	}{
		{"missing", map[string]any{"count": 2}, "variables.topic"},
		{"wrong type", map[string]any{"topic": "go", "count": "two"}, "variables.count"},
		{"not integer", map[string]any{"topic": "go", "count": 2.5}, "variables.count"},
		{"too short", map[string]any{"topic": "g", "count": 2}, "variables.topic"},
		{"too big", map[string]any{"topic": "go", "count": 11}, "variables.count"},
		{"not in enum", map[string]any{"topic": "go", "count": 2, "tone": "angry"}, "variables.tone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := template.Render(tmpl, mustStruct(t, tt.vars))
			e := apierror.As(err)
			if err == nil || e.Class != mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST || e.Field != tt.field {
				t.Fatalf("err = %v, want invalid_request on %s", err, tt.field)
			}
			name := strings.TrimPrefix(tt.field, "variables.")
			if !strings.Contains(e.Message, name) {
				t.Errorf("message %q does not name %s", e.Message, name)
			}
		})
	}
	msgs, err := template.Render(tmpl, mustStruct(t, map[string]any{"topic": "go", "count": 2}))
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if got := msgs[0].GetContent()[0].GetText(); got != "go x2 (casual)" {
		t.Errorf("with default: %q", got)
	}

	// Without a schema every placeholder is a required variable.
	_, err = template.Render(&promptsv1.PromptTemplate{Messages: []*mcpv1.Message{userText("{{a}} {{b.c}}")}}, mustStruct(t, map[string]any{"a": 1, "b": map[string]any{}}))
	if e := apierror.As(err); e == nil || e.Field != "variables.b.c" {
		t.Errorf("missing nested: %v", err)
	}
}

func TestCheckTemplateRefusesUnsupportedSchema(t *testing.T) {
	for _, s := range []map[string]any{
		{"type": "object", "oneOf": []any{}},
		{"type": "strin"},
		{"properties": map[string]any{"a": map[string]any{"minLength": "x"}}},
	} {
		err := template.CheckTemplate(&promptsv1.PromptTemplate{VariablesSchema: mustStruct(t, s)})
		if e := apierror.As(err); e == nil || e.Class != mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST {
			t.Errorf("CheckTemplate(%v) = %v, want invalid_request", s, err)
		}
	}
}

func TestPickSplits(t *testing.T) {
	l := &promptsv1.Label{Name: "production", Targets: []*promptsv1.LabelTarget{{Version: 1, Weight: 30}, {Version: 2, Weight: 70}}}
	counts := map[int32]int{}
	const n = 20000
	for range n {
		counts[template.Pick(l, "")]++
	}
	if share := float64(counts[2]) / n; math.Abs(share-0.7) > 0.03 {
		t.Errorf("random split gave v2 %.3f of calls, want about 0.70 (%v)", share, counts)
	}
	// Sticky: the same key always gets the same version; keys spread.
	sticky := map[int32]int{}
	for i := range 2000 {
		key := "key-" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
		v := template.Pick(l, key)
		for range 3 {
			if again := template.Pick(l, key); again != v {
				t.Fatalf("key %q got v%d then v%d", key, v, again)
			}
		}
		sticky[v]++
	}
	if sticky[1] == 0 || sticky[2] == 0 {
		t.Errorf("sticky split used only one version: %v", sticky)
	}
	if got := template.Pick(&promptsv1.Label{Targets: []*promptsv1.LabelTarget{{Version: 4}}}, ""); got != 4 {
		t.Errorf("single target: v%d", got)
	}
}

func TestApplyDefaults(t *testing.T) {
	temp, topP := 0.2, 0.9
	d := &promptsv1.RequestDefaults{Model: "demo", Sampling: &mcpv1.SamplingParams{Temperature: &temp, TopP: &topP}}
	reqTemp := 1.5
	r := &mcpv1.Request{Messages: []*mcpv1.Message{userText("own")}, Sampling: &mcpv1.SamplingParams{Temperature: &reqTemp}, Prompt: &mcpv1.PromptRef{Name: "p"}}
	out := template.Apply(r, []*mcpv1.Message{userText("rendered")}, d)
	if out.GetModel() != "demo" || out.GetSampling().GetTemperature() != 1.5 || out.GetSampling().GetTopP() != 0.9 {
		t.Errorf("merged = model %q temp %v top_p %v", out.GetModel(), out.GetSampling().GetTemperature(), out.GetSampling().GetTopP())
	}
	if len(out.GetMessages()) != 2 || out.GetMessages()[0].GetContent()[0].GetText() != "rendered" || out.GetPrompt() != nil {
		t.Errorf("messages/prompt = %v / %v", out.GetMessages(), out.GetPrompt())
	}
	if r.GetModel() != "" || len(r.GetMessages()) != 1 {
		t.Error("Apply changed its input")
	}
}
