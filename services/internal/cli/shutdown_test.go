package cli_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/manifoldgw/manifold/services/internal/cli"
	"github.com/manifoldgw/manifold/services/internal/gatewaytest"
)

// TestShutdownReturnsLeases stops a gateway that holds a budget lease and
// checks that it returned the lease to its own quota service on the way
// out, which had to still be serving it: started again on the same data,
// the budget holds nothing and the log has no failed return.
func TestShutdownReturnsLeases(t *testing.T) {
	dir := t.TempDir()
	serve := func() (url string, stop func() (int, string)) {
		t.Helper()
		ctx, cancel := context.WithCancel(t.Context())
		stderr := &gatewaytest.Buffer{}
		ready, exit := make(chan string, 1), make(chan int, 1)
		go func() {
			exit <- cli.Main(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--router.demo-token-delay", "0",
				"--log.level", "info", "--auth.required=true", "--admin-token", testAdminToken}, cli.Env{
				Stdout: io.Discard, Stderr: stderr, Getenv: func(string) string { return "" }, Ready: func(a string) { ready <- a },
			})
		}()
		select {
		case addr := <-ready:
			return "http://" + addr, func() (int, string) { cancel(); return <-exit, stderr.String() }
		case code := <-exit:
			cancel()
			t.Fatalf("manifold serve exited with %d: %s", code, stderr)
		}
		return "", nil
	}
	admin := func(url string, args ...string) string {
		t.Helper()
		code, out, errOut := manifoldEnv(t, nil, append(args, "--server", url, "--token", testAdminToken)...)
		if code != cli.ExitOK {
			t.Fatalf("manifold %s: exit %d: %s", strings.Join(args, " "), code, errOut)
		}
		return out
	}

	url, stop := serve()
	budget := filepath.Join(dir, "budget.yaml")
	if err := os.WriteFile(budget, []byte("id: docs-daily\nsubject: {kind: SUBJECT_KIND_TEAM, id: docs}\nperiod: BUDGET_PERIOD_DAILY\nlimit_micros: 50000000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	admin(url, "budgets", "put", "--file", budget)
	admin(url, "prices", "put", "--file", writeFile(t, dir, "price.yaml", "model: demo\ninput_per_mtok_micros: 1000000\noutput_per_mtok_micros: 1000000\n"))
	secret := ""
	for line := range strings.Lines(admin(url, "keys", "create", "--name", "docs", "--team", "docs", "--models", "demo")) {
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "secret: "); ok {
			secret = s
		}
	}
	if got := chat(t, url, secret); got != http.StatusOK {
		t.Fatalf("call on the budget: %d", got)
	}
	if out := admin(url, "budgets", "get", "--id", "docs-daily", "--output", "json"); !strings.Contains(out, "held_micros") {
		t.Fatalf("the call drew no lease on the budget, so the test would prove nothing:\n%s", out)
	}
	code, log := stop()
	if code != cli.ExitOK || strings.Contains(log, "close quota leases") || strings.Contains(log, "spooling") {
		t.Fatalf("shutdown: exit %d; the log shows leases or call records that did not reach their service:\n%s", code, log)
	}

	url, stop = serve()
	defer stop()
	if out := admin(url, "budgets", "get", "--id", "docs-daily", "--output", "json"); strings.Contains(out, "held_micros") {
		t.Errorf("after a graceful shutdown the budget still holds a lease:\n%s", out)
	}
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
