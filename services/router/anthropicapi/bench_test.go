package anthropicapi_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func BenchmarkMessages(b *testing.B) {
	const body = `{"model":"demo","max_tokens":256,"system":"You are terse.","messages":[{"role":"user","content":"Tell me something about gateways and streaming, please."}],"temperature":0.3}`
	for _, bc := range []struct{ name, body string }{
		{"json", body},
		{"stream", strings.Replace(body, `{`, `{"stream":true,`, 1)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := serve(b, demoRouter())
			client := srv.Client()
			b.ReportAllocs()
			for b.Loop() {
				res, err := client.Post(srv.URL+"/v1/messages", "application/json", strings.NewReader(bc.body))
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
