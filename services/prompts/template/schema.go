package template

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/manifoldgw/manifold/services/internal/apierror"
)

// The variables schema is checked with a small subset of JSON Schema (draft
// 2020-12): type (a name or a list), properties, required,
// additionalProperties (false), items, enum, const, minLength, maxLength,
// minimum, maximum, exclusiveMinimum, exclusiveMaximum, minItems, maxItems
// and default. Annotations (title, description, examples, …) are allowed and
// ignored; any other keyword is refused when the template is saved, so a
// schema never silently checks less than its author meant.

var knownTypes = []string{"string", "number", "integer", "boolean", "object", "array", "null"}

var keywords = map[string]bool{
	"type": true, "properties": true, "required": true, "additionalProperties": true, "items": true,
	"enum": true, "const": true, "minLength": true, "maxLength": true, "minimum": true, "maximum": true,
	"exclusiveMinimum": true, "exclusiveMaximum": true, "minItems": true, "maxItems": true, "default": true,
	// Annotations.
	"$schema": true, "$id": true, "$comment": true, "title": true, "description": true, "examples": true,
	"format": true, "deprecated": true, "readOnly": true, "writeOnly": true,
}

// checkSchema reports the first construct outside the supported subset.
func checkSchema(s map[string]any, at string) error {
	for k, v := range s {
		if !keywords[k] {
			return apierror.Invalid(at, "unsupported JSON Schema keyword %q (supported: type, properties, required, additionalProperties, items, enum, const, string and number bounds, default)", k)
		}
		switch k {
		case "type":
			for _, t := range typeList(v) {
				if !slices.Contains(knownTypes, t) {
					return apierror.Invalid(at+".type", "unknown type %q", t)
				}
			}
			if len(typeList(v)) == 0 {
				return apierror.Invalid(at+".type", "type must be a type name or a list of them")
			}
		case "properties":
			props, ok := v.(map[string]any)
			if !ok {
				return apierror.Invalid(at+".properties", "properties must be an object")
			}
			for name, p := range props {
				ps, ok := p.(map[string]any)
				if !ok {
					return apierror.Invalid(at+".properties."+name, "a property schema must be an object")
				}
				if err := checkSchema(ps, at+".properties."+name); err != nil {
					return err
				}
			}
		case "items":
			is, ok := v.(map[string]any)
			if !ok {
				return apierror.Invalid(at+".items", "items must be a schema object")
			}
			if err := checkSchema(is, at+".items"); err != nil {
				return err
			}
		case "required":
			list, ok := v.([]any)
			if !ok {
				return apierror.Invalid(at+".required", "required must be a list of property names")
			}
			for _, r := range list {
				if _, ok := r.(string); !ok {
					return apierror.Invalid(at+".required", "required must be a list of property names")
				}
			}
		case "additionalProperties":
			switch ap := v.(type) {
			case bool:
			case map[string]any:
				if err := checkSchema(ap, at+".additionalProperties"); err != nil {
					return err
				}
			default:
				return apierror.Invalid(at+".additionalProperties", "additionalProperties must be a boolean or a schema")
			}
		case "enum":
			if _, ok := v.([]any); !ok {
				return apierror.Invalid(at+".enum", "enum must be a list")
			}
		case "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems":
			if _, ok := v.(float64); !ok {
				return apierror.Invalid(at+"."+k, "%s must be a number", k)
			}
		}
	}
	return nil
}

func typeList(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			s, ok := x.(string)
			if !ok {
				return nil
			}
			out = append(out, s)
		}
		return out
	}
	return nil
}

// Check validates vars (a decoded JSON object) against schema and returns
// a copy with the schema's defaults filled in. The error names the first
// bad variable: field "variables.<path>".
func Check(schema map[string]any, vars map[string]any) (map[string]any, error) {
	if vars == nil {
		vars = map[string]any{}
	}
	out, err := check(schema, vars, nil)
	if err != nil {
		return nil, err
	}
	m, _ := out.(map[string]any)
	return m, nil
}

func check(s map[string]any, v any, path []string) (any, error) {
	name := strings.Join(path, ".")
	field := "variables"
	if name != "" {
		field = fieldOf(path)
	} else {
		name = "variables"
	}
	if types := typeList(s["type"]); len(types) > 0 && !slices.ContainsFunc(types, func(t string) bool { return hasType(v, t) }) {
		return nil, apierror.Invalid(field, "variable %s must be %s, got %s", name, strings.Join(types, " or "), jsonType(v))
	}
	if enum, ok := s["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return reflect.DeepEqual(e, v) }) {
		return nil, apierror.Invalid(field, "variable %s must be one of %s", name, compact(enum))
	}
	if c, ok := s["const"]; ok && !reflect.DeepEqual(c, v) {
		return nil, apierror.Invalid(field, "variable %s must be %s", name, compact(c))
	}
	switch x := v.(type) {
	case string:
		n := float64(utf8.RuneCountInString(x))
		if m, ok := s["minLength"].(float64); ok && n < m {
			return nil, apierror.Invalid(field, "variable %s must be at least %g characters long", name, m)
		}
		if m, ok := s["maxLength"].(float64); ok && n > m {
			return nil, apierror.Invalid(field, "variable %s must be at most %g characters long", name, m)
		}
	case float64:
		if m, ok := s["minimum"].(float64); ok && x < m {
			return nil, apierror.Invalid(field, "variable %s must be at least %g", name, m)
		}
		if m, ok := s["maximum"].(float64); ok && x > m {
			return nil, apierror.Invalid(field, "variable %s must be at most %g", name, m)
		}
		if m, ok := s["exclusiveMinimum"].(float64); ok && x <= m {
			return nil, apierror.Invalid(field, "variable %s must be greater than %g", name, m)
		}
		if m, ok := s["exclusiveMaximum"].(float64); ok && x >= m {
			return nil, apierror.Invalid(field, "variable %s must be less than %g", name, m)
		}
	case []any:
		if m, ok := s["minItems"].(float64); ok && float64(len(x)) < m {
			return nil, apierror.Invalid(field, "variable %s needs at least %g items", name, m)
		}
		if m, ok := s["maxItems"].(float64); ok && float64(len(x)) > m {
			return nil, apierror.Invalid(field, "variable %s allows at most %g items", name, m)
		}
		if items, ok := s["items"].(map[string]any); ok {
			out := make([]any, len(x))
			for i, e := range x {
				c, err := check(items, e, append(slices.Clone(path), fmt.Sprint(i)))
				if err != nil {
					return nil, err
				}
				out[i] = c
			}
			return out, nil
		}
	case map[string]any:
		return checkObject(s, x, path)
	}
	return v, nil
}

func checkObject(s map[string]any, x map[string]any, path []string) (any, error) {
	props, _ := s["properties"].(map[string]any)
	out := make(map[string]any, len(x))
	for k, e := range x {
		out[k] = e
	}
	// Defaults first, so that required is satisfied by them.
	for k, p := range props {
		ps, _ := p.(map[string]any)
		if d, ok := ps["default"]; ok {
			if _, set := out[k]; !set {
				out[k] = d
			}
		}
	}
	required, _ := s["required"].([]any)
	for _, r := range required {
		k, _ := r.(string)
		if _, ok := out[k]; !ok {
			return nil, apierror.Invalid(fieldOf(append(slices.Clone(path), k)), "missing variable %s", strings.Join(append(slices.Clone(path), k), "."))
		}
	}
	keys := make([]string, 0, len(out))
	for k := range out {
		keys = append(keys, k)
	}
	slices.Sort(keys) // report the first bad variable deterministically
	for _, k := range keys {
		sub := append(slices.Clone(path), k)
		ps, known := props[k].(map[string]any)
		if !known {
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					return nil, apierror.Invalid(fieldOf(sub), "unknown variable %s", strings.Join(sub, "."))
				}
				continue
			case map[string]any:
				ps = ap
			default:
				continue
			}
		}
		c, err := check(ps, out[k], sub)
		if err != nil {
			return nil, err
		}
		out[k] = c
	}
	return out, nil
}

func hasType(v any, t string) bool {
	switch t {
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f) && !math.IsInf(f, 0)
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "null":
		return v == nil
	}
	return false
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case float64:
		if x == math.Trunc(x) {
			return "an integer"
		}
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func compact(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
