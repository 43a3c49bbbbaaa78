package server

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/emptypb"
)

// TestShutdownEndsWatchesAndDrainsStreams: a graceful shutdown ends watch
// streams at once with Unavailable (watchers resume elsewhere), lets another
// server stream finish, and returns without running into its timeout.
func TestShutdownEndsWatchesAndDrainsStreams(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ShutdownTimeout = 5 * time.Second // a bound: failing to end the watch shows as a timeout
	srv, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	// A watch: one message, then waits for changes that never come.
	srv.Handle("/test.v1.TestService/WatchThings", connect.NewServerStreamHandler("/test.v1.TestService/WatchThings",
		func(ctx context.Context, _ *connect.Request[emptypb.Empty], stream *connect.ServerStream[emptypb.Empty]) error {
			if err := stream.Send(&emptypb.Empty{}); err != nil {
				return err
			}
			<-ctx.Done()
			return nil
		}, srv.HandlerOptions()...))
	// A finite stream: one message, then a second once released.
	release := make(chan struct{})
	srv.Handle("/test.v1.TestService/StreamThings", connect.NewServerStreamHandler("/test.v1.TestService/StreamThings",
		func(ctx context.Context, _ *connect.Request[emptypb.Empty], stream *connect.ServerStream[emptypb.Empty]) error {
			if err := stream.Send(&emptypb.Empty{}); err != nil {
				return err
			}
			<-release
			return stream.Send(&emptypb.Empty{})
		}, srv.HandlerOptions()...))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()

	base := "http://" + ln.Addr().String()
	watch := connect.NewClient[emptypb.Empty, emptypb.Empty](http.DefaultClient, base+"/test.v1.TestService/WatchThings")
	finite := connect.NewClient[emptypb.Empty, emptypb.Empty](http.DefaultClient, base+"/test.v1.TestService/StreamThings")
	// Bounded, so that a watch the shutdown does not end fails the test.
	callCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w, err := watch.CallServerStream(callCtx, connect.NewRequest(&emptypb.Empty{}))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	f, err := finite.CallServerStream(callCtx, connect.NewRequest(&emptypb.Empty{}))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !w.Receive() || !f.Receive() {
		t.Fatalf("first messages: watch %v, stream %v", w.Err(), f.Err())
	}

	stop() // SIGTERM
	if w.Receive() {
		t.Fatal("the watch sent another message after shutdown began")
	}
	if connect.CodeOf(w.Err()) != connect.CodeUnavailable {
		t.Fatalf("watch ended with %v, want unavailable", w.Err())
	}
	close(release)
	if !f.Receive() {
		t.Fatalf("the finite stream lost its second message: %v", f.Err())
	}
	if f.Receive() || f.Err() != nil {
		t.Fatalf("finite stream end: %v", f.Err())
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve after the drain: %v", err)
	}
}
