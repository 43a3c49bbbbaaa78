package keyvault

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/manifoldgw/manifold/services/keyvault/envelope"
)

// Config configures the key vault and the authentication of callers.
type Config struct {
	// AuthRequired makes the router refuse calls without a valid virtual
	// key, and the key vault's admin RPCs refuse callers without an admin
	// key or the bootstrap token. Off only for local experiments and tests.
	AuthRequired bool
	// MasterKey is the master key as base64 text (32 bytes), usually from
	// MANIFOLD_MASTER_KEY.
	MasterKey string
	// MasterKeyFile holds the master key as base64 text. When neither it
	// nor MasterKey is set, DefaultMasterKeyFile under the data directory is
	// used, created on first start.
	MasterKeyFile string
	// PreviousMasterKeys are older master keys (base64, comma-separated),
	// kept configured so that secrets wrapped by them still open until
	// RotateMasterKey re-wraps them.
	PreviousMasterKeys string
	// AdminToken is the bootstrap admin token (role admin), usually from
	// MANIFOLD_ADMIN_TOKEN. Empty disables it.
	AdminToken string
	// InternalToken authenticates Manifold services to each other. Empty in
	// all-in-one mode means a random one per process; split deployments
	// must configure the same one everywhere.
	InternalToken string
	// Addr is the key vault's address (host:port) for routers running in
	// another process (split mode); empty means this process.
	Addr string
	// WatchPoll is how often a watch checks for writes made by other
	// processes (writes in this process wake watchers at once).
	WatchPoll time.Duration
	// WatchHeartbeat is how often an idle watch sends a heartbeat.
	WatchHeartbeat time.Duration
	// CredentialCooldown is the default cool-down of a reported credential.
	CredentialCooldown time.Duration
}

// DefaultMasterKeyFile is the master key file used when none is configured,
// relative to the data directory.
const DefaultMasterKeyFile = "master.key"

// DefaultConfig returns the defaults: keys required.
func DefaultConfig() Config {
	return Config{
		AuthRequired:       true,
		WatchPoll:          200 * time.Millisecond,
		WatchHeartbeat:     5 * time.Second,
		CredentialCooldown: 30 * time.Second,
	}
}

// RegisterFlags registers the flags. The secrets' flags are top-level so that
// their environment variables are MANIFOLD_MASTER_KEY and
// MANIFOLD_ADMIN_TOKEN; prefer the environment to the command line for them.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.BoolVar(&c.AuthRequired, "auth.required", c.AuthRequired, "require a virtual key on model calls and an admin key on admin calls (turn off only for local experiments)")
	fs.StringVar(&c.MasterKey, "master-key", c.MasterKey, "key vault master key, base64 of 32 bytes (prefer MANIFOLD_MASTER_KEY)")
	fs.StringVar(&c.MasterKeyFile, "master-key-file", c.MasterKeyFile, "file holding the key vault master key as base64; default <data-dir>/"+DefaultMasterKeyFile+", created if missing")
	fs.StringVar(&c.PreviousMasterKeys, "previous-master-keys", c.PreviousMasterKeys, "older master keys, base64, comma-separated, until RotateMasterKey re-wraps the data keys")
	fs.StringVar(&c.AdminToken, "admin-token", c.AdminToken, "bootstrap admin token with role admin (prefer MANIFOLD_ADMIN_TOKEN)")
	fs.StringVar(&c.InternalToken, "internal-token", c.InternalToken, "token Manifold services authenticate to each other with (split mode; prefer MANIFOLD_INTERNAL_TOKEN)")
	fs.StringVar(&c.Addr, "keyvault.addr", c.Addr, "host:port of the key vault for routers in another process (split mode; needs internal-token); empty: this process")
	fs.DurationVar(&c.WatchPoll, "keyvault.watch-poll", c.WatchPoll, "how often key watches check for changes written by other processes")
	fs.DurationVar(&c.WatchHeartbeat, "keyvault.watch-heartbeat", c.WatchHeartbeat, "how often an idle key watch sends a heartbeat to routers")
	fs.DurationVar(&c.CredentialCooldown, "keyvault.credential-cooldown", c.CredentialCooldown, "default cool-down of a credential a router reports as rate limited")
}

// Validate names the first bad setting. It does not read the key file.
func (c Config) Validate() error {
	if c.MasterKey != "" && c.MasterKeyFile != "" {
		return errors.New("invalid master-key-file: set either master-key (MANIFOLD_MASTER_KEY) or master-key-file, not both")
	}
	if c.MasterKey != "" {
		if _, err := envelope.ParseMasterKey(c.MasterKey); err != nil {
			return fmt.Errorf("invalid master-key (MANIFOLD_MASTER_KEY): %w", err)
		}
	}
	for _, k := range splitList(c.PreviousMasterKeys) {
		if _, err := envelope.ParseMasterKey(k); err != nil {
			return fmt.Errorf("invalid previous-master-keys: %w", err)
		}
	}
	if c.AdminToken != "" && len(c.AdminToken) < 16 {
		return errors.New("invalid admin-token (MANIFOLD_ADMIN_TOKEN): use at least 16 characters")
	}
	if c.InternalToken != "" && len(c.InternalToken) < 16 {
		return errors.New("invalid internal-token (MANIFOLD_INTERNAL_TOKEN): use at least 16 characters")
	}
	if c.Addr != "" {
		if _, _, err := net.SplitHostPort(c.Addr); err != nil {
			return fmt.Errorf("invalid keyvault.addr %q: want host:port", c.Addr)
		}
		if c.InternalToken == "" {
			return errors.New("invalid internal-token: keyvault.addr is set, so services in other processes need the shared internal-token (MANIFOLD_INTERNAL_TOKEN)")
		}
	}
	if c.WatchPoll < 10*time.Millisecond || c.WatchPoll > time.Second {
		return fmt.Errorf("invalid keyvault.watch-poll %s: want 10ms to 1s (revocations must reach routers within a second)", c.WatchPoll)
	}
	if c.WatchHeartbeat < 100*time.Millisecond || c.WatchHeartbeat > time.Minute {
		return fmt.Errorf("invalid keyvault.watch-heartbeat %s: want 100ms to 1m", c.WatchHeartbeat)
	}
	if c.CredentialCooldown <= 0 || c.CredentialCooldown > 24*time.Hour {
		return fmt.Errorf("invalid keyvault.credential-cooldown %s: want more than 0 and at most 24h", c.CredentialCooldown)
	}
	return nil
}

// WithDataDir returns c with the default master key file under dir when no
// master key is configured.
func (c Config) WithDataDir(dir string) Config {
	if c.MasterKey == "" && c.MasterKeyFile == "" {
		c.MasterKeyFile = filepath.Join(dir, DefaultMasterKeyFile)
	}
	return c
}

// keyring loads the master keys; a missing key file is created with a new
// random key (mode 0600).
func (c Config) keyring() (*envelope.Keyring, error) {
	var primary *envelope.MasterKey
	switch {
	case c.MasterKey != "":
		k, err := envelope.ParseMasterKey(c.MasterKey)
		if err != nil {
			return nil, fmt.Errorf("invalid master-key (MANIFOLD_MASTER_KEY): %w", err)
		}
		primary = k
	case c.MasterKeyFile != "":
		k, err := readOrCreateKeyFile(c.MasterKeyFile)
		if err != nil {
			return nil, err
		}
		primary = k
	default:
		return nil, errors.New("no master key: set MANIFOLD_MASTER_KEY or master-key-file")
	}
	var others []*envelope.MasterKey
	for _, text := range splitList(c.PreviousMasterKeys) {
		k, err := envelope.ParseMasterKey(text)
		if err != nil {
			return nil, fmt.Errorf("invalid previous-master-keys: %w", err)
		}
		others = append(others, k)
	}
	return envelope.NewKeyring(primary, others...), nil
}

func readOrCreateKeyFile(path string) (*envelope.MasterKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		_, text, err := envelope.GenerateMasterKey()
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create master-key-file %s: %w", path, err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return readOrCreateKeyFile(path) // created concurrently
		}
		if err != nil {
			return nil, fmt.Errorf("create master-key-file %s: %w", path, err)
		}
		_, werr := f.WriteString(text + "\n")
		if err := errors.Join(werr, f.Close()); err != nil {
			return nil, fmt.Errorf("write master-key-file %s: %w", path, err)
		}
		b = []byte(text)
	} else if err != nil {
		return nil, fmt.Errorf("read master-key-file %s: %w", path, err)
	}
	k, err := envelope.ParseMasterKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("invalid master-key-file %s: %w", path, err)
	}
	return k, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
