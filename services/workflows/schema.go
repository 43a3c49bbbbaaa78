package workflows

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pb33f/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

// compileSchema compiles a chain's input schema (JSON Schema 2020-12).
func compileSchema(s *structpb.Struct) (*jsonschema.Schema, error) {
	doc, err := decodeJSON(s)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("input.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("input.json")
}

// decodeJSON turns a Struct into the values jsonschema works on.
func decodeJSON(s *structpb.Struct) (any, error) {
	b, err := json.Marshal(s.AsMap())
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

// checkInput applies the schema's top-level property defaults to a run's
// input and validates it; a violation is an INVALID_ARGUMENT error on
// field "input".
func checkInput(schema *structpb.Struct, input map[string]any) (map[string]any, error) {
	if schema == nil {
		return input, nil
	}
	for name, p := range schema.GetFields()["properties"].GetStructValue().GetFields() {
		if d, ok := p.GetStructValue().GetFields()["default"]; ok {
			if _, set := input[name]; !set {
				input[name] = d.AsInterface()
			}
		}
	}
	sch, err := compileSchema(schema)
	if err != nil {
		return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_INTERNAL, "the chain's input schema does not compile: %v", err)
	}
	s, err := structpb.NewStruct(input)
	if err != nil {
		return nil, apierror.Invalid("input", "%v", err)
	}
	v, err := decodeJSON(s)
	if err != nil {
		return nil, apierror.Invalid("input", "%v", err)
	}
	if err := sch.Validate(v); err != nil {
		msg := err.Error()
		if ve, ok := err.(*jsonschema.ValidationError); ok {
			var parts []string
			for _, c := range leaves(ve) {
				loc := "/" + strings.Join(c.InstanceLocation, "/")
				parts = append(parts, fmt.Sprintf("%s: %s", loc, c.ErrorKind.LocalizedString(english)))
			}
			msg = strings.Join(parts, "; ")
		}
		return nil, apierror.Invalid("input", "the input does not match the chain's input schema: %s", msg)
	}
	return input, nil
}

var english = message.NewPrinter(language.English)

// leaves are the innermost causes of a validation error.
func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}
