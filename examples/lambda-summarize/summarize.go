package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// maxTextBytes bounds the text one call may summarise.
const maxTextBytes = 64 << 10

// Summarizer answers API Gateway proxy events by calling a prompt API
// published on a Manifold gateway.
type Summarizer struct {
	endpoint string // the prompt API: <gateway>/apis/<slug>
	apiKey   string // a virtual key scoped to the prompt API; may be empty
	client   *http.Client
}

// Config is the function's configuration, from its environment.
type Config struct {
	GatewayURL string // MANIFOLD_URL, e.g. https://manifold.example.com
	PromptAPI  string // MANIFOLD_PROMPT_API, the slug the prompt is published at
	APIKey     string // MANIFOLD_API_KEY
}

// ConfigFromEnv reads the configuration with getenv.
func ConfigFromEnv(getenv func(string) string) Config {
	return Config{
		GatewayURL: getenv("MANIFOLD_URL"),
		PromptAPI:  getenv("MANIFOLD_PROMPT_API"),
		APIKey:     getenv("MANIFOLD_API_KEY"),
	}
}

// NewSummarizer checks the configuration and returns the handler.
func NewSummarizer(c Config, client *http.Client) (*Summarizer, error) {
	u, err := url.Parse(c.GatewayURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("MANIFOLD_URL %q: want the gateway's http:// or https:// base URL", c.GatewayURL)
	}
	if c.PromptAPI == "" || strings.ContainsAny(c.PromptAPI, "/?#") {
		return nil, fmt.Errorf("MANIFOLD_PROMPT_API %q: want the slug of a published prompt API", c.PromptAPI)
	}
	return &Summarizer{
		endpoint: strings.TrimSuffix(u.String(), "/") + "/apis/" + c.PromptAPI,
		apiKey:   c.APIKey,
		client:   client,
	}, nil
}

// request is the body the function accepts.
type request struct {
	Text string `json:"text"`
}

// summary is the body the function answers with.
type summary struct {
	Summary      string `json:"summary"`
	InputTokens  int64  `json:"input_tokens"`
	OutputTokens int64  `json:"output_tokens"`
}

// promptAnswer is the prompt API's JSON answer (the fields used here).
type promptAnswer struct {
	Output any `json:"output"`
	Usage  struct {
		InputTokens  int64 `json:"input_tokens"`
		OutputTokens int64 `json:"output_tokens"`
	} `json:"usage"`
}

// promptError is the prompt API's error body.
type promptError struct {
	Error struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
}

// Handle summarises the text in the event's body: {"text": "..."}. A bad
// body gets a 400; a gateway failure a 502 with the gateway's message.
func (s *Summarizer) Handle(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	text, err := readText(ev)
	if err != nil {
		return reply(http.StatusBadRequest, map[string]string{"error": err.Error()}), nil
	}
	ans, status, err := s.callPromptAPI(ctx, text)
	if err != nil {
		return reply(status, map[string]string{"error": err.Error()}), nil
	}
	out, ok := ans.Output.(string)
	if !ok {
		// A prompt that asks for JSON answers with a JSON value.
		b, _ := json.Marshal(ans.Output)
		out = string(b)
	}
	return reply(http.StatusOK, summary{Summary: out, InputTokens: ans.Usage.InputTokens, OutputTokens: ans.Usage.OutputTokens}), nil
}

func readText(ev events.APIGatewayProxyRequest) (string, error) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return "", errors.New("the body is not valid base64")
		}
		body = b
	}
	if len(body) > maxTextBytes+1024 {
		return "", fmt.Errorf("the body is larger than %d bytes", maxTextBytes)
	}
	var req request
	if err := json.Unmarshal(body, &req); err != nil {
		return "", errors.New(`the body must be JSON: {"text": "..."}`)
	}
	switch {
	case strings.TrimSpace(req.Text) == "":
		return "", errors.New(`"text" is missing or empty`)
	case len(req.Text) > maxTextBytes:
		return "", fmt.Errorf(`"text" is longer than %d bytes`, maxTextBytes)
	}
	return req.Text, nil
}

// callPromptAPI posts the text as the prompt's `text` variable. On failure
// it returns the status to answer with: 400 when the gateway refused the
// text itself, else 502.
func (s *Summarizer) callPromptAPI(ctx context.Context, text string) (promptAnswer, int, error) {
	var ans promptAnswer
	body, err := json.Marshal(map[string]string{"text": text})
	if err != nil {
		return ans, http.StatusInternalServerError, fmt.Errorf("encode variables: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, bytes.NewReader(body))
	if err != nil {
		return ans, http.StatusInternalServerError, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if s.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+s.apiKey)
	}
	res, err := s.client.Do(req)
	if err != nil {
		return ans, http.StatusBadGateway, errors.New("the Manifold gateway cannot be reached")
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return ans, http.StatusBadGateway, errors.New("reading the Manifold gateway's answer failed")
	}
	if res.StatusCode != http.StatusOK {
		var e promptError
		msg := res.Status
		if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
			msg = e.Error.Type + ": " + e.Error.Message
		}
		status := http.StatusBadGateway
		if res.StatusCode == http.StatusBadRequest {
			status = http.StatusBadRequest
		}
		return ans, status, fmt.Errorf("manifold: %s", msg)
	}
	if err := json.Unmarshal(b, &ans); err != nil {
		return ans, http.StatusBadGateway, errors.New("the Manifold gateway's answer is not JSON")
	}
	return ans, http.StatusOK, nil
}

func reply(status int, v any) events.APIGatewayProxyResponse {
	b, _ := json.Marshal(v)
	return events.APIGatewayProxyResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(b),
	}
}
