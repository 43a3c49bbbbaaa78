package cli_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1/keyvaultv1connect"
	"github.com/manifoldgw/manifold/services/internal/cli"
)

// reviewChain drafts with the demo model and waits for a developer's
// approval of the draft.
const reviewChain = `
steps:
  - id: draft
    model_call:
      model: demo
      messages:
        messages:
          - role: ROLE_USER
            content:
              - text: "Draft a reply about {{topic}}"
  - id: review
    approval:
      subject: {step: draft, pointer: /text}
      instructions: "Check the reply about {{topic}}"
      policy:
        approvers: {roles: [developer]}
        timeout: 3600s
        on_timeout: APPROVAL_TIMEOUT_ACTION_REJECT
output: {step: draft, pointer: /text}
`

// TestChainsAndRuns drives `manifold chains` and `manifold runs` against the
// real gateway, whose embedded Temporal dev server comes from .cache/bin.
func TestChainsAndRuns(t *testing.T) {
	gw := startGateway(t, "--admin-token", testAdminToken)
	kv := keyvaultv1connect.NewKeyVaultServiceClient(http.DefaultClient, gw.url)
	adminKey := func(user string, role keyvaultv1.AdminRole) string {
		req := connect.NewRequest(&keyvaultv1.CreateAdminKeyRequest{Name: user, Role: role, User: user})
		req.Header().Set("Authorization", "Bearer "+testAdminToken)
		res, err := kv.CreateAdminKey(t.Context(), req)
		if err != nil {
			t.Fatalf("create admin key: %v", err)
		}
		return res.Msg.GetSecret()
	}
	alice := adminKey("alice", keyvaultv1.AdminRole_ADMIN_ROLE_DEVELOPER)
	bob := adminKey("bob", keyvaultv1.AdminRole_ADMIN_ROLE_VIEWER)
	run := func(token string, args ...string) (int, string, string) {
		t.Helper()
		return manifoldEnv(t, nil, append(args, "--server", gw.url, "--token", token)...)
	}

	file := filepath.Join(t.TempDir(), "chain.yaml")
	if err := os.WriteFile(file, []byte(reviewChain), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(alice, "chains", "put", "--name", "reply.review", "--file", file, "--message", "first"); code != cli.ExitOK || !strings.Contains(out, "reply.review") {
		t.Fatalf("chains put: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := run(alice, "chains", "list"); code != cli.ExitOK || !strings.Contains(out, "reply.review") {
		t.Fatalf("chains list: exit %d\n%s", code, out)
	}
	if code, out, _ := run(alice, "chains", "get", "--name", "reply.review", "--latest"); code != cli.ExitOK || !strings.Contains(out, "Draft a reply about {{topic}}") {
		t.Fatalf("chains get: exit %d\n%s", code, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	_ = os.WriteFile(bad, []byte("steps: [{id: x, approval: {subject: {step: nope}, policy: {approvers: {roles: [admin]}, timeout: 60s, on_timeout: APPROVAL_TIMEOUT_ACTION_REJECT}}}]"), 0o600)
	if code, _, errOut := run(alice, "chains", "put", "--name", "bad", "--file", bad); code == cli.ExitOK || !strings.Contains(errOut, `step "nope" is not an earlier step`) {
		t.Fatalf("chains put of a bad chain: exit %d, %s", code, errOut)
	}

	// start runs a chain and returns the run id.
	start := func() string {
		t.Helper()
		code, out, errOut := run(alice, "runs", "start", "--chain", "reply.review", "--input", `{"topic":"refunds"}`, "--output", "json")
		var res struct {
			Run struct {
				ID string `json:"id"`
			} `json:"run"`
		}
		if code != cli.ExitOK || json.Unmarshal([]byte(out), &res) != nil || res.Run.ID == "" {
			t.Fatalf("runs start: exit %d\n%s%s", code, out, errOut)
		}
		return res.Run.ID
	}
	type runJSON struct {
		Run struct {
			Status           string `json:"status"`
			PendingApprovals []struct {
				Digest string `json:"digest"`
			} `json:"pending_approvals"`
		} `json:"run"`
	}
	// wait polls `runs get`, bounded, until the run is in status.
	wait := func(id, status string) runJSON {
		t.Helper()
		var got runJSON
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			code, out, _ := run(alice, "runs", "get", "--run", id, "--output", "json")
			if code == cli.ExitOK && json.Unmarshal([]byte(out), &got) == nil && got.Run.Status == status {
				return got
			}
		}
		t.Fatalf("run %s not %s within 60s: last %+v\n%s", id, status, got, gw.stderr)
		return got
	}

	id := start()
	waiting := wait(id, "RUN_STATUS_WAITING_FOR_APPROVAL")
	digest := waiting.Run.PendingApprovals[0].Digest
	code, out, _ := run(alice, "runs", "get", "--run", id)
	if code != cli.ExitOK || !strings.Contains(out, "digest: "+digest) || !strings.Contains(out, "Check the reply about refunds") {
		t.Fatalf("runs get: exit %d\n%s", code, out)
	}
	// The subject shown is what the digest is the SHA-256 of.
	_, shown, _ := strings.Cut(out, "  subject: ")
	subject, rest, _ := strings.Cut(shown, "\n")
	if !strings.HasPrefix(rest, "  digest: "+digest+"\n") || sha256Hex(subject) != digest {
		t.Fatalf("runs get: the subject shown, %s, does not hash to digest %s:\n%s", subject, digest, out)
	}
	if code, _, errOut := run(alice, "runs", "approve", "--run", id, "--digest", strings.Repeat("0", 64)); code == cli.ExitOK || !strings.Contains(errOut, "does not match") {
		t.Fatalf("approve with a wrong digest: exit %d, %s", code, errOut)
	}
	if code, _, errOut := run(bob, "runs", "approve", "--run", id, "--digest", digest); code == cli.ExitOK || !strings.Contains(errOut, "permission_denied") {
		t.Fatalf("approve by a viewer: exit %d, %s", code, errOut)
	}
	if code, out, errOut := run(alice, "runs", "approve", "--run", id, "--digest", digest, "--comment", "fine"); code != cli.ExitOK || !strings.Contains(out, "approved by alice") {
		t.Fatalf("runs approve: exit %d\n%s%s", code, out, errOut)
	}
	wait(id, "RUN_STATUS_SUCCEEDED")
	succeeded := id
	if code, _, errOut := run(alice, "runs", "approve", "--run", succeeded, "--digest", digest); code == cli.ExitOK || !strings.Contains(errOut, "run "+succeeded+" has finished (succeeded)") {
		t.Fatalf("approve a finished run: exit %d, %s", code, errOut)
	}
	if code, out, errOut := run(alice, "runs", "cancel", "--run", succeeded); code == cli.ExitOK || !strings.Contains(errOut, "has already ended succeeded") {
		t.Fatalf("cancel a succeeded run: exit %d\n%s%s", code, out, errOut)
	}

	id = start()
	digest = wait(id, "RUN_STATUS_WAITING_FOR_APPROVAL").Run.PendingApprovals[0].Digest
	if code, out, errOut := run(alice, "runs", "reject", "--run", id, "--digest", digest, "--comment", "tone"); code != cli.ExitOK || !strings.Contains(out, "rejected by alice") {
		t.Fatalf("runs reject: exit %d\n%s%s", code, out, errOut)
	}
	wait(id, "RUN_STATUS_REJECTED")

	id = start()
	wait(id, "RUN_STATUS_WAITING_FOR_APPROVAL")
	if code, out, errOut := run(alice, "runs", "cancel", "--run", id); code != cli.ExitOK || !strings.Contains(out, "cancelled") || strings.Contains(out, "already") {
		t.Fatalf("runs cancel: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := run(alice, "runs", "cancel", "--run", id); code != cli.ExitOK || !strings.Contains(out, "run "+id+" was already cancelled") {
		t.Fatalf("cancel a cancelled run: exit %d\n%s%s", code, out, errOut)
	}

	code, out, _ = run(alice, "runs", "list", "--chain", "reply.review")
	if code != cli.ExitOK || strings.Count(out, "reply.review") != 3 || !strings.Contains(out, "succeeded") || !strings.Contains(out, "rejected") {
		t.Fatalf("runs list: exit %d\n%s", code, out)
	}
	if code, _, errOut := run(alice, "runs", "approve", "--run", id); code != cli.ExitUsage || !strings.Contains(errOut, "--digest is required") {
		t.Fatalf("approve without --digest: exit %d, %s", code, errOut)
	}
}

// A bad --status is refused before any call, listing the valid ones.
func TestRunsListStatusNames(t *testing.T) {
	code, _, errOut := manifoldEnv(t, nil, "runs", "list", "--status", "bogus")
	if want := `invalid --status "bogus": want one of pending, running, waiting_for_approval, succeeded, failed, cancelled, rejected, timed_out`; code != cli.ExitUsage || !strings.Contains(errOut, want) {
		t.Fatalf("runs list --status bogus: exit %d, %s; want %s", code, errOut, want)
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
