package bedrock

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Test credentials the emulator accepts by default (the example key pair
// from AWS's SigV4 documentation).
const (
	AccessKeyID     = "AKIDEXAMPLE"
	SecretAccessKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	// Region is the region the emulator serves; signatures must be scoped
	// to it.
	Region = "us-east-1"
)

// maxSkew is how far a request's X-Amz-Date may be from the emulator's
// clock, as AWS allows.
const maxSkew = 15 * time.Minute

type credential struct {
	secret string
	token  string
}

// authFailure is a 403 in AWS's shape.
type authFailure struct {
	typ string
	msg string
}

const signatureMismatch = "The request signature we calculated does not match the signature you provided. " +
	"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

// verify checks a request's SigV4 signature for real: it parses the
// Authorization header, looks up the secret for its access key, signs a
// copy of the request (signed headers only, the received body's SHA-256)
// with the AWS SDK's signer and compares the signatures.
func (e *Emulator) verify(r *http.Request, body []byte) *authFailure {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return &authFailure{"MissingAuthenticationTokenException", "Missing Authentication Token"}
	}
	const algorithm = "AWS4-HMAC-SHA256 "
	if !strings.HasPrefix(auth, algorithm) {
		return &authFailure{"IncompleteSignatureException", "Authorization header requires the AWS4-HMAC-SHA256 algorithm."}
	}
	var credentialField, signedHeaders, signature string
	for _, f := range strings.Split(strings.TrimPrefix(auth, algorithm), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		switch k {
		case "Credential":
			credentialField = v
		case "SignedHeaders":
			signedHeaders = v
		case "Signature":
			signature = v
		}
	}
	scope := strings.Split(credentialField, "/")
	if len(scope) != 5 || signedHeaders == "" || signature == "" || scope[4] != "aws4_request" {
		return &authFailure{"IncompleteSignatureException", "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization=" + auth}
	}
	keyID, day, region, service := scope[0], scope[1], scope[2], scope[3]
	e.mu.Lock()
	cred, known := e.credentials[keyID]
	now := e.now()
	e.mu.Unlock()
	if !known {
		return &authFailure{"UnrecognizedClientException", "The security token included in the request is invalid."}
	}
	if token := r.Header.Get("X-Amz-Security-Token"); token != cred.token {
		return &authFailure{"UnrecognizedClientException", "The security token included in the request is invalid."}
	}
	signedAt, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return &authFailure{"IncompleteSignatureException", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."}
	}
	if d := now.Sub(signedAt); d > maxSkew || d < -maxSkew {
		return &authFailure{"InvalidSignatureException", "Signature expired: " + signedAt.Format("20060102T150405Z") +
			" is now earlier than " + now.Add(-maxSkew).UTC().Format("20060102T150405Z")}
	}
	if day != signedAt.Format("20060102") {
		return &authFailure{"InvalidSignatureException", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP"}
	}
	if region != e.region {
		return &authFailure{"InvalidSignatureException", "Credential should be scoped to a valid region."}
	}
	if service != "bedrock" {
		return &authFailure{"InvalidSignatureException", "Credential should be scoped to correct service: 'bedrock'."}
	}
	names := strings.Split(signedHeaders, ";")
	hostSigned := false
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	cp := &http.Request{Method: r.Method, URL: &u, Host: r.Host, Header: http.Header{}, ContentLength: int64(len(body))}
	for _, n := range names {
		switch n {
		case "host":
			hostSigned = true
		case "content-length":
		default:
			vals := r.Header.Values(n)
			if len(vals) == 0 {
				return &authFailure{"InvalidSignatureException", signatureMismatch}
			}
			cp.Header[http.CanonicalHeaderKey(n)] = vals
		}
	}
	if !hostSigned {
		return &authFailure{"InvalidSignatureException", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."}
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: cred.secret, SessionToken: cred.token}
	if err := v4.NewSigner().SignHTTP(r.Context(), creds, cp, hex.EncodeToString(sum[:]), service, region, signedAt); err != nil {
		return &authFailure{"InvalidSignatureException", signatureMismatch}
	}
	want := cp.Header.Get("Authorization")
	if !hmac.Equal([]byte(want), []byte(auth)) {
		return &authFailure{"InvalidSignatureException", signatureMismatch}
	}
	return nil
}

// modelID extracts the model id and operation from an escaped request path
// /model/{modelId}/{operation}.
func modelID(r *http.Request) (id, op string, ok bool) {
	parts := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	if len(parts) != 3 || parts[0] != "model" {
		return "", "", false
	}
	id, err := url.PathUnescape(parts[1])
	if err != nil || id == "" {
		return "", "", false
	}
	return id, parts[2], true
}
