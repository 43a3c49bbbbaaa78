package cli_test

import (
	"maps"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/manifoldgw/manifold/services/internal/cli"
)

// TestPricesBudgetsLimits drives `manifold prices|budgets|limits` against
// the real gateway, as an admin and as a viewer.
func TestPricesBudgetsLimits(t *testing.T) {
	gw := startGateway(t, "--auth.required=true", "--admin-token", testAdminToken)
	as := func(token string, args ...string) (int, string, string) {
		t.Helper()
		return manifoldEnv(t, nil, append(args, "--server", gw.url, "--token", token)...)
	}
	admin := func(args ...string) string {
		t.Helper()
		code, out, errOut := as(testAdminToken, args...)
		if code != cli.ExitOK {
			t.Fatalf("manifold %s: exit %d: %s", strings.Join(args, " "), code, errOut)
		}
		return out
	}
	dir := t.TempDir()
	file := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	// Unset cache and reasoning prices show the price they fall back to.
	admin("prices", "put", "--file", file("price.yaml", "model: demo\ninput_per_mtok_micros: 2500000\noutput_per_mtok_micros: 10000000\n"))
	out := admin("prices", "list")
	if got, want := tableRow(t, out, "demo"), map[string]string{
		"INPUT $/MTOK": "2.5000", "OUTPUT $/MTOK": "10.0000", "CACHED INPUT $/MTOK": "2.5000 (= input)",
		"CACHE WRITE $/MTOK": "2.5000 (= input)", "REASONING $/MTOK": "10.0000 (= output)",
	}; !maps.Equal(got, want) {
		t.Errorf("prices list: demo is %v, want %v:\n%s", got, want, out)
	}
	admin("prices", "put", "--file", file("price.yaml", "model: demo\ninput_per_mtok_micros: 2500000\noutput_per_mtok_micros: 10000000\ncached_input_per_mtok_micros: 1250000\nreasoning_per_mtok_micros: 12000000\n"))
	out = admin("prices", "list")
	if got := tableRow(t, out, "demo"); got["CACHED INPUT $/MTOK"] != "1.2500" || got["CACHE WRITE $/MTOK"] != "2.5000 (= input)" || got["REASONING $/MTOK"] != "12.0000" {
		t.Errorf("prices list: demo is %v, want its own cached input and reasoning prices:\n%s", got, out)
	}

	// A budget without a subject applies to the keys that link it by id.
	admin("budgets", "put", "--file", file("shared.yaml", "id: shared-daily\nperiod: BUDGET_PERIOD_DAILY\nlimit_micros: 1000000\n"))
	if out := admin("budgets", "list"); tableRow(t, out, "shared-daily")["SUBJECT"] != "(linked by id)" {
		t.Errorf("budgets list: a budget without a subject:\n%s", out)
	}

	// A budget a call holds part of shows the held money: limit = spent +
	// held + remaining.
	admin("budgets", "put", "--file", file("budget.yaml", "id: docs-monthly\nsubject: {kind: SUBJECT_KIND_TEAM, id: docs}\nperiod: BUDGET_PERIOD_MONTHLY\nlimit_micros: 50000000\nalert_thresholds_percent: [50, 90]\n"))
	if out := admin("budgets", "get", "--id", "docs-monthly"); !strings.Contains(out, "team:docs") || !strings.Contains(out, "50.000000") || !strings.Contains(out, "50,90") {
		t.Errorf("budgets get:\n%s", out)
	}
	secret := strings.TrimPrefix(lineWith(admin("keys", "create", "--name", "docs", "--team", "docs", "--models", "demo"), "secret: "), "secret: ")
	if got := chat(t, gw.url, strings.TrimSpace(secret)); got != http.StatusOK {
		t.Fatalf("call on the budget: %d", got)
	}
	out = admin("budgets", "get", "--id", "docs-monthly")
	row := tableRow(t, out, "docs-monthly")
	dollars := func(col string) float64 {
		v, err := strconv.ParseFloat(row[col], 64)
		if err != nil {
			t.Fatalf("budgets get: %s: %v\n%s", col, err, out)
		}
		return v
	}
	if held := dollars("HELD $"); held <= 0 || math.Abs(dollars("LIMIT $")-dollars("SPENT $")-held-dollars("REMAINING $")) > 1e-9 {
		t.Errorf("budgets get while a lease holds part of it: %v, want HELD > 0 and LIMIT = SPENT + HELD + REMAINING:\n%s", row, out)
	}

	admin("limits", "put", "--file", file("limit.json", `{"id": "docs-rpm", "subject": {"kind": "SUBJECT_KIND_ROUTE", "id": "docs"}, "requests_per_minute": 600, "tokens_per_minute": 100000}`))
	if out := admin("limits", "list", "--output", "json"); !strings.Contains(out, `"docs-rpm"`) || !strings.Contains(out, "600") {
		t.Errorf("limits list --output json:\n%s", out)
	}
	if out := admin("budgets", "alerts"); !strings.HasPrefix(out, "BUDGET") {
		t.Errorf("budgets alerts:\n%s", out)
	}

	// A viewer reads but cannot change; a bad file changes nothing.
	viewer := strings.TrimSpace(strings.TrimPrefix(lineWith(admin("admin-keys", "create", "--name", "v", "--role", "viewer", "--user", "vera"), "secret: "), "secret: "))
	if code, out, _ := as(viewer, "budgets", "list"); code != cli.ExitOK || !strings.Contains(out, "docs-monthly") {
		t.Errorf("viewer budgets list: exit %d:\n%s", code, out)
	}
	if code, _, errOut := as(viewer, "budgets", "delete", "--id", "docs-monthly"); code != cli.ExitError || !strings.Contains(errOut, "permission_denied") {
		t.Errorf("viewer budgets delete: exit %d, %q; want permission_denied", code, errOut)
	}
	if code, _, errOut := as(testAdminToken, "limits", "put", "--file", file("bad.yaml", "id: x\nrequests_per_minute: many\n")); code != cli.ExitUsage || !strings.Contains(errOut, `bad.yaml line 2: invalid requests_per_minute "many"`) || strings.Count(errOut, "\n") != 1 {
		t.Errorf("limits put with a bad value: exit %d, %q; want exit 2 naming the line and the field as the file does", code, errOut)
	}
	admin("budgets", "delete", "--id", "docs-monthly")
	admin("limits", "delete", "--id", "docs-rpm")
	admin("prices", "delete", "--model", "demo")
	if out := admin("budgets", "list") + admin("limits", "list"); strings.Contains(out, "docs-") {
		t.Errorf("after deletes:\n%s", out)
	}
	// Deleting what is not there (any more) is not_found, not "DELETED".
	for _, args := range [][]string{
		{"budgets", "delete", "--id", "docs-monthly"},
		{"limits", "delete", "--id", "nope"},
		{"prices", "delete", "--model", "demo"},
	} {
		code, out, errOut := as(testAdminToken, args...)
		if code != cli.ExitError || out != "" || !strings.Contains(errOut, "not_found") || !strings.Contains(errOut, `"`+args[3]+`"`) {
			t.Errorf("manifold %s: exit %d, stdout %q, stderr %q; want exit 1 and not_found naming it", strings.Join(args, " "), code, out, errOut)
		}
	}
}

// lineWith returns the first line of out that starts with prefix.
func lineWith(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// tableRow returns the cells of the row of a printed table whose first
// cell is first, keyed by column header (headers may hold single spaces,
// columns are at least two apart).
func tableRow(t *testing.T, out, first string) map[string]string {
	t.Helper()
	lines := strings.Split(out, "\n")
	cols := regexp.MustCompile(`\S+( \S+)*`).FindAllStringIndex(lines[0], -1)
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, first+" ") {
			continue
		}
		row := map[string]string{}
		for i, c := range cols[1:] {
			end := len(l)
			if i+2 < len(cols) {
				end = min(cols[i+2][0], len(l))
			}
			row[lines[0][c[0]:c[1]]] = strings.TrimSpace(l[min(c[0], len(l)):end])
		}
		return row
	}
	t.Fatalf("no row %q in:\n%s", first, out)
	return nil
}
