package lambdatool_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	workflowsv1 "github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1"
	"github.com/manifoldgw/manifold/services/workflows/lambdatool"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// A fake Lambda Invoke API: it checks the path, the qualifier and the
// SigV4 authorization, echoes the payload and the idempotency key, and
// reports a function error for the function "broken".
func fakeLambda(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDTEST/") || !strings.Contains(auth, "/eu-west-1/lambda/aws4_request") {
			http.Error(w, `{"message":"bad signature"}`, http.StatusForbidden)
			return
		}
		if r.Header.Get("X-Amz-Invocation-Type") != "RequestResponse" {
			http.Error(w, "want RequestResponse", http.StatusBadRequest)
			return
		}
		body, _ := io.ReadAll(r.Body)
		cc, _ := base64.StdEncoding.DecodeString(r.Header.Get("X-Amz-Client-Context"))
		var clientContext struct {
			Custom map[string]string `json:"custom"`
		}
		_ = json.Unmarshal(cc, &clientContext)
		switch r.URL.Path {
		case "/2015-03-31/functions/summarise/invocations":
			out, _ := json.Marshal(map[string]any{"payload": json.RawMessage(body), "key": clientContext.Custom["idempotency_key"], "qualifier": r.URL.Query().Get("Qualifier")})
			_, _ = w.Write(out)
		case "/2015-03-31/functions/broken/invocations":
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			_, _ = w.Write([]byte(`{"errorMessage":"boom","errorType":"Error"}`))
		default:
			http.Error(w, `{"message":"Function not found"}`, http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, c *lambdatool.Caller, lt *workflowsv1.LambdaTool, args string) (string, error) {
	def := &workflowsv1.ToolDefinition{Target: &workflowsv1.ToolDefinition_Lambda{Lambda: lt}}
	return c.Call(context.Background(), def, lt, args, "run-1/ask/1/c1")
}

func TestInvoke(t *testing.T) {
	srv := fakeLambda(t)
	c := &lambdatool.Caller{Getenv: env("AWS_ACCESS_KEY_ID", "AKIDTEST", "AWS_SECRET_ACCESS_KEY", "secret", "AWS_REGION", "eu-west-1")}
	got, err := call(t, c, &workflowsv1.LambdaTool{Function: "summarise", Qualifier: "live", EndpointUrl: srv.URL}, `{"text":"hello"}`)
	if err != nil {
		t.Fatal(err)
	}
	if got != `{"key":"run-1/ask/1/c1","payload":{"text":"hello"},"qualifier":"live"}` {
		t.Fatalf("answer %s", got)
	}
	_, err = call(t, c, &workflowsv1.LambdaTool{Function: "broken", EndpointUrl: srv.URL}, `{}`)
	if err == nil || !strings.Contains(err.Error(), "the function failed (Unhandled)") || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("function error: %v", err)
	}
	_, err = call(t, c, &workflowsv1.LambdaTool{Function: "missing", EndpointUrl: srv.URL}, `{}`)
	if err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Fatalf("missing function: %v", err)
	}
}

func TestRefusals(t *testing.T) {
	srv := fakeLambda(t)
	noCreds := &lambdatool.Caller{Getenv: env("AWS_REGION", "eu-west-1")}
	if _, err := call(t, noCreds, &workflowsv1.LambdaTool{Function: "summarise", EndpointUrl: srv.URL}, `{}`); err == nil || !strings.Contains(err.Error(), "no AWS credentials") {
		t.Fatalf("without credentials: %v", err)
	}
	noRegion := &lambdatool.Caller{Getenv: env("AWS_ACCESS_KEY_ID", "AKIDTEST", "AWS_SECRET_ACCESS_KEY", "secret")}
	if _, err := call(t, noRegion, &workflowsv1.LambdaTool{Function: "summarise", EndpointUrl: srv.URL}, `{}`); err == nil || !strings.Contains(err.Error(), "no AWS region") {
		t.Fatalf("without a region: %v", err)
	}
	c := &lambdatool.Caller{Getenv: env("AWS_ACCESS_KEY_ID", "AKIDTEST", "AWS_SECRET_ACCESS_KEY", "secret", "AWS_REGION", "eu-west-1")}
	if _, err := call(t, c, &workflowsv1.LambdaTool{Function: "summarise", EndpointUrl: srv.URL}, `{not json`); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Fatalf("bad arguments: %v", err)
	}
}

// A tool naming a key vault credential signs with it instead of the
// worker's environment.
func TestCredentialFromKeyVault(t *testing.T) {
	srv := fakeLambda(t)
	c := &lambdatool.Caller{
		Getenv: env("AWS_REGION", "eu-west-1"),
		Resolve: func(_ context.Context, name string) (*keyvaultv1.CredentialSecret, error) {
			return &keyvaultv1.CredentialSecret{Secret: &keyvaultv1.CredentialSecret_Aws{Aws: &keyvaultv1.AwsSecret{AccessKeyId: "AKIDTEST", SecretAccessKey: "vault-secret"}}}, nil
		},
	}
	if _, err := call(t, c, &workflowsv1.LambdaTool{Function: "summarise", EndpointUrl: srv.URL, Credential: "lambda-aws"}, `{}`); err != nil {
		t.Fatalf("with a vault credential: %v", err)
	}
	c.Resolve = func(context.Context, string) (*keyvaultv1.CredentialSecret, error) {
		return &keyvaultv1.CredentialSecret{Secret: &keyvaultv1.CredentialSecret_ApiKey{ApiKey: "sk-not-aws"}}, nil
	}
	if _, err := call(t, c, &workflowsv1.LambdaTool{Function: "summarise", EndpointUrl: srv.URL, Credential: "lambda-aws"}, `{}`); err == nil || !strings.Contains(err.Error(), "not an AWS credential") || strings.Contains(err.Error(), "sk-not-aws") {
		t.Fatalf("an API-key credential: %v", err)
	}
}
