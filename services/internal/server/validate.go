package server

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"buf.build/go/protovalidate"
	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

// validationInterceptor checks every request against its protovalidate
// rules before a handler sees it, and turns handler errors into Connect
// errors carrying an ErrorDetail.
type validationInterceptor struct {
	validator protovalidate.Validator
}

func newValidationInterceptor() (*validationInterceptor, error) {
	v, err := protovalidate.New()
	if err != nil {
		return nil, fmt.Errorf("create validator: %w", err)
	}
	return &validationInterceptor{validator: v}, nil
}

func (i *validationInterceptor) check(msg any) error {
	m, ok := msg.(proto.Message)
	if !ok {
		return nil
	}
	err := i.validator.Validate(m)
	if err == nil {
		return nil
	}
	var verr *protovalidate.ValidationError
	if !errors.As(err, &verr) || len(verr.Violations) == 0 {
		return apierror.Internal(err)
	}
	fields := make([]string, 0, len(verr.Violations))
	msgs := make([]string, 0, len(verr.Violations))
	for _, v := range verr.Violations {
		field := violationField(m.ProtoReflect().Descriptor(), v)
		if field == "" {
			field = "(message)"
		}
		fields = append(fields, field)
		msgs = append(msgs, field+": "+v.Proto.GetMessage())
	}
	e := apierror.Invalid(fields[0], "invalid request: %s", strings.Join(msgs, "; "))
	e.Class = mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST
	return e
}

// violationField names the field at fault. A message-level rule (a CEL
// expression over several fields, such as "messages or prompt") reports the
// path of its message; when the rule's id ends in the name of one of that
// message's fields ("request.messages"), the field is named instead, so that
// callers learn which field to fix.
func violationField(root protoreflect.MessageDescriptor, v *protovalidate.Violation) string {
	path := protovalidate.FieldPathString(v.Proto.GetField())
	if v.FieldDescriptor != nil {
		return path
	}
	md := root
	for _, el := range v.Proto.GetField().GetElements() {
		fd := md.Fields().ByNumber(protoreflect.FieldNumber(el.GetFieldNumber()))
		if fd == nil {
			return path
		}
		if fd.IsMap() {
			fd = fd.MapValue()
		}
		if md = fd.Message(); md == nil {
			return path
		}
	}
	id := v.Proto.GetRuleId()
	name := id[strings.LastIndexByte(id, '.')+1:]
	if name == "" || md.Fields().ByName(protoreflect.Name(name)) == nil {
		return path
	}
	if path == "" {
		return name
	}
	return path + "." + name
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
