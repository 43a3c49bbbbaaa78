package workflows

import (
	"os"
	"path/filepath"
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

// A bad input schema is refused in one line naming the field, without the
// server's working directory; a $ref outside the schema is refused, never
// loaded from the server's files.
func TestInputSchemaErrors(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile(filepath.Join(dir, "other.json"), []byte(`{"type": "string"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		schema map[string]any
		want   string
	}{
		{map[string]any{"type": "objekt"}, "/type: value must be one of"},
		{map[string]any{"properties": map[string]any{"a": map[string]any{"minLength": -1.0}}}, "/properties/a/minLength: minimum: got -1, want 0"},
		{map[string]any{"$ref": "#/$defs/nope"}, `"input_schema.json#/$defs/nope" not found`},
		{map[string]any{"$ref": "other.json"}, `cannot load "other.json": only references within the schema are supported`},
		{map[string]any{"$ref": "file:///etc/hostname"}, `cannot load "file:///etc/hostname": only references`},
	} {
		s, _ := structpb.NewStruct(c.schema)
		err := checkSpec(&workflowsv1.ChainSpec{InputSchema: s})
		t.Log(err)
		e := apierror.As(err)
		if err == nil || e.Field != "spec.input_schema" || !strings.Contains(e.Message, c.want) {
			t.Errorf("schema %v: %v; want spec.input_schema: … %s", c.schema, err, c.want)
			continue
		}
		if strings.Contains(e.Message, "\n") || strings.Contains(e.Message, "file:///tmp") || strings.Contains(e.Message, dir) || strings.Contains(e.Message, "mem:") {
			t.Errorf("schema %v: the error is not one line free of server paths: %q", c.schema, e.Message)
		}
	}
}
