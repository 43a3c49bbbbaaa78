package sdktest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/manifoldgw/manifold/services/internal/emulator"
	anthropicemu "github.com/manifoldgw/manifold/services/internal/emulator/anthropic"
	bedrockemu "github.com/manifoldgw/manifold/services/internal/emulator/bedrock"
	geminiemu "github.com/manifoldgw/manifold/services/internal/emulator/gemini"
	ollamaemu "github.com/manifoldgw/manifold/services/internal/emulator/ollama"
	openaiemu "github.com/manifoldgw/manifold/services/internal/emulator/openai"
	"github.com/manifoldgw/manifold/services/internal/gatewaytest"
)

// maxRequestBytes is the gateway's body limit in these tests, small so that
// the oversize-body test sends little.
const maxRequestBytes = 64 << 10

// scriptable is what every provider emulator offers (through emulator.Base).
type scriptable interface {
	http.Handler
	Script(...emulator.Fault)
	Reset()
	Requests() []emulator.Recorded
}

// upstream is a running emulator and its catalog entries: a provider named
// after the emulator, a model "<name>-emu" and, when the provider needs one,
// a credential "<name>-key" whose secrets the environment holds.
type upstream struct {
	name          string // the emulator, as the JavaScript names it: "openai"
	emu           scriptable
	url           string
	provider      map[string]any // catalog provider fields besides name, base_url and credentials
	upstreamModel string
	credential    map[string]any // catalog credential fields besides name; nil without one
	env           map[string]string
}

// TestSDKs runs every *.test.mjs file against a gateway whose catalog has one
// model per provider emulator.
func TestSDKs(t *testing.T) {
	node := lookPath(t, "node")
	lookPath(t, "npm") // tools/npm-install.sh runs it
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	installPackages(t, dir)

	ups := startUpstreams(t)
	config := writeConfig(t, ups)
	for _, u := range ups {
		for k, v := range u.env {
			t.Setenv(k, v)
		}
	}
	gatewayURL := startGateway(t, "--config", config, "--server.max-request-bytes", strconv.Itoa(maxRequestBytes))
	control := httptest.NewServer(controlHandler(ups))
	t.Cleanup(control.Close)

	var models []string
	for _, u := range ups {
		models = append(models, u.name+"-emu")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.test.mjs"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no *.test.mjs files in %s (%v)", dir, err)
	}
	// One file at a time: the tests script faults on shared emulators.
	args := append([]string{"--test", "--test-concurrency=1", "--test-reporter=spec", "--test-timeout=60000"}, files...)
	run(t, dir, []string{
		"MANIFOLD_SDKTEST_GATEWAY_URL=" + gatewayURL,
		"MANIFOLD_SDKTEST_CONTROL_URL=" + control.URL,
		"MANIFOLD_SDKTEST_MODELS=" + strings.Join(models, ","),
		"MANIFOLD_SDKTEST_MAX_REQUEST_BYTES=" + strconv.Itoa(maxRequestBytes),
		"NO_COLOR=1",
	}, node, args...)
}

// lookPath finds a required program; the SDK tests are part of the suite, so
// a missing Node fails rather than skips.
func lookPath(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is required to run the SDK tests (Node 20 or later with npm): %v", name, err)
	}
	return p
}

// installPackages installs the pinned SDKs with `npm ci` through
// tools/npm-install.sh, which skips the install when node_modules already
// matches package-lock.json.
func installPackages(t *testing.T, dir string) {
	t.Helper()
	script := filepath.Join(dir, "..", "..", "..", "tools", "npm-install.sh")
	if _, err := os.Stat(script); err != nil {
		t.Fatalf("the npm install script: %v", err)
	}
	run(t, dir, nil, lookPath(t, "bash"), script, dir)
}

// run runs a program in dir with extra environment, streaming its output to
// the test log, and fails the test when it fails.
func run(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out := &lineLog{t: t, prefix: filepath.Base(name) + ": "}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	out.flush()
	if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
}

// lineLog writes each line to the test log as it comes, so `go test -v`
// shows Node's progress live.
type lineLog struct {
	t      *testing.T
	prefix string
	mu     sync.Mutex
	buf    []byte
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		l.t.Log(l.prefix + string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
}

func (l *lineLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.t.Log(l.prefix + string(l.buf))
		l.buf = nil
	}
}

// startUpstreams starts every provider emulator, each expecting the
// credential the gateway is configured with.
func startUpstreams(t *testing.T) []*upstream {
	t.Helper()
	oa := openaiemu.New()
	oa.Configure(openaiemu.Options{APIKey: "sk-emu-openai"})
	ge := geminiemu.New()
	ge.APIKey = "emu-gemini-key"
	ups := []*upstream{
		withAPIKey(&upstream{name: "openai", emu: oa, provider: map[string]any{"kind": "openai"}, upstreamModel: "gpt-4o-mini"}, "sk-emu-openai"),
		withAPIKey(&upstream{name: "anthropic", emu: anthropicemu.New(), provider: map[string]any{"kind": "anthropic"}, upstreamModel: "claude-sonnet-4-5-20250929"}, "sk-ant-emu"),
		withAPIKey(&upstream{name: "gemini", emu: ge, provider: map[string]any{"kind": "gemini"}, upstreamModel: "gemini-2.5-flash"}, "emu-gemini-key"),
		{name: "ollama", emu: ollamaemu.New(), provider: map[string]any{"kind": "ollama"}, upstreamModel: "llama3.2"}, // plain Ollama has no auth
		{
			name: "bedrock", emu: bedrockemu.New(),
			provider:      map[string]any{"kind": "bedrock", "region": bedrockemu.Region},
			upstreamModel: "anthropic.claude-3-5-haiku-20241022-v1:0",
			// The emulator verifies SigV4 signatures made with its test keys.
			credential: map[string]any{"access_key_id_env": "SDKTEST_BEDROCK_ACCESS_KEY_ID", "secret_access_key_env": "SDKTEST_BEDROCK_SECRET_ACCESS_KEY"},
			env:        map[string]string{"SDKTEST_BEDROCK_ACCESS_KEY_ID": bedrockemu.AccessKeyID, "SDKTEST_BEDROCK_SECRET_ACCESS_KEY": bedrockemu.SecretAccessKey},
		},
	}
	for _, u := range ups {
		srv := httptest.NewServer(u.emu)
		t.Cleanup(srv.Close)
		u.url = srv.URL
		if u.name == "openai" {
			u.url += "/v1" // OpenAI base URLs include the version
		}
	}
	return ups
}

// withAPIKey gives u an API-key credential read from SDKTEST_<NAME>_API_KEY.
func withAPIKey(u *upstream, key string) *upstream {
	env := "SDKTEST_" + strings.ToUpper(u.name) + "_API_KEY"
	u.credential = map[string]any{"api_key_env": env}
	u.env = map[string]string{env: key}
	return u
}

// writeConfig writes the gateway's configuration file: a provider and a
// model "<name>-emu" per emulator, and the routes the tests use.
func writeConfig(t *testing.T, ups []*upstream) string {
	t.Helper()
	var providers, models, credentials []map[string]any
	for _, u := range ups {
		p := map[string]any{"name": u.name, "base_url": u.url}
		for k, v := range u.provider {
			p[k] = v
		}
		if u.credential != nil {
			c := map[string]any{"name": u.name + "-key"}
			for k, v := range u.credential {
				c[k] = v
			}
			credentials = append(credentials, c)
			p["credentials"] = []map[string]any{{"name": u.name + "-key"}}
		}
		providers = append(providers, p)
		models = append(models, map[string]any{
			"name": u.name + "-emu", "provider": u.name, "upstream_model": u.upstreamModel,
			"capabilities": []string{"tools", "streaming", "vision", "json_object", "json_schema"}, "context_window": 200000, "max_output_tokens": 4096,
		})
	}
	// An embedding model on the OpenAI emulator.
	models = append(models, map[string]any{"name": "embed-emu", "provider": "openai", "upstream_model": "text-embedding-3-small", "capabilities": []string{"embeddings"}})
	// A model that takes no images, for the unsupported-feature errors.
	models = append(models, map[string]any{"name": "text-only-emu", "provider": "openai", "upstream_model": "gpt-4o-mini", "capabilities": []string{"tools", "streaming"}})
	routes := []map[string]any{
		// openai-emu first; the JavaScript scripts its 503.
		{"name": "fallback-route", "strategy": "priority", "targets": []map[string]any{{"model": "openai-emu"}, {"model": "anthropic-emu"}}},
		// One target, waits of up to 5 s honoured.
		{"name": "retry-route", "targets": []map[string]any{{"model": "openai-emu"}}, "retry": map[string]any{"max_attempts": 3, "max_retry_after": "5s"}},
	}
	// YAML is a superset of JSON.
	b, err := json.MarshalIndent(map[string]any{"catalog": map[string]any{
		"providers": providers, "models": models, "routes": routes, "credentials": credentials,
	}}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "manifold.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startGateway runs the real program, `manifold serve`, until the test
// ends, and returns its URL.
func startGateway(t *testing.T, extra ...string) string {
	t.Helper()
	// The SDKs call without Manifold keys here: keys are not required.
	addr, _ := gatewaytest.Serve(t, append([]string{"--log.level", "warn", "--auth.required=false"}, extra...)...)
	return "http://" + addr
}

// controlHandler lets the JavaScript script the emulators:
//
//	POST /emulators/{name}/script   [Fault, …]  forget the past, queue faults
//	GET  /emulators/{name}/requests             [{method, path}, …] since then
func controlHandler(ups []*upstream) http.Handler {
	byName := map[string]scriptable{}
	for _, u := range ups {
		byName[u.name] = u.emu
	}
	lookup := func(w http.ResponseWriter, r *http.Request) scriptable {
		e, ok := byName[r.PathValue("name")]
		if !ok {
			http.Error(w, "no emulator "+r.PathValue("name"), http.StatusNotFound)
		}
		return e
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /emulators/{name}/script", func(w http.ResponseWriter, r *http.Request) {
		e := lookup(w, r)
		if e == nil {
			return
		}
		var faults []emulator.Fault
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&faults); err != nil {
			http.Error(w, "faults: "+err.Error(), http.StatusBadRequest)
			return
		}
		e.Reset()
		e.Script(faults...)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /emulators/{name}/requests", func(w http.ResponseWriter, r *http.Request) {
		e := lookup(w, r)
		if e == nil {
			return
		}
		type request struct {
			Method string `json:"method"`
			Path   string `json:"path"`
		}
		out := []request{}
		for _, rec := range e.Requests() {
			out = append(out, request{rec.Method, rec.Path})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})
	return mux
}
