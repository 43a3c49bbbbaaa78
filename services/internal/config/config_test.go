package config_test

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/manifoldgw/manifold/services/internal/app"
	"github.com/manifoldgw/manifold/services/internal/config"
)

// settings are the values behind the test flag set: one of each kind of
// flag Manifold uses, with dotted component names.
type settings struct {
	addr     string
	delay    time.Duration
	maxBytes int64
	verbose  bool
	services listValue
}

// listValue records every raw value it is set to, to show exactly what a
// YAML list becomes.
type listValue struct{ sets []string }

func (l *listValue) String() string { return strings.Join(l.sets, "|") }

func (l *listValue) Set(v string) error {
	l.sets = append(l.sets, v)
	return nil
}

func newFlagSet() (*flag.FlagSet, *settings) {
	s := &settings{addr: "127.0.0.1:8080", delay: 20 * time.Millisecond, maxBytes: 1 << 20}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.String(config.FileFlag, "", "YAML file")
	fs.StringVar(&s.addr, "addr", s.addr, "listen address")
	fs.DurationVar(&s.delay, "router.demo-token-delay", s.delay, "token delay")
	fs.Int64Var(&s.maxBytes, "server.max-request-bytes", s.maxBytes, "body limit")
	fs.BoolVar(&s.verbose, "log.verbose", s.verbose, "verbose")
	fs.Var(&s.services, "services", "services")
	return fs, s
}

// env is a fake environment.
func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "manifold.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadPrecedence(t *testing.T) {
	const delayEnv = "MANIFOLD_ROUTER_DEMO_TOKEN_DELAY"
	tests := []struct {
		name string
		file string // YAML content; "" means no file
		env  string // MANIFOLD_ROUTER_DEMO_TOKEN_DELAY
		flag string // --router.demo-token-delay
		want time.Duration
	}{
		{name: "default", want: 20 * time.Millisecond},
		{name: "file", file: "router: {demo_token_delay: 5ms}", want: 5 * time.Millisecond},
		{name: "env", env: "7ms", want: 7 * time.Millisecond},
		{name: "flag", flag: "9ms", want: 9 * time.Millisecond},
		{name: "env over file", file: "router: {demo_token_delay: 5ms}", env: "7ms", want: 7 * time.Millisecond},
		{name: "flag over file", file: "router: {demo_token_delay: 5ms}", flag: "9ms", want: 9 * time.Millisecond},
		{name: "flag over env", env: "7ms", flag: "9ms", want: 9 * time.Millisecond},
		{name: "flag over env over file", file: "router: {demo_token_delay: 5ms}", env: "7ms", flag: "9ms", want: 9 * time.Millisecond},
		{name: "zero flag over env", env: "7ms", flag: "0s", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, s := newFlagSet()
			var args []string
			if tt.file != "" {
				args = append(args, "--config", writeFile(t, tt.file))
			}
			if tt.flag != "" {
				args = append(args, "--router.demo-token-delay", tt.flag)
			}
			if err := config.Load(fs, args, env(delayEnv, tt.env)); err != nil {
				t.Fatalf("Load(%q): %v", args, err)
			}
			if s.delay != tt.want {
				t.Errorf("router.demo-token-delay = %s, want %s", s.delay, tt.want)
			}
		})
	}
}

// Every source applies to every setting, not only the one above.
func TestLoadPrecedenceAcrossSettings(t *testing.T) {
	path := writeFile(t, `
addr: 127.0.0.1:1111
server:
  max_request_bytes: 2048
log:
  verbose: true
`)
	fs, s := newFlagSet()
	getenv := env("MANIFOLD_ADDR", "127.0.0.1:2222", "MANIFOLD_SERVER_MAX_REQUEST_BYTES", "4096")
	if err := config.Load(fs, []string{"--config", path, "--addr", "127.0.0.1:3333"}, getenv); err != nil {
		t.Fatal(err)
	}
	if s.addr != "127.0.0.1:3333" {
		t.Errorf("addr = %q, want the flag's 127.0.0.1:3333", s.addr)
	}
	if s.maxBytes != 4096 {
		t.Errorf("server.max-request-bytes = %d, want the environment's 4096", s.maxBytes)
	}
	if !s.verbose {
		t.Errorf("log.verbose = false, want the file's true")
	}
}

func TestLoadConfigFileLocation(t *testing.T) {
	fromEnv := writeFile(t, "addr: 127.0.0.1:1111")
	fromFlag := writeFile(t, "addr: 127.0.0.1:2222")
	fromLastFlag := writeFile(t, "addr: 127.0.0.1:3333")
	tests := []struct {
		name string
		args []string
		env  string // MANIFOLD_CONFIG
		want string
	}{
		{name: "none", want: "127.0.0.1:8080"},
		{name: "MANIFOLD_CONFIG", env: fromEnv, want: "127.0.0.1:1111"},
		{name: "--config", args: []string{"--config", fromFlag}, want: "127.0.0.1:2222"},
		{name: "-config", args: []string{"-config", fromFlag}, want: "127.0.0.1:2222"},
		{name: "--config=", args: []string{"--config=" + fromFlag}, want: "127.0.0.1:2222"},
		{name: "flag over MANIFOLD_CONFIG", args: []string{"--config", fromFlag}, env: fromEnv, want: "127.0.0.1:2222"},
		{name: "last flag wins", args: []string{"--config", fromFlag, "--config=" + fromLastFlag}, want: "127.0.0.1:3333"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, s := newFlagSet()
			if err := config.Load(fs, tt.args, env("MANIFOLD_CONFIG", tt.env)); err != nil {
				t.Fatalf("Load(%q): %v", tt.args, err)
			}
			if s.addr != tt.want {
				t.Errorf("addr = %q, want %q", s.addr, tt.want)
			}
		})
	}
}

// A command without settings (such as `manifold version`) defines no
// --config flag and must not trip over a MANIFOLD_CONFIG meant for serve.
func TestLoadWithoutFileFlagIgnoresConfigEnv(t *testing.T) {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	path := writeFile(t, "addr: 127.0.0.1:1111")
	if err := config.Load(fs, nil, env("MANIFOLD_CONFIG", path)); err != nil {
		t.Fatalf("Load: %v", err)
	}
}

func TestLoadYAMLMapping(t *testing.T) {
	tests := []struct {
		name      string
		yaml      string
		wantDelay time.Duration
		wantSets  []string // values given to the services flag
	}{
		{name: "nested", yaml: "router:\n  demo_token_delay: 5ms\n", wantDelay: 5 * time.Millisecond},
		{name: "flow mapping", yaml: "router: {demo_token_delay: 5ms}", wantDelay: 5 * time.Millisecond},
		{name: "dotted key", yaml: "router.demo_token_delay: 5ms", wantDelay: 5 * time.Millisecond},
		{name: "dashed key", yaml: "router: {demo-token-delay: 5ms}", wantDelay: 5 * time.Millisecond},
		{name: "block list", yaml: "services:\n  - router\n  - prompts\n", wantDelay: 20 * time.Millisecond, wantSets: []string{"router,prompts"}},
		{name: "flow list", yaml: "services: [router, prompts, quota]", wantDelay: 20 * time.Millisecond, wantSets: []string{"router,prompts,quota"}},
		{name: "list of numbers", yaml: "services: [1, 2]", wantDelay: 20 * time.Millisecond, wantSets: []string{"1,2"}},
		{name: "scalar for a list", yaml: "services: router", wantDelay: 20 * time.Millisecond, wantSets: []string{"router"}},
		{name: "empty list", yaml: "services: []", wantDelay: 20 * time.Millisecond, wantSets: []string{""}},
		{name: "empty file", yaml: "", wantDelay: 20 * time.Millisecond},
		{name: "only comments", yaml: "# router:\n#   demo_token_delay: 5ms\n", wantDelay: 20 * time.Millisecond},
		{name: "section without settings", yaml: "router:\n  # demo_token_delay: 5ms\n", wantDelay: 20 * time.Millisecond},
		{name: "empty section", yaml: "router: {}", wantDelay: 20 * time.Millisecond},
		{name: "setting without value", yaml: "router: {demo_token_delay: }", wantDelay: 20 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, s := newFlagSet()
			if err := config.Load(fs, []string{"--config", writeFile(t, tt.yaml)}, env()); err != nil {
				t.Fatalf("Load(%q): %v", tt.yaml, err)
			}
			if s.delay != tt.wantDelay {
				t.Errorf("router.demo-token-delay = %s, want %s", s.delay, tt.wantDelay)
			}
			if !slices.Equal(s.services.sets, tt.wantSets) {
				t.Errorf("services set to %q, want %q", s.services.sets, tt.wantSets)
			}
		})
	}
}

func TestLoadErrorsNameTheSetting(t *testing.T) {
	tests := []struct {
		name string
		yaml string // written to a file given with --config, if not empty
		env  []string
		args []string
		want []string // substrings of the error
	}{
		{name: "unknown top-level key", yaml: "bogus: 1", want: []string{`unknown setting "bogus"`}},
		{name: "unknown nested key", yaml: "router:\n  demo_token_dely: 5ms\n", want: []string{`unknown setting "router.demo_token_dely"`}},
		{name: "unknown section", yaml: "routr: {demo_token_delay: 5ms}", want: []string{`unknown setting "routr.demo_token_delay"`}},
		{name: "unknown key without value", yaml: "bogus:", want: []string{`unknown setting "bogus"`}},
		{name: "unknown empty section", yaml: "bogus: {}", want: []string{`unknown setting "bogus"`}},
		{name: "section given a value", yaml: "router: 5ms", want: []string{`unknown setting "router"`}},
		{name: "config key in the file", yaml: "config: other.yaml", want: []string{`unknown setting "config"`}},
		{name: "bad value in file", yaml: "router: {demo_token_delay: banana}", want: []string{"router.demo_token_delay", "banana"}},
		{name: "bad number in file", yaml: "server: {max_request_bytes: lots}", want: []string{"server.max_request_bytes", "lots"}},
		{name: "list of maps", yaml: "services: [{name: router}]", want: []string{`"services"`, "plain values"}},
		{name: "malformed YAML", yaml: "router: [unclosed", want: []string{"parse config file"}},
		{name: "bad env value", env: []string{"MANIFOLD_ROUTER_DEMO_TOKEN_DELAY", "banana"}, want: []string{"MANIFOLD_ROUTER_DEMO_TOKEN_DELAY", "banana"}},
		{name: "bad env bool", env: []string{"MANIFOLD_LOG_VERBOSE", "perhaps"}, want: []string{"MANIFOLD_LOG_VERBOSE", "perhaps"}},
		{name: "bad flag value", args: []string{"--router.demo-token-delay", "banana"}, want: []string{"router.demo-token-delay", "banana"}},
		{name: "unknown flag", args: []string{"--bogus"}, want: []string{"bogus"}},
		{name: "missing file", args: []string{"--config", "/nonexistent/manifold.yaml"}, want: []string{"/nonexistent/manifold.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, _ := newFlagSet()
			args := tt.args
			if tt.yaml != "" {
				args = append([]string{"--config", writeFile(t, tt.yaml)}, args...)
			}
			err := config.Load(fs, args, env(tt.env...))
			if err == nil {
				t.Fatalf("Load(%q) succeeded, want an error containing %q", args, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestEnvName(t *testing.T) {
	tests := map[string]string{
		"addr":                      "MANIFOLD_ADDR",
		"config":                    "MANIFOLD_CONFIG",
		"data-dir":                  "MANIFOLD_DATA_DIR",
		"router.demo-token-delay":   "MANIFOLD_ROUTER_DEMO_TOKEN_DELAY",
		"server.max-request-bytes":  "MANIFOLD_SERVER_MAX_REQUEST_BYTES",
		"log.level":                 "MANIFOLD_LOG_LEVEL",
		"quota.lease.renew-timeout": "MANIFOLD_QUOTA_LEASE_RENEW_TIMEOUT",
	}
	for flagName, want := range tests {
		if got := config.EnvName(flagName); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", flagName, got, want)
		}
	}
}

// Every flag of the real program must have its own environment variable and
// YAML key: "a.b-c" and "a-b.c" would share MANIFOLD_A_B_C, and the first
// would be set from the second's variable.
func TestAppFlagsHaveDistinctNames(t *testing.T) {
	cfg := app.DefaultConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.String(config.FileFlag, "", "")
	cfg.RegisterFlags(fs)
	envNames := map[string]string{}
	yamlKeys := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) {
		if prev, ok := envNames[config.EnvName(f.Name)]; ok {
			t.Errorf("flags %q and %q share the environment variable %s", prev, f.Name, config.EnvName(f.Name))
		}
		envNames[config.EnvName(f.Name)] = f.Name
		key := strings.ReplaceAll(f.Name, "-", "_")
		if prev, ok := yamlKeys[key]; ok {
			t.Errorf("flags %q and %q share the YAML key %s", prev, f.Name, key)
		}
		yamlKeys[key] = f.Name
		if strings.Contains(f.Name, "_") {
			t.Errorf("flag %q: flag names use dashes; underscores are for YAML keys", f.Name)
		}
	})
	if len(envNames) < 5 {
		t.Fatalf("only %d flags registered; RegisterFlags is not registering the components", len(envNames))
	}
}
