package router

import (
	"strconv"
	"testing"
	"time"
)

// Call ids start with the time, so that later calls sort later (the call
// log's and the ledger's indexes grow at their end), and stay unique.
func TestCallIDsSortByTime(t *testing.T) {
	before := time.Now().UnixMilli()
	seen := map[string]bool{}
	prev := ""
	for range 1000 {
		id := newCallID()
		if len(id) != len("call_")+32 || id[:5] != "call_" {
			t.Fatalf("id %q: want call_ and 32 hex digits", id)
		}
		if seen[id] {
			t.Fatalf("id %q made twice", id)
		}
		seen[id] = true
		if id[:17] < prev {
			t.Fatalf("id %q sorts before the earlier %q", id, prev)
		}
		prev = id[:17]
	}
	ms, err := strconv.ParseInt(prev[5:], 16, 64)
	if err != nil || ms < before || ms > time.Now().UnixMilli() {
		t.Errorf("time prefix of the last id = %d (%v), want between %d and now", ms, err, before)
	}
}
