// Package examplestest runs the client examples under examples/ as real
// processes (go run, node, python3, a built Lambda binary) against a
// gateway started by the test, and checks what they print.
package examplestest

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"connectrpc.com/connect"

	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1/keyvaultv1connect"
	"github.com/manifoldgw/manifold/services/internal/app"
	"github.com/manifoldgw/manifold/services/internal/gatewaytest"
)

// demoSaid is how the built-in demo model starts every answer.
const demoSaid = "Hello from Manifold's demo model. You said: "

// gateway is a running gateway: every service, SQLite, the demo model,
// keys required.
type gateway struct {
	addr string // host:port
	url  string // http://host:port
	// key is a virtual key allowed to call the demo model and the
	// `summarize` prompt API; the examples send it as MANIFOLD_API_KEY.
	key string
}

// adminToken is the gateway's bootstrap admin token.
const adminToken = "examples-test-bootstrap-admin-token"

// bearer sends a token on every call of a generated client.
func bearer(token string) connect.Option {
	return connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Authorization", "Bearer "+token)
			return next(ctx, req)
		}
	}))
}

// createKey makes the virtual key the examples call with.
func createKey(t *testing.T, url string) string {
	t.Helper()
	vault := keyvaultv1connect.NewKeyVaultServiceClient(http.DefaultClient, url, bearer(adminToken))
	res, err := vault.CreateVirtualKey(t.Context(), connect.NewRequest(&keyvaultv1.CreateVirtualKeyRequest{
		Name:   "examples",
		Owner:  &keyvaultv1.KeyOwner{User: "examples-test"},
		Scopes: &keyvaultv1.KeyScopes{Models: []string{"demo"}, PromptApis: []string{"summarize"}},
	}))
	if err != nil {
		t.Fatalf("CreateVirtualKey: %v", err)
	}
	return res.Msg.GetSecret()
}

// startGateway runs app.Run on 127.0.0.1:0 until the test ends, then
// requires a clean shutdown.
func startGateway(t *testing.T) *gateway {
	t.Helper()
	cfg := app.DefaultConfig()
	cfg.Router.DemoTokenDelay = 0
	cfg.KeyVault.AdminToken = adminToken
	addr := gatewaytest.Run(t, cfg)
	gw := &gateway{addr: addr, url: "http://" + addr}
	gw.key = createKey(t, gw.url)
	return gw
}

// repoRoot is the directory holding go.work.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.work above the working directory")
		}
		dir = parent
	}
}

// lookPath finds a program the examples need, failing (never skipping) the
// test when it is missing.
func lookPath(t *testing.T, name, hint string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is needed to run this example and is missing (%v): %s", name, err, hint)
	}
	return path
}

type result struct {
	stdout, stderr string
}

// runOK runs a program in dir and fails the test unless it exits with 0.
func runOK(t *testing.T, dir string, env []string, name string, args ...string) result {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return result{stdout: stdout.String(), stderr: stderr.String()}
}

var summaryLine = regexp.MustCompile(`streamed in (\d+) pieces; (\d+) input tokens, (\d+) output tokens; finish (\w+)`)

// checkStreamed checks an example's output: the demo model's answer on
// stdout, and on stderr a summary showing it came in several pieces.
func checkStreamed(t *testing.T, res result, said string) {
	t.Helper()
	if want := demoSaid + said + "\n"; res.stdout != want {
		t.Errorf("stdout = %q, want %q", res.stdout, want)
	}
	m := summaryLine.FindStringSubmatch(res.stderr)
	if m == nil {
		t.Fatalf("stderr has no summary line:\n%s", res.stderr)
	}
	pieces, _ := strconv.Atoi(m[1])
	in, _ := strconv.Atoi(m[2])
	out, _ := strconv.Atoi(m[3])
	if pieces < 2 {
		t.Errorf("answer came in %d pieces, want a stream of several", pieces)
	}
	if in <= 0 || out <= 0 {
		t.Errorf("usage: %d input, %d output tokens, want both > 0", in, out)
	}
	if m[4] != "stop" {
		t.Errorf("finish = %q, want stop", m[4])
	}
}

func TestGoExample(t *testing.T) {
	root := repoRoot(t)
	gw := startGateway(t)
	for _, protocol := range []string{"connect", "grpc"} {
		t.Run(protocol, func(t *testing.T) {
			said := "streamed to Go over " + protocol
			res := runOK(t, root, []string{"MANIFOLD_API_KEY=" + gw.key}, "go", "run", "./examples/go", "--server", gw.url, "--protocol", protocol, said)
			checkStreamed(t, res, said)
		})
	}
}

func TestTypeScriptExample(t *testing.T) {
	root := repoRoot(t)
	node := lookPath(t, "node", "install Node.js 20 or later")
	lookPath(t, "npm", "install npm (Node.js)")
	dir := filepath.Join(root, "examples", "ts")
	runOK(t, root, nil, filepath.Join(root, "tools", "npm-install.sh"), dir)
	runOK(t, dir, nil, filepath.Join(dir, "node_modules", ".bin", "tsc"), "-p", ".")
	gw := startGateway(t)

	said := "streamed to Node over Connect"
	res := runOK(t, dir, []string{"MANIFOLD_API_KEY=" + gw.key}, node, "dist/examples/ts/src/main.js", "--server", gw.url, said)
	checkStreamed(t, res, said)
}

func TestPythonExample(t *testing.T) {
	root := repoRoot(t)
	// Debian's interpreter: its python3-grpcio and python3-protobuf match
	// the Debian protoc that generated gen/python (see tools/py-check.sh).
	python := "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("%s is missing (%v): install Debian's python3", python, err)
	}
	runOK(t, root, nil, python, "-c", "import grpc, google.protobuf")
	if _, err := os.Stat(filepath.Join(root, "gen", "python", "buf", "validate", "validate_pb2.py")); err != nil {
		t.Fatalf("gen/python/buf/validate is missing (%v): run make generate", err)
	}
	gw := startGateway(t)

	said := "streamed to Python over gRPC"
	env := []string{"MANIFOLD_API_KEY=" + gw.key, "PYTHONPATH=" + filepath.Join(root, "gen", "python"), "PYTHONDONTWRITEBYTECODE=1"}
	res := runOK(t, root, env, python, "examples/python/stream.py", "--server", gw.addr, said)
	checkStreamed(t, res, said)
}
