// Command emulator serves the OpenAI emulator as a standalone process on a
// loopback address, with zero latency, so benchmarks (`make bench`) can put a
// gateway or a proxy in front of it and compare with calling it directly.
//
// It is test tooling: it stands in for api.openai.com, answers
// deterministically and never delays a request.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/manifoldgw/manifold/services/internal/emulator/openai"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "emulator:", err)
		os.Exit(1)
	}
}

// Main serves until ctx ends.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:19001", "loopback host:port to listen on")
	apiKey := fs.String("api-key", "", "the only API key accepted (any key when empty)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("invalid addr %q: %w", *addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("invalid addr %q: must be a loopback IP address", *addr)
	}

	emu := openai.New()
	emu.Configure(openai.Options{APIKey: *apiKey})
	srv := &http.Server{
		// The emulator records every request for tests to inspect; a
		// benchmark sends hundreds of thousands, so forget them as soon as
		// each is answered to keep memory (and GC work) flat.
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			emu.ServeHTTP(w, r)
			emu.Reset()
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	fmt.Fprintf(stdout, "emulator: OpenAI on http://%s/v1\n", ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}
