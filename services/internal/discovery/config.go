// Package discovery is split mode's service discovery on Consul: each
// process registers the services it runs, with a gRPC health check, and
// clients reach another service through a transport that picks a healthy
// instance from a blocking-query watch, balances calls round-robin and
// retries another instance when a connection cannot be made.
//
// In all-in-one mode (no consul.addr) nothing here runs: clients bind to the
// services in-process through internal/dial.
package discovery

import (
	"flag"
	"fmt"
	"net"
	"time"
)

// Config is the Consul settings of one process.
type Config struct {
	// Addr is the Consul agent's HTTP address (host:port); empty turns
	// discovery off.
	Addr string
	// Token is the Consul ACL token, if the agent requires one.
	Token string
	// Register makes the process register its services itself; false
	// leaves registration to the agent's service definitions
	// (deploy/consul) and only resolves the other services.
	Register bool
	// AdvertiseAddr is the host:port registered for this process's
	// services; empty means the listener's address (its host must then be
	// a specific address, not 0.0.0.0).
	AdvertiseAddr string
	// CheckInterval is how often Consul probes the gRPC health check.
	CheckInterval time.Duration
	// DeregisterAfter is how long an instance may stay critical before
	// Consul removes it (an instance killed without deregistering).
	DeregisterAfter time.Duration
	// Version is the build's version, registered as metadata (not a flag).
	Version string
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Register: true, CheckInterval: time.Second, DeregisterAfter: time.Minute, Version: "dev"}
}

// RegisterFlags registers the flags, using the current values as defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "consul.addr", c.Addr, "host:port of the Consul agent's HTTP API: register this process's services and find the others there (split mode); empty: no Consul")
	fs.StringVar(&c.Token, "consul.token", c.Token, "Consul ACL token (prefer MANIFOLD_CONSUL_TOKEN)")
	fs.BoolVar(&c.Register, "consul.register", c.Register, "register this process's services in Consul (false: the Consul agent's service definitions do)")
	fs.StringVar(&c.AdvertiseAddr, "consul.advertise-addr", c.AdvertiseAddr, "host:port other processes reach this one at; empty: the listening address")
	fs.DurationVar(&c.CheckInterval, "consul.check-interval", c.CheckInterval, "how often Consul checks each registered service's gRPC health")
	fs.DurationVar(&c.DeregisterAfter, "consul.deregister-critical-after", c.DeregisterAfter, "how long an instance may stay critical before Consul removes it")
}

// Validate checks the settings, naming the bad one.
func (c Config) Validate() error {
	if c.Addr == "" {
		return nil
	}
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		return fmt.Errorf("invalid consul.addr %q: want host:port", c.Addr)
	}
	if c.AdvertiseAddr != "" {
		if host, port, err := net.SplitHostPort(c.AdvertiseAddr); err != nil || host == "" || port == "" || port == "0" {
			return fmt.Errorf("invalid consul.advertise-addr %q: want host:port with a specific host and port", c.AdvertiseAddr)
		}
	}
	// Consul runs checks at most once a second, whatever it is asked.
	if c.CheckInterval < time.Second {
		return fmt.Errorf("invalid consul.check-interval %s: must be at least 1s (Consul's minimum)", c.CheckInterval)
	}
	// Consul refuses a deregistration delay under one minute and rounds it
	// up, so a shorter value would not mean what it says.
	if c.DeregisterAfter < time.Minute {
		return fmt.Errorf("invalid consul.deregister-critical-after %s: must be at least 1m (Consul's minimum)", c.DeregisterAfter)
	}
	return nil
}

// Advertised returns the host:port to register for a process listening on
// listen: the configured advertise address, or the listening address when
// its host is a specific one.
func (c Config) Advertised(listen string) (string, int, error) {
	addr := c.AdvertiseAddr
	if addr == "" {
		addr = listen
	}
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("advertise address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return "", 0, fmt.Errorf("listening on %s, which other processes cannot dial: set consul.advertise-addr", addr)
	}
	port, err := net.LookupPort("tcp", portText)
	if err != nil || port == 0 {
		return "", 0, fmt.Errorf("advertise address %q: bad port", addr)
	}
	return host, port, nil
}
