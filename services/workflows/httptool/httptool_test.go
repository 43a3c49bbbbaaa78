package httptool_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	workflowsv1 "github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1"
	"github.com/manifoldgw/manifold/services/workflows/httptool"
)

func tool(rawURL string, allowed ...string) (*workflowsv1.ToolDefinition, *workflowsv1.HttpTool) {
	h := &workflowsv1.HttpTool{Url: rawURL, Method: workflowsv1.HttpMethod_HTTP_METHOD_POST, AllowedHosts: allowed}
	return &workflowsv1.ToolDefinition{Target: &workflowsv1.ToolDefinition_Http{Http: h}}, h
}

func server(t *testing.T, h http.HandlerFunc) (*httptest.Server, string) {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return srv, u.Host
}

func TestCallSendsArgumentsAndIdempotencyKey(t *testing.T) {
	srv, host := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Idempotency-Key") != "k1" || r.URL.Path != "/orders/42" {
			http.Error(w, "bad request "+r.URL.Path, http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	def, h := tool(srv.URL+"/orders/{{id}}", host)
	got, err := httptool.New().Call(context.Background(), def, h, `{"id":42}`, "k1")
	if err != nil || got != `{"ok":true}` {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestRefusals(t *testing.T) {
	var calls atomic.Int32
	srv, host := server(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		switch r.URL.Path {
		case "/to-other-host":
			http.Redirect(w, r, "http://evil.example.net/steal", http.StatusFound)
		case "/to-metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		case "/to-internal":
			http.Redirect(w, r, "http://internal.example.com/admin", http.StatusFound)
		case "/big":
			_, _ = w.Write([]byte(strings.Repeat("x", 2048)))
		}
	})
	caller := &httptool.Caller{Lookup: func(ctx context.Context, host string) ([]netip.Addr, error) {
		switch host {
		case "internal.example.com":
			return []netip.Addr{netip.MustParseAddr("10.1.2.3")}, nil
		case "127.0.0.1":
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		t.Errorf("unexpected lookup of %s", host)
		return nil, nil
	}}
	cases := []struct {
		name, url string
		allowed   []string
		want      string
	}{
		{"outside allow-list", srv.URL + "/x", []string{"api.example.com"}, "refused: host " + host + " is not in allowed_hosts"},
		{"not http", "ftp://" + host + "/x", []string{host}, `URL scheme "ftp" is not http or https`},
		{"redirect to another host", srv.URL + "/to-other-host", []string{host}, "refused: redirect to evil.example.net, which is not in allowed_hosts"},
		{"redirect to a private address", srv.URL + "/to-metadata", []string{host}, "refused: redirect to 169.254.169.254, which is not in allowed_hosts"},
		{"allowed name resolving to a private address", srv.URL + "/to-internal", []string{host, "*.example.com"}, "refused: internal.example.com resolves to the private address 10.1.2.3"},
		{"answer over the limit", srv.URL + "/big", []string{host}, "the answer is over the tool's limit of 1024 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			def, h := tool(c.url, c.allowed...)
			def.MaxResponseBytes = 1024
			_, err := caller.Call(context.Background(), def, h, `{}`, "")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
	if n := calls.Load(); n != 4 {
		t.Fatalf("the server saw %d calls; the refused first requests should not reach it", n)
	}
}

func TestCheckURL(t *testing.T) {
	if err := httptool.CheckURL("https://api.example.com/v1/{{id}}", []string{"*.example.com"}); err != nil {
		t.Fatal(err)
	}
	if err := httptool.CheckURL("https://example.com.evil.net/", []string{"*.example.com"}); err == nil {
		t.Fatal("a look-alike host passed")
	}
	if err := httptool.CheckURL("https://api.example.com:8443/", []string{"api.example.com:443"}); err == nil {
		t.Fatal("a port not listed passed")
	}
}

// A tool with auth sends the key vault credential as the header it names;
// the secret never shows in errors.
func TestAuthFromKeyVault(t *testing.T) {
	var got http.Header
	srv, host := server(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		_, _ = w.Write([]byte(`{}`))
	})
	caller := &httptool.Caller{Resolve: func(_ context.Context, name string) (*keyvaultv1.CredentialSecret, error) {
		if name != "tool-key" {
			return nil, errors.New("credential not found")
		}
		return &keyvaultv1.CredentialSecret{Secret: &keyvaultv1.CredentialSecret_ApiKey{ApiKey: "sk-tool-secret"}}, nil
	}}
	def, h := tool(srv.URL+"/x", host)
	h.Auth = &workflowsv1.HttpToolAuth{Credential: "tool-key"}
	if _, err := caller.Call(context.Background(), def, h, `{}`, ""); err != nil || got.Get("Authorization") != "Bearer sk-tool-secret" {
		t.Fatalf("bearer: %v, %q", err, got.Get("Authorization"))
	}
	empty := ""
	h.Auth = &workflowsv1.HttpToolAuth{Credential: "tool-key", Header: "X-Api-Key", Prefix: &empty}
	if _, err := caller.Call(context.Background(), def, h, `{}`, ""); err != nil || got.Get("X-Api-Key") != "sk-tool-secret" || got.Get("Authorization") != "" {
		t.Fatalf("custom header: %v, %v", err, got)
	}
	h.Auth = &workflowsv1.HttpToolAuth{Credential: "missing"}
	if _, err := caller.Call(context.Background(), def, h, `{}`, ""); err == nil || !strings.Contains(err.Error(), `credential "missing"`) {
		t.Fatalf("missing credential: %v", err)
	}
	if _, err := httptool.New().Call(context.Background(), def, h, `{}`, ""); err == nil || !strings.Contains(err.Error(), "key vault") {
		t.Fatalf("no key vault: %v", err)
	}
}
