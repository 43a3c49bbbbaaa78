// Package cli is the `manifold` command line.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/manifoldgw/manifold/services/internal/app"
	"github.com/manifoldgw/manifold/services/internal/config"
	"github.com/manifoldgw/manifold/services/internal/telemetry"
)

// Version is set at build time with -ldflags "-X …/cli.Version=v1.2.3".
var Version = "dev"

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
)

// usageError is a bad command line; it exits with ExitUsage.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

// Env reads environment variables; tests replace it.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// Ready is called with the address once `serve` accepts requests.
	Ready func(addr string)
}

// Main runs the command line and returns the process exit code.
func Main(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	err := run(ctx, args, env)
	var ue usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "manifold: %v\n", ue.err)
		return ExitUsage
	default:
		fmt.Fprintf(env.Stderr, "manifold: %v\n", err)
		return ExitError
	}
}

// command is one `manifold` subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, env Env) error
}

// commands is every subcommand, in help order. Each lives in its own file.
var commands = []command{
	{"serve", "run the gateway (all services by default)", serve},
	{"version", "print the version", func(_ context.Context, args []string, env Env) error { return version(args, env) }},
	{"logs", "list calls from the call log (--id shows one, --export writes them as JSONL or CSV)", logs},
	{"stats", "aggregate the call log: requests, tokens, cost, latency, errors", stats},
	{"usage", "usage and cost from the quota ledger by day, key, team, project, model or route", usageCmd},
	{"audit", "audit verify: check the call log's hash chain", auditCmd},
	{"keys", "keys create|list|revoke|rotate: manage virtual keys", keys},
	{"credentials", "credentials put|list|rotate|delete: manage provider credentials", credentials},
	{"prompts", "prompts create|update|get|list|versions|diff|label|render|publish|unpublish: manage prompts and prompt APIs", prompts},
	{"admin-keys", "admin-keys create|list|revoke: manage admin keys and their roles", adminKeys},
	{"providers", "providers put|get|list|delete: manage the router's providers", providers},
	{"models", "models put|list|delete: manage the router's model catalog", models},
	{"routes", "routes put|get|list|delete: manage the router's routes", routes},
	{"prices", "prices put|list|delete: manage the price catalog", prices},
	{"budgets", "budgets put|get|list|delete|alerts: manage budgets and see their alerts", budgets},
	{"limits", "limits put|list|delete: manage request and token rate limits", limits},
	{"chains", "chains put|get|list|versions: manage chain definitions", chains},
	{"runs", "runs start|list|get|approve|reject|cancel: run chains and decide their approvals", runs},
}

func usage() string {
	var b strings.Builder
	b.WriteString("manifold — an LLM gateway suite\n\nUsage:\n  manifold <command> [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-12s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun 'manifold <command> --help' for a command's flags.\n")
	return b.String()
}

func run(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage())
		return usageError{errors.New("missing command")}
	}
	switch args[0] {
	case "help", "-h", "--help":
		if len(args) > 1 {
			// "manifold help keys [create]" is "manifold keys [create] --help".
			return run(ctx, append(args[1:], "--help"), env)
		}
		fmt.Fprint(env.Stdout, usage())
		return nil
	case "--version":
		return run(ctx, []string{"version"}, env)
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, args[1:], env)
		}
	}
	return usageError{fmt.Errorf("unknown command %q (run 'manifold help')", args[0])}
}

func newFlagSet(name, summary string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		also := "also MANIFOLD_<FLAG> environment variables"
		if fs.Lookup("config") != nil {
			also += " and --config YAML keys"
		}
		fmt.Fprintf(env.Stdout, "Usage: manifold %s [flags]\n\n%s\n\nFlags (%s):\n", name, summary, also)
		// PrintDefaults writes "  -name"; Manifold documents "--name".
		var b strings.Builder
		fs.SetOutput(&b)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		fmt.Fprint(env.Stdout, strings.ReplaceAll("\n"+b.String(), "\n  -", "\n  --")[1:])
	}
	return fs
}

// parse loads settings and converts flag errors into usage errors.
func parse(fs *flag.FlagSet, args []string, env Env, sections ...map[string]config.Section) error {
	// The flag package calls Usage on bad flags too; help is printed only
	// when asked for, and errors are one line on stderr.
	help := fs.Usage
	fs.Usage = func() {}
	err := config.Load(fs, args, env.Getenv, sections...)
	fs.Usage = help
	switch {
	case errors.Is(err, flag.ErrHelp):
		help()
		return err
	case err != nil:
		// The flag package names flags "-name"; Manifold documents "--name".
		msg := strings.NewReplacer("defined: -", "defined: --", "flag -", "flag --").Replace(err.Error())
		return usageError{errors.New(msg)}
	case fs.NArg() > 0:
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// serveGCPercent is the garbage collector's target while serving, unless
// GOGC is set: a gateway allocates fast and keeps little, and twice Go's
// default trades a few tens of megabytes for about 8 % of its CPU under load
// (docs/BENCHMARKS.md).
const serveGCPercent = 200

func serve(ctx context.Context, args []string, env Env) error {
	cfg := app.DefaultConfig()
	fs := newFlagSet("serve", "Runs the gateway: every service in one process by default, or those named in --services.", env)
	fs.String(config.FileFlag, "", "YAML configuration file (keys are flag names, nested by the part before a dot)")
	cfg.RegisterFlags(fs)
	if err := parse(fs, args, env, cfg.Sections()); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	cfg.Consul.Version = buildVersion()
	if env.Getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	logger := newLogger(cfg, env.Stderr)
	stopTracing, err := telemetry.SetupTracing(ctx, env.Getenv, Version)
	if err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stopTracing(sctx); err != nil {
			logger.Warn("flushing traces", "error", err)
		}
	}()
	var ready func(a net.Addr)
	if env.Ready != nil {
		ready = func(a net.Addr) { env.Ready(a.String()) }
	}
	return app.Run(ctx, cfg, logger, ready)
}

func newLogger(cfg app.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func version(args []string, env Env) error {
	fs := newFlagSet("version", "Prints the version.", env)
	if err := parse(fs, args, env); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "manifold %s\n", buildVersion())
	return nil
}

// buildVersion is Version, or the module version when built by go install.
func buildVersion() string {
	v := Version
	if info, ok := debug.ReadBuildInfo(); ok && v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	return v
}
