package router_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/jackc/pgx/v5"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
	"github.com/manifoldgw/manifold/services/internal/emulator"
	bedrockemu "github.com/manifoldgw/manifold/services/internal/emulator/bedrock"
	"github.com/manifoldgw/manifold/services/internal/server"
	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/router"
)

// fake is what every provider emulator offers the tests.
type fake interface {
	http.Handler
	Script(faults ...emulator.Fault)
	Requests() []emulator.Recorded
}

// upstream is one emulator served over real HTTP, with its provider entry.
type upstream struct {
	fake
	provider *routerv1.Provider
	// model is a catalog model on this provider (named after the provider).
	model *routerv1.Model
	creds []router.CredentialSpec
}

// upstreamModels are the provider-side model ids the catalog maps to.
var upstreamModels = map[routerv1.ProviderKind]string{
	routerv1.ProviderKind_PROVIDER_KIND_OPENAI:    "gpt-4o-mini",
	routerv1.ProviderKind_PROVIDER_KIND_ANTHROPIC: "claude-3-5-haiku-latest",
	routerv1.ProviderKind_PROVIDER_KIND_GEMINI:    "gemini-2.0-flash",
	routerv1.ProviderKind_PROVIDER_KIND_OLLAMA:    "llama3.2",
	routerv1.ProviderKind_PROVIDER_KIND_BEDROCK:   "anthropic.claude-3-haiku-20240307-v1:0",
}

// startUpstream serves emu on an httptest server and describes it as a
// provider named name with one credential (API key or AWS key pair) read
// from the environment, and a model named "<name>-model".
func startUpstream(t *testing.T, name string, kind routerv1.ProviderKind, emu fake) *upstream {
	t.Helper()
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	p := &routerv1.Provider{Name: name, Kind: kind, BaseUrl: srv.URL}
	cred := router.CredentialSpec{Name: name + "-key"}
	env := "MANIFOLD_TEST_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	switch kind {
	case routerv1.ProviderKind_PROVIDER_KIND_OPENAI:
		p.BaseUrl = srv.URL + "/v1"
	case routerv1.ProviderKind_PROVIDER_KIND_BEDROCK:
		p.Region = bedrockemu.Region
	}
	if kind == routerv1.ProviderKind_PROVIDER_KIND_BEDROCK {
		cred.AccessKeyIDEnv, cred.SecretAccessKeyEnv = env+"_AKID", env+"_SECRET"
		t.Setenv(cred.AccessKeyIDEnv, bedrockemu.AccessKeyID)
		t.Setenv(cred.SecretAccessKeyEnv, bedrockemu.SecretAccessKey)
	} else {
		cred.APIKeyEnv = env + "_API_KEY"
		t.Setenv(cred.APIKeyEnv, "sk-"+name+"-0123456789")
	}
	p.Credentials = []*routerv1.CredentialRef{{Name: cred.Name}}
	return &upstream{
		fake:     emu,
		provider: p,
		model:    &routerv1.Model{Name: name + "-model", Provider: name, UpstreamModel: upstreamModels[kind]},
		creds:    []router.CredentialSpec{cred},
	}
}

// spec is a catalog of the upstreams' providers, models and credentials
// plus the given routes.
func spec(ups []*upstream, routes ...*routerv1.Route) router.Spec {
	var s router.Spec
	for _, u := range ups {
		s.Providers = append(s.Providers, u.provider)
		s.Models = append(s.Models, u.model)
		s.Credentials = append(s.Credentials, u.creds...)
	}
	s.Routes = routes
	return s
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newService builds a router over the catalog, checking it validates.
func newService(t *testing.T, catalog router.Spec) *router.Service {
	t.Helper()
	cfg := router.DefaultConfig()
	cfg.Catalog = catalog
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	return router.New(cfg, quietLogger())
}

type routerClient = routerv1connect.RouterServiceClient

// protocols are the wire protocols the Connect client can speak.
var protocols = []struct {
	name string
	opts []connect.ClientOption
}{
	{"connect", nil},
	{"grpc", []connect.ClientOption{connect.WithGRPC()}},
}

// serve mounts svc the way the real server does (shared interceptors:
// validation and error mapping) on an HTTP/2 test server and returns a
// client for it.
func serve(t *testing.T, svc *router.Service, opts ...connect.ClientOption) routerv1connect.RouterServiceClient {
	t.Helper()
	s, err := server.New(server.DefaultConfig(), quietLogger())
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle(routerv1connect.NewRouterServiceHandler(svc, s.HandlerOptions()...))
	hs := httptest.NewUnstartedServer(mux)
	hs.EnableHTTP2 = true
	hs.StartTLS()
	t.Cleanup(hs.Close)
	return routerv1connect.NewRouterServiceClient(hs.Client(), hs.URL, opts...)
}

func text(s string) *mcpv1.ContentPart {
	return &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Text{Text: s}}
}

func userMsg(s string) *mcpv1.Message {
	return &mcpv1.Message{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{text(s)}}
}

func ask(model, prompt string) *mcpv1.Request {
	return &mcpv1.Request{Model: model, Messages: []*mcpv1.Message{userMsg(prompt)}}
}

// generate calls Generate through the client.
func generate(t *testing.T, c routerv1connect.RouterServiceClient, r *mcpv1.Request) (*mcpv1.Response, error) {
	t.Helper()
	res, err := c.Generate(t.Context(), connect.NewRequest(&routerv1.GenerateRequest{Request: r}))
	if err != nil {
		return nil, err
	}
	return res.Msg.GetResponse(), nil
}

func mustGenerate(t *testing.T, c routerv1connect.RouterServiceClient, r *mcpv1.Request) *mcpv1.Response {
	t.Helper()
	res, err := generate(t, c, r)
	if err != nil {
		t.Fatalf("Generate(%s): %v", r.GetModel(), err)
	}
	return res
}

// answer is the text of a response's message.
func answer(res *mcpv1.Response) string {
	var b strings.Builder
	for _, p := range res.GetMessage().GetContent() {
		b.WriteString(p.GetText())
	}
	return b.String()
}

// streamed is a GenerateStream call as the client saw it.
type streamed struct {
	events    []*mcpv1.StreamEvent
	text      string
	usage     *mcpv1.Usage
	toolCalls []*mcpv1.ToolCall
	finish    *mcpv1.StreamFinish
	errEvent  *mcpv1.ErrorDetail
	// err is the stream's error status (a failure before the first event).
	err error
}

// stream calls GenerateStream and collects everything it sends.
func stream(t *testing.T, c routerv1connect.RouterServiceClient, r *mcpv1.Request) streamed {
	t.Helper()
	s, err := c.GenerateStream(t.Context(), connect.NewRequest(&routerv1.GenerateStreamRequest{Request: r}))
	if err != nil {
		return streamed{err: err}
	}
	defer func() { _ = s.Close() }()
	var out streamed
	var b strings.Builder
	for s.Receive() {
		ev := s.Msg().GetEvent()
		out.events = append(out.events, ev)
		switch e := ev.GetEvent().(type) {
		case *mcpv1.StreamEvent_TextDelta:
			b.WriteString(e.TextDelta.GetText())
		case *mcpv1.StreamEvent_Usage:
			out.usage = e.Usage
		case *mcpv1.StreamEvent_ToolCallDelta:
			d := e.ToolCallDelta
			for int(d.GetIndex()) >= len(out.toolCalls) {
				out.toolCalls = append(out.toolCalls, &mcpv1.ToolCall{})
			}
			tc := out.toolCalls[d.GetIndex()]
			tc.Id = cmp.Or(tc.Id, d.GetId())
			tc.Name = cmp.Or(tc.Name, d.GetName())
			tc.Arguments += d.GetArgumentsDelta()
		case *mcpv1.StreamEvent_Finish:
			out.finish = e.Finish
		case *mcpv1.StreamEvent_Error:
			out.errEvent = e.Error
		}
	}
	out.text = b.String()
	out.err = s.Err()
	return out
}

// connectError returns err's Connect code and ErrorDetail, failing the test
// when err is not a Connect error carrying one.
func connectError(t *testing.T, err error) (connect.Code, *mcpv1.ErrorDetail) {
	t.Helper()
	var ce *connect.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not a Connect error", err, err)
	}
	for _, d := range ce.Details() {
		v, derr := d.Value()
		if derr != nil {
			continue
		}
		if detail, ok := v.(*mcpv1.ErrorDetail); ok {
			return ce.Code(), detail
		}
	}
	t.Fatalf("Connect error %v carries no ErrorDetail", err)
	return 0, nil
}

// pngImage is a small real PNG.
func pngImage(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(1, 1, color.RGBA{R: 255, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// openSQLite opens (and migrates) the SQLite database in dir; several
// handles on one dir share the file, like replicas sharing a database.
func openSQLite(t *testing.T, dir string) *storage.DB {
	t.Helper()
	db, err := storage.Open(t.Context(), storage.Config{DataDir: dir})
	if err != nil {
		t.Fatalf("open SQLite: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(t.Context(), storage.DocumentsMigrations()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// defaultTestDatabaseURL is a local PostgreSQL with trust auth; override
// with MANIFOLD_TEST_DATABASE_URL.
const defaultTestDatabaseURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// postgresSchema creates a schema of its own for the test, dropped at
// cleanup, and returns a database URL using it.
func postgresSchema(t *testing.T) string {
	t.Helper()
	base := cmp.Or(os.Getenv("MANIFOLD_TEST_DATABASE_URL"), defaultTestDatabaseURL)
	schema := "t_" + strings.ToLower(rand.Text())
	exec := func(ctx context.Context, sql string) error {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer func() { _ = conn.Close(ctx) }()
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("PostgreSQL is required (set MANIFOLD_TEST_DATABASE_URL; default %s): create schema: %v", defaultTestDatabaseURL, err)
	}
	t.Cleanup(func() {
		// t.Context is done during cleanup.
		if err := exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("MANIFOLD_TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("pool_max_conns", "4")
	u.RawQuery = q.Encode()
	return u.String()
}

// openPostgres opens (and migrates) the database at dbURL.
func openPostgres(t *testing.T, dbURL string) *storage.DB {
	t.Helper()
	db, err := storage.Open(t.Context(), storage.Config{DatabaseURL: dbURL})
	if err != nil {
		t.Fatalf("open PostgreSQL: %v", err)
	}
	// Registered after the schema drop, so it runs before it.
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(t.Context(), storage.DocumentsMigrations()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}
