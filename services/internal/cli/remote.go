package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/manifoldgw/manifold/services/internal/access"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

// remote holds what every admin command shares: where the gateway is, the
// admin key, and the output format.
type remote struct {
	server string
	token  string
	output string
}

// register adds --server, --token and --output (also MANIFOLD_SERVER,
// MANIFOLD_TOKEN and MANIFOLD_OUTPUT).
func (r *remote) register(fs *flag.FlagSet) {
	fs.StringVar(&r.server, "server", "http://127.0.0.1:8080", "base URL of the gateway")
	fs.StringVar(&r.token, "token", "", "admin key (or the bootstrap admin token)")
	fs.StringVar(&r.output, "output", "table", "output format: table or json")
}

func (r *remote) validate() error {
	if r.output != "table" && r.output != "json" {
		return usageError{fmt.Errorf("invalid --output %q: want table or json", r.output)}
	}
	if !strings.HasPrefix(r.server, "http://") && !strings.HasPrefix(r.server, "https://") {
		return usageError{fmt.Errorf("invalid --server %q: want an http:// or https:// URL", r.server)}
	}
	return nil
}

// client returns the HTTP client and Connect options for generated clients:
// the Connect protocol over HTTP/1.1 or HTTP/2, with the admin key sent as a
// bearer token on unary and streaming calls alike.
func (r *remote) client() (connect.HTTPClient, []connect.ClientOption) {
	return http.DefaultClient, []connect.ClientOption{access.WithToken(r.token)}
}

// rpcError turns an RPC failure into a one-line error: "<class>: <message>".
func rpcError(err error) error {
	e := apierror.As(err)
	if name := apierror.ClassName(e.Class); name != "" {
		return fmt.Errorf("%s: %s", name, e.Error())
	}
	return err
}

// printJSON writes a message as indented protobuf JSON.
func printJSON(w io.Writer, m proto.Message) error {
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  ", UseProtoNames: true}.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

// printTable writes rows under a header, aligned.
func printTable(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, row := range rows {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// printValue writes any value as indented JSON (for non-proto output).
func printValue(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
