package workflows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/pb33f/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

// schemaBase and schemaURL name a chain's input schema while it compiles.
// A relative name would be resolved against the server's working directory,
// which would then show in errors, and references would be loaded from its
// files.
const (
	schemaBase = "mem:///"
	schemaURL  = schemaBase + "input_schema.json"
)

// compileSchema compiles a chain's input schema (JSON Schema 2020-12). It
// loads nothing: references must point within the schema (or at the
// standard metaschemas). Errors are one line, without internal names.
func compileSchema(s *structpb.Struct) (*jsonschema.Schema, error) {
	doc, err := decodeJSON(s)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(jsonschema.SchemeURLLoader{})
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, schemaError(err)
	}
	sch, err := c.Compile(schemaURL)
	if err != nil {
		return nil, schemaError(err)
	}
	return sch, nil
}

// schemaError makes a compile error one readable line: the metaschema's
// complaints with their locations, or the library's message without the
// schema's internal name.
func schemaError(err error) error {
	var invalid *jsonschema.SchemaValidationError
	var load *jsonschema.LoadURLError
	switch {
	case errors.As(err, &invalid):
		if ve, ok := invalid.Err.(*jsonschema.ValidationError); ok {
			return errors.New(describe(ve))
		}
	case errors.As(err, &load):
		return fmt.Errorf("cannot load %q: only references within the schema are supported", strings.TrimPrefix(load.URL, schemaBase))
	}
	return errors.New(strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), schemaBase, "")), " "))
}

// describe lists the innermost causes of a validation error as
// "location: reason", separated by "; ".
func describe(ve *jsonschema.ValidationError) string {
	var parts []string
	for _, c := range leaves(ve) {
		parts = append(parts, fmt.Sprintf("/%s: %s", strings.Join(c.InstanceLocation, "/"), c.ErrorKind.LocalizedString(english)))
	}
	return strings.Join(parts, "; ")
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
			msg = describe(ve)
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
