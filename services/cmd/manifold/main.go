// Command manifold is the Manifold LLM gateway: one binary that runs every
// service (`manifold serve`) or some of them, and the admin command line.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/manifoldgw/manifold/services/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}
