package access

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Throttle slows down clients whose authentications keep failing: after a
// few free failures each attempt waits, doubling up to a bound, until one
// succeeds. Memory is bounded: past maxClients it forgets everyone.
type Throttle struct {
	mu     sync.Mutex
	counts map[string]int
	// clients is len(counts), read without the lock: with no failing
	// client (the usual case) a successful authentication takes no lock.
	clients atomic.Int64
}

const (
	freeFailures = 5
	maxDelay     = 2 * time.Second
	maxClients   = 10000
)

// Delay is how long the client's next attempt waits.
func (t *Throttle) Delay(client string) time.Duration {
	if t.clients.Load() == 0 {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.counts[client] - freeFailures
	if n <= 0 {
		return 0
	}
	return min(maxDelay, 50*time.Millisecond<<min(n, 10))
}

// Wait sleeps for the client's delay, or until ctx ends.
func (t *Throttle) Wait(ctx context.Context, client string) error {
	d := t.Delay(client)
	if d == 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// Fail counts a failed authentication.
func (t *Throttle) Fail(client string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts == nil || len(t.counts) >= maxClients {
		t.counts = map[string]int{}
	}
	t.counts[client]++
	t.clients.Store(int64(len(t.counts)))
}

// Succeed forgets the client's failures.
func (t *Throttle) Succeed(client string) {
	if t.clients.Load() == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.counts, client)
	t.clients.Store(int64(len(t.counts)))
}
