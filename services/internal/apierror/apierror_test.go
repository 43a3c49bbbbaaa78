package apierror_test

import (
	"errors"
	"testing"

	"connectrpc.com/connect"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

// TestClassOfConnectErrors: errors from another service keep their class
// through Connect; bare Connect codes map to the nearest class.
func TestClassOfConnectErrors(t *testing.T) {
	for class := range mcpv1.ErrorClass_name {
		c := mcpv1.ErrorClass(class)
		if c == mcpv1.ErrorClass_ERROR_CLASS_UNSPECIFIED {
			continue
		}
		if got := apierror.As(apierror.ToConnect(apierror.New(c, "x"))).Class; got != c {
			t.Errorf("%s through Connect came back as %s", c, got)
		}
	}
	for code, want := range map[connect.Code]mcpv1.ErrorClass{
		connect.CodeUnimplemented:    mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED,
		connect.CodeUnauthenticated:  mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION,
		connect.CodePermissionDenied: mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED,
		connect.CodeDataLoss:         mcpv1.ErrorClass_ERROR_CLASS_INTERNAL,
	} {
		if got := apierror.As(connect.NewError(code, errors.New("bare"))).Class; got != want {
			t.Errorf("a bare %s error is %s, want %s", code, got, want)
		}
	}
}
