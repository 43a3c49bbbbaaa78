// Package server serves every Manifold surface on one listener: Connect,
// gRPC and gRPC-Web handlers over HTTP/1.1 and h2c, gRPC health and server
// reflection, plus plain HTTP handlers added by services.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"

	"github.com/manifoldgw/manifold/services/internal/dial"
	"github.com/manifoldgw/manifold/services/internal/telemetry"
)

// Server is the HTTP server shared by all services of one process.
type Server struct {
	cfg      Config
	logger   *slog.Logger
	mux      *http.ServeMux
	options  []connect.HandlerOption
	mu       sync.Mutex
	services []string
	checker  *grpchealth.StaticChecker
	memory   *dial.Memory
	// draining is closed when a graceful shutdown starts.
	draining chan struct{}
	// drained runs once external requests are drained, before in-process
	// connections close.
	drained []func()
}

// compressMinBytes is the smallest response body Connect handlers compress.
const compressMinBytes = 1024

// New returns a server with the shared interceptors ready.
func New(cfg Config, logger *slog.Logger) (*Server, error) {
	vi, err := newValidationInterceptor()
	if err != nil {
		return nil, err
	}
	draining := make(chan struct{})
	return &Server{
		cfg:    cfg,
		logger: logger,
		mux:    http.NewServeMux(),
		options: []connect.HandlerOption{
			connect.WithInterceptors(vi, drainInterceptor{draining: draining}),
			// Connect compresses every response a client accepts gzip
			// for; below a kilobyte that costs a compressor from the pool
			// and more bytes than it saves (the acknowledgements of call
			// log and settlement batches, key lookups).
			connect.WithCompressMinBytes(compressMinBytes),
		},
		checker:  grpchealth.NewStaticChecker(),
		memory:   dial.NewMemory(),
		draining: draining,
	}, nil
}

// InProcess is the target through which clients in this process reach the
// services it serves, over the same HTTP stack as remote callers.
func (s *Server) InProcess() dial.Target { return dial.InProcess(s.memory) }

// HandlerOptions are the options every Connect handler must be built with.
func (s *Server) HandlerOptions() []connect.HandlerOption { return s.options }

// Guard puts an interceptor in front of every Connect handler built from
// HandlerOptions afterwards (before request validation): the admin guard.
func (s *Server) Guard(i connect.Interceptor) {
	s.options = append([]connect.HandlerOption{connect.WithInterceptors(i)}, s.options...)
}

// RegisterService mounts a Connect service handler and lists it in health
// and reflection. name is the fully-qualified service name.
func (s *Server) RegisterService(name, path string, h http.Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.services = append(s.services, name)
	s.mux.Handle(path, h)
	s.checker.SetStatus(name, grpchealth.StatusServing)
}

// Handle mounts a plain HTTP handler (OpenAI/Anthropic APIs, metrics, ...).
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Services lists the registered service names.
func (s *Server) Services() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.services)
}

func (s *Server) handler() http.Handler {
	names := s.Services()
	mux := http.NewServeMux()
	mux.Handle(grpchealth.NewHandler(s.checker))
	// Reflection lists itself, as grpc-go's does, so that clients such as
	// grpcurl show every service the listener answers.
	reflector := grpcreflect.NewStaticReflector(append(names, grpchealth.HealthV1ServiceName,
		grpcreflect.ReflectV1ServiceName, grpcreflect.ReflectV1AlphaServiceName)...)
	mux.Handle(grpcreflect.NewHandlerV1(reflector))
	mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector))
	mux.Handle("/", s.mux)
	return telemetry.TraceHTTP(http.MaxBytesHandler(mux, s.cfg.MaxRequestBytes))
}

// inProcessGrace is how long a shutdown waits before closing in-process
// connections.
const inProcessGrace = 2 * time.Second

// OnDrained runs f during a graceful shutdown, once requests from outside
// the process are drained and before in-process connections close: work
// that still calls this process's services as it stops (flushing the call
// log, returning quota leases) finishes in f.
func (s *Server) OnDrained(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drained = append(s.drained, f)
}

// Serve serves on ln until ctx is done, then drains in-flight requests for
// up to the shutdown timeout, runs the OnDrained functions and closes the
// in-process connections.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	handler := s.handler()
	newServer := func() *http.Server {
		protocols := new(http.Protocols)
		protocols.SetHTTP1(true)
		protocols.SetUnencryptedHTTP2(true)
		return &http.Server{
			Handler:           handler,
			Protocols:         protocols,
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
		}
	}
	// One server for the listener, one for in-process clients, so that
	// they stop one after the other.
	srv, mem := newServer(), newServer()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	go func() { _ = mem.Serve(s.memory) }()
	select {
	case err := <-errc:
		_ = mem.Close()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	for _, name := range s.Services() {
		s.checker.SetStatus(name, grpchealth.StatusNotServing)
	}
	close(s.draining)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	s.mu.Lock()
	drained := s.drained
	s.mu.Unlock()
	for _, f := range drained {
		f()
	}
	// An in-process HTTP/2 connection may never be told to go away, and
	// would hold the shutdown until its timeout. In-process clients are
	// this process's own and have stopped: after a grace period their
	// connections are closed.
	memCtx, cancelMem := context.WithTimeout(context.WithoutCancel(ctx), inProcessGrace)
	defer cancelMem()
	if mem.Shutdown(memCtx) != nil {
		s.memory.CloseConns()
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
