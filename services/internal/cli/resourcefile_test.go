package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	quotav1 "github.com/manifoldgw/manifold/gen/go/manifold/quota/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	workflowsv1 "github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1"
)

// TestPutFileErrors runs `put --file` (and the commands that read files
// alike) with bad files: each is a usage error of one line that names the
// file, the line in it and the field as the file writes it, and says what
// the field takes. The file is refused before the gateway is called.
func TestPutFileErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args       []string // the command, before --file
		name, body string
		want       string
	}{
		{[]string{"budgets", "put"}, "empty.yaml", "", "empty.yaml is empty: want a manifold.quota.v1.Budget in YAML or JSON"},
		{[]string{"prices", "put"}, "comment.yaml", "# prices to come\n", "comment.yaml is empty"},
		{[]string{"budgets", "put"}, "period.yaml", "id: b\nperiod: daily\nlimit_micros: 1000000\n",
			`period.yaml line 2: invalid period "daily": want one of BUDGET_PERIOD_DAILY, BUDGET_PERIOD_WEEKLY, BUDGET_PERIOD_MONTHLY, BUDGET_PERIOD_LIFETIME`},
		{[]string{"budgets", "put"}, "kind.yaml", "id: b\nsubject:\n  kind: TEAM\n  id: ml\n",
			`kind.yaml line 3: invalid kind "TEAM": want one of SUBJECT_KIND_VIRTUAL_KEY, SUBJECT_KIND_TEAM,`},
		{[]string{"budgets", "put"}, "subject.yaml", "id: b\nsubject: team:ml\n",
			`subject.yaml line 2: invalid subject "team:ml": want a mapping of manifold.quota.v1.Subject fields`},
		{[]string{"budgets", "put"}, "alerts.yaml", "id: b\nalert_thresholds_percent:\n  - 50\n  - lots\n",
			`alerts.yaml line 4: invalid alert_thresholds_percent "lots": want a whole number (uint32)`},
		{[]string{"budgets", "put"}, "list.yaml", "- id: b\n", "list.yaml line 1: want a mapping of manifold.quota.v1.Budget fields, not (a list)"},
		{[]string{"limits", "put"}, "rpm.yaml", "id: x\nrequests_per_minute: many\n",
			`rpm.yaml line 2: invalid requests_per_minute "many": want a whole number (int64)`},
		{[]string{"limits", "put"}, "rpm.json", "{\n  \"id\": \"x\",\n  \"requestsPerMinute\": \"many\"\n}\n",
			`rpm.json line 3: invalid requestsPerMinute "many"`},
		{[]string{"limits", "put"}, "twice.yaml", "requests_per_minute: 1\nrequestsPerMinute: 2\n",
			"twice.yaml line 2: requestsPerMinute given twice (as requests_per_minute before)"},
		{[]string{"limits", "put"}, "syntax.yaml", "id: [x\n", "syntax.yaml: not YAML or JSON: line"},
		{[]string{"routes", "put"}, "target.yaml", "name: r\ntargets:\n  - model: m\n    no_such_field: 1\n",
			"target.yaml line 4: unknown field no_such_field of manifold.router.v1.Target"},
		{[]string{"routes", "put"}, "backoff.yaml", "name: r\nretry:\n  max_attempts: 2\n  initial_backoff: soon\n",
			`backoff.yaml line 4: invalid initial_backoff "soon": want a duration such as "1.5s"`},
		{[]string{"chains", "put", "--name", "c"}, "chain.yaml", "steps:\n  - id: a\n    colour: red\n",
			"chain.yaml line 3: unknown field colour of manifold.workflows.v1.Step"},
		{[]string{"prompts", "create", "--name", "p"}, "prompt.yaml", "", "prompt.yaml is empty: want a manifold.prompts.v1.PromptTemplate"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name)
			if err := os.WriteFile(path, []byte(c.body), 0o600); err != nil {
				t.Fatal(err)
			}
			args := append(c.args, "--file", path)
			checkBadArgs(t, filepath.Join(dir, c.want), args...)
			if _, stderr, _ := runCLI(t, args...); strings.Contains(stderr, "(line ") || strings.Contains(stderr, "proto:") {
				t.Errorf("manifold %s: %q gives a position in the JSON made from the file", strings.Join(args, " "), stderr)
			}
		})
	}
}

// TestReadResourceTakesProtobufJSON checks that the field-by-field check
// refuses nothing protobuf JSON takes: each file reads as the same message
// as its protobuf JSON.
func TestReadResourceTakesProtobufJSON(t *testing.T) {
	for _, c := range []struct {
		m          proto.Message
		yaml, json string
	}{
		// Enum numbers, integers as strings, JSON names, nulls and lists.
		{&quotav1.Budget{}, "id: b\nsubject: ~\nperiod: 3\nlimitMicros: \"1000\"\nalert_thresholds_percent: [50, 90]\n",
			`{"id": "b", "period": "BUDGET_PERIOD_MONTHLY", "limit_micros": 1000, "alert_thresholds_percent": [50, 90]}`},
		// Maps and lists of messages.
		{&routerv1.Provider{}, "name: p\nkind: PROVIDER_KIND_OPENAI\nheaders: {X-Team: ml}\ncredentials:\n  - name: k1\n  - {name: k2}\n",
			`{"name": "p", "kind": "PROVIDER_KIND_OPENAI", "headers": {"X-Team": "ml"}, "credentials": [{"name": "k1"}, {"name": "k2"}]}`},
		// Durations in nested messages.
		{&routerv1.Route{}, "name: r\ntargets: [{model: m}]\nretry: {max_attempts: 2, initial_backoff: 1.5s}\n",
			`{"name": "r", "targets": [{"model": "m"}], "retry": {"max_attempts": 2, "initial_backoff": "1.5s"}}`},
		// A Struct of any shape.
		{&workflowsv1.ChainSpec{}, "input_schema:\n  type: object\n  required: [text]\n  properties: {text: {type: string}}\nsteps: [{id: a, timeout: 30s}]\n",
			`{"input_schema": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}, "steps": [{"id": "a", "timeout": "30s"}]}`},
	} {
		path := filepath.Join(t.TempDir(), "r.yaml")
		if err := os.WriteFile(path, []byte(c.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		got, want := c.m.ProtoReflect().New().Interface(), c.m.ProtoReflect().New().Interface()
		if err := protojson.Unmarshal([]byte(c.json), want); err != nil {
			t.Fatalf("the test's JSON: %v", err)
		}
		if err := readResource(path, nil, got); err != nil || !proto.Equal(got, want) {
			t.Errorf("readResource(%q) = %v, %v; want %v", c.yaml, got, err, want)
		}
	}
}
