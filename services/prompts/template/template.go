// Package template renders prompt versions: the logic-less `{{variable}}`
// substitution, the variables check against the version's JSON schema, the
// choice of a version from a label split, and the merge of a version's
// request defaults under a request. It is pure (no I/O), so the prompt
// registry and the routers' local caches render identically.
package template

import (
	"encoding/json"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	promptsv1 "github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

// placeholder is one well-formed `{{ name.path }}` in a text.
type placeholder struct {
	start, end int      // byte range of the whole `{{…}}`
	path       []string // name, then the fields walked into
}

// scan finds the well-formed placeholders of s, in order. Text that looks
// like a placeholder but is not well-formed is not one.
func scan(s string) []placeholder {
	var out []placeholder
	for i := 0; i < len(s); {
		open := strings.Index(s[i:], "{{")
		if open < 0 {
			break
		}
		open += i
		close := strings.Index(s[open+2:], "}}")
		if close < 0 {
			break
		}
		close += open + 2
		if path, ok := parsePath(strings.TrimSpace(s[open+2 : close])); ok {
			out = append(out, placeholder{start: open, end: close + 2, path: path})
			i = close + 2
			continue
		}
		i = open + 1 // "{{{x}}" still finds "{{x}}"
	}
	return out
}

// parsePath accepts name(.field)* where name is [A-Za-z_][A-Za-z0-9_]* and
// fields are [A-Za-z0-9_]+.
func parsePath(s string) ([]string, bool) {
	if s == "" {
		return nil, false
	}
	parts := strings.Split(s, ".")
	for i, p := range parts {
		if p == "" {
			return nil, false
		}
		for j, c := range p {
			ok := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9' && (i > 0 || j > 0))
			if !ok {
				return nil, false
			}
		}
	}
	return parts, true
}

// substitute replaces the placeholders of s with their values. The values
// are written straight to the output and never scanned again, so a value
// containing `{{other}}` is sent literally.
func substitute(s string, vars map[string]any) (string, error) {
	phs := scan(s)
	if len(phs) == 0 {
		return s, nil
	}
	var b strings.Builder
	last := 0
	for _, ph := range phs {
		b.WriteString(s[last:ph.start])
		v, err := lookup(vars, ph.path)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
		last = ph.end
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

// lookup walks path into vars and formats the value: strings as is, any
// other value as compact JSON.
func lookup(vars map[string]any, path []string) (string, error) {
	var cur any = vars
	for i, p := range path {
		obj, ok := cur.(map[string]any)
		if !ok {
			return "", apierror.Invalid(fieldOf(path[:i]), "variable %s is not an object, so %s cannot be read", strings.Join(path[:i], "."), strings.Join(path, "."))
		}
		v, ok := obj[p]
		if !ok {
			return "", apierror.Invalid(fieldOf(path[:i+1]), "missing variable %s", strings.Join(path[:i+1], "."))
		}
		cur = v
	}
	if s, ok := cur.(string); ok {
		return s, nil
	}
	b, err := json.Marshal(cur)
	if err != nil {
		return "", apierror.Invalid(fieldOf(path), "variable %s cannot be formatted: %v", strings.Join(path, "."), err)
	}
	return string(b), nil
}

// fieldOf is the error field of a variable path, e.g. "variables.user.name".
func fieldOf(path []string) string {
	return "variables." + strings.Join(path, ".")
}

// Variables lists the root names of the placeholders in t's messages, in
// order of first use.
func Variables(t *promptsv1.PromptTemplate) []string {
	var out []string
	seen := map[string]bool{}
	eachText(t.GetMessages(), func(s *string) {
		for _, ph := range scan(*s) {
			if !seen[ph.path[0]] {
				seen[ph.path[0]] = true
				out = append(out, ph.path[0])
			}
		}
	})
	return out
}

// eachText calls fn on every text a placeholder may appear in: text parts,
// document text parts and tool-result text parts.
func eachText(msgs []*mcpv1.Message, fn func(*string)) {
	var parts func([]*mcpv1.ContentPart)
	parts = func(ps []*mcpv1.ContentPart) {
		for _, p := range ps {
			switch v := p.GetPart().(type) {
			case *mcpv1.ContentPart_Text:
				fn(&v.Text)
			case *mcpv1.ContentPart_Document:
				if d, ok := v.Document.GetSource().(*mcpv1.DocumentPart_Text); ok {
					fn(&d.Text)
				}
			case *mcpv1.ContentPart_ToolResult:
				parts(v.ToolResult.GetContent())
			}
		}
	}
	for _, m := range msgs {
		parts(m.GetContent())
	}
}

// Render checks vars against t's variables schema (applying its defaults)
// and returns t's messages with every placeholder substituted. A missing or
// ill-typed variable is an INVALID_REQUEST error whose field names it.
func Render(t *promptsv1.PromptTemplate, vars *structpb.Struct) ([]*mcpv1.Message, error) {
	values := vars.AsMap()
	if schema := t.GetVariablesSchema(); schema != nil {
		v, err := Check(schema.AsMap(), values)
		if err != nil {
			return nil, err
		}
		values = v
	}
	msgs := make([]*mcpv1.Message, len(t.GetMessages()))
	for i, m := range t.GetMessages() {
		msgs[i] = proto.Clone(m).(*mcpv1.Message)
	}
	var err error
	eachText(msgs, func(s *string) {
		if err != nil {
			return
		}
		*s, err = substitute(*s, values)
	})
	if err != nil {
		return nil, err
	}
	return msgs, nil
}

// CheckTemplate reports what makes t unusable beyond its protovalidate
// rules: a variables schema outside the supported subset.
func CheckTemplate(t *promptsv1.PromptTemplate) error {
	if s := t.GetVariablesSchema(); s != nil {
		if err := checkSchema(s.AsMap(), "template.variables_schema"); err != nil {
			return err
		}
	}
	return nil
}
