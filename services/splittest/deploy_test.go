package splittest

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/manifoldgw/manifold/services/internal/app"
	"github.com/manifoldgw/manifold/services/internal/config"
	"github.com/manifoldgw/manifold/services/internal/discovery/consultest"
)

// deployDir is deploy/ at the repository root.
const deployDir = "../../deploy"

// serveFlags is the flag set of `manifold serve`, as the binary builds it.
func serveFlags() (*flag.FlagSet, *app.Config) {
	cfg := app.DefaultConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.String(config.FileFlag, "", "")
	cfg.RegisterFlags(fs)
	return fs, &cfg
}

// checkServeArgs checks a `manifold serve` argument list: every flag must
// be one the binary accepts, with a value it accepts.
func checkServeArgs(t *testing.T, where string, args []string) (services []string) {
	t.Helper()
	if len(args) == 0 || args[0] != "serve" {
		t.Errorf("%s: manifold command %q does not start with serve", where, args)
		return nil
	}
	fs, cfg := serveFlags()
	if err := fs.Parse(args[1:]); err != nil {
		t.Errorf("%s: manifold %s: %v", where, strings.Join(args, " "), err)
		return nil
	}
	if fs.NArg() > 0 {
		t.Errorf("%s: manifold serve: unexpected argument %q", where, fs.Arg(0))
	}
	return cfg.Services
}

// envFlag returns the flag a MANIFOLD_* variable sets.
func envFlag(fs *flag.FlagSet, name string) string {
	var found string
	fs.VisitAll(func(f *flag.Flag) {
		if config.EnvName(f.Name) == name {
			found = f.Name
		}
	})
	return found
}

// checkEnv checks that a MANIFOLD_* variable names a flag and that its
// value, unless it is filled in at deploy time, is one the flag accepts.
func checkEnv(t *testing.T, where, name, value string) {
	t.Helper()
	fs, _ := serveFlags()
	f := envFlag(fs, name)
	if f == "" {
		t.Errorf("%s: %s sets no flag of manifold serve", where, name)
		return
	}
	if value == "" || strings.Contains(value, "$") || strings.Contains(value, "CHANGE-ME") {
		return
	}
	if err := fs.Set(f, value); err != nil {
		t.Errorf("%s: %s=%q: %v", where, name, value, err)
	}
}

// checkConfigFile loads a YAML configuration file as `manifold serve
// --config` does and validates the result, with the secrets the
// environment would give.
func checkConfigFile(t *testing.T, where string, data []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "manifold.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	fs, cfg := serveFlags()
	secrets := map[string]string{
		"MANIFOLD_INTERNAL_TOKEN": "internal-token-0123456789",
		"MANIFOLD_ADMIN_TOKEN":    "admin-token-0123456789",
		"MANIFOLD_DATABASE_URL":   "postgres://manifold@postgres:5432/manifold",
		// Set per process by every deploy asset.
		"MANIFOLD_CONSUL_ADVERTISE_ADDR": "10.0.0.7:8080",
	}
	if err := config.Load(fs, []string{"--config", path}, func(k string) string { return secrets[k] }, cfg.Sections()); err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("%s: %v", where, err)
	}
}

// walk visits every mapping of a decoded YAML document.
func walk(v any, visit func(map[string]any)) {
	switch t := v.(type) {
	case map[string]any:
		visit(t)
		for _, c := range t {
			walk(c, visit)
		}
	case []any:
		for _, c := range t {
			walk(c, visit)
		}
	}
}

func stringList(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// checkYAML parses every document of a YAML file and checks the manifold
// commands, MANIFOLD_* variables and embedded configuration it holds. It
// returns the services the file's manifold commands run.
func checkYAML(t *testing.T, path string) (services []string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for i := 0; ; i++ {
		var doc any
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Errorf("%s: document %d: %v", path, i, err)
			return services
		}
		walk(doc, func(m map[string]any) {
			for _, key := range []string{"command", "args"} {
				if args, ok := stringList(m[key]); ok && len(args) > 0 && args[0] == "serve" {
					services = append(services, checkServeArgs(t, path, args)...)
				}
			}
			// Kubernetes env entries: {name: MANIFOLD_X, value: ...}.
			if name, ok := m["name"].(string); ok && strings.HasPrefix(name, "MANIFOLD_") {
				value, _ := m["value"].(string)
				checkEnv(t, path, name, value)
			}
			// Compose environment maps: MANIFOLD_X: value.
			for k, v := range m {
				if strings.HasPrefix(k, "MANIFOLD_") {
					value, _ := v.(string)
					checkEnv(t, path, k, value)
				}
			}
			// A ConfigMap carrying the configuration file.
			if kind, _ := m["kind"].(string); kind == "ConfigMap" {
				data, _ := m["data"].(map[string]any)
				for name, v := range data {
					if s, ok := v.(string); ok && strings.HasSuffix(name, ".yaml") {
						checkConfigFile(t, path+": "+name, []byte(s))
					}
				}
			}
		})
	}
	return services
}

// checkEnvFile checks the MANIFOLD_* variables of KEY=VALUE lines.
func checkEnvFile(t *testing.T, path string) (services []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf("%s: line %q is not KEY=VALUE", path, line)
			continue
		}
		if !strings.HasPrefix(k, "MANIFOLD_") {
			continue // for Compose's interpolation, not for manifold
		}
		checkEnv(t, path, k, v)
		if k == "MANIFOLD_SERVICES" {
			services = append(services, strings.Split(v, ",")...)
		}
	}
	return services
}

// checkUnit checks a systemd unit's ExecStart.
func checkUnit(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, line := range strings.Split(string(data), "\n") {
		cmd, ok := strings.CutPrefix(strings.TrimSpace(line), "ExecStart=")
		if !ok {
			continue
		}
		found = true
		fields := strings.Fields(cmd)
		if len(fields) < 2 || filepath.Base(fields[0]) != "manifold" {
			t.Errorf("%s: ExecStart %q does not run manifold", path, cmd)
			continue
		}
		checkServeArgs(t, path, fields[1:])
	}
	if !found {
		t.Errorf("%s: no ExecStart", path)
	}
}

// TestDeployAssets parses every file under deploy/ and checks that it only
// uses flags (and MANIFOLD_* variables) that `manifold serve` accepts, that
// the example configuration loads and validates, that the Consul service
// definitions pass `consul validate`, and that every service is deployed by
// Compose, Kubernetes and systemd.
func TestDeployAssets(t *testing.T) {
	covered := map[string][]string{} // asset kind -> services run
	err := filepath.WalkDir(deployDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(deployDir, path)
		kind := strings.Split(rel, string(filepath.Separator))[0]
		switch {
		case rel == filepath.Join("config", "split.yaml"):
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			checkConfigFile(t, path, data)
		case strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml"):
			covered[kind] = append(covered[kind], checkYAML(t, path)...)
		case strings.HasSuffix(path, ".env") || strings.HasSuffix(path, ".example"):
			covered[kind] = append(covered[kind], checkEnvFile(t, path)...)
		case strings.HasSuffix(path, ".service"):
			checkUnit(t, path)
		case strings.HasSuffix(path, ".json"), filepath.Base(path) == "Dockerfile", strings.HasSuffix(path, ".md"):
			// Consul definitions are checked by consul validate below.
		default:
			t.Errorf("%s: no check knows this kind of file; add one", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"compose", "k8s", "systemd"} {
		for _, name := range app.Names() {
			if !slices.Contains(covered[kind], name) {
				t.Errorf("deploy/%s runs no %s service", kind, name)
			}
		}
	}

	// The Consul agent itself checks the service definitions.
	base := filepath.Join(t.TempDir(), "base.json")
	if err := os.WriteFile(base, []byte(`{"data_dir": "`+t.TempDir()+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(consultest.Binary(t, "consul"), "validate", base, filepath.Join(deployDir, "consul")).CombinedOutput()
	if err != nil {
		t.Errorf("consul validate deploy/consul: %v\n%s", err, out)
	}
}

// TestDevSplitFlags checks that tools/dev-split.sh passes manifold serve
// only flags it accepts.
func TestDevSplitFlags(t *testing.T) {
	data, err := os.ReadFile("../../tools/dev-split.sh")
	if err != nil {
		t.Fatal(err)
	}
	fs, _ := serveFlags()
	script := strings.ReplaceAll(string(data), "\\\n", " ")
	checked := 0
	for _, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		// The manifold command line, and the calls of its serve function.
		if !strings.Contains(line, "bin/manifold serve") && !strings.HasPrefix(line, "serve ") {
			continue
		}
		for _, field := range strings.Fields(line) {
			name, ok := strings.CutPrefix(field, "--")
			if !ok {
				continue
			}
			name, _, _ = strings.Cut(name, "=")
			checked++
			if fs.Lookup(name) == nil {
				t.Errorf("tools/dev-split.sh: manifold serve has no flag --%s (%s)", name, line)
			}
		}
	}
	if checked < 5 {
		t.Fatalf("found only %d manifold flags in tools/dev-split.sh; did its manifold command line change shape?", checked)
	}
}
