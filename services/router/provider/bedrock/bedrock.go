// Package bedrock is the provider adapter for AWS Bedrock's Converse and
// ConverseStream APIs, and InvokeModel for Titan and Cohere embeddings.
// Calls are signed with SigV4 (service "bedrock") from the call's AWS
// credentials; streams are read as binary application/vnd.amazon.eventstream
// frames.
//
// Mapping choices worth knowing:
//   - Tool names: Bedrock allows [a-zA-Z][a-zA-Z0-9_]*, Manifold also allows
//     hyphens and a leading digit or underscore. Such names are rewritten
//     (hyphen → underscore, "t_" prefix) and mapped back in answers; two
//     names that rewrite alike are refused as invalid.
//   - JSON output (JSON object or schema) is asked for with a forced tool,
//     manifold_json_output, whose input is returned as the answer's text.
//   - Usage: Bedrock's inputTokens excludes prompt-cache reads and writes,
//     which it reports separately; input_tokens is their sum.
//   - Images are taken as bytes, data: URLs or s3:// locations; https URLs
//     are unsupported, as Bedrock does not fetch them.
package bedrock

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/encoding/httpbinding"
	fastjson "github.com/goccy/go-json"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/router/provider"
)

// signingName is Bedrock's SigV4 service name (the endpoint says
// bedrock-runtime, the signature says bedrock).
const signingName = "bedrock"

// defaultRegion is used when neither the config nor the base URL names one.
const defaultRegion = "us-east-1"

// Adapter calls Bedrock Converse.
type Adapter struct {
	name    string
	base    string
	region  string
	headers map[string]string
	client  *http.Client
	signer  *v4.Signer
	now     func() time.Time
}

var _ provider.Provider = (*Adapter)(nil)

// New returns an adapter for cfg. The base URL defaults to
// https://bedrock-runtime.{region}.amazonaws.com; the region defaults to the
// one in the base URL's host, then us-east-1.
func New(cfg provider.Config) *Adapter {
	region := cfg.Region
	base := strings.TrimRight(cfg.BaseURL, "/")
	if region == "" {
		region = regionOf(base)
	}
	if base == "" {
		base = "https://bedrock-runtime." + region + ".amazonaws.com"
	}
	client := cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	name := cfg.Name
	if name == "" {
		name = "bedrock"
	}
	return &Adapter{
		name:    name,
		base:    base,
		region:  region,
		headers: cfg.Headers,
		client:  client,
		signer:  v4.NewSigner(),
		now:     time.Now,
	}
}

// regionOf reads the region from a bedrock-runtime[-fips].{region}.amazonaws.com
// base URL.
func regionOf(base string) string {
	host := base
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	host, _, _ = strings.Cut(host, "/")
	parts := strings.Split(host, ".")
	if len(parts) >= 4 && strings.HasPrefix(parts[0], "bedrock-runtime") && parts[2] == "amazonaws" {
		return parts[1]
	}
	return defaultRegion
}

// Generate calls Converse.
func (a *Adapter) Generate(ctx context.Context, call *provider.Call) (*mcpv1.Response, error) {
	t, err := translate(call.Request)
	if err != nil {
		return nil, a.tag(err)
	}
	resp, err := a.send(ctx, call.Model, call.Credential, "converse", "application/json", &t.body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out converseResponse
	if err := fastjson.NewDecoder(resp.Body).Decode(&out); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, a.transportError(ctxErr)
		}
		return nil, a.protocolError(resp.StatusCode, "decode Converse response: %v", err)
	}
	drain(resp.Body)
	return t.response(&out), nil
}

// send signs and posts body to /model/{model}/{op} and returns a 200
// response; any other status becomes a classified error.
func (a *Adapter) send(ctx context.Context, model string, cred provider.Credential, op, accept string, body any) (*http.Response, error) {
	if cred.AccessKeyID == "" || cred.SecretAccessKey == "" {
		return nil, &apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, Message: "Bedrock needs an AWS access key id and secret access key", Provider: a.name}
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return nil, apierror.Internal(fmt.Errorf("encode Bedrock request: %w", err))
	}
	// The model id is one path segment: ':' and '/' in ids and ARNs are
	// escaped as the AWS SDKs do.
	url := a.base + "/model/" + httpbinding.EscapePath(model, true) + "/" + op
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return nil, apierror.Internal(fmt.Errorf("build Bedrock request: %w", err))
	}
	for k, v := range a.headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", accept)
	sum := sha256.Sum256(payload)
	creds := aws.Credentials{AccessKeyID: cred.AccessKeyID, SecretAccessKey: cred.SecretAccessKey, SessionToken: cred.SessionToken}
	if err := a.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), signingName, a.region, a.now()); err != nil {
		return nil, apierror.Internal(fmt.Errorf("sign Bedrock request: %w", err))
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, a.transportError(err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, a.statusError(resp)
	}
	return resp, nil
}

// transportError classifies a failure to reach Bedrock or read its answer.
func (a *Adapter) transportError(err error) *apierror.Error {
	e := &apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, Message: "Bedrock unreachable: " + err.Error(), Provider: a.name, Cause: err}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		e.Class, e.Message = mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT, "Bedrock call timed out"
	case errors.Is(err, context.Canceled):
		e.Class, e.Message = mcpv1.ErrorClass_ERROR_CLASS_CANCELLED, "Bedrock call cancelled"
	}
	return e
}

func (a *Adapter) protocolError(status int, format string, args ...any) *apierror.Error {
	return &apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL, Message: fmt.Sprintf(format, args...), Provider: a.name, UpstreamStatus: status}
}

// tag marks a request-translation error as this provider's.
func (a *Adapter) tag(err error) error {
	var e *apierror.Error
	if errors.As(err, &e) {
		e.Provider = a.name
	}
	return err
}

// drain reads a little of what is left so the connection can be reused.
func drain(r io.Reader) { _, _ = io.CopyN(io.Discard, r, 4<<10) }
