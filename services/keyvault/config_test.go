package keyvault_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/manifoldgw/manifold/services/keyvault"
	"github.com/manifoldgw/manifold/services/keyvault/keyvaulttest"
)

func TestConfigValidate(t *testing.T) {
	good := keyvaulttest.Config(t)
	if err := good.Validate(); err != nil {
		t.Fatalf("test config: %v", err)
	}
	for _, tc := range []struct {
		name    string
		change  func(c *keyvault.Config)
		setting string
	}{
		{"master key not base64", func(c *keyvault.Config) { c.MasterKey = "not base64!" }, "master-key"},
		{"master key too short", func(c *keyvault.Config) { c.MasterKey = "c2hvcnQ=" }, "master-key"},
		{"key and file", func(c *keyvault.Config) { c.MasterKeyFile = "/tmp/k" }, "master-key-file"},
		{"short admin token", func(c *keyvault.Config) { c.AdminToken = "short" }, "admin-token"},
		{"addr without token", func(c *keyvault.Config) { c.Addr, c.InternalToken = "vault:8080", "" }, "internal-token"},
		{"addr without port", func(c *keyvault.Config) { c.Addr = "vault" }, "keyvault.addr"},
		{"slow watch", func(c *keyvault.Config) { c.WatchPoll = 5e9 }, "keyvault.watch-poll"},
		{"bad previous key", func(c *keyvault.Config) { c.PreviousMasterKeys = "zz" }, "previous-master-keys"},
	} {
		c := good
		tc.change(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.setting) {
			t.Errorf("%s: Validate = %v, want an error naming %s", tc.name, err, tc.setting)
		}
	}
}

// TestMasterKeyFile: without a configured key, one is created under the data
// directory, readable by its owner only, and reused on the next start.
func TestMasterKeyFile(t *testing.T) {
	dir := t.TempDir()
	db := keyvaulttest.OpenSQLite(t)
	cfg := keyvault.DefaultConfig().WithDataDir(dir)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := keyvault.New(t.Context(), cfg, db, logger); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, keyvault.DefaultMasterKeyFile)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("master key file mode %v, want 0600", info.Mode().Perm())
	}
	if _, err := keyvault.New(t.Context(), cfg, db, logger); err != nil {
		t.Fatalf("second start with the same key file: %v", err)
	}
	// Another master key cannot open the vault's data keys.
	other := keyvault.DefaultConfig()
	other.MasterKey = keyvaulttest.NewMasterKey(t)
	if _, err := keyvault.New(t.Context(), other, db, logger); err == nil || !strings.Contains(err.Error(), "master key") {
		t.Errorf("start with a wrong master key: %v, want an error about the master key", err)
	}
}
