// Command benchproxy is the bare Go floor of `make bench`: the standard
// library's httputil.ReverseProxy in front of one upstream, with a pooled
// keep-alive transport and nothing else — no parsing, no translation. A
// gateway written in Go should not be slower than this.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchproxy:", err)
		os.Exit(1)
	}
}

// Main proxies --addr to --upstream until ctx ends.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("benchproxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:19003", "loopback host:port to listen on")
	upstream := fs.String("upstream", "http://127.0.0.1:19001", "base URL to proxy to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	target, err := url.Parse(*upstream)
	if err != nil || target.Scheme == "" || target.Host == "" {
		return fmt.Errorf("invalid upstream %q: want an absolute URL", *upstream)
	}

	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 1024
	t.MaxIdleConnsPerHost = 256
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = t
	// Write every chunk as it arrives, so streams are not held back.
	rp.FlushInterval = -1
	rp.ErrorLog = log.New(stderr, "benchproxy: ", 0)

	// Without full duplex the HTTP/1 server closes the inbound body as soon
	// as the answer starts, and the transport's last read of it (checking
	// for bytes beyond Content-Length) then fails and kills the upstream
	// connection mid-answer: with a fast upstream about 2% of streams break
	// (golang.org/issue/40747). The body is whole by then; full duplex only
	// keeps it open.
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).EnableFullDuplex()
		rp.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: rp.ErrorLog}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	fmt.Fprintf(stdout, "benchproxy: http://%s -> %s\n", ln.Addr(), target)
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
