package quota_test

import (
	"strings"
	"testing"
	"time"

	"github.com/manifoldgw/manifold/services/quota"
)

// TestConfigValidate names the bad setting.
func TestConfigValidate(t *testing.T) {
	if err := quota.DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(*quota.Config)
		want string
	}{
		{"lease ttl too short", func(c *quota.Config) { c.LeaseTTL = time.Millisecond }, "quota.lease-ttl"},
		{"lease ttl too long", func(c *quota.Config) { c.LeaseTTL = time.Hour }, "quota.lease-ttl"},
		{"watch poll", func(c *quota.Config) { c.WatchPoll = time.Minute }, "quota.watch-poll"},
		{"watch heartbeat", func(c *quota.Config) { c.WatchHeartbeat = time.Millisecond }, "quota.watch-heartbeat"},
		{"addr without port", func(c *quota.Config) { c.Addr = "quota" }, "quota.addr"},
		{"addr with an empty port", func(c *quota.Config) { c.Addr = "quota:" }, "quota.addr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := quota.DefaultConfig()
			tc.edit(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want an error naming %s", err, tc.want)
			}
		})
	}
	c := quota.DefaultConfig()
	c.Addr = "quota.internal:8080"
	if err := c.Validate(); err != nil {
		t.Errorf("quota.addr host:port: %v", err)
	}
}
