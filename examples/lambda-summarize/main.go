// Command lambda-summarize is an AWS Lambda function behind an API Gateway
// proxy integration: POST {"text": "..."} and it answers {"summary": "..."},
// summarised by a prompt published as an API on a Manifold gateway
// (POST /apis/{slug}). template.yaml deploys it with SAM.
//
// Environment: MANIFOLD_URL (the gateway), MANIFOLD_PROMPT_API (the slug)
// and MANIFOLD_API_KEY (a virtual key scoped to that prompt API).
package main

import (
	"fmt"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	// The invocation's deadline bounds each call to the gateway.
	s, err := NewSummarizer(ConfigFromEnv(os.Getenv), &http.Client{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "lambda-summarize: %v\n", err)
		os.Exit(1)
	}
	lambda.Start(s.Handle)
}
