package prompts_test

import (
	"strings"
	"testing"
	"time"

	"github.com/manifoldgw/manifold/services/prompts"
)

func TestConfigValidateNamesTheBadSetting(t *testing.T) {
	if err := prompts.DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for want, edit := range map[string]func(*prompts.Config){
		"prompts.public-url":      func(c *prompts.Config) { c.PublicURL = "ftp://x" },
		"prompts.watch-poll":      func(c *prompts.Config) { c.WatchPoll = 2 * time.Second },
		"prompts.watch-heartbeat": func(c *prompts.Config) { c.WatchHeartbeat = time.Millisecond },
	} {
		c := prompts.DefaultConfig()
		edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want an error naming %s", err, want)
		}
	}
}
