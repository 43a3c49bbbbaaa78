// Command stream asks a Manifold gateway for an answer and prints it as it
// streams in, over the Connect protocol (HTTP/1.1) or gRPC (HTTP/2 without
// TLS), with the generated Go client.
//
//	go run ./examples/go --server http://localhost:8080 --protocol grpc "Hello, Manifold!"
//
// MANIFOLD_API_KEY, when set, is sent as the bearer token of a virtual key.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"

	"connectrpc.com/connect"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Getenv("MANIFOLD_API_KEY"), os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "stream: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, apiKey string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("stream", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "http://localhost:8080", "base URL of the gateway")
	protocol := fs.String("protocol", "connect", "connect (HTTP/1.1) or grpc (HTTP/2 without TLS)")
	model := fs.String("model", "demo", "model or route alias")
	if err := fs.Parse(args); err != nil {
		return err
	}
	prompt := strings.Join(fs.Args(), " ")
	if prompt == "" {
		prompt = "Hello, Manifold!"
	}

	var protocols http.Protocols
	var opts []connect.ClientOption
	switch *protocol {
	case "connect":
		protocols.SetHTTP1(true)
	case "grpc":
		// gRPC needs HTTP/2; the gateway speaks it in cleartext (h2c).
		protocols.SetUnencryptedHTTP2(true)
		opts = append(opts, connect.WithGRPC())
	default:
		return fmt.Errorf("unknown --protocol %q: want connect or grpc", *protocol)
	}
	httpClient := &http.Client{Transport: &http.Transport{Protocols: &protocols}}
	client := routerv1connect.NewRouterServiceClient(httpClient, *server, opts...)

	req := connect.NewRequest(&routerv1.GenerateStreamRequest{Request: &mcpv1.Request{
		Model: *model,
		Messages: []*mcpv1.Message{{
			Role:    mcpv1.Role_ROLE_USER,
			Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: prompt}}},
		}},
	}})
	if apiKey != "" {
		req.Header().Set("Authorization", "Bearer "+apiKey)
	}
	stream, err := client.GenerateStream(ctx, req)
	if err != nil {
		return err
	}
	defer stream.Close()

	pieces := 0
	var usage *mcpv1.Usage
	var finish *mcpv1.StreamFinish
	for stream.Receive() {
		switch ev := stream.Msg().GetEvent().GetEvent().(type) {
		case *mcpv1.StreamEvent_TextDelta:
			pieces++
			fmt.Fprint(stdout, ev.TextDelta.GetText())
		case *mcpv1.StreamEvent_Usage:
			usage = ev.Usage
		case *mcpv1.StreamEvent_Finish:
			finish = ev.Finish
		case *mcpv1.StreamEvent_Error:
			return fmt.Errorf("stream failed: %s", ev.Error.GetMessage())
		}
	}
	if err := stream.Err(); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	fmt.Fprintf(stderr, "streamed in %d pieces; %d input tokens, %d output tokens; finish %s\n",
		pieces, usage.GetInputTokens(), usage.GetOutputTokens(), finishName(finish))
	return nil
}

// finishName is the finish reason without its enum prefix, e.g. "stop".
func finishName(f *mcpv1.StreamFinish) string {
	return strings.ToLower(strings.TrimPrefix(f.GetFinishReason().String(), "FINISH_REASON_"))
}
