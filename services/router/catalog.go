package router

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/router/provider"
)

// catalog is an immutable snapshot of providers, models and routes. The
// router swaps in a new snapshot on every change; requests read the current
// one without locks.
type catalog struct {
	providers map[string]*providerEntry
	models    map[string]*routerv1.Model
	routes    map[string]*routerv1.Route
}

// providerEntry is a provider with its adapter and key pool.
type providerEntry struct {
	cfg   *routerv1.Provider
	impl  provider.Provider
	creds []weightedCredential
}

type weightedCredential struct {
	cred   provider.Credential
	weight int
}

// plan is how one request will be served: its route (explicit or implied by
// a bare model name) and the targets to try, in order.
type plan struct {
	route   *routerv1.Route
	targets []*boundTarget
	// tokens is the call's worst case (estimated input + max output), for
	// credential rate limits.
	tokens int64
}

// boundTarget is a route target resolved against the catalog.
type boundTarget struct {
	key      string // route|model, for breaker and latency state
	model    *routerv1.Model
	provider *providerEntry
	cred     string
}

func newCatalog() *catalog {
	return &catalog{providers: map[string]*providerEntry{}, models: map[string]*routerv1.Model{}, routes: map[string]*routerv1.Route{}}
}

// resolve finds the route for a request's model name: a route alias, or a
// catalog model served through an implicit single-target route.
func (c *catalog) resolve(name string) (*routerv1.Route, error) {
	if name == "" {
		return nil, apierror.Invalid("request.model", "model is required")
	}
	if r, ok := c.routes[name]; ok {
		return r, nil
	}
	if _, ok := c.models[name]; ok {
		return &routerv1.Route{Name: "", Targets: []*routerv1.Target{{Model: name}}}, nil
	}
	e := apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "model %q does not exist or you do not have access to it", name)
	e.Field = "request.model"
	return nil, e
}

// bind resolves a route's targets against the catalog.
func (c *catalog) bind(r *routerv1.Route) ([]*boundTarget, error) {
	out := make([]*boundTarget, 0, len(r.GetTargets()))
	for _, t := range r.GetTargets() {
		m, ok := c.models[t.GetModel()]
		if !ok {
			continue
		}
		p, ok := c.providers[m.GetProvider()]
		if !ok {
			continue
		}
		out = append(out, &boundTarget{key: r.GetName() + "|" + m.GetName(), model: m, provider: p, cred: t.GetCredential()})
	}
	if len(out) == 0 {
		return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, "route %q has no usable target", r.GetName())
	}
	return out, nil
}

// check validates a catalog: every model's provider and every route
// target's model must exist.
func (c *catalog) check() error {
	for _, m := range c.models {
		if _, ok := c.providers[m.GetProvider()]; !ok {
			return fmt.Errorf("model %q: unknown provider %q", m.GetName(), m.GetProvider())
		}
	}
	for _, r := range c.routes {
		if _, ok := c.models[r.GetName()]; ok {
			return fmt.Errorf("route %q: a model has the same name", r.GetName())
		}
		for _, t := range r.GetTargets() {
			if _, ok := c.models[t.GetModel()]; !ok {
				return fmt.Errorf("route %q: unknown model %q", r.GetName(), t.GetModel())
			}
		}
	}
	return nil
}

// targetState is one target's breaker and latency average on this replica.
type targetState struct {
	mu          sync.Mutex
	failures    uint32
	openUntil   time.Time
	trialActive bool
	avgLatency  time.Duration
}

// stateTable holds target states by key.
type stateTable struct {
	mu sync.Mutex
	m  map[string]*targetState
}

func (t *stateTable) get(key string) *targetState {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]*targetState{}
	}
	s, ok := t.m[key]
	if !ok {
		s = &targetState{}
		t.m[key] = s
	}
	return s
}

// admit reports whether the breaker lets a request through: closed, or open
// long enough that one trial request may go. With claim false it only
// looks; with claim true an admitted trial is reserved, and the caller must
// end it with success, failure or release.
func (s *targetState) admit(now time.Time, claim bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.openUntil.IsZero():
		return true
	case now.Before(s.openUntil), s.trialActive:
		return false
	}
	s.trialActive = claim
	return true
}

// release ends a trial that said nothing about the target's health.
func (s *targetState) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trialActive = false
}

func (s *targetState) success(latency time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures, s.openUntil, s.trialActive = 0, time.Time{}, false
	if s.avgLatency == 0 {
		s.avgLatency = latency
	} else {
		s.avgLatency = (s.avgLatency*4 + latency) / 5 // EWMA, alpha 0.2
	}
}

func (s *targetState) failure(now time.Time, cb *routerv1.CircuitBreaker) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures++
	s.trialActive = false
	if th := cb.GetFailureThreshold(); th > 0 && s.failures >= th {
		openFor := cb.GetOpenFor().AsDuration()
		if openFor <= 0 {
			openFor = 30 * time.Second
		}
		s.openUntil = now.Add(openFor)
	}
}

func (s *targetState) health(now time.Time) (failures uint32, open bool, avg time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failures, !s.openUntil.IsZero() && now.Before(s.openUntil), s.avgLatency
}

func (s *targetState) latency() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.avgLatency
}

// order returns the targets in the order to try them under the route's
// strategy.
func order(r *routerv1.Route, ts []*boundTarget, states *stateTable, weights []*routerv1.Target) []*boundTarget {
	if len(ts) <= 1 {
		return ts
	}
	out := append([]*boundTarget(nil), ts...)
	switch r.GetStrategy() {
	case routerv1.Strategy_STRATEGY_WEIGHTED:
		w := func(bt *boundTarget) int {
			for _, t := range weights {
				if t.GetModel() == bt.model.GetName() {
					if t.GetWeight() == 0 {
						return 1
					}
					return int(t.GetWeight())
				}
			}
			return 1
		}
		total := 0
		for _, t := range out {
			total += w(t)
		}
		pick := rand.IntN(total)
		for i, t := range out {
			if pick < w(t) {
				out[0], out[i] = out[i], out[0]
				break
			}
			pick -= w(t)
		}
		rest := out[1:]
		sort.SliceStable(rest, func(i, j int) bool { return w(rest[i]) > w(rest[j]) })
	case routerv1.Strategy_STRATEGY_LOWEST_LATENCY:
		sort.SliceStable(out, func(i, j int) bool {
			li, lj := states.get(out[i].key).latency(), states.get(out[j].key).latency()
			// Unmeasured targets go first so that they get measured.
			if li == 0 || lj == 0 {
				return li == 0 && lj != 0
			}
			return li < lj
		})
	}
	return out
}

// hasRestedCredential reports whether the pool holds a credential other
// than used that is not cooling down.
func (p *providerEntry) hasRestedCredential(used string, cooling func(name string) bool) bool {
	for _, c := range p.creds {
		if c.cred.Name != used && !cooling(c.cred.Name) {
			return true
		}
	}
	return false
}

// pickCredential chooses a credential of the provider's pool by weight,
// skipping cooled-down ones, or the pinned one.
func (p *providerEntry) pickCredential(pinned string, cooling func(name string) bool) provider.Credential {
	if len(p.creds) == 0 {
		return provider.Credential{}
	}
	if pinned != "" {
		for _, c := range p.creds {
			if c.cred.Name == pinned {
				return c.cred
			}
		}
	}
	total := 0
	for _, c := range p.creds {
		if !cooling(c.cred.Name) {
			total += c.weight
		}
	}
	if total == 0 {
		return p.creds[0].cred
	}
	pick := rand.IntN(total)
	for _, c := range p.creds {
		if cooling(c.cred.Name) {
			continue
		}
		if pick < c.weight {
			return c.cred
		}
		pick -= c.weight
	}
	return p.creds[0].cred
}
