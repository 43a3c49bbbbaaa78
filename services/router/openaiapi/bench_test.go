package openaiapi_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func BenchmarkChatCompletions(b *testing.B) {
	const body = `{"model":"demo","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Tell me something about gateways and streaming, please."}],"temperature":0.3,"max_completion_tokens":256}`
	for _, bc := range []struct{ name, body string }{
		{"json", body},
		{"stream", strings.Replace(body, `{`, `{"stream":true,"stream_options":{"include_usage":true},`, 1)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := serve(b, demoRouter())
			client := srv.Client()
			b.ReportAllocs()
			for b.Loop() {
				res, err := client.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(bc.body))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, res.Body); err != nil {
					b.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatalf("status %d", res.StatusCode)
				}
			}
		})
	}
}
