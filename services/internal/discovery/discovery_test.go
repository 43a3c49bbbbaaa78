package discovery_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/manifoldgw/manifold/services/internal/discovery"
	"github.com/manifoldgw/manifold/services/internal/discovery/consultest"
	"github.com/manifoldgw/manifold/services/internal/server"
)

const healthName = "manifold.test.v1.EchoService"

// instance is a real Manifold server answering /echo with its address and
// the request body, with gRPC health serving healthName.
type instance struct {
	addr string
	port int
	stop func()
}

func startInstance(t *testing.T) *instance {
	t.Helper()
	srv, err := server.New(server.DefaultConfig(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	srv.RegisterService(healthName, "/"+healthName+"/", http.NotFoundHandler())
	srv.Handle("/echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s", addr, b)
	}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, ln); close(done) }()
	in := &instance{addr: addr, port: ln.Addr().(*net.TCPAddr).Port}
	in.stop = func() { cancel(); <-done }
	t.Cleanup(in.stop)
	return in
}

func (in *instance) registration(name string) discovery.Registration {
	return discovery.Registration{Name: name, Address: "127.0.0.1", Port: in.port, HealthService: healthName}
}

func newRegistry(t *testing.T, consulAddr string) *discovery.Registry {
	t.Helper()
	cfg := discovery.DefaultConfig()
	cfg.Addr = consulAddr
	cfg.Version = "v9.9.9-test"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	reg, err := discovery.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// eventually polls cond every 50ms for up to 30s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checks returns the health status of every instance of the Consul service.
func checks(t *testing.T, consulAddr, service string) map[string]string {
	t.Helper()
	client, err := api.NewClient(&api.Config{Address: consulAddr})
	if err != nil {
		t.Fatal(err)
	}
	entries, _, err := client.Health().Service(service, "", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		out[e.Service.ID] = e.Checks.AggregatedStatus()
	}
	return out
}

func echo(t *testing.T, c *http.Client, body string) (string, error) {
	t.Helper()
	res, err := c.Post("http://manifold-echo/echo", "text/plain", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return string(b), err
}

func TestRegisterResolveBalanceFailover(t *testing.T) {
	consul := consultest.Start(t)
	reg := newRegistry(t, consul)
	ctx := t.Context()
	a, b := startInstance(t), startInstance(t)
	for _, in := range []*instance{a, b} {
		if err := reg.Register(ctx, in.registration("echo")); err != nil {
			t.Fatal(err)
		}
	}

	// The catalog lists both instances with their metadata, and their gRPC
	// health checks pass.
	eventually(t, "both instances passing", func() bool {
		c := checks(t, consul, "manifold-echo")
		return len(c) == 2 && c[a.registration("echo").ID()] == api.HealthPassing && c[b.registration("echo").ID()] == api.HealthPassing
	})
	client, _ := api.NewClient(&api.Config{Address: consul})
	svcs, _, err := client.Catalog().Service("manifold-echo", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range svcs {
		if s.ServiceMeta["version"] != "v9.9.9-test" || !slices.Contains(s.ServiceTags, "manifold") || s.ServiceAddress != "127.0.0.1" {
			t.Errorf("catalog entry %s: meta %v tags %v address %q", s.ServiceID, s.ServiceMeta, s.ServiceTags, s.ServiceAddress)
		}
	}

	target := reg.Target(ctx, "echo")
	res := reg.Resolver("echo")
	go res.Run(ctx)
	eventually(t, "resolver sees both", func() bool { return len(res.Instances()) == 2 })
	c := &http.Client{Transport: target.Client.(*http.Client).Transport}

	// Calls are balanced over both instances.
	seen := map[string]int{}
	for i := range 6 {
		got, err := echo(t, c, fmt.Sprint(i))
		if err != nil {
			t.Fatal(err)
		}
		seen[strings.Fields(got)[0]]++
	}
	if seen[a.addr] != 3 || seen[b.addr] != 3 {
		t.Fatalf("round robin over %s and %s: %v", a.addr, b.addr, seen)
	}

	// Instance a dies without deregistering: before Consul notices, calls
	// that would go to it are retried on b, request body included.
	a.stop()
	for i := range 6 {
		body := fmt.Sprintf("call-%d", i)
		got, err := echo(t, c, body)
		if err != nil {
			t.Fatalf("call %d after a stopped: %v", i, err)
		}
		if got != b.addr+" "+body {
			t.Fatalf("call %d after a stopped answered %q, want %q", i, got, b.addr+" "+body)
		}
	}
	// Consul turns a critical and the watch drops it.
	eventually(t, "a critical", func() bool {
		return checks(t, consul, "manifold-echo")[a.registration("echo").ID()] == api.HealthCritical
	})
	eventually(t, "resolver drops a", func() bool { return slices.Equal(res.Instances(), []string{b.addr}) })

	// Deregistering removes b from the catalog; the service then has no
	// instance and calls fail with a clear error.
	if err := reg.Deregister(ctx, b.registration("echo")); err != nil {
		t.Fatal(err)
	}
	if _, ok := checks(t, consul, "manifold-echo")[b.registration("echo").ID()]; ok {
		t.Fatal("b still listed after deregistering")
	}
	eventually(t, "resolver empty", func() bool { return len(res.Instances()) == 0 })
	eventually(t, "transport's resolver empty", func() bool {
		_, err := echo(t, c, "x")
		return err != nil && strings.Contains(err.Error(), "no healthy instance of manifold-echo in consul")
	})
}

func TestUnreachableInstancesFailWithConnectionError(t *testing.T) {
	consul := consultest.Start(t)
	reg := newRegistry(t, consul)
	ctx := t.Context()
	// Registered, but nothing listens there: every instance refuses the
	// connection, and the error says so after trying each once.
	for range 2 {
		port := consultest.FreePort(t)
		if err := reg.Register(ctx, discovery.Registration{Name: "ghost", Address: "127.0.0.1", Port: port, HealthService: healthName}); err != nil {
			t.Fatal(err)
		}
	}
	// Passing-only resolution never lists them (their check is critical
	// from the start), so calls fail fast with the no-instance error.
	target := reg.Target(ctx, "ghost")
	callCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(callCtx, http.MethodGet, target.BaseURL+"/echo", nil)
	_, err := target.Client.Do(req)
	if err == nil || !strings.Contains(err.Error(), "no healthy instance of manifold-ghost") {
		t.Fatalf("call to unhealthy service: %v", err)
	}
}

func TestResolverKeepsInstancesWhenConsulIsDown(t *testing.T) {
	consul := consultest.Start(t)
	reg := newRegistry(t, consul)
	in := startInstance(t)
	if err := reg.Register(t.Context(), in.registration("echo")); err != nil {
		t.Fatal(err)
	}
	// A second registry pointing at an agent that is not there: its
	// resolver never loads, and a call waits only as long as its context.
	dead := newRegistry(t, net.JoinHostPort("127.0.0.1", fmt.Sprint(consultest.FreePort(t))))
	target := dead.Target(t.Context(), "echo")
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, target.BaseURL+"/echo", nil)
	if _, err := target.Client.Do(req); err == nil || !strings.Contains(err.Error(), "find manifold-echo in consul") {
		t.Fatalf("call with consul unreachable: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		mutate func(*discovery.Config)
		want   string
	}{
		{func(c *discovery.Config) {}, ""},
		{func(c *discovery.Config) { c.Addr = "127.0.0.1:8500" }, ""},
		{func(c *discovery.Config) { c.Addr = "nohostport" }, "invalid consul.addr"},
		{func(c *discovery.Config) { c.Addr = "127.0.0.1:8500"; c.AdvertiseAddr = "0.0.0.0" }, "invalid consul.advertise-addr"},
		{func(c *discovery.Config) { c.Addr = "127.0.0.1:8500"; c.CheckInterval = time.Millisecond }, "invalid consul.check-interval"},
		{func(c *discovery.Config) { c.Addr = "127.0.0.1:8500"; c.DeregisterAfter = time.Second }, "invalid consul.deregister-critical-after"},
	} {
		cfg := discovery.DefaultConfig()
		tc.mutate(&cfg)
		err := cfg.Validate()
		if (tc.want == "" && err != nil) || (tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want))) {
			t.Errorf("Validate(%+v) = %v, want %q", cfg, err, tc.want)
		}
	}
	cfg := discovery.DefaultConfig()
	if _, _, err := cfg.Advertised("0.0.0.0:8080"); err == nil || !strings.Contains(err.Error(), "set consul.advertise-addr") {
		t.Errorf("Advertised(0.0.0.0:8080) = %v", err)
	}
	cfg.AdvertiseAddr = "10.0.0.7:9000"
	if host, port, err := cfg.Advertised("0.0.0.0:8080"); err != nil || host != "10.0.0.7" || port != 9000 {
		t.Errorf("Advertised with advertise-addr = %s %d %v", host, port, err)
	}
}
