package pii_test

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/pii"
)

func TestMask(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"email", "write to Jane.Doe+news@example.co.uk today", "write to [EMAIL] today"},
		{"card spaced", "card 4111 1111 1111 1111 exp 12/30", "card [CARD] exp 12/30"},
		{"card dashed", "4242-4242-4242-4242", "[CARD]"},
		{"card plain amex", "378282246310005", "[CARD]"},
		{"not luhn", "order 4111111111111112 shipped", "order 4111111111111112 shipped"},
		{"iban compact", "IBAN DE89370400440532013000.", "IBAN [IBAN]."},
		{"iban spaced then word", "pay GB82 WEST 1234 5698 7654 32 NOW", "pay [IBAN] NOW"},
		{"iban bad check", "DE89370400440532013001", "DE89370400440532013001"},
		{"ssn", "SSN 123-45-6789", "SSN [SSN]"},
		{"ssn never issued", "code 666-12-3456", "code 666-12-3456"},
		{"uk nino", "NI number AB 12 34 56 C", "NI number [NATIONAL_ID]"},
		{"uk nino invalid prefix", "ref GB123456A", "ref GB123456A"},
		{"phone intl", "call +1 (415) 555-2671 now", "call [PHONE] now"},
		{"phone uk", "ring 020 7946 0958", "ring [PHONE]"},
		{"year and price", "in 2024 it cost 1999 dollars", "in 2024 it cost 1999 dollars"},
		{"date", "on 2024-01-15", "on 2024-01-15"},
		{"openai key", "key sk-proj-abcDEF1234567890xyz", "key [SECRET]"},
		{"manifold key", "mk-live_0123456789abcdefGHIJ", "[SECRET]"},
		{"aws key", "AKIAIOSFODNN7EXAMPLE is mine", "[SECRET] is mine"},
		{"random token", "Bearer aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5", "Bearer [SECRET]"},
		{"hex digest kept", "sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		{"uuid kept", "id 550e8400-e29b-41d4-a716-446655440000", "id 550e8400-e29b-41d4-a716-446655440000"},
		{"plain text", "The quick brown fox jumps over 3 lazy dogs.", "The quick brown fox jumps over 3 lazy dogs."},
		{"empty", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := pii.Mask(c.in); got != c.want {
				t.Errorf("Mask(%q)\n got %q\nwant %q", c.in, got, c.want)
			}
		})
	}
}

func TestMaskMessage(t *testing.T) {
	vars, err := structpb.NewStruct(map[string]any{"customer": "bob@example.com", "n": 3})
	if err != nil {
		t.Fatal(err)
	}
	req := &mcpv1.Request{
		Model: "demo",
		Messages: []*mcpv1.Message{
			{Role: mcpv1.Role_ROLE_USER, Name: "bob@example.com", Content: []*mcpv1.ContentPart{
				{Part: &mcpv1.ContentPart_Text{Text: "I am bob@example.com, card 4111 1111 1111 1111"}},
				{Part: &mcpv1.ContentPart_ToolResult{ToolResult: &mcpv1.ToolResultPart{ToolCallId: "call_1", Content: []*mcpv1.ContentPart{
					{Part: &mcpv1.ContentPart_Text{Text: "phone +44 20 7946 0958"}},
				}}}},
			}},
			{Role: mcpv1.Role_ROLE_ASSISTANT, ToolCalls: []*mcpv1.ToolCall{{Id: "call_1", Name: "lookup", Arguments: `{"email":"bob@example.com"}`}}},
		},
		Prompt: &mcpv1.PromptRef{Name: "support", Variables: vars},
	}
	orig := proto.Clone(req).(*mcpv1.Request)
	masked := proto.Clone(req).(*mcpv1.Request)
	pii.MaskMessage(masked)

	if !proto.Equal(req, orig) {
		t.Fatal("MaskMessage changed the original")
	}
	if got := masked.Messages[0].Content[0].GetText(); got != "I am [EMAIL], card [CARD]" {
		t.Errorf("text part = %q", got)
	}
	if got := masked.Messages[0].Content[1].GetToolResult().Content[0].GetText(); got != "phone [PHONE]" {
		t.Errorf("tool result = %q", got)
	}
	if got := masked.Messages[1].ToolCalls[0].Arguments; got != `{"email":"[EMAIL]"}` {
		t.Errorf("tool arguments = %q", got)
	}
	if got := masked.Prompt.Variables.Fields["customer"].GetStringValue(); got != pii.Email {
		t.Errorf("prompt variable = %q", got)
	}
	// Identifiers are not free text.
	if masked.Messages[0].Name != "bob@example.com" || masked.Model != "demo" || masked.Messages[1].ToolCalls[0].Id != "call_1" {
		t.Errorf("identifiers changed: %v", masked)
	}
}

func TestMaskSecrets(t *testing.T) {
	in := "mail bob@example.com with key sk-proj-abcDEF1234567890xyz and card 4111 1111 1111 1111"
	want := "mail bob@example.com with key [SECRET] and card 4111 1111 1111 1111"
	if got := pii.MaskSecrets(in); got != want {
		t.Errorf("MaskSecrets(%q)\n got %q\nwant %q", in, got, want)
	}
	msg := &mcpv1.Message{Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: in}}}}
	pii.MaskSecretsMessage(msg)
	if got := msg.Content[0].GetText(); got != want {
		t.Errorf("MaskSecretsMessage text = %q, want %q", got, want)
	}
}

// SecretsMasked copies a message only when it has something to mask, and
// never changes the original.
func TestSecretsMasked(t *testing.T) {
	clean := &mcpv1.Message{Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: "Hello! How can I help you today?"}}}}
	if got := pii.SecretsMasked(clean); got != clean {
		t.Error("a message without secrets was copied")
	}
	secret := &mcpv1.Message{Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: "use sk-proj-abcDEF1234567890xyz"}}}}
	got := pii.SecretsMasked(secret)
	if got == secret || got.Content[0].GetText() != "use [SECRET]" {
		t.Errorf("SecretsMasked = %v, want a masked copy", got)
	}
	if secret.Content[0].GetText() != "use sk-proj-abcDEF1234567890xyz" {
		t.Errorf("the original changed: %v", secret)
	}
}
