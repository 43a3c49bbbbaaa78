// Package httptool calls HTTP tools safely: only allow-listed hosts (for the
// first request and every redirect), no private, loopback or link-local
// address unless its host is listed exactly (checked on the address
// actually dialled, so DNS cannot rebind around it), and bounded request,
// response and time.
package httptool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"time"

	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	workflowsv1 "github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1"
)

const (
	defaultMaxBytes = 1 << 20
	defaultTimeout  = 30 * time.Second
	maxRedirects    = 5
)

// Caller makes tool calls.
type Caller struct {
	// Resolve returns a key vault credential's secret, for tools with
	// auth; nil refuses such tools.
	Resolve func(ctx context.Context, name string) (*keyvaultv1.CredentialSecret, error)
	// Lookup resolves a host to addresses; nil uses net.DefaultResolver.
	// Tests set it to resolve names to private addresses.
	Lookup func(ctx context.Context, host string) ([]netip.Addr, error)
}

// New returns a caller using the system resolver.
func New() *Caller { return &Caller{} }

var argPlaceholder = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_]+)\s*\}\}`)

// CheckURL checks that a tool's URL is http(s) and its host is allowed,
// without dialling; PutChain uses it to refuse a bad definition early.
func CheckURL(rawURL string, allowed []string) error {
	u, err := url.Parse(argPlaceholder.ReplaceAllString(rawURL, "x"))
	if err != nil {
		return fmt.Errorf("invalid URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("URL scheme %q is not http or https", u.Scheme)
	}
	if !hostAllowed(u, allowed) {
		return fmt.Errorf("host %s is not in allowed_hosts", u.Host)
	}
	return nil
}

// hostAllowed matches a URL's host against the allow-list: exact names, or
// "*.example.com" for subdomains; an entry with a port matches only it.
func hostAllowed(u *url.URL, allowed []string) bool {
	host := strings.ToLower(u.Hostname())
	hostPort := host + ":" + port(u)
	for _, a := range allowed {
		a = strings.ToLower(a)
		target := host
		if strings.Contains(a, ":") {
			target = hostPort
		}
		if rest, ok := strings.CutPrefix(a, "*."); ok {
			if strings.HasSuffix(target, "."+rest) {
				return true
			}
		} else if target == a {
			return true
		}
	}
	return false
}

// exactlyListed reports whether host (no port) is listed by name, which
// allows it to be a private address.
func exactlyListed(host string, allowed []string) bool {
	for _, a := range allowed {
		h := a
		if i := strings.LastIndex(a, ":"); i >= 0 {
			h = a[:i]
		}
		if strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

func private(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(ip)
}

// Call calls the tool with JSON arguments and returns the answer's body.
// Every refusal or failure is an error whose text is meant for the model
// and the run's record.
func (c *Caller) Call(ctx context.Context, def *workflowsv1.ToolDefinition, t *workflowsv1.HttpTool, arguments, idempotencyKey string) (string, error) {
	var authHeader, authValue string
	if a := t.GetAuth(); a != nil {
		if c.Resolve == nil {
			return "", errors.New("tool auth needs the key vault, which this worker cannot reach")
		}
		sec, err := c.Resolve(ctx, a.GetCredential())
		if err != nil {
			return "", fmt.Errorf("credential %q: %v", a.GetCredential(), err)
		}
		if sec.GetApiKey() == "" {
			return "", fmt.Errorf("credential %q has no API key", a.GetCredential())
		}
		authHeader = a.GetHeader()
		if authHeader == "" {
			authHeader = "Authorization"
		}
		prefix := ""
		if a.Prefix != nil {
			prefix = a.GetPrefix()
		} else if strings.EqualFold(authHeader, "Authorization") {
			prefix = "Bearer "
		}
		authValue = prefix + sec.GetApiKey()
	}
	args := map[string]any{}
	if strings.TrimSpace(arguments) != "" {
		if err := json.Unmarshal([]byte(arguments), &args); err != nil {
			return "", fmt.Errorf("arguments are not a JSON object: %v", err)
		}
	}
	used := map[string]bool{}
	raw := argPlaceholder.ReplaceAllStringFunc(t.GetUrl(), func(m string) string {
		name := argPlaceholder.FindStringSubmatch(m)[1]
		used[name] = true
		return url.PathEscape(fmt.Sprint(args[name]))
	})
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("invalid tool URL: %v", err)
	}
	if err := CheckURL(u.String(), t.GetAllowedHosts()); err != nil {
		return "", fmt.Errorf("refused: %v", err)
	}
	maxReq := t.GetMaxRequestBytes()
	if maxReq == 0 {
		maxReq = defaultMaxBytes
	}
	maxResp := def.GetMaxResponseBytes()
	if maxResp == 0 {
		maxResp = defaultMaxBytes
	}
	timeout := defaultTimeout
	if d := def.GetTimeout(); d != nil {
		timeout = d.AsDuration()
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	method := strings.TrimPrefix(t.GetMethod().String(), "HTTP_METHOD_")
	var body io.Reader
	switch t.GetMethod() {
	case workflowsv1.HttpMethod_HTTP_METHOD_GET, workflowsv1.HttpMethod_HTTP_METHOD_DELETE:
		q := u.Query()
		for k, v := range args {
			if !used[k] {
				if s, ok := v.(string); ok {
					q.Set(k, s)
				} else {
					b, _ := json.Marshal(v)
					q.Set(k, string(b))
				}
			}
		}
		u.RawQuery = q.Encode()
	default:
		b, _ := json.Marshal(args)
		if int64(len(b)) > maxReq {
			return "", fmt.Errorf("arguments are %d bytes, over the tool's limit of %d", len(b), maxReq)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return "", fmt.Errorf("build request: %v", err)
	}
	for k, v := range t.GetHeaders() {
		req.Header.Set(k, v)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}
	if authHeader != "" {
		req.Header.Set(authHeader, authValue)
	}
	resp, err := c.client(t.GetAllowedHosts()).Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return "", fmt.Errorf("the tool did not answer within %s", timeout)
		}
		return "", fmt.Errorf("call failed: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResp+1))
	if err != nil {
		return "", fmt.Errorf("read answer: %v", err)
	}
	if int64(len(b)) > maxResp {
		return "", fmt.Errorf("the answer is over the tool's limit of %d bytes", maxResp)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", fmt.Errorf("the tool answered HTTP %d: %s", resp.StatusCode, truncate(string(b), 512))
	}
	return string(b), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// client checks every redirect against the allow-list and every dialled
// address against the private ranges.
func (c *Caller) client(allowed []string) *http.Client {
	lookup := c.Lookup
	if lookup == nil {
		lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	transport := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, p, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			ips, err := lookup(ctx, host)
			if err != nil {
				return nil, err
			}
			for _, ip := range ips {
				if private(ip) && !exactlyListed(host, allowed) {
					return nil, fmt.Errorf("refused: %s resolves to the private address %s, which is allowed only when the host is listed exactly", host, ip)
				}
			}
			if len(ips) == 0 {
				return nil, fmt.Errorf("no address for %s", host)
			}
			return dialer.DialContext(ctx, network, net.JoinHostPort(ips[0].String(), p))
		},
		TLSHandshakeTimeout: 10 * time.Second,
		DisableKeepAlives:   true,
		ForceAttemptHTTP2:   true,
	}
	return &http.Client{
		Transport: transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("refused: more than %d redirects", maxRedirects)
			}
			if !hostAllowed(req.URL, allowed) {
				return fmt.Errorf("refused: redirect to %s, which is not in allowed_hosts", req.URL.Host)
			}
			return nil
		},
	}
}
