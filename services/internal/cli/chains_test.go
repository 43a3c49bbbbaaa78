package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/manifoldgw/manifold/services/internal/cli"
)

// tableRows reads a printed table into one map per row, from column name
// to cell: tabwriter starts every cell at its column's header.
func tableRows(out string) []map[string]string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	header := lines[0]
	names := strings.Fields(header)
	starts := make([]int, len(names))
	for i, n := range names {
		starts[i] = strings.Index(header, n)
	}
	var rows []map[string]string
	for _, l := range lines[1:] {
		row := map[string]string{}
		for i, n := range names {
			end := len(l)
			if i+1 < len(names) {
				end = min(starts[i+1], len(l))
			}
			row[n] = strings.TrimSpace(l[min(starts[i], end):end])
		}
		rows = append(rows, row)
	}
	return rows
}

// column maps the key column's cells to the name column's.
func column(out, key, name string) map[string]string {
	col := map[string]string{}
	for _, r := range tableRows(out) {
		col[r[key]] = r[name]
	}
	return col
}

// TestChainsPutAndVersions: `chains put` of the latest spec creates no
// version but still points --labels at it, and `chains versions` shows the
// labels of each version.
func TestChainsPutAndVersions(t *testing.T) {
	gw := startGateway(t)
	run := func(args ...string) (string, string) {
		t.Helper()
		code, out, errOut := manifoldEnv(t, nil, append(args, "--server", gw.url)...)
		if code != cli.ExitOK {
			t.Fatalf("manifold %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		return out, errOut
	}
	dir := t.TempDir()
	v1, v2 := filepath.Join(dir, "v1.yaml"), filepath.Join(dir, "v2.yaml")
	if err := os.WriteFile(v1, []byte(reviewChain), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(v2, []byte(strings.Replace(reviewChain, "Draft a reply", "Draft a short reply", 1)), 0o600); err != nil {
		t.Fatal(err)
	}

	run("chains", "put", "--name", "reply.review", "--file", v1, "--labels", "production,staging")
	run("chains", "put", "--name", "reply.review", "--file", v2, "--labels", "staging")
	out, errOut := run("chains", "put", "--name", "reply.review", "--file", v2, "--labels", "production", "--description", "Drafts replies")
	if !strings.Contains(errOut, "no new version") || column(out, "CHAIN", "VERSION")["reply.review"] != "2" {
		t.Fatalf("put of the latest spec: want version 2 and a note that no version was created, got\n%s%s", out, errOut)
	}

	out, _ = run("chains", "versions", "--name", "reply.review")
	want := map[string]string{"2": "production,staging", "1": ""}
	if got := column(out, "VERSION", "LABELS"); len(got) != len(want) || got["2"] != want["2"] || got["1"] != want["1"] {
		t.Fatalf("chains versions: labels by version %v, want %v\n%s", got, want, out)
	}
	out, _ = run("chains", "list")
	if labels := column(out, "NAME", "LABELS")["reply.review"]; labels != "production=2,staging=2" {
		t.Fatalf("chains list: labels %q, want production=2,staging=2\n%s", labels, out)
	}
}
