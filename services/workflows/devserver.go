package workflows

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// FindTemporal finds the temporal CLI binary: next to the running
// executable, in .cache/bin of the working directory or a parent, or on
// PATH.
func FindTemporal() (string, error) {
	var candidates []string
	if exe, err := os.Executable(); err == nil {
		candidates = append(candidates, filepath.Join(filepath.Dir(exe), "temporal"))
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			candidates = append(candidates, filepath.Join(dir, ".cache", "bin", "temporal"))
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return c, nil
		}
	}
	if p, err := exec.LookPath("temporal"); err == nil {
		return p, nil
	}
	return "", errors.New("the temporal binary was not found next to manifold, in .cache/bin or on PATH: run make tools, or pass --temporal.address")
}

// DevServer is a Temporal dev server child process.
type DevServer struct {
	// Addr is its frontend, host:port.
	Addr string
	cmd  *exec.Cmd
	done chan struct{}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// devServerAttempts bounds the starts of a dev server that exits while
// starting: it sometimes trips over its own SQLite database when the
// machine is busy ("failed creating namespaces: database is locked").
const devServerAttempts = 3

// errExitedStarting is a dev server that exited before it listened.
var errExitedStarting = errors.New("temporal dev server exited while starting")

// StartDevServer starts `temporal server start-dev` persisted in dbFile, on
// free loopback ports, and waits (bounded) until its frontend accepts
// connections; a server that exits while starting is started again, up to
// devServerAttempts times. The server gets SIGTERM when ctx ends.
func StartDevServer(ctx context.Context, binary, dbFile, namespace string, logger *slog.Logger) (*DevServer, error) {
	for attempt := 1; ; attempt++ {
		s, err := startDevServer(ctx, binary, dbFile, namespace, logger)
		if !errors.Is(err, errExitedStarting) || attempt == devServerAttempts || ctx.Err() != nil {
			return s, err
		}
		logger.Warn("temporal dev server exited while starting; starting it again", "attempt", attempt, "err", err)
	}
}

func startDevServer(ctx context.Context, binary, dbFile, namespace string, logger *slog.Logger) (*DevServer, error) {
	if err := os.MkdirAll(filepath.Dir(dbFile), 0o700); err != nil {
		return nil, fmt.Errorf("temporal dev server: %w", err)
	}
	var ports [3]int
	for i := range ports {
		p, err := freePort()
		if err != nil {
			return nil, fmt.Errorf("temporal dev server: %w", err)
		}
		ports[i] = p
	}
	args := []string{"server", "start-dev", "--headless", "--ip", "127.0.0.1",
		"--port", strconv.Itoa(ports[0]), "--http-port", strconv.Itoa(ports[1]), "--metrics-port", strconv.Itoa(ports[2]),
		"--db-filename", dbFile, "--namespace", namespace, "--log-level", "error"}
	cmd := exec.Command(binary, args...)
	// Its log lines (slog's text format, errors only) join the gateway's
	// log as records of their own, so that the log stays one format.
	cmd.Stdout, cmd.Stderr = io.Discard, &lineLog{logger: logger.With("component", "temporal")}
	// Its own process group, so a terminal's Ctrl-C reaches manifold only,
	// which then stops the server in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start temporal dev server: %w", err)
	}
	s := &DevServer{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])), cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()
	go func() {
		select {
		case <-ctx.Done():
			_ = cmd.Process.Signal(syscall.SIGTERM)
		case <-s.done:
		}
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err == nil {
			_ = c.Close()
			break
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("%w: %v", errExitedStarting, cmd.ProcessState)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			return nil, errors.New("temporal dev server did not listen within 60s")
		}
	}
	logger.Info("temporal dev server started", "addr", s.Addr, "db", dbFile)
	return s, nil
}

// Done is closed when the server process has exited.
func (s *DevServer) Done() <-chan struct{} { return s.done }

// lineLog is an io.Writer that logs each line written to it as a record of
// logger, at the level the line names (level=ERROR, WARN, DEBUG; INFO
// otherwise).
type lineLog struct {
	logger  *slog.Logger
	partial []byte
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := strings.TrimSpace(string(l.partial[:i]))
		l.partial = l.partial[i+1:]
		if line == "" {
			continue
		}
		level := slog.LevelInfo
		switch {
		case strings.Contains(line, "level=ERROR"):
			level = slog.LevelError
		case strings.Contains(line, "level=WARN"):
			level = slog.LevelWarn
		case strings.Contains(line, "level=DEBUG"):
			level = slog.LevelDebug
		}
		l.logger.Log(context.Background(), level, "temporal dev server", "line", line)
	}
}
