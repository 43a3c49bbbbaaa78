package access_test

import (
	"testing"

	"github.com/manifoldgw/manifold/services/internal/access"
)

func TestThrottle(t *testing.T) {
	var th access.Throttle
	for range 5 {
		th.Fail("a")
	}
	if d := th.Delay("a"); d != 0 {
		t.Fatalf("delay after the free failures = %s, want 0", d)
	}
	th.Fail("a")
	first := th.Delay("a")
	th.Fail("a")
	if first <= 0 || th.Delay("a") <= first {
		t.Fatalf("delays %s then %s: want growing delays after repeated failures", first, th.Delay("a"))
	}
	if d := th.Delay("b"); d != 0 {
		t.Errorf("another client is slowed down too: %s", d)
	}
	th.Succeed("a")
	if d := th.Delay("a"); d != 0 {
		t.Errorf("delay after a success = %s, want 0", d)
	}
}
