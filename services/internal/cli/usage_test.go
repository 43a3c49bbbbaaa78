package cli_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	quotav1 "github.com/manifoldgw/manifold/gen/go/manifold/quota/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/quota/v1/quotav1connect"
	"github.com/manifoldgw/manifold/services/internal/cli"
)

// adminBearer sends the bootstrap admin token.
type adminBearer struct{}

func (adminBearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+testAdminToken)
	return http.DefaultTransport.RoundTrip(r)
}

// TestUsage prices the demo model, makes calls with a team's key through
// the real gateway, and reads them back with `manifold usage`, as JSON and
// as a table, grouped and filtered.
func TestUsage(t *testing.T) {
	gw := startGateway(t, "--auth.required=true", "--admin-token", testAdminToken)
	remote := []string{"--server", gw.url, "--token", testAdminToken}
	quota := quotav1connect.NewQuotaServiceClient(&http.Client{Transport: adminBearer{}}, gw.url)
	// $1 in, $2 out per million tokens.
	if _, err := quota.PutPrice(t.Context(), connect.NewRequest(&quotav1.PutPriceRequest{Price: &quotav1.Price{
		Model: "demo", InputPerMtokMicros: 1_000_000, OutputPerMtokMicros: 2_000_000}})); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := manifoldEnv(t, nil, append([]string{"keys", "create", "--name", "usage", "--team", "ml", "--models", "demo", "--output", "json"}, remote...)...)
	if code != cli.ExitOK {
		t.Fatalf("keys create: exit %d: %s", code, errOut)
	}
	var created struct {
		Key struct {
			ID string `json:"id"`
		} `json:"key"`
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if got := chat(t, gw.url, created.Secret); got != http.StatusOK {
			t.Fatalf("call: %d", got)
		}
	}

	// Settlements reach the ledger in batches: wait for the three calls.
	type row struct {
		VirtualKeyID string `json:"virtual_key_id"`
		Team         string `json:"team"`
		Model        string `json:"model"`
		Day          string `json:"day"`
		Requests     string `json:"requests"`
		Usage        struct {
			InputTokens  string `json:"input_tokens"`
			OutputTokens string `json:"output_tokens"`
			CostMicros   string `json:"cost_micros"`
		} `json:"usage"`
	}
	var report struct {
		Rows  []row `json:"rows"`
		Total row   `json:"total"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, out, errOut = manifoldEnv(t, nil, append([]string{"usage", "--group-by", "day,key,team,model", "--output", "json"}, remote...)...)
		if code != cli.ExitOK {
			t.Fatalf("usage: exit %d: %s", code, errOut)
		}
		report.Rows = nil
		if err := json.Unmarshal([]byte(out), &report); err != nil {
			t.Fatalf("usage --output json: %v\n%s", err, out)
		}
		if report.Total.Requests == "3" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("usage never showed the 3 calls:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(report.Rows) != 1 {
		t.Fatalf("rows %+v, want one (today, the key, team ml, model demo)", report.Rows)
	}
	r := report.Rows[0]
	if r.VirtualKeyID != created.Key.ID || r.Team != "ml" || r.Model != "demo" || !strings.HasPrefix(r.Day, time.Now().UTC().Format(time.DateOnly)) || r.Requests != "3" {
		t.Errorf("row %+v, want 3 calls today by key %s of team ml on demo", r, created.Key.ID)
	}
	if r.Usage.CostMicros == "" || r.Usage.CostMicros == "0" || r.Usage.CostMicros != report.Total.Usage.CostMicros {
		t.Errorf("row cost %q, total %q: want the priced cost, equal", r.Usage.CostMicros, report.Total.Usage.CostMicros)
	}

	code, out, errOut = manifoldEnv(t, nil, append([]string{"usage", "--group-by", "team,model", "--team", "ml"}, remote...)...)
	if code != cli.ExitOK {
		t.Fatalf("usage table: exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "TEAM") || !strings.Contains(lines[0], "COST") ||
		!strings.HasPrefix(lines[1], "ml") || !strings.Contains(lines[1], "demo") || !strings.HasPrefix(lines[2], "TOTAL") {
		t.Errorf("usage table:\n%s\nwant a header, the ml/demo row and TOTAL", out)
	}
	code, out, _ = manifoldEnv(t, nil, append([]string{"usage", "--team", "nobody", "--output", "json"}, remote...)...)
	if code != cli.ExitOK || strings.Contains(out, `"requests": "3"`) {
		t.Errorf("usage of another team: exit %d:\n%s", code, out)
	}

	for _, bad := range [][]string{{"--group-by", "colour"}, {"--time-zone", "Mars/Olympus"}, {"--since", "1h", "--until", "2h"}} {
		code, _, errOut := manifoldEnv(t, nil, append(append([]string{"usage"}, bad...), remote...)...)
		if code != cli.ExitUsage || !strings.Contains(errOut, bad[0]) {
			t.Errorf("usage %v: exit %d, %q; want a usage error naming %s", bad, code, errOut, bad[0])
		}
	}
	code, _, errOut = manifoldEnv(t, nil, "usage", "--server", gw.url, "--token", "mka-"+strings.Repeat("0", 43))
	if code != cli.ExitError || !strings.Contains(errOut, "authentication") {
		t.Errorf("usage with an unknown admin key: exit %d, %s", code, errOut)
	}
}
