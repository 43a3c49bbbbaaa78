// Package access carries Manifold's service-to-service identity: the
// internal token a service presents when it calls another one (the key
// vault's internal RPCs refuse everyone else).
package access

import (
	"context"
	"crypto/rand"

	"connectrpc.com/connect"
)

// NewToken returns a random internal token, for an all-in-one process whose
// services only call each other in memory.
func NewToken() string { return "mki-" + rand.Text() + rand.Text() }

// WithToken makes a client send token as "Authorization: Bearer <token>" on
// every call, unary and streaming. An empty token sends nothing.
func WithToken(token string) connect.ClientOption {
	return connect.WithInterceptors(tokenInterceptor(token))
}

type tokenInterceptor string

func (t tokenInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if t != "" {
			req.Header().Set("Authorization", "Bearer "+string(t))
		}
		return next(ctx, req)
	}
}

func (t tokenInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		if t != "" {
			conn.RequestHeader().Set("Authorization", "Bearer "+string(t))
		}
		return conn
	}
}

func (t tokenInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}
