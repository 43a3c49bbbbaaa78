package server

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// TestCompressionThreshold: a Connect client that accepts gzip gets small
// answers as they are and large ones compressed.
func TestCompressionThreshold(t *testing.T) {
	srv, err := New(DefaultConfig(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv.Handle("/test.v1.TestService/Echo", connect.NewUnaryHandler("/test.v1.TestService/Echo",
		func(_ context.Context, req *connect.Request[wrapperspb.StringValue]) (*connect.Response[wrapperspb.StringValue], error) {
			return connect.NewResponse(req.Msg), nil
		}, srv.HandlerOptions()...))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	defer func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()

	for _, tc := range []struct {
		size int
		want string
	}{{size: 10, want: ""}, {size: 4 << 10, want: "gzip"}} {
		body, err := protojson.Marshal(&wrapperspb.StringValue{Value: strings.Repeat("a", tc.size)})
		if err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+"/test.v1.TestService/Echo", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept-Encoding", "gzip")
		// The transport would otherwise ask for gzip itself and hide the
		// header.
		res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != tc.want {
			t.Errorf("%d-byte answer: status %d, Content-Encoding %q, want %q", tc.size, res.StatusCode, res.Header.Get("Content-Encoding"), tc.want)
		}
	}
}
