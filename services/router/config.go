package router

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
)

// Config configures the router.
type Config struct {
	// DemoTokenDelay paces the demo model's streamed tokens.
	DemoTokenDelay time.Duration
	// CacheMaxEntries and CacheMaxBytes bound the response cache.
	CacheMaxEntries int
	CacheMaxBytes   int64
	// CredentialCooldown is how long a credential answering 429 or 401 rests
	// when the provider gives no retry-after.
	CredentialCooldown time.Duration
	// Catalog is the providers, models, routes and credentials of the
	// configuration file's `catalog` section.
	Catalog Spec
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{DemoTokenDelay: 20 * time.Millisecond, CacheMaxEntries: 10000, CacheMaxBytes: 64 << 20, CredentialCooldown: 30 * time.Second}
}

// RegisterFlags registers the router's flags, using current values as defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.DurationVar(&c.DemoTokenDelay, "router.demo-token-delay", c.DemoTokenDelay, "delay between the demo model's streamed tokens (0 streams at full speed)")
	fs.IntVar(&c.CacheMaxEntries, "router.cache-max-entries", c.CacheMaxEntries, "most entries the response cache keeps")
	fs.Int64Var(&c.CacheMaxBytes, "router.cache-max-bytes", c.CacheMaxBytes, "most bytes the response cache keeps")
	fs.DurationVar(&c.CredentialCooldown, "router.credential-cooldown", c.CredentialCooldown, "rest for a credential that got 429 or 401 without retry-after")
}

// Validate checks the settings, naming the bad one.
func (c Config) Validate() error {
	if c.DemoTokenDelay < 0 || c.DemoTokenDelay > time.Second {
		return fmt.Errorf("invalid router.demo-token-delay %s: must be between 0 and 1s", c.DemoTokenDelay)
	}
	if c.CacheMaxEntries < 0 {
		return fmt.Errorf("invalid router.cache-max-entries %d: must not be negative", c.CacheMaxEntries)
	}
	if c.CacheMaxBytes < 0 {
		return fmt.Errorf("invalid router.cache-max-bytes %d: must not be negative", c.CacheMaxBytes)
	}
	if c.CredentialCooldown < 0 {
		return fmt.Errorf("invalid router.credential-cooldown %s: must not be negative", c.CredentialCooldown)
	}
	if _, err := buildCatalog(c.Catalog, nil, c.DemoTokenDelay); err != nil {
		return fmt.Errorf("invalid catalog: %w", err)
	}
	return nil
}

// Spec is a catalog as written in configuration.
type Spec struct {
	Providers   []*routerv1.Provider
	Models      []*routerv1.Model
	Routes      []*routerv1.Route
	Credentials []CredentialSpec
}

// CredentialSpec is a provider credential from configuration, until the key
// vault owns them. Secrets come from the environment, never the file.
type CredentialSpec struct {
	Name string `json:"name"`
	// APIKeyEnv names the environment variable holding the API key.
	APIKeyEnv string `json:"api_key_env"`
	// AWS credentials for Bedrock, by environment variable.
	AccessKeyIDEnv     string `json:"access_key_id_env"`
	SecretAccessKeyEnv string `json:"secret_access_key_env"`
	SessionTokenEnv    string `json:"session_token_env"`
}

// ParseSpec reads the `catalog` section of the configuration file, given as
// JSON: {"providers": [...], "models": [...], "routes": [...],
// "credentials": [...]}. Providers, models and routes use the protobuf JSON
// names of manifold.router.v1 (snake_case or camelCase); enum values may be
// written in full (PROVIDER_KIND_OPENAI) or short and lower case (openai).
func ParseSpec(data []byte) (Spec, error) {
	var raw struct {
		Providers   []json.RawMessage `json:"providers"`
		Models      []json.RawMessage `json:"models"`
		Routes      []json.RawMessage `json:"routes"`
		Credentials []CredentialSpec  `json:"credentials"`
	}
	var spec Spec
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return spec, fmt.Errorf("catalog: %w", err)
	}
	opts := protojson.UnmarshalOptions{}
	for i, p := range raw.Providers {
		m := &routerv1.Provider{}
		if err := opts.Unmarshal(expandEnums(p, map[string]string{"kind": "PROVIDER_KIND_"}), m); err != nil {
			return spec, fmt.Errorf("catalog.providers[%d]: %w", i, err)
		}
		spec.Providers = append(spec.Providers, m)
	}
	for i, p := range raw.Models {
		m := &routerv1.Model{}
		if err := opts.Unmarshal(expandEnums(p, map[string]string{"capabilities": "CAPABILITY_"}), m); err != nil {
			return spec, fmt.Errorf("catalog.models[%d]: %w", i, err)
		}
		spec.Models = append(spec.Models, m)
	}
	for i, p := range raw.Routes {
		m := &routerv1.Route{}
		if err := opts.Unmarshal(expandEnums(p, map[string]string{"strategy": "STRATEGY_", "context_policy": "CONTEXT_POLICY_", "contextPolicy": "CONTEXT_POLICY_", "redaction": "REDACTION_POLICY_"}), m); err != nil {
			return spec, fmt.Errorf("catalog.routes[%d]: %w", i, err)
		}
		spec.Routes = append(spec.Routes, m)
	}
	spec.Credentials = raw.Credentials
	return spec, nil
}

// expandEnums turns short enum values ("openai") of the named top-level
// fields into their full names ("PROVIDER_KIND_OPENAI").
func expandEnums(data []byte, fields map[string]string) []byte {
	var obj map[string]any
	if json.Unmarshal(data, &obj) != nil {
		return data
	}
	expand := func(v any, prefix string) any {
		s, ok := v.(string)
		if !ok || strings.HasPrefix(s, prefix) {
			return v
		}
		return prefix + strings.ToUpper(strings.ReplaceAll(s, "-", "_"))
	}
	for field, prefix := range fields {
		switch v := obj[field].(type) {
		case string:
			obj[field] = expand(v, prefix)
		case []any:
			for i := range v {
				v[i] = expand(v[i], prefix)
			}
		}
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return data
	}
	return out
}

// resolveCredential reads a credential's secrets from the environment.
func resolveCredential(c CredentialSpec, getenv func(string) string) (secret struct{ apiKey, akid, secretKey, token string }, err error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	read := func(field, env string) (string, error) {
		if env == "" {
			return "", nil
		}
		v := getenv(env)
		if v == "" {
			return "", fmt.Errorf("credential %q: environment variable %s (%s) is empty", c.Name, env, field)
		}
		return v, nil
	}
	if secret.apiKey, err = read("api_key_env", c.APIKeyEnv); err != nil {
		return secret, err
	}
	if secret.akid, err = read("access_key_id_env", c.AccessKeyIDEnv); err != nil {
		return secret, err
	}
	if secret.secretKey, err = read("secret_access_key_env", c.SecretAccessKeyEnv); err != nil {
		return secret, err
	}
	secret.token, err = read("session_token_env", c.SessionTokenEnv)
	return secret, err
}
