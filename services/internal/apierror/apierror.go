// Package apierror classifies errors into Manifold's stable error classes and
// maps each class to Connect codes and HTTP statuses in exactly one place.
package apierror

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
)

// Error is an error that is safe to show to callers. Its Message is shown as
// is; Cause is kept for logs and never shown.
type Error struct {
	Class          mcpv1.ErrorClass
	Message        string
	Field          string
	Provider       string
	UpstreamStatus int
	RetryAfter     time.Duration
	LimitName      string
	LimitValue     int64
	LimitRemaining int64
	Cause          error
}

// New returns an error of the given class with a formatted message.
func New(class mcpv1.ErrorClass, format string, args ...any) *Error {
	return &Error{Class: class, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an invalid-request error naming the field at fault.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Class: mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected failure; callers see a generic message.
func Internal(cause error) *Error {
	return &Error{Class: mcpv1.ErrorClass_ERROR_CLASS_INTERNAL, Message: "internal error", Cause: cause}
}

func (e *Error) Error() string {
	if e.Field != "" && !strings.Contains(e.Message, e.Field) {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// As returns err as an *Error, classifying unknown errors: context errors
// become timeout or cancelled, anything else internal.
func As(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var ce *connect.Error
	if errors.As(err, &ce) {
		for _, d := range ce.Details() {
			if v, derr := d.Value(); derr == nil {
				if detail, ok := v.(*mcpv1.ErrorDetail); ok {
					return FromDetail(detail)
				}
			}
		}
		return &Error{Class: classOfCode(ce.Code()), Message: ce.Message(), Cause: err}
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Class: mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT, Message: "deadline exceeded", Cause: err}
	case errors.Is(err, context.Canceled):
		return &Error{Class: mcpv1.ErrorClass_ERROR_CLASS_CANCELLED, Message: "request cancelled", Cause: err}
	}
	return Internal(err)
}

// ClassName is the stable snake_case name of a class, e.g. "rate_limited".
func ClassName(c mcpv1.ErrorClass) string {
	if c == mcpv1.ErrorClass_ERROR_CLASS_UNSPECIFIED {
		return ""
	}
	return strings.ToLower(strings.TrimPrefix(c.String(), "ERROR_CLASS_"))
}

// classes is the one table mapping error classes to transport statuses.
var classes = map[mcpv1.ErrorClass]struct {
	code connect.Code
	http int
}{
	mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST:         {connect.CodeInvalidArgument, http.StatusBadRequest},
	mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION:          {connect.CodeUnauthenticated, http.StatusUnauthorized},
	mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED:       {connect.CodePermissionDenied, http.StatusForbidden},
	mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND:               {connect.CodeNotFound, http.StatusNotFound},
	mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED:            {connect.CodeResourceExhausted, http.StatusTooManyRequests},
	mcpv1.ErrorClass_ERROR_CLASS_QUOTA_EXCEEDED:          {connect.CodeResourceExhausted, http.StatusTooManyRequests},
	mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED:              {connect.CodeUnavailable, http.StatusServiceUnavailable},
	mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED: {connect.CodeInvalidArgument, http.StatusBadRequest},
	mcpv1.ErrorClass_ERROR_CLASS_CONTENT_FILTERED:        {connect.CodeFailedPrecondition, http.StatusBadRequest},
	mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE:             {connect.CodeUnavailable, http.StatusBadGateway},
	mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT:                 {connect.CodeDeadlineExceeded, http.StatusGatewayTimeout},
	mcpv1.ErrorClass_ERROR_CLASS_CANCELLED:               {connect.CodeCanceled, 499},
	mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED:             {connect.CodeInvalidArgument, http.StatusBadRequest},
	mcpv1.ErrorClass_ERROR_CLASS_INTERNAL:                {connect.CodeInternal, http.StatusInternalServerError},
	mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL:       {connect.CodeUnavailable, http.StatusBadGateway},
	mcpv1.ErrorClass_ERROR_CLASS_QUOTA_UNCONFIRMED:       {connect.CodeUnavailable, http.StatusServiceUnavailable},
}

// ConnectCode maps a class to its Connect code.
func ConnectCode(c mcpv1.ErrorClass) connect.Code {
	if m, ok := classes[c]; ok {
		return m.code
	}
	return connect.CodeInternal
}

// HTTPStatus maps a class to its HTTP status.
func HTTPStatus(c mcpv1.ErrorClass) int {
	if m, ok := classes[c]; ok {
		return m.http
	}
	return http.StatusInternalServerError
}

func classOfCode(code connect.Code) mcpv1.ErrorClass {
	if code == connect.CodeUnimplemented {
		// A procedure the server does not have (an older version).
		return mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED
	}
	for class, m := range classes {
		if m.code == code && class != mcpv1.ErrorClass_ERROR_CLASS_QUOTA_EXCEEDED &&
			class != mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED && class != mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED &&
			class != mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED && class != mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL &&
			class != mcpv1.ErrorClass_ERROR_CLASS_QUOTA_UNCONFIRMED {
			return class
		}
	}
	return mcpv1.ErrorClass_ERROR_CLASS_INTERNAL
}

// Detail is the ErrorDetail for err, as attached to Connect errors and
// stream error events.
func Detail(err error) *mcpv1.ErrorDetail {
	e := As(err)
	d := &mcpv1.ErrorDetail{
		ErrorClass:     e.Class,
		Message:        e.Error(),
		Field:          e.Field,
		Provider:       e.Provider,
		UpstreamStatus: int32(e.UpstreamStatus),
		LimitName:      e.LimitName,
		LimitValue:     e.LimitValue,
		LimitRemaining: e.LimitRemaining,
	}
	if e.RetryAfter > 0 {
		d.RetryAfter = durationpb.New(e.RetryAfter)
	}
	return d
}

// FromDetail rebuilds an *Error from a detail received from another service.
func FromDetail(d *mcpv1.ErrorDetail) *Error {
	return &Error{
		Class:          d.GetErrorClass(),
		Message:        d.GetMessage(),
		Field:          d.GetField(),
		Provider:       d.GetProvider(),
		UpstreamStatus: int(d.GetUpstreamStatus()),
		RetryAfter:     d.GetRetryAfter().AsDuration(),
		LimitName:      d.GetLimitName(),
		LimitValue:     d.GetLimitValue(),
		LimitRemaining: d.GetLimitRemaining(),
	}
}

// ToConnect converts err to a Connect error carrying an ErrorDetail.
func ToConnect(err error) *connect.Error {
	if err == nil {
		return nil
	}
	var ce *connect.Error
	if errors.As(err, &ce) && len(ce.Details()) > 0 {
		return ce
	}
	d := Detail(err)
	cerr := connect.NewError(ConnectCode(d.GetErrorClass()), errors.New(d.GetMessage()))
	if detail, derr := connect.NewErrorDetail(d); derr == nil {
		cerr.AddDetail(detail)
	}
	return cerr
}
