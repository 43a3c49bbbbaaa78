package validate_test

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	quotav1 "github.com/manifoldgw/manifold/gen/go/manifold/quota/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/validate"
)

// The message-level rules of the protocol (written with has() on repeated
// fields, which allocates no list) accept and refuse what they say.
func TestMessageLevelRules(t *testing.T) {
	text := []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: "hi"}}}
	call := []*mcpv1.ToolCall{{Id: "call_1", Name: "lookup", Arguments: "{}"}}
	req := func(ms ...*mcpv1.Message) *mcpv1.Request { return &mcpv1.Request{Model: "demo", Messages: ms} }
	now := timestamppb.Now()
	usage := &mcpv1.Usage{InputTokens: 1}
	scope := &quotav1.ChargeScope{Model: "demo"}
	for _, tc := range []struct {
		name string
		msg  proto.Message
		want string // "" for valid, else a part of the error
	}{
		{"user text", req(&mcpv1.Message{Role: mcpv1.Role_ROLE_USER, Content: text}), ""},
		{"assistant tool call without text", req(&mcpv1.Message{Role: mcpv1.Role_ROLE_ASSISTANT, ToolCalls: call}), ""},
		{"tool result", req(&mcpv1.Message{Role: mcpv1.Role_ROLE_TOOL, ToolCallId: "call_1", Content: text}), ""},
		{"empty message", req(&mcpv1.Message{Role: mcpv1.Role_ROLE_USER}), "a message needs content or tool_calls"},
		{"user tool calls", req(&mcpv1.Message{Role: mcpv1.Role_ROLE_USER, Content: text, ToolCalls: call}), "only assistant messages may carry tool_calls"},
		{"tool without id", req(&mcpv1.Message{Role: mcpv1.Role_ROLE_TOOL, Content: text}), "tool_call_id is required on tool messages"},
		{"no messages, no prompt", req(), "messages must not be empty unless a prompt is given"},
		{"no role", req(&mcpv1.Message{Content: text}), "messages[0].role: is required"},
		{"undefined role", req(&mcpv1.Message{Role: 99, Content: text}), "messages[0].role: value must be one of the defined enum values"},
		{"tool_choice of an undeclared tool", &mcpv1.Request{Model: "demo", Messages: []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: text}},
			ToolChoice: &mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_ToolName{ToolName: "nope"}}}, "tool_choice: tool_choice names a tool"},
		{"settlement from leases", &quotav1.Settlement{CallId: "call_1", LeaseIds: []string{"lease_a"}, Scope: scope, Usage: usage, FinishedAt: now}, ""},
		{"settlement of a reservation", &quotav1.Settlement{CallId: "call_1", ReservationId: "res_a", Usage: usage, FinishedAt: now}, ""},
		{"settlement of both", &quotav1.Settlement{CallId: "call_1", ReservationId: "res_a", LeaseIds: []string{"lease_a"}, Scope: scope, Usage: usage, FinishedAt: now}, "set exactly one of reservation_id and lease_ids"},
		{"settlement of neither", &quotav1.Settlement{CallId: "call_1", Scope: scope, Usage: usage, FinishedAt: now}, "set exactly one of reservation_id and lease_ids"},
	} {
		err := validate.Check(tc.msg)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && err == nil:
			t.Errorf("%s: accepted, want %q", tc.name, tc.want)
		case tc.want != "" && apierror.As(err).Class != mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST:
			t.Errorf("%s: %v is not an invalid request", tc.name, err)
		case tc.want != "" && !strings.Contains(err.Error(), tc.want):
			t.Errorf("%s: %v, want it to say %q", tc.name, err, tc.want)
		}
	}
}
