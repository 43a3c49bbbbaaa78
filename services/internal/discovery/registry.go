package discovery

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/hashicorp/consul/api"
)

// ServicePrefix starts every Manifold service name in Consul, so that
// "router" is registered as "manifold-router".
const ServicePrefix = "manifold-"

// Registration is one service instance as Consul lists it.
type Registration struct {
	// Name is the Manifold service (router, keyvault, ...); Consul's name is
	// ServicePrefix+Name.
	Name string
	// Address and Port are where other processes reach the instance.
	Address string
	Port    int
	// HealthService is the fully-qualified service name the gRPC health
	// check asks about (e.g. manifold.router.v1.RouterService).
	HealthService string
	// Tags are extra Consul tags.
	Tags []string
}

// ID is the instance's Consul ID: unique per service and address, so a
// process restarted on the same address replaces its old registration.
func (r Registration) ID() string {
	return ServicePrefix + r.Name + "-" + net.JoinHostPort(r.Address, strconv.Itoa(r.Port))
}

// Registry registers this process's services in Consul and resolves the
// others.
type Registry struct {
	cfg    Config
	client *api.Client
	logger *slog.Logger
}

// New returns a registry talking to the agent at cfg.Addr. It does not
// contact the agent yet.
func New(cfg Config, logger *slog.Logger) (*Registry, error) {
	acfg := api.DefaultNonPooledConfig()
	acfg.Address = cfg.Addr
	acfg.Scheme = "http"
	if cfg.Token != "" {
		acfg.Token = cfg.Token // else CONSUL_HTTP_TOKEN, if set
	}
	client, err := api.NewClient(acfg)
	if err != nil {
		return nil, fmt.Errorf("consul client: %w", err)
	}
	return &Registry{cfg: cfg, client: client, logger: logger}, nil
}

// Register adds the instance to the agent with a gRPC health check.
func (r *Registry) Register(ctx context.Context, reg Registration) error {
	addr := net.JoinHostPort(reg.Address, strconv.Itoa(reg.Port))
	svc := &api.AgentServiceRegistration{
		ID:      reg.ID(),
		Name:    ServicePrefix + reg.Name,
		Address: reg.Address,
		Port:    reg.Port,
		Tags:    append([]string{"manifold", reg.Name}, reg.Tags...),
		Meta:    map[string]string{"version": r.cfg.Version, "service": reg.HealthService},
		Check: &api.AgentServiceCheck{
			Name:                           "gRPC health of " + reg.HealthService,
			GRPC:                           addr + "/" + reg.HealthService,
			Interval:                       r.cfg.CheckInterval.String(),
			Timeout:                        r.cfg.CheckInterval.String(),
			DeregisterCriticalServiceAfter: r.cfg.DeregisterAfter.String(),
		},
	}
	if err := r.client.Agent().ServiceRegisterOpts(svc, api.ServiceRegisterOpts{}.WithContext(ctx)); err != nil {
		return fmt.Errorf("register %s in consul at %s: %w", svc.ID, r.cfg.Addr, err)
	}
	r.logger.Info("registered in consul", "service", svc.Name, "id", svc.ID, "addr", addr)
	return nil
}

// Deregister removes the instance from the agent.
func (r *Registry) Deregister(ctx context.Context, reg Registration) error {
	if err := r.client.Agent().ServiceDeregisterOpts(reg.ID(), (&api.QueryOptions{}).WithContext(ctx)); err != nil {
		return fmt.Errorf("deregister %s from consul at %s: %w", reg.ID(), r.cfg.Addr, err)
	}
	r.logger.Info("deregistered from consul", "id", reg.ID())
	return nil
}

// Resolver returns a resolver of the healthy instances of service (a
// Manifold name such as "keyvault"); it watches once Run is called.
func (r *Registry) Resolver(service string) *Resolver {
	return newResolver(r.client.Health(), service, r.logger.With("component", "discovery", "target", service))
}
