package chainrun

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	workflowsv1 "github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1"
)

// canonicalJSON encodes v with sorted keys and without HTML escaping, the
// subset of RFC 8785 that JSON values decoded from protobuf Structs need
// (numbers are float64 and Go prints them as ECMAScript does).
func canonicalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Digest is the lowercase hex SHA-256 of v's canonical JSON.
func Digest(v any) (string, error) {
	b, err := canonicalJSON(v)
	if err != nil {
		return "", fmt.Errorf("encode approval subject: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// ToolCallDigest binds an approval to a tool call: the digest of
// {"name": name, "arguments": parsed arguments}.
func ToolCallDigest(name, arguments string) (string, error) {
	subject, err := toolCallSubject(name, arguments)
	if err != nil {
		return "", err
	}
	return Digest(subject)
}

func toolCallSubject(name, arguments string) (any, error) {
	var args any
	if strings.TrimSpace(arguments) != "" {
		if err := json.Unmarshal([]byte(arguments), &args); err != nil {
			return nil, fmt.Errorf("tool call arguments are not JSON: %w", err)
		}
	}
	return map[string]any{"name": name, "arguments": args}, nil
}

// SubjectJSON is the text a pending approval's digest is the SHA-256 of:
// the canonical JSON of its value, or of {"arguments": parsed arguments,
// "name": tool name} for a tool call. Shown to approvers, it lets them
// check the digest they echo against what they read.
func SubjectJSON(p *workflowsv1.PendingApproval) ([]byte, error) {
	var subject any = p.GetValue().AsInterface()
	if tc := p.GetToolCall(); tc != nil {
		var err error
		if subject, err = toolCallSubject(tc.GetName(), tc.GetArguments()); err != nil {
			return nil, err
		}
	}
	return canonicalJSON(subject)
}

// pointer resolves an RFC 6901 JSON Pointer in v.
func pointer(v any, ptr string) (any, bool) {
	if ptr == "" {
		return v, true
	}
	for _, tok := range strings.Split(ptr, "/")[1:] {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch cur := v.(type) {
		case map[string]any:
			next, ok := cur[tok]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(cur) {
				return nil, false
			}
			v = cur[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// setPath sets a dotted path in vars, creating nested objects.
func setPath(vars map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	cur := vars
	for _, p := range parts[:len(parts)-1] {
		next, ok := cur[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[p] = next
		}
		cur = next
	}
	cur[parts[len(parts)-1]] = v
}

var placeholder = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}`)

// legacyRender fills {{variable}} placeholders as runs started before
// version 1 of "template-placeholders" did, so that they replay: strings
// as they are, other values as JSON, unknown variables empty.
func legacyRender(text string, vars map[string]any) string {
	return placeholder.ReplaceAllStringFunc(text, func(m string) string {
		path := placeholder.FindStringSubmatch(m)[1]
		var v any = vars
		for _, p := range strings.Split(path, ".") {
			obj, ok := v.(map[string]any)
			if !ok {
				return ""
			}
			v = obj[p]
		}
		switch x := v.(type) {
		case nil:
			return ""
		case string:
			return x
		default:
			b, _ := json.Marshal(x)
			return string(b)
		}
	})
}
