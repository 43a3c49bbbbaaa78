// Package dial binds service clients to their servers. In all-in-one mode a
// client reaches a service in the same process through an in-memory
// listener served by the process's own HTTP server, so every call takes the
// same Connect code path as in split mode, where clients reach services
// over the network (addresses from configuration or discovery).
package dial

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"connectrpc.com/connect"
)

// Memory is an in-memory net.Listener: Dial hands one end of a pipe to the
// server's Accept.
type Memory struct {
	conns     chan net.Conn
	closeOnce sync.Once
	closed    chan struct{}

	mu   sync.Mutex
	open map[*memConn]struct{} // server ends handed to Accept, not closed yet
}

// NewMemory returns an open in-memory listener.
func NewMemory() *Memory {
	return &Memory{conns: make(chan net.Conn), closed: make(chan struct{}), open: map[*memConn]struct{}{}}
}

// memConn is the server end of an in-memory connection.
type memConn struct {
	net.Conn
	m    *Memory
	once sync.Once
}

func (c *memConn) Close() error {
	c.once.Do(func() {
		c.m.mu.Lock()
		delete(c.m.open, c)
		c.m.mu.Unlock()
	})
	return c.Conn.Close()
}

// CloseConns closes every in-memory connection still open: at the end of a
// shutdown, whose in-process clients are this process's own and stopping.
func (m *Memory) CloseConns() {
	m.mu.Lock()
	conns := make([]*memConn, 0, len(m.open))
	for c := range m.open {
		conns = append(conns, c)
	}
	m.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}

// Accept waits for the next in-memory connection.
func (m *Memory) Accept() (net.Conn, error) {
	select {
	case c := <-m.conns:
		return c, nil
	case <-m.closed:
		return nil, net.ErrClosed
	}
}

// Close stops accepting; pending dials fail.
func (m *Memory) Close() error {
	m.closeOnce.Do(func() { close(m.closed) })
	return nil
}

// Addr names the listener.
func (m *Memory) Addr() net.Addr { return memAddr{} }

// DialContext connects to the listener.
func (m *Memory) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	p, client := net.Pipe()
	server := &memConn{Conn: p, m: m}
	m.mu.Lock()
	m.open[server] = struct{}{}
	m.mu.Unlock()
	select {
	case m.conns <- server:
		return client, nil
	case <-m.closed:
		server.Close()
		return nil, errors.New("in-process server stopped")
	case <-ctx.Done():
		server.Close()
		return nil, ctx.Err()
	}
}

type memAddr struct{}

func (memAddr) Network() string { return "memory" }
func (memAddr) String() string  { return "in-process" }

// Target is where a client sends a service's calls.
type Target struct {
	// BaseURL is the Connect base URL, e.g. http://in-process.
	BaseURL string
	// Client sends the requests (HTTP/2 without TLS, pooled).
	Client connect.HTTPClient
}

// InProcess returns the target for services served by this process.
func InProcess(m *Memory) Target {
	return Target{BaseURL: "http://in-process", Client: h2cClient(m.DialContext)}
}

// Remote returns the target for a service at addr (host:port).
func Remote(addr string) Target {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return Target{BaseURL: "http://" + addr, Client: h2cClient(d.DialContext)}
}

func h2cClient(dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Client {
	protocols := new(http.Protocols)
	protocols.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{
		DialContext:         dial,
		Protocols:           protocols,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
	}}
}
