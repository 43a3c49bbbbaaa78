package router

import (
	"flag"
	"fmt"
	"time"
)

// Config configures the router.
type Config struct {
	// DemoTokenDelay paces the demo model's streamed tokens.
	DemoTokenDelay time.Duration
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{DemoTokenDelay: 20 * time.Millisecond}
}

// RegisterFlags registers the router's flags, using current values as defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.DurationVar(&c.DemoTokenDelay, "router.demo-token-delay", c.DemoTokenDelay, "delay between the demo model's streamed tokens (0 streams at full speed)")
}

// Validate checks the settings, naming the bad one.
func (c Config) Validate() error {
	if c.DemoTokenDelay < 0 || c.DemoTokenDelay > time.Second {
		return fmt.Errorf("invalid router.demo-token-delay %s: must be between 0 and 1s", c.DemoTokenDelay)
	}
	return nil
}
