// Package lambdatool invokes AWS Lambda functions as chain tools: the
// Invoke API (synchronous, RequestResponse) signed with SigV4, at AWS's
// regional endpoint or a configured one (e.g. LocalStack).
package lambdatool

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	workflowsv1 "github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1"
)

const (
	defaultMaxBytes = 1 << 20
	defaultTimeout  = 30 * time.Second
)

// Caller invokes functions.
type Caller struct {
	// Getenv reads the worker's AWS settings (AWS_ACCESS_KEY_ID,
	// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION,
	// AWS_DEFAULT_REGION); nil uses os.Getenv.
	Getenv func(string) string
	// Resolve returns a key vault credential's secret, for tools naming
	// one; nil refuses them.
	Resolve func(ctx context.Context, name string) (*keyvaultv1.CredentialSecret, error)
	// Client sends the requests; nil uses a client without redirects.
	Client *http.Client
	now    func() time.Time
}

// New returns a caller using the process environment.
func New() *Caller { return &Caller{} }

func (c *Caller) getenv(k string) string {
	if c.Getenv != nil {
		return c.Getenv(k)
	}
	return os.Getenv(k)
}

// Call invokes the function with the arguments as its JSON payload and
// returns its response payload. A function error, a refusal or a transport
// failure is an error whose text is meant for the model and the run's
// record. The idempotency key travels in the client context
// (context.clientContext.custom.idempotency_key), so the function can drop
// a repeated call.
func (c *Caller) Call(ctx context.Context, def *workflowsv1.ToolDefinition, t *workflowsv1.LambdaTool, arguments, idempotencyKey string) (string, error) {

	if strings.TrimSpace(arguments) == "" {
		arguments = "{}"
	}
	if !json.Valid([]byte(arguments)) {
		return "", errors.New("arguments are not JSON")
	}
	region := t.GetRegion()
	if region == "" {
		region = c.getenv("AWS_REGION")
	}
	if region == "" {
		region = c.getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		return "", errors.New("no AWS region: set the tool's region or AWS_REGION on the worker")
	}
	creds := aws.Credentials{AccessKeyID: c.getenv("AWS_ACCESS_KEY_ID"), SecretAccessKey: c.getenv("AWS_SECRET_ACCESS_KEY"), SessionToken: c.getenv("AWS_SESSION_TOKEN")}
	if name := t.GetCredential(); name != "" {
		if c.Resolve == nil {
			return "", errors.New("the tool's credential needs the key vault, which this worker cannot reach")
		}
		sec, err := c.Resolve(ctx, name)
		if err != nil {
			return "", fmt.Errorf("credential %q: %v", name, err)
		}
		a := sec.GetAws()
		if a == nil {
			return "", fmt.Errorf("credential %q is not an AWS credential", name)
		}
		creds = aws.Credentials{AccessKeyID: a.GetAccessKeyId(), SecretAccessKey: a.GetSecretAccessKey(), SessionToken: a.GetSessionToken()}
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return "", errors.New("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY on the worker")
	}
	endpoint := t.GetEndpointUrl()
	if endpoint == "" {
		endpoint = "https://lambda." + region + ".amazonaws.com"
	}
	u, err := url.Parse(strings.TrimSuffix(endpoint, "/") + "/2015-03-31/functions/" + url.PathEscape(t.GetFunction()) + "/invocations")
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("invalid Lambda endpoint %q", endpoint)
	}
	if q := t.GetQualifier(); q != "" {
		u.RawQuery = url.Values{"Qualifier": {q}}.Encode()
	}
	timeout := defaultTimeout
	if d := def.GetTimeout(); d != nil {
		timeout = d.AsDuration()
	}
	maxResp := def.GetMaxResponseBytes()
	if maxResp == 0 {
		maxResp = defaultMaxBytes
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader([]byte(arguments)))
	if err != nil {
		return "", fmt.Errorf("build request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amz-Invocation-Type", "RequestResponse")
	if idempotencyKey != "" {
		cc, _ := json.Marshal(map[string]any{"custom": map[string]string{"idempotency_key": idempotencyKey}})
		req.Header.Set("X-Amz-Client-Context", base64.StdEncoding.EncodeToString(cc))
	}
	sum := sha256.Sum256([]byte(arguments))
	now := time.Now
	if c.now != nil {
		now = c.now
	}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "lambda", region, now()); err != nil {
		return "", fmt.Errorf("sign request: %v", err)
	}
	client := c.Client
	if client == nil {
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return "", fmt.Errorf("the function did not answer within %s", timeout)
		}
		return "", fmt.Errorf("invoke failed: %v", errors.Unwrap(err))
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
		return "", fmt.Errorf("Lambda answered HTTP %d: %s", resp.StatusCode, truncate(string(b), 512))
	}
	if fe := resp.Header.Get("X-Amz-Function-Error"); fe != "" {
		return "", fmt.Errorf("the function failed (%s): %s", fe, truncate(string(b), 2048))
	}
	return string(b), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
