// Package consultest starts a real Consul agent in dev mode for tests, from
// the binary `make tools` builds into .cache/bin.
package consultest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Binary returns the path of .cache/bin/<name> in the repository holding
// the working directory, failing the test when it is missing.
func Binary(t testing.TB, name string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.work above the working directory: cannot find .cache/bin/%s", name)
		}
		dir = parent
	}
	path := filepath.Join(dir, ".cache", "bin", name)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s is missing (%v): run make tools", path, err)
	}
	return path
}

// FreePort returns a loopback TCP port nothing listens on right now.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Start runs a dev-mode Consul agent on loopback ports until the test ends
// and returns its HTTP address (host:port) once it has a leader. extra are
// more agent arguments, such as -config-file of service definitions.
func Start(t testing.TB, extra ...string) string {
	t.Helper()
	bin := Binary(t, "consul")
	httpPort := FreePort(t)
	args := []string{"agent", "-dev",
		"-node", "manifold-test-" + strconv.Itoa(httpPort),
		"-bind", "127.0.0.1", "-client", "127.0.0.1",
		"-http-port", strconv.Itoa(httpPort),
		"-grpc-port", "-1", "-grpc-tls-port", "-1", "-dns-port", "-1",
		"-serf-lan-port", strconv.Itoa(FreePort(t)),
		"-serf-wan-port", strconv.Itoa(FreePort(t)),
		"-server-port", strconv.Itoa(FreePort(t)),
		"-log-level", "warn",
	}
	args = append(args, extra...)
	logPath := filepath.Join(t.TempDir(), "consul.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start consul: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		logFile.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("consul log:\n%s", b)
			}
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(httpPort))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		if leader, err := get(ctx, "http://"+addr+"/v1/status/leader"); err == nil && len(leader) > 2 {
			return addr
		}
		select {
		case <-exited:
			b, _ := os.ReadFile(logPath)
			t.Fatalf("consul exited before it was ready:\n%s", b)
		case <-ctx.Done():
			b, _ := os.ReadFile(logPath)
			t.Fatalf("consul had no leader within 60s:\n%s", b)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func get(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", url, res.Status)
	}
	return string(b), err
}
