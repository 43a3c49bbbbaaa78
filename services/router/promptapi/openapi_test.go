package promptapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	promptsv1 "github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1"
)

// openAPI fetches /apis/openapi.json.
func (g *gateway) openAPI(t *testing.T) []byte {
	t.Helper()
	res, err := http.Get(g.url + "/apis/openapi.json")
	if err != nil {
		t.Fatalf("GET /apis/openapi.json: %v", err)
	}
	defer func() { _ = res.Body.Close() }()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /apis/openapi.json: %d %q, %v", res.StatusCode, res.Header.Get("Content-Type"), err)
	}
	return b
}

// validDocument checks doc against the OpenAPI 3.1 specification's schema
// and returns a validator for requests and responses.
func validDocument(t *testing.T, doc []byte) validator.Validator {
	t.Helper()
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		t.Fatalf("parse OpenAPI document: %v", err)
	}
	v, errs := validator.NewValidator(d)
	if len(errs) > 0 {
		t.Fatalf("OpenAPI validator: %v", errs)
	}
	if ok, errs := v.ValidateDocument(); !ok {
		for _, e := range errs {
			t.Errorf("OpenAPI document invalid: %s: %s %v", e.Message, e.Reason, e.SchemaValidationErrors)
		}
		t.FailNow()
	}
	return v
}

func TestOpenAPIDocumentValidatesAndDescribesTheAnswers(t *testing.T) {
	forEachDriver(t, func(t *testing.T, g *gateway) {
		empty := g.openAPI(t)
		validDocument(t, empty)
		publishSummarize(t, g, true)

		doc := g.openAPI(t)
		v := validDocument(t, doc)
		// The check has teeth: a misspelt operation field fails it.
		bad, err := libopenapi.NewDocument(bytes.Replace(doc, []byte(`"responses"`), []byte(`"responsez"`), 1))
		if err != nil {
			t.Fatal(err)
		}
		if bv, _ := validator.NewValidator(bad); bv != nil {
			if ok, _ := bv.ValidateDocument(); ok {
				t.Error("a broken document passes validation; the check proves nothing")
			}
		}
		var parsed struct {
			OpenAPI string                    `json:"openapi"`
			Paths   map[string]map[string]any `json:"paths"`
			Servers []struct{ URL string }    `json:"servers"`
		}
		if err := json.Unmarshal(doc, &parsed); err != nil {
			t.Fatal(err)
		}
		if parsed.OpenAPI != "3.1.0" || parsed.Paths["/apis/summarize"]["post"] == nil || len(parsed.Servers) != 1 || parsed.Servers[0].URL != g.url {
			t.Fatalf("document does not list /apis/summarize on %s:\n%s", g.url, doc)
		}

		// A real call and its answer match the document; a call missing a
		// required variable does not, and the gateway refuses it too.
		call := func(body string) (*http.Request, *http.Response) {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, g.url+"/apis/summarize", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer sk-scoped")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			_ = res.Body.Close()
			res.Body = io.NopCloser(bytes.NewReader(b))
			req.Body = io.NopCloser(strings.NewReader(body))
			return req, res
		}
		req, res := call(`{"text": "hello"}`)
		if ok, errs := v.ValidateHttpRequestResponse(req, res); !ok || res.StatusCode != 200 {
			for _, e := range errs {
				t.Errorf("call does not match the document: %s: %s", e.Message, e.Reason)
			}
			t.Fatalf("status %d", res.StatusCode)
		}
		req, res = call(`{}`)
		if ok, _ := v.ValidateHttpRequest(req); ok || res.StatusCode != 400 {
			t.Errorf("a body without the required variable: document accepts it %v, gateway status %d", ok, res.StatusCode)
		}

		must(t)(g.registry.UnpublishPrompt(t.Context(), connect.NewRequest(&promptsv1.UnpublishPromptRequest{Slug: "summarize"})))
		g.waitFor(t, "the unpublish", g.published("summarize", false))
		if doc := g.openAPI(t); strings.Contains(string(doc), "/apis/summarize") {
			t.Errorf("document still lists an unpublished API:\n%s", doc)
		}
	})
}
