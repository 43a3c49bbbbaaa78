package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	workflowsv1 "github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1"
	"github.com/manifoldgw/manifold/services/workflows/chainrun"
)

// `runs get` shows each pending approval's subject as the exact text its
// digest is the SHA-256 of, so an approver can check the digest against
// what they read: a gated tool call as {"arguments": parsed, "name": tool}
// (not its arguments as a JSON string), a value as canonical JSON (no HTML
// escaping). The digests are the workflow's own.
func TestPrintRunShowsWhatIsDigested(t *testing.T) {
	args := `{"order":"A-17","amount":12,"note":"<ok> & done","items":[{"sku":"x","qty":2}]}`
	toolDigest, err := chainrun.ToolCallDigest("refund", args)
	if err != nil {
		t.Fatal(err)
	}
	value := "Fish & chips <b>refunded</b>"
	valueDigest, err := chainrun.Digest(value)
	if err != nil {
		t.Fatal(err)
	}
	run := &workflowsv1.Run{Id: "run_1", Status: workflowsv1.RunStatus_RUN_STATUS_WAITING_FOR_APPROVAL, PendingApprovals: []*workflowsv1.PendingApproval{
		{StepId: "refund", Digest: toolDigest, Subject: &workflowsv1.PendingApproval_ToolCall{ToolCall: &mcpv1.ToolCall{Id: "call_1", Name: "refund", Arguments: args}}},
		{StepId: "review", Digest: valueDigest, Subject: &workflowsv1.PendingApproval_Value{Value: structpb.NewStringValue(value)}},
	}}
	var out bytes.Buffer
	if err := printRun(Env{Stdout: &out}, run); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	var checked int
	for i, line := range lines {
		digest, ok := strings.CutPrefix(line, "  digest: ")
		if !ok || i == 0 {
			continue
		}
		subject := strings.TrimPrefix(strings.TrimPrefix(lines[i-1], "  "), "subject: ")
		sum := sha256.Sum256([]byte(subject))
		if got := hex.EncodeToString(sum[:]); got != digest {
			t.Errorf("shown subject %s hashes to %s, not the digest shown, %s", subject, got, digest)
		}
		checked++
	}
	if checked != 2 {
		t.Fatalf("%d digests shown, want 2:\n%s", checked, out.String())
	}
	if want := `  subject: {"arguments":{"amount":12,"items":[{"qty":2,"sku":"x"}],"note":"<ok> & done","order":"A-17"},"name":"refund"}`; !strings.Contains(out.String(), want+"\n") {
		t.Errorf("runs get output lacks %s:\n%s", want, out.String())
	}
}
