package cli_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/audit/v1/auditv1connect"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/audit"
	"github.com/manifoldgw/manifold/services/audit/audittest"
	"github.com/manifoldgw/manifold/services/internal/cli"
)

func manifold(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = cli.Main(t.Context(), args, cli.Env{Stdout: &out, Stderr: &errOut, Getenv: environ()})
	return code, out.String(), errOut.String()
}

// TestAuditCommands drives logs, stats and audit verify against a real
// audit service on each storage engine.
func TestAuditCommands(t *testing.T) {
	for _, d := range audittest.Drivers {
		t.Run(d.Name, func(t *testing.T) {
			db := d.Open(t)
			srv := audittest.Serve(t, db, audit.DefaultConfig())
			now := time.Now()
			var recs []*auditv1.CallRecord
			for i := 1; i <= 3; i++ {
				r := &auditv1.CallRecord{
					Id: fmt.Sprintf("call_%d", i), ReceivedAt: timestamppb.New(now.Add(time.Duration(i-10) * time.Minute)),
					Principal: &auditv1.CallPrincipal{KeyId: fmt.Sprintf("vk_%d", i%2)}, Surface: auditv1.Surface_SURFACE_OPENAI,
					Route: "chat", Model: "gpt-4o", Redaction: auditv1.RedactionPolicy_REDACTION_POLICY_FULL,
					RequestBody: &auditv1.Body{Content: &auditv1.Body_Json{Json: fmt.Sprintf(`{"text":"question %d"}`, i)}},
					Usage:       &mcpv1.Usage{InputTokens: 10, OutputTokens: 5, CostMicros: 1500},
					Latency:     durationpb.New(100 * time.Millisecond), Status: auditv1.CallStatus_CALL_STATUS_SUCCEEDED,
				}
				if i == 3 {
					r.Status, r.ErrorClass = auditv1.CallStatus_CALL_STATUS_FAILED, mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED
				}
				recs = append(recs, r)
			}
			c := auditv1connect.NewAuditServiceClient(http.DefaultClient, srv.URL)
			if _, err := c.RecordCalls(t.Context(), connect.NewRequest(&auditv1.RecordCallsRequest{Records: recs})); err != nil {
				t.Fatalf("RecordCalls: %v", err)
			}
			s := "--server=" + srv.URL

			code, out, errOut := manifold(t, "logs", s, "--key", "vk_1")
			if code != cli.ExitOK || !strings.Contains(out, "call_1") || !strings.Contains(out, "call_3") || strings.Contains(out, "call_2") ||
				!strings.Contains(out, "failed (rate_limited)") || !strings.Contains(out, "$0.001500") {
				t.Errorf("logs --key vk_1: exit %d\n%s%s", code, out, errOut)
			}
			code, out, _ = manifold(t, "logs", s, "--status", "failed", "--output", "json")
			if code != cli.ExitOK || !strings.Contains(out, `"call_3"`) || strings.Contains(out, `"call_1"`) || strings.Contains(out, `"call_2"`) {
				t.Errorf("logs --status failed: exit %d\n%s", code, out)
			}
			code, out, _ = manifold(t, "logs", s, "--id", "call_2")
			if code != cli.ExitOK || !strings.Contains(out, "question 2") {
				t.Errorf("logs --id: exit %d\n%s", code, out)
			}
			code, out, _ = manifold(t, "logs", s, "--export", "csv")
			if lines := strings.Split(strings.TrimSpace(out), "\n"); code != cli.ExitOK || len(lines) != 4 || !strings.HasPrefix(lines[1], "call_1,") {
				t.Errorf("logs --export csv: exit %d\n%s", code, out)
			}
			code, out, errOut = manifold(t, "stats", s, "--group-by", "key", "--bucket", "24h")
			if code != cli.ExitOK || !strings.Contains(out, "vk_1") || !strings.Contains(out, "rate_limited=1") {
				t.Errorf("stats: exit %d\n%s%s", code, out, errOut)
			}

			code, out, errOut = manifold(t, "audit", "verify", s)
			if code != cli.ExitOK || !strings.Contains(out, "ok: 3 records verified") {
				t.Errorf("audit verify (intact): exit %d\n%s%s", code, out, errOut)
			}
			code, out, errOut = manifold(t, "audit", "verify", s, "--from", "5000")
			if code != cli.ExitOK || !strings.Contains(out, "nothing verified") {
				t.Errorf("audit verify past the end: exit %d\n%s%s", code, out, errOut)
			}
			if _, err := db.ExecContext(t.Context(), "UPDATE audit_calls SET input_tokens = 1 WHERE id = 'call_2'"); err != nil {
				t.Fatal(err)
			}
			code, out, errOut = manifold(t, "audit", "verify", s)
			if code != cli.ExitError || !strings.Contains(out, "FAILED at sequence 2 (record call_2)") || !strings.Contains(out, "input_tokens") {
				t.Errorf("audit verify (altered): exit %d\n%s%s", code, out, errOut)
			}

			for _, bad := range [][]string{
				{"logs", s, "--status", "weird"},
				{"logs", s, "--since", "1h", "--until", "2h"},
				{"logs", s, "--export", "xml"},
				{"logs", s, "--bodies"},
				{"logs", s, "--export", "csv", "--limit", "2"},
				{"logs", s, "--id", "call_1", "--export", "csv"},
				{"stats", s, "--group-by", "colour"},
				{"audit", "verify", s, "--log", "nope"},
				{"audit", "check"},
			} {
				if code, _, errOut := manifold(t, bad...); code != cli.ExitUsage || errOut == "" {
					t.Errorf("manifold %q: exit %d, stderr %q; want a usage error", bad, code, errOut)
				}
			}
		})
	}
}
