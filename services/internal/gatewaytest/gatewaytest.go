// Package gatewaytest runs a whole Manifold gateway inside a test's process,
// on 127.0.0.1 and a free port, for tests that drive it over the network.
// Serve goes through the command line (`manifold serve` and its flags), Run
// through app.Run with a Config; either stops the gateway when the test
// ends and fails the test unless it shuts down gracefully.
package gatewaytest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/manifoldgw/manifold/services/internal/app"
	"github.com/manifoldgw/manifold/services/internal/cli"
)

// Buffer is a bytes.Buffer the gateway may write while a test reads it.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Serve runs `manifold serve --addr 127.0.0.1:0 --data-dir <temp dir>`
// followed by flags (a later flag overrides an earlier one) until the test
// ends, and returns its address (host:port) and what it writes to stderr.
// The host's environment is hidden from it: MANIFOLD_* variables must not
// change what a test runs.
func Serve(t testing.TB, flags ...string) (addr string, stderr *Buffer) {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, flags...)
	ctx, cancel := context.WithCancel(context.Background())
	stderr = &Buffer{}
	ready := make(chan string, 1)
	exit := make(chan int, 1)
	go func() {
		exit <- cli.Main(ctx, args, cli.Env{
			Stdout: io.Discard,
			Stderr: stderr,
			Getenv: func(string) string { return "" },
			Ready:  func(addr string) { ready <- addr },
		})
	}()
	select {
	case addr = <-ready:
	case code := <-exit:
		cancel()
		t.Fatalf("manifold %s exited with %d before it was ready; stderr:\n%s", strings.Join(args, " "), code, stderr)
	}
	t.Cleanup(func() {
		cancel()
		if code := <-exit; code != cli.ExitOK {
			t.Errorf("manifold serve exited with %d after its context ended, want %d (graceful shutdown); stderr:\n%s", code, cli.ExitOK, stderr)
		} else if t.Failed() {
			t.Logf("gateway stderr:\n%s", stderr)
		}
	})
	return addr, stderr
}

// Run runs app.Run with cfg, its address set to 127.0.0.1:0 and its data in
// a temporary directory, until the test ends, and returns its address
// (host:port). Warnings and errors it logs are shown when the test fails.
func Run(t testing.TB, cfg app.Config) (addr string) {
	t.Helper()
	cfg.Server.Addr = "127.0.0.1:0"
	cfg.Storage.DataDir = t.TempDir()
	logs := &Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	exit := make(chan error, 1)
	go func() { exit <- app.Run(ctx, cfg, logger, func(a net.Addr) { ready <- a }) }()
	select {
	case a := <-ready:
		addr = a.String()
	case err := <-exit:
		cancel()
		t.Fatalf("gateway stopped before it was ready: %v\n%s", err, logs)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-exit; err != nil {
			t.Errorf("gateway shutdown: %v", err)
		}
		if t.Failed() {
			t.Logf("gateway log:\n%s", logs)
		}
	})
	return addr
}
