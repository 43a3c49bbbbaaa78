package discovery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/manifoldgw/manifold/services/internal/dial"
)

// Transport sends each request to a healthy instance of one service, in
// round-robin order, and retries the next instance when a connection to
// one cannot be made (nothing was sent, so a retry cannot duplicate a
// call). Requests address the service by any host; the transport replaces
// it with the instance's.
type Transport struct {
	resolver *Resolver
	base     http.RoundTripper
}

// NewTransport returns a transport over r's instances, speaking HTTP/2
// without TLS as Manifold's services do.
func NewTransport(r *Resolver) *Transport {
	protocols := new(http.Protocols)
	protocols.SetUnencryptedHTTP2(true)
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &Transport{resolver: r, base: &http.Transport{
		DialContext:         d.DialContext,
		Protocols:           protocols,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
	}}
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	instances, err := t.resolver.order(req.Context())
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	var lastErr error
	for i, addr := range instances {
		out := req.Clone(req.Context())
		out.URL.Host, out.Host = addr, addr
		if i > 0 && req.Body != nil && req.Body != http.NoBody {
			// The failed attempt closed the body; a retry needs a fresh one.
			if req.GetBody == nil {
				break
			}
			body, err := req.GetBody()
			if err != nil {
				break
			}
			out.Body = body
		}
		res, err := t.base.RoundTrip(out)
		if err == nil {
			return res, nil
		}
		lastErr = err
		if !connectFailed(err) {
			break
		}
	}
	return nil, fmt.Errorf("call %s: %w", ServicePrefix+t.resolver.service, lastErr)
}

// connectFailed tells whether err means no connection could be made, as
// opposed to a failure after the request may have reached the instance.
func connectFailed(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// Target returns the dial target of service: calls go to its healthy
// instances through a Transport, watched until ctx ends.
func (r *Registry) Target(ctx context.Context, service string) dial.Target {
	res := r.Resolver(service)
	go res.Run(ctx)
	return dial.Target{
		BaseURL: "http://" + ServicePrefix + service,
		Client:  &http.Client{Transport: NewTransport(res)},
	}
}
