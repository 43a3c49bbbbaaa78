package bedrock_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/manifoldgw/manifold/services/internal/emulator"
	bedrockemu "github.com/manifoldgw/manifold/services/internal/emulator/bedrock"
)

const path = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/"

type signing struct {
	secret string
	region string
	at     time.Time
	tamper func(*http.Request)
}

// post sends body to op, signed with the AWS SDK's signer as configured.
func post(t *testing.T, srv *httptest.Server, op, body string, s signing) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+path+op, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if s.secret != "" {
		if s.region == "" {
			s.region = bedrockemu.Region
		}
		if s.at.IsZero() {
			s.at = time.Now()
		}
		sum := sha256.Sum256([]byte(body))
		creds := aws.Credentials{AccessKeyID: bedrockemu.AccessKeyID, SecretAccessKey: s.secret}
		if err := v4.NewSigner().SignHTTP(t.Context(), creds, req, hex.EncodeToString(sum[:]), "bedrock", s.region, s.at); err != nil {
			t.Fatal(err)
		}
	}
	if s.tamper != nil {
		s.tamper(req)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

var good = signing{secret: bedrockemu.SecretAccessKey}

func wantError(t *testing.T, resp *http.Response, status int, typ, msgPart string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("status = %d, want %d", resp.StatusCode, status)
	}
	if got := resp.Header.Get("X-Amzn-Errortype"); !strings.HasPrefix(got, typ+":") {
		t.Errorf("x-amzn-ErrorType = %q, want %s", got, typ)
	}
	if resp.Header.Get("X-Amzn-Requestid") == "" {
		t.Error("no x-amzn-RequestId")
	}
	var body struct {
		Message string `json:"message"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("error body: %v", err)
	}
	if !strings.Contains(body.Message, msgPart) {
		t.Errorf("message = %q, want it to contain %q", body.Message, msgPart)
	}
}

const hello = `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`

func TestSignatureIsVerified(t *testing.T) {
	emu := bedrockemu.New()
	srv := httptest.NewServer(emu)
	defer srv.Close()

	if resp := post(t, srv, "converse", hello, good); resp.StatusCode != http.StatusOK {
		t.Fatalf("correctly signed request: status %d", resp.StatusCode)
	}
	cases := []struct {
		name string
		s    signing
		body string
		typ  string
		msg  string
	}{
		{"unsigned", signing{}, hello, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"wrong secret", signing{secret: "wrong"}, hello, "InvalidSignatureException", "does not match"},
		{"wrong region", signing{secret: bedrockemu.SecretAccessKey, region: "eu-west-1"}, hello, "InvalidSignatureException", "region"},
		{"expired", signing{secret: bedrockemu.SecretAccessKey, at: time.Now().Add(-time.Hour)}, hello, "InvalidSignatureException", "Signature expired"},
		{"tampered header", signing{secret: bedrockemu.SecretAccessKey, tamper: func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }}, hello, "InvalidSignatureException", "does not match"},
		{"tampered body", signing{secret: bedrockemu.SecretAccessKey, tamper: func(r *http.Request) {
			b := `{"messages":[{"role":"user","content":[{"text":"ho"}]}]}`
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(b)), int64(len(b))
		}}, hello, "InvalidSignatureException", "does not match"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, post(t, srv, "converse", tc.body, tc.s), http.StatusForbidden, tc.typ, tc.msg)
		})
	}
}

func TestValidation(t *testing.T) {
	emu := bedrockemu.New()
	srv := httptest.NewServer(emu)
	defer srv.Close()
	cases := map[string]struct{ body, msg string }{
		"not JSON":        {`{"messages":`, "Malformed input request"},
		"unknown field":   {`{"messages":[{"role":"user","content":[{"text":"hi"}]}],"max_tokens":5}`, "Malformed input request"},
		"no messages":     {`{}`, "must start with a user message"},
		"not alternating": {`{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"user","content":[{"text":"b"}]}]}`, "must alternate"},
		"two members":     {`{"messages":[{"role":"user","content":[{"text":"a","image":{"format":"png","source":{"bytes":"AA=="}}}]}]}`, "must set one of"},
		"bad image":       {`{"messages":[{"role":"user","content":[{"image":{"format":"bmp","source":{"bytes":"AA=="}}}]}]}`, "enum value set"},
		"hyphenated tool": {`{"messages":[{"role":"user","content":[{"text":"a"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"get-weather","inputSchema":{"json":{}}}}]}}`, "regular expression"},
		"tool blocks without toolConfig": {`{"messages":[{"role":"user","content":[{"text":"a"}]},` +
			`{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"f","input":{}}}]},` +
			`{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"x"}]}}]}]}`, "toolConfig field must be defined"},
		"unknown tool result id": {`{"messages":[{"role":"user","content":[{"text":"a"}]},` +
			`{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"f","input":{}}}]},` +
			`{"role":"user","content":[{"toolResult":{"toolUseId":"t2","content":[{"text":"x"}]}}]}],` +
			`"toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{}}}}]}}`, "Expected toolResult blocks"},
		"temperature": {`{"messages":[{"role":"user","content":[{"text":"a"}]}],"inferenceConfig":{"temperature":1.5}}`, "temperature"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			wantError(t, post(t, srv, "converse", tc.body, good), http.StatusBadRequest, "ValidationException", tc.msg)
		})
	}
	if got := len(emu.Requests()); got != len(cases) {
		t.Errorf("recorded %d requests, want %d", got, len(cases))
	}
}

// frames decodes an eventstream body. It reports the error that ended it
// and how many bytes of an incomplete frame were left.
func frames(t *testing.T, body io.Reader) ([]eventstream.Message, int, error) {
	t.Helper()
	raw, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	r := bytes.NewReader(raw)
	dec := eventstream.NewDecoder()
	var out []eventstream.Message
	for {
		left := r.Len()
		m, err := dec.Decode(r, nil)
		if err != nil {
			return out, left, err
		}
		out = append(out, m.Clone())
	}
}

func header(m eventstream.Message, name string) string {
	if v := m.Headers.Get(name); v != nil {
		return v.String()
	}
	return ""
}

func TestStreamFrames(t *testing.T) {
	emu := bedrockemu.New()
	srv := httptest.NewServer(emu)
	defer srv.Close()
	resp := post(t, srv, "converse-stream", hello, good)
	if ct := resp.Header.Get("Content-Type"); ct != "application/vnd.amazon.eventstream" {
		t.Errorf("content-type = %q", ct)
	}
	ms, left, err := frames(t, resp.Body)
	if !errors.Is(err, io.EOF) || left != 0 {
		t.Fatalf("stream ended with %v", err)
	}
	var types []string
	var text string
	for _, m := range ms {
		if header(m, ":message-type") != "event" || header(m, ":content-type") != "application/json" {
			t.Errorf("headers = %v", m.Headers)
		}
		var p struct {
			P     string `json:"p"`
			Delta struct {
				Text string `json:"text"`
			} `json:"delta"`
		}
		if err := json.Unmarshal(m.Payload, &p); err != nil || p.P == "" {
			t.Errorf("payload %s: %v (padding %q)", m.Payload, err, p.P)
		}
		text += p.Delta.Text
		types = append(types, header(m, ":event-type"))
	}
	want := "messageStart contentBlockDelta contentBlockDelta contentBlockDelta contentBlockStop messageStop metadata"
	if strings.Join(types, " ") != want {
		t.Errorf("events = %v", types)
	}
	if text != "Echo: hi" {
		t.Errorf("text = %q", text)
	}
}

func TestStreamFaultFrames(t *testing.T) {
	cases := []struct {
		name   string
		fault  emulator.Fault
		opts   bedrockemu.Options
		frames int
		check  func(t *testing.T, ms []eventstream.Message, err error, left int)
	}{
		{"cut between frames", emulator.Fault{CutAfterChunks: 2}, bedrockemu.Options{}, 2, func(t *testing.T, _ []eventstream.Message, err error, left int) {
			if !errors.Is(err, io.EOF) || left != 0 {
				t.Errorf("err = %v with %d bytes left, want a clean EOF", err, left)
			}
		}},
		{"cut mid-frame", emulator.Fault{CutAfterChunks: 2}, bedrockemu.Options{CutMidFrame: true}, 2, func(t *testing.T, _ []eventstream.Message, err error, left int) {
			if err == nil || left == 0 {
				t.Errorf("err = %v with %d bytes left, want part of a frame", err, left)
			}
		}},
		{"bad CRC", emulator.Fault{MalformedAfterChunks: 2}, bedrockemu.Options{CorruptCRC: true}, 2, func(t *testing.T, _ []eventstream.Message, err error, _ int) {
			var ce eventstream.ChecksumError
			if !errors.As(err, &ce) {
				t.Errorf("err = %v, want a checksum error", err)
			}
		}},
		{"malformed JSON", emulator.Fault{MalformedAfterChunks: 2}, bedrockemu.Options{}, 3, func(t *testing.T, ms []eventstream.Message, _ error, _ int) {
			if json.Valid(ms[2].Payload) {
				t.Errorf("payload %s is valid JSON", ms[2].Payload)
			}
		}},
		{"exception", emulator.Fault{ErrorAfterChunks: 2}, bedrockemu.Options{StreamException: "throttlingException", StreamExceptionMessage: "slow down"}, 3, func(t *testing.T, ms []eventstream.Message, _ error, _ int) {
			m := ms[2]
			if header(m, ":message-type") != "exception" || header(m, ":exception-type") != "throttlingException" || !bytes.Contains(m.Payload, []byte("slow down")) {
				t.Errorf("exception frame = %v %s", m.Headers, m.Payload)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			emu := bedrockemu.New()
			srv := httptest.NewServer(emu)
			defer srv.Close()
			emu.SetOptions(tc.opts)
			emu.Script(tc.fault)
			ms, left, err := frames(t, post(t, srv, "converse-stream", hello, good).Body)
			if len(ms) != tc.frames {
				t.Fatalf("decoded %d frames, want %d (err %v)", len(ms), tc.frames, err)
			}
			tc.check(t, ms, err, left)
		})
	}
}

func TestScriptedStatus(t *testing.T) {
	emu := bedrockemu.New()
	srv := httptest.NewServer(emu)
	defer srv.Close()
	emu.Script(emulator.Fault{Status: 429, Headers: map[string]string{"Retry-After": "3"}})
	resp := post(t, srv, "converse", hello, good)
	if resp.Header.Get("Retry-After") != "3" {
		t.Errorf("retry-after = %q", resp.Header.Get("Retry-After"))
	}
	wantError(t, resp, http.StatusTooManyRequests, "ThrottlingException", "Too many requests")
	if resp := post(t, srv, "converse", hello, good); resp.StatusCode != http.StatusOK {
		t.Errorf("fault applied twice: %d", resp.StatusCode)
	}
}
