package workflows

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	workflowsv1 "github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

func TestInputSchema(t *testing.T) {
	schema, _ := structpb.NewStruct(map[string]any{
		"type":     "object",
		"required": []any{"order"},
		"properties": map[string]any{
			"order":    map[string]any{"type": "string"},
			"priority": map[string]any{"type": "string", "enum": []any{"low", "normal", "high"}, "default": "normal"},
		},
	})
	got, err := checkInput(schema, map[string]any{"order": "A-17"})
	if err != nil || got["priority"] != "normal" {
		t.Fatalf("valid input: %v, %v", got, err)
	}
	for _, c := range []struct {
		input map[string]any
		want  string
	}{
		{map[string]any{}, "order"},
		{map[string]any{"order": 17.0}, "/order"},
		{map[string]any{"order": "A-17", "priority": "urgent"}, "/priority"},
	} {
		_, err := checkInput(schema, c.input)
		t.Log(err)
		e := apierror.As(err)
		if err == nil || e.Field != "input" || !strings.Contains(e.Message, c.want) {
			t.Errorf("input %v: %v, want a mention of %s", c.input, err, c.want)
		}
	}
	bad, _ := structpb.NewStruct(map[string]any{"type": 5.0})
	err = checkSpec(&workflowsv1.ChainSpec{InputSchema: bad})
	if e := apierror.As(err); err == nil || e.Field != "spec.input_schema" {
		t.Fatalf("bad schema: %v", err)
	}
}
