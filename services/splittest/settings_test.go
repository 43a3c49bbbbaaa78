package splittest

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestSplitSettingsRefused: bad split-mode settings stop `manifold serve`
// before it starts anything, with exit code 2 and one line naming the
// setting.
func TestSplitSettingsRefused(t *testing.T) {
	bin := buildManifold(t)
	token := "--internal-token=internal-token-0123456789"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--consul.addr", "127.0.0.1:8500"}, "invalid internal-token: consul.addr is set"},
		{[]string{"--consul.addr", "consul", token}, "invalid consul.addr"},
		{[]string{"--consul.addr", "127.0.0.1:8500", token, "--addr", "0.0.0.0:8080"}, "invalid consul.advertise-addr"},
		{[]string{"--consul.addr", "127.0.0.1:8500", token, "--consul.advertise-addr", "0.0.0.0:0"}, "invalid consul.advertise-addr"},
		{[]string{"--consul.addr", "127.0.0.1:8500", token, "--consul.check-interval", "1ms"}, "invalid consul.check-interval"},
		{[]string{"--consul.addr", "127.0.0.1:8500", token, "--consul.deregister-critical-after", "10s"}, "invalid consul.deregister-critical-after"},
		{[]string{"--prompts.addr", "prompts"}, "invalid prompts.addr"},
	} {
		cmd := exec.Command(bin, append([]string{"serve", "--data-dir", t.TempDir()}, tc.args...)...)
		cmd.Env = []string{"HOME=" + t.TempDir()}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(stderr.String(), tc.want) || strings.Count(strings.TrimSpace(stderr.String()), "\n") > 0 {
			t.Errorf("manifold serve %s: %v, stderr %q; want exit 2 and one line with %q", strings.Join(tc.args, " "), err, stderr.String(), tc.want)
		}
		if strings.Contains(stderr.String(), "internal-token-0123456789") {
			t.Errorf("manifold serve %s: the token is in the error: %q", strings.Join(tc.args, " "), stderr.String())
		}
	}
}
