package splittest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"
	"github.com/jackc/pgx/v5"

	"github.com/manifoldgw/manifold/services/internal/discovery/consultest"
	"github.com/manifoldgw/manifold/services/internal/gatewaytest"
)

// adminToken is the bootstrap admin token every process is started with.
const adminToken = "split-admin-token-0123456789"

// internalToken is the token the services authenticate to each other with.
const internalToken = "split-internal-token-0123456789"

// cluster is one split deployment: a Consul agent, a PostgreSQL database
// and the manifold processes started so far.
type cluster struct {
	t         *testing.T
	bin       string
	consul    string
	dbURL     string
	masterKey string
	client    *api.Client
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	return newClusterWith(t)
}

// newClusterWith starts the Consul agent with more arguments.
func newClusterWith(t *testing.T, consulArgs ...string) *cluster {
	t.Helper()
	c := &cluster{t: t, bin: buildManifold(t), consul: consultest.Start(t, consulArgs...), dbURL: freshDatabase(t)}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	c.masterKey = base64.StdEncoding.EncodeToString(key)
	var err error
	if c.client, err = api.NewClient(&api.Config{Address: c.consul}); err != nil {
		t.Fatal(err)
	}
	return c
}

// buildManifold builds cmd/manifold into the test's temporary directory.
func buildManifold(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "manifold")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/manifold")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/manifold: %v\n%s", err, out)
	}
	return bin
}

// defaultDatabaseURL is the server tests use unless
// MANIFOLD_TEST_DATABASE_URL names another; a database is created on it
// for each test and dropped afterwards.
const defaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func freshDatabase(t *testing.T) string {
	t.Helper()
	base := os.Getenv("MANIFOLD_TEST_DATABASE_URL")
	if base == "" {
		base = defaultDatabaseURL
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("PostgreSQL is needed at %s (MANIFOLD_TEST_DATABASE_URL): %v", base, err)
	}
	name := "manifold_split_" + strings.ToLower(rand.Text()[:10])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		conn.Close(ctx)
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// proc is one running `manifold serve`.
type proc struct {
	name   string
	addr   string // host:port it serves on
	cmd    *exec.Cmd
	exited chan struct{}
	log    *gatewaytest.Buffer
	ready  chan string // the address, once serving
}

// URL is the process's base URL.
func (p *proc) URL() string { return "http://" + p.addr }

// signal sends sig to the process.
func (p *proc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %s: %v", p.name, err)
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not exit within 60s", p.name)
	}
	return p.cmd.ProcessState.ExitCode()
}

// start runs `manifold serve --services=<services>` on a loopback port and
// waits until it serves.
func (c *cluster) start(name, services string, extra ...string) *proc {
	c.t.Helper()
	p := c.launch(name, services, extra...)
	p.await(c.t)
	return p
}

// launch starts `manifold serve --services=<services>` on a loopback port;
// await waits until it serves.
func (c *cluster) launch(name, services string, extra ...string) *proc {
	t := c.t
	t.Helper()
	args := append([]string{"serve",
		"--services", services,
		"--addr", "127.0.0.1:0",
		"--data-dir", t.TempDir(),
		"--database-url", c.dbURL,
		"--consul.addr", c.consul,
		"--consul.check-interval", "1s",
		"--log.format", "json",
	}, extra...)
	cmd := exec.Command(c.bin, args...)
	// Secrets through the environment, as the deploy assets do; nothing
	// else of the host's MANIFOLD_* settings.
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"MANIFOLD_ADMIN_TOKEN=" + adminToken,
		"MANIFOLD_INTERNAL_TOKEN=" + internalToken,
		"MANIFOLD_MASTER_KEY=" + c.masterKey,
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{name: name, cmd: cmd, exited: make(chan struct{}), log: &gatewaytest.Buffer{}, ready: make(chan string, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		// The first log line saying "manifold serving" carries the address.
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(p.log, line)
			var rec struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "manifold serving" {
				p.ready <- rec.Addr
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		_ = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("%s log:\n%s", name, p.log.String())
		}
	})
	return p
}

// await waits until the process serves and records its address.
func (p *proc) await(t *testing.T) {
	t.Helper()
	select {
	case p.addr = <-p.ready:
	case <-p.exited:
		t.Fatalf("%s exited before serving:\n%s", p.name, p.log.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("%s not serving within 60s:\n%s", p.name, p.log.String())
	}
}

// manifold runs a manifold CLI command and returns its standard output.
func (c *cluster) manifold(args ...string) string {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + c.t.TempDir()}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		c.t.Fatalf("manifold %s: %v\n%s%s", strings.Join(args, " "), err, stderr.String(), stdout.String())
	}
	return stdout.String()
}

// health returns the aggregated check status of every instance of a
// Manifold service in Consul, by instance address.
func (c *cluster) health(service string) map[string]string {
	c.t.Helper()
	entries, _, err := c.client.Health().Service("manifold-"+service, "", false, nil)
	if err != nil {
		c.t.Fatalf("consul health of %s: %v", service, err)
	}
	out := map[string]string{}
	for _, e := range entries {
		out[fmt.Sprintf("%s:%d", e.Service.Address, e.Service.Port)] = e.Checks.AggregatedStatus()
	}
	return out
}

// eventually polls cond every 50ms until it holds, for at most 60s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond) // polling interval, not synchronisation
	}
}
