package cli_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
)

// tool is the path of a binary that `make tools` builds into .cache/bin.
func tool(t *testing.T, root, name string) string {
	t.Helper()
	path := filepath.Join(root, ".cache", "bin", name)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s is missing (%v): run make tools", path, err)
	}
	return path
}

type cmdResult struct {
	stdout, stderr string
	code           int
}

// run runs a command line tool and returns its output and exit code.
func run(t *testing.T, bin string, args ...string) cmdResult {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cmdResult{stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		res.code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("run %s: %v", filepath.Base(bin), err)
	}
	return res
}

// mustSucceed runs the tool and fails the test unless it exits with 0.
func mustSucceed(t *testing.T, bin string, args ...string) cmdResult {
	t.Helper()
	res := run(t, bin, args...)
	if res.code != 0 {
		t.Fatalf("%s %s exited with %d\nstdout:\n%s\nstderr:\n%s", filepath.Base(bin), strings.Join(args, " "), res.code, res.stdout, res.stderr)
	}
	return res
}

// decodeJSONStream splits concatenated JSON documents, as grpcurl and buf
// curl print one per streamed message, and decodes each as a stream event.
func decodeJSONStream(t *testing.T, out string) []*mcpv1.StreamEvent {
	t.Helper()
	var events []*mcpv1.StreamEvent
	dec := json.NewDecoder(strings.NewReader(out))
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return events
		}
		if err != nil {
			t.Fatalf("decode streamed output: %v\n%s", err, out)
		}
		var res routerv1.GenerateStreamResponse
		if err := protojson.Unmarshal(raw, &res); err != nil {
			t.Fatalf("decode streamed message %s: %v", raw, err)
		}
		events = append(events, res.GetEvent())
	}
}

func decodeGenerate(t *testing.T, out string) *mcpv1.Response {
	t.Helper()
	var res routerv1.GenerateResponse
	if err := protojson.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("decode Generate output: %v\n%s", err, out)
	}
	return res.GetResponse()
}

const (
	toolsSaid        = "hello from the command line"
	toolsRequest     = `{"request": {"model": "demo", "messages": [{"role": "ROLE_USER", "content": [{"text": "hello from the command line"}]}]}}`
	toolsHotRequest  = `{"request": {"model": "demo", "messages": [{"role": "ROLE_USER", "content": [{"text": "hi"}]}], "sampling": {"temperature": 3}}}`
	temperatureField = "request.sampling.temperature"
)

// TestGRPCurl drives the gateway with grpcurl: gRPC over h2c, the schema
// from server reflection.
func TestGRPCurl(t *testing.T) {
	grpcurl := tool(t, repoRoot(t), "grpcurl")
	gw := startGateway(t)
	call := func(method string, extra ...string) []string {
		return append(append([]string{"-plaintext", "-max-time", "60"}, extra...), gw.addr, method)
	}

	t.Run("list", func(t *testing.T) {
		res := mustSucceed(t, grpcurl, "-plaintext", "-max-time", "60", gw.addr, "list")
		listed := strings.Fields(res.stdout)
		for _, want := range expectedServices(t) {
			if !slices.Contains(listed, want) {
				t.Errorf("grpcurl list = %q, missing %s", listed, want)
			}
		}
	})

	t.Run("describe", func(t *testing.T) {
		res := mustSucceed(t, grpcurl, "-plaintext", "-max-time", "60", gw.addr, "describe", routerv1connect.RouterServiceName)
		for _, want := range []string{"rpc Generate (", "rpc GenerateStream (", "returns ( stream .manifold.router.v1.GenerateStreamResponse )"} {
			if !strings.Contains(res.stdout, want) {
				t.Errorf("describe output lacks %q:\n%s", want, res.stdout)
			}
		}
	})

	t.Run("health", func(t *testing.T) {
		for _, body := range []string{`{}`, `{"service": "` + routerv1connect.RouterServiceName + `"}`} {
			res := mustSucceed(t, grpcurl, call("grpc.health.v1.Health/Check", "-d", body)...)
			var got struct{ Status string }
			if err := json.Unmarshal([]byte(res.stdout), &got); err != nil || got.Status != "SERVING" {
				t.Errorf("Check(%s) = %q (%v), want status SERVING", body, res.stdout, err)
			}
		}
	})

	t.Run("Generate", func(t *testing.T) {
		res := decodeGenerate(t, mustSucceed(t, grpcurl, call(routerv1connect.RouterServiceGenerateProcedure[1:], "-d", toolsRequest)...).stdout)
		if got := responseText(res.GetMessage()); got != demoHello+toolsSaid {
			t.Errorf("text = %q, want %q", got, demoHello+toolsSaid)
		}
		if res.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_STOP {
			t.Errorf("finish = %v, want STOP", res.GetFinishReason())
		}
		checkUsage(t, res.GetUsage())
	})

	t.Run("GenerateStream", func(t *testing.T) {
		out := mustSucceed(t, grpcurl, call(routerv1connect.RouterServiceGenerateStreamProcedure[1:], "-d", toolsRequest)...).stdout
		s := assembleStream(t, decodeJSONStream(t, out))
		if s.text != demoHello+toolsSaid || s.deltas < 2 {
			t.Errorf("streamed %q in %d deltas, want %q token by token", s.text, s.deltas, demoHello+toolsSaid)
		}
		checkUsage(t, s.usage)
	})

	t.Run("invalid argument", func(t *testing.T) {
		res := run(t, grpcurl, call(routerv1connect.RouterServiceGenerateProcedure[1:], "-format-error", "-d", toolsHotRequest)...)
		// grpcurl exits with 64 + the gRPC status code: 3 is InvalidArgument.
		if res.code != 64+3 {
			t.Errorf("exit code %d, want 67 (InvalidArgument)\nstderr:\n%s", res.code, res.stderr)
		}
		var status struct {
			Code    int
			Message string
			Details []struct {
				Type  string `json:"@type"`
				Field string
			}
		}
		if err := json.Unmarshal([]byte(res.stderr), &status); err != nil {
			t.Fatalf("decode grpcurl error %q: %v", res.stderr, err)
		}
		if status.Code != 3 || !strings.Contains(status.Message, "temperature") {
			t.Errorf("status %d %q, want 3 naming temperature", status.Code, status.Message)
		}
		if len(status.Details) != 1 || status.Details[0].Type != "type.googleapis.com/manifold.mcp.v1.ErrorDetail" || status.Details[0].Field != temperatureField {
			t.Errorf("details = %+v, want one ErrorDetail with field %s", status.Details, temperatureField)
		}
	})
}

// TestBufCurl drives the gateway with buf curl over the Connect protocol:
// on HTTP/1.1 with the schema read from the repository's proto sources, and
// on h2c with the schema from server reflection.
func TestBufCurl(t *testing.T) {
	root := repoRoot(t)
	buf := tool(t, root, "buf")
	// The proto sources import buf/validate/validate.proto, which buf.yaml
	// takes from this git-ignored copy.
	if validate := filepath.Join(root, ".cache", "protovalidate", "buf", "validate", "validate.proto"); !fileExists(validate) {
		t.Fatalf("%s is missing: run make proto-deps", validate)
	}
	gw := startGateway(t)
	schema := []string{"--protocol", "connect", "--http2-prior-knowledge=false", "--schema", filepath.Join(root, "proto")}
	reflect := []string{"--protocol", "connect", "--reflect"}
	url := func(procedure string) string { return gw.url + procedure }

	for _, mode := range []struct {
		name     string
		flags    []string
		wantHTTP string // in the -v trace
	}{
		{name: "schema over HTTP/1.1", flags: schema, wantHTTP: "< (#1) HTTP/1.1 200 OK"},
		{name: "reflection over h2c", flags: reflect, wantHTTP: "HTTP/2.0 200 OK"},
	} {
		t.Run(mode.name, func(t *testing.T) {
			t.Run("Generate", func(t *testing.T) {
				args := append(slices.Clone(mode.flags), "-v", "-d", toolsRequest, url(routerv1connect.RouterServiceGenerateProcedure))
				res := mustSucceed(t, buf, append([]string{"curl"}, args...)...)
				if !strings.Contains(res.stderr, mode.wantHTTP) {
					t.Errorf("buf curl -v trace lacks %q:\n%s", mode.wantHTTP, res.stderr)
				}
				r := decodeGenerate(t, res.stdout)
				if got := responseText(r.GetMessage()); got != demoHello+toolsSaid {
					t.Errorf("text = %q, want %q", got, demoHello+toolsSaid)
				}
				checkUsage(t, r.GetUsage())
			})
			t.Run("GenerateStream", func(t *testing.T) {
				args := append(slices.Clone(mode.flags), "-v", "-d", toolsRequest, url(routerv1connect.RouterServiceGenerateStreamProcedure))
				res := mustSucceed(t, buf, append([]string{"curl"}, args...)...)
				if !strings.Contains(res.stderr, mode.wantHTTP) {
					t.Errorf("buf curl -v trace lacks %q:\n%s", mode.wantHTTP, res.stderr)
				}
				s := assembleStream(t, decodeJSONStream(t, res.stdout))
				if s.text != demoHello+toolsSaid || s.deltas < 2 {
					t.Errorf("streamed %q in %d deltas, want %q token by token", s.text, s.deltas, demoHello+toolsSaid)
				}
				checkUsage(t, s.usage)
			})
		})
	}

	t.Run("invalid argument", func(t *testing.T) {
		args := append(slices.Clone(schema), "-d", toolsHotRequest, url(routerv1connect.RouterServiceGenerateProcedure))
		res := run(t, buf, append([]string{"curl"}, args...)...)
		// buf curl exits with the gRPC code shifted left by three bits.
		if res.code != 3<<3 {
			t.Errorf("exit code %d, want 24 (InvalidArgument)\nstderr:\n%s", res.code, res.stderr)
		}
		var status struct {
			Code    string
			Details []struct {
				Type  string
				Debug struct{ Field string }
			}
		}
		if err := json.Unmarshal([]byte(res.stderr), &status); err != nil {
			t.Fatalf("decode buf curl error %q: %v", res.stderr, err)
		}
		if status.Code != "invalid_argument" || len(status.Details) != 1 ||
			status.Details[0].Type != "manifold.mcp.v1.ErrorDetail" || status.Details[0].Debug.Field != temperatureField {
			t.Errorf("error = %+v, want invalid_argument with an ErrorDetail naming %s", status, temperatureField)
		}
	})
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
