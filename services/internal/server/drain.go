package server

import (
	"context"
	"errors"
	"strings"

	"connectrpc.com/connect"
)

// errDraining ends a watch stream when its server shuts down.
var errDraining = errors.New("the server is shutting down: watch again to resume on another instance")

// drainInterceptor ends watch streams (server streams of Watch* methods)
// when the server starts draining. Watches are resumable and never finish
// on their own, so a graceful shutdown that waited for them would always
// run into its timeout; other streams (a streamed model answer) and unary
// calls are left to finish.
type drainInterceptor struct {
	draining <-chan struct{}
}

func (i drainInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc { return next }

func (i drainInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (i drainInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		if !isWatch(conn.Spec().Procedure) {
			return next(ctx, conn)
		}
		ctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		go func() {
			select {
			case <-i.draining:
				cancel(errDraining)
			case <-ctx.Done():
			}
		}()
		err := next(ctx, conn)
		if errors.Is(context.Cause(ctx), errDraining) {
			// The handler saw its context end; tell the watcher why, so it
			// reconnects rather than taking the end as final.
			return connect.NewError(connect.CodeUnavailable, errDraining)
		}
		return err
	}
}

// isWatch tells whether procedure ("/pkg.Service/Method") is a watch.
func isWatch(procedure string) bool {
	i := strings.LastIndexByte(procedure, '/')
	return i >= 0 && strings.HasPrefix(procedure[i+1:], "Watch")
}
