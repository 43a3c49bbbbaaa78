package server

import (
	"context"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/validate"
)

// validationInterceptor checks every request against its protovalidate
// rules before a handler sees it, and turns handler errors into Connect
// errors carrying an ErrorDetail.
type validationInterceptor struct{}

func newValidationInterceptor() (*validationInterceptor, error) { return &validationInterceptor{}, nil }

func (i *validationInterceptor) check(msg any) error {
	m, ok := msg.(proto.Message)
	if !ok {
		return nil
	}
	return validate.Check(m)
}

func (i *validationInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if err := i.check(req.Any()); err != nil {
			return nil, apierror.ToConnect(err)
		}
		res, err := next(ctx, req)
		if err != nil {
			return nil, apierror.ToConnect(err)
		}
		return res, nil
	}
}

func (i *validationInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (i *validationInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		err := next(ctx, &validatingConn{StreamingHandlerConn: conn, i: i})
		if err != nil {
			return apierror.ToConnect(err)
		}
		return nil
	}
}

type validatingConn struct {
	connect.StreamingHandlerConn
	i *validationInterceptor
}

func (c *validatingConn) Receive(msg any) error {
	if err := c.StreamingHandlerConn.Receive(msg); err != nil {
		return err
	}
	return c.i.check(msg)
}
