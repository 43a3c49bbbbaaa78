package discovery

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/consul/api"
)

// watchWait bounds one blocking query; Consul answers earlier on a change.
const watchWait = 30 * time.Second

// retryDelay spaces queries after Consul could not be reached.
const retryDelay = 500 * time.Millisecond

// Resolver keeps the healthy instances of one service, as host:port, from a
// Consul blocking-query watch. When Consul is unreachable it keeps the last
// instances it saw, so clients go on working with a known set.
type Resolver struct {
	health  *api.Health
	service string
	logger  *slog.Logger

	mu        sync.Mutex
	instances []string
	loaded    chan struct{} // closed after the first answer
	next      atomic.Uint64
}

func newResolver(health *api.Health, service string, logger *slog.Logger) *Resolver {
	return &Resolver{health: health, service: service, logger: logger, loaded: make(chan struct{})}
}

// Run watches the service until ctx ends.
func (r *Resolver) Run(ctx context.Context) {
	var index uint64
	failing := false
	for ctx.Err() == nil {
		q := (&api.QueryOptions{WaitIndex: index, WaitTime: watchWait}).WithContext(ctx)
		entries, meta, err := r.health.Service(ServicePrefix+r.service, "", true, q)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !failing {
				r.logger.Warn("consul watch failed; keeping the last known instances", "error", err)
				failing = true
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(retryDelay):
			}
			continue
		}
		if failing {
			r.logger.Info("consul watch restored")
			failing = false
		}
		// An index that goes backwards means Consul's state was reset.
		if meta.LastIndex < index {
			index = 0
		} else {
			index = meta.LastIndex
		}
		r.set(addresses(entries))
	}
}

func addresses(entries []*api.ServiceEntry) []string {
	var out []string
	for _, e := range entries {
		host := e.Service.Address
		if host == "" {
			host = e.Node.Address
		}
		out = append(out, net.JoinHostPort(host, strconv.Itoa(e.Service.Port)))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (r *Resolver) set(instances []string) {
	r.mu.Lock()
	changed := !slices.Equal(r.instances, instances)
	r.instances = instances
	select {
	case <-r.loaded:
	default:
		close(r.loaded)
		changed = true
	}
	r.mu.Unlock()
	if changed {
		r.logger.Info("healthy instances", "instances", instances)
	}
}

// Instances returns the healthy instances last seen, sorted.
func (r *Resolver) Instances() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.instances)
}

// order returns every known instance, starting with the next one in
// round-robin order: the first is for the call, the rest for retries. It
// waits for the watch's first answer.
func (r *Resolver) order(ctx context.Context) ([]string, error) {
	select {
	case <-r.loaded:
	case <-ctx.Done():
		return nil, fmt.Errorf("find %s in consul: %w", ServicePrefix+r.service, context.Cause(ctx))
	}
	all := r.Instances()
	if len(all) == 0 {
		return nil, fmt.Errorf("no healthy instance of %s in consul", ServicePrefix+r.service)
	}
	start := int(r.next.Add(1) % uint64(len(all)))
	return append(all[start:], all[:start]...), nil
}
