// Package app is Manifold's component graph: it builds the services named in
// --services (all by default) on one server, with their shared storage, and
// runs them until the context ends.
package app

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"

	"github.com/manifoldgw/manifold/services/audit"
	"github.com/manifoldgw/manifold/services/internal/config"
	"github.com/manifoldgw/manifold/services/internal/discovery"
	"github.com/manifoldgw/manifold/services/internal/server"
	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/keyvault"
	"github.com/manifoldgw/manifold/services/prompts"
	"github.com/manifoldgw/manifold/services/quota"
	"github.com/manifoldgw/manifold/services/router"
	"github.com/manifoldgw/manifold/services/router/calllog"
	"github.com/manifoldgw/manifold/services/workflows"
)

// Config is the whole process configuration, one struct per component.
type Config struct {
	Services  ServiceList
	LogLevel  slog.Level
	LogFormat string
	Server    server.Config
	Storage   storage.Config
	Router    router.Config
	Prompts   prompts.Config
	Quota     quota.Config
	Audit     audit.Config
	KeyVault  keyvault.Config
	CallLog   calllog.Config
	// Consul is split mode's discovery; off when Consul.Addr is empty.
	Consul discovery.Config
	// PromptsAddr is the prompt registry's host:port for routers in
	// another process, when not found through Consul.
	PromptsAddr string
	Workflows   workflows.Config
}

// DefaultConfig returns the defaults: every service, in one process.
func DefaultConfig() Config {
	return Config{
		Services:  ServiceList{All},
		LogLevel:  slog.LevelInfo,
		LogFormat: "json",
		Server:    server.DefaultConfig(),
		Storage:   storage.Config{DataDir: "./data"},
		Router:    router.DefaultConfig(),
		Prompts:   prompts.DefaultConfig(),
		Quota:     quota.DefaultConfig(),
		Audit:     audit.DefaultConfig(),
		KeyVault:  keyvault.DefaultConfig(),
		CallLog:   calllog.DefaultConfig(),
		Consul:    discovery.DefaultConfig(),
		Workflows: workflows.DefaultConfig(),
	}
}

// RegisterFlags registers every component's flags.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.Var(&c.Services, "services", "comma-separated services to run: all, or any of "+strings.Join(Names(), ", "))
	fs.TextVar(&c.LogLevel, "log.level", c.LogLevel, "log level: debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log.format", c.LogFormat, "log format: json or text")
	fs.StringVar(&c.Storage.DataDir, "data-dir", c.Storage.DataDir, "directory for the embedded SQLite database and other local state")
	fs.StringVar(&c.Storage.DatabaseURL, "database-url", c.Storage.DatabaseURL, "PostgreSQL URL (postgres://…); empty uses SQLite under --data-dir")
	c.Server.RegisterFlags(fs)
	c.Router.RegisterFlags(fs)
	c.Prompts.RegisterFlags(fs)
	c.Quota.RegisterFlags(fs)
	c.Audit.RegisterFlags(fs)
	c.KeyVault.RegisterFlags(fs)
	c.CallLog.RegisterFlags(fs)
	c.Consul.RegisterFlags(fs)
	fs.StringVar(&c.PromptsAddr, "prompts.addr", c.PromptsAddr, "host:port of the prompt registry for routers in another process (split mode without Consul); empty: this process or Consul")
	c.Workflows.RegisterFlags(fs)
}

// Sections are the structured parts of the configuration file.
func (c *Config) Sections() map[string]config.Section {
	return map[string]config.Section{
		"catalog": func(b []byte) error {
			spec, err := router.ParseSpec(b)
			if err != nil {
				return err
			}
			c.Router.Catalog = spec
			return nil
		},
	}
}

// Validate checks every component's settings.
func (c Config) Validate() error {
	if len(c.Services) == 0 {
		return fmt.Errorf("invalid services: name at least one service")
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		return fmt.Errorf("invalid log.format %q: want json or text", c.LogFormat)
	}
	for _, v := range []interface{ Validate() error }{c.Server, c.Storage, c.Router, c.Prompts, c.Quota, c.Audit, c.CallLog, c.KeyVault, c.Workflows} {
		if err := v.Validate(); err != nil {
			return err
		}
	}
	if err := c.Consul.Validate(); err != nil {
		return err
	}
	if c.PromptsAddr != "" {
		if _, port, err := net.SplitHostPort(c.PromptsAddr); err != nil || port == "" {
			return fmt.Errorf("invalid prompts.addr %q: want host:port", c.PromptsAddr)
		}
	}
	if c.Quota.Addr != "" && c.KeyVault.InternalToken == "" {
		return fmt.Errorf("invalid internal-token: quota.addr is set, so services in other processes need the shared internal-token (MANIFOLD_INTERNAL_TOKEN)")
	}
	if c.Consul.Addr != "" && c.KeyVault.InternalToken == "" {
		return fmt.Errorf("invalid internal-token: consul.addr is set, so services in other processes need the shared internal-token (MANIFOLD_INTERNAL_TOKEN)")
	}
	if c.Consul.Addr != "" && c.Consul.Register && c.Consul.AdvertiseAddr == "" {
		// The listening address is registered: it must be one others can dial.
		if host, _, _ := net.SplitHostPort(c.Server.Addr); host == "" || net.ParseIP(host) != nil && net.ParseIP(host).IsUnspecified() {
			return fmt.Errorf("invalid consul.advertise-addr: addr %s listens on every interface, so set the host:port other processes reach this one at", c.Server.Addr)
		}
	}
	return nil
}

// All runs every service.
const All = "all"

// ServiceList is the --services flag value.
type ServiceList []string

func (l *ServiceList) String() string { return strings.Join(*l, ",") }

// Set parses a comma-separated list, refusing unknown names.
func (l *ServiceList) Set(v string) error {
	var out ServiceList
	for _, name := range strings.Split(v, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if name != All && !slices.Contains(Names(), name) {
			return fmt.Errorf("unknown service %q (want all or any of %s)", name, strings.Join(Names(), ", "))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return fmt.Errorf("empty service list")
	}
	*l = out
	return nil
}

// Resolve expands "all" into every service name, in graph order.
func (l ServiceList) Resolve() []string {
	if slices.Contains(l, All) {
		return Names()
	}
	var out []string
	for _, name := range Names() {
		if slices.Contains(l, name) {
			out = append(out, name)
		}
	}
	return out
}
