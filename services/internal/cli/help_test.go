package cli

import (
	"bytes"
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// runCLI runs the command line with a fake environment (no MANIFOLD_*
// variables) and returns its output and exit code.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(context.Background(), args, Env{
		Stdout: &out, Stderr: &errOut,
		Getenv: func(string) string { return "" },
		Ready:  func(string) { t.Errorf("manifold %s started serving", strings.Join(args, " ")) },
	})
	return out.String(), errOut.String(), code
}

// usageLine is the first line of a command's help; verbs, when the command
// has them, come between its name and "[flags]", e.g.
// "Usage: manifold keys create|list|revoke|rotate [flags]".
var usageLine = regexp.MustCompile(`^Usage: manifold (\S+)(?: (\S+))? \[flags\]\n`)

// flagLine starts a flag's entry in a help text ("  --name type").
var flagLine = regexp.MustCompile(`^  --([a-z0-9][a-z0-9.-]*)\b`)

// describedFlags parses the flags section of a help text and reports flags
// listed without a description. The help lists every flag the command
// defines (flag.PrintDefaults over its flag set).
func describedFlags(t *testing.T, cmd, help string) []string {
	t.Helper()
	var names []string
	lines := strings.Split(help, "\n")
	for i, line := range lines {
		m := flagLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		names = append(names, m[1])
		var desc strings.Builder
		for _, next := range lines[i+1:] {
			if !strings.HasPrefix(next, "    \t") {
				break
			}
			desc.WriteString(strings.TrimSpace(next))
		}
		if desc.Len() < 10 {
			t.Errorf("manifold %s --help: flag --%s has no description (%q)", cmd, m[1], desc.String())
		}
	}
	return names
}

// checkHelp runs `manifold <cmd...> --help` and checks the help text; it
// returns the command's verbs, if any.
func checkHelp(t *testing.T, cmd ...string) (verbs []string) {
	t.Helper()
	name := strings.Join(cmd, " ")
	for _, help := range []string{"--help", "-h"} {
		stdout, stderr, code := runCLI(t, append(cmd, help)...)
		if code != ExitOK {
			t.Errorf("manifold %s %s: exit %d, want %d; stderr: %s", name, help, code, ExitOK, stderr)
			continue
		}
		m := usageLine.FindStringSubmatch(stdout)
		if m == nil || m[1] != name && !strings.HasPrefix(name, m[1]+" ") {
			t.Errorf("manifold %s %s: help does not start with \"Usage: manifold %s [flags]\":\n%s", name, help, name, stdout)
			continue
		}
		if m[2] != "" && !strings.Contains(name, " ") {
			// "Usage: manifold keys create|list|… [flags]" lists verbs.
			verbs = strings.Split(m[2], "|")
			continue
		}
		flags := describedFlags(t, name, stdout)
		if len(flags) == 0 && name != "version" {
			t.Errorf("manifold %s %s: help lists no flags:\n%s", name, help, stdout)
		}
		// Only commands that take --config may point to it.
		if strings.Contains(stdout, "--config YAML keys") != slices.Contains(flags, "config") {
			t.Errorf("manifold %s %s: the help's mention of --config YAML keys does not match its flags %v", name, help, flags)
		}
	}
	return verbs
}

// checkBadArgs runs a bad command line and requires exit code 2 with one
// line on stderr naming what was wrong.
func checkBadArgs(t *testing.T, want string, args ...string) {
	t.Helper()
	stdout, stderr, code := runCLI(t, args...)
	if code != ExitUsage {
		t.Errorf("manifold %s: exit %d, want %d; stderr: %s", strings.Join(args, " "), code, ExitUsage, stderr)
	}
	if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "manifold: ") || !strings.Contains(stderr, want) {
		t.Errorf("manifold %s: stderr = %q, want one line \"manifold: …%s…\"", strings.Join(args, " "), stderr, want)
	}
	if stdout != "" {
		t.Errorf("manifold %s: stdout = %q, want nothing", strings.Join(args, " "), stdout)
	}
}

// TestHelp goes over the command table, so a new subcommand is covered as
// soon as it is registered.
func TestHelp(t *testing.T) {
	t.Run("manifold", func(t *testing.T) {
		for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
			stdout, stderr, code := runCLI(t, args...)
			if code != ExitOK {
				t.Errorf("manifold %s: exit %d, want 0; stderr: %s", args[0], code, stderr)
			}
			for _, c := range commands {
				if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(c.name) + ` +\S`).MatchString(stdout) {
					t.Errorf("manifold %s does not describe command %q:\n%s", args[0], c.name, stdout)
				}
			}
		}
		checkBadArgs(t, `unknown command "no-such-command"`, "no-such-command")
		checkBadArgs(t, `unknown command "no-such-command"`, "help", "no-such-command")
	})
	t.Run("help command", func(t *testing.T) {
		for _, args := range [][]string{{"keys"}, {"keys", "create"}, {"logs"}} {
			want, _, _ := runCLI(t, append(args, "--help")...)
			got, stderr, code := runCLI(t, append([]string{"help"}, args...)...)
			if code != ExitOK || got != want {
				t.Errorf("manifold help %s: exit %d, stderr %q; want the output of manifold %[1]s --help", strings.Join(args, " "), code, stderr)
			}
		}
		want, _, _ := runCLI(t, "version")
		if got, _, code := runCLI(t, "--version"); code != ExitOK || got != want || got == "" {
			t.Errorf("manifold --version: exit %d, %q; want %q", code, got, want)
		}
	})
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			verbs := checkHelp(t, c.name)
			checkSummary(t, c, verbs)
			if len(verbs) == 0 {
				checkBadArgs(t, "--no-such-flag", c.name, "--no-such-flag")
				checkBadArgs(t, `unexpected argument "stray"`, c.name, "stray")
				return
			}
			checkBadArgs(t, "usage: manifold "+c.name, c.name, "no-such-verb")
			for _, verb := range verbs {
				checkHelp(t, c.name, verb)
				checkBadArgs(t, "--no-such-flag", c.name, verb, "--no-such-flag")
			}
		})
	}
}

// offersVerbs matches a summary that reads as a choice of verbs, such as
// "list, show or export calls".
var offersVerbs = regexp.MustCompile(`^[a-z]+(, [a-z]+)* or [a-z]+ `)

// summaryFlag is a flag a summary mentions.
var summaryFlag = regexp.MustCompile(`--[a-z0-9][a-z0-9.-]*`)

// checkSummary requires a command's line in `manifold help` to offer what
// the command takes: its verbs as "name v1|v2: …", and for a command without
// verbs no choice of verbs and only flags it has.
func checkSummary(t *testing.T, c command, verbs []string) {
	t.Helper()
	if len(verbs) > 0 {
		if want := c.name + " " + strings.Join(verbs, "|") + ":"; !strings.HasPrefix(c.summary, want) {
			t.Errorf("manifold help: %s is %q, want it to start with %q", c.name, c.summary, want)
		}
		return
	}
	if offersVerbs.MatchString(c.summary) {
		t.Errorf("manifold help: %s is %q, which offers verbs the command does not take", c.name, c.summary)
	}
	help, _, _ := runCLI(t, c.name, "--help")
	flags := describedFlags(t, c.name, help)
	for _, f := range summaryFlag.FindAllString(c.summary, -1) {
		if !slices.Contains(flags, f[2:]) {
			t.Errorf("manifold help: %s is %q, which names %s, not a flag of the command", c.name, c.summary, f)
		}
	}
}
