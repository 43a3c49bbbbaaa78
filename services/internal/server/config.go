package server

import (
	"flag"
	"fmt"
	"net"
	"time"
)

// Config configures the one listener that serves every surface.
type Config struct {
	// Addr is the host:port to listen on.
	Addr string
	// ShutdownTimeout bounds the graceful drain on SIGTERM.
	ShutdownTimeout time.Duration
	// MaxRequestBytes caps request bodies.
	MaxRequestBytes int64
}

// RegisterFlags registers the flags, using the current values as defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "host:port to serve Connect, gRPC, HTTP APIs and metrics on")
	fs.DurationVar(&c.ShutdownTimeout, "server.shutdown-timeout", c.ShutdownTimeout, "how long a graceful shutdown waits for in-flight requests")
	fs.Int64Var(&c.MaxRequestBytes, "server.max-request-bytes", c.MaxRequestBytes, "largest accepted request body in bytes")
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:8080", ShutdownTimeout: 30 * time.Second, MaxRequestBytes: 32 << 20}
}

// Validate checks the settings, naming the bad one.
func (c Config) Validate() error {
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		return fmt.Errorf("invalid addr %q: want host:port", c.Addr)
	}
	if c.ShutdownTimeout <= 0 {
		return fmt.Errorf("invalid server.shutdown-timeout %s: must be positive", c.ShutdownTimeout)
	}
	if c.MaxRequestBytes < 1024 {
		return fmt.Errorf("invalid server.max-request-bytes %d: must be at least 1024", c.MaxRequestBytes)
	}
	return nil
}
