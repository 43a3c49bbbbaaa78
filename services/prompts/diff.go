package prompts

import (
	"encoding/json"
	"fmt"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	promptsv1 "github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1"
)

// Canonical renders a template as canonical YAML for review and diffs:
// messages with their texts as literal blocks, then the defaults and the
// variables schema as JSON with sorted keys (JSON is YAML). Equal templates
// render equally.
func Canonical(t *promptsv1.PromptTemplate) string {
	var b strings.Builder
	b.WriteString("messages:\n")
	for _, m := range t.GetMessages() {
		fmt.Fprintf(&b, "  - role: %s\n", strings.ToLower(strings.TrimPrefix(m.GetRole().String(), "ROLE_")))
		if m.GetName() != "" {
			fmt.Fprintf(&b, "    name: %s\n", quote(m.GetName()))
		}
		if m.GetToolCallId() != "" {
			fmt.Fprintf(&b, "    tool_call_id: %s\n", quote(m.GetToolCallId()))
		}
		if len(m.GetContent()) > 0 {
			b.WriteString("    content:\n")
			for _, p := range m.GetContent() {
				if text, ok := p.GetPart().(*mcpv1.ContentPart_Text); ok {
					b.WriteString("      - text: ")
					block(&b, text.Text, "          ")
					continue
				}
				fmt.Fprintf(&b, "      - %s\n", canonicalJSON(p, "        "))
			}
		}
		for _, tc := range m.GetToolCalls() {
			fmt.Fprintf(&b, "    tool_call: %s\n", canonicalJSON(tc, "      "))
		}
	}
	if d := t.GetDefaults(); d != nil {
		fmt.Fprintf(&b, "defaults: %s\n", canonicalJSON(d, "  "))
	}
	if s := t.GetVariablesSchema(); s != nil {
		fmt.Fprintf(&b, "variables_schema: %s\n", canonicalJSON(s, "  "))
	}
	return b.String()
}

// block writes s as a YAML literal block scalar, keeping its final line
// break (or its absence) and leading spaces exact.
func block(b *strings.Builder, s, indent string) {
	chomp := "-"
	if strings.HasSuffix(s, "\n") {
		chomp = "+"
		s = strings.TrimSuffix(s, "\n")
	}
	b.WriteString("|2" + chomp + "\n")
	for _, line := range strings.Split(s, "\n") {
		if line == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString(indent + line + "\n")
	}
}

func quote(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// canonicalJSON is m as indented JSON with sorted keys (protojson output is
// deliberately unstable, so it is re-encoded).
func canonicalJSON(m proto.Message, indent string) string {
	raw, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
	if err != nil {
		return "null"
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "null"
	}
	out, _ := json.MarshalIndent(v, indent, "  ")
	return string(out)
}

// UnifiedDiff is a `diff -u` style diff of two texts by line.
func UnifiedDiff(fromName, toName, a, b string, context int) string {
	al, bl := splitLines(a), splitLines(b)
	ops := diffLines(al, bl)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", fromName, toName)
	// Each op is ' ', '-' or '+'; hunks are runs of changes with context.
	n := len(ops)
	i := 0
	for i < n {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(i-context, 0)
		end := i
		for end < n {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			// Within a run of equal lines: continue the hunk if another
			// change comes within 2*context lines.
			j := end
			for j < n && ops[j].kind == ' ' {
				j++
			}
			if j < n && j-end <= 2*context {
				end = j
				continue
			}
			end = min(end+context, n)
			break
		}
		aStart, bStart := ops[start].a, ops[start].b
		aLen, bLen := 0, 0
		for _, op := range ops[start:end] {
			if op.kind != '+' {
				aLen++
			}
			if op.kind != '-' {
				bLen++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(aStart, aLen), hunkRange(bStart, bLen))
		for _, op := range ops[start:end] {
			out.WriteByte(op.kind)
			out.WriteString(op.text)
			out.WriteByte('\n')
		}
		i = end
	}
	return out.String()
}

// hunkRange formats a hunk side: start is 0-based; an empty side names the
// line before it, as diff -u does.
func hunkRange(start, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

type diffOp struct {
	kind byte
	text string
	a, b int // 0-based positions in each side where this op starts
}

// diffLines is a longest-common-subsequence line diff. Prompts are small;
// beyond a size bound it degrades to "remove all, add all".
func diffLines(a, b []string) []diffOp {
	var ops []diffOp
	if len(a)*len(b) > 16_000_000 {
		for i, l := range a {
			ops = append(ops, diffOp{'-', l, i, 0})
		}
		for j, l := range b {
			ops = append(ops, diffOp{'+', l, len(a), j})
		}
		return ops
	}
	// lcs[i][j] is the LCS length of a[i:] and b[j:].
	lcs := make([][]int32, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int32, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			ops = append(ops, diffOp{' ', a[i], i, j})
			i++
			j++
		case j < len(b) && (i == len(a) || lcs[i][j+1] > lcs[i+1][j]):
			ops = append(ops, diffOp{'+', b[j], i, j})
			j++
		default:
			ops = append(ops, diffOp{'-', a[i], i, j})
			i++
		}
	}
	return ops
}
